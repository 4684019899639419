/**
 * How KMS errors cross a service binding (Workers RPC) with their AWS error name intact.
 *
 * Workers RPC rebuilds a thrown error on the caller's side from its prototype's name (standard
 * error types only) and its message; a subclass's `name` and own properties such as `type` are
 * lost, so a KmsError would arrive as a plain `Error`. The entrypoint therefore throws an Error
 * whose message starts with the AWS error name — "AccessDeniedException: User: ... is not
 * authorized ..." — the same text `String(err)` prints for a KmsError, and the client side turns
 * that back into a KmsError (`restoreBindingError`), whose `name` and `type` are the AWS name.
 *
 * Only names from the error table (src/protocol/errors.ts) are restored, so an unrelated error
 * whose message happens to start with "Something: " is passed on unchanged.
 *
 * Security: messages are KmsError messages, which never hold key material or plaintext.
 */
import { ERROR_STATUS, KmsError, type KmsErrorType } from "../protocol/errors.ts";

const PREFIX = /^([A-Za-z]+): /;

/** The error the binding throws for `err`: a plain Error whose message carries the AWS name. */
export function encodeBindingError(err: KmsError): Error {
  // A plain Error on purpose: workerd folds a non-standard `name` into the message itself (as
  // "Name: message"), so naming it too would print the AWS name twice on the calling side.
  return new Error(`${err.type}: ${err.message}`);
}

/**
 * The KmsError an error from a KMS binding call encodes, or `err` itself when it does not encode
 * one (a network or runtime failure, or a non-KMS error).
 */
export function restoreBindingError(err: unknown): unknown {
  if (err instanceof KmsError) return err;
  if (!(err instanceof Error)) return err;
  const match = PREFIX.exec(err.message);
  if (match === null || !Object.hasOwn(ERROR_STATUS, match[1]!)) return err;
  return new KmsError(match[1] as KmsErrorType, err.message.slice(match[0].length));
}
