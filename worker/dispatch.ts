/**
 * Runs one TrentService operation for an authenticated caller, whatever the transport: the HTTP
 * app and the service-binding entrypoint both come through here, so validation, authorization,
 * key-state rules and the audit trail are the same for both.
 */
import { unsupportedOperation } from "../src/protocol/errors.ts";
import type { OperationName } from "../src/protocol/operations.ts";
import type { ValidatedOperation } from "../src/protocol/shapes.ts";
import { hasSchema, parseRequest } from "../src/protocol/validate.ts";
import { AuditWriteError, recordCall } from "./audit.ts";
import type { Caller } from "./caller.ts";
import { settings, type Env } from "./config.ts";
import type { Handler, OperationContext } from "./operations/context.ts";
import { HANDLERS } from "./operations/index.ts";

function handlerFor(operation: OperationName): Handler<ValidatedOperation> | undefined {
  if (!hasSchema(operation)) return undefined;
  return HANDLERS[operation] as Handler<ValidatedOperation> | undefined;
}

/**
 * Validates `body` as the operation's request and runs its handler, then records the call in the
 * audit trail — success or failure, exactly once — before returning (see audit.ts).
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
  const startedAt = Date.now();
  const touchedKeys = new Set<string>();
  // Records never hold unvalidated input: a request refused by validation is recorded without parameters.
  let request: unknown = null;
  let result: object;
  try {
    const handler = handlerFor(operation);
    if (handler === undefined) throw unsupportedOperation(operation);
    const validated = parseRequest(operation as ValidatedOperation, body);
    request = validated;
    const ctx: OperationContext = { env, settings: settings(env), caller, requestId, touchedKeys };
    result = await handler(ctx, validated);
  } catch (err) {
    if (!(err instanceof AuditWriteError)) {
      await recordCall(env, { identity: caller, eventName: operation, request, error: err, keyArns: touchedKeys, requestId, startedAt });
    }
    throw err;
  }
  await recordCall(env, { identity: caller, eventName: operation, request, response: result, keyArns: touchedKeys, requestId, startedAt });
  return result;
}


