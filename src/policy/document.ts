/**
 * Policy documents: parsing and validating key policies and IAM (identity-based) policies into a
 * typed form the evaluator can use without re-checking anything.
 *
 * Spec: AWS KMS Developer Guide (2017), "Overview of Key Policies" (Version, Statement; each
 * statement has Sid, Effect, Principal, Action, Resource, Condition; Principal is required in key
 * policies and names AWS accounts, IAM users, IAM roles, assumed-role sessions or AWS services,
 * never IAM groups; Resource is "*", meaning "this CMK"), "Overview of IAM Policies" (no
 * Principal in IAM policies; Resource names ARNs, with wildcards), and the IAM User Guide's
 * "IAM JSON policy element reference" (NotPrincipal, NotAction, NotResource; Statement may be one
 * object or an array; Version "2012-10-17" or "2008-10-17", the latter — also the default when
 * Version is omitted — without policy variables). A key policy may be at most 32 KB (32768 bytes,
 * the guide's PutKeyPolicy sample).
 *
 * Errors are `KmsError("MalformedPolicyDocumentException", ...)`. Where AWS's wording is known it
 * is used verbatim: KMS's "Policy contains a statement with no principal." and "Policy contains a
 * statement with one or more invalid principals.", and IAM's "Policy statement must contain
 * actions.", "Policy statement must contain resources.", "Policy document should not specify a
 * principal." and "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.".
 * AWS KMS answers invalid JSON with an empty message; we say what is wrong instead.
 *
 * Security: policies come from callers. Parsing never evaluates anything, enforces the size
 * limit before JSON.parse, and rejects every element it does not understand rather than ignoring
 * it — an ignored Condition or NotPrincipal would silently widen access.
 */
import { KmsError } from "../protocol/errors.ts";
import { invalidValueReason, parseOperator, type ConditionClause } from "./conditions.ts";

export type PolicyKind = "key" | "iam";
export type Effect = "Allow" | "Deny";

/** The principals named by a Principal or NotPrincipal element. */
export interface PrincipalSet {
  /** `"Principal": "*"` or `{"AWS": "*"}`: everyone. */
  wildcard: boolean;
  /** AWS account IDs, and account-root, user, role and assumed-role ARNs. */
  aws: readonly string[];
  service: readonly string[];
  federated: readonly string[];
}

export interface PolicyStatement {
  /** Position in the Statement array (0 for a single statement object). */
  index: number;
  sid?: string;
  effect: Effect;
  principal?: PrincipalSet;
  notPrincipal?: PrincipalSet;
  action?: readonly string[];
  notAction?: readonly string[];
  resource?: readonly string[];
  notResource?: readonly string[];
  conditions: readonly ConditionClause[];
}

export interface Policy {
  kind: PolicyKind;
  version: "2012-10-17" | "2008-10-17";
  id?: string;
  statements: readonly PolicyStatement[];
}

export const MAX_KEY_POLICY_BYTES = 32768;

export const POLICY_MESSAGES = {
  noPrincipal: "Policy contains a statement with no principal.",
  invalidPrincipals: "Policy contains a statement with one or more invalid principals.",
  principalInIamPolicy: "Policy document should not specify a principal.",
  noActions: "Policy statement must contain actions.",
  noResources: "Policy statement must contain resources.",
  vendorPrefix: "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.",
  lockout: "The new key policy will not allow you to update the key policy in the future.",
} as const;

function malformed(message: string): KmsError {
  return new KmsError("MalformedPolicyDocumentException", message);
}

const POLICY_ELEMENTS = new Set(["Version", "Id", "Statement"]);
const STATEMENT_ELEMENTS = new Set([
  "Sid",
  "Effect",
  "Principal",
  "NotPrincipal",
  "Action",
  "NotAction",
  "Resource",
  "NotResource",
  "Condition",
]);

const ACCOUNT_ID = /^\d{12}$/;
const PARTITION = "aws(-cn|-us-gov|-iso|-iso-b)?";
const IAM_NAME = "[\\w+=,.@-]{1,128}";
// Users and roles may have paths: user/division/alice.
const PATH_NAME = `([\\w+=,.@-]+/)*${IAM_NAME}`;
const AWS_PRINCIPAL_ARN = new RegExp(
  `^arn:${PARTITION}:(iam::\\d{12}:(root|user/${PATH_NAME}|role/${PATH_NAME})|sts::\\d{12}:assumed-role/${IAM_NAME}/[\\w+=,.@-]{2,64})$`,
);
const SERVICE_PRINCIPAL = /^[a-z0-9][a-z0-9.-]*\.amazonaws\.com(\.cn)?$/;
const ACTION = /^[a-zA-Z0-9-]+:[a-zA-Z0-9*?]+$/;
const CONDITION_KEY = /^[a-zA-Z0-9-]+:.+$/;

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** A string or a non-empty array of strings, as a list; undefined when it is neither. */
function stringList(v: unknown): string[] | undefined {
  if (typeof v === "string") return [v];
  if (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === "string")) return v as string[];
  return undefined;
}

