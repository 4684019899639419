/**
 * SHA-256, HMAC-SHA256 and HKDF-SHA256 from the WebAssembly core, run inside workerd and checked
 * against workerd's own WebCrypto (crypto.subtle). workerd has no node:fs, so the Wycheproof
 * vectors run in the Node unit tier (test/unit/crypto/); this tier proves the same core behaves
 * identically where it is deployed, with a smaller random set.
 */
import { describe, expect, it } from "vitest";
import { HmacSha256, Sha256, hkdfSha256, hmacSha256, sha256 } from "../../src/crypto/hash.ts";
import { ioBuffer } from "../../src/crypto/wasm.ts";

const hex = (b: ArrayBuffer | Uint8Array) =>
  Array.from(b instanceof Uint8Array ? b : new Uint8Array(b), (x) => x.toString(16).padStart(2, "0")).join("");

function random(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  // getRandomValues fills at most 65536 bytes per call.
  for (let offset = 0; offset < length; offset += 65536) {
    crypto.getRandomValues(bytes.subarray(offset, offset + 65536));
  }
  return bytes;
}

async function subtleHmac(key: Uint8Array, data: Uint8Array): Promise<string> {
  const k = await crypto.subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return hex(await crypto.subtle.sign("HMAC", k, data));
}

async function subtleHkdf(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number) {
  const key = await crypto.subtle.importKey("raw", ikm, "HKDF", false, ["deriveBits"]);
  return hex(await crypto.subtle.deriveBits({ name: "HKDF", hash: "SHA-256", salt, info }, key, length * 8));
}

describe("SHA-256 family inside workerd, against crypto.subtle", () => {
  it("hashes like crypto.subtle.digest for lengths 0 to 130 and across the 64 KiB chunk boundary", async () => {
    for (const length of [...Array(131).keys(), 65535, 65536, 65537, 150_000]) {
      const data = random(length);
      expect(hex(sha256(data)), `length ${length}`).toBe(hex(await crypto.subtle.digest("SHA-256", data)));
    }
  });

  it("hashes incrementally like in one shot", async () => {
    const data = random(70_000);
    const hash = new Sha256().update(data.subarray(0, 1)).update(data.subarray(1, 65)).update(data.subarray(65));
    expect(hex(hash.digest())).toBe(hex(await crypto.subtle.digest("SHA-256", data)));
  });

  it("computes HMAC-SHA256 like crypto.subtle for random keys (short, block-sized, long, over 64 KiB)", async () => {
    for (const [keyLength, dataLength] of [
      [1, 0],
      [16, 3],
      [32, 100],
      [63, 64],
      [64, 65],
      [65, 1000],
      [200, 5000],
      [70_000, 70_000],
    ] as const) {
      const key = random(keyLength);
      const data = random(dataLength);
      const expected = await subtleHmac(key, data);
      expect(hex(hmacSha256(key, data)), `key ${keyLength} B`).toBe(expected);
      expect(hex(new HmacSha256(key).update(data).digest())).toBe(expected);
    }
  });

  it("derives HKDF-SHA256 like crypto.subtle for random inputs up to the 8160-byte limit", async () => {
    for (const [ikmLength, saltLength, infoLength, length] of [
      [32, 0, 0, 32],
      [16, 16, 10, 42],
      [64, 32, 100, 1],
      [100, 80, 33, 300],
      [32, 32, 16, 8160],
      [70_000, 65_537, 20, 64],
    ] as const) {
      const [ikm, salt, info] = [random(ikmLength), random(saltLength), random(infoLength)];
      expect(hex(hkdfSha256(ikm, salt, info, length)), `L = ${length}`).toBe(await subtleHkdf(ikm, salt, info, length));
    }
    expect(() => hkdfSha256(random(32), random(0), random(0), 8161)).toThrow(RangeError);
  });

  it("leaves the I/O buffer zeroed after a call", () => {
    hmacSha256(random(32), random(1000));
    expect(ioBuffer().every((b) => b === 0)).toBe(true);
  });
});
