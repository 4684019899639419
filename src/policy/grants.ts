/**
 * Grant matching: does a grant allow this request? The grant store decides which grants to
 * consider (it indexes them by grantee so the cost does not grow with unrelated grants); this
 * module holds the pure per-grant rule.
 *
 * Spec: AWS KMS Developer Guide (2017), "Using Grants" (a grant names a grantee principal and the
 * operations it allows, optionally constrained by EncryptionContextEquals — the request's
 * encryption context must be exactly the constraint's — or EncryptionContextSubset — the request
 * must contain every pair of the constraint and may contain more); KMS API Reference,
 * "GrantConstraints" (constraints apply only to operations that take an encryption context, so a
 * constrained grant still allows DescribeKey or RetireGrant; in a constraint the *key* of each pair
 * is compared case-insensitively and the value case-sensitively).
 *
 * Ambiguity fails closed (src/case-insensitive.ts): a constraint pair that several members of the
 * request's context match ignoring case ({"tenant":"carol","Tenant":"alice"} against
 * {"tenant":"alice"}) is not met, whichever member has the wanted value; nor is a constraint that
 * itself holds keys differing only in case.
 *
 * A grantee that is an account (`arn:aws:iam::<acct>:root`) matches that account's root user
 * directly, and its users and roles only "via the account" — like a key policy naming the
 * account, that needs an IAM policy of the user or role too (see `authorize`).
 *
 * Security: a grant never overrides an explicit Deny; `authorize` checks denies before grants.
 */
import type { Principal } from "../auth/identities.ts";
import { caseCollisions, lookupIgnoringCase } from "../case-insensitive.ts";
import { ENCRYPTION_CONTEXT_OPERATIONS, grantOperationFor } from "./actions.ts";
import type { RequestContext } from "./context.ts";
import { matchPrincipalSet, type PrincipalMatch } from "./evaluate.ts";

export interface GrantConstraints {
  encryptionContextSubset?: Readonly<Record<string, string>>;
  encryptionContextEquals?: Readonly<Record<string, string>>;
}

/** The parts of a grant that decide whether it applies (the grant store's record has more). */
export interface GrantRule {
  grantId?: string;
  /** An IAM ARN (account root, user, role, assumed-role session) or a service principal. */
  granteePrincipal: string;
  /** Grant operation names, e.g. "Decrypt", "ReEncryptFrom". */
  operations: readonly string[];
  constraints?: GrantConstraints;
}

/** How a grantee principal matches the caller, or undefined when it does not. */
export function granteeMatch(grantee: string, principal: Principal): PrincipalMatch | undefined {
  return matchPrincipalSet({ wildcard: false, aws: [grantee], service: [], federated: [] }, principal);
}

/**
 * True when the request's encryption context satisfies the constraints for this operation.
 * Operations without an encryption context ignore constraints.
 */
export function constraintsSatisfied(
  constraints: GrantConstraints | undefined,
  operation: string,
  encryptionContext: Readonly<Record<string, string>> = {},
): boolean {
  if (constraints === undefined || !ENCRYPTION_CONTEXT_OPERATIONS.has(operation)) return true;
  // Each required pair must match exactly one member, by key ignoring case and by exact value.
  const containsAll = (required: Readonly<Record<string, string>>): boolean =>
    caseCollisions(Object.keys(required)).size === 0 &&
    Object.entries(required).every(([k, v]) => {
      const found = lookupIgnoringCase(encryptionContext, k);
      return found !== undefined && found !== "ambiguous" && found.value === v;
    });
  const { encryptionContextEquals: equals, encryptionContextSubset: subset } = constraints;
  if (equals !== undefined) {
    if (Object.keys(encryptionContext).length !== Object.keys(equals).length || !containsAll(equals)) return false;
  }
  if (subset !== undefined && !containsAll(subset)) return false;
  return true;
}

/**
 * How a grant applies to the request: "principal" when it allows the caller outright, "account"
 * when its grantee is the caller's account (an IAM policy must allow the action as well), or
 * undefined when it does not apply (other grantee, operation not granted, constraints unmet).
 */
export function grantMatch(grant: GrantRule, context: RequestContext): PrincipalMatch | undefined {
  const operation = grantOperationFor(context.action);
  if (operation === undefined || !grant.operations.includes(operation)) return undefined;
  const via = granteeMatch(grant.granteePrincipal, context.principal);
  if (via === undefined) return undefined;
  return constraintsSatisfied(grant.constraints, operation, context.encryptionContext) ? via : undefined;
}

/** True when the grant by itself allows the request (grantee is the caller, its role, or its root). */
export function grantAllows(grant: GrantRule, context: RequestContext): boolean {
  return grantMatch(grant, context) === "principal";
}
