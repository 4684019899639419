/**
 * ML-KEM keys of KMS keys (ML_KEM_512/768/1024, ENCAPSULATE_DECAPSULATE, algorithm ML_KEM) and of
 * data key pairs, through @noble/post-quantum — WebCrypto has no ML-KEM in workerd or Deno.
 *
 * Spec: FIPS 203 (ML-KEM.KeyGen_internal from the 64-byte seed d‖z, Encaps, Decaps). Keys: the
 * private key as its 64-byte seed in PKCS #8 (seed form of draft-ietf-lamps-kyber-certificates:
 * [0] IMPLICIT OCTET STRING), the public key as SubjectPublicKeyInfo with the id-alg-ml-kem-* OID.
 * Decapsulation never fails on a wrong ciphertext of the right length (implicit rejection, FIPS 203
 * §6.3): it yields an unrelated secret, as the standard requires.
 *
 * Security: the seed and the expanded decapsulation key are wiped after each call.
 */
import { ml_kem512, ml_kem768, ml_kem1024 } from "@noble/post-quantum/ml-kem.js";
import { afterPrefix, OID, pkcs8, prefixOf, spki, tlv } from "./der.ts";
import type { KeyPairBytes } from "./rsa.ts";

export type MlKemSpec = "ML_KEM_512" | "ML_KEM_768" | "ML_KEM_1024";

const PARAMS = {
  ML_KEM_512: { kem: ml_kem512, oid: OID.mlKem512 },
  ML_KEM_768: { kem: ml_kem768, oid: OID.mlKem768 },
  ML_KEM_1024: { kem: ml_kem1024, oid: OID.mlKem1024 },
} as const;

const SEED_BYTES = 64;

function encodePrivate(spec: MlKemSpec, seed: Uint8Array): Uint8Array {
  return pkcs8([PARAMS[spec].oid], tlv(0x80, seed));
}

function encodePublic(spec: MlKemSpec, raw: Uint8Array): Uint8Array {
  return spki([PARAMS[spec].oid], raw);
}

export function generateMlKem(spec: MlKemSpec): KeyPairBytes {
  const seed = crypto.getRandomValues(new Uint8Array(SEED_BYTES));
  const { publicKey, secretKey } = PARAMS[spec].kem.keygen(seed);
  secretKey.fill(0);
  try {
    return { privateKey: encodePrivate(spec, seed), publicKey: encodePublic(spec, publicKey) };
  } finally {
    seed.fill(0);
  }
}

export function ciphertextLength(spec: MlKemSpec): number {
  return PARAMS[spec].kem.lengths.cipherText!;
}

/** A fresh shared secret and its ciphertext under the key's public key. */
export function mlKemEncapsulate(spec: MlKemSpec, publicKey: Uint8Array): { sharedSecret: Uint8Array; ciphertext: Uint8Array } {
  const { kem } = PARAMS[spec];
  const size = kem.lengths.publicKey!;
  const raw = afterPrefix(
    publicKey,
    prefixOf((k) => encodePublic(spec, k), size),
    size,
  );
  const { cipherText, sharedSecret } = kem.encapsulate(raw);
  return { sharedSecret, ciphertext: cipherText };
}

/** The shared secret of `ciphertext` (which the caller checked has the right length). */
export function mlKemDecapsulate(spec: MlKemSpec, privateKey: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  const { kem } = PARAMS[spec];
  const seed = afterPrefix(
    privateKey,
    prefixOf((s) => encodePrivate(spec, s), SEED_BYTES),
    SEED_BYTES,
  );
  const { secretKey } = kem.keygen(seed);
  try {
    return kem.decapsulate(ciphertext, secretKey);
  } finally {
    seed.fill(0);
    secretKey.fill(0);
  }
}

/** The SubjectPublicKeyInfo of a private key in this module's PKCS #8 (a seeded key's). @throws Error for any other layout */
export function mlKemPublicKeyOf(spec: MlKemSpec, privateKey: Uint8Array): Uint8Array {
  const seed = afterPrefix(
    privateKey,
    prefixOf((s) => encodePrivate(spec, s), SEED_BYTES),
    SEED_BYTES,
  );
  const { publicKey, secretKey } = PARAMS[spec].kem.keygen(seed);
  seed.fill(0);
  secretKey.fill(0);
  return encodePublic(spec, publicKey);
}
