/**
 * ML-DSA keys of KMS keys (ML_DSA_44/65/87, SIGN_VERIFY, algorithm ML_DSA_SHAKE_256) through
 * @noble/post-quantum — WebCrypto has no ML-DSA in workerd or Deno.
 *
 * Spec: FIPS 204. MessageType RAW signs the message with pure ML-DSA and an empty context
 * (ML-DSA.Sign, §5.2); EXTERNAL_MU signs a caller-computed 64-byte μ (the representative of
 * §6.2 step 6, FIPS 204's "external μ"), skipping the hashing of the public key and message.
 * Keys: the private key is kept as its 32-byte seed ξ in PKCS #8 (seed form of
 * draft-ietf-lamps-dilithium-certificates: [0] IMPLICIT OCTET STRING), from which the key pair is
 * re-derived per call; the public key is SubjectPublicKeyInfo with the id-ml-dsa-* OID.
 *
 * Security: the seed and the expanded secret key are wiped after each call. Signing is hedged
 * (fresh randomness), as FIPS 204 recommends.
 */
import { ml_dsa44, ml_dsa65, ml_dsa87 } from "@noble/post-quantum/ml-dsa.js";
import { afterPrefix, OID, pkcs8, prefixOf, spki, tlv } from "./der.ts";
import type { KeyPairBytes } from "./rsa.ts";

export type MlDsaSpec = "ML_DSA_44" | "ML_DSA_65" | "ML_DSA_87";

const PARAMS = {
  ML_DSA_44: { dsa: ml_dsa44, oid: OID.mlDsa44 },
  ML_DSA_65: { dsa: ml_dsa65, oid: OID.mlDsa65 },
  ML_DSA_87: { dsa: ml_dsa87, oid: OID.mlDsa87 },
} as const;

const SEED_BYTES = 32;
const MU_BYTES = 64;

function encodePrivate(spec: MlDsaSpec, seed: Uint8Array): Uint8Array {
  return pkcs8([PARAMS[spec].oid], tlv(0x80, seed));
}

export function mlDsaPublicKey(spec: MlDsaSpec, raw: Uint8Array): Uint8Array {
  return spki([PARAMS[spec].oid], raw);
}

function rawPublicKey(spec: MlDsaSpec, publicKey: Uint8Array): Uint8Array {
  const size = PARAMS[spec].dsa.lengths.publicKey!;
  return afterPrefix(
    publicKey,
    prefixOf((k) => mlDsaPublicKey(spec, k), size),
    size,
  );
}

export function generateMlDsa(spec: MlDsaSpec): KeyPairBytes {
  const seed = crypto.getRandomValues(new Uint8Array(SEED_BYTES));
  const { publicKey, secretKey } = PARAMS[spec].dsa.keygen(seed);
  secretKey.fill(0);
  try {
    return { privateKey: encodePrivate(spec, seed), publicKey: mlDsaPublicKey(spec, publicKey) };
  } finally {
    seed.fill(0);
  }
}

/** Signs `message` (RAW) or a 64-byte μ (`externalMu`). */
export function mlDsaSign(spec: MlDsaSpec, privateKey: Uint8Array, message: Uint8Array, externalMu: boolean): Uint8Array {
  const { dsa } = PARAMS[spec];
  const seed = afterPrefix(
    privateKey,
    prefixOf((s) => encodePrivate(spec, s), SEED_BYTES),
    SEED_BYTES,
  );
  const { secretKey } = dsa.keygen(seed);
  try {
    return externalMu ? dsa.internal.sign(message, secretKey, { externalMu: true }) : dsa.sign(message, secretKey);
  } finally {
    seed.fill(0);
    secretKey.fill(0);
  }
}

export function mlDsaVerify(
  spec: MlDsaSpec,
  publicKey: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
  externalMu: boolean,
): boolean {
  const { dsa } = PARAMS[spec];
  if (externalMu && message.length !== MU_BYTES) return false;
  try {
    const raw = rawPublicKey(spec, publicKey);
    return externalMu ? dsa.internal.verify(signature, message, raw, { externalMu: true }) : dsa.verify(signature, message, raw);
  } catch {
    return false;
  }
}

/** The SubjectPublicKeyInfo of a private key in this module's PKCS #8 (a seeded key's). @throws Error for any other layout */
export function mlDsaPublicKeyOf(spec: MlDsaSpec, privateKey: Uint8Array): Uint8Array {
  const seed = afterPrefix(
    privateKey,
    prefixOf((s) => encodePrivate(spec, s), SEED_BYTES),
    SEED_BYTES,
  );
  const { publicKey, secretKey } = PARAMS[spec].dsa.keygen(seed);
  seed.fill(0);
  secretKey.fill(0);
  return mlDsaPublicKey(spec, publicKey);
}
