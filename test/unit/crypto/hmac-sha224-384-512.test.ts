/**
 * HMAC-SHA224, HMAC-SHA384 and HMAC-SHA512 through the binding.
 *
 * Vectors: Google Wycheproof v0.9, testvectors/hmac_sha224_test.json, hmac_sha384_test.json and
 * hmac_sha512_test.json, read at test time from test/vectors/wycheproof/ (copied from Project
 * Wycheproof with its LICENSE) and run by test/common/wycheproof-mac.ts, shared with the workerd
 * and Deno tiers. Then differential tests against node:crypto: keys around the block size, keys
 * and messages past the 64 KiB I/O buffer, every message length from 0 to 300 bytes.
 */
import { createHmac, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { HmacSha224, HmacSha384, HmacSha512, hmacSha224, hmacSha384, hmacSha512 } from "../../../src/crypto/hash.ts";
import { EXPECTED_MAC_COUNTS, runMacVectors, type MacFile, type MacName } from "../../common/wycheproof-mac.ts";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const load = (file: string) =>
  JSON.parse(readFileSync(fileURLToPath(new URL(`../../vectors/wycheproof/${file}`, import.meta.url)), "utf8")) as MacFile;

describe("HMAC-SHA224/384/512 Wycheproof vectors", () => {
  it.each([
    ["hmac_sha224_test.json", "HMACSHA224"],
    ["hmac_sha384_test.json", "HMACSHA384"],
    ["hmac_sha512_test.json", "HMACSHA512"],
  ] as const)("%s: every valid tag matches (one shot and byte by byte), every invalid one differs", (file, name: MacName) => {
    const vectors = load(file);
    expect(vectors.algorithm).toBe(name);
    const { failures, ...counts } = runMacVectors(vectors);
    expect(failures).toEqual([]);
    expect(counts).toEqual(EXPECTED_MAC_COUNTS[name]);
    expect(counts.valid + counts.invalid).toBe(vectors.numberOfTests);
  });
});

const macs = [
  { name: "sha224", oneShot: hmacSha224, Incremental: HmacSha224, block: 64 },
  { name: "sha384", oneShot: hmacSha384, Incremental: HmacSha384, block: 128 },
  { name: "sha512", oneShot: hmacSha512, Incremental: HmacSha512, block: 128 },
] as const;

describe.each(macs)("HMAC-$name against node:crypto", ({ name, oneShot, Incremental, block }) => {
  const reference = (k: Uint8Array, d: Uint8Array) => createHmac(name, k).update(d).digest("hex");

  it("agrees for every message length from 0 to 300 bytes, with keys from 0 to 300 bytes", () => {
    for (let length = 0; length <= 300; length++) {
      const key = randomBytes((length * 7) % 301);
      const data = randomBytes(length);
      expect(hex(oneShot(key, data)), `key ${key.length} B, data ${length} B`).toBe(reference(key, data));
    }
  });

  it("agrees at the block-size key boundary", () => {
    for (const length of [block - 1, block, block + 1]) {
      const key = randomBytes(length);
      const data = randomBytes(100);
      expect(hex(oneShot(key, data)), `key ${length} B`).toBe(reference(key, data));
    }
  });

  it("agrees for keys and messages larger than the 64 KiB I/O buffer, one-shot and incremental", () => {
    for (const [keyLength, dataLength] of [
      [65536, 65536],
      [65537, 200_000],
      [150_000, 10],
      [32, 3 * 1024 * 1024 + 1],
    ] as const) {
      const key = randomBytes(keyLength);
      const data = randomBytes(dataLength);
      const expected = reference(key, data);
      expect(hex(oneShot(key, data)), `key ${keyLength} B, data ${dataLength} B`).toBe(expected);
      const incremental = new Incremental(key).update(data.subarray(0, 7)).update(data.subarray(7));
      expect(hex(incremental.digest())).toBe(expected);
    }
  });

  it("keeps interleaved incremental MACs under different keys independent", () => {
    const [k1, k2] = [randomBytes(32), randomBytes(200)];
    const m1 = new Incremental(k1).update(Uint8Array.of(1));
    const m2 = new Incremental(k2).update(Uint8Array.of(2));
    oneShot(randomBytes(16), randomBytes(16));
    m1.update(Uint8Array.of(3));
    m2.update(Uint8Array.of(4));
    expect(hex(m1.digest())).toBe(reference(k1, Uint8Array.of(1, 3)));
    expect(hex(m2.digest())).toBe(reference(k2, Uint8Array.of(2, 4)));
  });
});
