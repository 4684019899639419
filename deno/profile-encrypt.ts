/**
 * Where an Encrypt's time goes on Deno: runs the service in process (the Hono app of
 * worker/http-app.ts over deno/service.ts, as deno/main.ts serves it, without the HTTP server),
 * sends it SigV4-signed Encrypt requests by key ID at each concurrency, and prints req/s, p50 and
 * p99, the process's CPU time per call (user + system, all threads: Deno KV's SQLite work included), the KV operations per call (reads, commits, failed commits) and, with `--cpu-profile`, the
 * functions that took the most CPU (V8's sampling profiler through node:inspector). The README's
 * "Benchmarks" cites its figures; `npm run bench:service` is the benchmark, this is the magnifier.
 *
 *   node_modules/.bin/deno run --unstable-kv --config deno/deno.json --allow-all \
 *     deno/profile-encrypt.ts [--kv :memory: | --kv /tmp/kv.sqlite3] [--requests 3000] \
 *     [--concurrency 1,8] [--cpu-profile [--save-profile encrypt.cpuprofile]]
 *
 * It sits beside the Deno code rather than under bench/ because the repository's tsc has no Deno
 * types. The KV wrapper only counts and times calls; it changes nothing they do.
 */
import { SignatureV4 } from "@smithy/signature-v4";
import { Sha256 } from "../src/auth/sigv4.ts";
import { createApp } from "../worker/http-app.ts";
import { denoService } from "./service.ts";

/** `--name value` and `--flag` arguments (node:util's parseArgs would need @types/node, see below). */
function flag(name: string, fallback: string): string {
  const at = Deno.args.indexOf(`--${name}`);
  return at >= 0 && at + 1 < Deno.args.length ? Deno.args[at + 1]! : fallback;
}
const options = {
  kv: flag("kv", ":memory:"),
  requests: flag("requests", "3000"),
  concurrency: flag("concurrency", "1,8"),
  cpuProfile: Deno.args.includes("--cpu-profile"),
  /** Also writes the whole profile there, for Chrome DevTools' Performance panel or a flame graph tool. */
  saveProfile: flag("save-profile", ""),
};
const REQUESTS = Number(options.requests);

// ---- KV operations per call ---------------------------------------------------------------------
const kvCalls = new Map<string, { n: number; ms: number }>();
function note(name: string, started: number): void {
  const entry = kvCalls.get(name) ?? { n: 0, ms: 0 };
  entry.n++;
  entry.ms += performance.now() - started;
  kvCalls.set(name, entry);
}
const kv = await Deno.openKv(options.kv);
const get = kv.get.bind(kv);
const getMany = kv.getMany.bind(kv);
const list = kv.list.bind(kv);
const atomic = kv.atomic.bind(kv);
kv.get = ((...args: Parameters<typeof get>) => {
  const started = performance.now();
  return get(...args).finally(() => note("get", started));
}) as typeof kv.get;
kv.getMany = ((...args: Parameters<typeof getMany>) => {
  const started = performance.now();
  return getMany(...args).finally(() => note("getMany", started));
}) as typeof kv.getMany;
kv.list = ((...args: Parameters<typeof list>) => {
  note("list", performance.now());
  return list(...args);
}) as typeof kv.list;
kv.atomic = () => {
  const op = atomic();
  const commit = op.commit.bind(op);
  op.commit = async () => {
    const started = performance.now();
    const result = await commit();
    note(result.ok ? "commit" : "commit (check failed)", started);
    return result;
  };
  return op;
};

// ---- the service, as deno/main.ts builds it -----------------------------------------------------
const rootKey = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))));
const service = denoService(kv, { ROOT_KEY: rootKey, EDGEKMS_DEV_IDENTITIES: "true", REQUEST_QUOTAS: "off" });
kv.listenQueue((message) => service.deliver(message));
const app = createApp(() => service.runtime);

const signer = new SignatureV4({
  credentials: { accessKeyId: "test", secretAccessKey: "test" },
  region: "us-east-1",
  service: "kms",
  sha256: Sha256,
});

/** A signed request, as a function that makes a fresh Request of it (a body can be read once). */
async function signed(operation: string, params: unknown): Promise<() => Request> {
  const body = JSON.stringify(params);
  const headers = { host: "127.0.0.1", "content-type": "application/x-amz-json-1.1", "x-amz-target": `TrentService.${operation}` };
  const request = await signer.sign({ method: "POST", protocol: "http:", hostname: "127.0.0.1", path: "/", headers, body });
  return () => new Request("http://127.0.0.1/", { method: "POST", headers: request.headers, body });
}

