/**
 * SHA-224, SHA-384, SHA-512, HMAC over each and HKDF-SHA512 from the WebAssembly core inside
 * workerd: Google Wycheproof's hmac_sha224/384/512 vectors (imported as JSON from
 * test/vectors/wycheproof/, run by test/common/wycheproof-mac.ts as in the Node and Deno tiers),
 * then SHA-384/512, HMAC-SHA384/512 and HKDF-SHA512 against workerd's own crypto.subtle. WebCrypto
 * has no SHA-224, so SHA-224 is checked by FIPS 180-4 known answers (the Wycheproof HMAC-SHA224
 * vectors exercise it further).
 */
import { describe, expect, it } from "vitest";
import {
  HmacSha384,
  HmacSha512,
  Sha224,
  Sha384,
  Sha512,
  hkdfSha512,
  hmacSha384,
  hmacSha512,
  sha224,
  sha384,
  sha512,
} from "../../src/crypto/hash.ts";
import { ioBuffer } from "../../src/crypto/wasm.ts";
import sha224Vectors from "../vectors/wycheproof/hmac_sha224_test.json";
import sha384Vectors from "../vectors/wycheproof/hmac_sha384_test.json";
import sha512Vectors from "../vectors/wycheproof/hmac_sha512_test.json";
import { EXPECTED_MAC_COUNTS, runMacVectors, type MacFile, type MacName } from "../common/wycheproof-mac.ts";

const hex = (b: ArrayBuffer | Uint8Array) =>
  Array.from(b instanceof Uint8Array ? b : new Uint8Array(b), (x) => x.toString(16).padStart(2, "0")).join("");

function random(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let offset = 0; offset < length; offset += 65536) crypto.getRandomValues(bytes.subarray(offset, offset + 65536));
  return bytes;
}

describe("HMAC-SHA224/384/512 Wycheproof vectors inside workerd", () => {
  it.each([sha224Vectors, sha384Vectors, sha512Vectors] as MacFile[])(
    "$algorithm: every valid tag matches and every invalid one differs",
    (vectors) => {
      const { failures, ...counts } = runMacVectors(vectors);
      expect(failures).toEqual([]);
      expect(counts).toEqual(EXPECTED_MAC_COUNTS[vectors.algorithm as MacName]);
    },
  );
});

describe("SHA-224 and the SHA-512 family inside workerd", () => {
  it("hashes the FIPS 180-4 SHA-224 examples, one-shot and incremental", () => {
    const abc = new TextEncoder().encode("abc");
    expect(hex(sha224(abc))).toBe("23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7");
    expect(hex(new Sha224().update(abc.subarray(0, 1)).update(abc.subarray(1)).digest())).toBe(
      "23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7",
    );
    expect(hex(sha224(new Uint8Array(0)))).toBe("d14a028c2a3a2bc9476102bb288234c415a2b01f828ea62ac5b3e42f");
  });

  it.each([
    ["SHA-384", sha384, Sha384],
    ["SHA-512", sha512, Sha512],
  ] as const)(
    "%s hashes like crypto.subtle.digest for lengths 0 to 300 and across the 64 KiB chunk boundary",
    async (name, oneShot, Incremental) => {
      for (const length of [...Array(301).keys(), 65535, 65536, 65537, 150_000]) {
        const data = random(length);
        const expected = hex(await crypto.subtle.digest(name, data));
        expect(hex(oneShot(data)), `length ${length}`).toBe(expected);
        if (length % 50 === 7 || length > 65535) {
          expect(hex(new Incremental().update(data.subarray(0, 3)).update(data.subarray(3)).digest())).toBe(expected);
        }
      }
    },
  );

  it.each([
    ["SHA-384", hmacSha384, HmacSha384],
    ["SHA-512", hmacSha512, HmacSha512],
  ] as const)("HMAC-%s agrees with crypto.subtle for short, block-sized, long and over-64-KiB keys", async (hash, oneShot, Incremental) => {
    for (const [keyLength, dataLength] of [
      [1, 0],
      [48, 3],
      [127, 128],
      [128, 129],
      [129, 1000],
      [70_000, 70_000],
    ] as const) {
      const [key, data] = [random(keyLength), random(dataLength)];
      const k = await crypto.subtle.importKey("raw", key, { name: "HMAC", hash }, false, ["sign"]);
      const expected = hex(await crypto.subtle.sign("HMAC", k, data));
      expect(hex(oneShot(key, data)), `key ${keyLength} B`).toBe(expected);
      expect(hex(new Incremental(key).update(data).digest())).toBe(expected);
    }
  });

  it("derives HKDF-SHA512 like crypto.subtle up to the 16320-byte limit and refuses more", async () => {
    for (const [ikmLength, saltLength, infoLength, length] of [
      [32, 0, 0, 32],
      [32, 32, 11, 32],
      [16, 16, 10, 65],
      [100, 130, 33, 300],
      [32, 32, 16, 16320],
      [70_000, 65_537, 20, 64],
    ] as const) {
      const [ikm, salt, info] = [random(ikmLength), random(saltLength), random(infoLength)];
      const key = await crypto.subtle.importKey("raw", ikm, "HKDF", false, ["deriveBits"]);
      const expected = hex(await crypto.subtle.deriveBits({ name: "HKDF", hash: "SHA-512", salt, info }, key, length * 8));
      expect(hex(hkdfSha512(ikm, salt, info, length)), `L = ${length}`).toBe(expected);
    }
    expect(() => hkdfSha512(random(32), random(0), random(0), 16321)).toThrow(RangeError);
  });

  it("leaves the I/O buffer zeroed after a call", () => {
    hmacSha512(random(32), random(1000));
    hkdfSha512(random(32), random(32), random(10), 100);
    expect(ioBuffer().every((b) => b === 0)).toBe(true);
  });
});
