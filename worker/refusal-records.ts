/**
 * How many refusals before dispatch (bad signatures, unknown operations, unparseable or oversized
 * bodies, throttled calls) reach the audit trail. Such a request may come from anyone who knows an
 * access key ID — they are not secret — so each one cannot be allowed to cost a durable write:
 * per access key, each isolate records a burst of REFUSAL_RECORD_BURST and then
 * REFUSAL_RECORDS_PER_SECOND, and answers the rest without a record.
 *
 * Exactness: per isolate (see src/quotas/token-bucket.ts), so the deployment-wide bound is these
 * rates times the number of isolates serving the key. Refusals by dispatch (validation,
 * authorization, key state) come from authenticated callers within their quotas and are always
 * recorded.
 */
import { BucketSet } from "../src/quotas/token-bucket.ts";

export const REFUSAL_RECORDS_PER_SECOND = 1;
export const REFUSAL_RECORD_BURST = 20;

const buckets = new BucketSet(1000);

/** Whether this refusal under `accessKeyId` may be recorded (takes one token if so). */
export function mayRecordRefusal(accessKeyId: string, now = Date.now()): boolean {
  return buckets.take(accessKeyId, REFUSAL_RECORDS_PER_SECOND, now, REFUSAL_RECORD_BURST);
}
