/**
 * The combined access decision for a KMS request: key policy, IAM policies and grants together,
 * plus AWS's AccessDeniedException wording and the key policy lockout safety check.
 *
 * Spec: AWS KMS Developer Guide (2017), "Determining Access to an AWS KMS Customer Master Key" /
 * "Understanding Policy Evaluation", "Managing Access to AWS KMS CMKs", "Allowing External AWS
 * Accounts to Access a CMK" and "Using Grants":
 * 1. An explicit Deny in the key policy or in any IAM policy of the caller wins over everything,
 *    grants included.
 * 2. Otherwise the request is allowed when
 *    a. the key policy allows the caller directly (its ARN, its role, "*", or — for a root user —
 *       its account) and the caller is in the key's account; or
 *    b. the key policy allows the caller's account — which "enables IAM policies" — and an IAM
 *       policy of the caller allows the action on the key; or
 *    c. the caller is in another account, the key policy allows it or its account, and its own
 *       IAM policy allows it too ("Neither step by itself is sufficient"); or
 *    d. a grant allows it (a grant to an account needs the IAM policy as in b).
 *    IAM policies alone never open a key.
 * 3. An account's root user has every IAM permission (it has no IAM policies and needs none), but
 *    it reaches a key only through the key policy: "the root user can access a CMK only when the
 *    key policy explicitly allows it".
 * Operations whose permission lives only in IAM (CreateKey, ListKeys, ...) use `authorizeIamOnly`.
 *
 * Grants are sufficient without IAM policies, also across accounts (a grant is a resource-side
 * allowance naming the grantee, like a key policy statement naming the caller).
 *
 * Refusal messages are IAM's: "User: <arn> is not authorized to perform: <action> on resource:
 * <arn> because no resource-based policy allows the <action> action", "... because no
 * identity-based policy allows ...", "... with an explicit deny in a resource-based policy",
 * "... with an explicit deny in an identity-based policy".
 */
import { parseArn } from "../arn.ts";
import { accessDenied, KmsError } from "../protocol/errors.ts";
import { withAction, type RequestContext } from "./context.ts";
import { POLICY_MESSAGES, type Policy } from "./document.ts";
import { evaluatePolicies, evaluatePolicy, type PoliciesEvaluation, type PrincipalMatch, type StatementRef } from "./evaluate.ts";

/** A grant the grant store found applicable, with how it matched (see grants.ts `grantMatch`). */
export interface GrantAllowance {
  grantId: string;
  via: PrincipalMatch;
}

export interface AuthorizeRequest {
  context: RequestContext;
  /** The key's policy, parsed with kind "key". */
  keyPolicy: Policy;
  /** The caller's IAM policies, parsed with kind "iam" (none for a root user). */
  identityPolicies: readonly Policy[];
  /** Grants on the key that apply to this request. */
  grants?: readonly GrantAllowance[];
}

export type AuthorizationReason =
  | "key-policy"
  | "iam-policy"
  | "grant"
  | "root"
  | "explicit-deny"
  | "no-resource-policy"
  | "no-identity-policy";

export interface Deciding {
  source: "key-policy" | "iam-policy" | "grant";
  statement?: StatementRef;
  /** For IAM policies: which of the caller's policies. */
  policyIndex?: number;
  grantId?: string;
}

export interface Authorization {
  allowed: boolean;
  reason: AuthorizationReason;
  /** The policy statement or grant that decided (for an allow, the one that opened the key). */
  deciding?: Deciding;
}

function iamDeciding(e: PoliciesEvaluation): Deciding {
  return {
    source: "iam-policy",
    ...(e.statement === undefined ? {} : { statement: e.statement }),
    ...(e.policyIndex === undefined ? {} : { policyIndex: e.policyIndex }),
  };
}

/** The caller's identity-based decision; a root user is allowed everything by IAM. */
function identityDecision(context: RequestContext, policies: readonly Policy[]): PoliciesEvaluation & { root: boolean } {
  if (context.principal.type === "Root") return { decision: "Allow", root: true };
  return { ...evaluatePolicies(policies, context), root: false };
}

/** The owner account of the request's resource (the caller's own when the resource is "*"). */
function resourceAccount(context: RequestContext): string {
  return parseArn(context.resource)?.account || context.principal.accountId;
}

