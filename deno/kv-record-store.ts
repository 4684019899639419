/**
 * The storage port (src/store/port.ts) on Deno KV: optimistic transactions that several isolates
 * or processes may run against the same records at once.
 *
 * How a transaction stays serializable without a lock:
 * - Each store (one key's records, one account's directory) has a revision entry, `[...base,
 *   "rev"]`. Every commit that writes a record bumps it (an atomic `sum`, which reads nothing),
 *   and every transaction that read a record checks, at commit, that the revision it saw first is
 *   still the current one. So any two transactions of one store that read and write records are
 *   ordered: the second to commit fails its check, re-reads and runs again. This covers `list`
 *   too (Deno KV cannot check a range): a concurrent insert into a listed range bumps the revision.
 *   One check per transaction also keeps every commit far under KV's limit of 100 checks.
 * - Entries no transaction decides on are the exception (the store's `unversioned` option; for a
 *   key, src/keys/key-records.ts `isUnorderedKey`): outbox entries (src/audit/outbox.ts), each
 *   written once under a unique key, and a key's last usage, a blind write. Writing one does not
 *   bump the revision and reading one is not checked. Concurrent Encrypts on one key (each appends
 *   a record and overwrites the last usage, none changes a record) therefore never conflict; a
 *   tag, policy or grant change does conflict with them, as it must, since they decided on the old
 *   policy.
 * - A read-only transaction re-reads the revision at its end instead of committing.
 * - A transaction may start from this process's snapshot of the store (SnapshotCache below)
 *   instead of reading: the snapshot's revision is checked at commit like one it read.
 * - A body that throws has its reads validated the same way: a refusal decided on a view that
 *   changed meanwhile is retried on the new view, never answered.
 *
 * Conflicts and `database is locked` (SQLite busy when several processes commit to one local
 * file; Deno does not retry it) are retried after a short, growing, jittered backoff; the client
 * never sees either. Record keys are KV key parts of type string: KV orders them by UTF-8 bytes,
 * which equals the port's UTF-16 order for every key EdgeKMS writes (no astral characters before a
 * distinguishing position), and a prefix listing ends at `prefix + U+10FFFF`, which no key holds.
 *
 * Limit: Deno KV commits at most 1,000 mutations at once. A transaction with more writes (burying
 * a key that holds hundreds of grants) is committed as its checked first part and then the rest
 * in order; the key logic only does that for removals, which are idempotent.
 */
import type { ListOptions, RecordStore, RecordTx } from "../src/store/port.ts";

const LAST = "\u{10FFFF}";
const MAX_MUTATIONS = 900;
const MAX_ATTEMPTS = 400;

type Write = { value: unknown } | null;

/** True for errors that mean "another writer holds the database": retried like a conflict. */
export function isBusy(err: unknown): boolean {
  return err instanceof Error && /database is locked|database is busy|SQLITE_BUSY/i.test(err.message);
}

/** Waits a little longer after each failed attempt (jittered so that racing writers spread out). */
export function backoff(attempt: number): Promise<void> {
  const ceiling = Math.min(100, 2 ** Math.min(attempt, 7));
  return new Promise((resolve) => setTimeout(resolve, Math.random() * ceiling));
}

class Conflict extends Error {}

class KvTx implements RecordTx {
  readonly writes = new Map<string, Write>();
  /** The revision's versionstamp when this transaction first read a record; undefined before. */
  revision: string | null | undefined;
  /** Versioned records this transaction read from the KV (copies), for the snapshot cache. */
  readonly reads = new Map<string, unknown>();

  constructor(
    private readonly kv: Deno.Kv,
    private readonly base: Deno.KvKey,
    private readonly unversioned: (key: string) => boolean,
    /** Records known at one revision (see SnapshotCache): the transaction starts from it instead of reading. */
    private readonly snapshot?: Snapshot,
  ) {}

  get revKey(): Deno.KvKey {
    return [...this.base, "rev"];
  }

  recordKey(key: string): Deno.KvKey {
    return [...this.base, "r", key];
  }

  private async noteRevision(): Promise<void> {
    if (this.revision !== undefined) return;
    if (this.snapshot !== undefined) this.revision = this.snapshot.revision;
    else this.revision = (await this.kv.get(this.revKey)).versionstamp;
  }

