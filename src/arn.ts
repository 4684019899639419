/**
 * ARNs of KMS keys and aliases, and the classification of a `KeyId` request parameter.
 *
 * Spec: AWS KMS Developer Guide, "Key identifiers (KeyId)": a KeyId may be a key ID (a UUID), a
 * key ARN `arn:aws:kms:<region>:<account>:key/<key-id>`, an alias name `alias/<name>`, or an alias
 * ARN `arn:aws:kms:<region>:<account>:alias/<name>`. Only the ARN forms can name another account
 * (cross-account use); key IDs and alias names always mean the caller's account and the region
 * serving the request.
 *
 * What AWS answers for a KeyId that is none of these: NotFoundException "Invalid keyId <value>"
 * (observed for DescribeKey and the cryptographic operations); an ARN whose resource is neither
 * `key/` nor `alias/` (or whose service is not kms) is likewise not a key reference. Operations
 * that accept *only* ARNs of other resource kinds (e.g. TagResource's KeyId) do their own check and
 * throw InvalidArnException via `invalidArn`.
 */
import { KmsError, invalidKeyId } from "./protocol/errors.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
// Multi-Region keys have IDs "mrk-" followed by 32 hex digits.
const MRK_ID = /^mrk-[0-9a-f]{32}$/;
const ACCOUNT = /^\d{12}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;
const ALIAS_NAME = /^alias\/[a-zA-Z0-9:/_-]+$/;

/** True for a KMS key ID: a lowercase UUID (or a multi-Region "mrk-" ID). */
export function isKeyId(value: string): boolean {
  return UUID.test(value) || MRK_ID.test(value);
}

export function isAccountId(value: string): boolean {
  return ACCOUNT.test(value);
}

export function isRegion(value: string): boolean {
  return REGION.test(value);
}

/** True for an alias name such as "alias/my-key" (the AliasNameType pattern, with the prefix). */
export function isAliasName(value: string): boolean {
  return ALIAS_NAME.test(value);
}

export function keyArn(region: string, account: string, keyId: string): string {
  return `arn:aws:kms:${region}:${account}:key/${keyId}`;
}

/** `aliasName` includes the "alias/" prefix, as in the API. */
export function aliasArn(region: string, account: string, aliasName: string): string {
  return `arn:aws:kms:${region}:${account}:${aliasName}`;
}

export interface ParsedArn {
  partition: string;
  service: string;
  region: string;
  account: string;
  /** Everything after the fifth colon, e.g. "key/1234..." or "alias/name". */
  resource: string;
}

/** Splits an ARN into its fields, or returns undefined when it does not have the ARN shape. */
export function parseArn(arn: string): ParsedArn | undefined {
  const parts = arn.split(":");
  if (parts.length < 6 || parts[0] !== "arn") return undefined;
  const [, partition, service, region, account] = parts as [string, string, string, string, string];
  if (partition === "" || service === "") return undefined;
  return { partition, service, region, account, resource: parts.slice(5).join(":") };
}

export type KeyReference =
  | { kind: "keyId"; keyId: string; region: string; account: string }
  | { kind: "keyArn"; keyId: string; region: string; account: string; arn: string }
  | { kind: "aliasName"; aliasName: string; region: string; account: string }
  | { kind: "aliasArn"; aliasName: string; region: string; account: string; arn: string };

/**
 * Classifies a KeyId parameter and says which account and region it names: the caller's for key
 * IDs and alias names, the ARN's for ARNs. `region` and `account` are the serving region and the
 * caller's account. Throws NotFoundException "Invalid keyId <keyId>" for anything else.
 *
 * A well-formed ARN for another region is returned as is; the handler decides (AWS answers
 * NotFoundException for a key ARN of another region, since keys are regional).
 */
export function resolveKeyReference(keyId: string, region: string, account: string): KeyReference {
  if (isKeyId(keyId)) return { kind: "keyId", keyId, region, account };
  if (keyId.startsWith("alias/")) {
    if (isAliasName(keyId)) return { kind: "aliasName", aliasName: keyId, region, account };
    throw invalidKeyId(keyId);
  }
  const arn = parseArn(keyId);
  if (arn !== undefined && arn.partition === "aws" && arn.service === "kms" && isRegion(arn.region) && isAccountId(arn.account)) {
    if (arn.resource.startsWith("key/")) {
      const id = arn.resource.slice("key/".length);
      if (isKeyId(id)) return { kind: "keyArn", keyId: id, region: arn.region, account: arn.account, arn: keyId };
    } else if (isAliasName(arn.resource)) {
      return { kind: "aliasArn", aliasName: arn.resource, region: arn.region, account: arn.account, arn: keyId };
    }
  }
  throw invalidKeyId(keyId);
}

/**
 * The key ARN a key reference names, when it names a key directly (key ID or key ARN); undefined
 * for aliases, which the caller must look up.
 */
export function referencedKeyArn(ref: KeyReference): string | undefined {
  if (ref.kind === "keyId") return keyArn(ref.region, ref.account, ref.keyId);
  if (ref.kind === "keyArn") return ref.arn;
  return undefined;
}

/** The alias ARN a key reference names, for aliases; undefined for keys. */
export function referencedAliasArn(ref: KeyReference): string | undefined {
  if (ref.kind === "aliasName") return aliasArn(ref.region, ref.account, ref.aliasName);
  if (ref.kind === "aliasArn") return ref.arn;
  return undefined;
}

/** InvalidArnException in AWS's wording for an ARN parameter that is not a valid ARN. */
export function invalidArn(value: string): KmsError {
  return new KmsError("InvalidArnException", `${value} is not a valid ARN.`);
}

/**
 * Parses a key ARN strictly (for parameters that must be a key ARN, such as a grant's KeyId when
 * given as an ARN). Returns undefined when `arn` is not `arn:aws:kms:<region>:<account>:key/<id>`.
 */
export function parseKeyArn(arn: string): { region: string; account: string; keyId: string } | undefined {
  const parsed = parseArn(arn);
  if (parsed === undefined || parsed.partition !== "aws" || parsed.service !== "kms") return undefined;
  if (!isRegion(parsed.region) || !isAccountId(parsed.account) || !parsed.resource.startsWith("key/")) return undefined;
  const keyId = parsed.resource.slice("key/".length);
  return isKeyId(keyId) ? { region: parsed.region, account: parsed.account, keyId } : undefined;
}

/** Parses an alias ARN strictly; `aliasName` keeps its "alias/" prefix. */
export function parseAliasArn(arn: string): { region: string; account: string; aliasName: string } | undefined {
  const parsed = parseArn(arn);
  if (parsed === undefined || parsed.partition !== "aws" || parsed.service !== "kms") return undefined;
  if (!isRegion(parsed.region) || !isAccountId(parsed.account) || !isAliasName(parsed.resource)) return undefined;
  return { region: parsed.region, account: parsed.account, aliasName: parsed.resource };
}
