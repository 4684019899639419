/**
 * AES-GCM through the binding against Google Wycheproof (v0.9, testvectors/aes_gcm_test.json),
 * read at test time from test/vectors/wycheproof/ (copied from Project Wycheproof with its LICENSE). The checks themselves are
 * test/common/wycheproof-aes-gcm.ts, shared with the workerd and Deno tiers.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { EXPECTED_AES_GCM_COUNTS, runAesGcmVectors, type AeadFile } from "../../common/wycheproof-aes-gcm.ts";

const vectors = JSON.parse(
  readFileSync(fileURLToPath(new URL("../../vectors/wycheproof/aes_gcm_test.json", import.meta.url)), "utf8"),
) as AeadFile;

describe("AES-GCM Wycheproof vectors", () => {
  it("matches every valid AES-128/256 vector and rejects every invalid one", () => {
    const { failures, ...counts } = runAesGcmVectors(vectors);
    expect(failures).toEqual([]);
    expect(counts).toEqual(EXPECTED_AES_GCM_COUNTS);
    expect(counts.valid + counts.invalid + counts.skipped).toBe(vectors.numberOfTests);
  });
});
