/**
 * AES-GCM from the WebAssembly core against Node's WebCrypto (crypto.subtle, OpenSSL) with random
 * keys, IVs, AAD and plaintexts: every length from 0 to 80 bytes (all partial-block and
 * eight-block-batch boundaries), lengths around the 64 KiB I/O-buffer chunk and a 16 KiB mark,
 * IVs of 12 bytes and of 1 to 64+ bytes (the GHASH-derived J0 path), AAD longer than one chunk,
 * and the AesGcmStream interface with random chunk splits.
 *
 * Node's WebCrypto accepts IVs of 12 to 128 bytes only, so shorter IVs are checked against
 * node:crypto's createCipheriv (same OpenSSL, no such limit below 12) and IVs over 128 bytes
 * against @noble/ciphers (an independent pure-JS implementation).
 */
import { createCipheriv, randomBytes, randomInt } from "node:crypto";
import { gcm as nobleGcm } from "@noble/ciphers/aes.js";
import { describe, expect, it } from "vitest";
import { AesGcmStream, aesGcmDecrypt, aesGcmEncrypt } from "../../../src/crypto/aes-gcm.ts";

const hex = (b: ArrayBuffer | Uint8Array) => Buffer.from(b instanceof Uint8Array ? b : new Uint8Array(b)).toString("hex");
const random = (n: number) => new Uint8Array(randomBytes(n));

/** The reference sealing: WebCrypto where it accepts the IV length (see the header). */
async function referenceSeal(key: Uint8Array, iv: Uint8Array, pt: Uint8Array, aad: Uint8Array): Promise<string> {
  if (iv.length < 12) {
    const cipher = createCipheriv(key.length === 16 ? "aes-128-gcm" : "aes-256-gcm", key, iv);
    cipher.setAAD(aad);
    return hex(Buffer.concat([cipher.update(pt), cipher.final(), cipher.getAuthTag()]));
  }
  if (iv.length > 128) return hex(nobleGcm(key, iv, aad).encrypt(pt));
  const k = await crypto.subtle.importKey("raw", key, "AES-GCM", false, ["encrypt"]);
  return hex(await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: aad, tagLength: 128 }, k, pt));
}

async function agree(keySize: number, ivSize: number, length: number, aadSize: number): Promise<void> {
  const [key, iv, pt, aad] = [random(keySize), random(ivSize), random(length), random(aadSize)];
  const label = `key ${keySize}, iv ${ivSize}, length ${length}, aad ${aadSize}`;
  const sealed = aesGcmEncrypt(key, iv, pt, aad);
  expect(hex(sealed), label).toBe(await referenceSeal(key, iv, pt, aad));
  expect(hex(aesGcmDecrypt(key, iv, sealed, aad)), label).toBe(hex(pt));
}

describe("AES-GCM against WebCrypto in Node", () => {
  it("agrees for every plaintext length from 0 to 80 bytes, both key sizes, 12-byte IVs", async () => {
    for (const keySize of [16, 32]) {
      for (let length = 0; length <= 80; length++) await agree(keySize, 12, length, length % 21);
    }
  });

  it("agrees around the 16 KiB and 64 KiB marks and up to 70,000 bytes", async () => {
    const lengths = [16383, 16384, 16385, 65407, 65408, 65519, 65520, 65535, 65536, 65537, 65552, 70_000];
    for (const length of lengths) await agree(length % 2 ? 16 : 32, 12, length, randomInt(0, 40));
  });

  it("agrees for IVs of 1 to 66 bytes and a few long ones, which derive J0 through GHASH", async () => {
    for (let ivSize = 1; ivSize <= 66; ivSize++) await agree(ivSize % 2 ? 32 : 16, ivSize, randomInt(0, 100), randomInt(0, 33));
    for (const ivSize of [128, 1000, 65_505, 70_000]) await agree(32, ivSize, 300, 20);
  });

  it("agrees for AAD of 0 to 40 bytes and AAD longer than one 64 KiB chunk", async () => {
    for (let aadSize = 0; aadSize <= 40; aadSize++) await agree(16, 12, 33, aadSize);
    await agree(32, 12, 1000, 70_000);
    await agree(32, 12, 0, 65_536 + 17);
  });

  it("streams a message in random chunks to the same ciphertext and tag as the one-shot call", async () => {
    for (const [keySize, ivSize, length] of [
      [32, 12, 70_000],
      [16, 12, 1234],
      [32, 7, 999],
      [16, 12, 0],
    ] as const) {
      const [key, iv, pt, aad] = [random(keySize), random(ivSize), random(length), random(100)];
      const expected = await referenceSeal(key, iv, pt, aad);
      const enc = new AesGcmStream(key, iv).aad(aad.subarray(0, 37)).aad(aad.subarray(37));
      const parts: Uint8Array[] = [];
      for (let offset = 0; offset < length; ) {
        const n = Math.min(length - offset, randomInt(0, 300) === 0 ? 66_000 : randomInt(0, 200));
        parts.push(enc.encrypt(pt.subarray(offset, offset + n)));
        offset += n;
      }
      const tag = enc.finish();
      const ciphertext = Buffer.concat(parts);
      expect(hex(ciphertext) + hex(tag)).toBe(expected);

      const dec = new AesGcmStream(key, iv).aad(aad);
      const plain = Buffer.concat([dec.decrypt(ciphertext.subarray(0, 17)), dec.decrypt(ciphertext.subarray(17))]);
      dec.verify(tag);
      expect(hex(plain)).toBe(hex(pt));
    }
  });

  it("keeps interleaved streams independent", async () => {
    const [k1, k2, iv1, iv2] = [random(32), random(16), random(12), random(20)];
    const [p1, p2] = [random(500), random(300)];
    const a = new AesGcmStream(k1, iv1);
    const b = new AesGcmStream(k2, iv2);
    const a1 = a.encrypt(p1.subarray(0, 250));
    const b1 = b.encrypt(p2.subarray(0, 100));
    const a2 = a.encrypt(p1.subarray(250));
    const b2 = b.encrypt(p2.subarray(100));
    expect(hex(Buffer.concat([a1, a2, a.finish()]))).toBe(await referenceSeal(k1, iv1, p1, new Uint8Array()));
    expect(hex(Buffer.concat([b1, b2, b.finish()]))).toBe(await referenceSeal(k2, iv2, p2, new Uint8Array()));
  });
});