  async get<V>(key: string): Promise<V | undefined> {
    const write = this.writes.get(key);
    if (write !== undefined) return write === null ? undefined : (write.value as V);
    if (this.unversioned(key)) return ((await this.kv.get<V>(this.recordKey(key))).value ?? undefined) as V | undefined;
    if (this.revision === undefined && this.snapshot !== undefined) this.revision = this.snapshot.revision;
    // A copy: the caller may change what it gets, and neither the cache nor a retry may see that.
    if (this.snapshot?.records.has(key)) return copy(this.snapshot.records.get(key)) as V | undefined;
    let value: V | undefined;
    if (this.revision === undefined) {
      // The revision and the first record in one consistent read.
      const [rev, entry] = await this.kv.getMany<[unknown, V]>([this.revKey, this.recordKey(key)]);
      this.revision = rev.versionstamp;
      value = (entry.value ?? undefined) as V | undefined;
    } else {
      value = ((await this.kv.get<V>(this.recordKey(key))).value ?? undefined) as V | undefined;
    }
    this.reads.set(key, copy(value));
    return value;
  }

  async list<V>(prefix: string, options: ListOptions = {}): Promise<[string, V][]> {
    if (!this.unversioned(prefix)) await this.noteRevision();
    const from = options.after === undefined ? undefined : prefix + options.after;
    const pending = [...this.writes].filter(
      ([k]) => k.startsWith(prefix) && (from === undefined || (options.reverse ? k < from : k > from)),
    );
    const start: Deno.KvKey = this.recordKey(from === undefined || options.reverse ? prefix : from + "\0");
    const end: Deno.KvKey = this.recordKey(from !== undefined && options.reverse ? from : prefix + LAST);
    const stored: [string, V][] = [];
    const iter = this.kv.list<V>(
      { start, end },
      {
        ...(options.reverse ? { reverse: true } : {}),
        // Buffered writes may hide or add entries: read enough to fill the page regardless.
        ...(options.limit === undefined ? {} : { limit: options.limit + pending.length + 1 }),
        batchSize: 500,
      },
    );
    for await (const entry of iter) stored.push([entry.key[entry.key.length - 1] as string, entry.value]);
    if (pending.length === 0) return options.limit === undefined ? stored : stored.slice(0, options.limit);
    const merged = new Map<string, V>(stored);
    for (const [k, w] of pending) {
      if (w === null) merged.delete(k);
      else merged.set(k, w.value as V);
    }
    const entries = [...merged].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    if (options.reverse) entries.reverse();
    return options.limit === undefined ? entries : entries.slice(0, options.limit);
  }

  put(key: string, value: unknown): void {
    this.writes.set(key, { value });
  }

  delete(key: string): void {
    this.writes.set(key, null);
  }

  /** True when no record this transaction read has changed since (re-reads the revision). */
  async stillValid(): Promise<boolean> {
    if (this.revision === undefined) return true;
    return (await this.kv.get(this.revKey)).versionstamp === this.revision;
  }

  /** Set by `commit` when the transaction wrote a versioned record (so it moved the revision). */
  bumped = false;

  /** Commits the writes; false when the revision moved (a conflict). */
  async commit(): Promise<boolean> {
    if (this.writes.size === 0) return this.stillValid();
    const writes = [...this.writes];
    const versioned = writes.some(([k]) => !this.unversioned(k));
    this.bumped = versioned;
    if (writes.length <= MAX_MUTATIONS) {
      return committerOf(this.kv).commit({
        store: JSON.stringify(this.base),
        ...(this.revision === undefined ? {} : { check: { key: this.revKey, versionstamp: this.revision } }),
        ...(versioned ? { bump: this.revKey } : {}),
        writes: writes.map(([key, write]) => [this.recordKey(key), write]),
      });
    }
    const first = this.kv.atomic();
    if (this.revision !== undefined) first.check({ key: this.revKey, versionstamp: this.revision });
    if (versioned) first.sum(this.revKey, 1n);
    const apply = (op: Deno.AtomicOperation, [key, write]: [string, Write]) => {
      if (write === null) op.delete(this.recordKey(key));
      else op.set(this.recordKey(key), write.value);
    };
    writes.slice(0, MAX_MUTATIONS).forEach((w) => apply(first, w));
    if (!(await first.commit()).ok) return false;
    // The rest of an oversized transaction (see the module comment): removals, idempotent.
    for (let i = MAX_MUTATIONS; i < writes.length; i += MAX_MUTATIONS) {
      const op = this.kv.atomic();
      writes.slice(i, i + MAX_MUTATIONS).forEach((w) => apply(op, w));
      await commitRetrying(op);
    }
    return true;
  }
}

/** One transaction's commit as data, so that several can share one atomic operation. */
interface CommitRequest {
  /** The store's base key (JSON), to keep two revision bumps of one store out of one batch. */
  store: string;
  check?: Deno.AtomicCheck;
  bump?: Deno.KvKey;
  writes: [Deno.KvKey, Write][];
}

type QueuedCommit = CommitRequest & { done(ok: boolean): void; failed(err: unknown): void };

const BATCH_CHECKS = 90;

