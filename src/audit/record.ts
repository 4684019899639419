/**
 * Builds the CloudTrail record of one AWS KMS API call, in the shape of the guide's examples
 * ("Logging AWS KMS API Calls Using AWS CloudTrail"): userIdentity, eventTime, eventSource
 * `kms.amazonaws.com`, eventName, awsRegion, sourceIPAddress, userAgent, errorCode/errorMessage,
 * requestParameters, responseElements, requestID, eventID, readOnly, resources, eventType
 * `AwsApiCall` and recipientAccountId.
 *
 * What is logged follows AWS: requestParameters carry key IDs, encryption contexts, key specs,
 * grant parameters, policies, descriptions and tags, picked per operation from an allowlist
 * (LOGGED_REQUEST_MEMBERS) in the record's camelCase; responseElements are null for the
 * cryptographic and read-only operations and a small allowlist otherwise (CreateKey's
 * keyMetadata, CreateGrant's grantId, ...). Both then pass through `redact` (redact.ts).
 *
 * Security: a record never contains plaintexts, ciphertext blobs, data keys, key material,
 * import tokens or grant tokens — the allowlists omit them and `redact` removes them again.
 * Encryption contexts ARE logged (as AWS does; the guide tells users not to put secrets in them).
 * Runtime-neutral: no Workers APIs, so it is unit-tested in Node.
 */
import type { Principal } from "../auth/identities.ts";
import { redact } from "./redact.ts";

export const EVENT_SOURCE = "kms.amazonaws.com";
export const EVENT_VERSION = "1.08";

/** Who called, as far as the worker knows it (a subset of src/service/caller.ts Caller). */
export interface AuditIdentity {
  accountId: string;
  principal: Principal;
  accessKeyId?: string;
  sourceIp?: string;
  userAgent?: string;
  via: "http" | "binding";
}

export interface AuditInput {
  identity: AuditIdentity;
  /** The operation name (eventName); for an unknown X-Amz-Target, what it named. */
  eventName: string;
  /** The validated request, or the raw JSON body when validation failed (or none was parsed). */
  request: unknown;
  /** The handler's response on success. */
  response?: unknown;
  error?: { code: string; message: string };
  /** Key ARNs the call acted on (resolved from key IDs and aliases by the handlers). */
  keyArns: readonly string[];
  requestId: string;
  eventId: string;
  eventTime: Date;
  region: string;
}

export interface TrailResource {
  ARN: string;
  accountId: string;
  type: "AWS::KMS::Key" | "AWS::KMS::Alias";
}

export interface UserIdentity {
  type: Principal["type"];
  principalId: string;
  arn: string;
  accountId: string;
  accessKeyId?: string;
  userName?: string;
  sessionContext?: {
    sessionIssuer: { type: "Role"; principalId: string; arn: string; accountId: string; userName: string };
    attributes: { mfaAuthenticated: "false" };
  };
  invokedBy?: string;
}

/** The identity of an event AWS KMS itself caused (rotation, deletion, material expiry). */
export interface ServiceIdentity {
  accountId: string;
  invokedBy: "kms.amazonaws.com";
}

export interface CloudTrailRecord {
  eventVersion: string;
  userIdentity: UserIdentity | ServiceIdentity;
  eventTime: string;
  eventSource: string;
  eventName: string;
  awsRegion: string;
  sourceIPAddress: string;
  userAgent: string;
  errorCode?: string;
  errorMessage?: string;
  requestParameters: Record<string, unknown> | null;
  responseElements: Record<string, unknown> | null;
  requestID: string;
  eventID: string;
  readOnly: boolean;
  resources: TrailResource[];
  eventType: "AwsApiCall" | "AwsServiceEvent";
  managementEvent: true;
  recipientAccountId: string;
  eventCategory: "Management";
  serviceEventDetails?: Record<string, unknown>;
}

// ---- Per-operation tables ----------------------------------------------------------------------

const KEY_ONLY = ["KeyId"];
const LIST = ["KeyId", "Limit", "Marker"];
const DATA_KEY = ["KeyId", "EncryptionContext", "NumberOfBytes", "KeySpec", "DryRun"];
const DATA_KEY_PAIR = ["KeyId", "EncryptionContext", "KeyPairSpec", "DryRun"];

/**
 * The request members each operation logs, in the API's PascalCase. Operations not listed log
 * `requestParameters: null`. No blob member appears here (and redact.ts would remove it anyway).
 */
