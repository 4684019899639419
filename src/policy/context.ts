/**
 * The request context: every fact a policy decision needs — who is asking (the principal), what
 * they want to do (the action, e.g. "kms:Encrypt"), on what (the resource ARN, or "*" for
 * operations without a resource), and the condition keys of the request.
 *
 * Spec: IAM User Guide, "AWS global condition context keys" (aws:SourceIp, aws:CurrentTime,
 * aws:EpochTime, aws:SecureTransport, aws:PrincipalArn, aws:PrincipalAccount, aws:PrincipalType,
 * aws:userid, aws:username, aws:ResourceTag/<k>, aws:RequestTag/<k>, aws:TagKeys) and the KMS
 * Developer Guide, "AWS KMS condition keys" (kms:BypassPolicyLockoutSafetyCheck,
 * kms:CallerAccount, kms:EncryptionContext:<k>, kms:EncryptionContextKeys,
 * kms:GrantConstraintType, kms:GrantIsForAWSResource, kms:GrantOperations,
 * kms:ReEncryptOnSameKey, kms:ViaService).
 *
 * Case: condition key *names* are case-insensitive in IAM, so keys are stored lower-cased and
 * looked up lower-cased — including the <k> part of kms:EncryptionContext:<k> and of the tag
 * keys (the KMS guide points users who need a case-sensitive context key to
 * kms:EncryptionContextKeys, whose *values* keep their case). Values keep their case.
 *
 * Ambiguity: an encryption context or a tag set may hold several members whose keys differ only
 * in case ({"tenant":"carol","Tenant":"alice"}); then kms:EncryptionContext:tenant names both.
 * Such a condition key gets no value and is listed in `ambiguous` instead, and the evaluator makes
 * every clause that reads it decide against the request (src/case-insensitive.ts): an Allow does
 * not apply, a Deny does. Keeping the first or the last variant would let member order decide.
 *
 * Multi-valued keys (kms:EncryptionContextKeys, kms:GrantOperations, aws:TagKeys) are stored as
 * arrays, even with one element, so ForAllValues/ForAnyValue can tell them apart; single-valued
 * keys are strings. Booleans are "true"/"false", as IAM's Bool operator compares them.
 *
 * Security: the context holds request metadata only (encryption context is not secret by
 * design — it appears in CloudTrail); never put plaintext or key material here.
 */
import type { Principal } from "../auth/identities.ts";
import { caseCollisions, foldCase } from "../case-insensitive.ts";
import { IAM_ONLY_ACTIONS } from "./actions.ts";

/** A condition key's value: a string for single-valued keys, an array for multi-valued ones. */
export type ContextValue = string | readonly string[];

export interface RequestContext {
  /** The action being authorised, e.g. "kms:Encrypt". */
  readonly action: string;
  /** The resource ARN (key or alias), or "*" for operations that name no resource. */
  readonly resource: string;
  readonly principal: Principal;
  /** Condition keys, lower-cased names → values. */
  readonly keys: ReadonlyMap<string, ContextValue>;
  /** Lower-cased names of condition keys that several request members match (see the module comment). */
  readonly ambiguous: ReadonlySet<string>;
  /** The request's encryption context as sent (grant constraints compare it). */
  readonly encryptionContext?: Readonly<Record<string, string>>;
}

/**
 * The value of a condition key (name compared case-insensitively), or undefined when absent — or
 * ambiguous: check `isAmbiguous` first wherever absence would decide in the caller's favour.
 */
export function contextValue(context: RequestContext, name: string): ContextValue | undefined {
  return context.keys.get(foldCase(name));
}

/** True when several members of the request match the condition key `name` (see the module comment). */
export function isAmbiguous(context: RequestContext, name: string): boolean {
  return context.ambiguous.has(foldCase(name));
}

/** The facts of one request from which `buildContext` fills the condition keys. */
export interface RequestFacts {
  action: string;
  /** Key or alias ARN; "*" (the default) for operations without a resource. */
  resource?: string;
  principal: Principal;
  /** The time of the request (aws:CurrentTime, aws:EpochTime); defaults to now. */
  now?: Date;
  sourceIp?: string;
  secureTransport?: boolean;
  /** kms:ViaService, e.g. "ec2.us-east-1.amazonaws.com", when an AWS service calls on the caller's behalf. */
  viaService?: string;
  encryptionContext?: Readonly<Record<string, string>>;
  /** CreateGrant: the Operations parameter. */
  grantOperations?: readonly string[];
  /** CreateGrant: "EncryptionContextEquals" or "EncryptionContextSubset" when constraints are given. */
  grantConstraintType?: string;
  /** CreateGrant: true when an integrated AWS service creates the grant. */
  grantIsForAWSResource?: boolean;
  /** ReEncrypt: whether source and destination keys are the same. */
  reEncryptOnSameKey?: boolean;
  /** CreateKey/PutKeyPolicy: the BypassPolicyLockoutSafetyCheck parameter (false when omitted). */
  bypassPolicyLockoutSafetyCheck?: boolean;
  /** Tags on the resource (aws:ResourceTag/<k>). */
  resourceTags?: Readonly<Record<string, string>>;
  /** Tags in the request (aws:RequestTag/<k>, aws:TagKeys). */
  requestTags?: Readonly<Record<string, string>>;
  /** Tag keys in the request when only keys are sent (UntagResource); defaults to requestTags' keys. */
  tagKeys?: readonly string[];
  /** Any further condition keys, verbatim. */
  extra?: Readonly<Record<string, ContextValue>>;
}

