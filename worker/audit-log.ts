/**
 * AuditLog: one Durable Object per account and region (named `${accountId}:${region}`) holding
 * that account's audit trail — the CloudTrail records of API calls it made or that named its
 * keys, the key events (rotation, material expiry, deletion) of its keys — and its request
 * counters for GET /metrics.
 *
 * Storage is SQLite: `events` with one index per LookupEvents attribute (event name, username,
 * access key, read-only, event source, event ID) each ordered by time, and `event_resources` for
 * ResourceName/ResourceType. An append returns only after its transaction commits, so a record
 * is durable before the worker answers the call it describes. Appends are idempotent by event ID.
 *
 * Retention (AUDIT_RETENTION_DAYS, default 90) is enforced by this object's alarm, never by the
 * request path: the alarm deletes what is older than the retention period and re-arms itself for
 * the oldest remaining entry. The same alarm retries key events not yet delivered to the
 * KEY_EVENTS_QUEUE queue (when bound).
 *
 * Counters are aggregated here per account because every API call already writes to this object:
 * counting in the same transaction costs no extra round trip, and a counter can never disagree with
 * the trail. Latency is measured by the worker from authentication to the audit write.
 */
import { DurableObject } from "cloudflare:workers";
import type { KeyEvent } from "../src/audit/events.ts";
import type { LookupQuery, StoredEvent } from "../src/audit/lookup.ts";
import { bucketIndex, LATENCY_BUCKETS_MS, type RequestStats } from "../src/audit/metrics.ts";
import type { CallStats } from "../src/audit/outbox.ts";
import { usernameOf, type CloudTrailRecord } from "../src/audit/record.ts";
import { settings, type Env } from "./config.ts";

export type { CallStats };

/** One record to append, with the caller's measurements when this is the caller's own copy. */
export interface AppendedRecord {
  record: CloudTrailRecord;
  eventTimeMs: number;
  stats?: CallStats;
}

export interface LookupPage {
  events: StoredEvent[];
  /** Set when more events match: the position the next page resumes after. */
  last?: { timeMs: number; eventId: string };
}

const RETRY_DELIVERY_MS = 30_000;
const PURGE_BATCH = 5_000;

type EventRow = {
  seq: number;
  event_id: string;
  event_time: number;
  event_name: string;
  event_source: string;
  read_only: number;
  access_key_id: string;
  username: string;
  record: string;
};

