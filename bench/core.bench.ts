/**
 * `npm run bench:core`: throughput of the WebAssembly crypto core against node:crypto (native
 * OpenSSL), WebCrypto (crypto.subtle, also OpenSSL in Node) and the pure-JS noble libraries, in
 * one run, plus the fixed cost of an empty call into the module.
 *
 * Method: every (case, implementation) pair is warmed up, then measured for BENCH_MS
 * milliseconds (default 200) in each of BENCH_ROUNDS rounds (default 5). Rounds interleave all
 * pairs, and the implementation order rotates per round, so drift (thermal, GC, a noisy
 * neighbour) spreads over all of them instead of biasing one. We report the median ops/s over
 * rounds with its min–max spread, MB/s of input, and the ratio of medians to node:crypto.
 * Operations run one at a time: asynchronous ones (WebCrypto) are awaited before the next
 * starts, which is how a request handler uses them.
 *
 * Inputs are random and prepared before timing. HMAC keys are 32 bytes; WebCrypto keys are
 * imported once per case, outside the timing (importing a raw key does no hashing). HKDF rows are
 * sized by IKM, with a 32-byte salt, 16-byte info and 32 bytes of output. The AES-256-GCM rows
 * (encrypt then decrypt) come from ./aes-gcm.bench-part.ts; SHA-224, SHA-384, SHA-512, HMAC over
 * them and HKDF-SHA512 from ./sha512-family.bench-part.ts. BENCH_FILTER (a regular expression on
 * the operation name, e.g. `SHA-?512|384`) runs a subset.
 */
import { createHash, createHmac, hkdfSync, randomBytes } from "node:crypto";
import { hkdf as nobleHkdf } from "@noble/hashes/hkdf.js";
import { hmac as nobleHmac } from "@noble/hashes/hmac.js";
import { sha256 as nobleSha256 } from "@noble/hashes/sha2.js";
import { hkdfSha256, hmacSha256, sha256 } from "../src/crypto/hash.ts";
import { core } from "../src/crypto/wasm.ts";
import { aesGcmCases } from "./aes-gcm.bench-part.ts";
import { sha512FamilyCases } from "./sha512-family.bench-part.ts";
import type { BenchCase } from "./bench-case.ts";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const BUDGET_MS = Number(process.env.BENCH_MS ?? 200);
const WARMUP_MS = 50;
const REFERENCE = "node:crypto";
const FILTER = new RegExp(process.env.BENCH_FILTER ?? "");

const KiB = 1024;
const MiB = 1024 * KiB;

function hex(bytes: ArrayBuffer | Uint8Array): string {
  return Buffer.from(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)).toString("hex");
}

/** Hash-family cases; each checks once, before any timing, that all implementations agree. */
async function hashCases(): Promise<BenchCase[]> {
  const cases: BenchCase[] = [];
  for (const size of [32, KiB, MiB]) {
    const data = new Uint8Array(randomBytes(size));
    const outputs = [
      hex(sha256(data)),
      createHash("sha256").update(data).digest("hex"),
      hex(await crypto.subtle.digest("SHA-256", data)),
      hex(nobleSha256(data)),
    ];
    agree("SHA-256", size, outputs);
    cases.push({
      name: "SHA-256",
      size,
      impls: {
        "wasm core": () => void sha256(data),
        "node:crypto": () => void createHash("sha256").update(data).digest(),
        WebCrypto: async () => void (await crypto.subtle.digest("SHA-256", data)),
        noble: () => void nobleSha256(data),
      },
    });
  }
  for (const size of [32, KiB, MiB]) {
    const key = new Uint8Array(randomBytes(32));
    const data = new Uint8Array(randomBytes(size));
    const webKey = await crypto.subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    agree("HMAC-SHA256", size, [
      hex(hmacSha256(key, data)),
      createHmac("sha256", key).update(data).digest("hex"),
      hex(await crypto.subtle.sign("HMAC", webKey, data)),
      hex(nobleHmac(nobleSha256, key, data)),
    ]);
    cases.push({
      name: "HMAC-SHA256",
      size,
      impls: {
        "wasm core": () => void hmacSha256(key, data),
        "node:crypto": () => void createHmac("sha256", key).update(data).digest(),
        WebCrypto: async () => void (await crypto.subtle.sign("HMAC", webKey, data)),
        noble: () => void nobleHmac(nobleSha256, key, data),
      },
    });
  }
  for (const size of [32, KiB, MiB]) {
    const ikm = new Uint8Array(randomBytes(size));
    const salt = new Uint8Array(randomBytes(32));
    const info = new Uint8Array(randomBytes(16));
    const webKey = await crypto.subtle.importKey("raw", ikm, "HKDF", false, ["deriveBits"]);
    const params = { name: "HKDF", hash: "SHA-256", salt, info };
    agree("HKDF-SHA256", size, [
      hex(hkdfSha256(ikm, salt, info, 32)),
      hex(hkdfSync("sha256", ikm, salt, info, 32)),
      hex(await crypto.subtle.deriveBits(params, webKey, 256)),
      hex(nobleHkdf(nobleSha256, ikm, salt, info, 32)),
    ]);
    cases.push({
      name: "HKDF-SHA256",
      size,
      impls: {
        "wasm core": () => void hkdfSha256(ikm, salt, info, 32),
        "node:crypto": () => void hkdfSync("sha256", ikm, salt, info, 32),
        WebCrypto: async () => void (await crypto.subtle.deriveBits(params, webKey, 256)),
        noble: () => void nobleHkdf(nobleSha256, ikm, salt, info, 32),
      },
    });
  }
  return cases;
}

