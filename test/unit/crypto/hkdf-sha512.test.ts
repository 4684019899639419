/**
 * HKDF-SHA512 through the binding, against node:crypto's hkdfSync (OpenSSL) — Wycheproof has no
 * HKDF-SHA512 file in the copied set — and against RFC 5869 written out over node:crypto's HMAC
 * where hkdfSync cannot follow (info larger than its 1024-byte limit, which is also larger than
 * the core's 64 KiB I/O buffer). Also the output-length limit, 255 * 64 bytes.
 */
import { createHmac, hkdfSync, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { HKDF_SHA512_MAX_LENGTH, hkdfSha512 } from "../../../src/crypto/hash.ts";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const reference = (ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number) =>
  Buffer.from(hkdfSync("sha512", ikm, salt, info, length)).toString("hex");

/** RFC 5869 §2.2–2.3 over node:crypto's HMAC-SHA512. */
function rfc5869(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): string {
  const prk = createHmac("sha512", salt).update(ikm).digest();
  let t: Uint8Array = new Uint8Array(0);
  const blocks: Uint8Array[] = [];
  for (let i = 1; blocks.length * 64 < length; i++) {
    t = createHmac("sha512", prk).update(t).update(info).update(Uint8Array.of(i)).digest();
    blocks.push(t);
  }
  return Buffer.concat(blocks).subarray(0, length).toString("hex");
}

describe("HKDF-SHA512 against node:crypto", () => {
  it("agrees for random IKM, salt and info at output lengths around every block boundary", () => {
    for (const length of [1, 32, 63, 64, 65, 127, 128, 129, 1000, HKDF_SHA512_MAX_LENGTH]) {
      for (const [ikmLength, saltLength, infoLength] of [
        [32, 32, 11],
        [16, 0, 0],
        [200, 129, 100],
      ] as const) {
        const [ikm, salt, info] = [randomBytes(ikmLength), randomBytes(saltLength), randomBytes(infoLength)];
        expect(hex(hkdfSha512(ikm, salt, info, length)), `L ${length}`).toBe(reference(ikm, salt, info, length));
      }
    }
  });

  it("derives an empty output for L = 0", () => {
    expect(hkdfSha512(randomBytes(32), randomBytes(32), randomBytes(4), 0)).toEqual(new Uint8Array(0));
  });

  it("agrees for IKM and salt larger than the 64 KiB I/O buffer and info larger than it", () => {
    const [ikm, salt, info] = [randomBytes(70_000), randomBytes(65_537), randomBytes(66_000)];
    expect(hex(hkdfSha512(ikm, salt, info.subarray(0, 50), 200))).toBe(reference(ikm, salt, info.subarray(0, 50), 200));
    expect(hex(hkdfSha512(ikm, salt, info, 200))).toBe(rfc5869(ikm, salt, info, 200));
  });

  it("refuses an output longer than 255 * 64 bytes or not an integer", () => {
    expect(() => hkdfSha512(randomBytes(32), randomBytes(0), randomBytes(0), HKDF_SHA512_MAX_LENGTH + 1)).toThrow(RangeError);
    expect(() => hkdfSha512(randomBytes(32), randomBytes(0), randomBytes(0), 1.5)).toThrow(RangeError);
    expect(hex(hkdfSha512(new Uint8Array(32), new Uint8Array(0), new Uint8Array(0), 64))).toBe(
      reference(new Uint8Array(32), new Uint8Array(0), new Uint8Array(0), 64),
    );
  });
});
