/**
 * Elliptic-curve keys of KMS keys: ECDSA on P-256, P-384 and P-521 (ECC_NIST_*) and on secp256k1
 * (ECC_SECG_P256K1), and the NIST curves' key pairs for ECDH (key-agreement.ts).
 *
 * Spec: FIPS 186-5 ECDSA with the curve's hash (P-256/secp256k1: SHA-256, P-384: SHA-384,
 * P-521: SHA-512); signatures are DER `Ecdsa-Sig-Value` (RFC 3279 §2.2.3), as AWS KMS returns them;
 * keys are SubjectPublicKeyInfo (RFC 5480, uncompressed point) and PKCS #8 (RFC 5915 inside).
 *
 * Which implementation: the platform's WebCrypto for the NIST curves when KMS hashes the message
 * (MessageType RAW); @noble/curves (audited, constant-time scalar multiplication) where WebCrypto
 * has nothing — secp256k1, and signing a digest the caller computed (MessageType DIGEST), which
 * WebCrypto's ECDSA cannot take. Signatures are accepted only in canonical DER: a signature is
 * parsed and re-encoded, and must come back byte for byte (Wycheproof's BER and padding cases).
 * High-S signatures are valid, as in OpenSSL and AWS KMS.
 *
 * Security: private keys are imported for one operation; raw scalars (noble paths) are wiped after.
 */
import { subtle } from "../../crypto/subtle.ts";
import { p256, p384, p521 } from "@noble/curves/nist.js";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { bytesEqual } from "../../bytes.ts";
import { afterPrefix, BIT_STRING, INTEGER, OCTET_STRING, OID, pkcs8, prefixOf, SEQUENCE, spki, tlv } from "./der.ts";
import type { KeyPairBytes } from "./rsa.ts";

export type EcCurve = "P-256" | "P-384" | "P-521" | "secp256k1";

const NOBLE = { "P-256": p256, "P-384": p384, "P-521": p521, secp256k1 } as const;
const HASH = { "P-256": "SHA-256", "P-384": "SHA-384", "P-521": "SHA-512", secp256k1: "SHA-256" } as const;

export function curveOf(spec: string): EcCurve | undefined {
  return ({ ECC_NIST_P256: "P-256", ECC_NIST_P384: "P-384", ECC_NIST_P521: "P-521", ECC_SECG_P256K1: "secp256k1" } as const)[
    spec as "ECC_NIST_P256"
  ];
}

// ---- secp256k1 encodings (WebCrypto cannot export them) ------------------------------------------

const K1_ALGORITHM = [OID.ecPublicKey, OID.secp256k1];

function k1Spki(point: Uint8Array): Uint8Array {
  return spki(K1_ALGORITHM, point);
}

/** PKCS #8 holding RFC 5915 ECPrivateKey { version 1, privateKey, [1] publicKey }, as OpenSSL writes it. */
function k1Encode(scalar: Uint8Array, point: Uint8Array): Uint8Array {
  const ecPrivateKey = tlv(
    SEQUENCE,
    tlv(INTEGER, Uint8Array.of(1)),
    tlv(OCTET_STRING, scalar),
    tlv(0xa1, tlv(BIT_STRING, Uint8Array.of(0), point)),
  );
  return pkcs8(K1_ALGORITHM, ecPrivateKey);
}

function k1Pkcs8(scalar: Uint8Array): Uint8Array {
  return k1Encode(scalar, secp256k1.getPublicKey(scalar, false));
}

/** Everything before the scalar, and the length of the whole, in k1Encode's fixed layout. */
const K1_SAMPLE = k1Encode(new Uint8Array(32), new Uint8Array(65));
const K1_PKCS8_PREFIX = K1_SAMPLE.slice(0, K1_SAMPLE.length - 32 - 70);

/** The scalar of a PKCS #8 written by k1Encode. @throws Error for any other layout. */
function k1Scalar(privateKey: Uint8Array): Uint8Array {
  if (privateKey.length !== K1_SAMPLE.length) throw new Error("unexpected secp256k1 PKCS #8");
  return afterPrefix(privateKey.slice(0, K1_PKCS8_PREFIX.length + 32), K1_PKCS8_PREFIX, 32);
}

const K1_SPKI_PREFIX = prefixOf(k1Spki, 65);

function k1Point(publicKey: Uint8Array): Uint8Array {
  return afterPrefix(publicKey, K1_SPKI_PREFIX, 65);
}

// ---- NIST curves: raw scalars and points out of WebCrypto's encodings ----------------------------

function fromBase64Url(text: string): Uint8Array {
  const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
  return Uint8Array.from(atob(base64 + "=".repeat((4 - (base64.length % 4)) % 4)), (c) => c.charCodeAt(0));
}

async function nistScalar(curve: EcCurve, privateKey: Uint8Array): Promise<Uint8Array> {
  const key = await subtle.importKey("pkcs8", privateKey, { name: "ECDSA", namedCurve: curve }, true, ["sign"]);
  const jwk = (await subtle.exportKey("jwk", key)) as JsonWebKey;
  return fromBase64Url(jwk.d!);
}

