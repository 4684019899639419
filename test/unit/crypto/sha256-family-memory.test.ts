/**
 * Memory hygiene of the SHA-256 family in the crypto core: linear memory is fixed and must not
 * grow however many calls are made; the binding must leave the I/O buffer zeroed after every
 * call; and keys, IKM and PRKs must not remain anywhere in linear memory afterwards.
 */
import { createHmac, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { HmacSha256, Sha256, hkdfSha256, hmacSha256, sha256 } from "../../../src/crypto/hash.ts";
import { core, ioBuffer } from "../../../src/crypto/wasm.ts";

const memory = () => new Uint8Array(core().memory.buffer);

function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  const first = needle[0];
  for (let i = haystack.indexOf(first!); i !== -1 && i <= haystack.length - needle.length; i = haystack.indexOf(first!, i + 1)) {
    let j = 1;
    while (j < needle.length && haystack[i + j] === needle[j]) j++;
    if (j === needle.length) return true;
  }
  return false;
}

const isZero = (bytes: Uint8Array) => bytes.every((b) => b === 0);

describe("SHA-256 family memory hygiene", () => {
  const calls: [string, () => unknown][] = [
    ["sha256, small", () => sha256(randomBytes(100))],
    ["sha256, streamed", () => sha256(randomBytes(150_000))],
    ["hmacSha256, small key", () => hmacSha256(randomBytes(32), randomBytes(1000))],
    ["hmacSha256, key over 64 KiB", () => hmacSha256(randomBytes(70_000), randomBytes(70_000))],
    ["hkdfSha256", () => hkdfSha256(randomBytes(32), randomBytes(32), randomBytes(16), 8160)],
    ["hkdfSha256, info over 64 KiB", () => hkdfSha256(randomBytes(32), randomBytes(32), randomBytes(66_000), 40)],
    ["Sha256 class", () => new Sha256().update(randomBytes(70)).update(randomBytes(3)).digest()],
    ["HmacSha256 class", () => new HmacSha256(randomBytes(100)).update(randomBytes(5)).digest()],
  ];

  it.each(calls)("leaves the whole I/O buffer zeroed after %s", (_name, call) => {
    call();
    expect(isZero(ioBuffer())).toBe(true);
  });

  it("does not grow linear memory across thousands of calls", () => {
    const before = core().memory.buffer.byteLength;
    for (let i = 0; i < 2000; i++) {
      sha256(randomBytes(i % 300));
      hmacSha256(randomBytes(i % 100), randomBytes(i % 200));
      hkdfSha256(randomBytes(32), randomBytes(i % 70), randomBytes(i % 50), 1 + (i % 200));
    }
    for (const [, call] of calls) call();
    expect(core().memory.buffer.byteLength).toBe(before);
  });

  it("leaves no trace of an HMAC key, its padded blocks or the message in linear memory", () => {
    const key = randomBytes(48);
    const message = randomBytes(48);
    hmacSha256(key, message);
    const padded = new Uint8Array(64);
    padded.set(key);
    const ipad = padded.map((b) => b ^ 0x36);
    const opad = padded.map((b) => b ^ 0x5c);
    for (const needle of [key, message, ipad.subarray(0, 32), ipad.subarray(32), opad.subarray(0, 32), opad.subarray(32)]) {
      expect(contains(memory(), needle)).toBe(false);
    }
  });

  it("leaves no trace of HKDF's IKM, salt, PRK or output in linear memory", () => {
    const ikm = randomBytes(32);
    const salt = randomBytes(32);
    const okm = hkdfSha256(ikm, salt, new Uint8Array(0), 64);
    const prk = createHmac("sha256", salt).update(ikm).digest();
    for (const needle of [ikm, salt, prk, okm.subarray(0, 32), okm.subarray(32)]) {
      expect(contains(memory(), needle)).toBe(false);
    }
  });
});
