/**
 * The RSA side of importing key material (guide: "Importing Key Material", steps 2–4): a fresh
 * 2048-bit wrapping key pair per GetParametersForImport, and the unwrapping of the caller's
 * encrypted key material with the algorithm they chose.
 *
 * Spec: RFC 8017 (PKCS #1 v2.2) §7.1 RSAES-OAEP and §7.2 RSAES-PKCS1-v1_5.
 *
 * - RSAES_OAEP_SHA_256 / RSAES_OAEP_SHA_1 use the platform's WebCrypto RSA-OAEP (workerd, Node,
 *   Deno): its failure is one opaque rejection, which is all this module reports.
 * - RSAES_PKCS1_V1_5 is not in WebCrypto (which has RSA-OAEP as its only RSA encryption scheme),
 *   so decryption is done here with BigInt from the PKCS #8 private key, and a ciphertext whose
 *   padding is wrong is *rejected explicitly* (undefined), like one of the wrong length or not
 *   below n. AWS KMS answers all of them with InvalidCiphertextException.
 *
 * Why explicit rejection is safe here, and implicit rejection was not: Bleichenbacher's attack
 * needs many decryptions under one private key, each telling "padding good" from "padding bad".
 * EdgeKMS uses each wrapping key for at most one decryption (worker/key-import.ts spends the
 * import token and deletes the sealed private key *before* unwrapping), so a caller learns one bit
 * about one ciphertext under a key that is then gone: there is no oracle to query. Implicit
 * rejection (draft-irtf-cfrg-rsa-guidance), used before, instead turned a badly padded blob into a
 * pseudo-random message — of the 32 bytes a key expects about once in 246 tries — which a key's
 * first import then installed as its material. The padding check is still written with masks and
 * decided once, so its timing does not depend on where the padding is wrong.
 *
 * Security caveats, honestly: JavaScript BigInt arithmetic is not constant-time (its multiplication
 * and division take time that depends on operand values), and neither is the JIT-compiled padding
 * check. Mitigations: RSA blinding (a random r^e factor on the input) and exponent blinding
 * (d_p + k·(p−1)) so that timings do not correlate with the ciphertext or the exponent bits; a
 * result check (m^e ≡ c) against faults; and, above all, the single use of each private key.
 */

export const WRAPPING_ALGORITHMS = ["RSAES_OAEP_SHA_256", "RSAES_OAEP_SHA_1", "RSAES_PKCS1_V1_5"] as const;
export type WrappingAlgorithm = (typeof WRAPPING_ALGORITHMS)[number];

export function isWrappingAlgorithm(value: string): value is WrappingAlgorithm {
  return (WRAPPING_ALGORITHMS as readonly string[]).includes(value);
}

export interface WrappingKeyPair {
  /** DER SubjectPublicKeyInfo, what GetParametersForImport returns as PublicKey. */
  publicKey: Uint8Array;
  /** DER PKCS #8 PrivateKeyInfo; callers seal it at rest and wipe it after use. */
  privateKey: Uint8Array;
}

