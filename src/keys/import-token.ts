/**
 * The secrets of an import at rest (guide: "Importing Key Material", step 2 "Use of the import
 * token"): the import token a caller carries between GetParametersForImport and ImportKeyMaterial,
 * the wrapping private key the key object keeps meanwhile, and the fingerprint that lets a key
 * accept only the material it had before.
 *
 * Import token, version 1 (90 bytes, opaque to callers):
 *
 * | offset | length | field                                                         |
 * |-------:|-------:|---------------------------------------------------------------|
 * |      0 |      1 | version, 0x01                                                 |
 * |      1 |     16 | token ID (random; names the stored wrapping key)              |
 * |     17 |      8 | ParametersValidTo, ms since the epoch, unsigned big-endian    |
 * |     25 |      1 | wrapping algorithm: 1 OAEP SHA-256, 2 OAEP SHA-1, 3 PKCS1 v1.5 |
 * |     26 |     32 | SHA-256 of the wrapping public key (DER SubjectPublicKeyInfo)  |
 * |     58 |     32 | HMAC-SHA256 tag over "edgekms import token v1\n" ‖ key ARN ‖ 0x00 ‖ bytes 0–57 |
 *
 * The tag key is the root key's "importToken" subkey, HKDF-SHA256(root key, info "edgekms import
 * token v1") (src/keys/root-key.ts, which lists every subkey), so a token is bound to
 * the key it was issued for (the ARN is in the tag, not in the token), to one wrapping key pair
 * and to one algorithm; a token for another key, a forged or a truncated one fails the same way.
 *
 * Wrapping private keys are sealed with AES-256-GCM under the "wrappingKeySeal" subkey, bound by
 * AAD to the key ARN and token ID, and name the root key that sealed them (`rootKeyId`).
 *
 * Material fingerprints are HMAC-SHA256 over the ARN and the material: they identify the material
 * to the key object without storing it. A KeyMaterialId is derived from one, so a fingerprint must
 * stay the same for the key's whole life, across root-key rotations: each key therefore has its own
 * fingerprint key (`FingerprintKey`: 32 random bytes kept sealed in the key's record and re-sealed
 * with everything else). Keys fingerprinted before that used the root key's "materialFingerprint"
 * subkey; re-sealing gives them that subkey as their fingerprint key, so their KeyMaterialIds and
 * reimports keep working after the old root key is gone.
 *
 * Rotation: tokens are issued under the current root key and open under any configured one.
 *
 * Security: derived keys are wiped after each use; tags and fingerprints are compared by
 * accumulating differences and deciding once.
 */
import { aesGcmDecrypt, aesGcmEncrypt, hmacSha256, sha256 } from "../crypto/index.ts";
import { withSubkey } from "./root-key.ts";
import type { RootKeyRing } from "./root-key-ring.ts";
import type { WrappingAlgorithm } from "./import-wrapping.ts";
import { bytesEqual, concatBytes, fromHex, toHex } from "../bytes.ts";

export const IMPORT_TOKEN_LENGTH = 90;
const VERSION = 1;
const TAG_OFFSET = 58;

const ALGORITHM_CODES: Record<WrappingAlgorithm, number> = {
  RSAES_OAEP_SHA_256: 1,
  RSAES_OAEP_SHA_1: 2,
  RSAES_PKCS1_V1_5: 3,
};

export interface ImportTokenClaims {
  /** 32 lowercase hex digits. */
  tokenId: string;
  /** ParametersValidTo, ms since the epoch. */
  validTo: number;
  algorithm: WrappingAlgorithm;
  publicKeyHash: Uint8Array;
}

export interface SealedWrappingKey {
  iv: Uint8Array;
  sealed: Uint8Array;
  /** The root key that sealed it; absent in records from before rotation. */
  rootKeyId?: string;
}

const utf8 = new TextEncoder();

export function publicKeyHash(publicKeySpki: Uint8Array): Uint8Array {
  return sha256(publicKeySpki);
}

function tag(rootKey: Uint8Array, keyArn: string, body: Uint8Array): Uint8Array {
  const message = concatBytes(utf8.encode(`edgekms import token v1\n${keyArn}`), new Uint8Array([0]), body);
  return withSubkey(rootKey, "importToken", (macKey) => hmacSha256(macKey, message));
}

/** A new token ID: 16 random bytes as hex. */
export function newTokenId(): string {
  return toHex(crypto.getRandomValues(new Uint8Array(16)));
}

export function issueImportToken(rootKeys: RootKeyRing, keyArn: string, claims: ImportTokenClaims): Uint8Array {
  const body = new Uint8Array(TAG_OFFSET);
  const view = new DataView(body.buffer);
  body[0] = VERSION;
  body.set(fromHex(claims.tokenId), 1);
  view.setBigUint64(17, BigInt(claims.validTo));
  body[25] = ALGORITHM_CODES[claims.algorithm];
  body.set(claims.publicKeyHash, 26);
  return concatBytes(
    body,
    rootKeys.withCurrent((rootKey) => tag(rootKey, keyArn, body)),
  );
}

