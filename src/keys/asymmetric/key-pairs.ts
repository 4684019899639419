/**
 * The asymmetric key pairs of KMS keys and data key pairs, by key spec: generation, and the
 * operations each family offers (sign/verify, RSA encrypt/decrypt, ECDH, ML-KEM), dispatched to
 * one module per family (rsa.ts, ecdsa.ts, ed25519.ts, ml-dsa.ts, ml-kem.ts, ecdh.ts). Also the
 * request rules that depend on the algorithm rather than the key: which MessageType each signing
 * algorithm takes and how long a digest or μ must be.
 *
 * Every private key is PKCS #8 DER and every public key SubjectPublicKeyInfo DER, whatever the
 * family, so storage (sealed under the root key), GetPublicKey and GenerateDataKeyPair treat them
 * alike.
 *
 * RSA with MessageType DIGEST goes to rsa-digest.ts, whose RSA primitives are the platform's
 * (the RsaPrimitives port): WebCrypto's RSA signatures always hash the message themselves.
 */
import { KmsError } from "../../protocol/errors.ts";
import type { SigningAlgorithmSpec } from "../../protocol/enums.ts";
import { DIGEST_LENGTH, rsaModulusBits } from "../key-specs.ts";
import { curveOf, ecdsaSign, ecdsaVerify, ecPublicKeyOf, generateEc } from "./ecdsa.ts";
import { ed25519PublicKeyOf, ed25519Sign, ed25519Verify, generateEd25519 } from "./ed25519.ts";
import { generateMlDsa, mlDsaPublicKeyOf, mlDsaSign, mlDsaVerify, type MlDsaSpec } from "./ml-dsa.ts";
import { generateMlKem, mlKemPublicKeyOf, type MlKemSpec } from "./ml-kem.ts";
import { generateRsa, rsaPublicKeyOf, rsaSign, rsaVerify, type KeyPairBytes } from "./rsa.ts";
import { rsaSignDigest, rsaVerifyDigest, type RsaPrimitives } from "./rsa-digest.ts";

export type { KeyPairBytes } from "./rsa.ts";
export type { RsaPrimitives } from "./rsa-digest.ts";
export type MessageType = "RAW" | "DIGEST" | "EXTERNAL_MU";

const ML_DSA = new Set(["ML_DSA_44", "ML_DSA_65", "ML_DSA_87"]);
const ML_KEM = new Set(["ML_KEM_512", "ML_KEM_768", "ML_KEM_1024"]);

/** A new key pair of `spec` (any asymmetric KeySpec or DataKeyPairSpec but SM2). */
export async function generateKeyPair(spec: string): Promise<KeyPairBytes> {
  const bits = rsaModulusBits(spec);
  if (bits !== undefined) return generateRsa(bits);
  const curve = curveOf(spec);
  if (curve !== undefined) return generateEc(curve);
  if (spec === "ECC_NIST_EDWARDS25519") return generateEd25519();
  if (ML_DSA.has(spec)) return generateMlDsa(spec as MlDsaSpec);
  if (ML_KEM.has(spec)) return generateMlKem(spec as MlKemSpec);
  throw new KmsError("UnsupportedOperationException", `KeySpec ${spec} is not supported by EdgeKMS.`);
}

/**
 * The public key (SubjectPublicKeyInfo) of a given private key (PKCS #8) of `spec`: how a seeded
 * key pair (src/seed/) gets its public half. Computed from the private key alone.
 * @throws Error when `privateKey` is not a private key of `spec` in the encoding this module uses
 */
export async function publicKeyOfPrivate(spec: string, privateKey: Uint8Array): Promise<Uint8Array> {
  const bits = rsaModulusBits(spec);
  if (bits !== undefined) return rsaPublicKeyOf(privateKey, bits);
  const curve = curveOf(spec);
  if (curve !== undefined) return ecPublicKeyOf(curve, privateKey);
  if (spec === "ECC_NIST_EDWARDS25519") return ed25519PublicKeyOf(privateKey);
  if (ML_DSA.has(spec)) return mlDsaPublicKeyOf(spec as MlDsaSpec, privateKey);
  if (ML_KEM.has(spec)) return mlKemPublicKeyOf(spec as MlKemSpec, privateKey);
  throw new Error(`no key pairs of ${spec}`);
}