export const LOGGED_REQUEST_MEMBERS: Readonly<Record<string, readonly string[]>> = {
  CreateKey: [
    "Policy",
    "Description",
    "KeyUsage",
    "CustomerMasterKeySpec",
    "KeySpec",
    "Origin",
    "CustomKeyStoreId",
    "BypassPolicyLockoutSafetyCheck",
    "Tags",
    "MultiRegion",
    "XksKeyId",
  ],
  DescribeKey: KEY_ONLY,
  ListKeys: ["Limit", "Marker"],
  EnableKey: KEY_ONLY,
  DisableKey: KEY_ONLY,
  UpdateKeyDescription: ["KeyId", "Description"],
  EnableKeyRotation: ["KeyId", "RotationPeriodInDays"],
  DisableKeyRotation: KEY_ONLY,
  GetKeyRotationStatus: KEY_ONLY,
  RotateKeyOnDemand: KEY_ONLY,
  ListKeyRotations: LIST,
  ScheduleKeyDeletion: ["KeyId", "PendingWindowInDays"],
  CancelKeyDeletion: KEY_ONLY,
  CreateAlias: ["AliasName", "TargetKeyId"],
  UpdateAlias: ["AliasName", "TargetKeyId"],
  DeleteAlias: ["AliasName"],
  ListAliases: LIST,
  Encrypt: ["KeyId", "EncryptionContext", "EncryptionAlgorithm", "DryRun"],
  Decrypt: ["KeyId", "EncryptionContext", "EncryptionAlgorithm", "DryRun"],
  ReEncrypt: [
    "SourceKeyId",
    "DestinationKeyId",
    "SourceEncryptionContext",
    "DestinationEncryptionContext",
    "SourceEncryptionAlgorithm",
    "DestinationEncryptionAlgorithm",
    "DryRun",
  ],
  GenerateDataKey: DATA_KEY,
  GenerateDataKeyWithoutPlaintext: DATA_KEY,
  GenerateDataKeyPair: DATA_KEY_PAIR,
  GenerateDataKeyPairWithoutPlaintext: DATA_KEY_PAIR,
  GenerateRandom: ["NumberOfBytes", "CustomKeyStoreId"],
  GenerateMac: ["KeyId", "MacAlgorithm", "DryRun"],
  VerifyMac: ["KeyId", "MacAlgorithm", "DryRun"],
  Sign: ["KeyId", "SigningAlgorithm", "MessageType", "DryRun"],
  Verify: ["KeyId", "SigningAlgorithm", "MessageType", "DryRun"],
  GetPublicKey: KEY_ONLY,
  DeriveSharedSecret: ["KeyId", "KeyAgreementAlgorithm", "DryRun"],
  TagResource: ["KeyId", "Tags"],
  UntagResource: ["KeyId", "TagKeys"],
  ListResourceTags: LIST,
  GetKeyPolicy: ["KeyId", "PolicyName"],
  PutKeyPolicy: ["KeyId", "PolicyName", "Policy", "BypassPolicyLockoutSafetyCheck"],
  ListKeyPolicies: LIST,
  CreateGrant: ["KeyId", "GranteePrincipal", "RetiringPrincipal", "Operations", "Constraints", "Name", "DryRun"],
  ListGrants: ["KeyId", "GrantId", "GranteePrincipal", "Limit", "Marker"],
  ListRetirableGrants: ["RetiringPrincipal", "Limit", "Marker"],
  RetireGrant: ["KeyId", "GrantId", "DryRun"],
  RevokeGrant: ["KeyId", "GrantId", "DryRun"],
  GetParametersForImport: ["KeyId", "WrappingAlgorithm", "WrappingKeySpec"],
  ImportKeyMaterial: ["KeyId", "ValidTo", "ExpirationModel", "ImportType", "KeyMaterialDescription", "KeyMaterialId"],
  DeleteImportedKeyMaterial: ["KeyId", "KeyMaterialId"],
};

/**
 * The response members logged for the operations whose responseElements AWS fills; every other
 * operation (all cryptographic and read-only ones among them) logs `responseElements: null`.
 */
export const LOGGED_RESPONSE_MEMBERS: Readonly<Record<string, readonly string[]>> = {
  CreateKey: ["KeyMetadata"],
  CreateGrant: ["GrantId"],
  ScheduleKeyDeletion: ["KeyId", "DeletionDate", "KeyState", "PendingWindowInDays"],
  CancelKeyDeletion: ["KeyId"],
  GetParametersForImport: ["KeyId", "ParametersValidTo"],
  ImportKeyMaterial: ["KeyId", "KeyMaterialId"],
  DeleteImportedKeyMaterial: ["KeyId", "KeyMaterialId"],
  RotateKeyOnDemand: ["KeyId"],
};

