/**
 * `npm run bench:envelope`: throughput of the envelope message format (src/envelope) with the
 * WebAssembly core against the same format done with WebCrypto (crypto.subtle, native OpenSSL in
 * Node), in one run, for 1 MiB and 64 MiB messages, encrypting and decrypting whole messages with
 * the default 64 KiB frames.
 *
 * What it measures: the symmetric format only (per-message HKDF, one AES-256-GCM header tag,
 * framing, AES-256-GCM per frame, copies). The data key comes from an IN-PROCESS KMS STAND-IN
 * (test/unit/envelope/in-process-kms.ts: a random key sealed locally), not from EdgeKMS: a real
 * GenerateDataKey/Decrypt costs a network or RPC round trip that this bench deliberately leaves
 * out, and it is the same for both ciphers.
 *
 * Method (as bench/core.bench.ts): every (case, cipher) pair is warmed up, then measured for
 * BENCH_MS milliseconds (default 200; at least one operation, so a 64 MiB row is one message per
 * round) in each of BENCH_ROUNDS rounds (default 5). Rounds interleave all pairs and rotate the
 * cipher order per round. We report the median MB/s over rounds with its min–max spread, and the
 * ratio of the medians, WASM core / WebCrypto. Inputs are random and prepared before timing; each
 * case first checks that each cipher opens the other's messages.
 */
import { randomBytes } from "node:crypto";
import { webCryptoCipher, wasmCipher, type CipherSuite } from "../src/envelope/cipher.ts";
import { EnvelopeClient } from "../src/envelope/client.ts";
import { inProcessKms } from "../test/unit/envelope/in-process-kms.ts";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const BUDGET_MS = Number(process.env.BENCH_MS ?? 200);
const WARMUP_MS = 50;
const MiB = 1024 * 1024;
const CONTEXT = { bench: "envelope" };

interface Case {
  name: string;
  size: number;
  impls: Record<string, () => Promise<void>>;
}

function random(size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let at = 0; at < size; at += 65536) out.set(randomBytes(Math.min(65536, size - at)), at);
  return out;
}

async function cases(): Promise<Case[]> {
  // The KMS stand-in (see the module comment): data keys without EdgeKMS, the same for both ciphers.
  const kms = inProcessKms();
  const keyId = kms.createKey();
  const ciphers: Record<string, CipherSuite> = { "wasm core": wasmCipher, WebCrypto: webCryptoCipher };
  const clients = Object.fromEntries(Object.entries(ciphers).map(([name, cipher]) => [name, new EnvelopeClient({ kms, keyId, cipher })]));
  const out: Case[] = [];
  for (const size of [MiB, 64 * MiB]) {
    const data = random(size);
    const messages: Record<string, Uint8Array> = {};
    for (const [name, client] of Object.entries(clients)) messages[name] = await client.encrypt(data, { encryptionContext: CONTEXT });
    // Cross-check before timing: each cipher opens the other's message.
    const wasmOpensWeb = (await clients["wasm core"]!.decrypt(messages.WebCrypto!)).plaintext;
    const webOpensWasm = (await clients.WebCrypto!.decrypt(messages["wasm core"]!)).plaintext;
    if (!Buffer.from(wasmOpensWeb).equals(Buffer.from(data)) || !Buffer.from(webOpensWasm).equals(Buffer.from(data))) {
      throw new Error(`${size} bytes: the ciphers disagree`);
    }
    out.push({
      name: "encrypt",
      size,
      impls: Object.fromEntries(Object.entries(clients).map(([name, c]) => [name, async () => void (await c.encrypt(data, { encryptionContext: CONTEXT }))])),
    });
    out.push({
      name: "decrypt",
      size,
      impls: Object.fromEntries(
        Object.entries(clients).map(([name, c]) => [name, async () => void (await c.decrypt(messages[name]!, { encryptionContext: CONTEXT }))]),
      ),
    });
  }
  return out;
}

/** Operations per second of `op`, run back to back for about `ms` (at least once). */
async function measure(op: () => Promise<void>, ms: number): Promise<number> {
  let ops = 0;
  const start = performance.now();
  let now = start;
  do {
    await op();
    ops++;
    now = performance.now();
  } while (now - start < ms);
  return ops / ((now - start) / 1000);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function main(): Promise<void> {
  const started = performance.now();
  const all = await cases();
  const samples = new Map<string, number[]>();
  const key = (c: Case, impl: string) => `${c.name}\u0000${c.size}\u0000${impl}`;
  for (const c of all) for (const op of Object.values(c.impls)) await measure(op, WARMUP_MS);
  for (let round = 0; round < ROUNDS; round++) {
    for (const c of all) {
      const names = Object.keys(c.impls);
      for (let i = 0; i < names.length; i++) {
        const name = names[(i + round) % names.length]!;
        const mbPerSecond = ((await measure(c.impls[name]!, BUDGET_MS)) * c.size) / 1e6;
        samples.set(key(c, name), [...(samples.get(key(c, name)) ?? []), mbPerSecond]);
      }
    }
    process.stderr.write(`round ${round + 1}/${ROUNDS} done\n`);
  }

  const rows: string[][] = [["operation", "message", "cipher", "MB/s", "min–max MB/s", "wasm / WebCrypto"]];
  for (const c of all) {
    const wasm = median(samples.get(key(c, "wasm core"))!);
    const web = median(samples.get(key(c, "WebCrypto"))!);
    for (const name of Object.keys(c.impls)) {
      const list = samples.get(key(c, name))!;
      rows.push([
        c.name,
        `${c.size / MiB} MiB`,
        name,
        median(list).toFixed(1),
        `${Math.min(...list).toFixed(1)}–${Math.max(...list).toFixed(1)}`,
        name === "wasm core" ? `${(wasm / web).toFixed(3)}×` : "",
      ]);
    }
  }
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((r) => r[col]!.length)));
  const numeric = new Set([3, 4, 5]);
  const line = (r: string[]) => r.map((cell, col) => (numeric.has(col) ? cell.padStart(widths[col]!) : cell.padEnd(widths[col]!))).join("  ");
  console.log(`\nEnvelope format v1, 64 KiB frames, AES-256-GCM; Node ${process.version}, ${ROUNDS} rounds × ${BUDGET_MS} ms per pair`);
  console.log("Data keys from an in-process KMS stand-in (not EdgeKMS): this measures the symmetric format only.");
  console.log("MB/s of plaintext; median (min–max over rounds)\n");
  console.log(line(rows[0]!));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  let previous = "";
  for (const r of rows.slice(1)) {
    const group = `${r[0]} ${r[1]}`;
    if (previous && group !== previous) console.log("");
    previous = group;
    console.log(line(r));
  }
  console.log(`\nTotal time: ${((performance.now() - started) / 1000).toFixed(0)} s`);
}

await main();
