/**
 * The v1 ciphertext blob (src/crypto/envelope.ts over assembly/envelope.ts): round trips, the byte
 * layout cross-checked in both directions against WebCrypto (HKDF-SHA256 + AES-256-GCM), tamper
 * and truncation resistance, encryption-context binding, header parsing of garbage, argument
 * errors, and memory hygiene of the core.
 */
import { describe, expect, it } from "vitest";
import { encodeEncryptionContext } from "../../../src/crypto/encryption-context.ts";
import { type CiphertextHeader, openCiphertext, readCiphertextHeader, sealCiphertext } from "../../../src/crypto/envelope.ts";
import { core, ioBuffer } from "../../../src/crypto/wasm.ts";

const ARN = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const HEADER: CiphertextHeader = { keyArn: ARN, backingKeyVersion: 3 };
const INFO = new TextEncoder().encode("EdgeKMS ciphertext v1");
const EMPTY_CONTEXT = encodeEncryptionContext({});
const CONTEXT = encodeEncryptionContext({ purpose: "unit test", department: "10103.0" });

function random(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let at = 0; at < length; at += 65536) crypto.getRandomValues(bytes.subarray(at, at + 65536));
  return bytes;
}

const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

function flip(bytes: Uint8Array, bit: number): Uint8Array {
  const copy = bytes.slice();
  copy[bit >> 3]! ^= 1 << (bit & 7);
  return copy;
}

/** The fields of a blob, sliced by the byte table in assembly/envelope.ts. */
function fields(blob: Uint8Array) {
  const l = blob[1]!;
  return {
    header: blob.subarray(0, 34 + l),
    salt: blob.subarray(6 + l, 22 + l),
    iv: blob.subarray(22 + l, 34 + l),
    sealed: blob.subarray(34 + l), // ciphertext || tag, as WebCrypto's AES-GCM takes it
  };
}

async function messageKey(backingKey: Uint8Array, salt: Uint8Array): Promise<Uint8Array> {
  const ikm = await crypto.subtle.importKey("raw", backingKey, "HKDF", false, ["deriveBits"]);
  return new Uint8Array(await crypto.subtle.deriveBits({ name: "HKDF", hash: "SHA-256", salt, info: INFO }, ikm, 256));
}

/** Opens a blob with WebCrypto alone, following the byte table. */
async function subtleOpen(backingKey: Uint8Array, blob: Uint8Array, context: Uint8Array): Promise<Uint8Array> {
  const { header, salt, iv, sealed } = fields(blob);
  const key = await crypto.subtle.importKey("raw", await messageKey(backingKey, salt), "AES-GCM", false, ["decrypt"]);
  const aad = concat(header, context);
  return new Uint8Array(await crypto.subtle.decrypt({ name: "AES-GCM", iv, additionalData: aad, tagLength: 128 }, key, sealed));
}

/** Seals a blob with WebCrypto alone, with any header bytes (including ones seal would refuse). */
async function subtleSeal(backingKey: Uint8Array, header: Uint8Array, context: Uint8Array, plaintext: Uint8Array) {
  const l = header[1]!;
  const salt = header.subarray(6 + l, 22 + l);
  const iv = header.subarray(22 + l, 34 + l);
  const key = await crypto.subtle.importKey("raw", await messageKey(backingKey, salt), "AES-GCM", false, ["encrypt"]);
  const aad = concat(header, context);
  const sealed = await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: aad, tagLength: 128 }, key, plaintext);
  return concat(header, new Uint8Array(sealed));
}

/** A v1 header: format version, L, ARN, u32 BE backing-key version, random salt and IV. */
function rawHeader(arn: Uint8Array, keyVersion: number, formatVersion = 1, declaredLength = arn.length): Uint8Array {
  const header = new Uint8Array(34 + arn.length);
  header[0] = formatVersion;
  header[1] = declaredLength;
  header.set(arn, 2);
  new DataView(header.buffer).setUint32(2 + arn.length, keyVersion);
  header.set(random(28), 6 + arn.length);
  return header;
}