/**
 * Operations that change nothing. ReEncrypt is not read-only in AWS's records (the guide's
 * example has `"readOnly": false`); Encrypt, Decrypt and the data-key operations are.
 */
const READ_ONLY: ReadonlySet<string> = new Set([
  "DescribeKey",
  "ListKeys",
  "GetKeyRotationStatus",
  "ListKeyRotations",
  "ListAliases",
  "Encrypt",
  "Decrypt",
  "GenerateDataKey",
  "GenerateDataKeyWithoutPlaintext",
  "GenerateDataKeyPair",
  "GenerateDataKeyPairWithoutPlaintext",
  "GenerateRandom",
  "GenerateMac",
  "VerifyMac",
  "Sign",
  "Verify",
  "GetPublicKey",
  "ListResourceTags",
  "GetKeyPolicy",
  "ListKeyPolicies",
  "ListGrants",
  "ListRetirableGrants",
  "DescribeCustomKeyStores",
  "GetParametersForImport",
  "GetKeyLastUsage",
]);

/** The data plane: cryptographic operations (the guide's "Monitoring Customer Master Keys"). */
const CRYPTOGRAPHIC: ReadonlySet<string> = new Set([
  "Encrypt",
  "Decrypt",
  "ReEncrypt",
  "GenerateDataKey",
  "GenerateDataKeyWithoutPlaintext",
  "GenerateDataKeyPair",
  "GenerateDataKeyPairWithoutPlaintext",
  "GenerateRandom",
  "GenerateMac",
  "VerifyMac",
  "Sign",
  "Verify",
  "DeriveSharedSecret",
]);

export function isReadOnly(eventName: string): boolean {
  return READ_ONLY.has(eventName);
}

export function isCryptographic(eventName: string): boolean {
  return CRYPTOGRAPHIC.has(eventName);
}

// ---- Building ----------------------------------------------------------------------------------

