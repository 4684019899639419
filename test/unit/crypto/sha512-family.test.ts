/**
 * SHA-224, SHA-384 and SHA-512 through the binding: FIPS 180-4 known answers (NIST's "Examples
 * with Intermediate Values" for "abc" and the two-block messages), then differential tests against
 * node:crypto for every length from 0 to 300 bytes, lengths around the block and padding
 * boundaries, the 64 KiB I/O-buffer chunks, a large input, and incremental use.
 */
import { createHash, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { Sha224, Sha384, Sha512, sha224, sha384, sha512 } from "../../../src/crypto/hash.ts";

const ascii = (s: string) => new TextEncoder().encode(s);
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

const hashes = [
  { name: "sha224", oneShot: sha224, Incremental: Sha224, block: 64 },
  { name: "sha384", oneShot: sha384, Incremental: Sha384, block: 128 },
  { name: "sha512", oneShot: sha512, Incremental: Sha512, block: 128 },
] as const;

describe("SHA-224, SHA-384 and SHA-512 known answers (FIPS 180-4 examples)", () => {
  const two56 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  const two112 = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
  it.each([
    [sha224, "abc", "23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7"],
    [sha224, two56, "75388b16512776cc5dba5da1fd890150b0c6455cb4f58b1952522525"],
    [sha384, "abc", "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7"],
    [sha384, two112, "09330c33f71147e83d192fc782cd1b4753111b173b3b05d22fa08086e3b0f712fcc7c71a557e2db966c3e9fa91746039"],
    [
      sha512,
      "abc",
      "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
    ],
    [
      sha512,
      two112,
      "8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909",
    ],
    [
      sha512,
      "",
      "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e",
    ],
  ])("%o hashes the example message", (fn, message, digest) => {
    expect(hex(fn(ascii(message)))).toBe(digest);
  });
});

describe.each(hashes)("$name against node:crypto", ({ name, oneShot, Incremental, block }) => {
  const reference = (b: Uint8Array) => createHash(name).update(b).digest("hex");

  it("agrees for every length from 0 to 300 bytes", () => {
    for (let length = 0; length <= 300; length++) {
      const data = randomBytes(length);
      expect(hex(oneShot(data)), `length ${length}`).toBe(reference(data));
    }
  });

  it("agrees around every block and padding boundary up to four blocks", () => {
    // The length field takes the last 8 (SHA-224) or 16 bytes of a block: messages that leave less
    // room than that spill their padding into another block.
    const lengthField = block === 64 ? 8 : 16;
    for (let blocks = 1; blocks <= 4; blocks++) {
      for (const edge of [blocks * block, blocks * block - lengthField]) {
        for (let delta = -2; delta <= 2; delta++) {
          const data = randomBytes(edge + delta);
          expect(hex(oneShot(data)), `length ${edge + delta}`).toBe(reference(data));
        }
      }
    }
  });

  it("agrees around the 64 KiB I/O-buffer chunk boundaries and for a 5 MiB input", () => {
    for (const length of [65535, 65536, 65537, 131071, 131072, 131073, 5 * 1024 * 1024 + 3]) {
      const data = randomBytes(length);
      expect(hex(oneShot(data)), `length ${length}`).toBe(reference(data));
    }
  });

  it("hashes incrementally the same as in one shot, whatever the split points", () => {
    const data = randomBytes(200_000);
    for (let trial = 0; trial < 10; trial++) {
      const hash = new Incremental();
      for (let offset = 0; offset < data.length; ) {
        const step = Math.min(data.length - offset, Math.floor(Math.random() * (trial < 5 ? 300 : 90_000)));
        hash.update(data.subarray(offset, offset + step));
        offset += step;
      }
      expect(hex(hash.digest())).toBe(reference(data));
    }
  });

  it("keeps interleaved incremental hashes independent of each other and of one-shot calls", () => {
    const a = new Incremental().update(ascii("ab"));
    const b = new Incremental().update(ascii("xy"));
    oneShot(randomBytes(100));
    sha512(randomBytes(10));
    sha224(randomBytes(10));
    a.update(ascii("c"));
    b.update(ascii("z"));
    expect(hex(a.digest())).toBe(reference(ascii("abc")));
    expect(hex(b.digest())).toBe(reference(ascii("xyz")));
    expect(() => a.update(ascii("x"))).toThrow(/already been finished/);
  });
});
