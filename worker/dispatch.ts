/**
 * The Cloudflare side of runOperation (src/service/dispatch.ts): keys and accounts are Durable
 * Objects reached by RPC, and calls no object recorded go to the account's AuditLog shards.
 */
import { configuredRing } from "../src/keys/root-key-ring.ts";
import type { OperationName } from "../src/protocol/operations.ts";
import type { Caller } from "../src/service/caller.ts";
import { runOperation as run } from "../src/service/dispatch.ts";
import type { AccountApi, KeyApi, ServicePorts } from "../src/service/ports.ts";
import { recordCall } from "./audit.ts";
import { identities } from "./identity-config.ts";
import { settings, type Env } from "./config.ts";

export { AuditWriteError } from "../src/service/dispatch.ts";

/** The service's ports on Durable Objects (RPC stubs carry the same methods as the actors). */
export function durablePorts(env: Env): ServicePorts {
  return {
    keys: (arn) => env.KEYS.get(env.KEYS.idFromName(arn)) as unknown as KeyApi,
    accounts: (accountId, region) => env.ACCOUNTS.get(env.ACCOUNTS.idFromName(`${accountId}:${region}`)) as unknown as AccountApi,
    rootKeys: () => configuredRing(env.ROOT_KEY, env.ROOT_KEY_PREVIOUS),
    knownAccount: (accountId) => identities(env).accounts.some((a) => a.accountId === accountId),
    recordCall: (draft, outcome) => recordCall(env, draft, outcome),
  };
}

/**
 * Runs one operation for an authenticated caller; the call is recorded before this returns.
 * @throws KmsError for every refusal; AuditWriteError when the record could not be written.
 */
export function runOperation(env: Env, caller: Caller, operation: OperationName, body: unknown, requestId: string): Promise<object> {
  return run(durablePorts(env), settings(env), caller, operation, body, requestId);
}
