/**
 * Envelope client round trips (src/envelope/client.ts) over an in-process KMS: sizes from 0 bytes
 * to 64 MiB around frame boundaries, whole messages and Web Streams in both directions with odd
 * chunkings, every pairing of writer and reader, the WebAssembly and WebCrypto ciphers producing
 * each other's messages, several KMS keys per message, and what decrypt reports.
 */
import { describe, expect, it } from "vitest";
import { webCryptoCipher } from "../../../src/envelope/cipher.ts";
import { EnvelopeClient } from "../../../src/envelope/client.ts";
import { inProcessKms } from "./in-process-kms.ts";
import { chunked, collect, expectBytes, layout, random } from "./support.ts";

const F = 100;
const SMALL_SIZES = [0, 1, F - 1, F, F + 1, 2 * F - 1, 2 * F, 2 * F + 1, 10 * F, 10 * F + 37];
const CONTEXT = { tenant: "t-1", purpose: "round trip" };

function setup(frameSize = F) {
  const kms = inProcessKms();
  const keyId = kms.createKey();
  return { kms, keyId, client: new EnvelopeClient({ format: "edgekms-v1", kms, keyId, frameSize }) };
}

describe("whole messages", () => {
  it.each(SMALL_SIZES)("a %i-byte message with 100-byte frames decrypts to the same bytes", async (size) => {
    const { client, keyId } = setup();
    const data = random(size);
    const message = await client.encrypt(data, { encryptionContext: CONTEXT });
    const { frames } = layout(message);
    // Regular frames hold exactly F bytes; the final frame holds the rest (1..F, or 0 when empty).
    expect(frames.length).toBe(size === 0 ? 1 : Math.ceil(size / F));
    expect(frames.at(-1)!.final).toBe(true);
    const result = await client.decrypt(message, { encryptionContext: CONTEXT });
    expectBytes(result.plaintext, data);
    expect(result.encryptionContext).toEqual(CONTEXT);
    expect(result.keyId).toBe(keyId);
    expect(result.frameSize).toBe(F);
  });

  it.each([65535, 65536, 65537, 5 * 65536 + 3])("a %i-byte message with the default 64 KiB frames round-trips", async (size) => {
    const kms = inProcessKms();
    const client = new EnvelopeClient({ format: "edgekms-v1", kms, keyId: kms.createKey() });
    const data = random(size);
    const message = await client.encrypt(data);
    expect(layout(message).frames.length).toBe(Math.ceil(size / 65536));
    expectBytes((await client.decrypt(message)).plaintext, data);
  });

  it("a 64 MiB message round-trips, written whole and read as a stream", { timeout: 60_000 }, async () => {
    const kms = inProcessKms();
    const client = new EnvelopeClient({ format: "edgekms-v1", kms, keyId: kms.createKey() });
    const data = random(64 * 1024 * 1024);
    const message = await client.encrypt(data, { encryptionContext: CONTEXT });
    expect(message.length).toBe(data.length + layout(message).headerLength + 1023 * 20 + 28);
    const plaintext = await collect(chunked(message, [1 << 20]).pipeThrough(client.decryptStream({ encryptionContext: CONTEXT })));
    expect(plaintext.length).toBe(data.length);
    expectBytes(plaintext, data);
  });

  it("two encryptions of the same data differ (fresh data key and message ID each time)", async () => {
    const { client } = setup();
    const data = random(300);
    const a = await client.encrypt(data);
    const b = await client.encrypt(data);
    expect(a.length).toBe(b.length);
    expect(Buffer.compare(a, b)).not.toBe(0);
  });

  it("a message encrypted under several KMS keys opens when KMS can decrypt only the last copy of the data key", async () => {
    const kms = inProcessKms();
    const [first, second] = [kms.createKey(), kms.createKey()];
    const writer = new EnvelopeClient({ format: "edgekms-v1", kms, keyId: first, additionalKeyIds: [second], frameSize: F });
    const data = random(3 * F + 1);
    const message = await writer.encrypt(data, { encryptionContext: CONTEXT });
    // A reader whose KMS refuses the first key (as KMS does for a key the caller may not use).
    const refusing = {
      generateDataKey: kms.generateDataKey,
      async decrypt(input: Parameters<typeof kms.decrypt>[0]) {
        if (new TextDecoder().decode(input.CiphertextBlob).includes(first)) {
          throw Object.assign(new Error("not allowed"), { name: "AccessDeniedException" });
        }
        return kms.decrypt(input);
      },
    };
    const result = await new EnvelopeClient({ format: "edgekms-v1", kms: refusing }).decrypt(message, { encryptionContext: CONTEXT });
    expectBytes(result.plaintext, data);
    expect(result.keyId).toBe(second);
    expect(kms.calls.encrypt).toBe(1);
  });

  it("a reader needs no key ID or frame size: both come from the message", async () => {
    const { kms, client } = setup(37);
    const data = random(1000);
    const message = await client.encrypt(data);
    const reader = new EnvelopeClient({ format: "edgekms-v1", kms, frameSize: 4096 });
    expectBytes((await reader.decrypt(message)).plaintext, data);
  });

  it("decrypting with a subset of the context succeeds and reports the whole context", async () => {
    const { client } = setup();
    const message = await client.encrypt(random(10), { encryptionContext: CONTEXT });
    const result = await client.decrypt(message, { encryptionContext: { tenant: "t-1" } });
    expect(result.encryptionContext).toEqual(CONTEXT);
  });
});

