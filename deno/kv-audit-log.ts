/**
 * The audit log on Deno KV: each account's CloudTrail records with the lookup indexes
 * LookupEvents needs (src/audit/lookup.ts has the query and token rules), its key events, and its
 * request counters for /metrics. The Cloudflare equivalent is the sharded AuditLog Durable Object
 * (worker/audit-log.ts); here no sharding is needed, since KV has no single object every request
 * goes through.
 *
 * Layout, per account and region (`A` = ["audit", account, region]):
 * - [...A, "t", eventTimeMs, eventID] → StoredEvent: the trail in time order (LookupEvents without
 *   an attribute reads this range backwards);
 * - [...A, "id", eventID] → eventTimeMs: makes appends idempotent by event ID (delivery from an
 *   outbox is at least once) and answers the EventId attribute;
 * - [...A, "i", attribute, value, eventTimeMs, eventID] → null: one index entry per lookup
 *   attribute value (ResourceName also under a key's bare ID), except EventSource: every KMS
 *   record has the same one (EVENT_SOURCE, which every record EdgeKMS writes carries), so that
 *   index would repeat the trail entry for entry: a lookup by that source reads the trail, and one
 *   by any other source finds nothing without reading anything;
 * - ["stats", account, region, operation, error, "count" | "sumUs" | bucket] → KvU64: request
 *   counters, added with `sum` so concurrent appends never conflict over them (one `sum` per
 *   counter and commit, however many records of that operation and error the commit holds);
 * - ["keyev", account, region, timeMs, id] → KeyEvent, and ["keyev-id", account, region, id]
 *   (idempotent by event ID).
 *
 * Retention: records, indexes and key events are written with `expireIn` for what remains of
 * AUDIT_RETENTION_DAYS, so KV deletes them itself (lazily: lookups never reach before the window).
 * Counters are kept (they are totals, as on Cloudflare).
 */
import { addressedTo, EVENT_SOURCE, recipientAccounts, usernameOf, type CloudTrailRecord } from "../src/audit/record.ts";
import type { AuditSink, CallStats, OutboxEntry } from "../src/audit/outbox.ts";
import { serviceEventRecord, type KeyEvent } from "../src/audit/events.ts";
import type { LookupQuery, StoredEvent } from "../src/audit/lookup.ts";
import { bucketIndex, LATENCY_BUCKETS_MS, type RequestStats } from "../src/audit/metrics.ts";
import type { LookupPage } from "../worker/runtime.ts";
import { backoff, isBusy, retryBusy } from "./kv-record-store.ts";

/** Records per commit: each costs one check and about ten mutations (KV: 100 checks, 1,000 mutations). */
const CHUNK_RECORDS = 40;
const CHUNK_BYTES = 500_000;

interface Appended {
  account: string;
  record: CloudTrailRecord;
  /** `record` as JSON (computed once: it sizes the chunk and is what the trail stores). */
  json: string;
  timeMs: number;
  stats?: CallStats;
}

function storedEvent(record: CloudTrailRecord, json: string, timeMs: number): StoredEvent {
  const identity = record.userIdentity;
  const resources: { type: string; name: string }[] = [];
  for (const r of record.resources) {
    resources.push({ type: r.type, name: r.ARN });
    // Keys are also findable by their bare key ID (the guide's procedures start from one).
    const slash = r.ARN.indexOf(":key/");
    if (slash >= 0) resources.push({ type: r.type, name: r.ARN.slice(slash + 5) });
  }
  return {
    seq: 0,
    eventId: record.eventID,
    eventName: record.eventName,
    eventTimeMs: timeMs,
    eventSource: record.eventSource,
    readOnly: record.readOnly,
    accessKeyId: "accessKeyId" in identity ? (identity.accessKeyId ?? "") : "",
    username: usernameOf(identity),
    resources,
    record: json,
  };
}

/** The (attribute, value) pairs an event is indexed under. */
function indexValues(e: StoredEvent): [string, string][] {
  const out: [string, string][] = [
    ["EventName", e.eventName],
    ["ReadOnly", String(e.readOnly)],
    ["Username", e.username],
    ["AccessKeyId", e.accessKeyId],
  ];
  for (const r of e.resources) out.push(["ResourceName", r.name]);
  for (const type of new Set(e.resources.map((r) => r.type))) out.push(["ResourceType", type]);
  return out;
}

export class KvAuditLog {
  constructor(
    private readonly kv: Deno.Kv,
    /** The Region of calls that name none (the deployment's default); records carry their own. */
    private readonly region: string,
    private readonly retentionMs: () => number,
  ) {}

