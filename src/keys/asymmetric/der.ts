/**
 * The few DER structures EdgeKMS writes itself: SubjectPublicKeyInfo (RFC 5280 §4.1) and PKCS #8
 * PrivateKeyInfo (RFC 5208) for the key types WebCrypto cannot export — secp256k1 (RFC 5480 /
 * RFC 5915), ML-DSA (draft-ietf-lamps-dilithium-certificates) and ML-KEM
 * (draft-ietf-lamps-kyber-certificates) — plus the matching readers for exactly the structures
 * written here.
 *
 * Why hand-written: these are fixed-layout TLVs with constant OIDs and fixed key lengths, so a
 * writer is a dozen lines and a reader is "check the known prefix, take the rest"; an ASN.1 library
 * would be a dependency for that. No number is interpreted here. Peer public keys from clients
 * (DeriveSharedSecret) are parsed by WebCrypto's SPKI import, not here.
 */
import { concatBytes } from "../../bytes.ts";

function length(n: number): Uint8Array {
  if (n < 0x80) return Uint8Array.of(n);
  const bytes: number[] = [];
  for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

export function tlv(tag: number, ...content: Uint8Array[]): Uint8Array {
  const body = concatBytes(...content);
  return concatBytes(Uint8Array.of(tag), length(body.length), body);
}

const SEQUENCE = 0x30;
const INTEGER = 0x02;
const BIT_STRING = 0x03;
const OCTET_STRING = 0x04;

/** OIDs as their DER encodings (tag 06 included). */
export const OID = {
  ecPublicKey: Uint8Array.of(0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01), // 1.2.840.10045.2.1
  secp256k1: Uint8Array.of(0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x0a), // 1.3.132.0.10
  mlDsa44: Uint8Array.of(0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x03, 0x11), // 2.16.840.1.101.3.4.3.17
  mlDsa65: Uint8Array.of(0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x03, 0x12),
  mlDsa87: Uint8Array.of(0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x03, 0x13),
  mlKem512: Uint8Array.of(0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x04, 0x01), // 2.16.840.1.101.3.4.4.1
  mlKem768: Uint8Array.of(0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x04, 0x02),
  mlKem1024: Uint8Array.of(0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x04, 0x03),
} as const;

/** SubjectPublicKeyInfo ::= SEQUENCE { algorithm AlgorithmIdentifier, subjectPublicKey BIT STRING }. */
export function spki(algorithm: readonly Uint8Array[], publicKey: Uint8Array): Uint8Array {
  return tlv(SEQUENCE, tlv(SEQUENCE, ...algorithm), tlv(BIT_STRING, Uint8Array.of(0), publicKey));
}

/** PrivateKeyInfo ::= SEQUENCE { version 0, privateKeyAlgorithm, privateKey OCTET STRING }. */
export function pkcs8(algorithm: readonly Uint8Array[], privateKey: Uint8Array): Uint8Array {
  return tlv(SEQUENCE, tlv(INTEGER, Uint8Array.of(0)), tlv(SEQUENCE, ...algorithm), tlv(OCTET_STRING, privateKey));
}

/**
 * The bytes after `prefix` when `der` is `prefix` followed by exactly `size` bytes: the reader of
 * a structure whose only variable part is a fixed-length key at its end.
 * @throws Error when the layout differs (the caller maps it to its own error).
 */
export function afterPrefix(der: Uint8Array, prefix: Uint8Array, size: number): Uint8Array {
  if (der.length !== prefix.length + size) throw new Error("unexpected DER layout");
  for (let i = 0; i < prefix.length; i++) if (der[i] !== prefix[i]) throw new Error("unexpected DER layout");
  return der.slice(prefix.length);
}

/** The encoding of `build(key)` up to the key, for a key of `size` bytes (for `afterPrefix`). */
export function prefixOf(build: (key: Uint8Array) => Uint8Array, size: number): Uint8Array {
  const sample = build(new Uint8Array(size));
  return sample.slice(0, sample.length - size);
}

export { SEQUENCE, INTEGER, BIT_STRING, OCTET_STRING };