/** Decides a request on a key (see the module comment for the rules). Never throws. */
export function authorize(request: AuthorizeRequest): Authorization {
  const { context, keyPolicy, identityPolicies, grants = [] } = request;
  const iam = identityDecision(context, identityPolicies);
  if (iam.decision === "Deny") return { allowed: false, reason: "explicit-deny", deciding: iamDeciding(iam) };
  const key = evaluatePolicy(keyPolicy, context);
  const keyDeciding: Deciding = { source: "key-policy", ...(key.statement === undefined ? {} : { statement: key.statement }) };
  if (key.decision === "Deny") return { allowed: false, reason: "explicit-deny", deciding: keyDeciding };

  const iamAllows = iam.decision === "Allow";
  const sameAccount = context.principal.accountId === resourceAccount(context);
  if (key.decision === "Allow") {
    if (key.via === "principal" && sameAccount) return { allowed: true, reason: "key-policy", deciding: keyDeciding };
    if (iamAllows) {
      return iam.root
        ? { allowed: true, reason: "root", deciding: keyDeciding }
        : { allowed: true, reason: "iam-policy", deciding: iamDeciding(iam) };
    }
  }
  for (const g of grants) {
    if (g.via === "principal" || iamAllows) return { allowed: true, reason: "grant", deciding: { source: "grant", grantId: g.grantId } };
  }
  return { allowed: false, reason: key.decision === "Allow" ? "no-identity-policy" : "no-resource-policy" };
}

/**
 * Decides a request whose permission lives only in IAM policies (CreateKey, ListKeys,
 * ListAliases, GenerateRandom, ListRetirableGrants, and the alias half of the alias operations).
 * A root user is allowed (it has all IAM permissions); anyone else needs an IAM Allow and no Deny.
 */
export function authorizeIamOnly(context: RequestContext, identityPolicies: readonly Policy[]): Authorization {
  const iam = identityDecision(context, identityPolicies);
  if (iam.decision === "Deny") return { allowed: false, reason: "explicit-deny", deciding: iamDeciding(iam) };
  if (iam.root) return { allowed: true, reason: "root" };
  if (iam.decision === "Allow") return { allowed: true, reason: "iam-policy", deciding: iamDeciding(iam) };
  return { allowed: false, reason: "no-identity-policy" };
}

/**
 * The AccessDeniedException for a refusal, in AWS's wording. Throws nothing; returns the error
 * for the caller to throw. (For an allowed decision it still builds the bare message.)
 */
export function accessDeniedError(auth: Authorization, context: RequestContext): KmsError {
  const { action, resource, principal } = context;
  let reason: string | undefined;
  if (auth.reason === "explicit-deny") {
    reason =
      auth.deciding?.source === "key-policy"
        ? "with an explicit deny in a resource-based policy"
        : "with an explicit deny in an identity-based policy";
  } else if (auth.reason === "no-resource-policy") {
    reason = `because no resource-based policy allows the ${action} action`;
  } else if (auth.reason === "no-identity-policy") {
    reason = `because no identity-based policy allows the ${action} action`;
  }
  return accessDenied(principal.arn, action, resource, reason);
}

export interface LockoutCheck {
  /** The caller's request context; its resource must be the key's ARN. */
  context: RequestContext;
  /** The caller's IAM policies (none for a root user). */
  identityPolicies: readonly Policy[];
}

/**
 * The policy lockout safety check (CreateKey, PutKeyPolicy): true when `newPolicy` would not let
 * the calling principal call kms:PutKeyPolicy on the key afterwards, evaluated with the caller's
 * current IAM policies and request conditions. Grants are not considered (PutKeyPolicy is not a
 * grant operation).
 */
export function wouldLockOut(newPolicy: Policy, caller: LockoutCheck): boolean {
  const context = withAction(caller.context, "kms:PutKeyPolicy");
  return !authorize({ context, keyPolicy: newPolicy, identityPolicies: caller.identityPolicies }).allowed;
}

/** MalformedPolicyDocumentException in AWS's wording for a policy that fails the lockout check. */
export function lockoutError(): KmsError {
  return new KmsError("MalformedPolicyDocumentException", POLICY_MESSAGES.lockout);
}
