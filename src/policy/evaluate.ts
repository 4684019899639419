/**
 * Evaluation of one policy document against a request context: which statements apply, and the
 * document's decision — Allow, Deny, or ImplicitDeny (nothing applies) — with the deciding
 * statement.
 *
 * Spec: IAM User Guide, "Policy evaluation logic" (an applicable Deny beats any Allow; without an
 * applicable Allow the request is implicitly denied), "Principal", "NotPrincipal", "Action",
 * "NotAction", "Resource", "NotResource" (wildcards; action names are case-insensitive, resource
 * ARNs case-sensitive; policy variables in Resource for 2012-10-17 documents); AWS KMS Developer
 * Guide (2017), "Allows Access to the AWS Account and Enables IAM Policies": a key policy that
 * names the account (`arn:aws:iam::<acct>:root` or `<acct>`) gives the account's root user
 * access and *enables IAM policies* for the account's users and roles — it does not by itself
 * allow them. So a principal match is reported as either "principal" (the statement names the
 * caller, its role, "*", or — for the root user — its account) or "account" (the statement names
 * only the caller's account: an Allow of this kind needs an IAM policy too; a Deny applies to the
 * whole account as it is).
 *
 * NotPrincipal follows the IAM User Guide's "NotPrincipal" page: AWS may check the account first,
 * then the role, then the assumed-role session (identified by its session name), so a caller is
 * excluded only when the list names every link of that chain — the root user by its account; an
 * IAM user by its account and its user ARN; an assumed-role session by its account, its role ARN
 * *and its own session ARN* (`arn:aws:sts::<acct>:assumed-role/<role>/<session>`). Naming only the
 * role does not exempt the role's sessions, and no wildcard can stand for "all sessions".
 *
 * Security: evaluation is pure and total; an element that cannot match (a Service principal
 * when the caller is an IAM identity, an unresolvable policy variable) simply does not apply.
 * An element that reads an ambiguous request key (a condition, or a Resource with a policy
 * variable; see context.ts) decides against the request: an Allow does not apply, a Deny does.
 */
import { parseArn } from "../arn.ts";
import type { Principal } from "../auth/identities.ts";
import { compileValue, evaluateConditions, referencesAmbiguousKey } from "./conditions.ts";
import type { RequestContext } from "./context.ts";
import type { Policy, PolicyStatement, PrincipalSet } from "./document.ts";
import { matchUnits, wildcardMatch } from "./match.ts";

export type Decision = "Allow" | "Deny" | "ImplicitDeny";

/** How a statement's principal element matched: the caller itself, or only the caller's account. */
export type PrincipalMatch = "principal" | "account";

export interface StatementRef {
  /** Position in the policy's Statement array. */
  index: number;
  sid?: string;
}

export interface PolicyEvaluation {
  decision: Decision;
  /** The statement that decided (the Deny, or the Allow), when one did. */
  statement?: StatementRef;
  /** For an Allow: whether the key policy named the caller or only the caller's account. */
  via?: PrincipalMatch;
}

const ACCOUNT_ID = /^\d{12}$/;

/** The account an AWS principal entry names as an account ("111122223333" or its root ARN), if any. */
function accountOf(entry: string): string | undefined {
  if (ACCOUNT_ID.test(entry)) return entry;
  const arn = parseArn(entry);
  return arn !== undefined && arn.service === "iam" && arn.resource === "root" ? arn.account : undefined;
}

/** True when `entry` names this principal itself (not merely its account). */
function namesPrincipal(entry: string, p: Principal): boolean {
  return entry === p.arn || (p.type === "AssumedRole" && entry === p.roleArn);
}

/** How a Principal element matches a caller, or undefined when it does not. */
export function matchPrincipalSet(set: PrincipalSet, p: Principal): PrincipalMatch | undefined {
  if (set.wildcard) return "principal";
  let result: PrincipalMatch | undefined;
  for (const entry of set.aws) {
    const account = accountOf(entry);
    if (account !== undefined) {
      if (account === p.accountId) {
        if (p.type === "Root") return "principal";
        result = "account";
      }
    } else if (namesPrincipal(entry, p)) {
      return "principal";
    }
  }
  // Service and Federated principals never match: EdgeKMS callers are IAM identities.
  return result;
}

