/**
 * Memory hygiene of SHA-224, the SHA-512 family, HMAC over them and HKDF-SHA512 in the crypto
 * core, as test/unit/crypto/sha256-family-memory.test.ts checks for the SHA-256 family: linear
 * memory never grows, the binding leaves the I/O buffer zeroed after every call, and keys, padded
 * key blocks, IKM, PRKs and outputs do not remain anywhere in linear memory afterwards.
 */
import { createHmac, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  HmacSha224,
  HmacSha384,
  HmacSha512,
  Sha224,
  Sha384,
  Sha512,
  hkdfSha512,
  hmacSha224,
  hmacSha384,
  hmacSha512,
  sha224,
  sha384,
  sha512,
} from "../../../src/crypto/hash.ts";
import { core, ioBuffer } from "../../../src/crypto/wasm.ts";

const memory = () => new Uint8Array(core().memory.buffer);

function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  const first = needle[0]!;
  for (let i = haystack.indexOf(first); i !== -1 && i <= haystack.length - needle.length; i = haystack.indexOf(first, i + 1)) {
    let j = 1;
    while (j < needle.length && haystack[i + j] === needle[j]) j++;
    if (j === needle.length) return true;
  }
  return false;
}

const isZero = (bytes: Uint8Array) => bytes.every((b) => b === 0);

describe("SHA-224 and SHA-512 family memory hygiene", () => {
  const calls: [string, () => unknown][] = [
    ["sha224, streamed", () => sha224(randomBytes(150_000))],
    ["sha384, small", () => sha384(randomBytes(100))],
    ["sha512, streamed", () => sha512(randomBytes(150_000))],
    ["hmacSha224, key over 64 KiB", () => hmacSha224(randomBytes(70_000), randomBytes(1000))],
    ["hmacSha384, small key", () => hmacSha384(randomBytes(48), randomBytes(1000))],
    ["hmacSha512, key over 64 KiB", () => hmacSha512(randomBytes(70_000), randomBytes(70_000))],
    ["hkdfSha512", () => hkdfSha512(randomBytes(32), randomBytes(32), randomBytes(16), 16320)],
    ["hkdfSha512, info over 64 KiB", () => hkdfSha512(randomBytes(32), randomBytes(32), randomBytes(66_000), 40)],
    ["Sha224 class", () => new Sha224().update(randomBytes(70)).update(randomBytes(3)).digest()],
    ["Sha384 class", () => new Sha384().update(randomBytes(170)).digest()],
    ["Sha512 class", () => new Sha512().update(randomBytes(70)).update(randomBytes(300)).digest()],
    ["HmacSha224 class", () => new HmacSha224(randomBytes(100)).update(randomBytes(5)).digest()],
    ["HmacSha384 class", () => new HmacSha384(randomBytes(100)).update(randomBytes(5)).digest()],
    ["HmacSha512 class", () => new HmacSha512(randomBytes(200)).update(randomBytes(5)).digest()],
  ];

  it.each(calls)("leaves the whole I/O buffer zeroed after %s", (_name, call) => {
    call();
    expect(isZero(ioBuffer())).toBe(true);
  });

  it("does not grow linear memory across thousands of calls", () => {
    const before = core().memory.buffer.byteLength;
    for (let i = 0; i < 1000; i++) {
      sha512(randomBytes(i % 300));
      hmacSha384(randomBytes(i % 200), randomBytes(i % 200));
      hkdfSha512(randomBytes(32), randomBytes(i % 70), randomBytes(i % 50), 1 + (i % 300));
    }
    for (const [, call] of calls) call();
    expect(core().memory.buffer.byteLength).toBe(before);
  });

  it.each([
    ["HMAC-SHA224", hmacSha224, 64],
    ["HMAC-SHA384", hmacSha384, 128],
    ["HMAC-SHA512", hmacSha512, 128],
  ] as const)("leaves no trace of an %s key, its padded blocks or the message in linear memory", (_name, mac, block) => {
    const key = randomBytes(48);
    const message = randomBytes(48);
    mac(key, message);
    const padded = new Uint8Array(block);
    padded.set(key);
    const ipad = padded.map((b) => b ^ 0x36);
    const opad = padded.map((b) => b ^ 0x5c);
    const needles: Uint8Array[] = [key, message];
    for (let at = 0; at < block; at += 32) needles.push(ipad.subarray(at, at + 32), opad.subarray(at, at + 32));
    for (const needle of needles) expect(contains(memory(), needle)).toBe(false);
  });

  it("leaves no trace of HKDF-SHA512's IKM, salt, PRK or output in linear memory", () => {
    const ikm = randomBytes(32);
    const salt = randomBytes(32);
    const okm = hkdfSha512(ikm, salt, new Uint8Array(0), 128);
    const prk = createHmac("sha512", salt).update(ikm).digest();
    for (const needle of [ikm, salt, prk.subarray(0, 32), prk.subarray(32), okm.subarray(0, 32), okm.subarray(64, 96)]) {
      expect(contains(memory(), needle)).toBe(false);
    }
  });
});
