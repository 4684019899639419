/**
 * The service root key (the ROOT_KEY secret, 32 random bytes in base64) and the subkeys derived
 * from it: the root key itself is only ever input keying material for HKDF, never an AES or HMAC
 * key, and each use of it has its own subkey, so that no two mechanisms share a key (a forgery
 * against one could never be replayed against another, and each can be reasoned about alone).
 *
 * Spec: RFC 5869 (HKDF) with SHA-256: subkey = HKDF(IKM = root key, salt = empty, info = the
 * purpose's label, L = 32). RFC 5869 §3.2 allows an empty salt when the IKM is already uniformly
 * random, as ROOT_KEY is; the distinct `info` labels are what separate the subkeys (§3.2: "info"
 * binds the derived key to application- and context-specific information).
 *
 * | purpose              | info label                                   | used by                                  |
 * |----------------------|----------------------------------------------|------------------------------------------|
 * | backingKeySeal       | "edgekms backing key seal v2"                | AES-256-GCM seal of backing keys          |
 * | grantToken           | "edgekms grant token v1"                     | HMAC-SHA256 tag of grant tokens           |
 * | importToken          | "edgekms import token v1"                    | HMAC-SHA256 tag of import tokens          |
 * | wrappingKeySeal      | "edgekms import wrapping key v1"             | AES-256-GCM seal of wrapping private keys |
 * | materialFingerprint  | "edgekms imported material fingerprint v1"   | HMAC-SHA256 fingerprint of imported material |
 * | keyIdTag             | "edgekms key-id tag v1"                      | HMAC-SHA256 tag in issued key IDs (key-id.ts) |
 *
 * The last four labels are the ones those mechanisms always used, so their tokens, sealed keys and
 * stored fingerprints stay valid. Backing keys were once sealed with the root key itself as the
 * AES key (format 1, still opened — never written — by backing-key.ts); they are now sealed under
 * their own subkey (format 2).
 *
 * Rotation (root-key-ring.ts): a deployment may configure retired root keys beside the current
 * one; each root key is named by an HKDF-derived identifier ("edgekms root key identifier v1",
 * not a subkey: 8 public bytes), which sealed records carry.
 *
 * Security: every subkey and every decoded copy of the root key is a fresh Uint8Array that its
 * user wipes: `withSubkey` and `withRootKey` wipe in `finally` (after a returned promise settles).
 * The ROOT_KEY string itself lives in the environment for the isolate's lifetime; that copy is the
 * platform's, and JavaScript strings cannot be wiped.
 */
import { hkdfSha256 } from "../crypto/index.ts";

export const ROOT_KEY_LENGTH = 32;

export const ROOT_KEY_PURPOSES = {
  backingKeySeal: "edgekms backing key seal v2",
  grantToken: "edgekms grant token v1",
  importToken: "edgekms import token v1",
  wrappingKeySeal: "edgekms import wrapping key v1",
  materialFingerprint: "edgekms imported material fingerprint v1",
  keyIdTag: "edgekms key-id tag v1",
} as const;

export type RootKeyPurpose = keyof typeof ROOT_KEY_PURPOSES;

const utf8 = new TextEncoder();
/** The labels as HKDF's `info` bytes, encoded once (they are public constants). */
const INFO = Object.fromEntries(Object.entries(ROOT_KEY_PURPOSES).map(([purpose, label]) => [purpose, utf8.encode(label)])) as Record<
  RootKeyPurpose,
  Uint8Array
>;
const NO_SALT = new Uint8Array(0);

/** Decodes the ROOT_KEY secret into a fresh array the caller wipes. @throws Error when it is absent or not base64 of 32 bytes. */
export function decodeRootKey(secret: string | undefined): Uint8Array {
  if (!secret) throw new Error("ROOT_KEY is not configured");
  let text: string;
  try {
    text = atob(secret.trim());
  } catch {
    throw new Error("ROOT_KEY is not valid base64");
  }
  if (text.length !== ROOT_KEY_LENGTH) throw new Error("ROOT_KEY must be 32 bytes");
  const bytes = new Uint8Array(ROOT_KEY_LENGTH);
  for (let i = 0; i < ROOT_KEY_LENGTH; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/** The 32-byte subkey for one purpose, a fresh array the caller wipes. @throws Error for a root key that is not 32 bytes. */
export function deriveSubkey(rootKey: Uint8Array, purpose: RootKeyPurpose): Uint8Array {
  if (rootKey.length !== ROOT_KEY_LENGTH) throw new Error("root key must be 32 bytes");
  return hkdfSha256(rootKey, NO_SALT, INFO[purpose], 32);
}

/** Runs `use` with `key` and wipes the key afterwards — once a returned promise has settled. */
function usingThenWipe<T>(key: Uint8Array, use: (key: Uint8Array) => T): T {
  let result: T;
  try {
    result = use(key);
  } catch (err) {
    key.fill(0);
    throw err;
  }
  if (result instanceof Promise) return result.finally(() => key.fill(0)) as T;
  key.fill(0);
  return result;
}

/** Runs `use` with the subkey for `purpose`, wiping the subkey afterwards. */
export function withSubkey<T>(rootKey: Uint8Array, purpose: RootKeyPurpose, use: (subkey: Uint8Array) => T): T {
  return usingThenWipe(deriveSubkey(rootKey, purpose), use);
}

/**
 * Runs `use` with a decoded copy of the ROOT_KEY secret, wiping the copy afterwards: the way for
 * callers to hand the root key to the functions of backing-key.ts, import-token.ts and
 * grants/token.ts without leaving copies behind.
 * @throws Error when the secret is absent or malformed (see decodeRootKey)
 */
export function withRootKey<T>(secret: string | undefined, use: (rootKey: Uint8Array) => T): T {
  return usingThenWipe(decodeRootKey(secret), use);
}
