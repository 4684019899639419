/**
 * The runtime-neutral code in Deno (issues 2 and 7: "usable from Node, workerd and Deno"): runs
 * the Deno test programs in test/deno/ with the pinned Deno from node_modules (the `deno` npm
 * package) and asserts their exit status, Deno's summary line and the counts they report.
 *
 * - test/deno/crypto.test.ts: the WebAssembly core through src/crypto/ (Wycheproof AES-GCM,
 *   differential checks against Deno's WebCrypto, the ciphertext blob);
 * - test/deno/envelope.test.ts: the envelope client (src/envelope/) over @aws-sdk/client-kms
 *   against this file's real local worker.
 *
 * Deno runs offline: an empty DENO_DIR per run with --cached-only (no remote module may be
 * fetched), npm packages only from the repository's node_modules (nodeModulesDir "manual"), and an
 * unreachable npm registry as a backstop. Permissions are the least each program needs.
 *
 * Type checking: `deno test` typechecks both programs, and src/crypto/ and src/envelope/ with
 * them, with Deno's own checker (its newer TypeScript libs are stricter about WebCrypto's
 * BufferSource than the repository's tsc).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { useLocalWorker } from "./support.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
const vectors = fileURLToPath(new URL("../vectors/wycheproof/", import.meta.url));
const denoDir = mkdtempSync(join(tmpdir(), "edgekms-deno-"));
afterAll(() => rmSync(denoDir, { recursive: true, force: true }));

const worker = useLocalWorker();

interface DenoRun {
  status: number | null;
  output: string;
  /** The `EDGEKMS {...}` lines, by report name. */
  reports: Record<string, Record<string, unknown>>;
  summary: { passed: number; failed: number } | undefined;
}

/** Runs `deno test` (which typechecks) on one program of test/deno/ with the given permissions and program arguments. */
function denoTest(program: string, permissions: string[], args: string[] = []): Promise<DenoRun> {
  const argv = ["test", "--cached-only", "--config", "test/deno/deno.json", ...permissions, program, "--", ...args];
  const env = {
    ...process.env,
    DENO_DIR: denoDir,
    DENO_NO_UPDATE_CHECK: "1",
    DENO_NO_PROMPT: "1",
    NO_COLOR: "1",
    NPM_CONFIG_REGISTRY: "http://127.0.0.1:9/",
  };
  return new Promise((resolve, reject) => {
    const child = spawn(join(root, "node_modules/.bin/deno"), argv, { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    child.once("error", reject);
    child.once("close", (status) => {
      const reports: DenoRun["reports"] = {};
      for (const line of output.split("\n")) {
        if (!line.startsWith("EDGEKMS ")) continue;
        const report = JSON.parse(line.slice("EDGEKMS ".length)) as { report: string };
        reports[report.report] = report;
      }
      const m = /^(?:ok|FAILED) \| (\d+) passed .*?\| (\d+) failed/m.exec(output);
      resolve({ status, output, reports, summary: m ? { passed: Number(m[1]), failed: Number(m[2]) } : undefined });
    });
  });
}

describe("the runtime-neutral code in Deno", () => {
  it("the crypto core passes the Wycheproof AES-GCM and HMAC-SHA224/384/512 vectors and agrees with Deno's WebCrypto", async () => {
    const run = await denoTest("test/deno/crypto.test.ts", [`--allow-read=${vectors}`]);
    expect(run.status, run.output).toBe(0);
    expect(run.summary).toEqual({ passed: 9, failed: 0 });
    expect(run.reports["wycheproof-aes-gcm"]).toMatchObject({ valid: 155, invalid: 58, skipped: 103, deno: "2.9.6" });
    expect(run.reports["aes-gcm-webcrypto"]).toMatchObject({ cases: 377 });
    expect(run.reports["aes-gcm-stream"]).toMatchObject({ messages: 4 });
    expect(run.reports["sha256-webcrypto"]).toMatchObject({ lengths: 207 });
    expect(run.reports["hmac-webcrypto"]).toMatchObject({ keys: 103 });
    expect(run.reports["hkdf-webcrypto"]).toMatchObject({ cases: 44 });
    expect(run.reports["wycheproof-hmac-sha2"]).toMatchObject({ HMACSHA224: 172, HMACSHA384: 174, HMACSHA512: 174 });
    expect(run.reports["sha512-family-webcrypto"]).toMatchObject({ lengths: 305, keys: 8, derivations: 28 });
    // 12 round trips; a 165-byte blob (75-byte ARN, 40-byte plaintext): 1320 bit flips + 165
    // truncations + 2 other contexts + 1 other backing key refused.
    expect(run.reports["ciphertext-blob"]).toMatchObject({ roundTrips: 12, refused: 1488 });
  }, 60_000);

  it("the envelope client round-trips and detects tampering against the local worker through @aws-sdk/client-kms", async () => {
    const port = new URL(worker.url).port;
    // --allow-env: the SDK reads its AWS_* settings; --allow-sys=osRelease: its User-Agent.
    const permissions = [`--allow-net=127.0.0.1:${port}`, "--allow-env", "--allow-sys=osRelease"];
    const run = await denoTest("test/deno/envelope.test.ts", permissions, [worker.url]);
    expect(run.status, run.output).toBe(0);
    expect(run.summary).toEqual({ passed: 7, failed: 0 });
    expect(run.reports["envelope-round-trips"]).toMatchObject({
      roundTrips: 28,
      sizes: [0, 1, 4095, 4096, 4097, 12288, 3 * 1024 * 1024 + 5],
    });
    expect(run.reports["envelope-tamper"]).toMatchObject({ cases: 11 });
    expect(run.reports["envelope-kms-tamper"]).toMatchObject({ kmsRefusals: 2 });
    expect(run.reports["esdk-round-trips"]).toMatchObject({ roundTrips: 28 });
    expect(run.reports["esdk-tamper"]).toMatchObject({ reorder: 8, duplicate: 8, context: 6, streams: 6 });
  }, 120_000);
});