/** True for "*", an account ID, or an account-root, user, role or assumed-role ARN. */
export function isValidAwsPrincipal(value: string): boolean {
  return value === "*" || ACCOUNT_ID.test(value) || AWS_PRINCIPAL_ARN.test(value);
}

function parsePrincipal(raw: unknown): PrincipalSet {
  if (raw === "*") return { wildcard: true, aws: [], service: [], federated: [] };
  if (!isObject(raw) || Object.keys(raw).length === 0) throw malformed(POLICY_MESSAGES.invalidPrincipals);
  const set = { wildcard: false, aws: [] as string[], service: [] as string[], federated: [] as string[] };
  for (const [type, value] of Object.entries(raw)) {
    const list = stringList(value);
    if (list === undefined) throw malformed(POLICY_MESSAGES.invalidPrincipals);
    if (type === "AWS") {
      if (!list.every(isValidAwsPrincipal)) throw malformed(POLICY_MESSAGES.invalidPrincipals);
      for (const p of list) p === "*" ? (set.wildcard = true) : set.aws.push(p);
    } else if (type === "Service") {
      if (!list.every((s) => SERVICE_PRINCIPAL.test(s))) throw malformed(POLICY_MESSAGES.invalidPrincipals);
      set.service.push(...list);
    } else if (type === "Federated") {
      set.federated.push(...list);
    } else {
      // IAM groups, CanonicalUser (S3 only) and anything else are not principals of a key policy.
      throw malformed(POLICY_MESSAGES.invalidPrincipals);
    }
  }
  return set;
}

function parseActions(raw: unknown): string[] {
  if (Array.isArray(raw) && raw.length === 0) throw malformed(POLICY_MESSAGES.noActions);
  const list = stringList(raw);
  if (list === undefined) throw malformed("Action and NotAction must be a string or an array of strings.");
  for (const a of list) if (a !== "*" && !ACTION.test(a)) throw malformed(POLICY_MESSAGES.vendorPrefix);
  return list;
}

function parseResources(raw: unknown): string[] {
  if (Array.isArray(raw) && raw.length === 0) throw malformed(POLICY_MESSAGES.noResources);
  const list = stringList(raw);
  if (list === undefined) throw malformed("Resource and NotResource must be a string or an array of strings.");
  for (const r of list) {
    if (r !== "*" && !(r.startsWith("arn:") && r.split(":").length >= 6)) throw malformed(`Resource ${r} must be in ARN format or "*".`);
  }
  return list;
}

function parseCondition(raw: unknown): ConditionClause[] {
  if (!isObject(raw)) throw malformed("Condition must be a JSON object.");
  const clauses: ConditionClause[] = [];
  for (const [opName, block] of Object.entries(raw)) {
    const operator = parseOperator(opName);
    if (operator === undefined) throw malformed(`Policy contains an unknown condition operator: ${opName}.`);
    if (!isObject(block)) throw malformed(`The value of condition operator ${opName} must be a JSON object.`);
    for (const [key, value] of Object.entries(block)) {
      if (!CONDITION_KEY.test(key)) throw malformed(POLICY_MESSAGES.vendorPrefix);
      const items = Array.isArray(value) ? value : [value];
      if (!items.every((v) => typeof v === "string" || typeof v === "number" || typeof v === "boolean")) {
        throw malformed(`Condition values for ${key} must be strings, numbers, booleans or arrays of them.`);
      }
      const values = items.map((v) => String(v));
      for (const v of values) {
        const reason = invalidValueReason(operator.base, v);
        if (reason !== undefined) throw malformed(`Invalid value for condition operator ${opName} and key ${key}: ${reason}.`);
      }
      clauses.push({ operator, key, values });
    }
  }
  return clauses;
}

function exclusive(stmt: Record<string, unknown>, a: string, b: string): void {
  if (a in stmt && b in stmt) throw malformed(`A statement cannot contain both ${a} and ${b}.`);
}

