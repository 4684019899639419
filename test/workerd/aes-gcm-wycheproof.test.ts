/**
 * AES-GCM Wycheproof vectors (Google Wycheproof v0.9, testvectors/aes_gcm_test.json) inside
 * workerd. workerd has no node:fs, so the file is imported as JSON through a relative path to
 * test/vectors/wycheproof/ (bundled by the test runner).
 * The checks are test/common/wycheproof-aes-gcm.ts, the same as in the Node and Deno tiers.
 */
import { describe, expect, it } from "vitest";
import vectors from "../vectors/wycheproof/aes_gcm_test.json";
import { EXPECTED_AES_GCM_COUNTS, runAesGcmVectors, type AeadFile } from "../common/wycheproof-aes-gcm.ts";

describe("AES-GCM Wycheproof vectors inside workerd", () => {
  it("matches every valid AES-128/256 vector and rejects every invalid one", () => {
    const { failures, ...counts } = runAesGcmVectors(vectors as AeadFile);
    expect(failures).toEqual([]);
    expect(counts).toEqual(EXPECTED_AES_GCM_COUNTS);
  });
});
