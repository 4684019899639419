/**
 * A short run of the fuzzer (test/fuzz/fuzzer.ts; `npm run fuzz` runs long ones) against a local
 * EdgeKMS: a few hundred mutated requests of every kind — bodies, raw bytes, headers, each SigV4
 * part, single-bit flips of blobs and tokens, key policies, grant and import tokens, Unicode edge
 * cases, sizes around every limit — with no 5xx, no hang, and no state change from a refused call.
 * The seed is fixed so that the run is the same every time (FUZZ_SEED overrides it), and printed.
 *
 * A second run changes the state behind the fuzzer's back, to show that its state check can fail.
 */
import { describe, expect, it } from "vitest";
import { formatReport, runFuzz } from "../fuzz/fuzzer.ts";
import { useLocalWorker } from "./support.ts";

const worker = useLocalWorker();
const SEED = Number(process.env.FUZZ_SEED ?? 20261130);

describe("fuzzer, short run", () => {
  it(`answers 300 mutated requests without a 5xx, a hang or a state change from a refused call (seed ${SEED})`, {
    timeout: 120_000,
  }, async () => {
    const report = await runFuzz({
      url: worker.url,
      seed: SEED,
      requests: 300,
      timeoutMs: 10_000,
      checkEvery: 50,
      fullEvery: 300,
      repairEvery: 150,
    });
    const summary = formatReport(report);
    console.log(summary);
    expect(report.requests).toBe(300);
    expect(Object.keys(report.byMutator).length, summary).toBeGreaterThanOrEqual(9);
    expect(report.serverErrors, summary).toEqual([]);
    expect(report.hangs, summary).toEqual([]);
    expect(report.networkErrors, summary).toEqual([]);
    expect(report.stateChanges, summary).toEqual([]);
    expect(report.fuzzerErrors, summary).toEqual([]);
  });

  it("reports a state change it did not make, with the requests that could have made it", { timeout: 60_000 }, async () => {
    const report = await runFuzz({
      url: worker.url,
      seed: SEED + 1,
      requests: 40,
      checkEvery: 20,
      fullEvery: 40,
      repairEvery: 1000,
      beforeRequest: async (i, t, fixtures) => {
        if (i === 10)
          await t.call("test", "TagResource", { KeyId: fixtures.keys.main.keyId, Tags: [{ TagKey: "behind-its-back", TagValue: "x" }] });
      },
    });
    expect(report.stateChanges.length).toBeGreaterThanOrEqual(1);
    expect(report.stateChanges.flatMap((c) => c.differences.map((d) => d.after)).join("\n")).toContain("behind-its-back");
  });
});
