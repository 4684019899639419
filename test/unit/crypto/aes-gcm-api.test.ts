/**
 * The AES-GCM binding's contract for callers: argument errors are TypeError/RangeError with a
 * clear message and happen before any work; tags are always 16 bytes; AesGcmStream enforces its
 * call order and cannot be used after it ends.
 */
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { AES_GCM_TAG_LENGTH, AesGcmStream, AuthenticationError, aesGcmDecrypt, aesGcmEncrypt } from "../../../src/crypto/aes-gcm.ts";
import * as publicApi from "../../../src/crypto/index.ts";

const random = (n: number) => new Uint8Array(randomBytes(n));
const empty = new Uint8Array();

describe("AES-GCM binding arguments", () => {
  it("accepts only 16- and 32-byte keys", () => {
    for (const size of [0, 15, 17, 24, 31, 33, 64]) {
      expect(() => aesGcmEncrypt(random(size), random(12), empty, empty)).toThrow(
        new RangeError(`AES-GCM key must be 16 or 32 bytes, got ${size}`),
      );
      expect(() => aesGcmDecrypt(random(size), random(12), random(16), empty)).toThrow(RangeError);
      expect(() => new AesGcmStream(random(size), random(12))).toThrow(RangeError);
    }
  });

  it("rejects an empty IV", () => {
    expect(() => aesGcmEncrypt(random(16), empty, empty, empty)).toThrow(new RangeError("AES-GCM IV must not be empty"));
    expect(() => new AesGcmStream(random(16), empty)).toThrow(RangeError);
  });

  it("rejects a decryption input shorter than the tag", () => {
    for (const size of [0, 1, 15]) {
      expect(() => aesGcmDecrypt(random(16), random(12), random(size), empty)).toThrow(RangeError);
    }
  });

  it("rejects values that are not Uint8Arrays with a TypeError", () => {
    const notBytes = "0123456789abcdef" as unknown as Uint8Array;
    expect(() => aesGcmEncrypt(notBytes, random(12), empty, empty)).toThrow(new TypeError("key must be a Uint8Array"));
    expect(() => aesGcmEncrypt(random(16), random(12), notBytes, empty)).toThrow(TypeError);
    expect(() => aesGcmDecrypt(random(16), random(12), random(20), notBytes)).toThrow(TypeError);
  });

  it("returns ciphertext plus a 16-byte tag, and the empty message has only a tag", () => {
    expect(aesGcmEncrypt(random(32), random(12), random(5), empty).length).toBe(5 + AES_GCM_TAG_LENGTH);
    const key = random(16);
    const iv = random(12);
    const sealed = aesGcmEncrypt(key, iv, empty, empty);
    expect(sealed.length).toBe(AES_GCM_TAG_LENGTH);
    expect(aesGcmDecrypt(key, iv, sealed, empty).length).toBe(0);
  });

  it("is exported from the crypto package index", () => {
    expect(publicApi.aesGcmEncrypt).toBe(aesGcmEncrypt);
    expect(publicApi.aesGcmDecrypt).toBe(aesGcmDecrypt);
  });

  it("makes AuthenticationError an Error subclass", () => {
    expect(new AuthenticationError()).toBeInstanceOf(Error);
    expect(new AuthenticationError().name).toBe("AuthenticationError");
  });
});

describe("AesGcmStream call order", () => {
  it("refuses AAD after data and decryption after encryption", () => {
    const s = new AesGcmStream(random(16), random(12));
    s.encrypt(random(3));
    expect(() => s.aad(random(3))).toThrow("AES-GCM calls out of order");
    expect(() => s.encrypt(random(1))).toThrow("already finished");

    const t = new AesGcmStream(random(16), random(12));
    t.encrypt(random(3));
    expect(() => t.decrypt(random(3))).toThrow("AES-GCM calls out of order");
  });

  it("cannot be used after finish(), verify() or destroy()", () => {
    const key = random(32);
    const iv = random(12);
    const s = new AesGcmStream(key, iv);
    const ct = s.encrypt(random(10));
    const tag = s.finish();
    expect(() => s.finish()).toThrow("already finished");

    const d = new AesGcmStream(key, iv);
    d.decrypt(ct);
    d.verify(tag);
    expect(() => d.decrypt(ct)).toThrow("already finished");

    const bad = new AesGcmStream(key, iv);
    bad.decrypt(ct);
    expect(() => bad.verify(new Uint8Array(16))).toThrow(AuthenticationError);
    expect(() => bad.verify(tag)).toThrow("already finished");

    const gone = new AesGcmStream(key, iv);
    gone.destroy();
    expect(() => gone.encrypt(random(1))).toThrow("already finished");
  });

  it("refuses a tag that is not 16 bytes", () => {
    const d = new AesGcmStream(random(16), random(12));
    expect(() => d.verify(random(12))).toThrow(new RangeError("AES-GCM tag must be 16 bytes"));
  });
});