/** A fresh RSA-2048 key pair (e = 65537) from the platform's WebCrypto. */
export async function generateWrappingKeyPair(): Promise<WrappingKeyPair> {
  const pair = (await crypto.subtle.generateKey(
    { name: "RSA-OAEP", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
    true,
    ["encrypt", "decrypt"],
  )) as CryptoKeyPair;
  const publicKey = new Uint8Array((await crypto.subtle.exportKey("spki", pair.publicKey)) as ArrayBuffer);
  const privateKey = new Uint8Array((await crypto.subtle.exportKey("pkcs8", pair.privateKey)) as ArrayBuffer);
  return { publicKey, privateKey };
}

/**
 * Unwraps imported key material. Returns undefined when OAEP decryption fails or a PKCS #1 v1.5
 * ciphertext is malformed or badly padded (see the module comment). Never throws for bad input.
 */
export async function unwrapKeyMaterial(
  algorithm: WrappingAlgorithm,
  privateKeyPkcs8: Uint8Array,
  wrapped: Uint8Array,
): Promise<Uint8Array | undefined> {
  switch (algorithm) {
    case "RSAES_OAEP_SHA_256":
      return rsaOaepDecrypt(privateKeyPkcs8, "SHA-256", wrapped);
    case "RSAES_OAEP_SHA_1":
      return rsaOaepDecrypt(privateKeyPkcs8, "SHA-1", wrapped);
    case "RSAES_PKCS1_V1_5":
      return rsaPkcs1v15Decrypt(privateKeyPkcs8, wrapped);
  }
}

/** RSAES-OAEP decryption (RFC 8017 §7.1.2) by WebCrypto; undefined on any failure. */
export async function rsaOaepDecrypt(
  privateKeyPkcs8: Uint8Array,
  hash: "SHA-1" | "SHA-256",
  ciphertext: Uint8Array,
  label: Uint8Array = new Uint8Array(0),
): Promise<Uint8Array | undefined> {
  try {
    const key = await crypto.subtle.importKey("pkcs8", privateKeyPkcs8 as Uint8Array<ArrayBuffer>, { name: "RSA-OAEP", hash }, false, [
      "decrypt",
    ]);
    return new Uint8Array(
      await crypto.subtle.decrypt(
        { name: "RSA-OAEP", label: label as Uint8Array<ArrayBuffer> },
        key,
        ciphertext as Uint8Array<ArrayBuffer>,
      ),
    );
  } catch {
    return undefined;
  }
}

// ---- PKCS #1 v1.5 --------------------------------------------------------------------------------

interface RsaPrivateKey {
  n: bigint;
  e: bigint;
  d: bigint;
  p: bigint;
  q: bigint;
  dp: bigint;
  dq: bigint;
  qinv: bigint;
  /** Modulus length in bytes. */
  k: number;
}

/**
 * RSAES-PKCS1-v1_5 decryption (RFC 8017 §7.2.2). Returns the message, or undefined for a
 * ciphertext whose length is not k, whose value is not below n (step 1 and RSADP step 1), or whose
 * decryption is not EM = 0x00 ‖ 0x02 ‖ PS (≥ 8 non-zero bytes) ‖ 0x00 ‖ M (step 3): "decryption
 * error", explicitly (see the module comment for why that is safe for single-use keys).
 * @throws Error when `privateKeyPkcs8` is not an RSA PKCS #8 key (a caller bug).
 */
export function rsaPkcs1v15Decrypt(privateKeyPkcs8: Uint8Array, ciphertext: Uint8Array): Uint8Array | undefined {
  const key = parsePkcs8RsaKey(privateKeyPkcs8);
  if (ciphertext.length !== key.k || key.k < 11) return undefined;
  const c = os2ip(ciphertext);
  if (c >= key.n) return undefined;
  const em = i2osp(rsadp(key, c), key.k);
  try {
    const { good, separator } = checkPadding(em);
    return good === 1 ? em.slice(separator + 1) : undefined;
  } finally {
    em.fill(0);
  }
}

/** 0 or 1 without a branch: 1 when a === b (for small non-negative integers). */
function eq(a: number, b: number): number {
  return (((a ^ b) - 1) >>> 31) & 1;
}

/** 1 when a < b, for 0 ≤ a, b < 2^31. */
function lt(a: number, b: number): number {
  return ((a - b) >>> 31) & 1;
}

/** a when bit = 1, b when bit = 0. */
function select(bit: number, a: number, b: number): number {
  const mask = -bit;
  return (a & mask) | (b & ~mask);
}

/**
 * EME-PKCS1-v1_5 decoding (§7.2.2 step 3), every byte visited and the verdict accumulated in masks:
 * `good` is 1 when EM[0] = 0x00, EM[1] = 0x02, a 0x00 separator follows PS and PS is at least 8
 * bytes; `separator` is the index of that 0x00. The caller decides once, on `good`.
 */
function checkPadding(em: Uint8Array): { good: number; separator: number } {
  const k = em.length;
  let good = eq(em[0]!, 0) & eq(em[1]!, 2);
  let foundZero = 0;
  let separator = 0;
  for (let i = 2; i < k; i++) {
    const isZero = eq(em[i]!, 0);
    separator = select(isZero & (foundZero ^ 1), i, separator);
    foundZero |= isZero;
  }
  good &= foundZero;
  good &= 1 - lt(separator, 2 + 8); // PS is at least 8 bytes
  return { good, separator };
}

/** RSADP (§5.1.2) by the CRT with message and exponent blinding, and a check of the result. */
function rsadp(key: RsaPrivateKey, c: bigint): bigint {
  const r = randomBelow(key.n);
  const blinded = (c * modPow(r, key.e, key.n)) % key.n;
  const dp = key.dp + randomBigInt(8) * (key.p - 1n);
  const dq = key.dq + randomBigInt(8) * (key.q - 1n);
  const m1 = modPow(blinded % key.p, dp, key.p);
  const m2 = modPow(blinded % key.q, dq, key.q);
  const h = (key.qinv * (((m1 - m2) % key.p) + key.p)) % key.p;
  const mBlinded = m2 + h * key.q;
  const m = (mBlinded * modInverse(r, key.n)) % key.n;
  // A faulty computation would leak the factorisation (Boneh–DeMillo–Lipton): verify with e.
  if (modPow(m, key.e, key.n) !== c) throw new Error("RSA decryption self-check failed");
  return m;
}

function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n;
  let b = base % modulus;
  let e = exponent;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % modulus;
    b = (b * b) % modulus;
    e >>= 1n;
  }
  return result;
}