const LENGTHS = [
  1, 2, 3, 7, 8, 15, 16, 17, 31, 32, 33, 47, 48, 63, 64, 65, 95, 96, 97, 111, 112, 113, 127, 128, 129, 255, 256, 257, 511, 512, 513, 1000,
  1023, 1024, 1025, 2047, 2048, 2049, 3000, 4095, 4096,
];

describe("ciphertext blob round trips", () => {
  for (const [name, context] of [
    ["an empty", EMPTY_CONTEXT],
    ["a non-empty", CONTEXT],
  ] as const) {
    it(`opens what it sealed for plaintexts of 1 to 4096 bytes with ${name} encryption context`, () => {
      const backingKey = random(32);
      for (const length of LENGTHS) {
        const plaintext = random(length);
        const blob = sealCiphertext(backingKey, HEADER, context, plaintext);
        expect(blob.length, `length ${length}`).toBe(50 + ARN.length + length);
        expect(openCiphertext(backingKey, blob, context), `length ${length}`).toEqual(plaintext);
      }
    });
  }

  it("opens an empty plaintext, which the format allows even though KMS does not", () => {
    const backingKey = random(32);
    const blob = sealCiphertext(backingKey, HEADER, CONTEXT, new Uint8Array(0));
    expect(blob.length).toBe(50 + ARN.length);
    expect(openCiphertext(backingKey, blob, CONTEXT)).toEqual(new Uint8Array(0));
  });

  it("writes the version byte, the ARN length, the ARN and the big-endian backing-key version where the table says", () => {
    const blob = sealCiphertext(random(32), { keyArn: ARN, backingKeyVersion: 0x01020304 }, CONTEXT, random(10));
    const arn = new TextEncoder().encode(ARN);
    expect(blob[0]).toBe(1);
    expect(blob[1]).toBe(arn.length);
    expect(blob.subarray(2, 2 + arn.length)).toEqual(arn);
    expect([...blob.subarray(2 + arn.length, 6 + arn.length)]).toEqual([1, 2, 3, 4]);
    expect(readCiphertextHeader(blob)).toEqual({ keyArn: ARN, backingKeyVersion: 0x01020304 });
  });

  it("draws a fresh salt and IV for every message, so sealing the same input twice differs", () => {
    const backingKey = random(32);
    const plaintext = random(32);
    const a = fields(sealCiphertext(backingKey, HEADER, CONTEXT, plaintext));
    const b = fields(sealCiphertext(backingKey, HEADER, CONTEXT, plaintext));
    expect(a.salt).not.toEqual(b.salt);
    expect(a.iv).not.toEqual(b.iv);
    expect(a.sealed).not.toEqual(b.sealed);
  });

  it("round-trips ARNs of 1 and 255 UTF-8 bytes, multi-byte characters and a leading byte-order mark", () => {
    const backingKey = random(32);
    for (const keyArn of ["a", "€".repeat(85), "\uFEFFarn:aws:kms:eu-west-1:1:key/ü", "k".repeat(255)]) {
      const header = { keyArn, backingKeyVersion: 1 };
      const blob = sealCiphertext(backingKey, header, CONTEXT, random(20));
      expect(readCiphertextHeader(blob)).toEqual(header);
      expect(openCiphertext(backingKey, blob, CONTEXT)).toHaveLength(20);
    }
  });

  it("accepts backing-key versions 1 and 2^32 - 1", () => {
    const backingKey = random(32);
    for (const backingKeyVersion of [1, 0xffffffff]) {
      const blob = sealCiphertext(backingKey, { keyArn: ARN, backingKeyVersion }, CONTEXT, random(5));
      expect(readCiphertextHeader(blob)?.backingKeyVersion).toBe(backingKeyVersion);
      expect(openCiphertext(backingKey, blob, CONTEXT)).toHaveLength(5);
    }
  });

  it("seals and opens the largest plaintext that fits the I/O buffer with its context, and refuses one byte more", () => {
    const backingKey = random(32);
    const arnLength = new TextEncoder().encode(ARN).length;
    const largest = ioBuffer().length - 32 - 50 - arnLength - CONTEXT.length;
    const plaintext = random(largest);
    const blob = sealCiphertext(backingKey, HEADER, CONTEXT, plaintext);
    expect(openCiphertext(backingKey, blob, CONTEXT)).toEqual(plaintext);
    expect(() => sealCiphertext(backingKey, HEADER, CONTEXT, random(largest + 1))).toThrow(RangeError);
  });
});

