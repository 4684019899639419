/**
 * Optional data-key caching for the envelope client (off unless `cache` is given): reusing one
 * GenerateDataKey result for several messages, and one Decrypt result for several messages that
 * carry the same encrypted data key, saves a KMS call per message at the cost of keeping a
 * plaintext data key in memory for longer. Limits bound that cost:
 *
 * - maxAgeMs (required): an entry is never used after this many milliseconds;
 * - maxMessages: how many messages one entry may encrypt (or decrypt);
 * - maxBytes: how many plaintext bytes one encryption entry may protect. A message is charged its
 *   full length when it starts, so an entry is used only when the message's length is known and
 *   fits (Uint8Array input, or a stream given `plaintextLength`); messages of unknown length
 *   bypass the cache while maxBytes is set.
 * - maxEntries: how many entries are kept (the oldest are evicted first).
 *
 * Encryption entries are keyed by KMS key ID(s) and canonical encryption context, decryption
 * entries by the encrypted data key and context, so a cached key is only ever used with the
 * context KMS bound it to. Each message still gets its own message key (the format derives it from
 * the data key and a fresh message ID), so reuse never repeats an IV under one key.
 *
 * Security caveats: cached data keys are plaintext in memory until evicted. Expired, exhausted and
 * evicted entries are zeroed at once; `clear()` zeroes all. A cache should not be shared between
 * callers who must not share keys (e.g. different principals). Callers get a copy of the key,
 * which they must wipe.
 */
import { encodeEncryptionContext, type EncryptionContext } from "../crypto/encryption-context.ts";
import { toHex } from "../bytes.ts";

export interface DataKeyCacheOptions {
  /** Milliseconds after which an entry is no longer used. Required. */
  maxAgeMs: number;
  /** Messages one entry may serve; default 2^32 (the format's own limit is far higher). */
  maxMessages?: number;
  /** Plaintext bytes one encryption entry may protect; default unlimited. */
  maxBytes?: number;
  /** Entries kept at most; default 100. */
  maxEntries?: number;
  /** Clock in milliseconds (default Date.now); tests and special runtimes may pass their own. */
  now?: () => number;
}

export interface CachedEncryptionKey {
  /** A copy of the plaintext data key: the caller wipes it. */
  dataKey: Uint8Array;
  encryptedDataKeys: Uint8Array[];
  keyId: string;
}

export interface CachedDecryptionKey {
  dataKey: Uint8Array;
  keyId: string;
}

interface Entry {
  dataKey: Uint8Array;
  encryptedDataKeys: Uint8Array[];
  keyId: string;
  created: number;
  messages: number;
  bytes: number;
}

function checkLimit(value: number | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || Number.isNaN(value) || value <= 0) throw new RangeError(`cache ${name} must be a positive number`);
  return value;
}

export class DataKeyCache {
  readonly maxAgeMs: number;
  readonly maxMessages: number;
  readonly maxBytes: number;
  readonly maxEntries: number;
  readonly #now: () => number;
  readonly #entries = new Map<string, Entry>();

  constructor(options: DataKeyCacheOptions) {
    if (options === null || typeof options !== "object" || options.maxAgeMs === undefined) {
      throw new RangeError("a data-key cache needs maxAgeMs");
    }
    this.maxAgeMs = checkLimit(options.maxAgeMs, "maxAgeMs", 0);
    this.maxMessages = checkLimit(options.maxMessages, "maxMessages", 2 ** 32);
    this.maxBytes = checkLimit(options.maxBytes, "maxBytes", Number.POSITIVE_INFINITY);
    this.maxEntries = checkLimit(options.maxEntries, "maxEntries", 100);
    this.#now = options.now ?? Date.now;
  }

  /** How many entries are held (expired ones are dropped first). */
  get size(): number {
    this.#sweep();
    return this.#entries.size;
  }

  static encryptionId(keyIds: readonly string[], context: EncryptionContext): string {
    return `e\u0000${JSON.stringify(keyIds)}\u0000${toHex(encodeEncryptionContext(context))}`;
  }

  static decryptionId(encryptedDataKey: Uint8Array, context: EncryptionContext): string {
    return `d\u0000${toHex(encryptedDataKey)}\u0000${toHex(encodeEncryptionContext(context))}`;
  }

  /**
   * A data key for a message of `length` plaintext bytes (undefined: unknown), charged to the
   * entry, or undefined when there is none usable.
   */
  takeForEncryption(id: string, length: number | undefined): CachedEncryptionKey | undefined {
    if (length === undefined && this.maxBytes !== Number.POSITIVE_INFINITY) return undefined;
    const entry = this.#usable(id);
    if (entry === undefined) return undefined;
    const bytes = entry.bytes + (length ?? 0);
    // Too big for what is left: this message gets a fresh key; smaller ones may still use the entry.
    if (bytes > this.maxBytes) return undefined;
    entry.messages += 1;
    entry.bytes = bytes;
    const taken = { dataKey: entry.dataKey.slice(), encryptedDataKeys: entry.encryptedDataKeys, keyId: entry.keyId };
    if (entry.messages >= this.maxMessages || entry.bytes >= this.maxBytes) this.#evict(id);
    return taken;
  }

  /**
   * Stores a fresh data key that has just been used for one message of `length` bytes. Returns
   * false (storing nothing) when the message alone reaches a limit or its length is unknown while
   * maxBytes is set.
   */
  putForEncryption(id: string, key: CachedEncryptionKey, length: number | undefined): boolean {
    if (length === undefined && this.maxBytes !== Number.POSITIVE_INFINITY) return false;
    if (this.maxMessages <= 1 || (length ?? 0) >= this.maxBytes) return false;
    this.#store(id, { ...key, dataKey: key.dataKey.slice(), created: this.#now(), messages: 1, bytes: length ?? 0 });
    return true;
  }

  takeForDecryption(id: string): CachedDecryptionKey | undefined {
    const entry = this.#usable(id);
    if (entry === undefined) return undefined;
    entry.messages += 1;
    const taken = { dataKey: entry.dataKey.slice(), keyId: entry.keyId };
    if (entry.messages >= this.maxMessages) this.#evict(id);
    return taken;
  }

  putForDecryption(id: string, key: CachedDecryptionKey): boolean {
    if (this.maxMessages <= 1) return false;
    this.#store(id, { dataKey: key.dataKey.slice(), encryptedDataKeys: [], keyId: key.keyId, created: this.#now(), messages: 1, bytes: 0 });
    return true;
  }

  /** Zeroes and drops every entry. */
  clear(): void {
    for (const id of [...this.#entries.keys()]) this.#evict(id);
  }

  #usable(id: string): Entry | undefined {
    const entry = this.#entries.get(id);
    if (entry === undefined) return undefined;
    if (this.#now() - entry.created >= this.maxAgeMs || entry.messages >= this.maxMessages) {
      this.#evict(id);
      return undefined;
    }
    return entry;
  }

  #store(id: string, entry: Entry): void {
    this.#evict(id);
    this.#sweep();
    while (this.#entries.size >= this.maxEntries) {
      const oldest = this.#entries.keys().next().value as string;
      this.#evict(oldest);
    }
    this.#entries.set(id, entry);
  }

  #sweep(): void {
    const now = this.#now();
    for (const [id, entry] of this.#entries) if (now - entry.created >= this.maxAgeMs) this.#evict(id);
  }

  #evict(id: string): void {
    const entry = this.#entries.get(id);
    if (entry === undefined) return;
    entry.dataKey.fill(0);
    this.#entries.delete(id);
  }
}
