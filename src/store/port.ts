/**
 * The storage port of the key logic: what src/ needs from a runtime to keep one key's records
 * (or one account's), and nothing more. Two adapters implement it:
 * - on Cloudflare, a Durable Object's own SQLite storage (worker/durable-record-store.ts): one
 *   single-threaded actor per key, so a transaction never meets a concurrent one;
 * - on Deno KV, optimistic commits (`atomic().check(...)` on every entry read, retried on
 *   conflict), where several isolates may run the same key's transactions at once.
 *
 * The contract that makes both correct:
 * - `transact(body)` runs `body` against one consistent view and commits all its writes at once,
 *   or none of them when `body` throws. An adapter may run `body` more than once (after a
 *   conflict), so `body` must have no effect outside `tx` and must await nothing but `tx` reads —
 *   slow asynchronous work (RSA key generation, WebCrypto) happens before the transaction, and the
 *   transaction checks again what it relied on.
 * - Every decision a transaction makes rests on entries it read with `get` (or a `list` whose
 *   range it owns outright). A limit is a counter entry, never the length of a listing, so that an
 *   optimistic adapter sees a concurrent change as a conflict.
 * - Keys are strings ordered by UTF-16 code unit; values are structured-clonable data
 *   (objects, arrays, strings, numbers, booleans, Uint8Array).
 */

export interface ListOptions {
  /** Only keys strictly greater than this one (after the prefix). */
  after?: string;
  limit?: number;
  /** Newest (greatest key) first. */
  reverse?: boolean;
}

/** One transaction's view of a store: reads see its own earlier writes. */
export interface RecordTx {
  get<V>(key: string): Promise<V | undefined>;
  /** Entries whose key starts with `prefix`, in key order. */
  list<V>(prefix: string, options?: ListOptions): Promise<[string, V][]>;
  put(key: string, value: unknown): void;
  delete(key: string): void;
}

export interface RecordStore {
  /** Runs `body` atomically (see the module comment for what `body` may do). */
  transact<T>(body: (tx: RecordTx) => Promise<T>): Promise<T>;
}

/**
 * A per-key (or per-account) wake-up call that survives restarts: the runtime calls the owner's
 * `wake` at that time (a Durable Object alarm; a delayed Deno KV queue message). A wake-up may
 * come late, early after a restart, or twice: `wake` acts only on deadlines that have passed.
 */
export interface WakeUps {
  /** Sets the next wake-up to `time` (epoch ms), or clears it when undefined. */
  wakeAt(time: number | undefined): Promise<void>;
  /** Brings the next wake-up forward to `time` when none is set or it is later. */
  wakeBy(time: number): Promise<void>;
}
