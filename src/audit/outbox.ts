/**
 * The audit outbox: how a call's CloudTrail record becomes durable in the same transaction as the
 * call's own effect, in the store that already serves the call (a key's, or an account's), and
 * how it then travels to the log LookupEvents reads.
 *
 * - The worker describes the call it is running as an `AuditDraft` (who, what, when, the
 *   validated request) and hands it to the one object whose answer ends the call.
 * - That object builds the record (src/audit/record.ts) from the draft and the outcome, and puts
 *   it under `outbox:` in the same commit as the operation's writes — or, for a refusal, in a
 *   commit of its own, since the refused operation wrote nothing. Either way the record is durable
 *   before the response leaves, without another round trip.
 * - Later, in batches, the owner forwards its outbox to the audit log (`forwardOutbox`) and
 *   deletes what was delivered. Delivery is at least once; the log ignores an event ID it already
 *   has, so each record appears in the trail exactly once.
 *
 * Keys are `outbox:<event time, 15 digits>:<event ID>`: unique without a shared counter, so
 * concurrent calls on one key never conflict over the outbox in an optimistic store.
 */
import type { KeyEvent } from "./events.ts";
import { buildRecord, type AuditIdentity, type CloudTrailRecord } from "./record.ts";
import { KmsError, internalError } from "../protocol/errors.ts";
import type { RecordStore, RecordTx } from "../store/port.ts";

/** What the worker knows of a call before its outcome (plain data: it crosses RPC). */
export interface AuditDraft {
  identity: AuditIdentity;
  eventName: string;
  /** The validated request (never the raw body). */
  request: unknown;
  requestId: string;
  /** When the call started (epoch ms): its eventTime, and the start of its measured latency. */
  startedAt: number;
  region: string;
  /** Key ARNs the call acted on before reaching the recording object. */
  keyArns: string[];
}

/** What the metrics count of a call, in the caller's own account. */
export interface CallStats {
  operation: string;
  error: string;
  durationMs: number;
}

export interface OutboxEntry {
  record: CloudTrailRecord;
  stats: CallStats;
  /** The event time to the millisecond (the record's eventTime is to the second, as CloudTrail's). */
  timeMs: number;
}

export type CallOutcome = { response: unknown } | { error: unknown };

const OUTBOX = "outbox:";

function errorFields(err: unknown): { code: string; message: string } {
  const known = err instanceof KmsError ? err : internalError();
  return { code: known.type, message: known.message };
}

/** The record of a call from its draft and outcome, with the key ARNs it acted on. */
export function auditEntry(draft: AuditDraft, outcome: CallOutcome, keyArns: readonly string[], now = Date.now()): OutboxEntry {
  const error = "error" in outcome ? errorFields(outcome.error) : undefined;
  const record = buildRecord({
    identity: draft.identity,
    eventName: draft.eventName,
    request: draft.request,
    ...("response" in outcome ? { response: outcome.response } : {}),
    ...(error === undefined ? {} : { error }),
    keyArns: [...new Set([...draft.keyArns, ...keyArns])],
    requestId: draft.requestId,
    eventId: crypto.randomUUID(),
    eventTime: new Date(draft.startedAt),
    region: draft.region,
  });
  const stats = { operation: draft.eventName, error: error?.code ?? "", durationMs: Math.max(0, now - draft.startedAt) };
  return { record, stats, timeMs: draft.startedAt };
}

/** The key an entry is stored under in an outbox. */
export function outboxKey(entry: OutboxEntry, timeMs: number): string {
  return `${OUTBOX}${String(timeMs).padStart(15, "0")}:${entry.record.eventID}`;
}

/** Puts `entry` in the outbox of the transaction's store. */
export function addToOutbox(tx: RecordTx, entry: OutboxEntry, timeMs = Date.now()): void {
  tx.put(outboxKey(entry, timeMs), entry);
}

/** Where forwarded records go: the audit log of each recipient account. */
export interface AuditSink {
  /** Appends the records (idempotent by event ID); resolves when they are durable. */
  append(entries: readonly OutboxEntry[]): Promise<void>;
  /** Records a key event and its CloudTrail service event durably (idempotent by event ID). */
  keyEvent(event: KeyEvent): Promise<void>;
}

const FORWARD_BATCH = 200;

/**
 * Forwards the oldest outbox entries to `sink` and deletes them once delivered; repeats until the
 * outbox is empty or `rounds` batches went. Returns true when the outbox is empty.
 * @throws whatever the sink throws (nothing is deleted then: the next try sends the batch again)
 */
export async function forwardOutbox(store: RecordStore, sink: AuditSink, rounds = 20): Promise<boolean> {
  for (let i = 0; i < rounds; i++) {
    const batch = await store.transact((tx) => tx.list<OutboxEntry>(OUTBOX, { limit: FORWARD_BATCH }));
    if (batch.length === 0) return true;
    await sink.append(batch.map(([, entry]) => entry));
    await store.transact(async (tx) => {
      for (const [key] of batch) tx.delete(key);
    });
    if (batch.length < FORWARD_BATCH) return true;
  }
  return (await store.transact((tx) => tx.list(OUTBOX, { limit: 1 }))).length === 0;
}

/** True when the store's outbox holds anything not yet forwarded. */
export async function outboxPending(tx: RecordTx): Promise<boolean> {
  return (await tx.list(OUTBOX, { limit: 1 })).length > 0;
}

/** True when the key belongs to the outbox (kept when everything else of a key is removed). */
export function isOutboxKey(key: string): boolean {
  return key.startsWith(OUTBOX);
}
