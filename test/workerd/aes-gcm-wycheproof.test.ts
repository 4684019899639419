/**
 * AES-GCM Wycheproof vectors (Google Wycheproof v0.9, testvectors/aes_gcm_test.json) inside
 * workerd. workerd has no node:fs, so the file is imported as JSON through a relative path to
 * ../shared/vectors/wycheproof/ (bundled by the test runner, never copied into the repository).
 * Same selection as the Node tier: AES-128 and AES-256 with 128-bit tags; AES-192 is skipped.
 */
import { describe, expect, it } from "vitest";
import vectors from "../../../shared/vectors/wycheproof/aes_gcm_test.json";
import { AuthenticationError, aesGcmDecrypt, aesGcmEncrypt } from "../../src/crypto/aes-gcm.ts";

const fromHex = (s: string) => new Uint8Array(s.match(/../g)?.map((h) => parseInt(h, 16)) ?? []);
const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

describe("AES-GCM Wycheproof vectors inside workerd", () => {
  it("matches every valid AES-128/256 vector and rejects every invalid one", () => {
    let valid = 0;
    let invalid = 0;
    let skipped = 0;
    for (const group of vectors.testGroups) {
      if ((group.keySize !== 128 && group.keySize !== 256) || group.tagSize !== 128) {
        skipped += group.tests.length;
        continue;
      }
      for (const test of group.tests) {
        const [key, iv, aad, msg] = [fromHex(test.key), fromHex(test.iv), fromHex(test.aad), fromHex(test.msg)];
        const sealed = fromHex(test.ct + test.tag);
        const label = `tcId ${test.tcId}`;
        if (test.result === "valid") {
          expect(hex(aesGcmEncrypt(key, iv, msg, aad)), label).toBe(test.ct + test.tag);
          expect(hex(aesGcmDecrypt(key, iv, sealed, aad)), label).toBe(test.msg);
          valid++;
        } else {
          const expected = iv.length === 0 ? RangeError : AuthenticationError;
          expect(() => aesGcmDecrypt(key, iv, sealed, aad), label).toThrow(expected);
          invalid++;
        }
      }
    }
    expect({ valid, invalid, skipped }).toEqual({ valid: 155, invalid: 58, skipped: 103 });
  });
});