describe("ciphertext blob layout against WebCrypto", () => {
  it("decrypts with WebCrypto HKDF-SHA256 and AES-256-GCM using AAD = header || context", async () => {
    const backingKey = random(32);
    for (const length of [1, 16, 17, 100, 1024, 4096]) {
      for (const context of [EMPTY_CONTEXT, CONTEXT]) {
        const plaintext = random(length);
        const blob = sealCiphertext(backingKey, HEADER, context, plaintext);
        expect(await subtleOpen(backingKey, blob, context), `length ${length}`).toEqual(plaintext);
      }
    }
  });

  it("is not opened by WebCrypto when the context is left out of the AAD, so the context really is authenticated", async () => {
    const backingKey = random(32);
    const blob = sealCiphertext(backingKey, HEADER, CONTEXT, random(40));
    await expect(subtleOpen(backingKey, blob, new Uint8Array(0))).rejects.toThrow();
  });

  it("opens blobs that WebCrypto sealed by the byte table", async () => {
    const backingKey = random(32);
    const arn = new TextEncoder().encode(ARN);
    for (const length of [0, 1, 33, 4096]) {
      const plaintext = random(length);
      const blob = await subtleSeal(backingKey, rawHeader(arn, 7), CONTEXT, plaintext);
      expect(readCiphertextHeader(blob)).toEqual({ keyArn: ARN, backingKeyVersion: 7 });
      expect(openCiphertext(backingKey, blob, CONTEXT), `length ${length}`).toEqual(plaintext);
    }
  });

  it("refuses correctly tagged blobs whose header breaks the format rules", async () => {
    const backingKey = random(32);
    const arn = new TextEncoder().encode(ARN);
    const cases: [string, Uint8Array][] = [
      ["format version 2", rawHeader(arn, 1, 2)],
      ["format version 0", rawHeader(arn, 1, 0)],
      ["backing-key version 0", rawHeader(arn, 0)],
      ["ARN length 0", rawHeader(new Uint8Array(0), 1)],
    ];
    for (const [name, header] of cases) {
      const blob = await subtleSeal(backingKey, header, CONTEXT, random(16));
      expect(readCiphertextHeader(blob), name).toBeUndefined();
      expect(openCiphertext(backingKey, blob, CONTEXT), name).toBeUndefined();
    }
  });

  it("reads but does not decode an ARN that is not UTF-8, which seal can never produce", async () => {
    const backingKey = random(32);
    const blob = await subtleSeal(backingKey, rawHeader(new Uint8Array([0x61, 0xff, 0x62]), 1), CONTEXT, random(8));
    expect(readCiphertextHeader(blob)).toBeUndefined();
  });
});

