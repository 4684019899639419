/**
 * The permissions reference: for each TrentService operation, the action(s) it checks, on which
 * resource(s), and whether the permission lives in the key policy (optionally delegated to IAM
 * through the account principal) or in IAM policies alone.
 *
 * Spec: AWS KMS Developer Guide (2017), "AWS KMS API Permissions: Actions and Resources
 * Reference", extended to the operations AWS has added since with the same rule (one
 * `kms:<Operation>` action on the key the operation uses; account-level operations are IAM-only).
 * Notable rows from the guide:
 * - ReEncrypt checks kms:ReEncryptFrom on the source key and kms:ReEncryptTo on the destination.
 * - CreateAlias and DeleteAlias check their action on the alias (IAM policy) and on the key
 *   (key policy); UpdateAlias on the alias, the key it points to now, and the new target key.
 * - CreateKey, GenerateRandom, ListAliases, ListKeys and ListRetirableGrants are IAM-only,
 *   resource "*". (So are the custom key store operations.)
 * - RetireGrant is not controlled by policy at all: the grant itself says who may retire it.
 *
 * Security: an operation missing from this table has no permission rows; callers must treat
 * `undefined` from `requiredPermissions` as "deny", never as "no check needed" (RetireGrant is
 * the one operation with an intentionally empty list).
 */
import { GRANT_OPERATIONS } from "../protocol/enums.ts";
import type { OperationName } from "../protocol/operations.ts";

/**
 * Which resource of the request a check applies to:
 * - "key": the key the operation names (Decrypt: the key that made the ciphertext);
 * - "sourceKey" / "destinationKey": ReEncrypt's two keys;
 * - "alias": the alias ARN (CreateAlias, DeleteAlias, UpdateAlias);
 * - "aliasKey": the key the alias points to now (DeleteAlias, UpdateAlias);
 * - "targetKey": the key an alias is being pointed at (CreateAlias, UpdateAlias);
 * - "*": no resource (IAM-only account operations).
 */
export type ResourceRole = "key" | "sourceKey" | "destinationKey" | "alias" | "aliasKey" | "targetKey" | "*";

export interface PermissionCheck {
  action: string;
  resource: ResourceRole;
  /** "key": decided by the key policy (+ IAM if the key policy enables it) and grants; "iam": IAM policies alone. */
  policy: "key" | "iam";
  /** Only when the request carries tags (CreateKey with Tags also needs kms:TagResource). */
  when?: "tags";
}

const onKey = (op: string): PermissionCheck[] => [{ action: `kms:${op}`, resource: "key", policy: "key" }];
const iamOnly = (op: string): PermissionCheck[] => [{ action: `kms:${op}`, resource: "*", policy: "iam" }];

