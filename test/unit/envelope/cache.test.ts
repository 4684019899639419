/**
 * Data-key caching (src/envelope/cache.ts) through the envelope client: off by default; when on,
 * one GenerateDataKey (or Decrypt) serves several messages until max age, max messages or max
 * bytes is reached; entries are per key and context; streams of unknown length bypass a cache
 * with maxBytes; expired and evicted keys are zeroed.
 */
import { describe, expect, it } from "vitest";
import { DataKeyCache } from "../../../src/envelope/cache.ts";
import { EnvelopeClient } from "../../../src/envelope/client.ts";
import { inProcessKms } from "./in-process-kms.ts";
import { chunked, collect, expectBytes, random } from "./support.ts";

function setup(cache?: ConstructorParameters<typeof DataKeyCache>[0]) {
  let now = 1_000_000;
  const kms = inProcessKms();
  const keyId = kms.createKey();
  const client = new EnvelopeClient({ format: "edgekms-v1", kms, keyId, frameSize: 64, cache: cache && { now: () => now, ...cache } });
  return { kms, keyId, client, advance: (ms: number) => (now += ms) };
}

describe("caching is off by default", () => {
  it("every message costs one GenerateDataKey and one Decrypt", async () => {
    const { kms, client } = setup();
    for (let i = 0; i < 3; i++) await client.decrypt(await client.encrypt(random(10)));
    expect(kms.calls).toEqual({ generateDataKey: 3, decrypt: 3, encrypt: 0 });
  });
});

describe("limits", () => {
  it("max age: an entry serves messages until it is maxAgeMs old", async () => {
    const { kms, client, advance } = setup({ maxAgeMs: 1000 });
    await client.encrypt(random(10));
    advance(999);
    await client.encrypt(random(10));
    expect(kms.calls.generateDataKey).toBe(1);
    advance(1);
    await client.encrypt(random(10));
    expect(kms.calls.generateDataKey).toBe(2);
  });

  it("max messages: an entry serves exactly maxMessages messages", async () => {
    const { kms, client } = setup({ maxAgeMs: 60_000, maxMessages: 3 });
    for (let i = 0; i < 7; i++) await client.encrypt(random(10));
    // Messages 1-3 share a key, 4-6 the next, 7 a third.
    expect(kms.calls.generateDataKey).toBe(3);
  });

  it("max bytes: an entry protects at most maxBytes plaintext bytes", async () => {
    const { kms, client } = setup({ maxAgeMs: 60_000, maxBytes: 100 });
    await client.encrypt(random(40)); // new key, 40 bytes
    await client.encrypt(random(60)); // same key: 100 bytes, now exhausted
    expect(kms.calls.generateDataKey).toBe(1);
    await client.encrypt(random(1)); // new key
    expect(kms.calls.generateDataKey).toBe(2);
    await client.encrypt(random(100)); // does not fit what is left: a fresh key, not cached (it alone reaches the limit)
    await client.encrypt(random(1)); // still fits the second key's entry
    expect(kms.calls.generateDataKey).toBe(3);
    await client.encrypt(random(150)); // larger than the limit: always a fresh key
    expect(kms.calls.generateDataKey).toBe(4);
  });

  it("max bytes: a stream of unknown length bypasses the cache; one with plaintextLength uses it", async () => {
    const { kms, client } = setup({ maxAgeMs: 60_000, maxBytes: 1000 });
    await client.encrypt(random(10));
    await collect(chunked(random(10)).pipeThrough(client.encryptStream()));
    expect(kms.calls.generateDataKey).toBe(2);
    await collect(chunked(random(10)).pipeThrough(client.encryptStream({ plaintextLength: 10 })));
    expect(kms.calls.generateDataKey).toBe(2);
  });

  it("entries are per encryption context and per KMS key", async () => {
    const { kms, client } = setup({ maxAgeMs: 60_000 });
    const other = kms.createKey();
    await client.encrypt(random(10), { encryptionContext: { t: "1" } });
    await client.encrypt(random(10), { encryptionContext: { t: "2" } });
    await client.encrypt(random(10), { encryptionContext: { t: "1" } });
    await client.encrypt(random(10), { encryptionContext: { t: "1" }, keyId: other });
    expect(kms.calls.generateDataKey).toBe(3);
  });

  it("decryption: messages sharing an encrypted data key cost one Decrypt until the entry expires", async () => {
    const { kms, client, advance } = setup({ maxAgeMs: 1000, maxMessages: 10 });
    const data = random(200);
    const messages = [await client.encrypt(data), await client.encrypt(data), await client.encrypt(data)];
    expect(kms.calls.generateDataKey).toBe(1);
    for (const m of messages) expectBytes((await client.decrypt(m)).plaintext, data);
    expect(kms.calls.decrypt).toBe(1);
    advance(1000);
    await client.decrypt(messages[0]!);
    expect(kms.calls.decrypt).toBe(2);
  });

  it("a cached decryption key is used only for the context KMS bound it to", async () => {
    const { kms, client } = setup({ maxAgeMs: 60_000 });
    const message = await client.encrypt(random(10), { encryptionContext: { t: "1" } });
    await client.decrypt(message);
    // A forged header with the same encrypted data key but another context misses the cache and
    // goes to KMS, which refuses it.
    const copy = message.slice();
    copy[copy.indexOf(0x31, 76)] = 0x32; // t: "1" -> t: "2" in the canonical context
    await expect(client.decrypt(copy)).rejects.toMatchObject({ name: "InvalidCiphertextException" });
    expect(kms.calls.decrypt).toBe(2);
  });

  it("a data key whose message fails to verify is not cached", async () => {
    const { kms, client } = setup({ maxAgeMs: 60_000 });
    const message = await client.encrypt(random(10));
    const tampered = message.slice();
    tampered[40]! ^= 1; // the key commitment: KMS opens the data key, the message still fails
    await expect(client.decrypt(tampered)).rejects.toMatchObject({ name: "InvalidCiphertextException" });
    await client.decrypt(message);
    await client.decrypt(message);
    // The failed attempt cached nothing; the good message cached its key for the third call.
    expect(kms.calls.decrypt).toBe(2);
  });
});