/** "KeyId" → "keyId", "AWSAccountId" stays as AWS writes it. */
function camel(name: string): string {
  if (name === "AWSAccountId") return name;
  return name.charAt(0).toLowerCase() + name.slice(1);
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** Dates inside responseElements, as AWS's Java serialiser writes them: "Nov 4, 2014, 12:52:59 AM". */
export function formatResponseDate(date: Date): string {
  const h = date.getUTCHours();
  const two = (n: number) => String(n).padStart(2, "0");
  return (
    `${MONTHS[date.getUTCMonth()]} ${date.getUTCDate()}, ${date.getUTCFullYear()}, ` +
    `${h % 12 === 0 ? 12 : h % 12}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} ${h < 12 ? "AM" : "PM"}`
  );
}

/** eventTime: ISO 8601 to the second, as CloudTrail writes it. */
export function formatEventTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** camelCases member names at every depth, except inside maps (encryption contexts). */
function camelMembers(value: unknown, isMap = false): unknown {
  if (value instanceof Date) return formatResponseDate(value);
  if (Array.isArray(value)) return value.map((v) => camelMembers(v));
  if (value !== null && typeof value === "object" && !ArrayBuffer.isView(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      // Encryption contexts (also inside grant constraints) are maps: their keys are user data.
      const childIsMap = /EncryptionContext/.test(k);
      out[isMap ? k : camel(k)] = camelMembers(v, childIsMap);
    }
    return out;
  }
  return value;
}

function pick(source: unknown, members: readonly string[] | undefined): Record<string, unknown> | null {
  if (members === undefined || source === null || typeof source !== "object" || Array.isArray(source)) return null;
  const picked: Record<string, unknown> = {};
  for (const name of members) {
    const v = (source as Record<string, unknown>)[name];
    if (v !== undefined) picked[name] = v;
  }
  if (Object.keys(picked).length === 0) return null;
  return redact(camelMembers(picked)) as Record<string, unknown>;
}

export function userIdentity(identity: AuditIdentity): UserIdentity {
  const p = identity.principal;
  const out: UserIdentity = { type: p.type, principalId: p.principalId, arn: p.arn, accountId: p.accountId };
  if (identity.accessKeyId !== undefined) out.accessKeyId = identity.accessKeyId;
  if (p.type === "IAMUser" && p.userName !== undefined) out.userName = p.userName;
  if (p.type === "AssumedRole" && p.roleArn !== undefined && p.roleName !== undefined) {
    out.sessionContext = {
      sessionIssuer: {
        type: "Role",
        principalId: p.principalId.split(":")[0]!,
        arn: p.roleArn,
        accountId: p.accountId,
        userName: p.roleName,
      },
      attributes: { mfaAuthenticated: "false" },
    };
  }
  if (identity.via === "binding") out.invokedBy = "service-binding";
  return out;
}

/** The name LookupEvents reports as Username: the user, the role session, or "root". */
export function usernameOf(identity: UserIdentity | ServiceIdentity): string {
  if (!("type" in identity)) return "";
  if (identity.type === "Root") return "root";
  if (identity.type === "IAMUser") return identity.userName ?? identity.arn;
  return identity.arn.slice(identity.arn.lastIndexOf("/") + 1);
}

function accountOfArn(arn: string): string {
  return arn.split(":")[4] ?? "";
}

/** Key ARNs the call acted on, plus CreateKey's new key and the alias an alias operation named. */
function resourcesOf(input: AuditInput): TrailResource[] {
  const out: TrailResource[] = [];
  const seen = new Set<string>();
  const add = (arn: string, type: TrailResource["type"]) => {
    if (seen.has(arn)) return;
    seen.add(arn);
    out.push({ ARN: arn, accountId: accountOfArn(arn), type });
  };
  for (const arn of input.keyArns) add(arn, "AWS::KMS::Key");
  const created = (input.response as { KeyMetadata?: { Arn?: unknown } } | undefined)?.KeyMetadata?.Arn;
  if (typeof created === "string") add(created, "AWS::KMS::Key");
  if (input.eventName === "CreateAlias" || input.eventName === "UpdateAlias" || input.eventName === "DeleteAlias") {
    const aliasName = (input.request as { AliasName?: unknown } | null)?.AliasName;
    if (typeof aliasName === "string" && /^alias\/[a-zA-Z0-9:/_-]+$/.test(aliasName)) {
      add(`arn:aws:kms:${input.region}:${input.identity.accountId}:${aliasName}`, "AWS::KMS::Alias");
    }
  }
  return out;
}

/**
 * The record of one API call, addressed to the caller's account (recipientAccountId). Use
 * `recipientAccounts` and `addressedTo` for the copies other accounts receive.
 */
export function buildRecord(input: AuditInput): CloudTrailRecord {
  const succeeded = input.error === undefined;
  return {
    eventVersion: EVENT_VERSION,
    userIdentity: userIdentity(input.identity),
    eventTime: formatEventTime(input.eventTime),
    eventSource: EVENT_SOURCE,
    eventName: input.eventName,
    awsRegion: input.region,
    sourceIPAddress: input.identity.sourceIp ?? "AWS Internal",
    userAgent: (input.identity.userAgent ?? "AWS Internal").slice(0, 1024),
    // Where AWS puts them (after userAgent), for readers of the raw JSON.
    ...(succeeded ? {} : { errorCode: input.error!.code, errorMessage: input.error!.message }),
    requestParameters: pick(input.request, LOGGED_REQUEST_MEMBERS[input.eventName]),
    responseElements: succeeded ? pick(input.response, LOGGED_RESPONSE_MEMBERS[input.eventName]) : null,
    requestID: input.requestId,
    eventID: input.eventId,
    readOnly: isReadOnly(input.eventName),
    resources: resourcesOf(input),
    eventType: "AwsApiCall",
    managementEvent: true,
    recipientAccountId: input.identity.accountId,
    eventCategory: "Management",
  };
}

/**
 * The accounts that receive a copy: the caller's, and (as CloudTrail delivers cross-account calls
 * to both sides) each other account owning a resource the call named. A call that failed because
 * the key does not exist, or whose ciphertext named an unknown key, is not delivered to the named
 * account: its ARN came from the caller and proves nothing about that account.
 */
export function recipientAccounts(record: CloudTrailRecord): string[] {
  const accounts = [record.userIdentity.accountId];
  const unproven = record.errorCode === "NotFoundException" || record.errorCode === "InvalidCiphertextException";
  if (!unproven) {
    for (const r of record.resources) if (!accounts.includes(r.accountId)) accounts.push(r.accountId);
  }
  return accounts;
}

/** The copy of `record` delivered to `accountId`. */
export function addressedTo(record: CloudTrailRecord, accountId: string): CloudTrailRecord {
  return { ...record, recipientAccountId: accountId };
}