  private base(account: string, region: string = this.region): Deno.KvKey {
    return ["audit", account, region];
  }

  /** The sink key actors and account directories forward their outboxes to. */
  sink(): AuditSink {
    return { append: (entries) => this.append(entries), keyEvent: (event) => this.keyEvent(event) };
  }

  /** Appends outbox entries, one copy per recipient account; idempotent by event ID. */
  async append(entries: readonly OutboxEntry[]): Promise<void> {
    const copies: Appended[] = [];
    for (const entry of entries) {
      recipientAccounts(entry.record).forEach((account, i) => {
        const record = addressedTo(entry.record, account);
        copies.push({
          account,
          record,
          json: JSON.stringify(record),
          timeMs: entry.timeMs,
          ...(i === 0 ? { stats: entry.stats } : {}),
        });
      });
    }
    let chunk: Appended[] = [];
    let bytes = 0;
    for (const copy of copies) {
      const size = copy.json.length * 2;
      if (chunk.length >= CHUNK_RECORDS || (chunk.length > 0 && bytes + size > CHUNK_BYTES)) {
        await this.appendChunk(chunk);
        chunk = [];
        bytes = 0;
      }
      chunk.push(copy);
      bytes += size;
    }
    if (chunk.length > 0) await this.appendChunk(chunk);
  }

  /** Records a key event and its CloudTrail service-event record (idempotent by event ID). */
  async keyEvent(event: KeyEvent): Promise<void> {
    const timeMs = Date.parse(event.time);
    const expireIn = this.remaining(timeMs);
    const idKey = ["keyev-id", event.account, event.region, event.id];
    // A failed check means the event is already recorded (a second run of the same step).
    await retryBusy(() =>
      this.kv
        .atomic()
        .check({ key: idKey, versionstamp: null })
        .set(idKey, timeMs, { expireIn })
        .set(["keyev", event.account, event.region, timeMs, event.id], event, { expireIn })
        .commit(),
    );
    const record = serviceEventRecord(event);
    await this.appendChunk([{ account: event.account, record, json: JSON.stringify(record), timeMs }]);
  }

  private remaining(timeMs: number): number {
    return Math.max(1000, timeMs + this.retentionMs() - Date.now());
  }