describe("streams", () => {
  const chunkings = [[1], [7, 13], [F], [3 * F + 5], [65536]];

  it.each(SMALL_SIZES)("a %i-byte stream encrypts and decrypts under every chunking", async (size) => {
    const { client } = setup();
    const data = random(size);
    for (const sizes of chunkings) {
      const message = await collect(chunked(data, sizes).pipeThrough(client.encryptStream({ encryptionContext: CONTEXT })));
      // The stream writer produces exactly the layout of the whole-message writer.
      expect(layout(message).frames.length).toBe(size === 0 ? 1 : Math.ceil(size / F));
      expectBytes((await client.decrypt(message, { encryptionContext: CONTEXT })).plaintext, data);
      const whole = await client.encrypt(data, { encryptionContext: CONTEXT });
      const decrypting = client.decryptStream({ encryptionContext: CONTEXT });
      expectBytes(await collect(chunked(whole, sizes).pipeThrough(decrypting)), data);
      expect((await decrypting.info).encryptionContext).toEqual(CONTEXT);
    }
  });

  it("an encrypting stream emits frames while its input is still arriving, holding at most one frame", async () => {
    const { client } = setup(1024);
    const total = 256 * 1024;
    let pulled = 0;
    const source = new ReadableStream<Uint8Array>(
      {
        pull(controller) {
          if (pulled >= total) return controller.close();
          pulled += 512;
          controller.enqueue(random(512));
        },
      },
      { highWaterMark: 0 },
    );
    let emitted = 0;
    let worstLag = 0;
    const reader = source.pipeThrough(client.encryptStream(), { preventCancel: false }).getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (value.length > 100) emitted += value.length - 20; // frames (the first chunk is the header)
      worstLag = Math.max(worstLag, pulled - emitted);
    }
    // The stream's queues hold a few chunks; nothing like the 256 KiB input is ever buffered.
    expect(worstLag).toBeLessThan(8 * 1024);
  });

  it("a decrypting stream releases each verified frame before the rest of the message has arrived", async () => {
    const { client } = setup(1024);
    const data = random(64 * 1024);
    const message = await client.encrypt(data);
    const { headerLength } = layout(message);
    const decrypting = client.decryptStream();
    const writer = decrypting.writable.getWriter();
    const reader = decrypting.readable.getReader();
    void writer.write(message.subarray(0, headerLength + 1044 + 1044));
    const first = await reader.read();
    expectBytes(first.value!, data.subarray(0, 1024));
    const second = await reader.read();
    expectBytes(second.value!, data.subarray(1024, 2048));
    void writer.write(message.subarray(headerLength + 2088));
    void writer.close();
    const rest: Uint8Array[] = [];
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      rest.push(value);
    }
    expect(rest.reduce((n, p) => n + p.length, 0)).toBe(data.length - 2048);
  });

  it("an encrypting stream given plaintextLength refuses to carry more or fewer bytes", async () => {
    const { client } = setup();
    await expect(collect(chunked(random(11)).pipeThrough(client.encryptStream({ plaintextLength: 10 })))).rejects.toThrow(RangeError);
    await expect(collect(chunked(random(9)).pipeThrough(client.encryptStream({ plaintextLength: 10 })))).rejects.toThrow(RangeError);
    const exact = await collect(chunked(random(10)).pipeThrough(client.encryptStream({ plaintextLength: 10 })));
    expect((await client.decrypt(exact)).plaintext.length).toBe(10);
  });
});