function agree(name: string, size: number, outputs: string[]): void {
  if (new Set(outputs).size !== 1) throw new Error(`${name} ${formatSize(size)}: implementations disagree`);
}

/**
 * Runs `op` for about `ms` milliseconds and returns operations per second. Operations run in
 * batches that double until a batch takes at least a millisecond, so reading the clock costs
 * little even for sub-microsecond operations.
 */
async function measure(op: () => void | Promise<void>, ms: number): Promise<number> {
  const isAsync = op() instanceof Promise;
  if (isAsync) await op();
  let ops = 0;
  let batch = 1;
  const start = performance.now();
  const deadline = start + ms;
  let now = start;
  while (now < deadline) {
    const batchStart = now;
    if (isAsync) {
      for (let i = 0; i < batch; i++) await op();
    } else {
      for (let i = 0; i < batch; i++) op();
    }
    ops += batch;
    now = performance.now();
    if (now - batchStart < 1) batch *= 2;
  }
  return ops / ((now - start) / 1000);
}

/** Nanoseconds per call of the core's exported no-op, i.e. the fixed JS→wasm→JS call cost. */
function emptyCallNs(): number {
  const nop = core().nop as () => number;
  const calls = 5_000_000;
  let sink = 0;
  const start = performance.now();
  for (let i = 0; i < calls; i++) sink += nop();
  const elapsed = performance.now() - start;
  if (sink !== 0) throw new Error("nop returned non-zero");
  return (elapsed * 1e6) / calls;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function formatSize(bytes: number): string {
  if (bytes >= MiB) return `${bytes / MiB} MiB`;
  if (bytes >= KiB) return `${bytes / KiB} KiB`;
  return `${bytes} B`;
}

function formatOps(ops: number): string {
  if (ops >= 1e6) return `${(ops / 1e6).toFixed(2)}M`;
  if (ops >= 1e3) return `${(ops / 1e3).toFixed(1)}k`;
  return ops.toFixed(1);
}

async function main(): Promise<void> {
  const cases = [...aesGcmCases(), ...(await hashCases()), ...(await sha512FamilyCases())].filter((c) => FILTER.test(c.name));
  const samples = new Map<string, number[]>();
  const key = (c: BenchCase, impl: string) => `${c.name}\u0000${c.size}\u0000${impl}`;
  const started = performance.now();

  for (const c of cases) for (const op of Object.values(c.impls)) await measure(op, WARMUP_MS);

  const nopSamples: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    nopSamples.push(emptyCallNs());
    for (const c of cases) {
      const names = Object.keys(c.impls);
      for (let i = 0; i < names.length; i++) {
        const name = names[(i + round) % names.length]!;
        const opsPerSecond = await measure(c.impls[name]!, BUDGET_MS);
        const list = samples.get(key(c, name)) ?? [];
        list.push(opsPerSecond);
        samples.set(key(c, name), list);
      }
    }
    process.stderr.write(`round ${round + 1}/${ROUNDS} done\n`);
  }

  const rows: string[][] = [["operation", "size", "implementation", "ops/s", "min–max ops/s", "MB/s", "vs node:crypto"]];
  for (const c of cases) {
    const reference = samples.get(key(c, REFERENCE));
    const referenceMedian = reference ? median(reference) : undefined;
    for (const name of Object.keys(c.impls)) {
      const list = samples.get(key(c, name))!;
      const mid = median(list);
      rows.push([
        c.name,
        formatSize(c.size),
        name,
        formatOps(mid),
        `${formatOps(Math.min(...list))}–${formatOps(Math.max(...list))}`,
        ((mid * c.size) / 1e6).toFixed(1),
        referenceMedian ? `${(mid / referenceMedian).toFixed(2)}×` : "—",
      ]);
    }
  }
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((r) => r[col]!.length)));
  const numeric = new Set([3, 4, 5, 6]);
  const line = (r: string[]) =>
    r.map((cell, col) => (numeric.has(col) ? cell.padStart(widths[col]!) : cell.padEnd(widths[col]!))).join("  ");
  console.log(`\nNode ${process.version}, ${ROUNDS} rounds × ${BUDGET_MS} ms per pair; median (min–max over rounds)\n`);
  console.log(line(rows[0]!));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  let previous = "";
  for (const r of rows.slice(1)) {
    const group = `${r[0]} ${r[1]}`;
    if (previous && group !== previous) console.log("");
    previous = group;
    console.log(line(r));
  }
  const nop = median(nopSamples);
  console.log(
    `\nEmpty call into the wasm core (nop): ${nop.toFixed(1)} ns/call (min–max ${Math.min(...nopSamples).toFixed(1)}–${Math.max(...nopSamples).toFixed(1)})`,
  );
  console.log(`Total time: ${((performance.now() - started) / 1000).toFixed(0)} s`);
}

await main();