const PRINCIPAL_TYPE = { Root: "Account", IAMUser: "User", AssumedRole: "AssumedRole" } as const;

/** ISO 8601 without milliseconds, as AWS renders aws:CurrentTime. */
function isoSeconds(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/**
 * Builds the request context from a principal and request facts: the global keys that describe
 * the principal and the request, and the KMS keys the facts supply. Keys whose fact is absent
 * are absent (so `Null` and `...IfExists` see them as missing), except
 * kms:BypassPolicyLockoutSafetyCheck, which AWS sets to false when the parameter is omitted.
 */
export function buildContext(facts: RequestFacts): RequestContext {
  const keys = new Map<string, ContextValue>();
  const ambiguous = new Set<string>();
  const set = (name: string, value: ContextValue | undefined): void => {
    if (value !== undefined) keys.set(foldCase(name), value);
  };
  /** Sets `<prefix><k>` for each member, leaving names that several members match ambiguous. */
  const setMembers = (prefix: string, members: Readonly<Record<string, string>>): void => {
    const collisions = caseCollisions(Object.keys(members));
    for (const [k, v] of Object.entries(members)) {
      if (collisions.has(foldCase(k))) ambiguous.add(foldCase(prefix + k));
      else set(prefix + k, v);
    }
  };
  const p = facts.principal;
  const now = facts.now ?? new Date();

  set("aws:PrincipalArn", p.type === "AssumedRole" ? (p.roleArn ?? p.arn) : p.arn);
  set("aws:PrincipalAccount", p.accountId);
  set("aws:PrincipalType", PRINCIPAL_TYPE[p.type]);
  set("aws:userid", p.principalId);
  if (p.type === "IAMUser") set("aws:username", p.userName);
  set("aws:CurrentTime", isoSeconds(now));
  set("aws:EpochTime", String(Math.floor(now.getTime() / 1000)));
  set("aws:SecureTransport", facts.secureTransport === undefined ? undefined : String(facts.secureTransport));
  set("aws:SourceIp", facts.sourceIp);

  // KMS guide: kms:CallerAccount and kms:ViaService exist for every operation except the
  // IAM-only ones (CreateKey, GenerateRandom, ListAliases, ListKeys, ListRetirableGrants) and RetireGrant.
  if (!IAM_ONLY_ACTIONS.has(facts.action) && facts.action !== "kms:RetireGrant") {
    set("kms:CallerAccount", p.accountId);
    set("kms:ViaService", facts.viaService);
  }
  if (facts.action === "kms:CreateKey" || facts.action === "kms:PutKeyPolicy" || facts.bypassPolicyLockoutSafetyCheck !== undefined) {
    set("kms:BypassPolicyLockoutSafetyCheck", String(facts.bypassPolicyLockoutSafetyCheck ?? false));
  }
  if (facts.encryptionContext !== undefined) {
    const names = Object.keys(facts.encryptionContext);
    if (names.length > 0) set("kms:EncryptionContextKeys", names);
    setMembers("kms:EncryptionContext:", facts.encryptionContext);
  }
  set("kms:GrantOperations", facts.grantOperations === undefined ? undefined : [...facts.grantOperations]);
  set("kms:GrantConstraintType", facts.grantConstraintType);
  set("kms:GrantIsForAWSResource", facts.grantIsForAWSResource === undefined ? undefined : String(facts.grantIsForAWSResource));
  set("kms:ReEncryptOnSameKey", facts.reEncryptOnSameKey === undefined ? undefined : String(facts.reEncryptOnSameKey));

  setMembers("aws:ResourceTag/", facts.resourceTags ?? {});
  setMembers("aws:RequestTag/", facts.requestTags ?? {});
  const tagKeys = facts.tagKeys ?? (facts.requestTags === undefined ? undefined : Object.keys(facts.requestTags));
  if (tagKeys !== undefined && tagKeys.length > 0) set("aws:TagKeys", [...tagKeys]);

  for (const [k, v] of Object.entries(facts.extra ?? {})) set(k, v);

  return {
    action: facts.action,
    resource: facts.resource ?? "*",
    principal: p,
    keys,
    ambiguous,
    ...(facts.encryptionContext === undefined ? {} : { encryptionContext: facts.encryptionContext }),
  };
}

/** The same context for another action and resource (ReEncrypt's two checks, the lockout check). */
export function withAction(context: RequestContext, action: string, resource: string = context.resource): RequestContext {
  return { ...context, action, resource };
}
