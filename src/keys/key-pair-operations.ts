/**
 * The operations of asymmetric and HMAC KMS keys, as the key actor runs them (src/keys/key-actor.ts
 * `useKey`): first `check` (usage, algorithm, message rules — before any material is unsealed),
 * then the operation with the unsealed private key or HMAC key, or with the stored public key.
 *
 * Spec: the API reference of Sign, Verify, GetPublicKey, GenerateMac, VerifyMac, Encrypt/Decrypt
 * with RSAES_OAEP_*, DeriveSharedSecret, Encapsulate and Decapsulate (@aws-sdk/client-kms).
 *
 * Security: material reaches these functions only for the call and is wiped by the caller; failures
 * to decrypt or decapsulate are one opaque InvalidCiphertextException; a failed Verify or VerifyMac
 * is KMSInvalidSignatureException / KMSInvalidMacException with no detail.
 */
import { KmsError } from "../protocol/errors.ts";
import type { EncryptionAlgorithmSpec, MacAlgorithmSpec, SigningAlgorithmSpec } from "../protocol/enums.ts";
import type { GetPublicKeyResponse } from "../protocol/shapes.ts";
import { deriveSharedSecret, importPeerKey } from "./asymmetric/ecdh.ts";
import { curveOf } from "./asymmetric/ecdsa.ts";
import { checkSigningMessage, signMessage, verifySignature, type MessageType, type RsaPrimitives } from "./asymmetric/key-pairs.ts";
import { ciphertextLength, mlKemDecapsulate, mlKemEncapsulate, type MlKemSpec } from "./asymmetric/ml-kem.ts";
import { rsaDecrypt, rsaEncrypt } from "./asymmetric/rsa.ts";
import { keySpecOf, type KeyRecord } from "./key-records.ts";
import { algorithmsOf, customerMasterKeySpecOf, isAsymmetricSpec, oaepPlaintextLimit } from "./key-specs.ts";
import { requireAlgorithm, requireUsage } from "./key-usage.ts";
import { hmac, verifyHmac } from "./mac.ts";

export interface SigningInput {
  algorithm: SigningAlgorithmSpec;
  messageType: MessageType;
  message: Uint8Array;
}

function publicKey(record: KeyRecord): Uint8Array {
  if (record.publicKey === undefined) throw new Error("asymmetric key without a public key");
  return record.publicKey;
}

function invalidCiphertext(): KmsError {
  return new KmsError("InvalidCiphertextException", "The ciphertext is invalid for this key.");
}

// ---- GetPublicKey --------------------------------------------------------------------------------

export function checkGetPublicKey(record: KeyRecord): void {
  if (!isAsymmetricSpec(keySpecOf(record))) {
    throw new KmsError("UnsupportedOperationException", `${record.arn} is not an asymmetric KMS key: it has no public key.`);
  }
}

export function publicKeyOf(record: KeyRecord): GetPublicKeyResponse {
  const keySpec = keySpecOf(record);
  const cmk = customerMasterKeySpecOf(keySpec);
  return {
    KeyId: record.arn,
    PublicKey: publicKey(record),
    ...(cmk === undefined ? {} : { CustomerMasterKeySpec: cmk }),
    KeySpec: keySpec,
    KeyUsage: record.keyUsage,
    ...algorithmsOf(keySpec, record.keyUsage),
  };
}

// ---- Sign and Verify -----------------------------------------------------------------------------

export function checkSigning(record: KeyRecord, operation: "Sign" | "Verify", input: SigningInput): void {
  requireUsage(record, "SIGN_VERIFY", operation);
  requireAlgorithm(record, "SigningAlgorithms", input.algorithm);
  checkSigningMessage(input.algorithm, input.messageType, input.message);
}

export function sign(record: KeyRecord, privateKey: Uint8Array, input: SigningInput, rsa: RsaPrimitives): Promise<Uint8Array> {
  return signMessage(keySpecOf(record), input.algorithm, privateKey, input.message, input.messageType, rsa);
}

/** @throws KMSInvalidSignatureException when the signature is not valid (AWS answers no `false`). */
export async function verify(record: KeyRecord, input: SigningInput, signature: Uint8Array, rsa: RsaPrimitives): Promise<true> {
  const spec = keySpecOf(record);
  if (!(await verifySignature(spec, input.algorithm, publicKey(record), input.message, input.messageType, signature, rsa))) {
    throw new KmsError("KMSInvalidSignatureException", "The signature is not valid for this message, key and signing algorithm.");
  }
  return true;
}

// ---- GenerateMac and VerifyMac -------------------------------------------------------------------

