/**
 * The byte table of src/envelope/format.ts, checked by an independent reader written here from the
 * documentation alone with node:crypto (HKDF-SHA256, AES-256-GCM): if the table and the code ever
 * disagree, this fails. Also: the header parser's refusals, IV uniqueness, and that the client
 * wipes the plaintext data keys KMS hands it.
 */
import { createDecipheriv, hkdfSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { EnvelopeClient } from "../../../src/envelope/client.ts";
import { decodeEncryptionContext, encodeHeader, frameIv, FormatError, parseHeader, plaintextLength } from "../../../src/envelope/format.ts";
import { encodeEncryptionContext } from "../../../src/crypto/encryption-context.ts";
import type { KmsTransport } from "../../../src/envelope/transport.ts";
import { inProcessKms } from "./in-process-kms.ts";
import { concat, expectBytes, random } from "./support.ts";

const CONTEXT = { b: "2", a: "1", "": "empty key" };

/** Reads a message by the documented table, given the plaintext data key. */
function readByTheTable(message: Uint8Array, dataKey: Uint8Array) {
  const view = new DataView(message.buffer, message.byteOffset, message.byteLength);
  expect(Buffer.from(message.subarray(0, 4)).toString("latin1")).toBe("EKEM");
  expect(message[4]).toBe(1);
  expect(message[5]).toBe(1);
  const messageId = message.subarray(6, 38);
  const commitment = message.subarray(38, 70);
  const frameSize = view.getUint32(70);
  const c = view.getUint16(74);
  const context = message.subarray(76, 76 + c);
  let at = 76 + c;
  const n = message[at++]!;
  const blobs: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const l = view.getUint16(at);
    blobs.push(message.subarray(at + 2, at + 2 + l));
    at += 2 + l;
  }
  const info = Buffer.concat([Buffer.from("EdgeKMS envelope v1"), Buffer.from([1])]);
  const okm = new Uint8Array(hkdfSync("sha256", dataKey, messageId, info, 64));
  const key = okm.subarray(0, 32);
  expectBytes(commitment, okm.subarray(32));
  const gcmOpen = (iv: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array, tag: Uint8Array) => {
    const d = createDecipheriv("aes-256-gcm", key, iv);
    d.setAAD(aad);
    d.setAuthTag(tag);
    return new Uint8Array(Buffer.concat([d.update(ciphertext), d.final()]));
  };
  const iv = (s: number) => concat(new Uint8Array(8), new Uint8Array([s >>> 24, (s >>> 16) & 255, (s >>> 8) & 255, s & 255]));
  const aad = (type: number, s: number, len: number) => {
    const out = new Uint8Array(9);
    out[0] = type;
    new DataView(out.buffer).setUint32(1, s);
    new DataView(out.buffer).setUint32(5, len);
    return out;
  };
  // Header tag: GCM over the empty plaintext with IV 0 and the header as AAD.
  expect(gcmOpen(iv(0), message.subarray(0, at), new Uint8Array(0), message.subarray(at, at + 16)).length).toBe(0);
  at += 16;
  const plaintext: Uint8Array[] = [];
  for (let s = 1; ; s++) {
    if (view.getUint32(at) === 0xffffffff) {
      expect(view.getUint32(at + 4)).toBe(s);
      const len = view.getUint32(at + 8);
      plaintext.push(
        gcmOpen(iv(s), aad(1, s, len), message.subarray(at + 12, at + 12 + len), message.subarray(at + 12 + len, at + 28 + len)),
      );
      at += 28 + len;
      break;
    }
    expect(view.getUint32(at)).toBe(s);
    plaintext.push(
      gcmOpen(
        iv(s),
        aad(0, s, frameSize),
        message.subarray(at + 4, at + 4 + frameSize),
        message.subarray(at + 4 + frameSize, at + 20 + frameSize),
      ),
    );
    at += 20 + frameSize;
  }
  expect(at).toBe(message.length);
  return { frameSize, context, blobs, plaintext: concat(...plaintext) };
}

