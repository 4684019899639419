/**
 * The audit log on Cloudflare: each account's trail is split over AUDIT_SHARDS AuditLog Durable
 * Objects (src/audit/outbox.ts explains how records reach them), so no single object receives
 * every request of an account; LookupEvents and /metrics read every shard and merge.
 *
 * - Outbox forwarding: a key's (or an account registry's) records always go to the same shard,
 *   chosen by a hash of its name, in batches.
 * - Direct appends (`recordCall`): calls that reached no object that could hold their record —
 *   refused before any key was found, or touching only objects that record nothing (GenerateRandom,
 *   a key that does not exist) — are appended by the worker, awaited before the response, to a
 *   shard chosen by the request ID.
 * - Key events (rotation, material expiry, deletion) go to shard 0, which is also where an
 *   account's trail lived before it was sharded (its name is unchanged).
 */
import { addressedTo, recipientAccounts } from "../src/audit/record.ts";
import { auditEntry, type AuditDraft, type AuditSink, type CallOutcome, type OutboxEntry } from "../src/audit/outbox.ts";
import { serviceEventRecord, type KeyEvent } from "../src/audit/events.ts";
import type { LookupQuery, StoredEvent } from "../src/audit/lookup.ts";
import type { RequestStats } from "../src/audit/metrics.ts";
import type { Env } from "./config.ts";
import type { AppendedRecord, LookupPage } from "./audit-log.ts";

export const AUDIT_SHARDS = 8;

/** A stable shard for a name (FNV-1a). */
export function shardOf(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return (h >>> 0) % AUDIT_SHARDS;
}

export function auditLogOf(env: Env, accountId: string, region: string, shard = 0) {
  return env.AUDIT.get(env.AUDIT.idFromName(shard === 0 ? `${accountId}:${region}` : `${accountId}:${region}:${shard}`));
}

function allShards(env: Env, accountId: string, region: string) {
  return Array.from({ length: AUDIT_SHARDS }, (_, i) => auditLogOf(env, accountId, region, i));
}

/** Appends entries to the shard `shard` of each recipient account; the caller's copy carries the stats. */
async function appendEntries(env: Env, entries: readonly OutboxEntry[], shard: number): Promise<void> {
  // Each record goes to the trail of its recipient account in the record's own Region.
  const byTrail = new Map<string, { account: string; region: string; records: AppendedRecord[] }>();
  for (const entry of entries) {
    const timeMs = entry.timeMs;
    const region = entry.record.awsRegion;
    recipientAccounts(entry.record).forEach((account, i) => {
      const trail = byTrail.get(`${account}:${region}`) ?? { account, region, records: [] };
      trail.records.push({ record: addressedTo(entry.record, account), eventTimeMs: timeMs, ...(i === 0 ? { stats: entry.stats } : {}) });
      byTrail.set(`${account}:${region}`, trail);
    });
  }
  await Promise.all([...byTrail.values()].map((t) => auditLogOf(env, t.account, t.region, shard).appendBatch(t.records)));
}

/** The audit sink of the object named `name` (its records always go to the same shard). */
export function auditSink(env: Env, name: string): AuditSink {
  const shard = shardOf(name);
  return {
    append: (entries) => appendEntries(env, entries, shard),
    keyEvent: async (event: KeyEvent) => {
      await auditLogOf(env, event.account, event.region).appendKeyEvent(event, serviceEventRecord(event));
    },
  };
}

/** Records a call no object recorded; resolves when every copy is durable. */
export async function recordCall(env: Env, draft: AuditDraft, outcome: CallOutcome): Promise<void> {
  await appendEntries(env, [auditEntry(draft, outcome, [])], shardOf(draft.requestId));
}

/** One LookupEvents page over every shard of an account: each shard's page, merged newest first. */
export async function lookupAll(env: Env, accountId: string, region: string, query: LookupQuery): Promise<LookupPage> {
  const pages = await Promise.all(allShards(env, accountId, region).map((log) => log.lookup(query)));
  const newestFirst = (a: StoredEvent, b: StoredEvent) =>
    b.eventTimeMs - a.eventTimeMs || (a.eventId < b.eventId ? 1 : a.eventId > b.eventId ? -1 : 0);
  const merged = pages.flatMap((p) => p.events).sort(newestFirst);
  const events = merged.slice(0, query.maxResults);
  const more = merged.length > query.maxResults || pages.some((p) => p.last !== undefined);
  const last = events[events.length - 1];
  return more && last !== undefined ? { events, last: { timeMs: last.eventTimeMs, eventId: last.eventId } } : { events };
}

/** The request counters of an account, summed over its shards. */
export async function requestStatsAll(env: Env, accountId: string, region: string): Promise<RequestStats[]> {
  const sums = new Map<string, RequestStats>();
  for (const stats of await Promise.all(allShards(env, accountId, region).map((log) => log.requestStats()))) {
    for (const s of stats) {
      const key = `${s.operation}\n${s.error}`;
      const sum = sums.get(key);
      if (sum === undefined) sums.set(key, { ...s, buckets: [...s.buckets] });
      else {
        sum.count += s.count;
        sum.sumMs += s.sumMs;
        s.buckets.forEach((n, i) => (sum.buckets[i] = (sum.buckets[i] ?? 0) + n));
      }
    }
  }
  return [...sums.values()].sort((a, b) => (a.operation + a.error < b.operation + b.error ? -1 : 1));
}