export class AuditLog extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  /** The alarm time as last read or set; undefined until first needed. */
  private alarmAt: number | null | undefined;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(`CREATE TABLE IF NOT EXISTS events (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      event_id TEXT NOT NULL,
      event_time INTEGER NOT NULL,
      event_name TEXT NOT NULL,
      event_source TEXT NOT NULL,
      read_only INTEGER NOT NULL,
      access_key_id TEXT NOT NULL,
      username TEXT NOT NULL,
      record TEXT NOT NULL
    )`);
    this.sql.exec("CREATE UNIQUE INDEX IF NOT EXISTS events_by_id ON events (event_id)");
    this.sql.exec("CREATE INDEX IF NOT EXISTS events_by_time ON events (event_time, seq)");
    // Lookups page by (event time, event ID): a position that means the same in every shard.
    this.sql.exec("CREATE INDEX IF NOT EXISTS events_by_time_id ON events (event_time, event_id)");
    this.sql.exec("CREATE INDEX IF NOT EXISTS events_by_name ON events (event_name, event_time, seq)");
    this.sql.exec("CREATE INDEX IF NOT EXISTS events_by_user ON events (username, event_time, seq)");
    this.sql.exec("CREATE INDEX IF NOT EXISTS events_by_access_key ON events (access_key_id, event_time, seq)");
    this.sql.exec("CREATE INDEX IF NOT EXISTS events_by_read_only ON events (read_only, event_time, seq)");
    this.sql.exec("CREATE INDEX IF NOT EXISTS events_by_source ON events (event_source, event_time, seq)");
    this.sql.exec(`CREATE TABLE IF NOT EXISTS event_resources (
      seq INTEGER NOT NULL,
      type TEXT NOT NULL,
      name TEXT NOT NULL
    )`);
    this.sql.exec("CREATE INDEX IF NOT EXISTS resources_by_name ON event_resources (name, seq)");
    this.sql.exec("CREATE INDEX IF NOT EXISTS resources_by_type ON event_resources (type, seq)");
    this.sql.exec("CREATE INDEX IF NOT EXISTS resources_by_seq ON event_resources (seq)");
    this.sql.exec(`CREATE TABLE IF NOT EXISTS key_events (
      id TEXT PRIMARY KEY,
      time INTEGER NOT NULL,
      detail_type TEXT NOT NULL,
      key_arn TEXT NOT NULL,
      event TEXT NOT NULL,
      delivered INTEGER NOT NULL
    )`);
    this.sql.exec("CREATE INDEX IF NOT EXISTS key_events_by_time ON key_events (time)");
    this.sql.exec("CREATE INDEX IF NOT EXISTS key_events_undelivered ON key_events (delivered, time)");
    this.sql.exec(`CREATE TABLE IF NOT EXISTS request_stats (
      operation TEXT NOT NULL,
      error TEXT NOT NULL,
      count INTEGER NOT NULL,
      sum_ms REAL NOT NULL,
      buckets TEXT NOT NULL,
      PRIMARY KEY (operation, error)
    )`);
  }

  // ---- writing -----------------------------------------------------------------------------------

  /**
   * Appends one record (idempotent by eventID) and, for the caller's own copy, counts the call.
   * Resolves once the write is durable.
   */
  async append(record: CloudTrailRecord, eventTimeMs: number, stats?: CallStats): Promise<void> {
    await this.appendBatch([{ record, eventTimeMs, ...(stats === undefined ? {} : { stats }) }]);
  }

  /**
   * Appends records forwarded from an outbox in one transaction. A record already present (a
   * retried delivery) is neither stored nor counted again.
   */
  async appendBatch(records: readonly AppendedRecord[]): Promise<void> {
    if (records.length === 0) return;
    this.ctx.storage.transactionSync(() => {
      for (const r of records) {
        if (this.insert(r.record, r.eventTimeMs) && r.stats !== undefined) this.count(r.stats);
      }
    });
    await this.armRetention(Math.min(...records.map((r) => r.eventTimeMs)));
  }

  /** Records a key event and its CloudTrail service-event record, then tries to deliver it. */
  async appendKeyEvent(event: KeyEvent, record: CloudTrailRecord): Promise<void> {
    const timeMs = Date.parse(event.time);
    const queued = this.env.KEY_EVENTS_QUEUE !== undefined;
    this.ctx.storage.transactionSync(() => {
      this.insert(record, timeMs);
      this.sql.exec(
        "INSERT OR IGNORE INTO key_events (id, time, detail_type, key_arn, event, delivered) VALUES (?, ?, ?, ?, ?, ?)",
        event.id,
        timeMs,
        event["detail-type"],
        event.resources[0],
        JSON.stringify(event),
        queued ? 0 : 1,
      );
    });
    await this.armRetention(timeMs);
    if (queued) await this.deliverPending();
  }

  /** Stores one record with its lookup indexes; false when its event ID is already stored. */
  private insert(record: CloudTrailRecord, eventTimeMs: number): boolean {
    const identity = record.userIdentity;
    const cursor = this.sql.exec(
      `INSERT OR IGNORE INTO events
        (event_id, event_time, event_name, event_source, read_only, access_key_id, username, record)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      record.eventID,
      eventTimeMs,
      record.eventName,
      record.eventSource,
      record.readOnly ? 1 : 0,
      "accessKeyId" in identity ? (identity.accessKeyId ?? "") : "",
      usernameOf(identity),
      JSON.stringify(record),
    );
    if (cursor.rowsWritten === 0) return false;
    const seq = this.sql.exec<{ seq: number }>("SELECT last_insert_rowid() AS seq").one().seq;
    for (const r of record.resources) {
      this.sql.exec("INSERT INTO event_resources (seq, type, name) VALUES (?, ?, ?)", seq, r.type, r.ARN);
      // Keys are also findable by their bare key ID (the guide's procedures start from one).
      const slash = r.ARN.indexOf(":key/");
      if (slash >= 0) this.sql.exec("INSERT INTO event_resources (seq, type, name) VALUES (?, ?, ?)", seq, r.type, r.ARN.slice(slash + 5));
    }
    return true;
  }

  private count(stats: CallStats): void {
    const row = this.sql
      .exec<{ count: number; sum_ms: number; buckets: string }>(
        "SELECT count, sum_ms, buckets FROM request_stats WHERE operation = ? AND error = ?",
        stats.operation,
        stats.error,
      )
      .toArray()[0];
    const buckets: number[] = row ? (JSON.parse(row.buckets) as number[]) : new Array(LATENCY_BUCKETS_MS.length + 1).fill(0);
    buckets[bucketIndex(stats.durationMs)]! += 1;
    this.sql.exec(
      `INSERT INTO request_stats (operation, error, count, sum_ms, buckets) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (operation, error) DO UPDATE SET count = excluded.count, sum_ms = excluded.sum_ms, buckets = excluded.buckets`,
      stats.operation,
      stats.error,
      (row?.count ?? 0) + 1,
      (row?.sum_ms ?? 0) + stats.durationMs,
      JSON.stringify(buckets),
    );
  }

  // ---- reading -----------------------------------------------------------------------------------

  async lookup(query: LookupQuery): Promise<LookupPage> {
    if (query.insightOnly) return { events: [] };
    const where: string[] = ["event_time >= ?", "event_time <= ?"];
    const args: (string | number)[] = [query.startMs, query.endMs];
    if (query.after !== undefined) {
      where.push("(event_time < ? OR (event_time = ? AND event_id < ?))");
      args.push(query.after.timeMs, query.after.timeMs, query.after.eventId);
    }
    const a = query.attribute;
    if (a !== undefined) {
      switch (a.key) {
        case "EventId":
          where.push("event_id = ?");
          break;
        case "EventName":
          where.push("event_name = ?");
          break;
        case "EventSource":
          where.push("event_source = ?");
          break;
        case "Username":
          where.push("username = ?");
          break;
        case "AccessKeyId":
          where.push("access_key_id = ?");
          break;
        case "ReadOnly":
          where.push("read_only = ?");
          break;
        case "ResourceName":
          where.push("seq IN (SELECT seq FROM event_resources WHERE name = ?)");
          break;
        case "ResourceType":
          where.push("seq IN (SELECT seq FROM event_resources WHERE type = ?)");
          break;
      }
      args.push(a.key === "ReadOnly" ? (a.value === "true" ? 1 : 0) : a.value);
    }
    const rows = this.sql
      .exec<EventRow>(
        `SELECT * FROM events WHERE ${where.join(" AND ")} ORDER BY event_time DESC, event_id DESC LIMIT ?`,
        ...args,
        query.maxResults + 1,
      )
      .toArray();
    const page = rows.slice(0, query.maxResults);
    const resources = new Map<number, { type: string; name: string }[]>();
    if (page.length > 0) {
      const seqs = page.map((r) => r.seq);
      const found = this.sql
        .exec<{ seq: number; type: string; name: string }>(
          `SELECT seq, type, name FROM event_resources WHERE seq IN (${seqs.map(() => "?").join(",")}) ORDER BY rowid`,
          ...seqs,
        )
        .toArray();
      for (const r of found) {
        const list = resources.get(r.seq) ?? [];
        list.push({ type: r.type, name: r.name });
        resources.set(r.seq, list);
      }
    }
    const events: StoredEvent[] = page.map((r) => ({
      seq: r.seq,
      eventId: r.event_id,
      eventName: r.event_name,
      eventTimeMs: r.event_time,
      eventSource: r.event_source,
      readOnly: r.read_only === 1,
      accessKeyId: r.access_key_id,
      username: r.username,
      resources: resources.get(r.seq) ?? [],
      record: r.record,
    }));
    const last = page[page.length - 1];
    return rows.length > query.maxResults && last ? { events, last: { timeMs: last.event_time, eventId: last.event_id } } : { events };
  }

  /** Key events newest first (at most `limit`). */
  async keyEvents(limit: number): Promise<KeyEvent[]> {
    return this.sql
      .exec<{ event: string }>("SELECT event FROM key_events ORDER BY time DESC, rowid DESC LIMIT ?", limit)
      .toArray()
      .map((r) => JSON.parse(r.event) as KeyEvent);
  }

  async requestStats(): Promise<RequestStats[]> {
    return this.sql
      .exec<{ operation: string; error: string; count: number; sum_ms: number; buckets: string }>(
        "SELECT * FROM request_stats ORDER BY operation, error",
      )
      .toArray()
      .map((r) => ({
        operation: r.operation,
        error: r.error,
        count: r.count,
        sumMs: r.sum_ms,
        buckets: JSON.parse(r.buckets) as number[],
      }));
  }

  // ---- retention and delivery --------------------------------------------------------------------

  private retentionMs(): number {
    return settings(this.env).auditRetentionMs;
  }

  /** Arms the alarm for the entry written at `timeMs` unless an earlier alarm is already set. */
  private async armRetention(timeMs: number): Promise<void> {
    await this.alarmNoLaterThan(timeMs + this.retentionMs());
  }

  /** Sets the alarm to `due` unless it is already set earlier (the alarm time is cached). */
  private async alarmNoLaterThan(due: number): Promise<void> {
    if (this.alarmAt === undefined) this.alarmAt = await this.ctx.storage.getAlarm();
    if (this.alarmAt === null || this.alarmAt > due) {
      await this.ctx.storage.setAlarm(due);
      this.alarmAt = due;
    }
  }

  /** Sends undelivered key events to the queue; leaves failures for the alarm to retry. */
  private async deliverPending(): Promise<boolean> {
    const queue = this.env.KEY_EVENTS_QUEUE;
    if (queue === undefined) return true;
    const pending = this.sql
      .exec<{ id: string; event: string }>("SELECT id, event FROM key_events WHERE delivered = 0 ORDER BY time LIMIT 100")
      .toArray();
    for (const p of pending) {
      try {
        await queue.send(JSON.parse(p.event) as KeyEvent, { contentType: "json" });
      } catch {
        await this.alarmNoLaterThan(Date.now() + RETRY_DELIVERY_MS);
        return false;
      }
      this.sql.exec("UPDATE key_events SET delivered = 1 WHERE id = ?", p.id);
    }
    return true;
  }

  override async alarm(): Promise<void> {
    // The alarm that is running is consumed; whatever is set below is the next one.
    this.alarmAt = null;
    const now = Date.now();
    const cutoff = now - this.retentionMs();
    // Alarms may fire late or twice: delete only what is past retention, in bounded batches.
    const more = this.ctx.storage.transactionSync(() => {
      const old = this.sql
        .exec<{ seq: number }>("SELECT seq FROM events WHERE event_time < ? ORDER BY event_time LIMIT ?", cutoff, PURGE_BATCH)
        .toArray()
        .map((r) => r.seq);
      if (old.length > 0) {
        const inList = old.map(() => "?").join(",");
        this.sql.exec(`DELETE FROM event_resources WHERE seq IN (${inList})`, ...old);
        this.sql.exec(`DELETE FROM events WHERE seq IN (${inList})`, ...old);
      }
      this.sql.exec("DELETE FROM key_events WHERE time < ? AND delivered = 1", cutoff);
      return old.length === PURGE_BATCH;
    });
    const delivered = await this.deliverPending();
    const oldest = this.sql
      .exec<{ t: number | null }>(
        "SELECT MIN(t) AS t FROM (SELECT MIN(event_time) AS t FROM events UNION ALL SELECT MIN(time) AS t FROM key_events)",
      )
      .one().t;
    const deadlines: number[] = [];
    if (more) deadlines.push(now);
    if (oldest !== null) deadlines.push(oldest + this.retentionMs());
    if (!delivered) deadlines.push(now + RETRY_DELIVERY_MS);
    if (deadlines.length === 0) {
      await this.ctx.storage.deleteAlarm();
      this.alarmAt = null;
    } else {
      this.alarmAt = Math.max(now, Math.min(...deadlines));
      await this.ctx.storage.setAlarm(this.alarmAt);
    }
  }
}
