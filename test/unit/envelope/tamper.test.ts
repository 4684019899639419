/**
 * The envelope format's security properties (src/envelope/format.ts "Why this detects what it
 * must"), each shown on real messages: truncation at every frame boundary and at every byte, a
 * dropped final frame, reordered, duplicated and disguised frames, every bit of the header and of
 * each frame flipped, appended data, frames spliced in from another message under the same data
 * key, a swapped encrypted data key, and the wrong encryption context. Whole-message decrypt must
 * refuse each one with InvalidCiphertextException and release nothing; a decrypting stream must
 * error (never close normally) and release only frames that verified.
 */
import { describe, expect, it } from "vitest";
import { EnvelopeClient } from "../../../src/envelope/client.ts";
import { encodeEncryptionContext } from "../../../src/crypto/encryption-context.ts";
import { inProcessKms } from "./in-process-kms.ts";
import { chunked, concat, expectBytes, expectInvalid, layout, random } from "./support.ts";

const F = 64;
const CONTEXT = { tenant: "t-1", purpose: "tamper" };

async function fixture() {
  const kms = inProcessKms();
  const keyId = kms.createKey();
  const client = new EnvelopeClient({ format: "edgekms-v1", kms, keyId, frameSize: F });
  const data = random(5 * F + 10);
  const message = await client.encrypt(data, { encryptionContext: CONTEXT });
  return { kms, keyId, client, data, message, ...layout(message) };
}

/** Streams `message` through a decrypting stream; returns what it released and how it ended. */
async function streamDecrypt(client: EnvelopeClient, message: Uint8Array, context: Record<string, string> = CONTEXT) {
  const released: Uint8Array[] = [];
  const stream = client.decryptStream({ encryptionContext: context });
  let error: unknown;
  try {
    const reader = chunked(message, [17]).pipeThrough(stream).getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      released.push(value);
    }
  } catch (err) {
    error = err;
  }
  return { released: concat(...released), error, info: stream.info };
}

/** Both readers refuse `message`; the stream released at most a verified prefix of `data`. */
async function expectRefused(client: EnvelopeClient, message: Uint8Array, data: Uint8Array, context: Record<string, string> = CONTEXT) {
  await expectInvalid(client.decrypt(message, { encryptionContext: context }));
  const { released, error } = await streamDecrypt(client, message, context);
  expect(error).toMatchObject({ name: "InvalidCiphertextException" });
  expect(released.length % F).toBe(0);
  expectBytes(released, data.subarray(0, released.length));
}

describe("truncation", () => {
  it("a message cut at any frame boundary, including right after the header, is refused", async () => {
    const { client, data, message, headerLength, frames } = await fixture();
    const cuts = [headerLength, ...frames.slice(0, -1).map((f) => f.end)];
    expect(cuts.length).toBe(6);
    for (const cut of cuts) await expectRefused(client, message.subarray(0, cut), data);
  });

  it("a message cut at any byte is refused", async () => {
    const { client, message } = await fixture();
    for (let cut = 0; cut < message.length; cut++) await expectInvalid(client.decrypt(message.subarray(0, cut)));
  });

  it("dropping only the final frame is refused even though every remaining frame verifies", async () => {
    const { client, data, message, frames } = await fixture();
    const withoutFinal = message.subarray(0, frames.at(-1)!.start);
    await expectInvalid(client.decrypt(withoutFinal));
    const { released, error } = await streamDecrypt(client, withoutFinal);
    // The stream released the five verified frames, then refused to end normally.
    expectBytes(released, data.subarray(0, 5 * F));
    expect(error).toMatchObject({ name: "InvalidCiphertextException" });
  });

  it("an empty input and a bare header are refused", async () => {
    const { client, message, headerLength } = await fixture();
    await expectInvalid(client.decrypt(new Uint8Array(0)));
    await expectInvalid(client.decrypt(message.subarray(0, headerLength)));
  });
});