export function checkMac(record: KeyRecord, operation: "GenerateMac" | "VerifyMac", algorithm: MacAlgorithmSpec): void {
  requireUsage(record, "GENERATE_VERIFY_MAC", operation);
  requireAlgorithm(record, "MacAlgorithms", algorithm);
}

export function generateMac(key: Uint8Array, algorithm: MacAlgorithmSpec, message: Uint8Array): Promise<Uint8Array> {
  return hmac(algorithm, key, message);
}

/** @throws KMSInvalidMacException when the MAC does not match. */
export async function verifyMac(key: Uint8Array, algorithm: MacAlgorithmSpec, message: Uint8Array, mac: Uint8Array): Promise<true> {
  if (!(await verifyHmac(algorithm, key, message, mac))) {
    throw new KmsError("KMSInvalidMacException", "The MAC is not valid for this message, key and MAC algorithm.");
  }
  return true;
}

// ---- RSA encryption ------------------------------------------------------------------------------

export type RsaEncryptionAlgorithm = Extract<EncryptionAlgorithmSpec, "RSAES_OAEP_SHA_1" | "RSAES_OAEP_SHA_256">;

export function checkRsaEncryption(record: KeyRecord, operation: string, algorithm: EncryptionAlgorithmSpec): void {
  requireUsage(record, "ENCRYPT_DECRYPT", operation);
  requireAlgorithm(record, "EncryptionAlgorithms", algorithm);
}

/** @throws ValidationException when the plaintext exceeds what OAEP takes with this key. */
export function checkRsaPlaintext(record: KeyRecord, algorithm: RsaEncryptionAlgorithm, plaintext: Uint8Array): void {
  const limit = oaepPlaintextLimit(keySpecOf(record), algorithm);
  if (plaintext.length > limit) {
    throw new KmsError(
      "ValidationException",
      `Plaintext length ${plaintext.length} exceeds the maximum of ${limit} bytes for ${algorithm} with key spec ${keySpecOf(record)}.`,
    );
  }
}

export function rsaEncryptWith(record: KeyRecord, algorithm: RsaEncryptionAlgorithm, plaintext: Uint8Array): Promise<Uint8Array> {
  return rsaEncrypt(algorithm, publicKey(record), plaintext);
}

/** @throws InvalidCiphertextException for any ciphertext that does not decrypt. */
export async function rsaDecryptWith(
  privateKey: Uint8Array,
  algorithm: RsaEncryptionAlgorithm,
  ciphertext: Uint8Array,
): Promise<Uint8Array> {
  const plaintext = await rsaDecrypt(algorithm, privateKey, ciphertext);
  if (plaintext === undefined) throw invalidCiphertext();
  return plaintext;
}

// ---- DeriveSharedSecret --------------------------------------------------------------------------

export function checkKeyAgreement(record: KeyRecord, algorithm: string): void {
  requireUsage(record, "KEY_AGREEMENT", "DeriveSharedSecret");
  requireAlgorithm(record, "KeyAgreementAlgorithms", algorithm);
}

/** @throws ValidationException when the peer key is not a valid public key on the key's curve. */
export async function deriveWith(record: KeyRecord, privateKey: Uint8Array, peerPublicKey: Uint8Array): Promise<Uint8Array> {
  const curve = curveOf(keySpecOf(record));
  if (curve === undefined || curve === "secp256k1") throw new Error("key agreement key on an unexpected curve");
  const peer = await importPeerKey(curve, peerPublicKey);
  if (peer === undefined) {
    throw new KmsError(
      "ValidationException",
      `The PublicKey is not a valid DER-encoded SubjectPublicKeyInfo of a ${keySpecOf(record)} public key.`,
    );
  }
  return deriveSharedSecret(curve, privateKey, peer);
}

// ---- Encapsulate and Decapsulate -----------------------------------------------------------------

export function checkKem(record: KeyRecord, operation: "Encapsulate" | "Decapsulate", algorithm: string): void {
  requireUsage(record, "ENCAPSULATE_DECAPSULATE", operation);
  requireAlgorithm(record, "EncapsulationAlgorithms", algorithm);
}

export function encapsulateWith(record: KeyRecord): { sharedSecret: Uint8Array; ciphertext: Uint8Array } {
  return mlKemEncapsulate(keySpecOf(record) as MlKemSpec, publicKey(record));
}

/** @throws InvalidCiphertextException for a ciphertext of the wrong length (others decapsulate to an unrelated secret, FIPS 203). */
export function decapsulateWith(record: KeyRecord, privateKey: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  const spec = keySpecOf(record) as MlKemSpec;
  if (ciphertext.length !== ciphertextLength(spec)) throw invalidCiphertext();
  return mlKemDecapsulate(spec, privateKey, ciphertext);
}