/**
 * Group commit: every commit costs a durable SQLite write (milliseconds on a disk), so commits
 * that arrive while one is in flight are sent together as one atomic operation, and concurrent
 * calls share that cost instead of queueing behind each other.
 *
 * Why a batch is still serializable: its transactions all read before any of them commits, so
 * they are valid in some serial order exactly when no one of them read what another wrote. A
 * batch therefore holds at most one revision-bumping transaction per store, and the others of
 * that store wrote only unversioned entries (outbox appends, a key's last usage), which no
 * transaction decides on: they come first in the order, in batch order (so the last usage written
 * last wins), the bumping one last. A check that fails fails the whole batch; then each
 * transaction commits alone, and only those whose own check fails retry.
 */
class GroupCommitter {
  private queue: QueuedCommit[] = [];
  private busy = false;

  constructor(private readonly kv: Deno.Kv) {}

  commit(request: CommitRequest): Promise<boolean> {
    return new Promise((done, failed) => {
      this.queue.push({ ...request, done, failed });
      if (!this.busy) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.busy = true;
    try {
      while (this.queue.length > 0) await this.run(this.take());
    } finally {
      this.busy = false;
    }
  }

  private take(): QueuedCommit[] {
    const batch: QueuedCommit[] = [];
    const rest: QueuedCommit[] = [];
    const bumped = new Set<string>();
    const checks = new Map<string, string | null>();
    let mutations = 0;
    for (const c of this.queue) {
      const checkKey = c.check === undefined ? undefined : JSON.stringify(c.check.key);
      const clash =
        (c.bump !== undefined && bumped.has(c.store)) ||
        (checkKey !== undefined && checks.has(checkKey) && checks.get(checkKey) !== c.check!.versionstamp) ||
        checks.size + 1 > BATCH_CHECKS ||
        mutations + c.writes.length + 1 > MAX_MUTATIONS;
      if (batch.length > 0 && clash) {
        rest.push(c);
        continue;
      }
      batch.push(c);
      if (c.bump !== undefined) bumped.add(c.store);
      if (checkKey !== undefined) checks.set(checkKey, c.check!.versionstamp);
      mutations += c.writes.length + 1;
    }
    this.queue = rest;
    return batch;
  }

  private atomic(batch: QueuedCommit[]): Deno.AtomicOperation {
    const op = this.kv.atomic();
    const checked = new Set<string>();
    for (const c of batch) {
      if (c.check !== undefined && !checked.has(JSON.stringify(c.check.key))) {
        checked.add(JSON.stringify(c.check.key));
        op.check(c.check);
      }
      if (c.bump !== undefined) op.sum(c.bump, 1n);
      for (const [key, write] of c.writes) {
        if (write === null) op.delete(key);
        else op.set(key, write.value);
      }
    }
    return op;
  }

  private async run(batch: QueuedCommit[]): Promise<void> {
    try {
      if ((await this.atomic(batch).commit()).ok) {
        for (const c of batch) c.done(true);
        return;
      }
    } catch (err) {
      // Busy or failed: each transaction sees the error and retries (busy) or fails as it would alone.
      for (const c of batch) c.failed(err);
      return;
    }
    if (batch.length === 1) return batch[0]!.done(false);
    for (const c of batch) {
      try {
        c.done((await this.atomic([c]).commit()).ok);
      } catch (err) {
        c.failed(err);
      }
    }
  }
}

const committers = new WeakMap<Deno.Kv, GroupCommitter>();

function committerOf(kv: Deno.Kv): GroupCommitter {
  let committer = committers.get(kv);
  if (committer === undefined) committers.set(kv, (committer = new GroupCommitter(kv)));
  return committer;
}

/** Commits an unconditional atomic operation, retrying while the database is busy. */
export async function commitRetrying(op: Deno.AtomicOperation): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      if ((await op.commit()).ok) return;
      throw new Error("unconditional commit failed");
    } catch (err) {
      if (!isBusy(err) || attempt >= MAX_ATTEMPTS) throw err;
    }
    await backoff(attempt);
  }
}

/** Runs `read` (a KV read or commit), retrying while the database is busy. */
export async function retryBusy<T>(read: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await read();
    } catch (err) {
      if (!isBusy(err) || attempt >= MAX_ATTEMPTS) throw err;
    }
    await backoff(attempt);
  }
}

/** A store's versioned records as they were at one revision (values are private copies). */
interface Snapshot {
  readonly revision: string;
  readonly records: Map<string, unknown>;
}

/**
 * A deep copy of a stored value: plain objects, arrays, byte arrays and primitives, which is all
 * EdgeKMS stores, copied directly (structuredClone goes through V8's serializer and cost about 5%
 * of an Encrypt's CPU); anything else falls back to structuredClone.
 */