async function nistPoint(curve: EcCurve, publicKey: Uint8Array): Promise<Uint8Array> {
  const key = await subtle.importKey("spki", publicKey, { name: "ECDSA", namedCurve: curve }, true, ["verify"]);
  return new Uint8Array((await subtle.exportKey("raw", key)) as ArrayBuffer);
}

// ---- the operations ------------------------------------------------------------------------------

/** A new key pair on `curve` (the same encodings serve ECDSA and ECDH keys). */
export async function generateEc(curve: EcCurve): Promise<KeyPairBytes> {
  if (curve === "secp256k1") {
    const scalar = secp256k1.utils.randomSecretKey();
    try {
      return { privateKey: k1Pkcs8(scalar), publicKey: k1Spki(secp256k1.getPublicKey(scalar, false)) };
    } finally {
      scalar.fill(0);
    }
  }
  const pair = (await subtle.generateKey({ name: "ECDSA", namedCurve: curve }, true, ["sign", "verify"])) as CryptoKeyPair;
  return {
    privateKey: new Uint8Array((await subtle.exportKey("pkcs8", pair.privateKey)) as ArrayBuffer),
    publicKey: new Uint8Array((await subtle.exportKey("spki", pair.publicKey)) as ArrayBuffer),
  };
}

/**
 * Signs `message` (hashed here with the curve's hash) or, when `prehashed`, the caller's digest of
 * it. Returns a DER signature.
 */
export async function ecdsaSign(curve: EcCurve, privateKey: Uint8Array, message: Uint8Array, prehashed: boolean): Promise<Uint8Array> {
  const noble = NOBLE[curve];
  if (curve !== "secp256k1" && !prehashed) {
    const key = await subtle.importKey("pkcs8", privateKey, { name: "ECDSA", namedCurve: curve }, false, ["sign"]);
    const raw = new Uint8Array(await subtle.sign({ name: "ECDSA", hash: HASH[curve] }, key, message));
    return noble.Signature.fromBytes(raw, "compact").toBytes("der");
  }
  const scalar = curve === "secp256k1" ? k1Scalar(privateKey) : await nistScalar(curve, privateKey);
  try {
    return noble.sign(message, scalar, { prehash: !prehashed, lowS: false, format: "der" });
  } finally {
    scalar.fill(0);
  }
}

/** True when `signature` is a canonical DER ECDSA signature of `message` (or of the digest) under the key. */
export async function ecdsaVerify(
  curve: EcCurve,
  publicKey: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
  prehashed: boolean,
): Promise<boolean> {
  const noble = NOBLE[curve];
  let compact: Uint8Array;
  try {
    const parsed = noble.Signature.fromBytes(signature, "der");
    if (!bytesEqual(parsed.toBytes("der"), signature)) return false;
    compact = parsed.toBytes("compact");
  } catch {
    return false;
  }
  if (curve !== "secp256k1" && !prehashed) {
    const key = await subtle.importKey("spki", publicKey, { name: "ECDSA", namedCurve: curve }, false, ["verify"]);
    return subtle.verify({ name: "ECDSA", hash: HASH[curve] }, key, compact, message);
  }
  const point = curve === "secp256k1" ? k1Point(publicKey) : await nistPoint(curve, publicKey);
  try {
    return noble.verify(compact, message, point, { prehash: !prehashed, lowS: false, format: "compact" });
  } catch {
    return false;
  }
}

/** For tests and data key pairs: a secp256k1 PKCS #8 from a raw scalar. */
export function secp256k1Pkcs8(scalar: Uint8Array): Uint8Array {
  return k1Pkcs8(scalar);
}

/**
 * The SubjectPublicKeyInfo of a PKCS #8 private key on `curve` (a seeded key's): computed from the
 * private scalar, never taken from the optional public key inside the PKCS #8. A secp256k1 key must
 * be in the layout OpenSSL writes (and this module does) with its matching public point.
 * @throws Error for a key that is not one of `curve`
 */
export async function ecPublicKeyOf(curve: EcCurve, privateKey: Uint8Array): Promise<Uint8Array> {
  if (curve === "secp256k1") {
    const scalar = k1Scalar(privateKey);
    try {
      if (!bytesEqual(k1Pkcs8(scalar), privateKey)) throw new Error("secp256k1 PKCS #8 whose public key does not match");
      return k1Spki(secp256k1.getPublicKey(scalar, false));
    } finally {
      scalar.fill(0);
    }
  }
  const scalar = await nistScalar(curve, privateKey);
  try {
    return spkiOfPoint(curve, NOBLE[curve].getPublicKey(scalar, false));
  } finally {
    scalar.fill(0);
  }
}

async function spkiOfPoint(curve: Exclude<EcCurve, "secp256k1">, point: Uint8Array): Promise<Uint8Array> {
  const key = await subtle.importKey("raw", point, { name: "ECDSA", namedCurve: curve }, true, ["verify"]);
  return new Uint8Array((await subtle.exportKey("spki", key)) as ArrayBuffer);
}
