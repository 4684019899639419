/**
 * HKDF-SHA256 through the binding.
 *
 * Vectors: Google Wycheproof v0.9, testvectors/hkdf_sha256_test.json (which includes RFC 5869
 * Appendix A.1–A.3), read at test time from test/vectors/wycheproof/ (copied from Project Wycheproof with its LICENSE). Valid
 * vectors must match; the invalid ones ask for 8161 bytes (SizeTooLarge) and must throw. Then
 * differential tests against WebCrypto (crypto.subtle HKDF) with random inputs, and against
 * RFC 5869 written out over node:crypto's HMAC where WebCrypto cannot follow (L = 0, info larger
 * than the 64 KiB I/O buffer).
 */
import { createHmac, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { hkdfSha256 } from "../../../src/crypto/hash.ts";

interface HkdfTest {
  tcId: number;
  ikm: string;
  salt: string;
  info: string;
  size: number;
  okm: string;
  result: "valid" | "invalid" | "acceptable";
}
interface HkdfFile {
  numberOfTests: number;
  testGroups: { tests: HkdfTest[] }[];
}

const vectors = JSON.parse(
  readFileSync(fileURLToPath(new URL("../../vectors/wycheproof/hkdf_sha256_test.json", import.meta.url)), "utf8"),
) as HkdfFile;

const fromHex = (s: string) => new Uint8Array(Buffer.from(s, "hex"));
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

async function webCryptoHkdf(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number) {
  const key = await crypto.subtle.importKey("raw", ikm, "HKDF", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits({ name: "HKDF", hash: "SHA-256", salt, info }, key, length * 8);
  return hex(new Uint8Array(bits));
}

/** RFC 5869 §2.2–2.3 spelled out over node:crypto HMAC. */
function rfc5869(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): string {
  const prk = createHmac("sha256", salt).update(ikm).digest();
  const blocks: Uint8Array[] = [];
  let previous: Uint8Array = new Uint8Array(0);
  for (let i = 1; blocks.length * 32 < length; i++) {
    previous = createHmac("sha256", prk).update(previous).update(info).update(Uint8Array.of(i)).digest();
    blocks.push(previous);
  }
  return Buffer.concat(blocks).subarray(0, length).toString("hex");
}

describe("HKDF-SHA256 Wycheproof vectors", () => {
  it("derives every valid output and throws RangeError for every output size over 8160", () => {
    let valid = 0;
    let invalid = 0;
    for (const group of vectors.testGroups) {
      for (const test of group.tests) {
        const derive = () => hkdfSha256(fromHex(test.ikm), fromHex(test.salt), fromHex(test.info), test.size);
        if (test.result === "valid") {
          expect(hex(derive()), `tcId ${test.tcId}`).toBe(test.okm);
          valid++;
        } else {
          expect(derive, `tcId ${test.tcId}`).toThrow(RangeError);
          invalid++;
        }
      }
    }
    expect(valid + invalid).toBe(vectors.numberOfTests);
    expect([valid, invalid]).toEqual([83, 3]);
  });
});

describe("HKDF-SHA256 output length", () => {
  it("rejects negative, fractional, non-finite and too-large lengths with a clear RangeError", () => {
    const empty = new Uint8Array(0);
    for (const length of [-1, 1.5, Number.NaN, Infinity, 8161, 2 ** 32]) {
      expect(() => hkdfSha256(empty, empty, empty, length)).toThrow(/HKDF-SHA256 output length must be an integer from 0 to 8160/);
    }
  });

  it("derives an empty output for length 0 and exactly 8160 bytes at the limit", () => {
    const ikm = randomBytes(32);
    expect(hkdfSha256(ikm, new Uint8Array(0), new Uint8Array(0), 0)).toHaveLength(0);
    const salt = randomBytes(16);
    const info = randomBytes(10);
    expect(hex(hkdfSha256(ikm, salt, info, 8160))).toBe(rfc5869(ikm, salt, info, 8160));
  });
});

describe("HKDF-SHA256 against WebCrypto", () => {
  it("agrees for random IKM, salt, info and lengths", async () => {
    for (let i = 0; i < 150; i++) {
      const ikm = randomBytes(1 + ((i * 7) % 100));
      const salt = randomBytes((i * 13) % 90);
      const info = randomBytes((i * 29) % 200);
      const length = 1 + ((i * 53) % 400);
      expect(hex(hkdfSha256(ikm, salt, info, length)), `case ${i}`).toBe(await webCryptoHkdf(ikm, salt, info, length));
    }
  });

  it("agrees with IKM and salt larger than the 64 KiB I/O buffer", async () => {
    const ikm = randomBytes(70_000);
    const salt = randomBytes(65_537);
    const info = randomBytes(20);
    expect(hex(hkdfSha256(ikm, salt, info, 100))).toBe(await webCryptoHkdf(ikm, salt, info, 100));
  });

  it("agrees with RFC 5869 over node:crypto for info larger than the I/O buffer", () => {
    const ikm = randomBytes(32);
    const salt = randomBytes(32);
    for (const [infoLength, length] of [
      [65536, 64],
      [65537, 65],
      [140_000, 97],
    ] as const) {
      const info = randomBytes(infoLength);
      expect(hex(hkdfSha256(ikm, salt, info, length)), `info ${infoLength} B`).toBe(rfc5869(ikm, salt, info, length));
    }
  });
});
