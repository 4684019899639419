/**
 * Backing keys (the 256-bit secrets behind a KMS key, one per rotation version) at rest: each is
 * sealed with AES-256-GCM under the service root key, bound by its additional data to the key ARN
 * and version, so a stored record cannot be replayed as another key's or another version's.
 *
 * Security: the plaintext backing key exists only in the call that needs it; callers wipe it
 * (`wipe`) when done. Storage only ever sees the sealed form.
 */
import { aesGcmDecrypt, aesGcmEncrypt } from "../crypto/index.ts";

export interface SealedBackingKey {
  version: number;
  iv: Uint8Array;
  sealed: Uint8Array;
  createdAt: number;
}

const utf8 = new TextEncoder();

function bindingData(keyArn: string, version: number): Uint8Array {
  return utf8.encode(`edgekms backing key v1\n${keyArn}\n${version}`);
}

/** Decodes the ROOT_KEY secret. @throws Error when it is absent or not base64 of 32 bytes. */
export function decodeRootKey(secret: string | undefined): Uint8Array {
  if (!secret) throw new Error("ROOT_KEY is not configured");
  let bytes: Uint8Array;
  try {
    bytes = Uint8Array.from(atob(secret.trim()), (c) => c.charCodeAt(0));
  } catch {
    throw new Error("ROOT_KEY is not valid base64");
  }
  if (bytes.length !== 32) throw new Error("ROOT_KEY must be 32 bytes");
  return bytes;
}

export function newBackingKey(rootKey: Uint8Array, keyArn: string, version: number, now: number): SealedBackingKey {
  const material = crypto.getRandomValues(new Uint8Array(32));
  try {
    return sealBackingKey(rootKey, keyArn, version, material, now);
  } finally {
    wipe(material);
  }
}

export function sealBackingKey(
  rootKey: Uint8Array,
  keyArn: string,
  version: number,
  material: Uint8Array,
  now: number,
): SealedBackingKey {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  return { version, iv, sealed: aesGcmEncrypt(rootKey, iv, material, bindingData(keyArn, version)), createdAt: now };
}

/** @throws Error when the record was not sealed under this root key for this key and version. */
export function unsealBackingKey(rootKey: Uint8Array, keyArn: string, record: SealedBackingKey): Uint8Array {
  return aesGcmDecrypt(rootKey, record.iv, record.sealed, bindingData(keyArn, record.version));
}

export function wipe(bytes: Uint8Array): void {
  bytes.fill(0);
}
