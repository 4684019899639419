/**
 * Delivery of the key events (src/audit/events.ts): `emitKeyEvent` records the event durably in
 * the key account's AuditLog — as the CloudWatch-shaped event (listed by GET /key-events) and as
 * its CloudTrail service-event record (RotateKey, DeleteExpiredKeyMaterial, DeleteKey; found by
 * LookupEvents) — and sends it to the KEY_EVENTS_QUEUE Cloudflare Queue when one is bound.
 *
 * Guarantees: the record is durable when the returned promise resolves. Queue delivery is at
 * least once: the AuditLog marks an event delivered only after `send` succeeded and retries
 * undelivered events from its alarm. Emitting the same event (same id) twice records it once.
 *
 * Callers: KeyObject's rotation alarm; the lifecycle code calls it for deletion and material expiry.
 */
import { keyEvent, serviceEventRecord, type KeyEvent, type KeyEventType } from "../src/audit/events.ts";
import { auditLogOf } from "./audit.ts";
import type { Env } from "./config.ts";

export type { KeyEvent, KeyEventType };
export { keyEvent };

/** Records `event` durably and queues it when a queue is bound. @throws when the record cannot be written. */
export async function emitKeyEvent(env: Env, event: KeyEvent): Promise<void> {
  await auditLogOf(env, event.account, event.region).appendKeyEvent(event, serviceEventRecord(event));
}
