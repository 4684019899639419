/**
 * AES-GCM integrity: flipping any single bit of the ciphertext, the tag, the IV or the AAD of a
 * short message must make decryption fail with AuthenticationError and return no plaintext; and
 * the failure must not leave plaintext in the I/O buffer.
 */
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { AuthenticationError, aesGcmDecrypt, aesGcmEncrypt } from "../../../src/crypto/aes-gcm.ts";
import { ioBuffer } from "../../../src/crypto/wasm.ts";

const random = (n: number) => new Uint8Array(randomBytes(n));

function flip(bytes: Uint8Array, bit: number): Uint8Array {
  const copy = bytes.slice();
  copy[bit >> 3]! ^= 1 << (bit & 7);
  return copy;
}

describe("AES-GCM tampering", () => {
  for (const keySize of [16, 32]) {
    for (const ivSize of [12, 16]) {
      it(`rejects every single-bit flip of ciphertext, tag, IV and AAD (${keySize * 8}-bit key, ${ivSize}-byte IV)`, () => {
        const [key, iv, pt, aad] = [random(keySize), random(ivSize), random(21), random(13)];
        const sealed = aesGcmEncrypt(key, iv, pt, aad);
        expect(Buffer.from(aesGcmDecrypt(key, iv, sealed, aad))).toEqual(Buffer.from(pt));
        let rejected = 0;
        for (let bit = 0; bit < sealed.length * 8; bit++) {
          expect(() => aesGcmDecrypt(key, iv, flip(sealed, bit), aad), `sealed bit ${bit}`).toThrow(AuthenticationError);
          rejected++;
        }
        for (let bit = 0; bit < iv.length * 8; bit++) {
          expect(() => aesGcmDecrypt(key, flip(iv, bit), sealed, aad), `iv bit ${bit}`).toThrow(AuthenticationError);
          rejected++;
        }
        for (let bit = 0; bit < aad.length * 8; bit++) {
          expect(() => aesGcmDecrypt(key, iv, sealed, flip(aad, bit)), `aad bit ${bit}`).toThrow(AuthenticationError);
          rejected++;
        }
        expect(rejected).toBe((sealed.length + iv.length + aad.length) * 8);
      });
    }
  }

  it("rejects a wrong key, a truncated message, an extended message and dropped AAD", () => {
    const [key, iv, pt, aad] = [random(32), random(12), random(40), random(8)];
    const sealed = aesGcmEncrypt(key, iv, pt, aad);
    expect(() => aesGcmDecrypt(random(32), iv, sealed, aad)).toThrow(AuthenticationError);
    expect(() => aesGcmDecrypt(key, iv, sealed.subarray(1), aad)).toThrow(AuthenticationError);
    expect(() => aesGcmDecrypt(key, iv, Buffer.concat([sealed, Buffer.of(0)]), aad)).toThrow(AuthenticationError);
    expect(() => aesGcmDecrypt(key, iv, sealed, new Uint8Array())).toThrow(AuthenticationError);
  });

  it("says nothing about the inputs when authentication fails, and leaves the I/O buffer zeroed", () => {
    const [key, iv, pt] = [random(16), random(12), new Uint8Array(64).fill(0x41)];
    const sealed = aesGcmEncrypt(key, iv, pt, new Uint8Array());
    const error = (() => {
      try {
        aesGcmDecrypt(key, iv, flip(sealed, 3), new Uint8Array());
      } catch (e) {
        return e as Error;
      }
      throw new Error("decryption of a tampered message succeeded");
    })();
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error.message).toBe("AES-GCM authentication failed");
    expect(ioBuffer().every((b) => b === 0)).toBe(true);
  });
});
