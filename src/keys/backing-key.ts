/**
 * Backing keys (the 256-bit secrets behind a KMS key, one per rotation version) at rest: each is
 * sealed with AES-256-GCM, bound by its additional data to the key ARN and version, so a stored
 * record cannot be replayed as another key's or another version's.
 *
 * Seal formats, told apart by the record's `format` field:
 *
 * | format | AES-256-GCM key                                          | additional data                              |
 * |-------:|----------------------------------------------------------|----------------------------------------------|
 * |      2 | HKDF(root key, "edgekms backing key seal v2") (root-key.ts) | "edgekms backing key v2\n<key ARN>\n<version>" |
 * | absent | the root key itself (format 1, before subkeys)            | "edgekms backing key v1\n<key ARN>\n<version>" |
 *
 * Each record written now also names the root key that sealed it (`rootKeyId`, root-key-ring.ts),
 * so opening it picks that key; records without one are tried under the current root key, then
 * each previous one (README "Root-key rotation"). Re-sealing (`resealBackingKey`) moves a record
 * under the current root key without changing its version or creation date.
 *
 * New records are always format 2. Format 1 records — state written before root-key subkeys —
 * are still opened, so existing local state keeps working; they are never written (`isCurrentSeal`
 * tells a caller that wants to migrate stored versions which ones are still format 1).
 * The AAD labels differ too, so a record cannot be opened under the other format's rules.
 *
 * Security: the plaintext backing key exists only in the call that needs it; callers wipe it
 * (`wipe`) when done. Storage only ever sees the sealed form. The derived sealing key is wiped
 * after each use.
 */
import { aesGcmDecrypt, aesGcmEncrypt } from "../crypto/index.ts";
import { withSubkey } from "./root-key.ts";
import type { RootKeyRing } from "./root-key-ring.ts";

export { decodeRootKey, withRootKey } from "./root-key.ts";

export interface SealedBackingKey {
  version: number;
  iv: Uint8Array;
  sealed: Uint8Array;
  createdAt: number;
  /** The seal format (see the module comment); absent for format 1 records. */
  format?: number;
  /** The identifier of the root key that sealed it; absent in records from before rotation. */
  rootKeyId?: string;
}

/** The format `sealBackingKey` writes. */
export const BACKING_KEY_SEAL_FORMAT = 2;

const utf8 = new TextEncoder();

function bindingData(format: 1 | 2, keyArn: string, version: number): Uint8Array {
  return utf8.encode(`edgekms backing key v${format}\n${keyArn}\n${version}`);
}

export function newBackingKey(rootKeys: RootKeyRing, keyArn: string, version: number, now: number): SealedBackingKey {
  const material = crypto.getRandomValues(new Uint8Array(32));
  try {
    return sealBackingKey(rootKeys, keyArn, version, material, now);
  } finally {
    wipe(material);
  }
}

/** Seals `material` in the current format under the current root key. */
export function sealBackingKey(
  rootKeys: RootKeyRing,
  keyArn: string,
  version: number,
  material: Uint8Array,
  now: number,
): SealedBackingKey {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  return rootKeys.withCurrent((rootKey, rootKeyId) => {
    const sealed = withSubkey(rootKey, "backingKeySeal", (key) => aesGcmEncrypt(key, iv, material, bindingData(2, keyArn, version)));
    return { version, iv, sealed, createdAt: now, format: BACKING_KEY_SEAL_FORMAT, rootKeyId };
  });
}

function openWith(rootKey: Uint8Array, keyArn: string, record: SealedBackingKey): Uint8Array {
  if (record.format === BACKING_KEY_SEAL_FORMAT) {
    return withSubkey(rootKey, "backingKeySeal", (key) =>
      aesGcmDecrypt(key, record.iv, record.sealed, bindingData(2, keyArn, record.version)),
    );
  }
  if (record.format === undefined) return aesGcmDecrypt(rootKey, record.iv, record.sealed, bindingData(1, keyArn, record.version));
  throw new Error(`unknown backing key seal format ${String(record.format)}`);
}

/**
 * Opens a record of either format, under the root key it names (or, for records that name none,
 * the first configured root key that opens it).
 * @throws Error when no configured root key sealed it for this key and version (RootKeyUnavailable
 * when the key it names is not configured), or it names a format this code does not know.
 */
export function unsealBackingKey(rootKeys: RootKeyRing, keyArn: string, record: SealedBackingKey): Uint8Array {
  if (record.format !== undefined && record.format !== BACKING_KEY_SEAL_FORMAT)
    throw new Error(`unknown backing key seal format ${String(record.format)}`);
  if (record.rootKeyId !== undefined) return rootKeys.withId(record.rootKeyId, (rootKey) => openWith(rootKey, keyArn, record));
  const opened = rootKeys.firstOf((rootKey) => openWith(rootKey, keyArn, record));
  if (opened === undefined) throw new Error("backing key does not open under any configured root key");
  return opened;
}

/** True when the record is sealed in the current format under the current root key. */
export function isResealed(rootKeys: RootKeyRing, record: SealedBackingKey): boolean {
  return record.format === BACKING_KEY_SEAL_FORMAT && record.rootKeyId === rootKeys.currentId;
}

/** The record sealed again, in the current format under the current root key (same version and date). */
export function resealBackingKey(rootKeys: RootKeyRing, keyArn: string, record: SealedBackingKey): SealedBackingKey {
  const material = unsealBackingKey(rootKeys, keyArn, record);
  try {
    return sealBackingKey(rootKeys, keyArn, record.version, material, record.createdAt);
  } finally {
    wipe(material);
  }
}

/** True when the record is sealed in the format `sealBackingKey` writes now. */
export function isCurrentSeal(record: SealedBackingKey): boolean {
  return record.format === BACKING_KEY_SEAL_FORMAT;
}

export function wipe(bytes: Uint8Array): void {
  bytes.fill(0);
}
