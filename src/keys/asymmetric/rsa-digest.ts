/**
 * RSA signatures over a precomputed digest — Sign and Verify with MessageType DIGEST and an
 * RSASSA_* algorithm — which WebCrypto cannot make: its RSA sign and verify always hash the message
 * themselves. Spec: RFC 8017 §8.1 RSASSA-PSS with EMSA-PSS (§9.1; MGF1, §B.2.1; salt as long as the
 * hash, as AWS KMS signs) and §8.2 RSASSA-PKCS1-v1_5 with EMSA-PKCS1-v1_5 (§9.2).
 *
 * The work is split: this module only builds and checks encoded messages (hashing, MGF1, XOR and
 * the fixed DigestInfo prefixes — no arithmetic); the RSA primitives RSASP1 and RSAVP1 (modular
 * exponentiation, CRT, blinding) are the platform's, reached through the RsaPrimitives port (on
 * workerd, Deno and Node: node:crypto, worker/node-rsa.ts). EdgeKMS does no RSA arithmetic itself.
 *
 * PKCS #1 v1.5 verification re-encodes the digest and compares whole encoded messages, as RFC 8017
 * §8.2.2 recommends, instead of parsing what the signature opens to (parsing is where forgeries
 * such as Bleichenbacher's 2006 low-exponent attack live). A signature must be exactly k bytes and
 * below the modulus (§5.2.2 step 1): checked here, because not every platform's primitive checks it.
 *
 * Security: the private-key primitive only ever sees encodings this module built from a digest
 * (random-salted for PSS), never a representative chosen by a caller, so it cannot serve as a raw
 * RSA decryption oracle. Verification handles public data only.
 */
import { bytesEqual, concatBytes, fromHex } from "../../bytes.ts";
import { sha256, sha384, sha512 } from "../../crypto/hash.ts";
import { subtle } from "../../crypto/subtle.ts";
import type { SigningAlgorithmSpec } from "../../protocol/enums.ts";

/**
 * The platform's RSA primitives (RFC 8017 §5.2), on keys in the DER forms EdgeKMS stores. Each
 * takes and returns k-byte big-endian integers (k = the modulus length in bytes) and throws when it
 * cannot compute (a malformed key, an input the platform refuses).
 */
export interface RsaPrimitives {
  /** RSASP1: representative^d mod n, with the PKCS #8 private key. */
  signPrimitive(privateKeyPkcs8: Uint8Array, representative: Uint8Array): Uint8Array;
  /** RSAVP1: signature^e mod n, with the SubjectPublicKeyInfo public key. */
  verifyPrimitive(publicKeySpki: Uint8Array, signature: Uint8Array): Uint8Array;
}

interface Hash {
  name: "SHA-256" | "SHA-384" | "SHA-512";
  length: number;
  digest(data: Uint8Array): Uint8Array;
  /** DER of DigestInfo up to the digest's OCTET STRING contents (RFC 8017 §9.2 note 1). */
  digestInfoPrefix: Uint8Array;
}

const HASHES: Record<string, Hash> = {
  "256": { name: "SHA-256", length: 32, digest: sha256, digestInfoPrefix: fromHex("3031300d060960864801650304020105000420") },
  "384": { name: "SHA-384", length: 48, digest: sha384, digestInfoPrefix: fromHex("3041300d060960864801650304020205000430") },
  "512": { name: "SHA-512", length: 64, digest: sha512, digestInfoPrefix: fromHex("3051300d060960864801650304020305000440") },
};

function hashOf(algorithm: SigningAlgorithmSpec): Hash {
  const hash = HASHES[algorithm.slice(-3)];
  if (hash === undefined || !algorithm.startsWith("RSASSA_")) throw new Error(`not an RSA signing algorithm: ${algorithm}`);
  return hash;
}

const isPss = (algorithm: SigningAlgorithmSpec): boolean => algorithm.startsWith("RSASSA_PSS_");

