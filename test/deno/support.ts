/**
 * Shared by the Deno test programs (test/deno/*.test.ts): the few Deno APIs they use, plain
 * asserts (no jsr:@std imports, so Deno runs them offline), byte helpers, and the one-line result
 * reports that test/e2e/deno.test.ts parses.
 *
 * `Deno` is taken from globalThis through a small interface instead of Deno's own types so that
 * the repository's tsc (Node and workers types; tsconfig.json includes test/) typechecks these
 * programs as well as Deno's checker does (test/e2e/deno.test.ts says which run is checked).
 */
interface DenoApi {
  readonly args: string[];
  readTextFile(path: string | URL): Promise<string>;
  test(name: string, fn: () => void | Promise<void>): void;
  readonly version: { deno: string; v8: string };
}

export const Deno = (globalThis as unknown as { Deno: DenoApi }).Deno;

/** Prints one line `EDGEKMS {"report":name,...}` for the e2e test to parse (counts, sizes; never secrets). */
export function report(name: string, fields: Record<string, unknown>): void {
  console.log(`EDGEKMS ${JSON.stringify({ report: name, ...fields })}`);
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`assertion failed: ${message}`);
}

/** Deep equality of JSON-like values; object key order does not matter. */
export function assertEquals<T>(actual: T, expected: T, message: string): void {
  const sorted = (_: string, v: unknown) =>
    v !== null && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([x], [y]) => (x < y ? -1 : 1)))
      : v;
  const [a, e] = [JSON.stringify(actual, sorted), JSON.stringify(expected, sorted)];
  if (a !== e) throw new Error(`assertion failed: ${message}: expected ${e}, got ${a}`);
}

/** Runs `action` (sync or async) and returns what it threw, failing if it did not throw. */
export async function thrown(action: () => unknown, message: string): Promise<unknown> {
  try {
    await action();
  } catch (err) {
    return err;
  }
  throw new Error(`assertion failed: ${message}: expected an error, none was thrown`);
}

export const hex = (bytes: Uint8Array | ArrayBuffer): string =>
  Array.from(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");

export function fromHex(text: string): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** An ArrayBuffer-backed copy, the only kind of view WebCrypto's BufferSource type admits in Deno's libs. */
export const owned = (bytes: Uint8Array): Uint8Array<ArrayBuffer> => bytes.slice();

/** `length` random bytes (getRandomValues fills at most 64 KiB per call). */
export function random(length: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(length);
  for (let at = 0; at < length; at += 65536) crypto.getRandomValues(out.subarray(at, Math.min(length, at + 65536)));
  return out;
}

/** A random integer from 0 to `max` - 1. */
export const randomInt = (max: number): number => crypto.getRandomValues(new Uint32Array(1))[0]! % max;

export function concat(...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A copy of `bytes` with bit `bit` flipped. */
export function flip(bytes: Uint8Array, bit: number): Uint8Array<ArrayBuffer> {
  const copy = bytes.slice();
  copy[bit >> 3]! ^= 1 << (bit & 7);
  return copy;
}