describe("the cache object", () => {
  it("needs maxAgeMs and positive limits", () => {
    expect(() => new DataKeyCache({} as never)).toThrow(RangeError);
    expect(() => new DataKeyCache({ maxAgeMs: 0 })).toThrow(RangeError);
    expect(() => new DataKeyCache({ maxAgeMs: 10, maxBytes: -1 })).toThrow(RangeError);
  });

  it("zeroes keys when they expire, are exhausted, are evicted for space, or on clear()", () => {
    let now = 0;
    const cache = new DataKeyCache({ maxAgeMs: 100, maxMessages: 2, maxEntries: 2, now: () => now });
    const stored: Uint8Array[] = [];
    // The cache keeps its own copy; capture it through what takeForEncryption copies from.
    const put = (id: string) => {
      cache.putForEncryption(id, { dataKey: random(32), encryptedDataKeys: [random(8)], keyId: "k" }, 1);
      const taken = cache.takeForEncryption(id, 1);
      stored.push(taken!.dataKey);
    };
    put("a"); // used twice: exhausted and evicted
    expect(cache.size).toBe(0);
    expect(cache.takeForEncryption("a", 1)).toBeUndefined();
    cache.putForEncryption("b", { dataKey: random(32), encryptedDataKeys: [], keyId: "k" }, 1);
    cache.putForEncryption("c", { dataKey: random(32), encryptedDataKeys: [], keyId: "k" }, 1);
    cache.putForEncryption("d", { dataKey: random(32), encryptedDataKeys: [], keyId: "k" }, 1);
    expect(cache.size).toBe(2);
    expect(cache.takeForEncryption("b", 1)).toBeUndefined();
    now = 100;
    expect(cache.size).toBe(0);
    cache.putForDecryption("e", { dataKey: random(32), keyId: "k" });
    expect(cache.size).toBe(1);
    cache.clear();
    expect(cache.size).toBe(0);
    // Copies handed out are the caller's: still intact after the entry is gone.
    expect(stored[0]!.some((b) => b !== 0)).toBe(true);
  });

  it("wipes the cached copy itself, not only forgets it", () => {
    const cache = new DataKeyCache({ maxAgeMs: 100 });
    const key = random(32);
    cache.putForDecryption("x", { dataKey: key, keyId: "k" });
    const internal: Uint8Array[] = [];
    const fill = Uint8Array.prototype.fill;
    Uint8Array.prototype.fill = function (this: Uint8Array, ...args: Parameters<typeof fill>) {
      if (this.length === 32) internal.push(this);
      return fill.apply(this, args);
    } as typeof fill;
    try {
      cache.clear();
    } finally {
      Uint8Array.prototype.fill = fill;
    }
    expect(internal.length).toBe(1);
    expect(internal[0]!.every((b) => b === 0)).toBe(true);
    expectBytes(key, key); // the caller's array was copied, not taken over
  });
});
