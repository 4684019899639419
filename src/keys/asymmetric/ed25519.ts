/**
 * Ed25519 keys of KMS keys (ECC_NIST_EDWARDS25519, SIGN_VERIFY): ED25519_SHA_512 (pure Ed25519,
 * RFC 8032 §5.1, MessageType RAW) through the platform's WebCrypto, and ED25519_PH_SHA_512
 * (Ed25519ph, RFC 8032 §5.1 with PH = SHA-512, MessageType DIGEST) through @noble/curves, which
 * WebCrypto lacks. As AWS documents it, for ED25519_PH_SHA_512 the 64-byte digest the caller sends
 * is itself hashed with SHA-512 as Ed25519ph's PH step ("the input is hashed twice").
 *
 * Keys: PKCS #8 (RFC 8410: OID 1.3.101.112, the 32-byte seed) and SubjectPublicKeyInfo, exactly as
 * WebCrypto exports them; the noble path reads the seed and the point at their fixed offsets.
 *
 * Security: the seed is wiped after each noble call.
 */
import { subtle } from "../../crypto/subtle.ts";
import { ed25519, ed25519ph } from "@noble/curves/ed25519.js";
import { afterPrefix } from "./der.ts";
import type { KeyPairBytes } from "./rsa.ts";

// RFC 8410 §10.3 and §10.1: the fixed prefixes of a 32-byte Ed25519 private key and public key.
const PKCS8_PREFIX = Uint8Array.of(0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20);
const SPKI_PREFIX = Uint8Array.of(0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00);

export async function generateEd25519(): Promise<KeyPairBytes> {
  const pair = (await subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"])) as CryptoKeyPair;
  return {
    privateKey: new Uint8Array((await subtle.exportKey("pkcs8", pair.privateKey)) as ArrayBuffer),
    publicKey: new Uint8Array((await subtle.exportKey("spki", pair.publicKey)) as ArrayBuffer),
  };
}

export async function ed25519Sign(privateKey: Uint8Array, message: Uint8Array, prehash: boolean): Promise<Uint8Array> {
  if (prehash) {
    const seed = afterPrefix(privateKey, PKCS8_PREFIX, 32);
    try {
      return ed25519ph.sign(message, seed);
    } finally {
      seed.fill(0);
    }
  }
  const key = await subtle.importKey("pkcs8", privateKey, { name: "Ed25519" }, false, ["sign"]);
  return new Uint8Array(await subtle.sign({ name: "Ed25519" }, key, message));
}

export async function ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array, prehash: boolean): Promise<boolean> {
  if (signature.length !== 64) return false;
  if (prehash) {
    try {
      return ed25519ph.verify(signature, message, afterPrefix(publicKey, SPKI_PREFIX, 32));
    } catch {
      return false;
    }
  }
  const key = await subtle.importKey("spki", publicKey, { name: "Ed25519" }, false, ["verify"]);
  try {
    return await subtle.verify({ name: "Ed25519" }, key, signature, message);
  } catch {
    return false;
  }
}

/** The SubjectPublicKeyInfo of an RFC 8410 PKCS #8 private key (a seeded key's). @throws Error for any other layout */
export function ed25519PublicKeyOf(privateKey: Uint8Array): Uint8Array {
  const seed = afterPrefix(privateKey, PKCS8_PREFIX, 32);
  try {
    const point = ed25519.getPublicKey(seed);
    const out = new Uint8Array(SPKI_PREFIX.length + point.length);
    out.set(SPKI_PREFIX);
    out.set(point, SPKI_PREFIX.length);
    return out;
  } finally {
    seed.fill(0);
  }
}
