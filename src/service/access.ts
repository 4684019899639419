/**
 * Access control for the worker and the key objects: turns a caller and the facts of its request
 * into the policy engine's request context (src/policy), and decides
 * - IAM-only operations and the alias half of the alias operations, in the worker
 *   (`requireIamPermission`: CreateKey, ListKeys, ListAliases, GenerateRandom,
 *   ListRetirableGrants; the alias ARN of CreateAlias/UpdateAlias/DeleteAlias), and
 * - every operation on a key, in that key's own object, where its policy and grants live
 *   (`authorizeOnKey`).
 *
 * Spec: AWS KMS Developer Guide (2017), "Authentication and Access Control", "AWS KMS API
 * Permissions Reference", "Determining Access" — the rules themselves are src/policy/authorize.ts.
 *
 * Security: every refusal is the engine's AccessDeniedException, thrown before anything changes.
 * The caller's IAM policies come from the identity configuration (validated when it was loaded);
 * the key policy from storage (validated when it was put). A stored policy that no longer parses
 * fails closed: nobody gets in through it.
 */
import {
  accessDeniedError,
  authorize,
  authorizeIamOnly,
  buildContext,
  lockoutError,
  parsePolicy,
  parsePolicyObject,
  wouldLockOut,
} from "../policy/index.ts";
import type { GrantAllowance, Policy, RequestContext } from "../policy/index.ts";
import type { Principal } from "../auth/identities.ts";
import type { Tag } from "../protocol/shapes.ts";
import type { CallFacts, Caller } from "./caller.ts";

/** The request context for one action of `caller`'s request on `resource` ("*" for none). */
export function requestContext(
  caller: Caller,
  action: string,
  resource: string,
  facts: CallFacts = {},
  resourceTags?: readonly Tag[],
): RequestContext {
  const { grantTokens: _tokens, newGrant: _grant, ...conditionFacts } = facts;
  return buildContext({
    action,
    resource,
    principal: caller.principal,
    // An address the platform did not vouch for is no address: aws:SourceIp is then absent.
    ...(caller.sourceIp === undefined || caller.sourceIpTrusted !== true ? {} : { sourceIp: caller.sourceIp }),
    secureTransport: caller.secureTransport,
    ...conditionFacts,
    ...(resourceTags === undefined ? {} : { resourceTags: Object.fromEntries(resourceTags.map((t) => [t.TagKey, t.TagValue])) }),
  });
}

// Identity configurations are small and fixed per deployment: remember parsed policies by text.
const iamCache = new Map<string, Policy>();
const keyPolicyCache = new Map<string, Policy | null>();
const CACHE_LIMIT = 256;

function remember<V>(cache: Map<string, V>, text: string, make: () => V): V {
  const hit = cache.get(text);
  if (hit !== undefined) return hit;
  const value = make();
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  cache.set(text, value);
  return value;
}

/** The principal's IAM policies, parsed (none for a root user). */
export function identityPolicies(principal: Principal): Policy[] {
  return (principal.policies ?? []).map((doc) => {
    const text = JSON.stringify(doc);
    return remember(iamCache, text, () => parsePolicyObject(doc, "iam"));
  });
}

/** A stored key policy, parsed; undefined when it does not parse (then nothing is allowed through it). */
export function storedKeyPolicy(text: string): Policy | undefined {
  const parsed = remember(keyPolicyCache, text, () => {
    try {
      return parsePolicy(text, "key");
    } catch {
      return null;
    }
  });
  return parsed ?? undefined;
}

const NOTHING: Policy = { kind: "key", version: "2012-10-17", statements: [] };

/**
 * Decides an IAM-only permission (or the alias half of an alias operation) for the caller.
 * @throws AccessDeniedException in AWS's wording
 */
export function requireIamPermission(caller: Caller, action: string, resource: string, facts: CallFacts = {}): void {
  const context = requestContext(caller, action, resource, facts);
  const auth = authorizeIamOnly(context, identityPolicies(caller.principal));
  if (!auth.allowed) throw accessDeniedError(auth, context);
}

export interface KeyAuthorization {
  caller: Caller;
  facts?: CallFacts;
  action: string;
  keyArn: string;
  keyPolicy: string;
  keyTags: readonly Tag[];
  /** Grants on the key that apply to this request (see KeyGrants.applicable). */
  grants: (context: RequestContext) => Promise<GrantAllowance[]>;
}

/**
 * Decides one action on a key from its key policy, the caller's IAM policies and the key's grants.
 * Grants can only add an allow, so they are read only when the policies alone neither allow nor
 * explicitly deny — unless the request carries grant tokens, which are checked in every case.
 * @throws AccessDeniedException in AWS's wording; InvalidGrantTokenException
 */
export async function authorizeOnKey(request: KeyAuthorization): Promise<void> {
  const context = requestContext(request.caller, request.action, request.keyArn, request.facts, request.keyTags);
  const base = {
    context,
    keyPolicy: storedKeyPolicy(request.keyPolicy) ?? NOTHING,
    identityPolicies: identityPolicies(request.caller.principal),
  };
  const tokens = (request.facts?.grantTokens?.length ?? 0) > 0;
  let auth = authorize(tokens ? { ...base, grants: await request.grants(context) } : base);
  if (!auth.allowed && !tokens && auth.reason !== "explicit-deny") auth = authorize({ ...base, grants: await request.grants(context) });
  if (!auth.allowed) throw accessDeniedError(auth, context);
}

/**
 * A new key policy (CreateKey's Policy, PutKeyPolicy): parsed as a key policy, then — unless the
 * request set BypassPolicyLockoutSafetyCheck — refused when it would not let the calling
 * principal call PutKeyPolicy on the key afterwards (guide: "the policy lockout safety check").
 * @throws MalformedPolicyDocumentException (invalid document, or the lockout check)
 */
export function checkNewKeyPolicy(caller: Caller, facts: CallFacts, keyArn: string, keyTags: readonly Tag[], text: string): Policy {
  const policy = parsePolicy(text, "key");
  if (facts.bypassPolicyLockoutSafetyCheck !== true) {
    const context = requestContext(caller, "kms:PutKeyPolicy", keyArn, facts, keyTags);
    if (wouldLockOut(policy, { context, identityPolicies: identityPolicies(caller.principal) })) throw lockoutError();
  }
  return policy;
}

/** True when the caller's IAM policies (alone) allow `action` on `resource`. */
export function iamAllows(caller: Caller, action: string, resource: string): boolean {
  return authorizeIamOnly(requestContext(caller, action, resource), identityPolicies(caller.principal)).allowed;
}