function parseStatement(raw: unknown, index: number, kind: PolicyKind): PolicyStatement {
  if (!isObject(raw)) throw malformed("Each statement must be a JSON object.");
  for (const name of Object.keys(raw)) {
    if (STATEMENT_ELEMENTS.has(name)) continue;
    if (POLICY_ELEMENTS.has(name)) throw malformed(`${name} is a policy element and cannot appear inside a statement.`);
    throw malformed(`Policy contains an unknown element in a statement: ${name}.`);
  }
  exclusive(raw, "Principal", "NotPrincipal");
  exclusive(raw, "Action", "NotAction");
  exclusive(raw, "Resource", "NotResource");

  if (raw.Sid !== undefined && typeof raw.Sid !== "string") throw malformed("Sid must be a string.");
  if (raw.Effect !== "Allow" && raw.Effect !== "Deny") throw malformed('Each statement must have an Effect of "Allow" or "Deny".');

  const hasPrincipal = "Principal" in raw || "NotPrincipal" in raw;
  if (kind === "iam" && hasPrincipal) throw malformed(POLICY_MESSAGES.principalInIamPolicy);
  if (kind === "key" && !hasPrincipal) throw malformed(POLICY_MESSAGES.noPrincipal);
  if (!("Action" in raw) && !("NotAction" in raw)) throw malformed(POLICY_MESSAGES.noActions);
  if (!("Resource" in raw) && !("NotResource" in raw)) throw malformed(POLICY_MESSAGES.noResources);

  return {
    index,
    ...(raw.Sid === undefined ? {} : { sid: raw.Sid as string }),
    effect: raw.Effect,
    ...("Principal" in raw ? { principal: parsePrincipal(raw.Principal) } : {}),
    ...("NotPrincipal" in raw ? { notPrincipal: parsePrincipal(raw.NotPrincipal) } : {}),
    ...("Action" in raw ? { action: parseActions(raw.Action) } : {}),
    ...("NotAction" in raw ? { notAction: parseActions(raw.NotAction) } : {}),
    ...("Resource" in raw ? { resource: parseResources(raw.Resource) } : {}),
    ...("NotResource" in raw ? { notResource: parseResources(raw.NotResource) } : {}),
    conditions: raw.Condition === undefined ? [] : parseCondition(raw.Condition),
  };
}

/**
 * Validates an already-decoded policy document (e.g. the IAM policies of an identity
 * configuration). Throws MalformedPolicyDocumentException naming the first problem.
 */
export function parsePolicyObject(doc: unknown, kind: PolicyKind): Policy {
  if (!isObject(doc)) throw malformed("The policy must be a JSON object.");
  for (const name of Object.keys(doc)) {
    if (POLICY_ELEMENTS.has(name)) continue;
    if (STATEMENT_ELEMENTS.has(name)) throw malformed(`${name} is a statement element and must appear inside Statement.`);
    throw malformed(`Policy contains an unknown element: ${name}.`);
  }
  const version = doc.Version ?? "2008-10-17";
  if (version !== "2012-10-17" && version !== "2008-10-17") throw malformed('Version must be "2012-10-17" or "2008-10-17".');
  if (doc.Id !== undefined && typeof doc.Id !== "string") throw malformed("Id must be a string.");
  const raw = doc.Statement;
  if (raw === undefined) throw malformed("The policy must contain a Statement.");
  const list = Array.isArray(raw) ? raw : [raw];
  if (list.length === 0) throw malformed("The policy must contain at least one statement.");
  return {
    kind,
    version,
    ...(doc.Id === undefined ? {} : { id: doc.Id as string }),
    statements: list.map((s, i) => parseStatement(s, i, kind)),
  };
}

/**
 * Parses and validates a policy document sent as text (PutKeyPolicy's and CreateKey's Policy).
 * Throws MalformedPolicyDocumentException for a document over 32768 UTF-8 bytes, invalid JSON,
 * or any of the problems `parsePolicyObject` reports.
 */
export function parsePolicy(text: string, kind: PolicyKind): Policy {
  const bytes = new TextEncoder().encode(text).length;
  if (bytes > MAX_KEY_POLICY_BYTES) {
    throw malformed(`The policy document is ${bytes} bytes; the maximum is ${MAX_KEY_POLICY_BYTES} bytes.`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw malformed("The policy document is not valid JSON.");
  }
  return parsePolicyObject(doc, kind);
}

export type PolicyParseResult = { ok: true; policy: Policy } | { ok: false; error: KmsError };

/** `parsePolicy` as a result value instead of an exception. */
export function tryParsePolicy(text: string, kind: PolicyKind): PolicyParseResult {
  try {
    return { ok: true, policy: parsePolicy(text, kind) };
  } catch (err) {
    if (err instanceof KmsError) return { ok: false, error: err };
    throw err;
  }
}
