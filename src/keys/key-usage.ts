/**
 * Which operations a key's spec and usage allow, and AWS's InvalidKeyUsageException when they do
 * not: a symmetric encryption operation on a signing key, Sign with a MAC key, a signing algorithm
 * the key does not offer, and so on. The algorithm lists come from key-specs.ts, the same table
 * DescribeKey shows.
 */
import { KmsError } from "../protocol/errors.ts";
import type { KeyUsageType } from "../protocol/enums.ts";
import { keySpecOf, type KeyRecord } from "./key-records.ts";
import { algorithmsOf, type KeyAlgorithms } from "./key-specs.ts";

/** AWS's words for an operation the key's usage does not allow. */
export function invalidKeyUsage(record: KeyRecord, operation: string): KmsError {
  return new KmsError("InvalidKeyUsageException", `${record.arn} key usage is ${record.keyUsage} which is not valid for ${operation}.`);
}

/** @throws InvalidKeyUsageException unless the key has `usage` (and, when given, a spec `specOk` accepts). */
export function requireUsage(record: KeyRecord, usage: KeyUsageType, operation: string, specOk?: (spec: string) => boolean): void {
  if (record.keyUsage !== usage) throw invalidKeyUsage(record, operation);
  const spec = keySpecOf(record);
  if (specOk !== undefined && !specOk(spec)) {
    throw new KmsError("InvalidKeyUsageException", `${record.arn} key spec is ${spec} which is not valid for ${operation}.`);
  }
}

/** The symmetric encryption operations (Encrypt, Decrypt, GenerateDataKey...) need a SYMMETRIC_DEFAULT key. */
export function requireSymmetricEncryption(record: KeyRecord, operation: string): void {
  requireUsage(record, "ENCRYPT_DECRYPT", operation, (spec) => spec === "SYMMETRIC_DEFAULT");
}

const KIND_WORDS: Record<keyof KeyAlgorithms, string> = {
  EncryptionAlgorithms: "encryption algorithm",
  SigningAlgorithms: "signing algorithm",
  MacAlgorithms: "MAC algorithm",
  KeyAgreementAlgorithms: "key agreement algorithm",
  EncapsulationAlgorithms: "encapsulation algorithm",
};

/** @throws InvalidKeyUsageException when the key does not offer `algorithm` among its `kind`. */
export function requireAlgorithm(record: KeyRecord, kind: keyof KeyAlgorithms, algorithm: string): void {
  const offered: readonly string[] = algorithmsOf(keySpecOf(record), record.keyUsage)[kind] ?? [];
  if (!offered.includes(algorithm)) {
    const words = KIND_WORDS[kind];
    throw new KmsError(
      "InvalidKeyUsageException",
      `You cannot use the ${words} ${algorithm} with ${record.arn}. Its ${words}s are [${offered.join(", ")}].`,
    );
  }
}

const ALWAYS = ["CreateGrant", "RetireGrant", "DescribeKey"];
const SYMMETRIC_GRANT_OPERATIONS = [
  "Encrypt",
  "Decrypt",
  "ReEncryptFrom",
  "ReEncryptTo",
  "GenerateDataKey",
  "GenerateDataKeyWithoutPlaintext",
  "GenerateDataKeyPair",
  "GenerateDataKeyPairWithoutPlaintext",
];
const GRANT_OPERATIONS_BY_USAGE: Record<KeyUsageType, string[]> = {
  ENCRYPT_DECRYPT: ["Encrypt", "Decrypt", "ReEncryptFrom", "ReEncryptTo", "GetPublicKey"],
  SIGN_VERIFY: ["Sign", "Verify", "GetPublicKey"],
  GENERATE_VERIFY_MAC: ["GenerateMac", "VerifyMac"],
  KEY_AGREEMENT: ["DeriveSharedSecret", "GetPublicKey"],
  ENCAPSULATE_DECAPSULATE: ["Encapsulate", "Decapsulate", "GetPublicKey"],
};

/**
 * CreateGrant: the operations must suit the key (AWS: "you cannot create a grant for a symmetric
 * encryption KMS key that allows the Sign operation, or a grant for an asymmetric KMS key that
 * allows the GenerateDataKey operation").
 * @throws ValidationException naming the operations the key cannot perform
 */
export function checkGrantOperations(record: KeyRecord, operations: readonly string[]): void {
  const spec = keySpecOf(record);
  const allowed = new Set([
    ...ALWAYS,
    ...(spec === "SYMMETRIC_DEFAULT" ? SYMMETRIC_GRANT_OPERATIONS : GRANT_OPERATIONS_BY_USAGE[record.keyUsage]),
  ]);
  const refused = operations.filter((op) => !allowed.has(op));
  if (refused.length > 0) {
    throw new KmsError(
      "ValidationException",
      `Grant operations [${refused.join(", ")}] are not valid for ${record.arn}, a ${spec} key with key usage ${record.keyUsage}.`,
    );
  }
}
