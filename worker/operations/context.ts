/**
 * What every operation handler receives, and how it reaches the Durable Objects: the caller's
 * account registry, a key's object, and the resolution of a KeyId parameter (key ID, key ARN, alias
 * name or alias ARN) to the key ARN it names.
 *
 * Audit: a handler passes `audit(ctx)` to the object whose answer ends the call and unwraps that
 * answer with `settle`, which notes that the object recorded the call (worker/dispatch.ts records
 * every other call itself).
 *
 * Alias resolution is cached per isolate for ALIAS_CACHE_MS (AWS documents alias changes as
 * eventually consistent): an Encrypt by alias then costs the key's object alone. Alias changes made
 * through this isolate take effect in it at once; made elsewhere, within ALIAS_CACHE_MS.
 */
import { aliasArn, keyArn, referencedAliasArn, resolveKeyReference, type KeyReference } from "../../src/arn.ts";
import type { AuditDraft } from "../../src/audit/outbox.ts";
import { aliasNotFound, keyNotFound } from "../../src/protocol/errors.ts";
import type { RequestShapes, ValidatedOperation } from "../../src/protocol/shapes.ts";
import type { CallFacts, Caller, KeyCall } from "../../src/service/caller.ts";
import { unwrap, type RpcResult } from "../../src/service/rpc.ts";
import type { Env, Settings } from "../config.ts";

export interface OperationContext {
  env: Env;
  settings: Settings;
  caller: Caller;
  requestId: string;
  /** Key ARNs the operation acted on, collected by keyCall() for the audit record's resources. */
  touchedKeys: Set<string>;
  /** The call's audit record before its outcome (worker/dispatch.ts). */
  draft: AuditDraft;
  /** True once an object has recorded the call. */
  recorded: boolean;
}

/** The draft to hand to the object whose answer ends the call, with the keys touched so far. */
export function audit(ctx: OperationContext): AuditDraft {
  return { ...ctx.draft, keyArns: [...ctx.touchedKeys] };
}

/** Unwraps an object's answer (rethrowing its KmsError), noting whether it recorded the call. */
export async function settle<T>(ctx: OperationContext, result: Promise<RpcResult<T> & { recorded?: boolean }>): Promise<T> {
  const settled = await result;
  if (settled.recorded === true) ctx.recorded = true;
  return unwrap(settled);
}

/** How long an alias resolution is reused in this isolate. */
export const ALIAS_CACHE_MS = 5_000;
const ALIAS_CACHE_LIMIT = 10_000;
const aliasCache = new Map<string, { targetKeyId: string; until: number }>();

function aliasCacheKey(account: string, region: string, aliasName: string): string {
  return `${account}:${region}:${aliasName}`;
}

/** Forgets a cached alias (after CreateAlias, UpdateAlias or DeleteAlias through this isolate). */
export function forgetAlias(ctx: OperationContext, aliasName: string, account: string = ctx.caller.accountId): void {
  aliasCache.delete(aliasCacheKey(account, ctx.settings.region, aliasName));
}

async function resolveAlias(ctx: OperationContext, account: string, aliasName: string): Promise<string | undefined> {
  const key = aliasCacheKey(account, ctx.settings.region, aliasName);
  const now = Date.now();
  const hit = aliasCache.get(key);
  if (hit !== undefined && hit.until > now) return hit.targetKeyId;
  const target = await registryOf(ctx, account).resolveAlias(aliasName);
  if (target === undefined) {
    aliasCache.delete(key);
    return undefined;
  }
  if (aliasCache.size >= ALIAS_CACHE_LIMIT) aliasCache.delete(aliasCache.keys().next().value as string);
  aliasCache.set(key, { targetKeyId: target, until: now + ALIAS_CACHE_MS });
  return target;
}

export type Handler<Op extends ValidatedOperation> = (ctx: OperationContext, request: RequestShapes[Op]) => Promise<object>;

export function registryOf(ctx: OperationContext, accountId: string = ctx.caller.accountId) {
  return ctx.env.ACCOUNTS.get(ctx.env.ACCOUNTS.idFromName(`${accountId}:${ctx.settings.region}`));
}

export function keyObject(ctx: OperationContext, arn: string) {
  return ctx.env.KEYS.get(ctx.env.KEYS.idFromName(arn));
}

/**
 * The call descriptor a key object checks: who calls, which key ARN they named, and the request's
 * condition-key facts and grant tokens (src/service/access.ts turns them into the policy context).
 */
export function keyCall(ctx: OperationContext, arn: string, facts?: CallFacts): KeyCall {
  ctx.touchedKeys.add(arn);
  return facts === undefined ? { ...ctx.caller, keyArn: arn } : { ...ctx.caller, keyArn: arn, facts };
}

/**
 * Resolves a KeyId parameter to a key ARN. Alias names are looked up in the caller's account,
 * alias ARNs in the account they name. A reference to another region names no key here.
 *
 * @throws NotFoundException for a malformed reference, an unknown alias, or another region.
 */
export async function resolveKeyArn(ctx: OperationContext, keyId: string): Promise<string> {
  const ref: KeyReference = resolveKeyReference(keyId, ctx.settings.region, ctx.caller.accountId);
  if (ref.region !== ctx.settings.region) {
    throw ref.kind === "keyArn" ? keyNotFound(ref.arn) : aliasNotFound(referencedAliasArn(ref) ?? keyId);
  }
  switch (ref.kind) {
    case "keyId":
      return keyArn(ref.region, ref.account, ref.keyId);
    case "keyArn":
      return ref.arn;
    case "aliasName":
    case "aliasArn": {
      const target = await resolveAlias(ctx, ref.account, ref.aliasName);
      if (target === undefined) throw aliasNotFound(aliasArn(ref.region, ref.account, ref.aliasName));
      return keyArn(ref.region, ref.account, target);
    }
  }
}
