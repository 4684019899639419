/**
 * What every operation handler receives, and how it reaches keys and accounts (through the
 * runtime's ports, src/service/ports.ts): the caller's account directory, a key's actor, and the resolution of a KeyId parameter (key ID, key ARN, alias
 * name or alias ARN) to the key ARN it names.
 *
 * Dry runs: `keyCall` carries the request's DryRun to the key object, which runs the call in full,
 * discards its writes and answers DryRunOperationException; a handler does nothing else for them
 * unless it acts outside the key object (ReEncrypt's two keys).
 *
 * Audit: a handler passes `audit(ctx)` to the object whose answer ends the call and unwraps that
 * answer with `settle`, which notes that the object recorded the call (src/service/dispatch.ts records
 * every other call itself).
 *
 * Alias resolution is cached per isolate for ALIAS_CACHE_MS (AWS documents alias changes as
 * eventually consistent): an Encrypt by alias then costs the key's object alone. Alias changes made
 * through this isolate take effect in it at once; made elsewhere, within ALIAS_CACHE_MS.
 */
import { aliasArn, keyArn, referencedAliasArn, resolveKeyReference, type KeyReference } from "../arn.ts";
import type { AuditDraft } from "../audit/outbox.ts";
import { aliasNotFound, keyNotFound } from "../protocol/errors.ts";
import { isIssuedKeyId } from "../keys/key-id.ts";
import { parseKeyArn } from "../arn.ts";
import type { RequestShapes, ValidatedOperation } from "../protocol/shapes.ts";
import type { CallFacts, Caller, DryRun, KeyCall } from "../service/caller.ts";
import { unwrap, type RpcResult } from "../service/rpc.ts";
import type { ServicePorts } from "../service/ports.ts";
import type { Settings } from "../service/settings.ts";

export interface OperationContext {
  ports: ServicePorts;
  settings: Settings;
  /** The Region the request is for (its credential scope's): keys, aliases and key lists are per Region. */
  region: string;
  caller: Caller;
  requestId: string;
  /** Key ARNs the operation acted on, collected by keyCall() for the audit record's resources. */
  touchedKeys: Set<string>;
  /** The call's audit record before its outcome (src/service/dispatch.ts). */
  draft: AuditDraft;
  /** True once an object has recorded the call. */
  recorded: boolean;
  /** The request's DryRun, carried by every key call (src/service/caller.ts). */
  dryRun?: DryRun;
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
  aliasCache.delete(aliasCacheKey(account, ctx.region, aliasName));
}

async function resolveAlias(ctx: OperationContext, account: string, aliasName: string): Promise<string | undefined> {
  const key = aliasCacheKey(account, ctx.region, aliasName);
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
  return ctx.ports.accounts(accountId, ctx.region);
}

export function keyObject(ctx: OperationContext, arn: string) {
  return ctx.ports.keys(arn);
}

/**
 * The call descriptor a key object checks: who calls, which key ARN they named, and the request's
 * condition-key facts and grant tokens (src/service/access.ts turns them into the policy context).
 */
export function keyCall(ctx: OperationContext, arn: string, facts?: CallFacts): KeyCall {
  ctx.touchedKeys.add(arn);
  return {
    ...ctx.caller,
    keyArn: arn,
    ...(facts === undefined ? {} : { facts }),
    ...(ctx.dryRun === undefined ? {} : { dryRun: ctx.dryRun }),
    ...(ctx.draft.eventId === undefined
      ? {}
      : {
          trace: { eventName: ctx.draft.eventName, requestId: ctx.requestId, eventId: ctx.draft.eventId, startedAt: ctx.draft.startedAt },
        }),
  };
}

/**
 * Resolves a KeyId parameter to a key ARN. Alias names are looked up in the caller's account,
 * alias ARNs in the account they name. A reference to another region names no key here.
 *
 * @throws NotFoundException for a malformed reference, an unknown alias, or another region.
 */
function knownAccount(ctx: OperationContext, accountId: string): boolean {
  return accountId === ctx.caller.accountId || ctx.ports.knownAccount(accountId);
}

/**
 * Checks that a key ARN can name a key before any store is asked about it: its account is one of
 * the configuration's, and its key ID carries this service's tag (src/keys/key-id.ts) or — for
 * IDs issued before tags, or chosen by an operator — the account's directory lists it. So a
 * request naming a made-up key or account creates no storage anywhere.
 * @throws NotFoundException
 */
export async function assertKeyMayExist(ctx: OperationContext, arn: string): Promise<void> {
  const key = parseKeyArn(arn);
  if (key === undefined || key.region !== ctx.region || !knownAccount(ctx, key.account)) throw keyNotFound(arn);
  if (isIssuedKeyId(ctx.ports.rootKeys(), key.account, key.region, key.keyId)) return;
  if (!(await ctx.ports.accounts(key.account, key.region).hasKey(key.keyId))) throw keyNotFound(arn);
}

export async function resolveKeyArn(ctx: OperationContext, keyId: string): Promise<string> {
  const ref: KeyReference = resolveKeyReference(keyId, ctx.region, ctx.caller.accountId);
  if (ref.region !== ctx.region) {
    throw ref.kind === "keyArn" ? keyNotFound(ref.arn) : aliasNotFound(referencedAliasArn(ref) ?? keyId);
  }
  switch (ref.kind) {
    case "keyId":
    case "keyArn": {
      const arn = ref.kind === "keyId" ? keyArn(ref.region, ref.account, ref.keyId) : ref.arn;
      await assertKeyMayExist(ctx, arn);
      return arn;
    }
    case "aliasName":
    case "aliasArn": {
      if (!knownAccount(ctx, ref.account)) throw aliasNotFound(aliasArn(ref.region, ref.account, ref.aliasName));
      const target = await resolveAlias(ctx, ref.account, ref.aliasName);
      if (target === undefined) throw aliasNotFound(aliasArn(ref.region, ref.account, ref.aliasName));
      return keyArn(ref.region, ref.account, target);
    }
  }
}
