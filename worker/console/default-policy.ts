/**
 * The key policy the console creates, and its "default view" (the guide's "Default Key Policy"
 * and "Using the AWS Management Console's Default View").
 *
 * The policy has Id "key-consolepolicy-2" and up to four statements, by their guide Sids:
 * - "Enable IAM User Permissions": the account root, kms:*;
 * - "Allow access for Key Administrators": the chosen administrators, the guide's administrator
 *   actions (with kms:ImportKeyMaterial for EXTERNAL keys, and kms:ScheduleKeyDeletion /
 *   kms:CancelKeyDeletion when "Allow key administrators to delete this key" is selected);
 * - "Allow use of the key" and "Allow attachment of persistent resources": the key users and the
 *   external accounts (as their roots), the latter only for grants for AWS resources.
 * A statement whose principal list would be empty is left out, as the console does.
 *
 * `readDefaultView` recognises such a policy (also one with only the first statement, AWS's
 * programmatic default) and returns its administrators, users and accounts; any other policy has
 * no default view and is edited in the policy view. Pure and runtime-neutral.
 */

export const CONSOLE_POLICY_ID = "key-consolepolicy-2";
export const SID_ROOT = "Enable IAM User Permissions";
export const SID_ADMINS = "Allow access for Key Administrators";
export const SID_USE = "Allow use of the key";
export const SID_GRANTS = "Allow attachment of persistent resources";

const ADMIN_ACTIONS = [
  "kms:Create*",
  "kms:Describe*",
  "kms:Enable*",
  "kms:List*",
  "kms:Put*",
  "kms:Update*",
  "kms:Revoke*",
  "kms:Disable*",
  "kms:Get*",
  "kms:Delete*",
];
const IMPORT_ACTION = "kms:ImportKeyMaterial";
const TAG_ACTIONS = ["kms:TagResource", "kms:UntagResource"];
const DELETE_ACTIONS = ["kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion"];
const USE_ACTIONS = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"];
const GRANT_ACTIONS = ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"];

export interface DefaultView {
  /** IAM user and role ARNs of the key administrators. */
  administrators: string[];
  allowAdministratorsToDelete: boolean;
  /** IAM user and role ARNs of the key users in this account. */
  users: string[];
  /** 12-digit IDs of the other AWS accounts that can use the key. */
  externalAccounts: string[];
}

export interface PolicyInput extends DefaultView {
  accountId: string;
  /** EXTERNAL keys give administrators kms:ImportKeyMaterial. */
  origin: string;
}

export function rootArn(accountId: string): string {
  return `arn:aws:iam::${accountId}:root`;
}

function principal(arns: string[]): { AWS: string | string[] } {
  return { AWS: arns.length === 1 ? arns[0]! : arns };
}

export function administratorActions(origin: string, allowDelete: boolean): string[] {
  return [...ADMIN_ACTIONS, ...(origin === "EXTERNAL" ? [IMPORT_ACTION] : []), ...TAG_ACTIONS, ...(allowDelete ? DELETE_ACTIONS : [])];
}

/** The console's key policy document for these choices. */
export function buildConsolePolicy(input: PolicyInput): Record<string, unknown> {
  const statements: Record<string, unknown>[] = [
    { Sid: SID_ROOT, Effect: "Allow", Principal: { AWS: rootArn(input.accountId) }, Action: "kms:*", Resource: "*" },
  ];
  const admins = unique(input.administrators);
  if (admins.length > 0) {
    statements.push({
      Sid: SID_ADMINS,
      Effect: "Allow",
      Principal: principal(admins),
      Action: administratorActions(input.origin, input.allowAdministratorsToDelete),
      Resource: "*",
    });
  }
  const users = unique([...input.users, ...input.externalAccounts.map(rootArn)]);
  if (users.length > 0) {
    statements.push({ Sid: SID_USE, Effect: "Allow", Principal: principal(users), Action: USE_ACTIONS, Resource: "*" });
    statements.push({
      Sid: SID_GRANTS,
      Effect: "Allow",
      Principal: principal(users),
      Action: GRANT_ACTIONS,
      Resource: "*",
      Condition: { Bool: { "kms:GrantIsForAWSResource": "true" } },
    });
  }
  return { Version: "2012-10-17", Id: CONSOLE_POLICY_ID, Statement: statements };
}