/** MGF1 (RFC 8017 §B.2.1): Hash(seed || counter) for counter = 0, 1, … until maskLength bytes. */
function mgf1(hash: Hash, seed: Uint8Array, maskLength: number): Uint8Array {
  const mask = new Uint8Array(Math.ceil(maskLength / hash.length) * hash.length);
  const input = new Uint8Array(seed.length + 4);
  input.set(seed);
  for (let counter = 0; counter * hash.length < maskLength; counter++) {
    new DataView(input.buffer).setUint32(seed.length, counter);
    mask.set(hash.digest(input), counter * hash.length);
  }
  return mask.subarray(0, maskLength);
}

/** H = Hash(0x00 × 8 || mHash || salt) (§9.1.1 steps 5–6, §9.1.2 steps 12–13). */
function pssHash(hash: Hash, digest: Uint8Array, salt: Uint8Array): Uint8Array {
  return hash.digest(concatBytes(new Uint8Array(8), digest, salt));
}

/** EMSA-PSS-ENCODE (§9.1.1) of a digest, with sLen = hLen, into emLen = ⌈emBits/8⌉ bytes. */
function emsaPssEncode(hash: Hash, digest: Uint8Array, emBits: number): Uint8Array {
  const emLength = Math.ceil(emBits / 8);
  const hLen = hash.length;
  const sLen = hLen;
  if (emLength < hLen + sLen + 2) throw new Error("RSA modulus too short for EMSA-PSS"); // step 3
  const salt = crypto.getRandomValues(new Uint8Array(sLen)); // step 4
  const h = pssHash(hash, digest, salt); // steps 5–6
  const db = new Uint8Array(emLength - hLen - 1); // steps 7–8: PS || 0x01 || salt
  db[emLength - sLen - hLen - 2] = 0x01;
  db.set(salt, emLength - sLen - hLen - 1);
  const mask = mgf1(hash, h, db.length); // step 9
  for (let i = 0; i < db.length; i++) db[i]! ^= mask[i]!; // step 10
  db[0]! &= 0xff >>> (8 * emLength - emBits); // step 11
  return concatBytes(db, h, Uint8Array.of(0xbc)); // step 12
}

/** EMSA-PSS-VERIFY (§9.1.2) with sLen = hLen: whether `em` encodes `digest`. */
function emsaPssVerify(hash: Hash, digest: Uint8Array, em: Uint8Array, emBits: number): boolean {
  const hLen = hash.length;
  const sLen = hLen;
  const emLength = Math.ceil(emBits / 8);
  if (em.length !== emLength || emLength < hLen + sLen + 2) return false; // step 3
  if (em[emLength - 1] !== 0xbc) return false; // step 4
  const maskedDb = em.subarray(0, emLength - hLen - 1); // step 5
  const h = em.subarray(emLength - hLen - 1, emLength - 1);
  const topBits = 0xff << (8 - (8 * emLength - emBits));
  if ((maskedDb[0]! & topBits & 0xff) !== 0) return false; // step 6
  const mask = mgf1(hash, h, maskedDb.length); // step 7
  const db = maskedDb.map((b, i) => b ^ mask[i]!); // step 8
  db[0]! &= 0xff >>> (8 * emLength - emBits); // step 9
  const psLength = emLength - hLen - sLen - 2; // step 10
  for (let i = 0; i < psLength; i++) if (db[i] !== 0) return false;
  if (db[psLength] !== 0x01) return false;
  const salt = db.subarray(db.length - sLen); // step 11
  return bytesEqual(pssHash(hash, digest, salt), h); // steps 12–14
}

/** EMSA-PKCS1-v1_5-ENCODE (§9.2) of a digest: 0x00 0x01 0xFF… 0x00 || DigestInfo, emLen bytes. */
function emsaPkcs1Encode(hash: Hash, digest: Uint8Array, emLength: number): Uint8Array {
  const t = concatBytes(hash.digestInfoPrefix, digest); // steps 1–2
  if (emLength < t.length + 11) throw new Error("RSA modulus too short for EMSA-PKCS1-v1_5"); // step 3
  const em = new Uint8Array(emLength).fill(0xff); // steps 4–5
  em[0] = 0x00;
  em[1] = 0x01;
  em[emLength - t.length - 1] = 0x00;
  em.set(t, emLength - t.length);
  return em;
}

