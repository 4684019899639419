/**
 * Runs one TrentService operation for an authenticated caller, whatever the transport and the
 * runtime: the HTTP app, the service-binding entrypoint and the console all come through here, so
 * validation, authorization, key-state rules and the audit trail are the same for all of them.
 *
 * Dry runs: a request with `DryRun: true` runs with `ctx.dryRun` set (src/operations/context.ts).
 *
 * Audit: every call is recorded exactly once, durably, before its answer. Handlers hand the
 * call's AuditDraft to the object whose answer ends the call, which writes the record in its own
 * transaction (src/audit/outbox.ts) and says so; a call that no object recorded — refused before
 * it reached one, or one that touches no object — is appended to the audit log here
 * (`ports.recordCall`).
 */
import type { AuditDraft, CallOutcome } from "../audit/outbox.ts";
import { unsupportedOperation } from "../protocol/errors.ts";
import type { OperationName } from "../protocol/operations.ts";
import type { ValidatedOperation } from "../protocol/shapes.ts";
import { hasSchema, parseRequest } from "../protocol/validate.ts";
import type { Caller } from "./caller.ts";
import type { ServicePorts } from "./ports.ts";
import type { Settings } from "./settings.ts";
import type { Handler, OperationContext } from "../operations/context.ts";
import { HANDLERS } from "../operations/index.ts";

/** Marks a failure of the audit write itself, so callers do not try to record it again. */
export class AuditWriteError extends Error {
  constructor(cause: unknown) {
    super("audit write failed", { cause });
    this.name = "AuditWriteError";
  }
}

async function record(ports: ServicePorts, draft: AuditDraft, outcome: CallOutcome): Promise<void> {
  try {
    await ports.recordCall(draft, outcome);
  } catch (err) {
    throw new AuditWriteError(err);
  }
}

function handlerFor(operation: OperationName): Handler<ValidatedOperation> | undefined {
  if (!hasSchema(operation)) return undefined;
  return HANDLERS[operation] as Handler<ValidatedOperation> | undefined;
}

/**
 * Validates `body` as the operation's request and runs its handler; the call is recorded in the
 * audit trail — success or failure, exactly once — before this returns.
 * @throws KmsError for every refusal (UnsupportedOperationException for an operation EdgeKMS
 * does not implement); AuditWriteError when the record could not be written; anything else is a bug.
 */
export async function runOperation(
  ports: ServicePorts,
  config: Settings,
  caller: Caller,
  operation: OperationName,
  body: unknown,
  requestId: string,
): Promise<object> {
  const region = caller.region ?? config.region;
  const draft: AuditDraft = {
    identity: caller,
    eventName: operation,
    // Only a validated request is ever recorded: until validation passes, nothing of the body is.
    request: null,
    requestId,
    startedAt: Date.now(),
    region,
    keyArns: [],
    eventId: crypto.randomUUID(),
  };
  const ctx: OperationContext = { ports, settings: config, region, caller, requestId, touchedKeys: new Set(), draft, recorded: false };
  let result: object;
  try {
    const handler = handlerFor(operation);
    if (handler === undefined) throw unsupportedOperation(operation);
    const validated = parseRequest(operation as ValidatedOperation, body);
    draft.request = validated;
    const dryRun = validated as { DryRun?: boolean; DryRunModifiers?: string[] };
    if (dryRun.DryRun === true) ctx.dryRun = { ignoreCiphertext: dryRun.DryRunModifiers?.includes("IGNORE_CIPHERTEXT") === true };
    result = await handler(ctx, validated);
    // A dry run ends in the key object's DryRunOperationException; an answer means a handler ran
    // one for real, which is a bug to surface, never a success to report.
    if (ctx.dryRun !== undefined) throw new Error(`${operation}: a dry run completed`);
  } catch (err) {
    if (!ctx.recorded && !(err instanceof AuditWriteError)) {
      await record(ports, { ...draft, keyArns: [...ctx.touchedKeys] }, { error: err });
    }
    throw err;
  }
  if (!ctx.recorded) await record(ports, { ...draft, keyArns: [...ctx.touchedKeys] }, { response: result });
  return result;
}