describe("frame order", () => {
  it("swapping any two adjacent frames is refused", async () => {
    const { client, data, message, headerLength, frames } = await fixture();
    for (let i = 0; i + 1 < frames.length; i++) {
      const parts = frames.map((f) => message.subarray(f.start, f.end));
      [parts[i], parts[i + 1]] = [parts[i + 1]!, parts[i]!];
      await expectRefused(client, concat(message.subarray(0, headerLength), ...parts), data);
    }
  });

  it("duplicating any frame is refused", async () => {
    const { client, data, message, headerLength, frames } = await fixture();
    for (let i = 0; i < frames.length; i++) {
      const parts = frames.map((f) => message.subarray(f.start, f.end));
      parts.splice(i, 0, parts[i]!);
      await expectRefused(client, concat(message.subarray(0, headerLength), ...parts), data);
    }
  });

  it("dropping a middle frame and renumbering the rest is refused (IVs and AADs carry the sequence)", async () => {
    const { client, data, message, headerLength, frames } = await fixture();
    const parts = frames.map((f) => message.slice(f.start, f.end));
    parts.splice(2, 1);
    for (let i = 2; i < parts.length - 1; i++) new DataView(parts[i]!.buffer).setUint32(0, i + 1);
    new DataView(parts.at(-1)!.buffer).setUint32(4, parts.length);
    await expectRefused(client, concat(message.subarray(0, headerLength), ...parts), data);
  });

  it("a regular frame relabelled as the final frame is refused (the frame type is authenticated)", async () => {
    const { client, data, message, frames } = await fixture();
    const second = frames[1]!;
    const sealed = message.subarray(second.start + 4, second.end);
    const disguised = new Uint8Array(12 + sealed.length);
    const view = new DataView(disguised.buffer);
    view.setUint32(0, 0xffffffff);
    view.setUint32(4, 2);
    view.setUint32(8, F);
    disguised.set(sealed, 12);
    await expectRefused(client, concat(message.subarray(0, second.start), disguised), data);
  });
});