function copy<T>(value: T): T {
  if (typeof value !== "object" || value === null) return value;
  if (value instanceof Uint8Array) return value.slice() as T;
  if (Array.isArray(value)) return value.map(copy) as T;
  if (Object.getPrototypeOf(value) !== Object.prototype) return structuredClone(value);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) out[key] = copy((value as Record<string, unknown>)[key]);
  return out as T;
}

const SNAPSHOT_STORES = 1024;
const SNAPSHOT_RECORDS = 32;

/**
 * What this process last saw of each store's records, with the revision they belong to, so that a
 * transaction can start from it instead of reading the KV (an Encrypt then reads nothing: its key
 * record and backing key come from here, and its commit is its only KV operation).
 *
 * Why that stays serializable: a snapshot holds only values read by a transaction that then
 * committed (or validated) with the revision check passing, so they were the store's values at
 * that revision; any later write to a versioned record moves the revision. A transaction that
 * starts from a snapshot takes its revision as its own and checks it at commit, exactly as if it
 * had read it: if anything changed since — in this process or another — the check fails, the
 * snapshot is dropped, and the transaction runs again on fresh reads. A refusal decided on a
 * snapshot is validated the same way before it is answered. A commit that moves the revision
 * drops the store's snapshot (the next transaction reads afresh). Bounded: SNAPSHOT_STORES
 * stores, least recently used first out, SNAPSHOT_RECORDS records each. Values are copied in and
 * out, so no caller can change what the next one sees. Sealed backing keys are kept only in their
 * sealed form, as they are stored.
 */
class SnapshotCache {
  private readonly stores = new Map<string, Snapshot>();

  get(store: string): Snapshot | undefined {
    const snapshot = this.stores.get(store);
    if (snapshot !== undefined) {
      this.stores.delete(store);
      this.stores.set(store, snapshot);
    }
    return snapshot;
  }

  forget(store: string): void {
    this.stores.delete(store);
  }

  /** Records `reads`, valid at `revision` (a commit or validation just checked it). */
  learn(store: string, revision: string, reads: Map<string, unknown>): void {
    let snapshot = this.stores.get(store);
    // Versionstamps are fixed-length hex: a later revision sorts after an earlier one.
    if (snapshot !== undefined && snapshot.revision > revision) return;
    if (snapshot === undefined || snapshot.revision !== revision) {
      if (reads.size === 0) return;
      snapshot = { revision, records: new Map() };
    }
    for (const [key, value] of reads)
      if (snapshot.records.size < SNAPSHOT_RECORDS || snapshot.records.has(key)) snapshot.records.set(key, value);
    this.stores.delete(store);
    this.stores.set(store, snapshot);
    if (this.stores.size > SNAPSHOT_STORES) this.stores.delete(this.stores.keys().next().value as string);
  }
}

const snapshotCaches = new WeakMap<Deno.Kv, SnapshotCache>();

function snapshotsOf(kv: Deno.Kv): SnapshotCache {
  let cache = snapshotCaches.get(kv);
  if (cache === undefined) snapshotCaches.set(kv, (cache = new SnapshotCache()));
  return cache;
}

export interface KvRecordStoreOptions {
  /** Keys written once under a unique name, whose writes need not order other transactions. */
  unversioned?: (key: string) => boolean;
}

export class KvRecordStore implements RecordStore {
  private readonly unversioned: (key: string) => boolean;
  private readonly name: string;
  private readonly snapshots: SnapshotCache;

  /** A store over the KV entries under `base` (e.g. `["key", keyArn]`). */
  constructor(
    private readonly kv: Deno.Kv,
    private readonly base: Deno.KvKey,
    options: KvRecordStoreOptions = {},
  ) {
    this.unversioned = options.unversioned ?? (() => false);
    this.name = JSON.stringify(base);
    this.snapshots = snapshotsOf(kv);
  }

  async transact<T>(body: (tx: RecordTx) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const tx = new KvTx(this.kv, this.base, this.unversioned, this.snapshots.get(this.name));
      try {
        let result: T;
        try {
          result = await body(tx);
        } catch (err) {
          if (isBusy(err)) throw new Conflict();
          // A refusal (or failure) decided on a view that moved meanwhile is retried, not answered.
          if (!(await tx.stillValid())) throw new Conflict();
          throw err;
        }
        if (await tx.commit()) {
          if (tx.bumped) this.snapshots.forget(this.name);
          else if (typeof tx.revision === "string") this.snapshots.learn(this.name, tx.revision, tx.reads);
          return result;
        }
        this.snapshots.forget(this.name);
      } catch (err) {
        this.snapshots.forget(this.name);
        if (!(err instanceof Conflict) && !isBusy(err)) throw err;
      }
      if (attempt >= MAX_ATTEMPTS) throw new Error("record store: too much contention, transaction abandoned");
      await backoff(attempt);
    }
  }
}
