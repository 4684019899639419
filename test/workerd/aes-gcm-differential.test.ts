/**
 * AES-GCM from the WebAssembly core inside workerd, against workerd's own WebCrypto
 * (crypto.subtle, BoringSSL): random keys, IVs, AAD and plaintexts, every length from 0 to 80
 * bytes, lengths around the 16 KiB mark and the 64 KiB I/O-buffer chunk up to 70,000 bytes, IVs
 * of 1 to 64+ bytes, plus tampering and I/O-buffer hygiene where the core is deployed.
 */
import { describe, expect, it } from "vitest";
import { AesGcmStream, AuthenticationError, aesGcmDecrypt, aesGcmEncrypt } from "../../src/crypto/aes-gcm.ts";
import { core, ioBuffer } from "../../src/crypto/wasm.ts";

const hex = (b: ArrayBuffer | Uint8Array) =>
  Array.from(b instanceof Uint8Array ? b : new Uint8Array(b), (x) => x.toString(16).padStart(2, "0")).join("");

function random(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  // getRandomValues fills at most 65536 bytes per call.
  for (let offset = 0; offset < length; offset += 65536) crypto.getRandomValues(bytes.subarray(offset, offset + 65536));
  return bytes;
}

const randomInt = (max: number) => crypto.getRandomValues(new Uint32Array(1))[0]! % max;

async function subtleSeal(key: Uint8Array, iv: Uint8Array, pt: Uint8Array, aad: Uint8Array): Promise<string> {
  const k = await crypto.subtle.importKey("raw", key, "AES-GCM", false, ["encrypt"]);
  return hex(await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: aad, tagLength: 128 }, k, pt));
}

async function agree(keySize: number, ivSize: number, length: number, aadSize: number): Promise<void> {
  const [key, iv, pt, aad] = [random(keySize), random(ivSize), random(length), random(aadSize)];
  const label = `key ${keySize}, iv ${ivSize}, length ${length}, aad ${aadSize}`;
  const sealed = aesGcmEncrypt(key, iv, pt, aad);
  expect(hex(sealed), label).toBe(await subtleSeal(key, iv, pt, aad));
  expect(hex(aesGcmDecrypt(key, iv, sealed, aad)), label).toBe(hex(pt));
}

describe("AES-GCM inside workerd, against crypto.subtle", () => {
  it("agrees for every plaintext length from 0 to 80 bytes, both key sizes", async () => {
    for (const keySize of [16, 32]) {
      for (let length = 0; length <= 80; length++) await agree(keySize, 12, length, length % 21);
    }
  });

  it("agrees around the 16 KiB and 64 KiB marks and up to 70,000 bytes", async () => {
    for (const length of [16383, 16384, 16385, 65519, 65520, 65535, 65536, 65537, 70_000]) {
      await agree(length % 2 ? 16 : 32, 12, length, randomInt(40));
    }
  });

  it("agrees for IVs of 1 to 66 bytes and AAD longer than one chunk", async () => {
    for (let ivSize = 1; ivSize <= 66; ivSize++) await agree(ivSize % 2 ? 32 : 16, ivSize, randomInt(100), randomInt(33));
    await agree(32, 12, 100, 70_000);
  });

  it("streams in chunks to the same result as crypto.subtle", async () => {
    const [key, iv, pt, aad] = [random(32), random(12), random(70_000), random(50)];
    const stream = new AesGcmStream(key, iv).aad(aad);
    const parts = [stream.encrypt(pt.subarray(0, 1)), stream.encrypt(pt.subarray(1, 66_000)), stream.encrypt(pt.subarray(66_000))];
    const joined = new Uint8Array(70_000);
    joined.set(parts[0]!, 0);
    joined.set(parts[1]!, 1);
    joined.set(parts[2]!, 66_000);
    expect(hex(joined) + hex(stream.finish())).toBe(await subtleSeal(key, iv, pt, aad));
  });

  it("rejects every single-bit flip of a short message's ciphertext and tag", () => {
    const [key, iv, pt, aad] = [random(16), random(12), random(7), random(5)];
    const sealed = aesGcmEncrypt(key, iv, pt, aad);
    for (let bit = 0; bit < sealed.length * 8; bit++) {
      const tampered = sealed.slice();
      tampered[bit >> 3]! ^= 1 << (bit & 7);
      expect(() => aesGcmDecrypt(key, iv, tampered, aad), `bit ${bit}`).toThrow(AuthenticationError);
    }
  });

  it("leaves the I/O buffer zeroed and memory ungrown after many calls", () => {
    const before = core().memory.buffer.byteLength;
    const [key, iv] = [random(32), random(12)];
    for (let i = 0; i < 500; i++) {
      const [pt, aad] = [random(i), random(i % 17)];
      expect(hex(aesGcmDecrypt(key, iv, aesGcmEncrypt(key, iv, pt, aad), aad))).toBe(hex(pt));
    }
    expect(core().memory.buffer.byteLength).toBe(before);
    expect(ioBuffer().every((b) => b === 0)).toBe(true);
  });
});