/** a⁻¹ mod m by the extended Euclidean algorithm. @throws Error when gcd(a, m) ≠ 1. */
function modInverse(a: bigint, m: bigint): bigint {
  let [oldR, r] = [a % m, m];
  let [oldS, s] = [1n, 0n];
  while (r !== 0n) {
    const q = oldR / r;
    [oldR, r] = [r, oldR - q * r];
    [oldS, s] = [s, oldS - q * s];
  }
  if (oldR !== 1n) throw new Error("not invertible");
  return ((oldS % m) + m) % m;
}

function randomBigInt(bytes: number): bigint {
  return os2ip(crypto.getRandomValues(new Uint8Array(bytes)));
}

/** A uniformly random r with 2 ≤ r < n (64 extra bits make the modulo bias negligible). */
function randomBelow(n: bigint): bigint {
  const bytes = Math.ceil(n.toString(16).length / 2) + 8;
  return (randomBigInt(bytes) % (n - 2n)) + 2n;
}

function os2ip(bytes: Uint8Array): bigint {
  let hex = "0x0";
  for (const b of bytes) hex += b.toString(16).padStart(2, "0");
  return BigInt(hex);
}

function i2osp(x: bigint, length: number): Uint8Array {
  const hex = x.toString(16).padStart(length * 2, "0");
  if (hex.length > length * 2) throw new Error("integer too large");
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

// ---- DER: just enough to read an RSA PKCS #8 private key (RFC 5208, RFC 8017 A.1.2) -------------

const RSA_ENCRYPTION_OID = Uint8Array.from([0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01]);

interface Tlv {
  tag: number;
  start: number;
  end: number;
}

function readTlv(der: Uint8Array, offset: number, limit: number): Tlv {
  if (offset + 2 > limit) throw new Error("truncated DER");
  const tag = der[offset]!;
  let length = der[offset + 1]!;
  let start = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4 || start + count > limit) throw new Error("bad DER length");
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + der[start + i]!;
    start += count;
  }
  const end = start + length;
  if (end > limit) throw new Error("truncated DER");
  return { tag, start, end };
}

function expectTag(tlv: Tlv, tag: number): Tlv {
  if (tlv.tag !== tag) throw new Error("unexpected DER tag");
  return tlv;
}

/** @throws Error when `der` is not an RSA PKCS #8 PrivateKeyInfo. */
function parsePkcs8RsaKey(der: Uint8Array): RsaPrivateKey {
  const outer = expectTag(readTlv(der, 0, der.length), 0x30);
  const version = expectTag(readTlv(der, outer.start, outer.end), 0x02);
  const algorithm = expectTag(readTlv(der, version.end, outer.end), 0x30);
  const oid = expectTag(readTlv(der, algorithm.start, algorithm.end), 0x06);
  const oidBytes = der.subarray(oid.start, oid.end);
  if (oidBytes.length !== RSA_ENCRYPTION_OID.length || oidBytes.some((b, i) => b !== RSA_ENCRYPTION_OID[i])) {
    throw new Error("not an RSA key");
  }
  const octets = expectTag(readTlv(der, algorithm.end, outer.end), 0x04);
  const rsa = expectTag(readTlv(der, octets.start, octets.end), 0x30);
  const ints: bigint[] = [];
  let at = rsa.start;
  for (let i = 0; i < 9; i++) {
    const int = expectTag(readTlv(der, at, rsa.end), 0x02);
    ints.push(os2ip(der.subarray(int.start, int.end)));
    at = int.end;
  }
  const [, n, e, d, p, q, dp, dq, qinv] = ints as [bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint];
  return { n, e, d, p, q, dp, dq, qinv, k: Math.ceil(n.toString(2).length / 8) };
}
