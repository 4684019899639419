/**
 * AWS Encryption SDK messages from the envelope client: every truncation, bit flips across the
 * header and body, reordered, duplicated, dropped and foreign frames, appended data, wrong
 * contexts, signature tampering (signed suite), and what a stream releases before it fails. The
 * cases are test/common/esdk-tamper.ts, shared with the workerd and Deno tiers.
 */
import { describe, expect, it } from "vitest";
import { runEsdkTamperCases } from "../../common/esdk-tamper.ts";
import { inProcessKms } from "./in-process-kms.ts";

describe.each(["ALG_AES256_GCM_HKDF_SHA512_COMMIT_KEY", "ALG_AES256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384"] as const)(
  "%s messages",
  (suite) => {
    it("refuse every truncation, modification, reordering, foreign frame and wrong context with one error", async () => {
      const { failures, refused } = await runEsdkTamperCases(inProcessKms(), suite);
      expect(failures).toEqual([]);
      expect(refused.reorder).toBe(4);
      expect(refused.duplicate).toBe(4);
      expect(refused.context).toBe(3);
      expect(refused.streams).toBe(3);
      expect(refused.truncation).toBeGreaterThan(800);
      expect(refused["header-bit"]).toBeGreaterThan(8 * 300);
    }, 120_000);
  },
);
