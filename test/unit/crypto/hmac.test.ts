/**
 * HMAC-SHA256 through the binding.
 *
 * Vectors: Google Wycheproof v0.9, testvectors/hmac_sha256_test.json, read at test time from
 * test/vectors/wycheproof/ (copied from Project Wycheproof with its LICENSE). Groups with tagSize 128 test truncated tags: the
 * first tagSize/8 bytes of our tag must equal the vector's tag when it is valid and differ when
 * it is invalid. Then differential tests against WebCrypto (crypto.subtle) with random inputs (and node:crypto for
 * the empty key, which WebCrypto refuses to import).
 */
import { createHmac, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { HmacSha256, hmacSha256 } from "../../../src/crypto/hash.ts";

interface MacTest {
  tcId: number;
  comment: string;
  key: string;
  msg: string;
  tag: string;
  result: "valid" | "invalid" | "acceptable";
}
interface MacFile {
  numberOfTests: number;
  testGroups: { tagSize: number; tests: MacTest[] }[];
}

const vectors = JSON.parse(
  readFileSync(fileURLToPath(new URL("../../vectors/wycheproof/hmac_sha256_test.json", import.meta.url)), "utf8"),
) as MacFile;

const fromHex = (s: string) => new Uint8Array(Buffer.from(s, "hex"));
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

async function webCryptoHmac(key: Uint8Array, data: Uint8Array): Promise<string> {
  const k = await crypto.subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return hex(new Uint8Array(await crypto.subtle.sign("HMAC", k, data)));
}

describe("HMAC-SHA256 Wycheproof vectors", () => {
  it("matches every valid tag and rejects every invalid one, truncated tags included", () => {
    let valid = 0;
    let invalid = 0;
    for (const group of vectors.testGroups) {
      for (const test of group.tests) {
        const tag = hmacSha256(fromHex(test.key), fromHex(test.msg)).subarray(0, group.tagSize / 8);
        if (test.result === "valid") {
          expect(hex(tag), `tcId ${test.tcId}`).toBe(test.tag);
          valid++;
        } else {
          expect(hex(tag), `tcId ${test.tcId} (${test.comment})`).not.toBe(test.tag);
          invalid++;
        }
      }
    }
    expect(valid + invalid).toBe(vectors.numberOfTests);
    expect([valid, invalid]).toEqual([66, 108]);
  });

  it("gives the same tags incrementally, one byte at a time", () => {
    let count = 0;
    for (const group of vectors.testGroups) {
      for (const test of group.tests.filter((t) => t.result === "valid")) {
        const mac = new HmacSha256(fromHex(test.key));
        for (const byte of fromHex(test.msg)) mac.update(Uint8Array.of(byte));
        expect(hex(mac.digest().subarray(0, group.tagSize / 8)), `tcId ${test.tcId}`).toBe(test.tag);
        count++;
      }
    }
    expect(count).toBe(66);
  });
});

describe("HMAC-SHA256 against WebCrypto", () => {
  it("agrees for random keys of 1 to 200 bytes and messages of 0 to 300 bytes", async () => {
    for (let i = 1; i <= 200; i++) {
      const key = randomBytes(i);
      const data = randomBytes((i * 37) % 301);
      expect(hex(hmacSha256(key, data)), `key ${key.length} B, data ${data.length} B`).toBe(await webCryptoHmac(key, data));
    }
  });

  it("accepts an empty key, which WebCrypto refuses, and agrees with node:crypto on it", () => {
    const data = randomBytes(50);
    expect(hex(hmacSha256(new Uint8Array(0), data))).toBe(createHmac("sha256", new Uint8Array(0)).update(data).digest("hex"));
  });

  it("agrees at the block-size key boundary (63, 64, 65 bytes)", async () => {
    for (const length of [63, 64, 65]) {
      const key = randomBytes(length);
      const data = randomBytes(100);
      expect(hex(hmacSha256(key, data))).toBe(await webCryptoHmac(key, data));
    }
  });

  it("agrees for keys and messages larger than the 64 KiB I/O buffer", async () => {
    for (const [keyLength, dataLength] of [
      [65535, 65536],
      [65536, 65537],
      [65537, 200_000],
      [150_000, 10],
    ] as const) {
      const key = randomBytes(keyLength);
      const data = randomBytes(dataLength);
      expect(hex(hmacSha256(key, data)), `key ${keyLength} B, data ${dataLength} B`).toBe(await webCryptoHmac(key, data));
      const incremental = new HmacSha256(key).update(data.subarray(0, 7)).update(data.subarray(7));
      expect(hex(incremental.digest())).toBe(await webCryptoHmac(key, data));
    }
  });

  it("keeps interleaved incremental MACs under different keys independent", async () => {
    const [k1, k2] = [randomBytes(32), randomBytes(80)];
    const m1 = new HmacSha256(k1).update(Uint8Array.of(1));
    const m2 = new HmacSha256(k2).update(Uint8Array.of(2));
    hmacSha256(randomBytes(16), randomBytes(16));
    m1.update(Uint8Array.of(3));
    m2.update(Uint8Array.of(4));
    expect(hex(m1.digest())).toBe(await webCryptoHmac(k1, Uint8Array.of(1, 3)));
    expect(hex(m2.digest())).toBe(await webCryptoHmac(k2, Uint8Array.of(2, 4)));
  });
});
