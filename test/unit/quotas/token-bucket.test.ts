import { describe, expect, it } from "vitest";
import { BucketSet, capacityFor, TokenBucket } from "../../../src/quotas/token-bucket.ts";

/** How many of `attempts` requests spread evenly over `seconds` a bucket admits. */
function admitted(bucket: TokenBucket, attempts: number, seconds: number, start = 0): number {
  let n = 0;
  for (let i = 0; i < attempts; i++) if (bucket.take(start + (i * seconds * 1000) / attempts)) n++;
  return n;
}

describe("TokenBucket", () => {
  it("admits a full bucket at once, then refuses until tokens come back", () => {
    const bucket = new TokenBucket(5, 5, 0);
    for (let i = 0; i < 5; i++) expect(bucket.take(0)).toBe(true);
    expect(bucket.take(0)).toBe(false);
    expect(bucket.take(199)).toBe(false);
    expect(bucket.take(200)).toBe(true); // 5/s: one token every 200 ms
    expect(bucket.take(200)).toBe(false);
  });

  it("never admits more than rate x t + capacity requests in t seconds, and admits that many when asked often enough", () => {
    for (const [rate, seconds] of [
      [5, 10],
      [100, 3],
      [5500, 2],
      [0.25, 20],
    ] as const) {
      const bucket = new TokenBucket(rate, capacityFor(rate), 0);
      const n = admitted(bucket, Math.ceil(rate * seconds * 10) + 50, seconds);
      expect(n).toBeLessThanOrEqual(Math.floor(rate * seconds + capacityFor(rate)));
      expect(n).toBeGreaterThanOrEqual(Math.floor(rate * seconds));
    }
  });

  it("admits one request in four seconds at 0.25 per second", () => {
    const bucket = new TokenBucket(0.25, capacityFor(0.25), 0);
    expect(bucket.take(0)).toBe(true);
    expect(bucket.take(3999)).toBe(false);
    expect(bucket.take(4000)).toBe(true);
  });

  it("does not save up more than its capacity while idle", () => {
    const bucket = new TokenBucket(10, 10, 0);
    expect(admitted(bucket, 1000, 0.001, 3_600_000)).toBe(10);
  });

  it("treats a clock that goes backwards as no time passing", () => {
    const bucket = new TokenBucket(1, 1, 10_000);
    expect(bucket.take(10_000)).toBe(true);
    expect(bucket.take(5_000)).toBe(false);
    expect(bucket.take(10_999)).toBe(false);
    expect(bucket.take(11_000)).toBe(true);
  });

  it("refuses a rate that is not positive or a capacity below one", () => {
    expect(() => new TokenBucket(0, 1, 0)).toThrow(RangeError);
    expect(() => new TokenBucket(Number.NaN, 1, 0)).toThrow(RangeError);
    expect(() => new TokenBucket(1, 0.5, 0)).toThrow(RangeError);
  });
});

describe("BucketSet", () => {
  it("keeps one bucket per key", () => {
    const set = new BucketSet();
    expect(set.take("a", 1, 0)).toBe(true);
    expect(set.take("a", 1, 0)).toBe(false);
    expect(set.take("b", 1, 0)).toBe(true);
  });

  it("starts a fresh bucket when the configured rate of a key changes", () => {
    const set = new BucketSet();
    expect(set.take("a", 1, 0)).toBe(true);
    expect(set.take("a", 1, 0)).toBe(false);
    expect(set.take("a", 2, 0)).toBe(true);
  });

  it("holds at most maxKeys buckets, forgetting the least recently used", () => {
    const set = new BucketSet(3);
    for (const key of ["a", "b", "c"]) set.take(key, 1, 0);
    set.take("a", 1, 0); // a is now the most recent; b the least
    set.take("d", 1, 0);
    expect(set.size).toBe(3);
    expect(set.take("a", 1, 0)).toBe(false); // a kept its (empty) bucket
    expect(set.take("b", 1, 0)).toBe(true); // b was forgotten and starts full
  });
});
