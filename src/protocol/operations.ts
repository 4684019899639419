/**
 * The TrentService operations (AWS KMS API 2014-11-01) and the `X-Amz-Target` header that names
 * them. The list is the current AWS one (the operations of @aws-sdk/client-kms 3.1164); EdgeKMS
 * implements a subset, and the worker answers UnsupportedOperationException for a known name it
 * does not implement, as opposed to UnknownOperationException for a name AWS does not know.
 */
import { KmsError } from "./errors.ts";

export const OPERATIONS = [
  "CancelKeyDeletion",
  "ConnectCustomKeyStore",
  "CreateAlias",
  "CreateCustomKeyStore",
  "CreateGrant",
  "CreateKey",
  "Decapsulate",
  "Decrypt",
  "DeleteAlias",
  "DeleteCustomKeyStore",
  "DeleteImportedKeyMaterial",
  "DeriveSharedSecret",
  "DescribeCustomKeyStores",
  "DescribeKey",
  "DisableKey",
  "DisableKeyRotation",
  "DisconnectCustomKeyStore",
  "EnableKey",
  "EnableKeyRotation",
  "Encapsulate",
  "Encrypt",
  "GenerateDataKey",
  "GenerateDataKeyPair",
  "GenerateDataKeyPairWithoutPlaintext",
  "GenerateDataKeyWithoutPlaintext",
  "GenerateMac",
  "GenerateRandom",
  "GetKeyLastUsage",
  "GetKeyPolicy",
  "GetKeyRotationStatus",
  "GetParametersForImport",
  "GetPublicKey",
  "ImportKeyMaterial",
  "ListAliases",
  "ListGrants",
  "ListKeyPolicies",
  "ListKeyRotations",
  "ListKeys",
  "ListResourceTags",
  "ListRetirableGrants",
  "PutKeyPolicy",
  "ReEncrypt",
  "ReplicateKey",
  "RetireGrant",
  "RevokeGrant",
  "RotateKeyOnDemand",
  "ScheduleKeyDeletion",
  "Sign",
  "TagResource",
  "UntagResource",
  "UpdateAlias",
  "UpdateCustomKeyStore",
  "UpdateKeyDescription",
  "UpdatePrimaryRegion",
  "Verify",
  "VerifyMac",
] as const;

export type OperationName = (typeof OPERATIONS)[number];

export const TARGET_PREFIX = "TrentService.";

const KNOWN: ReadonlySet<string> = new Set(OPERATIONS);

export function isOperationName(name: string): name is OperationName {
  return KNOWN.has(name);
}

/**
 * The operation an `X-Amz-Target` header names. Throws UnknownOperationException (with an empty
 * message, as AWS sends) when the header is missing, lacks the `TrentService.` prefix, or names an
 * operation TrentService does not have.
 */
export function parseTarget(headerValue: string | null): OperationName {
  if (headerValue?.startsWith(TARGET_PREFIX)) {
    const name = headerValue.slice(TARGET_PREFIX.length);
    if (isOperationName(name)) return name;
  }
  throw new KmsError("UnknownOperationException", "");
}
