/**
 * ScheduleKeyDeletion and CancelKeyDeletion (the guide's "Deleting Customer Master Keys"). The key's
 * own Durable Object holds the pending state and, through its alarm, carries out the deletion at
 * DeletionDate; this layer checks AWS's 7–30 day bounds and shapes the responses.
 *
 * The length of a "day" is configurable (DELETION_DAY_SECONDS) so tests can run a 7-day window in
 * seconds; the bounds the API accepts stay AWS's.
 */
import { KmsError } from "../protocol/errors.ts";
import { audit, keyCall, keyObject, resolveKeyArn, settle, type Handler } from "./context.ts";

export const MIN_PENDING_WINDOW_IN_DAYS = 7;
export const MAX_PENDING_WINDOW_IN_DAYS = 30;

/** @throws ValidationException in AWS's constraint wording for a window outside 7–30 days. */
function checkPendingWindow(days: number): void {
  const constraint =
    days < MIN_PENDING_WINDOW_IN_DAYS
      ? `greater than or equal to ${MIN_PENDING_WINDOW_IN_DAYS}`
      : days > MAX_PENDING_WINDOW_IN_DAYS
        ? `less than or equal to ${MAX_PENDING_WINDOW_IN_DAYS}`
        : undefined;
  if (constraint !== undefined) {
    throw new KmsError(
      "ValidationException",
      `1 validation error detected: Value '${days}' at 'pendingWindowInDays' failed to satisfy constraint: Member must have value ${constraint}`,
    );
  }
}

export const ScheduleKeyDeletion: Handler<"ScheduleKeyDeletion"> = async (ctx, request) => {
  const days = request.PendingWindowInDays ?? MAX_PENDING_WINDOW_IN_DAYS;
  checkPendingWindow(days);
  const arn = await resolveKeyArn(ctx, request.KeyId);
  const scheduled = await settle(ctx, keyObject(ctx, arn).scheduleDeletion(keyCall(ctx, arn), days, audit(ctx)));
  // A multi-Region primary with replicas answers PendingReplicaDeletion and no DeletionDate yet.
  return {
    KeyId: scheduled.keyArn,
    ...(scheduled.deletionDate === undefined ? {} : { DeletionDate: scheduled.deletionDate }),
    KeyState: scheduled.keyState,
    PendingWindowInDays: scheduled.pendingWindowInDays,
  };
};

export const CancelKeyDeletion: Handler<"CancelKeyDeletion"> = async (ctx, request) => {
  const arn = await resolveKeyArn(ctx, request.KeyId);
  return { KeyId: await settle(ctx, keyObject(ctx, arn).cancelDeletion(keyCall(ctx, arn), audit(ctx))) };
};
