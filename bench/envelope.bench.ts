/**
 * `npm run bench:envelope`: throughput of envelope encryption in the AWS Encryption SDK message
 * format, EdgeKMS's client (src/envelope, through the WebAssembly core) against the official AWS
 * Encryption SDK for JavaScript (@aws-crypto/client-node, Node's OpenSSL), in one run, for 1 MiB
 * and 64 MiB messages, encrypting and decrypting whole messages with the committing suite
 * (ALG_AES256_GCM_HKDF_SHA512_COMMIT_KEY, 4 KiB frames: both sides' defaults) and with its
 * ECDSA P-384 variant. EdgeKMS's earlier format (edgekms-v1, 64 KiB frames) is measured beside
 * them for reference.
 *
 * Both sides get their data keys from the SAME local EdgeKMS (wrangler dev, started here with a
 * fresh state folder and stopped at the end) over HTTP through @aws-sdk/client-kms: a
 * GenerateDataKey per encryption and a Decrypt per decryption, as an application would see it.
 *
 * Method: every (case, implementation) pair is warmed up, then measured for BENCH_MS milliseconds
 * (default 200; at least one operation, so a 64 MiB row is one message per round) in each of
 * BENCH_ROUNDS rounds (default 5). Rounds interleave all pairs and rotate the implementation order
 * per round, so drift spreads over all of them. We report the median MB/s of plaintext over
 * rounds with its min–max spread, and the ratio of medians against the official SDK. Inputs are
 * random and prepared before timing; each case first checks that each side opens the other's
 * message.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateKeyCommand, KMS, KMSClient } from "@aws-sdk/client-kms";
import { AlgorithmSuiteIdentifier, buildClient, CommitmentPolicy, KmsKeyringNode } from "@aws-crypto/client-node";
import { awsSdkTransport } from "../src/envelope/aws-sdk.ts";
import { EnvelopeClient } from "../src/envelope/client.ts";
import { startLocalWorker } from "../test/e2e/local-worker.ts";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const BUDGET_MS = Number(process.env.BENCH_MS ?? 200);
const WARMUP_MS = 50;
const MiB = 1024 * 1024;
const CONTEXT = { bench: "envelope" };
const REFERENCE = "official SDK";

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

function same(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));
}

async function cases(endpoint: string): Promise<Case[]> {
  const credentials = { accessKeyId: "test", secretAccessKey: "test" };
  const region = "us-east-1";
  const kmsClient = new KMSClient({ endpoint, region, credentials, maxAttempts: 1 });
  const keyId = (await kmsClient.send(new CreateKeyCommand({ Description: "bench:envelope" }))).KeyMetadata!.Arn!;
  const keyring = new KmsKeyringNode({
    generatorKeyId: keyId,
    clientProvider: () => new KMS({ endpoint, region, credentials, maxAttempts: 1 }),
  });
  const sdk = buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT);
  const transport = awsSdkTransport(kmsClient);
  const suites = [
    ["committing", "ALG_AES256_GCM_HKDF_SHA512_COMMIT_KEY", AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY],
    [
      "committing + ECDSA P-384",
      "ALG_AES256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384",
      AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY_ECDSA_P384,
    ],
  ] as const;
  const legacy = new EnvelopeClient({ kms: transport, keyId, format: "edgekms-v1" });
  const out: Case[] = [];
  for (const size of [MiB, 64 * MiB]) {
    const data = random(size);
    for (const [label, name, suiteId] of suites) {
      const edge = new EnvelopeClient({ kms: transport, keyId, algorithmSuite: name });
      const edgeMessage = await edge.encrypt(data, { encryptionContext: CONTEXT });
      const sdkMessage = new Uint8Array((await sdk.encrypt(keyring, data, { suiteId, encryptionContext: CONTEXT })).result);
      // Cross-check before timing: each side opens the other's message.
      if (!same((await sdk.decrypt(keyring, edgeMessage)).plaintext, data) || !same((await edge.decrypt(sdkMessage)).plaintext, data)) {
        throw new Error(`${label}, ${size} bytes: EdgeKMS and the official SDK disagree`);
      }
      const impls: Record<string, Record<string, () => Promise<void>>> = {
        encrypt: {
          "EdgeKMS (wasm core)": async () => void (await edge.encrypt(data, { encryptionContext: CONTEXT })),
          [REFERENCE]: async () => void (await sdk.encrypt(keyring, data, { suiteId, encryptionContext: CONTEXT })),
        },
        decrypt: {
          "EdgeKMS (wasm core)": async () => void (await edge.decrypt(edgeMessage, { encryptionContext: CONTEXT })),
          [REFERENCE]: async () => void (await sdk.decrypt(keyring, sdkMessage)),
        },
      };
      if (suiteId === AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY) {
        const legacyMessage = await legacy.encrypt(data, { encryptionContext: CONTEXT });
        impls.encrypt!["edgekms-v1 (wasm core)"] = async () => void (await legacy.encrypt(data, { encryptionContext: CONTEXT }));
        impls.decrypt!["edgekms-v1 (wasm core)"] = async () => void (await legacy.decrypt(legacyMessage, { encryptionContext: CONTEXT }));
      }
      out.push({ name: `encrypt, ${label}`, size, impls: impls.encrypt! });
      out.push({ name: `decrypt, ${label}`, size, impls: impls.decrypt! });
    }
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
  const dir = mkdtempSync(join(tmpdir(), "edgekms-bench-"));
  const worker = await startLocalWorker({ persistDir: dir });
  try {
    const all = await cases(worker.url);
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

    const rows: string[][] = [["operation", "message", "implementation", "MB/s", "min–max MB/s", "vs official SDK"]];
    for (const c of all) {
      const reference = median(samples.get(key(c, REFERENCE))!);
      for (const name of Object.keys(c.impls)) {
        const list = samples.get(key(c, name))!;
        rows.push([
          c.name,
          `${c.size / MiB} MiB`,
          name,
          median(list).toFixed(1),
          `${Math.min(...list).toFixed(1)}–${Math.max(...list).toFixed(1)}`,
          `${(median(list) / reference).toFixed(2)}×`,
        ]);
      }
    }
    const widths = rows[0]!.map((_, col) => Math.max(...rows.map((r) => r[col]!.length)));
    const numeric = new Set([3, 4, 5]);
    const line = (r: string[]) =>
      r.map((cell, col) => (numeric.has(col) ? cell.padStart(widths[col]!) : cell.padEnd(widths[col]!))).join("  ");
    console.log(
      `\nAWS Encryption SDK message format v2, 4 KiB frames; Node ${process.version}, ${ROUNDS} rounds × ${BUDGET_MS} ms per pair`,
    );
    console.log(
      "Data keys from the same local EdgeKMS over HTTP for every implementation; MB/s of plaintext, median (min–max over rounds)\n",
    );
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
  } finally {
    await worker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