/** A transport that remembers every plaintext data key it handed out. */
function recording(kms: KmsTransport) {
  const handedOut: Uint8Array[] = [];
  const keep = <T extends { Plaintext?: Uint8Array }>(out: T): T => {
    handedOut.push(out.Plaintext!);
    return { ...out, Plaintext: out.Plaintext };
  };
  const transport: KmsTransport = {
    generateDataKey: async (input) => keep(await kms.generateDataKey(input)),
    decrypt: async (input) => keep(await kms.decrypt(input)),
  };
  return { transport, handedOut };
}

describe("the documented byte table", () => {
  it("an independent node:crypto reader following the table decrypts a client message", async () => {
    const kms = inProcessKms();
    const keyId = kms.createKey();
    const data = random(3 * 50 + 7);
    const message = await new EnvelopeClient({ format: "edgekms-v1", kms, keyId, frameSize: 50 }).encrypt(data, {
      encryptionContext: CONTEXT,
    });
    const header = parseHeader(message);
    if (header === "incomplete") throw new Error("header incomplete");
    const { Plaintext: dataKey } = await kms.decrypt({ CiphertextBlob: header.encryptedDataKeys[0]!, EncryptionContext: CONTEXT });
    const read = readByTheTable(message, dataKey!);
    expect(read.frameSize).toBe(50);
    expectBytes(read.context, encodeEncryptionContext(CONTEXT));
    expect(read.blobs.length).toBe(1);
    expectBytes(read.plaintext, data);
  });

  it("frame IVs are 8 zero bytes and the big-endian sequence number, distinct for every frame", () => {
    expectBytes(frameIv(0), new Uint8Array(12));
    expectBytes(frameIv(0x01020304), new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4]));
    const seen = new Set<string>();
    for (let s = 0; s < 5000; s++) seen.add(Buffer.from(frameIv(s)).toString("hex"));
    expect(seen.size).toBe(5000);
  });
});

describe("plaintext length from message length", () => {
  it("gives every message's plaintext length from its length, header length and frame size, and undefined for impossible lengths", async () => {
    const kms = inProcessKms();
    const client = new EnvelopeClient({ format: "edgekms-v1", kms, keyId: kms.createKey(), frameSize: 50 });
    const message = await client.encrypt(random(0));
    const headerLength = message.length - 28;
    for (let size = 0; size <= 400; size++) {
      const m = size === 0 ? message : await client.encrypt(random(size));
      expect(plaintextLength(m.length, headerLength, 50)).toBe(size);
    }
    expect(plaintextLength(headerLength + 27, headerLength, 50)).toBeUndefined();
    // 28 + 51 bytes after the header: a final frame cannot hold 51 bytes, and a regular one needs 70.
    expect(plaintextLength(headerLength + 28 + 51, headerLength, 50)).toBeUndefined();
  });
});