describe("ciphertext blob integrity", () => {
  const backingKey = random(32);
  const shortArn = "arn:aws:kms:us-east-1:111122223333:key/k";
  const header = { keyArn: shortArn, backingKeyVersion: 2 };
  const plaintext = random(5);
  const blob = sealCiphertext(backingKey, header, CONTEXT, plaintext);

  it("opens the untouched blob (the baseline the tamper cases are measured against)", () => {
    expect(openCiphertext(backingKey, blob, CONTEXT)).toEqual(plaintext);
  });

  it("fails to open after any single-bit flip anywhere in the blob", () => {
    let rejected = 0;
    for (let bit = 0; bit < blob.length * 8; bit++) {
      expect(openCiphertext(backingKey, flip(blob, bit), CONTEXT), `bit ${bit}`).toBeUndefined();
      rejected++;
    }
    expect(rejected).toBe((50 + shortArn.length + 5) * 8);
  });

  it("fails to open every truncation of the blob", () => {
    for (let length = 0; length < blob.length; length++) {
      expect(openCiphertext(backingKey, blob.subarray(0, length), CONTEXT), `length ${length}`).toBeUndefined();
    }
  });

  it("fails to open the blob with bytes appended", () => {
    for (const extra of [new Uint8Array(1), random(1), random(16), random(1000)]) {
      expect(openCiphertext(backingKey, concat(blob, extra), CONTEXT)).toBeUndefined();
    }
  });

  it("fails to open under another backing key", () => {
    expect(openCiphertext(random(32), blob, CONTEXT)).toBeUndefined();
    expect(openCiphertext(flip(backingKey, 255), blob, CONTEXT)).toBeUndefined();
  });

  it("fails to open under another encryption context, including an empty one", () => {
    for (const other of [
      EMPTY_CONTEXT,
      new Uint8Array(0),
      encodeEncryptionContext({ purpose: "unit test" }),
      encodeEncryptionContext({ purpose: "unit test", department: "10103.1" }),
      encodeEncryptionContext({ purpose: "unit test", department: "10103.0", extra: "" }),
      concat(CONTEXT, new Uint8Array(1)),
    ]) {
      expect(openCiphertext(backingKey, blob, other)).toBeUndefined();
    }
  });

  it('keeps {"ab":"c"} and {"a":"bc"} apart: they encode differently and neither opens the other\'s blob', () => {
    const abC = encodeEncryptionContext({ ab: "c" });
    const aBc = encodeEncryptionContext({ a: "bc" });
    expect(abC).not.toEqual(aBc);
    const underAbC = sealCiphertext(backingKey, header, abC, plaintext);
    const underABc = sealCiphertext(backingKey, header, aBc, plaintext);
    expect(openCiphertext(backingKey, underAbC, abC)).toEqual(plaintext);
    expect(openCiphertext(backingKey, underABc, aBc)).toEqual(plaintext);
    expect(openCiphertext(backingKey, underAbC, aBc)).toBeUndefined();
    expect(openCiphertext(backingKey, underABc, abC)).toBeUndefined();
  });

  it("fails to open when the header is rewritten to name another key or backing-key version", async () => {
    const { sealed } = fields(blob);
    const l = blob[1]!;
    const otherVersion = blob.slice(0, 34 + l);
    new DataView(otherVersion.buffer).setUint32(2 + l, 3);
    const otherArn = blob.slice(0, 34 + l);
    otherArn[2 + l - 1] = "j".charCodeAt(0);
    for (const forged of [concat(otherVersion, sealed), concat(otherArn, sealed)]) {
      expect(readCiphertextHeader(forged)).toBeDefined();
      expect(openCiphertext(backingKey, forged, CONTEXT)).toBeUndefined();
    }
  });

  it("fails to open when the context would not fit the I/O buffer beside the blob", () => {
    expect(openCiphertext(backingKey, blob, random(ioBuffer().length))).toBeUndefined();
  });
});

