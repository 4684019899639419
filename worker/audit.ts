/**
 * Writes the audit record of one API call: builds it (src/audit/record.ts) and appends a copy to
 * the AuditLog of each recipient account — the caller's, and the owner of each key the call named
 * in another account (CloudTrail delivers cross-account calls to both sides).
 *
 * Durability: every write is awaited before the worker answers, for control-plane and data-plane
 * operations alike. An AuditLog append returns only after its SQLite transaction commits, so an
 * answered call always has its record; if a write fails, the call is answered with the opaque
 * KMSInternalException (the operation itself may have taken effect, as with any 500, and the
 * client's retry is recorded). The cost of this choice is measured in the README.
 */
import { addressedTo, buildRecord, recipientAccounts, type AuditIdentity } from "../src/audit/record.ts";
import { internalError, KmsError } from "../src/protocol/errors.ts";
import { settings, type Env } from "./config.ts";

export interface CallFacts {
  identity: AuditIdentity;
  eventName: string;
  /** The validated request, or the raw body when there is no validated one. */
  request: unknown;
  response?: unknown;
  /** What the call threw, if it failed (a non-KmsError is recorded as KMSInternalException). */
  error?: unknown;
  keyArns: Iterable<string>;
  requestId: string;
  /** When the call started (epoch ms): its eventTime, and the start of its measured latency. */
  startedAt: number;
}

/** Marks a failure of the audit write itself, so callers do not try to record it again. */
export class AuditWriteError extends Error {
  constructor(cause: unknown) {
    super("audit write failed", { cause });
    this.name = "AuditWriteError";
  }
}

export function auditLogOf(env: Env, accountId: string, region: string) {
  return env.AUDIT.get(env.AUDIT.idFromName(`${accountId}:${region}`));
}

function errorFields(err: unknown): { code: string; message: string } {
  const known = err instanceof KmsError ? err : internalError();
  return { code: known.type, message: known.message };
}

/**
 * Records one call; resolves when every copy is durable.
 * @throws AuditWriteError when any copy could not be written.
 */
export async function recordCall(env: Env, facts: CallFacts): Promise<void> {
  const region = settings(env).region;
  const failed = facts.error !== undefined;
  const error = failed ? errorFields(facts.error) : undefined;
  const record = buildRecord({
    identity: facts.identity,
    eventName: facts.eventName,
    request: facts.request,
    response: failed ? undefined : facts.response,
    ...(error === undefined ? {} : { error }),
    keyArns: [...facts.keyArns],
    requestId: facts.requestId,
    eventId: crypto.randomUUID(),
    eventTime: new Date(facts.startedAt),
    region,
  });
  const stats = { operation: facts.eventName, error: error?.code ?? "", durationMs: Date.now() - facts.startedAt };
  try {
    await Promise.all(
      recipientAccounts(record).map((account, i) =>
        auditLogOf(env, account, region).append(addressedTo(record, account), facts.startedAt, i === 0 ? stats : undefined),
      ),
    );
  } catch (err) {
    throw new AuditWriteError(err);
  }
}