/** The permission checks of every TrentService operation, in the order they are made. */
export const PERMISSIONS: Readonly<Record<OperationName, readonly PermissionCheck[]>> = {
  CancelKeyDeletion: onKey("CancelKeyDeletion"),
  ConnectCustomKeyStore: iamOnly("ConnectCustomKeyStore"),
  CreateAlias: [
    { action: "kms:CreateAlias", resource: "alias", policy: "iam" },
    { action: "kms:CreateAlias", resource: "targetKey", policy: "key" },
  ],
  CreateCustomKeyStore: iamOnly("CreateCustomKeyStore"),
  CreateGrant: onKey("CreateGrant"),
  CreateKey: [
    { action: "kms:CreateKey", resource: "*", policy: "iam" },
    { action: "kms:TagResource", resource: "*", policy: "iam", when: "tags" },
  ],
  Decapsulate: onKey("Decapsulate"),
  Decrypt: onKey("Decrypt"),
  DeleteAlias: [
    { action: "kms:DeleteAlias", resource: "alias", policy: "iam" },
    { action: "kms:DeleteAlias", resource: "aliasKey", policy: "key" },
  ],
  DeleteCustomKeyStore: iamOnly("DeleteCustomKeyStore"),
  DeleteImportedKeyMaterial: onKey("DeleteImportedKeyMaterial"),
  DeriveSharedSecret: onKey("DeriveSharedSecret"),
  DescribeCustomKeyStores: iamOnly("DescribeCustomKeyStores"),
  DescribeKey: onKey("DescribeKey"),
  DisableKey: onKey("DisableKey"),
  DisableKeyRotation: onKey("DisableKeyRotation"),
  DisconnectCustomKeyStore: iamOnly("DisconnectCustomKeyStore"),
  EnableKey: onKey("EnableKey"),
  EnableKeyRotation: onKey("EnableKeyRotation"),
  Encapsulate: onKey("Encapsulate"),
  Encrypt: onKey("Encrypt"),
  GenerateDataKey: onKey("GenerateDataKey"),
  GenerateDataKeyPair: onKey("GenerateDataKeyPair"),
  GenerateDataKeyPairWithoutPlaintext: onKey("GenerateDataKeyPairWithoutPlaintext"),
  GenerateDataKeyWithoutPlaintext: onKey("GenerateDataKeyWithoutPlaintext"),
  GenerateMac: onKey("GenerateMac"),
  GenerateRandom: iamOnly("GenerateRandom"),
  GetKeyLastUsage: onKey("GetKeyLastUsage"),
  GetKeyPolicy: onKey("GetKeyPolicy"),
  GetKeyRotationStatus: onKey("GetKeyRotationStatus"),
  GetParametersForImport: onKey("GetParametersForImport"),
  GetPublicKey: onKey("GetPublicKey"),
  ImportKeyMaterial: onKey("ImportKeyMaterial"),
  ListAliases: iamOnly("ListAliases"),
  ListGrants: onKey("ListGrants"),
  ListKeyPolicies: onKey("ListKeyPolicies"),
  ListKeyRotations: onKey("ListKeyRotations"),
  ListKeys: iamOnly("ListKeys"),
  ListResourceTags: onKey("ListResourceTags"),
  ListRetirableGrants: iamOnly("ListRetirableGrants"),
  PutKeyPolicy: onKey("PutKeyPolicy"),
  ReEncrypt: [
    { action: "kms:ReEncryptFrom", resource: "sourceKey", policy: "key" },
    { action: "kms:ReEncryptTo", resource: "destinationKey", policy: "key" },
  ],
  ReplicateKey: onKey("ReplicateKey"),
  // Guide: "Permission to retire a grant is specified in the grant. You cannot control access to
  // this operation in a policy."
  RetireGrant: [],
  RevokeGrant: onKey("RevokeGrant"),
  RotateKeyOnDemand: onKey("RotateKeyOnDemand"),
  ScheduleKeyDeletion: onKey("ScheduleKeyDeletion"),
  Sign: onKey("Sign"),
  TagResource: onKey("TagResource"),
  UntagResource: onKey("UntagResource"),
  UpdateAlias: [
    { action: "kms:UpdateAlias", resource: "alias", policy: "iam" },
    { action: "kms:UpdateAlias", resource: "aliasKey", policy: "key" },
    { action: "kms:UpdateAlias", resource: "targetKey", policy: "key" },
  ],
  UpdateCustomKeyStore: iamOnly("UpdateCustomKeyStore"),
  UpdateKeyDescription: onKey("UpdateKeyDescription"),
  UpdatePrimaryRegion: onKey("UpdatePrimaryRegion"),
  Verify: onKey("Verify"),
  VerifyMac: onKey("VerifyMac"),
};

/** The checks an operation makes (undefined for a name that is not a TrentService operation). */
export function requiredPermissions(operation: string): readonly PermissionCheck[] | undefined {
  return Object.hasOwn(PERMISSIONS, operation) ? PERMISSIONS[operation as OperationName] : undefined;
}

/** Operations decided by IAM policies alone (every check is an IAM check on "*"). */
export const IAM_ONLY_OPERATIONS: ReadonlySet<OperationName> = new Set(
  (Object.keys(PERMISSIONS) as OperationName[]).filter((op) => {
    const checks = PERMISSIONS[op];
    return checks.length > 0 && checks.every((c) => c.policy === "iam" && c.resource === "*");
  }),
);

/** The actions of the IAM-only operations ("kms:CreateKey", ...). */
export const IAM_ONLY_ACTIONS: ReadonlySet<string> = new Set(
  [...IAM_ONLY_OPERATIONS].flatMap((op) => PERMISSIONS[op].map((c) => c.action)).filter((a) => a !== "kms:TagResource"),
);

/** The grant operation names CreateGrant accepts in Operations (the GrantOperation enum). */
export const GRANT_OPERATION_NAMES: ReadonlySet<string> = new Set(GRANT_OPERATIONS);

/**
 * The grant operation that lets a grantee perform `action`, if any: "kms:Decrypt" → "Decrypt".
 * Grants cover only the operations in the GrantOperation enum.
 */
export function grantOperationFor(action: string): string | undefined {
  if (!action.toLowerCase().startsWith("kms:")) return undefined;
  const name = action.slice(4);
  for (const op of GRANT_OPERATION_NAMES) if (op.toLowerCase() === name.toLowerCase()) return op;
  return undefined;
}

/**
 * The grant operations to which grant constraints apply: the cryptographic operations that take
 * an encryption context (GrantConstraints: "Grant constraints are not applied to operations that
 * do not support an encryption context, such as ... DescribeKey or RetireGrant").
 */
export const ENCRYPTION_CONTEXT_OPERATIONS: ReadonlySet<string> = new Set([
  "Encrypt",
  "Decrypt",
  "ReEncryptFrom",
  "ReEncryptTo",
  "GenerateDataKey",
  "GenerateDataKeyWithoutPlaintext",
  "GenerateDataKeyPair",
  "GenerateDataKeyPairWithoutPlaintext",
]);