describe("modification", () => {
  it("flipping any bit of the header, including its tag, is refused", async () => {
    const { kms, client, data, message, headerLength } = await fixture();
    for (let bit = 0; bit < headerLength * 8; bit++) {
      const copy = message.slice();
      copy[bit >> 3]! ^= 1 << (bit & 7);
      await expectInvalid(client.decrypt(copy, { encryptionContext: CONTEXT }));
    }
    // The stream reader refuses them too (checked on a sample: one bit per header byte).
    for (let byte = 0; byte < headerLength; byte += 7) {
      const copy = message.slice();
      copy[byte]! ^= 0x80;
      await expectRefused(client, copy, data);
    }
    expect(kms.calls.decrypt).toBeGreaterThan(0);
  });

  it("flipping any bit of any frame is refused", async () => {
    const { client, data, message, frames } = await fixture();
    for (const frame of frames) {
      for (let at = frame.start; at < frame.end; at++) {
        const copy = message.slice();
        copy[at]! ^= 1 << (at % 8);
        await expectInvalid(client.decrypt(copy, { encryptionContext: CONTEXT }));
      }
    }
    const copy = message.slice();
    copy[frames[3]!.start + 10]! ^= 1;
    await expectRefused(client, copy, data);
  });

  it("any data after the final frame is refused", async () => {
    const { client, data, message, headerLength, frames } = await fixture();
    await expectRefused(client, concat(message, new Uint8Array([0])), data);
    await expectRefused(client, concat(message, message.subarray(frames.at(-1)!.start)), data);
    await expectRefused(client, concat(message, message.subarray(headerLength)), data);
    await expectRefused(client, concat(message, message), data);
  });

  it("frames from another message under the same (cached) data key are refused: each message has its own key", async () => {
    const kms = inProcessKms();
    const client = new EnvelopeClient({ format: "edgekms-v1", kms, keyId: kms.createKey(), frameSize: F, cache: { maxAgeMs: 60_000 } });
    const data = random(5 * F + 10);
    const a = await client.encrypt(data, { encryptionContext: CONTEXT });
    const b = await client.encrypt(data, { encryptionContext: CONTEXT });
    expect(kms.calls.generateDataKey).toBe(1);
    const la = layout(a);
    const lb = layout(b);
    // Same data key, so the same encrypted data key in both headers; the frames still differ.
    expect(Buffer.compare(a.subarray(la.headerLength), b.subarray(lb.headerLength))).not.toBe(0);
    const spliced = concat(a.subarray(0, la.headerLength), b.subarray(lb.headerLength));
    await expectRefused(client, spliced, data);
    const mixed = concat(a.subarray(0, la.frames[2]!.start), b.subarray(lb.frames[2]!.start));
    await expectRefused(client, mixed, data);
  });

  it("an encrypted data key swapped for one of another data key (same KMS key and context) is refused", async () => {
    const { kms, keyId, client, data, message, headerLength } = await fixture();
    const view = new DataView(message.buffer);
    const contextLength = view.getUint16(74);
    const edkAt = 76 + contextLength + 1;
    const edkLength = view.getUint16(edkAt);
    const other = await kms.generateDataKey({ KeyId: keyId, KeySpec: "AES_256", EncryptionContext: CONTEXT });
    expect(other.CiphertextBlob!.length).toBe(edkLength);
    const swapped = message.slice();
    swapped.set(other.CiphertextBlob!, edkAt + 2);
    await expectRefused(client, swapped, data);
    expect(headerLength).toBeGreaterThan(edkAt + edkLength);
  });

  it("a header whose context was rewritten (same length) fails at KMS, which bound the data key to the context", async () => {
    const { kms, client, data, message } = await fixture();
    const original = encodeEncryptionContext(CONTEXT);
    const forged = encodeEncryptionContext({ tenant: "t-2", purpose: "tamper" });
    expect(forged.length).toBe(original.length);
    const copy = message.slice();
    copy.set(forged, 76);
    const before = kms.calls.decrypt;
    await expectRefused(client, copy, data, { tenant: "t-2" });
    expect(kms.calls.decrypt).toBeGreaterThan(before);
  });

  it("random bytes and a KMS ciphertext blob (another format) are refused", async () => {
    const { kms, keyId, client } = await fixture();
    await expectInvalid(client.decrypt(random(1000)));
    const blob = (await kms.generateDataKey({ KeyId: keyId, KeySpec: "AES_256" })).CiphertextBlob!;
    await expectInvalid(client.decrypt(blob));
  });
});

describe("encryption context", () => {
  it("decrypting with a different value for a context key is refused before KMS is asked", async () => {
    const { kms, client, data, message } = await fixture();
    const before = kms.calls.decrypt;
    await expectRefused(client, message, data, { tenant: "t-2", purpose: "tamper" });
    expect(kms.calls.decrypt).toBe(before);
  });

  it("decrypting with an extra context key the message does not carry is refused", async () => {
    const { client, data, message } = await fixture();
    await expectRefused(client, message, data, { ...CONTEXT, extra: "x" });
  });

  it("a message encrypted without context refuses a reader that expects one", async () => {
    const kms = inProcessKms();
    const client = new EnvelopeClient({ format: "edgekms-v1", kms, keyId: kms.createKey(), frameSize: F });
    const data = random(100);
    await expectRefused(client, await client.encrypt(data), data);
  });

  it("a failed stream rejects its info promise, and a good one resolves it with the context and key", async () => {
    const { client, keyId, message } = await fixture();
    const bad = await streamDecrypt(client, message, { tenant: "nope", purpose: "tamper" });
    await expect(bad.info).rejects.toMatchObject({ name: "InvalidCiphertextException" });
    const good = await streamDecrypt(client, message);
    expect(good.error).toBeUndefined();
    await expect(good.info).resolves.toEqual({
      encryptionContext: CONTEXT,
      keyId,
      frameSize: F,
      headerLength: layout(message).headerLength,
      format: "edgekms-v1",
    });
  });
});
