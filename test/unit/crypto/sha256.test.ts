/**
 * SHA-256 through the binding: FIPS 180-4 known answers (the examples of NIST's "Cryptographic
 * Algorithm Validation / Examples with Intermediate Values" for SHA-256, and the one-million-'a'
 * message of FIPS 180-2 Appendix B.3), then differential tests against node:crypto.
 */
import { createHash, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { Sha256, sha256 } from "../../../src/crypto/hash.ts";

const ascii = (s: string) => new TextEncoder().encode(s);
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const reference = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

describe("SHA-256 known answers (FIPS 180-4)", () => {
  it("hashes the empty message", () => {
    expect(hex(sha256(new Uint8Array(0)))).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  });

  it('hashes "abc" (one block)', () => {
    expect(hex(sha256(ascii("abc")))).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });

  it("hashes the 448-bit message, whose padding spills into a second block", () => {
    expect(hex(sha256(ascii("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")))).toBe(
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
    );
  });

  it("hashes the 896-bit message", () => {
    const message = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
    expect(hex(sha256(ascii(message)))).toBe("cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
  });

  it("hashes one million 'a' bytes, streamed through the I/O buffer in chunks", () => {
    const expected = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
    const million = new Uint8Array(1_000_000).fill(0x61);
    expect(hex(sha256(million))).toBe(expected);
    const incremental = new Sha256();
    for (let i = 0; i < 1000; i++) incremental.update(million.subarray(i * 1000, (i + 1) * 1000));
    expect(hex(incremental.digest())).toBe(expected);
  });
});

describe("SHA-256 against node:crypto", () => {
  it("agrees for every length from 0 to 300 bytes", () => {
    for (let length = 0; length <= 300; length++) {
      const data = randomBytes(length);
      expect(hex(sha256(data)), `length ${length}`).toBe(reference(data));
    }
  });

  it("agrees around the 64 KiB I/O-buffer chunk boundaries", () => {
    const lengths = [];
    for (const boundary of [65536, 2 * 65536, 3 * 65536]) {
      for (let delta = -65; delta <= 65; delta += delta === -1 || delta === 0 ? 1 : 16) {
        lengths.push(boundary + delta);
      }
    }
    for (const length of lengths) {
      const data = randomBytes(length);
      expect(hex(sha256(data)), `length ${length}`).toBe(reference(data));
    }
  });

  it("hashes incrementally the same as in one shot, whatever the split points", () => {
    const data = randomBytes(200_000);
    for (let trial = 0; trial < 20; trial++) {
      const hash = new Sha256();
      let offset = 0;
      while (offset < data.length) {
        const step = Math.min(data.length - offset, Math.floor(Math.random() * (trial < 10 ? 130 : 90_000)));
        hash.update(data.subarray(offset, offset + step));
        offset += step;
      }
      expect(hex(hash.digest())).toBe(reference(data));
    }
  });

  it("keeps interleaved incremental hashes independent of each other and of one-shot calls", () => {
    const a = new Sha256().update(ascii("ab"));
    const b = new Sha256().update(ascii("xy"));
    sha256(randomBytes(100));
    a.update(ascii("c"));
    b.update(ascii("z"));
    expect(hex(a.digest())).toBe(reference(ascii("abc")));
    expect(hex(b.digest())).toBe(reference(ascii("xyz")));
  });

  it("refuses to reuse an incremental hash after digest or destroy", () => {
    const finished = new Sha256();
    finished.digest();
    expect(() => finished.update(ascii("x"))).toThrow(/already been finished/);
    expect(() => finished.digest()).toThrow(/already been finished/);
    const destroyed = new Sha256();
    destroyed.destroy();
    expect(() => destroyed.update(ascii("x"))).toThrow(/already been finished/);
  });
});