describe("header parsing", () => {
  const fields = {
    messageId: random(32),
    commitment: random(32),
    frameSize: 4096,
    encryptionContext: { k: "v" },
    encryptedDataKeys: [random(120), random(5)],
  };

  it("parses what it encodes, and asks for more input at every shorter length", () => {
    const header = concat(encodeHeader(fields), random(16));
    const parsed = parseHeader(header);
    if (parsed === "incomplete") throw new Error("incomplete");
    expect(parsed.frameSize).toBe(4096);
    expect(parsed.encryptionContext).toEqual({ k: "v" });
    expect(parsed.encryptedDataKeys.map((k) => k.length)).toEqual([120, 5]);
    expect(parsed.length).toBe(header.length);
    for (let n = 0; n < header.length; n++) expect(parseHeader(header.subarray(0, n))).toBe("incomplete");
  });

  it("refuses a wrong magic, version or suite, frame sizes out of range, and zero or too many data keys", () => {
    const good = concat(encodeHeader(fields), random(16));
    const at = (offset: number, value: number) => {
      const copy = good.slice();
      copy[offset] = value;
      return copy;
    };
    expect(() => parseHeader(at(0, 0x46))).toThrow(FormatError);
    expect(() => parseHeader(at(4, 2))).toThrow(FormatError);
    expect(() => parseHeader(at(5, 2))).toThrow(FormatError);
    const zeroFrame = good.slice();
    new DataView(zeroFrame.buffer).setUint32(70, 0);
    expect(() => parseHeader(zeroFrame)).toThrow(FormatError);
    const hugeFrame = good.slice();
    new DataView(hugeFrame.buffer).setUint32(70, 2 ** 24 + 1);
    expect(() => parseHeader(hugeFrame)).toThrow(FormatError);
    const countAt = 76 + encodeEncryptionContext({ k: "v" }).length;
    expect(() => parseHeader(at(countAt, 0))).toThrow(FormatError);
    expect(() => parseHeader(at(countAt, 17))).toThrow(FormatError);
    expect(() => encodeHeader({ ...fields, encryptedDataKeys: [] })).toThrow(RangeError);
    expect(() => encodeHeader({ ...fields, frameSize: 0 })).toThrow(RangeError);
  });

  it("accepts only the canonical context encoding (sorted, no duplicates, valid UTF-8, nothing trailing)", () => {
    expect(decodeEncryptionContext(encodeEncryptionContext({ b: "1", a: "2" }))).toEqual({ a: "2", b: "1" });
    const pair = (k: string, v: string) => {
      const kb = new TextEncoder().encode(k);
      const vb = new TextEncoder().encode(v);
      return concat(new Uint8Array([0, kb.length]), kb, new Uint8Array([0, vb.length]), vb);
    };
    expect(() => decodeEncryptionContext(concat(new Uint8Array([0, 2]), pair("b", "1"), pair("a", "2")))).toThrow(FormatError);
    expect(() => decodeEncryptionContext(concat(new Uint8Array([0, 2]), pair("a", "1"), pair("a", "2")))).toThrow(FormatError);
    expect(() => decodeEncryptionContext(concat(new Uint8Array([0, 1, 0, 1, 0xff, 0, 0])))).toThrow(FormatError);
    expect(() => decodeEncryptionContext(concat(encodeEncryptionContext({ a: "1" }), new Uint8Array([0])))).toThrow(FormatError);
    expect(() => decodeEncryptionContext(new Uint8Array([0, 1, 0, 5, 0x61]))).toThrow(FormatError);
    // {"ab":"c"} and {"a":"bc"} encode differently and decode back to themselves.
    expect(decodeEncryptionContext(encodeEncryptionContext({ ab: "c" }))).toEqual({ ab: "c" });
    expect(decodeEncryptionContext(encodeEncryptionContext({ a: "bc" }))).toEqual({ a: "bc" });
  });
});

describe("data key hygiene", () => {
  it("the plaintext data keys from GenerateDataKey and Decrypt are zeroed once a message is done", async () => {
    const kms = inProcessKms();
    const { transport, handedOut } = recording(kms);
    const client = new EnvelopeClient({ format: "edgekms-v1", kms: transport, keyId: kms.createKey(), frameSize: 64 });
    const data = random(1000);
    const message = await client.encrypt(data);
    await client.decrypt(message);
    const streamed = client.encryptStream();
    const writer = streamed.writable.getWriter();
    const reading = new Response(streamed.readable).arrayBuffer();
    await writer.write(data);
    // The key is wiped as soon as the message key exists, long before the stream ends.
    expect(handedOut.length).toBe(3);
    expect(handedOut.every((key) => key.length === 32 && key.every((b) => b === 0))).toBe(true);
    await writer.close();
    await reading;
  });

  it("a data key is zeroed even when KMS hands back one of the wrong length", async () => {
    const kms = inProcessKms();
    const short = new Uint8Array(16).fill(7);
    const client = new EnvelopeClient({
      kms: { ...kms, generateDataKey: async (input) => ({ ...(await kms.generateDataKey(input)), Plaintext: short }) },
      keyId: kms.createKey(),
    });
    await expect(client.encrypt(random(10))).rejects.toThrow(TypeError);
    expect(short.every((b) => b === 0)).toBe(true);
  });
});
