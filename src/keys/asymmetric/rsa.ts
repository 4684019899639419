/**
 * RSA key pairs of KMS keys (RSA_2048, RSA_3072, RSA_4096), all through the platform's WebCrypto:
 * RSASSA-PSS and RSASSA-PKCS1-v1_5 signatures with SHA-256/384/512, and RSAES-OAEP with SHA-1 or
 * SHA-256 (MGF1 with the same hash, empty label) — the algorithms AWS KMS offers.
 *
 * Spec: RFC 8017. PSS salt length equals the hash length, as AWS KMS signs. Keys are stored as
 * PKCS #8 and published as SubjectPublicKeyInfo (rsaEncryption, e = 65537), exactly what
 * WebCrypto exports.
 *
 * WebCrypto hashes the message itself, so MessageType DIGEST (a precomputed hash) is signed and
 * verified by rsa-digest.ts instead, with the platform's RSA primitives.
 *
 * Security: private keys are imported non-extractable for one operation and dropped.
 */
import { subtle } from "../../crypto/subtle.ts";
import { INTEGER, SEQUENCE, spki, tlv } from "./der.ts";
import type { EncryptionAlgorithmSpec, SigningAlgorithmSpec } from "../../protocol/enums.ts";

export interface KeyPairBytes {
  /** PKCS #8 PrivateKeyInfo. */
  privateKey: Uint8Array;
  /** SubjectPublicKeyInfo. */
  publicKey: Uint8Array;
}

type RsaParams = { name: string; hash: string };

const HASH = { 256: "SHA-256", 384: "SHA-384", 512: "SHA-512" } as const;

function signingParams(algorithm: SigningAlgorithmSpec): { params: RsaParams; saltLength: number } {
  const bits = Number(algorithm.slice(-3)) as 256 | 384 | 512;
  const name = algorithm.startsWith("RSASSA_PSS") ? "RSA-PSS" : "RSASSA-PKCS1-v1_5";
  return { params: { name, hash: HASH[bits] }, saltLength: bits / 8 };
}

function oaepParams(algorithm: EncryptionAlgorithmSpec): RsaParams {
  return { name: "RSA-OAEP", hash: algorithm === "RSAES_OAEP_SHA_1" ? "SHA-1" : "SHA-256" };
}

export async function generateRsa(modulusBits: number): Promise<KeyPairBytes> {
  const pair = (await subtle.generateKey(
    { name: "RSA-PSS", modulusLength: modulusBits, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
    true,
    ["sign", "verify"],
  )) as CryptoKeyPair;
  return {
    privateKey: new Uint8Array((await subtle.exportKey("pkcs8", pair.privateKey)) as ArrayBuffer),
    publicKey: new Uint8Array((await subtle.exportKey("spki", pair.publicKey)) as ArrayBuffer),
  };
}

export async function rsaSign(algorithm: SigningAlgorithmSpec, privateKey: Uint8Array, message: Uint8Array): Promise<Uint8Array> {
  const { params, saltLength } = signingParams(algorithm);
  const key = await subtle.importKey("pkcs8", privateKey, params, false, ["sign"]);
  return new Uint8Array(await subtle.sign({ name: params.name, saltLength }, key, message));
}

export async function rsaVerify(
  algorithm: SigningAlgorithmSpec,
  publicKey: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
): Promise<boolean> {
  const { params, saltLength } = signingParams(algorithm);
  const key = await subtle.importKey("spki", publicKey, params, false, ["verify"]);
  return subtle.verify({ name: params.name, saltLength }, key, signature, message);
}

export async function rsaEncrypt(algorithm: EncryptionAlgorithmSpec, publicKey: Uint8Array, plaintext: Uint8Array): Promise<Uint8Array> {
  const key = await subtle.importKey("spki", publicKey, oaepParams(algorithm), false, ["encrypt"]);
  return new Uint8Array(await subtle.encrypt({ name: "RSA-OAEP" }, key, plaintext));
}

/** The plaintext, or undefined when the ciphertext does not decrypt (every failure alike). */
export async function rsaDecrypt(
  algorithm: EncryptionAlgorithmSpec,
  privateKey: Uint8Array,
  ciphertext: Uint8Array,
): Promise<Uint8Array | undefined> {
  const key = await subtle.importKey("pkcs8", privateKey, oaepParams(algorithm), false, ["decrypt"]);
  try {
    return new Uint8Array(await subtle.decrypt({ name: "RSA-OAEP" }, key, ciphertext));
  } catch {
    return undefined;
  }
}

/**
 * The SubjectPublicKeyInfo of an RSA PKCS #8 private key of `modulusBits` bits (a seeded key's).
 * @throws Error for a key that is not RSA or has another modulus size
 */
export async function rsaPublicKeyOf(privateKey: Uint8Array, modulusBits: number): Promise<Uint8Array> {
  const params = { name: "RSA-PSS", hash: "SHA-256" };
  const key = await subtle.importKey("pkcs8", privateKey, params, true, ["sign"]);
  if ((key.algorithm as { modulusLength?: number }).modulusLength !== modulusBits) throw new Error("RSA modulus of another size");
  const { n, e } = await subtle.exportKey("jwk", key);
  // RFC 8017 A.1.1 RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }, in an
  // RFC 5280 SubjectPublicKeyInfo with rsaEncryption and NULL parameters, as WebCrypto exports it.
  const integer = (base64url: string | undefined) => {
    const bytes = Uint8Array.from(atob((base64url ?? "").replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));
    return tlv(INTEGER, (bytes[0]! & 0x80) === 0 ? bytes : Uint8Array.of(0, ...bytes));
  };
  return spki([RSA_ENCRYPTION, Uint8Array.of(0x05, 0x00)], tlv(SEQUENCE, integer(n), integer(e)));
}

/** 1.2.840.113549.1.1.1 rsaEncryption. */
const RSA_ENCRYPTION = Uint8Array.of(0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01);
