/**
 * Token buckets: the approximate rate limiter EdgeKMS uses where the platform offers no exact one.
 *
 * A bucket holds up to `capacity` tokens and gains `ratePerSecond` tokens a second; a request
 * takes one token or is refused. With capacity equal to one second's worth of tokens (at least
 * one), a bucket admits at most rate × t + capacity requests in any window of t seconds — the
 * "requests in each one-second interval" of AWS KMS's quotas, with a burst of one second.
 *
 * `BucketSet` keeps one bucket per key (account and quota, or access key) in memory, at most
 * `maxKeys` of them: when full it forgets the least recently used one, which then starts full
 * again. Keys come from configuration (accounts, access keys), so the bound is a safety net.
 *
 * Exactness: a bucket lives in one isolate's memory. A deployment runs many isolates (one or more
 * per Cloudflare location), each with its own buckets, so the deployment-wide limit is the
 * configured rate times the number of isolates serving an account; a client that keeps one
 * connection usually stays on one isolate. Runtime-neutral; time is passed in (milliseconds).
 */

export class TokenBucket {
  #tokens: number;
  #updatedAt: number;

  constructor(
    readonly ratePerSecond: number,
    readonly capacity: number,
    now: number,
  ) {
    if (!(ratePerSecond > 0) || !(capacity >= 1)) throw new RangeError("a token bucket needs a positive rate and a capacity of at least 1");
    this.#tokens = capacity;
    this.#updatedAt = now;
  }

  /** Takes one token if there is one; false when the bucket is empty. */
  take(now: number): boolean {
    const elapsed = Math.max(0, now - this.#updatedAt) / 1000;
    this.#tokens = Math.min(this.capacity, this.#tokens + elapsed * this.ratePerSecond);
    this.#updatedAt = Math.max(now, this.#updatedAt);
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}

/** One second's worth of tokens, and at least one (a 0.25/s quota admits one request in 4 s). */
export function capacityFor(ratePerSecond: number): number {
  return Math.max(1, ratePerSecond);
}

export class BucketSet {
  readonly #buckets = new Map<string, TokenBucket>();

  constructor(readonly maxKeys = 10_000) {}

  /** Takes a token from the bucket of `key` (made at `ratePerSecond` if new); false when refused. */
  take(key: string, ratePerSecond: number, now: number, capacity = capacityFor(ratePerSecond)): boolean {
    let bucket = this.#buckets.get(key);
    if (bucket === undefined || bucket.ratePerSecond !== ratePerSecond || bucket.capacity !== capacity) {
      bucket = new TokenBucket(ratePerSecond, capacity, now);
    } else {
      this.#buckets.delete(key); // re-inserted below: Map order is recency order
    }
    this.#buckets.set(key, bucket);
    if (this.#buckets.size > this.maxKeys) this.#buckets.delete(this.#buckets.keys().next().value!);
    return bucket.take(now);
  }

  get size(): number {
    return this.#buckets.size;
  }
}
