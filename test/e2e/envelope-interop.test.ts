/**
 * Interoperability with the official AWS Encryption SDK for JavaScript (@aws-crypto/client-node
 * 5.0.2, KmsKeyringNode) against a real local EdgeKMS, in both directions, for every suite each
 * side can write: the checks run in test/e2e/fixtures/envelope-interop.ts (through
 * scripts/run-ts.mjs, which loads the WebAssembly core), and this test asserts their counts.
 */
import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { useLocalWorker } from "./support.ts";

const worker = useLocalWorker();

function runFixture(): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("node", ["scripts/run-ts.mjs", "test/e2e/fixtures/envelope-interop.ts", worker.url], {
      cwd: new URL("../..", import.meta.url),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.once("error", reject);
    child.once("close", (status) => resolve({ status, stdout, stderr }));
  });
}

describe("interoperability with the official AWS Encryption SDK", () => {
  it("each side opens what the other writes, for every suite, whole and streamed", async () => {
    const run = await runFixture();
    const line = run.stdout.trim().split("\n").at(-1) ?? "";
    const result = JSON.parse(line || "{}") as { failure?: string; counts?: Record<string, unknown> };
    expect(result.failure, run.stderr).toBeUndefined();
    expect(run.status).toBe(0);
    expect(result.counts).toEqual({
      // 2 suites × (5 small sizes × 2 contexts + 2 large sizes × 1 context) × (whole + streamed)
      edgekmsToSdk: 48,
      // 11 suites × 5 sizes × (whole + streamed)
      sdkToEdgekms: 110,
      // 11 wrong contexts + 9 non-committing suites under the default policy
      refused: 20,
      suitesWritten: ["ALG_AES256_GCM_HKDF_SHA512_COMMIT_KEY", "ALG_AES256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384"],
      suitesRead: expect.arrayContaining(["ALG_AES128_GCM_IV12_TAG16", "ALG_AES256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384"]),
    });
    expect((result.counts!.suitesRead as string[]).length).toBe(11);
  }, 300_000);
});