describe("readCiphertextHeader", () => {
  it("returns the key ARN and backing-key version of a sealed blob", () => {
    const blob = sealCiphertext(random(32), HEADER, CONTEXT, random(3));
    expect(readCiphertextHeader(blob)).toEqual(HEADER);
  });

  it("returns undefined for blobs too short to hold their own header and tag", () => {
    const blob = sealCiphertext(random(32), HEADER, CONTEXT, new Uint8Array(0));
    expect(readCiphertextHeader(blob)).toEqual(HEADER);
    for (let length = 0; length < blob.length; length++) {
      expect(readCiphertextHeader(blob.subarray(0, length)), `length ${length}`).toBeUndefined();
    }
  });

  it("reads a header from a subarray that does not start at the beginning of its buffer", () => {
    const blob = sealCiphertext(random(32), HEADER, CONTEXT, random(9));
    const padded = concat(random(7), blob, random(5));
    expect(readCiphertextHeader(padded.subarray(7, 7 + blob.length))).toEqual(HEADER);
  });

  it("never throws on random bytes, random lengths, mutated blobs or values that are not byte arrays", () => {
    const blob = sealCiphertext(random(32), HEADER, CONTEXT, random(12));
    const inputs: unknown[] = [undefined, null, "blob", 42, {}, [1, 2, 3], new ArrayBuffer(100), new Uint16Array(60)];
    for (let i = 0; i < 3000; i++) inputs.push(random(i % 400));
    for (let i = 0; i < 3000; i++) {
      const bytes = random(2 + (i % 340));
      bytes[0] = 1; // mostly past the version check, so the length and UTF-8 paths get exercised
      inputs.push(bytes);
    }
    for (let i = 0; i < 2000; i++) {
      const mutated = blob.slice(0, 1 + ((i * 7) % blob.length));
      mutated[(i * 13) % mutated.length] = i & 0xff;
      inputs.push(mutated);
    }
    let answered = 0;
    for (const input of inputs) {
      const header = readCiphertextHeader(input as Uint8Array);
      if (header !== undefined) {
        expect(header.backingKeyVersion).toBeGreaterThanOrEqual(1);
        expect(header.keyArn.length).toBeGreaterThan(0);
      }
      answered++;
    }
    expect(answered).toBe(inputs.length);
  });

  it("never lets garbage open either", () => {
    const backingKey = random(32);
    for (let i = 0; i < 2000; i++) {
      const bytes = random(i % 200);
      if (bytes.length > 0) bytes[0] = 1;
      expect(openCiphertext(backingKey, bytes, EMPTY_CONTEXT)).toBeUndefined();
    }
  });
});

describe("ciphertext blob arguments", () => {
  const plaintext = random(8);

  it("refuses a backing key that is not 32 bytes with a RangeError, when sealing and when opening", () => {
    const blob = sealCiphertext(random(32), HEADER, CONTEXT, plaintext);
    for (const length of [0, 16, 31, 33, 64]) {
      expect(() => sealCiphertext(random(length), HEADER, CONTEXT, plaintext), `length ${length}`).toThrow(RangeError);
      expect(() => openCiphertext(random(length), blob, CONTEXT), `length ${length}`).toThrow(RangeError);
    }
  });

  it("refuses an empty ARN and one over 255 UTF-8 bytes with a RangeError", () => {
    for (const keyArn of ["", "k".repeat(256), "€".repeat(86)]) {
      expect(() => sealCiphertext(random(32), { keyArn, backingKeyVersion: 1 }, CONTEXT, plaintext)).toThrow(RangeError);
    }
  });

  it("refuses an ARN with a lone surrogate, which would not read back as the same string, with a TypeError", () => {
    expect(() => sealCiphertext(random(32), { keyArn: "arn\uD800", backingKeyVersion: 1 }, CONTEXT, plaintext)).toThrow(TypeError);
  });

  it("refuses backing-key versions that are not integers from 1 to 2^32 - 1 with a RangeError", () => {
    for (const backingKeyVersion of [0, -1, 1.5, 2 ** 32, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => sealCiphertext(random(32), { keyArn: ARN, backingKeyVersion }, CONTEXT, plaintext)).toThrow(RangeError);
    }
  });

  it("refuses arguments of the wrong type with a TypeError", () => {
    const key = random(32);
    const bad = "not bytes" as unknown as Uint8Array;
    expect(() => sealCiphertext(bad, HEADER, CONTEXT, plaintext)).toThrow(TypeError);
    expect(() => sealCiphertext(key, HEADER, bad, plaintext)).toThrow(TypeError);
    expect(() => sealCiphertext(key, HEADER, CONTEXT, bad)).toThrow(TypeError);
    expect(() => sealCiphertext(key, null as unknown as CiphertextHeader, CONTEXT, plaintext)).toThrow(TypeError);
    expect(() => sealCiphertext(key, { keyArn: 5, backingKeyVersion: 1 } as never, CONTEXT, plaintext)).toThrow(TypeError);
    expect(() => openCiphertext(key, bad, CONTEXT)).toThrow(TypeError);
  });

  it("refuses an oversize plaintext with a RangeError that does not quote it", () => {
    const big = new Uint8Array(70_000).fill(0x41);
    let message = "";
    try {
      sealCiphertext(random(32), HEADER, CONTEXT, big);
    } catch (error) {
      expect(error).toBeInstanceOf(RangeError);
      message = (error as Error).message;
    }
    expect(message).toMatch(/too large/);
    expect(message).not.toContain("AAAA");
  });
});

