/**
 * ECDH key agreement for KMS keys of usage KEY_AGREEMENT (ECC_NIST_P256/P384/P521), through the
 * platform's WebCrypto: DeriveSharedSecret combines the key's private key with the peer's public
 * key and returns the raw shared secret (the x-coordinate, NIST SP 800-56A rev. 3 §5.7.1.2), as
 * AWS KMS does — no key derivation function is applied; the caller applies its own.
 *
 * The peer key arrives as DER SubjectPublicKeyInfo (RFC 5480). WebCrypto's SPKI import parses it
 * and checks that the point is on the curve; a key on another curve, a malformed structure, an
 * invalid point, a compressed point or explicit curve parameters are refused (undefined), never combined.
 */
import { subtle } from "../../crypto/subtle.ts";
import { bytesEqual } from "../../bytes.ts";
import type { EcCurve } from "./ecdsa.ts";

const SECRET_BITS = { "P-256": 256, "P-384": 384, "P-521": 528 } as const;

/** The peer key imported for `curve`, or undefined when it is not a valid public key on that curve. */
export async function importPeerKey(curve: Exclude<EcCurve, "secp256k1">, publicKey: Uint8Array): Promise<CryptoKey | undefined> {
  try {
    const key = await subtle.importKey("spki", publicKey, { name: "ECDH", namedCurve: curve }, true, []);
    // Only the named-curve, uncompressed encoding WebCrypto itself writes: explicit curve
    // parameters (a changed cofactor or generator) are refused even where the platform parses them.
    const canonical = new Uint8Array((await subtle.exportKey("spki", key)) as ArrayBuffer);
    return bytesEqual(canonical, publicKey) ? key : undefined;
  } catch {
    return undefined;
  }
}

/** The raw ECDH shared secret of the key (PKCS #8) and an imported peer key. */
export async function deriveSharedSecret(
  curve: Exclude<EcCurve, "secp256k1">,
  privateKey: Uint8Array,
  peer: CryptoKey,
): Promise<Uint8Array> {
  const key = await subtle.importKey("pkcs8", privateKey, { name: "ECDH", namedCurve: curve }, false, ["deriveBits"]);
  return new Uint8Array(await subtle.deriveBits({ name: "ECDH", public: peer }, key, SECRET_BITS[curve]));
}