async function call(operation: string, params: unknown): Promise<Record<string, unknown>> {
  const response = await app.fetch((await signed(operation, params))());
  const text = await response.text();
  if (response.status !== 200) throw new Error(`${operation}: HTTP ${response.status} ${text}`);
  return JSON.parse(text);
}

const keyId = ((await call("CreateKey", {})).KeyMetadata as { KeyId: string }).KeyId;
const encrypt = await signed("Encrypt", {
  KeyId: keyId,
  Plaintext: btoa("a 64-byte plaintext, the size of a data key or a short secret."),
});

/** The part of node:inspector's Session used here. */
interface InspectorSession {
  connect(): void;
  post(method: string, params: object, callback: (err: Error | null, result: never) => void): void;
}
// Imported by a computed name: Deno's type checker looks for node:inspector's types in @types/node,
// which it cannot resolve in this project's node_modules layout (`deno check` of any node: import).
const { Session } = (await import(["node", "inspector"].join(":"))) as { Session: new () => InspectorSession };
const { cpuUsage } = (await import(["node", "process"].join(":"))) as { cpuUsage: () => { user: number; system: number } };
const cpuMicros = () => {
  const { user, system } = cpuUsage();
  return user + system;
};
const session = new Session();
session.connect();
const post = <T>(method: string, params: object = {}) =>
  new Promise<T>((resolve, reject) =>
    session.post(method, params, (err: Error | null, result: T) => (err ? reject(err) : resolve(result))),
  );
if (options.cpuProfile) {
  await post("Profiler.enable");
  await post("Profiler.setSamplingInterval", { interval: 100 });
  await post("Profiler.start");
}

for (const concurrency of options.concurrency.split(",").map(Number)) {
  for (let i = 0; i < 50; i++) await (await app.fetch(encrypt())).arrayBuffer();
  kvCalls.clear();
  const latencies: number[] = [];
  let next = 0;
  const cpuBefore = cpuMicros();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < REQUESTS) {
        const t0 = performance.now();
        const response = await app.fetch(encrypt());
        await response.arrayBuffer();
        if (response.status !== 200) throw new Error(`Encrypt: HTTP ${response.status}`);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const elapsed = performance.now() - started;
  const cpuPerCall = (cpuMicros() - cpuBefore) / REQUESTS;
  latencies.sort((a, b) => a - b);
  const pick = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!.toFixed(2);
  console.log(
    `Encrypt by key ID, c=${concurrency}, KV ${options.kv}: ${((REQUESTS / elapsed) * 1000).toFixed(0)} req/s, p50 ${pick(0.5)} ms, p99 ${pick(0.99)} ms, CPU ${cpuPerCall.toFixed(0)} µs per call`,
  );
  for (const [name, { n, ms }] of kvCalls)
    console.log(`  KV ${name}: ${(n / REQUESTS).toFixed(2)} per call, ${(ms / n).toFixed(3)} ms each`);
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

if (options.cpuProfile) {
  const { profile } = await post<{ profile: { nodes: ProfileNode[]; samples: number[] } }>("Profiler.stop");
  if (options.saveProfile !== "") await Deno.writeTextFile(options.saveProfile, JSON.stringify(profile));
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parents = new Map<number, number>();
  for (const n of profile.nodes) for (const child of n.children ?? []) parents.set(child, n.id);
  const hits = new Map<number, number>();
  for (const id of profile.samples) hits.set(id, (hits.get(id) ?? 0) + 1);
  const name = (n: ProfileNode) =>
    `${n.callFrame.functionName || "(anonymous)"} ${n.callFrame.url.replace(/^file:\/\/.*?\/(src|deno|worker|node_modules)\//, "$1/")}`;
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  for (const [id, count] of hits) {
    const node = nodes.get(id)!;
    self.set(name(node), (self.get(name(node)) ?? 0) + count);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parents.get(at)) {
      const key = name(nodes.get(at)!);
      if (!seen.has(key)) inclusive.set(key, (inclusive.get(key) ?? 0) + count), seen.add(key);
    }
  }
  const total = profile.samples.length;
  const top = (m: Map<string, number>, n: number) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, v]) => `  ${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}`)
      .join("\n");
  console.log(`\nCPU profile, ${total} samples; self time:\n${top(self, 30)}\n\ninclusive time:\n${top(inclusive, 40)}`);
}

kv.close();
Deno.exit(0);
