/**
 * AES-GCM through the binding against Google Wycheproof (v0.9, testvectors/aes_gcm_test.json),
 * read at test time from ../shared/vectors/wycheproof/ (never copied).
 *
 * We run every group with a 128- or 256-bit key and a 128-bit tag; AES-192 groups are skipped
 * (the core implements AES-128 and AES-256 only). Valid vectors must match ciphertext and tag
 * exactly and decrypt back; invalid ones (modified tags, IV-length-0, counter-wrap edge cases…)
 * must be rejected: decryption throws, and where the vector's own IV is empty the binding throws
 * a RangeError before any work.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { AuthenticationError, aesGcmDecrypt, aesGcmEncrypt } from "../../../src/crypto/aes-gcm.ts";

interface AeadTest {
  tcId: number;
  comment: string;
  key: string;
  iv: string;
  aad: string;
  msg: string;
  ct: string;
  tag: string;
  result: "valid" | "invalid" | "acceptable";
}
interface AeadFile {
  numberOfTests: number;
  testGroups: { keySize: number; ivSize: number; tagSize: number; tests: AeadTest[] }[];
}

const vectors = JSON.parse(
  readFileSync(
    fileURLToPath(new URL("../../../../shared/vectors/wycheproof/aes_gcm_test.json", import.meta.url)),
    "utf8",
  ),
) as AeadFile;

const fromHex = (s: string) => new Uint8Array(Buffer.from(s, "hex"));
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("AES-GCM Wycheproof vectors", () => {
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
        const label = `tcId ${test.tcId} (${test.comment})`;
        if (test.result === "valid") {
          expect(hex(aesGcmEncrypt(key, iv, msg, aad)), label).toBe(test.ct + test.tag);
          expect(hex(aesGcmDecrypt(key, iv, sealed, aad)), label).toBe(test.msg);
          valid++;
        } else {
          expect(test.result, label).toBe("invalid");
          if (iv.length === 0) {
            expect(() => aesGcmDecrypt(key, iv, sealed, aad), label).toThrow(RangeError);
            expect(() => aesGcmEncrypt(key, iv, msg, aad), label).toThrow(RangeError);
          } else {
            expect(() => aesGcmDecrypt(key, iv, sealed, aad), label).toThrow(AuthenticationError);
          }
          invalid++;
        }
      }
    }
    // 316 vectors in the file: 103 AES-192 ones are skipped, no group has another tag size.
    expect({ valid, invalid, skipped }).toEqual({ valid: 155, invalid: 58, skipped: 103 });
    expect(valid + invalid + skipped).toBe(vectors.numberOfTests);
  });
});
