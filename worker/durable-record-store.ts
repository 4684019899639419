/**
 * The storage port (src/store/port.ts) on a Durable Object's synchronous KV storage.
 *
 * Why this is atomic without locks: a Durable Object runs one event at a time, and a transaction
 * body awaits nothing but this store's reads, which are synchronous SQLite reads returned as
 * already-settled promises — so no other call's code runs between the body's first read and its
 * commit. Writes are buffered and applied in one `transactionSync`, so a body that throws leaves
 * storage as it was, and the output gate holds the response until the commit is durable.
 */
import type { ListOptions, RecordStore, RecordTx } from "../src/store/port.ts";

type Write = { value: unknown } | null;

class BufferedTx implements RecordTx {
  readonly writes = new Map<string, Write>();

  constructor(private readonly kv: SyncKvStorage) {}

  async get<V>(key: string): Promise<V | undefined> {
    const write = this.writes.get(key);
    if (write !== undefined) return write === null ? undefined : (write.value as V);
    return this.kv.get<V>(key);
  }

  async list<V>(prefix: string, options: ListOptions = {}): Promise<[string, V][]> {
    const from = options.after === undefined ? undefined : prefix + options.after;
    const pending = [...this.writes].filter(([k]) => k.startsWith(prefix) && (from === undefined || k > from));
    const stored = [
      ...this.kv.list<V>({
        prefix,
        ...(from === undefined ? {} : options.reverse ? { end: from } : { start: from }),
        ...(options.reverse ? { reverse: true } : {}),
        // Buffered writes may hide or add entries: read enough to fill the page regardless.
        ...(options.limit === undefined ? {} : { limit: options.limit + pending.length + 1 }),
      }),
    ].filter(([k]) => from === undefined || (options.reverse ? k < from : k > from));
    if (pending.length === 0) return options.limit === undefined ? stored : stored.slice(0, options.limit);
    const merged = new Map<string, V>(stored);
    for (const [k, w] of pending) {
      if (options.reverse && from !== undefined && k >= from) continue;
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
}

export class DurableRecordStore implements RecordStore {
  constructor(private readonly storage: DurableObjectStorage) {}

  async transact<T>(body: (tx: RecordTx) => Promise<T>): Promise<T> {
    const tx = new BufferedTx(this.storage.kv);
    const result = await body(tx);
    if (tx.writes.size > 0) {
      const kv = this.storage.kv;
      this.storage.transactionSync(() => {
        for (const [key, write] of tx.writes) {
          if (write === null) kv.delete(key);
          else kv.put(key, write.value);
        }
      });
    }
    return result;
  }
}