describe("ciphertext blob memory hygiene", () => {
  const memory = () => new Uint8Array(core().memory.buffer);
  const isZero = (bytes: Uint8Array) => bytes.every((b) => b === 0);

  function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
    for (let i = haystack.indexOf(needle[0]!); i !== -1 && i <= haystack.length - needle.length; i = haystack.indexOf(needle[0]!, i + 1)) {
      let j = 1;
      while (j < needle.length && haystack[i + j] === needle[j]) j++;
      if (j === needle.length) return true;
    }
    return false;
  }

  it("leaves the I/O buffer zeroed after sealing, opening and failing to open", () => {
    const backingKey = random(32);
    const blob = sealCiphertext(backingKey, HEADER, CONTEXT, random(300));
    expect(isZero(ioBuffer())).toBe(true);
    openCiphertext(backingKey, blob, CONTEXT);
    expect(isZero(ioBuffer())).toBe(true);
    expect(openCiphertext(backingKey, flip(blob, blob.length * 8 - 1), CONTEXT)).toBeUndefined();
    expect(isZero(ioBuffer())).toBe(true);
    expect(() => sealCiphertext(backingKey, HEADER, CONTEXT, random(70_000))).toThrow(RangeError);
    expect(isZero(ioBuffer())).toBe(true);
  });

  it("leaves no trace of the backing key, the message key or the plaintext anywhere in linear memory", async () => {
    const backingKey = random(32);
    const plaintext = random(64);
    const blob = sealCiphertext(backingKey, HEADER, CONTEXT, plaintext);
    const key = await messageKey(backingKey, fields(blob).salt);
    const needles = [backingKey, key, plaintext.subarray(0, 32), plaintext.subarray(32)];
    for (const needle of needles) expect(contains(memory(), needle)).toBe(false);
    expect(openCiphertext(backingKey, blob, CONTEXT)).toEqual(plaintext);
    for (const needle of needles) expect(contains(memory(), needle)).toBe(false);
    // A failed open decrypts the ciphertext before the tag check fails: that plaintext must go too.
    expect(openCiphertext(backingKey, flip(blob, blob.length * 8 - 1), CONTEXT)).toBeUndefined();
    for (const needle of needles) expect(contains(memory(), needle)).toBe(false);
  });

  it("does not grow linear memory across thousands of calls", () => {
    const before = core().memory.buffer.byteLength;
    const backingKey = random(32);
    let opened = 0;
    let refused = 0;
    for (let i = 0; i < 2000; i++) {
      const plaintext = random(1 + (i % 1024));
      const blob = sealCiphertext(backingKey, HEADER, CONTEXT, plaintext);
      // Compared by hand: expect().toEqual on thousands of byte arrays costs seconds.
      const result = openCiphertext(backingKey, blob, i % 2 ? CONTEXT : EMPTY_CONTEXT);
      if (result?.every((b, j) => b === plaintext[j]) && result.length === plaintext.length) opened++;
      if (result === undefined) refused++;
    }
    expect([opened, refused]).toEqual([1000, 1000]);
    expect(core().memory.buffer.byteLength).toBe(before);
  });
});