function validation(message: string): KmsError {
  return new KmsError("ValidationException", message);
}

/**
 * Checks the message against the algorithm and MessageType, as AWS does before signing or
 * verifying: ED25519_SHA_512 takes RAW only, ED25519_PH_SHA_512 DIGEST only, EXTERNAL_MU is for
 * ML-DSA only (64 bytes), and a DIGEST must be exactly the algorithm's digest length.
 * @throws ValidationException
 */
export function checkSigningMessage(algorithm: SigningAlgorithmSpec, messageType: MessageType, message: Uint8Array): void {
  if (algorithm === "ED25519_SHA_512" && messageType !== "RAW") throw validation("ED25519_SHA_512 requires MessageType RAW.");
  if (algorithm === "ED25519_PH_SHA_512" && messageType !== "DIGEST") throw validation("ED25519_PH_SHA_512 requires MessageType DIGEST.");
  if (messageType === "EXTERNAL_MU") {
    if (algorithm !== "ML_DSA_SHAKE_256") throw validation(`MessageType EXTERNAL_MU is not valid for signing algorithm ${algorithm}.`);
    if (message.length !== 64) throw validation("The message for MessageType EXTERNAL_MU must be 64 bytes long.");
  }
  if (messageType === "DIGEST") {
    if (algorithm === "ML_DSA_SHAKE_256")
      throw validation("MessageType DIGEST is not valid for signing algorithm ML_DSA_SHAKE_256; use RAW or EXTERNAL_MU.");
    if (message.length !== DIGEST_LENGTH[algorithm]) throw validation(`Digest is invalid length for algorithm ${algorithm}.`);
  }
}

/** The signature of `message` (checked with checkSigningMessage) in AWS's encoding for the algorithm. */
export async function signMessage(
  spec: string,
  algorithm: SigningAlgorithmSpec,
  privateKey: Uint8Array,
  message: Uint8Array,
  messageType: MessageType,
  rsa: RsaPrimitives,
): Promise<Uint8Array> {
  if (algorithm.startsWith("RSASSA_")) {
    return messageType === "DIGEST" ? rsaSignDigest(rsa, algorithm, privateKey, message) : rsaSign(algorithm, privateKey, message);
  }
  const curve = curveOf(spec);
  if (curve !== undefined) return ecdsaSign(curve, privateKey, message, messageType === "DIGEST");
  if (spec === "ECC_NIST_EDWARDS25519") return ed25519Sign(privateKey, message, algorithm === "ED25519_PH_SHA_512");
  if (ML_DSA.has(spec)) return mlDsaSign(spec as MlDsaSpec, privateKey, message, messageType === "EXTERNAL_MU");
  throw new Error(`no signer for ${spec}`);
}

/** Whether `signature` is valid for `message` under the public key; malformed signatures are just invalid. */
export async function verifySignature(
  spec: string,
  algorithm: SigningAlgorithmSpec,
  publicKey: Uint8Array,
  message: Uint8Array,
  messageType: MessageType,
  signature: Uint8Array,
  rsa: RsaPrimitives,
): Promise<boolean> {
  if (algorithm.startsWith("RSASSA_")) {
    return messageType === "DIGEST"
      ? rsaVerifyDigest(rsa, algorithm, publicKey, message, signature)
      : rsaVerify(algorithm, publicKey, message, signature);
  }
  const curve = curveOf(spec);
  if (curve !== undefined) return ecdsaVerify(curve, publicKey, message, signature, messageType === "DIGEST");
  if (spec === "ECC_NIST_EDWARDS25519") return ed25519Verify(publicKey, message, signature, algorithm === "ED25519_PH_SHA_512");
  if (ML_DSA.has(spec)) return mlDsaVerify(spec as MlDsaSpec, publicKey, message, signature, messageType === "EXTERNAL_MU");
  throw new Error(`no verifier for ${spec}`);
}
