/**
 * `npm run fuzz [-- --requests N] [--seed S] [--url URL] [--timeout MS] [--json FILE]
 * [--check-every N] [--full-every N] [--repair-every N]`: runs the
 * fuzzer (test/fuzz/fuzzer.ts) against a fresh local EdgeKMS — started like the e2e tests start it
 * (test/e2e/local-worker.ts), with its state in a temporary folder — or against `--url`. Prints the
 * seed first (repeat a run with `--seed`), progress while it runs, and the figures at the end.
 * Exits 1 when any request got a 5xx, hung, or a refused call changed the state. SIGINT or SIGTERM
 * ends a long run early, still with its final state checks and figures.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startLocalWorker } from "../test/e2e/local-worker.ts";
import { formatReport, runFuzz } from "../test/fuzz/fuzzer.ts";
import { randomSeed } from "../test/fuzz/prng.ts";

const { values } = parseArgs({
  options: {
    requests: { type: "string", default: "2000" },
    seed: { type: "string" },
    url: { type: "string" },
    timeout: { type: "string", default: "15000" },
    json: { type: "string" },
    "check-every": { type: "string", default: "200" },
    "full-every": { type: "string", default: "5000" },
    "repair-every": { type: "string", default: "2000" },
  },
});
const requests = Number(values.requests);
const seed = values.seed === undefined ? randomSeed() : Number(values.seed);
if (!Number.isInteger(requests) || requests < 1 || !Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
  console.error("usage: npm run fuzz -- [--requests N] [--seed 0..4294967295] [--url URL] [--timeout MS] [--json FILE]");
  process.exit(2);
}
console.log(`fuzz: seed ${seed} (repeat with --seed ${seed}), ${requests} requests`);

const dir = values.url === undefined ? mkdtempSync(join(tmpdir(), "edgekms-fuzz-")) : undefined;
const worker = dir === undefined ? undefined : await startLocalWorker({ persistDir: dir });
const url = values.url ?? worker!.url;
let failed = true;
// SIGINT/SIGTERM end the run after the request in flight, with the final checks and the figures.
let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => (stopping = true));
try {
  const report = await runFuzz({
    url,
    seed,
    requests,
    timeoutMs: Number(values.timeout),
    checkEvery: Number(values["check-every"]),
    fullEvery: Number(values["full-every"]),
    repairEvery: Number(values["repair-every"]),
    log: (line) => console.log(line),
    stop: () => stopping,
  });
  console.log(formatReport(report));
  if (values.json !== undefined) writeFileSync(values.json, JSON.stringify(report, null, 2));
  failed =
    report.serverErrors.length +
      report.hangs.length +
      report.networkErrors.length +
      report.stateChanges.length +
      report.fuzzerErrors.length >
    0;
} finally {
  await worker?.stop();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