/** True when a NotPrincipal element excludes the caller: it names every link of its chain (see the module comment). */
export function excludedByNotPrincipal(set: PrincipalSet, p: Principal): boolean {
  if (set.wildcard) return true;
  const listed = (arn: string | undefined): boolean => arn !== undefined && set.aws.includes(arn);
  const accountListed = set.aws.some((e) => accountOf(e) === p.accountId);
  switch (p.type) {
    case "Root":
      return accountListed;
    case "IAMUser":
      return accountListed && listed(p.arn);
    case "AssumedRole":
      return accountListed && listed(p.roleArn) && listed(p.arn);
  }
}

function actionMatches(patterns: readonly string[], action: string): boolean {
  // IAM: action names are case-insensitive ("kms:encrypt" = "kms:Encrypt").
  return patterns.some((p) => wildcardMatch(p, action, true));
}

/** True when a pattern matches the resource; `onAmbiguous` for a pattern whose variable is ambiguous. */
function resourceMatches(patterns: readonly string[], context: RequestContext, variables: boolean, onAmbiguous: boolean): boolean {
  return patterns.some((p) => {
    if (p === "*") return true;
    if (referencesAmbiguousKey(p, context, variables)) return onAmbiguous;
    const units = compileValue(p, context, variables);
    return units !== undefined && matchUnits(units, context.resource);
  });
}

/**
 * Whether a statement applies to the request, and how its principal matched. IAM policies have
 * no principal element: their statements apply to the identity they are attached to.
 */
export function statementApplies(stmt: PolicyStatement, context: RequestContext, variables: boolean): PrincipalMatch | undefined {
  let via: PrincipalMatch | undefined = "principal";
  if (stmt.principal !== undefined) via = matchPrincipalSet(stmt.principal, context.principal);
  else if (stmt.notPrincipal !== undefined && excludedByNotPrincipal(stmt.notPrincipal, context.principal)) via = undefined;
  if (via === undefined) return undefined;

  if (stmt.action !== undefined && !actionMatches(stmt.action, context.action)) return undefined;
  if (stmt.notAction !== undefined && actionMatches(stmt.notAction, context.action)) return undefined;
  // Ambiguity decides against the request: it makes a Deny apply and an Allow not.
  const deny = stmt.effect === "Deny";
  if (stmt.resource !== undefined && !resourceMatches(stmt.resource, context, variables, deny)) return undefined;
  if (stmt.notResource !== undefined && resourceMatches(stmt.notResource, context, variables, !deny)) return undefined;
  if (!evaluateConditions(stmt.conditions, context, variables, deny)) return undefined;
  return via;
}

function ref(stmt: PolicyStatement): StatementRef {
  return stmt.sid === undefined ? { index: stmt.index } : { index: stmt.index, sid: stmt.sid };
}

/**
 * The decision of one policy document: Deny when any applicable statement denies; otherwise
 * Allow when one allows (preferring a statement that names the caller over one that names only
 * its account); otherwise ImplicitDeny.
 */
export function evaluatePolicy(policy: Policy, context: RequestContext): PolicyEvaluation {
  // Policy variables exist only from version 2012-10-17 on; in 2008-10-17 "${...}" is literal.
  const variables = policy.version === "2012-10-17";
  let direct: PolicyStatement | undefined;
  let viaAccount: PolicyStatement | undefined;
  for (const stmt of policy.statements) {
    const via = statementApplies(stmt, context, variables);
    if (via === undefined) continue;
    if (stmt.effect === "Deny") return { decision: "Deny", statement: ref(stmt) };
    if (via === "principal") direct ??= stmt;
    else viaAccount ??= stmt;
  }
  if (direct !== undefined) return { decision: "Allow", statement: ref(direct), via: "principal" };
  if (viaAccount !== undefined) return { decision: "Allow", statement: ref(viaAccount), via: "account" };
  return { decision: "ImplicitDeny" };
}

export interface PoliciesEvaluation extends PolicyEvaluation {
  /** Index of the deciding policy in the list. */
  policyIndex?: number;
}

/** The combined decision of several policies of one kind (a principal's IAM policies). */
export function evaluatePolicies(policies: readonly Policy[], context: RequestContext): PoliciesEvaluation {
  let allow: PoliciesEvaluation | undefined;
  for (let i = 0; i < policies.length; i++) {
    const result = evaluatePolicy(policies[i]!, context);
    if (result.decision === "Deny") return { ...result, policyIndex: i };
    if (result.decision === "Allow") allow ??= { ...result, policyIndex: i };
  }
  return allow ?? { decision: "ImplicitDeny" };
}
