/**
 * Memory hygiene of AES-GCM in the crypto core: linear memory is fixed at build time and must not
 * grow however many calls are made; the binding must leave the I/O buffer zeroed after every
 * call, success or failure; and keys, plaintexts and round-key material must not remain anywhere
 * in linear memory afterwards.
 */
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { AesGcmStream, aesGcmDecrypt, aesGcmEncrypt } from "../../../src/crypto/aes-gcm.ts";
import { core, ioBuffer } from "../../../src/crypto/wasm.ts";

const random = (n: number) => new Uint8Array(randomBytes(n));
const memory = () => new Uint8Array(core().memory.buffer);
const isZero = (bytes: Uint8Array) => bytes.every((b) => b === 0);

function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  return Buffer.from(haystack.buffer, haystack.byteOffset, haystack.byteLength).indexOf(needle) !== -1;
}

describe("AES-GCM memory hygiene", () => {
  const key = random(32);
  const iv = random(12);
  const pt = random(70_000);
  const aad = random(100);
  const sealed = aesGcmEncrypt(key, iv, pt, aad);
  const calls: [string, () => unknown][] = [
    ["aesGcmEncrypt, 32 bytes", () => aesGcmEncrypt(key, iv, pt.subarray(0, 32), aad)],
    ["aesGcmEncrypt, 70,000 bytes", () => aesGcmEncrypt(key, iv, pt, aad)],
    ["aesGcmDecrypt, 70,000 bytes", () => aesGcmDecrypt(key, iv, sealed, aad)],
    ["aesGcmEncrypt, 70,000-byte IV", () => aesGcmEncrypt(key, random(70_000), pt.subarray(0, 5), aad)],
    ["a rejected aesGcmDecrypt", () => expect(() => aesGcmDecrypt(key, random(12), sealed, aad)).toThrow()],
    ["an AesGcmStream encryption", () => new AesGcmStream(key, iv).aad(aad).encrypt(pt.subarray(0, 50))],
    [
      "a finished AesGcmStream",
      () => {
        const stream = new AesGcmStream(key, iv);
        stream.encrypt(pt.subarray(0, 50));
        return stream.finish();
      },
    ],
  ];

  it.each(calls)("leaves the whole I/O buffer zeroed after %s", (_name, call) => {
    call();
    expect(isZero(ioBuffer())).toBe(true);
  });

  it("does not grow linear memory over thousands of calls of every size", () => {
    const before = core().memory.buffer.byteLength;
    expect(before).toBe(8 * 65536);
    for (let i = 0; i < 3000; i++) {
      const n = (i * 37) % 300;
      const out = aesGcmEncrypt(key, iv, pt.subarray(0, n), aad.subarray(0, i % 50));
      aesGcmDecrypt(key, iv, out, aad.subarray(0, i % 50));
    }
    for (let i = 0; i < 20; i++) aesGcmDecrypt(key, iv, sealed, aad);
    expect(core().memory.buffer.byteLength).toBe(before);
  });

  it("leaves no key, plaintext or keystream anywhere in linear memory after a call", () => {
    const k = random(32);
    const text = random(1000);
    const out = aesGcmEncrypt(k, iv, text, aad);
    aesGcmDecrypt(k, iv, out, aad);
    const keystream = Buffer.from(out.subarray(0, 64)).map((b, i) => b ^ text[i]!);
    const mem = memory();
    expect(contains(mem, k.subarray(0, 16))).toBe(false);
    expect(contains(mem, k.subarray(16))).toBe(false);
    expect(contains(mem, text.subarray(0, 16))).toBe(false);
    expect(contains(mem, text.subarray(984))).toBe(false);
    expect(contains(mem, keystream.subarray(0, 16))).toBe(false);
    expect(contains(mem, keystream.subarray(48, 64))).toBe(false);
  });

  it("leaves no key in linear memory while a stream is paused between calls", () => {
    const k = random(16);
    const stream = new AesGcmStream(k, iv);
    stream.encrypt(random(100));
    expect(contains(memory(), k)).toBe(false);
    stream.destroy();
  });
});
