/**
 * What every operation handler receives, and how it reaches the Durable Objects: the caller's
 * account registry, a key's object, and the resolution of a KeyId parameter (key ID, key ARN, alias
 * name or alias ARN) to the key ARN it names.
 */
import { aliasArn, keyArn, referencedAliasArn, resolveKeyReference, type KeyReference } from "../../src/arn.ts";
import { aliasNotFound, keyNotFound } from "../../src/protocol/errors.ts";
import type { RequestShapes, ValidatedOperation } from "../../src/protocol/shapes.ts";
import type { CallFacts, Caller, KeyCall } from "../../src/service/caller.ts";
import type { Env, Settings } from "../config.ts";

export interface OperationContext {
  env: Env;
  settings: Settings;
  caller: Caller;
  requestId: string;
  /** Key ARNs the operation acted on, collected by keyCall() for the audit record's resources. */
  touchedKeys?: Set<string>;
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
 * condition-key facts and grant tokens (worker/access.ts turns them into the policy context).
 */
export function keyCall(ctx: OperationContext, arn: string, facts?: CallFacts): KeyCall {
  ctx.touchedKeys?.add(arn);
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
      const target = await registryOf(ctx, ref.account).resolveAlias(ref.aliasName);
      if (target === undefined) throw aliasNotFound(aliasArn(ref.region, ref.account, ref.aliasName));
      return keyArn(ref.region, ref.account, target);
    }
  }
}