describe("WebAssembly and WebCrypto ciphers", () => {
  it.each([0, 1, F, F + 1, 10 * F + 37])("a %i-byte message from either cipher opens with the other", async (size) => {
    const kms = inProcessKms();
    const keyId = kms.createKey();
    const wasm = new EnvelopeClient({ format: "edgekms-v1", kms, keyId, frameSize: F });
    const web = new EnvelopeClient({ format: "edgekms-v1", kms, keyId, frameSize: F, cipher: webCryptoCipher });
    const data = random(size);
    expectBytes((await web.decrypt(await wasm.encrypt(data, { encryptionContext: CONTEXT }))).plaintext, data);
    expectBytes((await wasm.decrypt(await web.encrypt(data, { encryptionContext: CONTEXT }))).plaintext, data);
    const streamed = await collect(chunked(data, [33]).pipeThrough(web.encryptStream()));
    expectBytes(await collect(chunked(streamed, [50]).pipeThrough(wasm.decryptStream())), data);
  });
});

describe("arguments and KMS errors", () => {
  it("refuses non-byte input, a missing key, bad frame sizes and non-string context values", async () => {
    const kms = inProcessKms();
    const keyId = kms.createKey();
    expect(() => new EnvelopeClient({ format: "edgekms-v1", kms, keyId, frameSize: 0 })).toThrow(RangeError);
    expect(() => new EnvelopeClient({ format: "edgekms-v1", kms, keyId, frameSize: 2 ** 24 + 1 })).toThrow(RangeError);
    expect(() => new EnvelopeClient({ format: "edgekms-v1", kms: {} as never })).toThrow(TypeError);
    const client = new EnvelopeClient({ format: "edgekms-v1", kms });
    await expect(client.encrypt(random(1))).rejects.toThrow(TypeError);
    const keyed = new EnvelopeClient({ format: "edgekms-v1", kms, keyId });
    await expect(keyed.encrypt("text" as never)).rejects.toThrow(TypeError);
    await expect(keyed.encrypt(random(1), { encryptionContext: { n: 1 } as never })).rejects.toThrow(TypeError);
    expect(kms.calls.generateDataKey).toBe(0);
  });

  it("passes KMS errors through with their AWS names", async () => {
    const { kms, client } = setup();
    const message = await client.encrypt(random(10));
    kms.failWith("AccessDeniedException");
    await expect(client.encrypt(random(10))).rejects.toMatchObject({ name: "AccessDeniedException" });
    await expect(client.decrypt(message)).rejects.toMatchObject({ name: "AccessDeniedException" });
    await expect(collect(chunked(random(10)).pipeThrough(client.encryptStream()))).rejects.toMatchObject({ name: "AccessDeniedException" });
    kms.failWith(undefined);
    const unknown = new EnvelopeClient({ format: "edgekms-v1", kms, keyId: "arn:aws:kms:us-east-1:111122223333:key/none" });
    await expect(unknown.encrypt(random(1))).rejects.toMatchObject({ name: "NotFoundException" });
  });
});

describe("expected encryption context with keys that differ only in case (issue 11, item 6)", () => {
  const ISSUE_CONTEXT = JSON.parse('{"tenant":"carol","Tenant":"alice"}') as Record<string, string>;

  it("refuses a message whose context holds a case variant of an expected key, whichever variant is expected", async () => {
    const { client } = setup();
    const message = await client.encrypt(random(10), { encryptionContext: { ...ISSUE_CONTEXT, app: "billing" } });
    for (const expected of [{ tenant: "carol" }, { Tenant: "alice" }, { TENANT: "alice" }, ISSUE_CONTEXT]) {
      await expect(client.decrypt(message, { encryptionContext: expected })).rejects.toMatchObject({ name: "InvalidCiphertextException" });
    }
    // Keys nobody collides with are still checked as before.
    expect((await client.decrypt(message, { encryptionContext: { app: "billing" } })).encryptionContext).toEqual({
      ...ISSUE_CONTEXT,
      app: "billing",
    });
  });

  it("matches an expected key exactly, as KMS's context is case-sensitive", async () => {
    const { client } = setup();
    const message = await client.encrypt(random(10), { encryptionContext: { Tenant: "alice" } });
    await expect(client.decrypt(message, { encryptionContext: { tenant: "alice" } })).rejects.toMatchObject({
      name: "InvalidCiphertextException",
    });
    await expect(client.decrypt(message, { encryptionContext: { Tenant: "alice" } })).resolves.toBeDefined();
  });
});