  /**
   * One atomic commit of records not yet stored; retries on a conflict. The first attempt reads
   * nothing: each record's "id" check makes the commit fail if any of them is already stored (a
   * repeated delivery), and only then are the stored ones read and left out.
   */
  private async appendChunk(chunk: Appended[]): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        const fresh = attempt === 0 ? chunk : await this.notStored(chunk);
        if (fresh.length === 0) return;
        if ((await this.commitChunk(fresh)).ok) return;
        // Some were stored already: read which, at once.
        if (attempt === 0) continue;
      } catch (err) {
        if (!isBusy(err)) throw err;
      }
      await backoff(attempt);
    }
  }

  /** The records of `chunk` whose event ID is not in the trail yet. */
  private async notStored(chunk: Appended[]): Promise<Appended[]> {
    const fresh: Appended[] = [];
    for (let i = 0; i < chunk.length; i += 10) {
      const part = chunk.slice(i, i + 10);
      const found = await this.kv.getMany(part.map((c) => [...this.base(c.account, c.record.awsRegion), "id", c.record.eventID]));
      part.forEach((c, j) => {
        if (found[j]!.versionstamp === null) fresh.push(c);
      });
    }
    return fresh;
  }

  private commitChunk(chunk: Appended[]): Promise<Deno.KvCommitResult | Deno.KvCommitError> {
    const op = this.kv.atomic();
    // Counters summed over the chunk: one `sum` per counter, not one per record.
    const counters = new Map<string, { key: Deno.KvKey; n: bigint }>();
    const add = (key: Deno.KvKey, n: bigint) => {
      const name = JSON.stringify(key);
      const counter = counters.get(name);
      if (counter === undefined) counters.set(name, { key, n });
      else counter.n += n;
    };
    for (const c of chunk) {
      const base = this.base(c.account, c.record.awsRegion);
      const event = storedEvent(c.record, c.json, c.timeMs);
      const expireIn = this.remaining(c.timeMs);
      op.check({ key: [...base, "id", event.eventId], versionstamp: null });
      op.set([...base, "id", event.eventId], c.timeMs, { expireIn });
      op.set([...base, "t", c.timeMs, event.eventId], event, { expireIn });
      for (const [attribute, value] of indexValues(event)) {
        op.set([...base, "i", attribute, value, c.timeMs, event.eventId], null, { expireIn });
      }
      if (c.stats !== undefined) {
        const s = ["stats", c.account, c.record.awsRegion, c.stats.operation, c.stats.error];
        add([...s, "count"], 1n);
        add([...s, "sumUs"], BigInt(Math.round(c.stats.durationMs * 1000)));
        add([...s, bucketIndex(c.stats.durationMs)], 1n);
      }
    }
    for (const { key, n } of counters.values()) op.sum(key, n);
    return op.commit();
  }

  /** One LookupEvents page of an account's trail, newest first. */
  async lookup(account: string, region: string, query: LookupQuery): Promise<LookupPage> {
    if (query.insightOnly) return { events: [] };
    const base = this.base(account, region);
    const a = query.attribute;
    // KV deletes expired entries lazily: never answer from before the retention window.
    const startMs = Math.max(query.startMs, Date.now() - this.retentionMs());
    if (startMs > query.endMs) return { events: [] };
    const limit = query.maxResults + 1;
    let events: StoredEvent[];
    if (a?.key === "EventId") {
      const time = (await this.kv.get<number>([...base, "id", a.value])).value;
      const stored = time === null ? null : (await this.kv.get<StoredEvent>([...base, "t", time, a.value])).value;
      const after = query.after;
      events =
        stored !== null &&
        stored.eventTimeMs >= startMs &&
        stored.eventTimeMs <= query.endMs &&
        (after === undefined ||
          stored.eventTimeMs < after.timeMs ||
          (stored.eventTimeMs === after.timeMs && stored.eventId < after.eventId))
          ? [stored]
          : [];
    } else {
      // EventSource has no index (see the module comment): every record is the KMS source's, so the
      // trail answers for it and nothing for any other (without reading the trail to find so).
      if (a?.key === "EventSource" && a.value !== EVENT_SOURCE) return { events: [] };
      const indexed = a !== undefined && a.key !== "EventSource";
      const prefix: Deno.KvKey = indexed ? [...base, "i", a.key, a.value] : [...base, "t"];
      const endTime = Math.floor(query.endMs) + 1;
      const end: Deno.KvKey =
        query.after !== undefined && query.after.timeMs < endTime
          ? [...prefix, query.after.timeMs, query.after.eventId]
          : [...prefix, endTime];
      const keys: Deno.KvKey[] = [];
      events = [];
      for await (const entry of this.kv.list<StoredEvent>({ start: [...prefix, Math.ceil(startMs)], end }, { reverse: true, limit })) {
        if (indexed) keys.push([...base, "t", ...entry.key.slice(-2)]);
        else events.push(entry.value);
      }
      for (let i = 0; i < keys.length; i += 10) {
        for (const found of await this.kv.getMany<StoredEvent[]>(keys.slice(i, i + 10))) if (found.value !== null) events.push(found.value);
      }
    }
    const page = events.slice(0, query.maxResults);
    const last = page[page.length - 1];
    return events.length > query.maxResults && last !== undefined
      ? { events: page, last: { timeMs: last.eventTimeMs, eventId: last.eventId } }
      : { events: page };
  }

  /** Key events of an account, newest first (at most `limit`). */
  async keyEvents(account: string, region: string, limit: number): Promise<KeyEvent[]> {
    const out: KeyEvent[] = [];
    for await (const entry of this.kv.list<KeyEvent>({ prefix: ["keyev", account, region] }, { reverse: true, limit }))
      out.push(entry.value);
    return out;
  }

  /** The request counters of an account. */
  async requestStats(account: string, region: string): Promise<RequestStats[]> {
    const byCall = new Map<string, RequestStats>();
    for await (const entry of this.kv.list<Deno.KvU64>({ prefix: ["stats", account, region] })) {
      const [, , , operation, error, field] = entry.key as [string, string, string, string, string, string | number];
      const name = `${operation}\n${error}`;
      const stats = byCall.get(name) ?? { operation, error, count: 0, sumMs: 0, buckets: new Array(LATENCY_BUCKETS_MS.length + 1).fill(0) };
      const n = Number(entry.value.value);
      if (field === "count") stats.count = n;
      else if (field === "sumUs") stats.sumMs = n / 1000;
      else stats.buckets[field as number] = n;
      byCall.set(name, stats);
    }
    return [...byCall.values()].sort((x, y) => (x.operation + x.error < y.operation + y.error ? -1 : 1));
  }
}