/**
 * Authenticates `token` as issued for `keyArn` under this root key and returns its claims, or
 * undefined for anything else (another key's token, a forged, altered or truncated one). Whether
 * it has expired is the caller's check (ExpiredImportTokenException comes after authenticity).
 */
export function openImportToken(rootKeys: RootKeyRing, keyArn: string, token: Uint8Array): ImportTokenClaims | undefined {
  if (token.length !== IMPORT_TOKEN_LENGTH || token[0] !== VERSION) return undefined;
  const body = token.subarray(0, TAG_OFFSET);
  const authentic = rootKeys.firstOf((rootKey) => (bytesEqual(tag(rootKey, keyArn, body), token.subarray(TAG_OFFSET)) ? true : undefined));
  if (authentic === undefined) return undefined;
  const algorithm = (Object.keys(ALGORITHM_CODES) as WrappingAlgorithm[]).find((a) => ALGORITHM_CODES[a] === body[25]);
  if (algorithm === undefined) return undefined;
  return {
    tokenId: toHex(body.subarray(1, 17)),
    validTo: Number(new DataView(body.buffer, body.byteOffset).getBigUint64(17)),
    algorithm,
    publicKeyHash: body.slice(26, 58),
  };
}

function wrappingKeyAad(keyArn: string, tokenId: string): Uint8Array {
  return utf8.encode(`edgekms import wrapping key v1\n${keyArn}\n${tokenId}`);
}

export function sealWrappingKey(rootKeys: RootKeyRing, keyArn: string, tokenId: string, privateKey: Uint8Array): SealedWrappingKey {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  return rootKeys.withCurrent((rootKey, rootKeyId) => ({
    iv,
    sealed: withSubkey(rootKey, "wrappingKeySeal", (key) => aesGcmEncrypt(key, iv, privateKey, wrappingKeyAad(keyArn, tokenId))),
    rootKeyId,
  }));
}

/** @throws Error when the record was not sealed under a configured root key for this key and token. */
export function unsealWrappingKey(rootKeys: RootKeyRing, keyArn: string, tokenId: string, record: SealedWrappingKey): Uint8Array {
  const open = (rootKey: Uint8Array) =>
    withSubkey(rootKey, "wrappingKeySeal", (key) => aesGcmDecrypt(key, record.iv, record.sealed, wrappingKeyAad(keyArn, tokenId)));
  if (record.rootKeyId !== undefined) return rootKeys.withId(record.rootKeyId, open);
  const opened = rootKeys.firstOf(open);
  if (opened === undefined) throw new Error("wrapping key does not open under any configured root key");
  return opened;
}

/** The keyed fingerprint of material for one key, under `fingerprintKey` (see the module comment). */
export function fingerprintUnder(fingerprintKey: Uint8Array, keyArn: string, material: Uint8Array): Uint8Array {
  const input = concatBytes(utf8.encode(keyArn), new Uint8Array([0]), material);
  try {
    return hmacSha256(fingerprintKey, input);
  } finally {
    input.fill(0);
  }
}

/** The fingerprint under a root key's "materialFingerprint" subkey: how keys were fingerprinted before they had their own key. */
export function materialFingerprint(rootKey: Uint8Array, keyArn: string, material: Uint8Array): Uint8Array {
  return withSubkey(rootKey, "materialFingerprint", (key) => fingerprintUnder(key, keyArn, material));
}

/** A key's fingerprint key, sealed like a backing key (AES-256-GCM under a root-key subkey, bound to the key ARN). */
export interface FingerprintKey {
  iv: Uint8Array;
  sealed: Uint8Array;
  rootKeyId: string;
}

function fingerprintKeyAad(keyArn: string): Uint8Array {
  return utf8.encode(`edgekms fingerprint key v1\n${keyArn}`);
}

/** Seals `secret` as the key's fingerprint key under the current root key. */
export function sealFingerprintKey(rootKeys: RootKeyRing, keyArn: string, secret: Uint8Array): FingerprintKey {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  return rootKeys.withCurrent((rootKey, rootKeyId) => ({
    iv,
    sealed: withSubkey(rootKey, "backingKeySeal", (key) => aesGcmEncrypt(key, iv, secret, fingerprintKeyAad(keyArn))),
    rootKeyId,
  }));
}

/** A fresh fingerprint key for a key, sealed. */
export function newFingerprintKey(rootKeys: RootKeyRing, keyArn: string): FingerprintKey {
  const secret = crypto.getRandomValues(new Uint8Array(32));
  try {
    return sealFingerprintKey(rootKeys, keyArn, secret);
  } finally {
    secret.fill(0);
  }
}

/** Runs `use` with the key's fingerprint key, wiped afterwards. @throws Error when it does not open (RootKeyUnavailable). */
export function withFingerprintKey<T>(rootKeys: RootKeyRing, keyArn: string, sealed: FingerprintKey, use: (key: Uint8Array) => T): T {
  const key = rootKeys.withId(sealed.rootKeyId, (rootKey) =>
    withSubkey(rootKey, "backingKeySeal", (k) => aesGcmDecrypt(k, sealed.iv, sealed.sealed, fingerprintKeyAad(keyArn))),
  );
  try {
    return use(key);
  } finally {
    key.fill(0);
  }
}