export function formatPolicy(policy: Record<string, unknown>): string {
  return JSON.stringify(policy, null, 2);
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

function asList(value: unknown): string[] | undefined {
  if (typeof value === "string") return [value];
  if (Array.isArray(value) && value.every((v) => typeof v === "string")) return value as string[];
  return undefined;
}

function sameSet(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}

const EXTERNAL_ROOT = /^arn:aws:iam::(\d{12}):root$/;

/**
 * The default view of a key policy, or undefined when the policy is not one the console's default
 * view can show and edit without changing its meaning.
 */
export function readDefaultView(policyText: string, accountId: string, origin: string): DefaultView | undefined {
  let policy: unknown;
  try {
    policy = JSON.parse(policyText);
  } catch {
    return undefined;
  }
  if (policy === null || typeof policy !== "object" || Array.isArray(policy)) return undefined;
  const statements = asStatements((policy as { Statement?: unknown }).Statement);
  if (statements === undefined) return undefined;
  const view: DefaultView = { administrators: [], allowAdministratorsToDelete: true, users: [], externalAccounts: [] };
  const seen = new Set<string>();
  let usePrincipals: string[] | undefined;
  let grantPrincipals: string[] | undefined;
  for (const s of statements) {
    const sid = s.Sid;
    if (typeof sid !== "string" || seen.has(sid)) return undefined;
    seen.add(sid);
    if (s.Effect !== "Allow" || s.Resource !== "*" || s.NotAction !== undefined || s.NotPrincipal !== undefined) return undefined;
    const p = s.Principal as { AWS?: unknown } | undefined;
    if (p === null || typeof p !== "object" || Object.keys(p).length !== 1) return undefined;
    const arns = asList(p.AWS);
    const actions = asList(s.Action);
    if (arns === undefined || actions === undefined) return undefined;
    const conditionless = s.Condition === undefined;
    if (sid === SID_ROOT) {
      if (!conditionless || !sameSet(arns, [rootArn(accountId)]) || !sameSet(actions, ["kms:*"])) return undefined;
    } else if (sid === SID_ADMINS) {
      if (!conditionless) return undefined;
      if (sameSet(actions, administratorActions(origin, true))) view.allowAdministratorsToDelete = true;
      else if (sameSet(actions, administratorActions(origin, false))) view.allowAdministratorsToDelete = false;
      else return undefined;
      view.administrators = arns;
    } else if (sid === SID_USE) {
      if (!conditionless || !sameSet(actions, USE_ACTIONS)) return undefined;
      usePrincipals = arns;
    } else if (sid === SID_GRANTS) {
      const c = s.Condition as { Bool?: Record<string, unknown> } | undefined;
      const bool = c?.Bool;
      if (c === undefined || Object.keys(c).length !== 1 || bool === undefined || Object.keys(bool).length !== 1) return undefined;
      const v = bool["kms:GrantIsForAWSResource"];
      if (v !== "true" && v !== true) return undefined;
      if (!sameSet(actions, GRANT_ACTIONS)) return undefined;
      grantPrincipals = arns;
    } else {
      return undefined;
    }
  }
  if (!seen.has(SID_ROOT)) return undefined;
  if ((usePrincipals === undefined) !== (grantPrincipals === undefined)) return undefined;
  if (usePrincipals !== undefined && !sameSet(usePrincipals, grantPrincipals!)) return undefined;
  for (const arn of usePrincipals ?? []) {
    const external = EXTERNAL_ROOT.exec(arn);
    if (external !== null && external[1] !== accountId) view.externalAccounts.push(external[1]!);
    else view.users.push(arn);
  }
  return view;
}

function asStatements(value: unknown): Record<string, unknown>[] | undefined {
  const list = Array.isArray(value) ? value : value !== null && typeof value === "object" ? [value] : undefined;
  if (list === undefined || !list.every((s) => s !== null && typeof s === "object" && !Array.isArray(s))) return undefined;
  return list as Record<string, unknown>[];
}