/** The modulus length in bits of a PKCS #8 RSA private key (from the imported key's algorithm; nothing secret leaves it). */
async function privateModulusBits(privateKey: Uint8Array): Promise<number> {
  const key = await subtle.importKey("pkcs8", privateKey, { name: "RSA-PSS", hash: "SHA-256" }, false, ["sign"]);
  return (key.algorithm as unknown as { modulusLength: number }).modulusLength;
}

/** The modulus n of an SPKI RSA public key, big-endian without leading zeros. */
async function publicModulus(publicKey: Uint8Array): Promise<Uint8Array> {
  const key = await subtle.importKey("spki", publicKey, { name: "RSA-PSS", hash: "SHA-256" }, true, ["verify"]);
  const jwk = await subtle.exportKey("jwk", key);
  const base64 = String(jwk.n).replace(/-/g, "+").replace(/_/g, "/");
  const n = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  const first = n.findIndex((b) => b !== 0);
  return first <= 0 ? n : n.subarray(first);
}

/** Whether the big-endian integers a < b, both of b's length. */
function lessThan(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) if (a[i] !== b[i]) return a[i]! < b[i]!;
  return false;
}

/**
 * RSASSA-PSS-SIGN (§8.1.1) or RSASSA-PKCS1-V1_5-SIGN (§8.2.1) of a digest of the algorithm's hash
 * (its length is checked by the caller, key-pairs.ts checkSigningMessage).
 * @throws Error when the platform's primitive fails (a malformed key): an internal error
 */
export async function rsaSignDigest(
  rsa: RsaPrimitives,
  algorithm: SigningAlgorithmSpec,
  privateKey: Uint8Array,
  digest: Uint8Array,
): Promise<Uint8Array> {
  const hash = hashOf(algorithm);
  if (digest.length !== hash.length) throw new Error("digest length does not match the signing algorithm");
  const modBits = await privateModulusBits(privateKey);
  const k = Math.ceil(modBits / 8);
  // PSS encodes into modBits − 1 bits, so EM may be one byte shorter than k (§8.1.1 step 1); as an
  // integer it is the same, so it is left-padded to the k bytes the primitive takes.
  const em = isPss(algorithm) ? emsaPssEncode(hash, digest, modBits - 1) : emsaPkcs1Encode(hash, digest, k);
  const representative = concatBytes(new Uint8Array(k - em.length), em);
  const signature = rsa.signPrimitive(privateKey, representative);
  if (signature.length !== k) throw new Error("RSA primitive returned a signature of the wrong length");
  return signature;
}

/**
 * RSASSA-PSS-VERIFY (§8.1.2) or RSASSA-PKCS1-V1_5-VERIFY (§8.2.2) of a signature over a digest.
 * Every malformed signature (wrong length, not below the modulus, refused by the platform) is
 * simply invalid.
 */
export async function rsaVerifyDigest(
  rsa: RsaPrimitives,
  algorithm: SigningAlgorithmSpec,
  publicKey: Uint8Array,
  digest: Uint8Array,
  signature: Uint8Array,
): Promise<boolean> {
  const hash = hashOf(algorithm);
  if (digest.length !== hash.length) return false;
  const n = await publicModulus(publicKey);
  const k = n.length;
  const modBits = 8 * k - Math.clz32(n[0]!) + 24;
  if (signature.length !== k || !lessThan(signature, n)) return false; // §8.x.2 step 1, §5.2.2 step 1
  let m: Uint8Array;
  try {
    m = rsa.verifyPrimitive(publicKey, signature);
  } catch {
    return false;
  }
  if (m.length !== k) return false;
  if (!isPss(algorithm)) return bytesEqual(m, emsaPkcs1Encode(hash, digest, k)); // §8.2.2 steps 2–4
  // §8.1.2 step 2c: EM = I2OSP(m, emLen), which fails if m does not fit in emLen bytes.
  const emLength = Math.ceil((modBits - 1) / 8);
  if (m.subarray(0, k - emLength).some((b) => b !== 0)) return false;
  return emsaPssVerify(hash, digest, m.subarray(k - emLength), modBits - 1);
}
