/**
 * Runs one TrentService operation for an authenticated caller, whatever the transport: the HTTP
 * app and the service-binding entrypoint both come through here, so validation, authorization,
 * key-state rules and the audit trail are the same for both.
 *
 * Audit: every call is recorded exactly once, durably, before its answer. Handlers hand the
 * call's AuditDraft to the object whose answer ends the call, which writes the record in its own
 * transaction (src/audit/outbox.ts) and says so; a call that no object recorded — refused before
 * it reached one, or one that touches no object — is appended to the audit log here (audit.ts).
 */
import type { AuditDraft } from "../src/audit/outbox.ts";
import { unsupportedOperation } from "../src/protocol/errors.ts";
import type { OperationName } from "../src/protocol/operations.ts";
import type { ValidatedOperation } from "../src/protocol/shapes.ts";
import { hasSchema, parseRequest } from "../src/protocol/validate.ts";
import type { Caller } from "../src/service/caller.ts";
import { AuditWriteError, recordCall } from "./audit.ts";
import { settings, type Env } from "./config.ts";
import type { Handler, OperationContext } from "./operations/context.ts";
import { HANDLERS } from "./operations/index.ts";

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
  env: Env,
  caller: Caller,
  operation: OperationName,
  body: unknown,
  requestId: string,
): Promise<object> {
  const config = settings(env);
  const draft: AuditDraft = {
    identity: caller,
    eventName: operation,
    // Only a validated request is ever recorded: until validation passes, nothing of the body is.
    request: null,
    requestId,
    startedAt: Date.now(),
    region: config.region,
    keyArns: [],
  };
  const ctx: OperationContext = { env, settings: config, caller, requestId, touchedKeys: new Set(), draft, recorded: false };
  let result: object;
  try {
    const handler = handlerFor(operation);
    if (handler === undefined) throw unsupportedOperation(operation);
    const validated = parseRequest(operation as ValidatedOperation, body);
    draft.request = validated;
    result = await handler(ctx, validated);
  } catch (err) {
    if (!ctx.recorded && !(err instanceof AuditWriteError)) {
      await recordCall(env, { ...draft, keyArns: [...ctx.touchedKeys] }, { error: err });
    }
    throw err;
  }
  if (!ctx.recorded) await recordCall(env, { ...draft, keyArns: [...ctx.touchedKeys] }, { response: result });
  return result;
}
