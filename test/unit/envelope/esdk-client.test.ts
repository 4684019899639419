/**
 * The envelope client's options and bookkeeping in the AWS Encryption SDK format: what a message
 * reports about itself, both formats read by one client, the reserved public-key context entry,
 * option validation, several KMS keys per message, and the data-key cache (which signed messages
 * bypass when encrypting). Interoperability with the official SDK is test/e2e/envelope-interop.
 */
import { describe, expect, it } from "vitest";
import { EnvelopeClient } from "../../../src/envelope/index.ts";
import { inProcessKms } from "./in-process-kms.ts";
import { expectBytes, expectInvalid, random } from "./support.ts";

const SIGNED = "ALG_AES256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384" as const;

describe("the AWS Encryption SDK format through the client", () => {
  it("is written by default, as version 2 with 4 KiB frames, and reports its suite, key and whole context", async () => {
    const kms = inProcessKms();
    const keyId = kms.createKey();
    const message = await new EnvelopeClient({ kms, keyId }).encrypt(random(10_000), { encryptionContext: { a: "1", b: "2" } });
    expect([message[0], message[1], message[2]]).toEqual([0x02, 0x04, 0x78]);
    const opened = await new EnvelopeClient({ kms }).decrypt(message, { encryptionContext: { b: "2" } });
    expect(opened).toMatchObject({
      keyId,
      frameSize: 4096,
      format: "aws-encryption-sdk",
      algorithmSuite: "ALG_AES256_GCM_HKDF_SHA512_COMMIT_KEY",
      encryptionContext: { a: "1", b: "2" },
    });
  });

  it("puts the signing public key in the context of signed messages and refuses callers who set that key", async () => {
    const kms = inProcessKms();
    const client = new EnvelopeClient({ kms, keyId: kms.createKey(), algorithmSuite: SIGNED });
    const opened = await client.decrypt(await client.encrypt(random(5)));
    expect(opened.encryptionContext["aws-crypto-public-key"]).toMatch(/^A[A-Za-z0-9+/]{65}==$/);
    await expect(client.encrypt(random(5), { encryptionContext: { "aws-crypto-public-key": "x" } })).rejects.toThrow(TypeError);
  });

  it("reads both formats with one client, whatever it writes", async () => {
    const kms = inProcessKms();
    const keyId = kms.createKey();
    const data = random(70_000);
    const legacy = await new EnvelopeClient({ kms, keyId, format: "edgekms-v1" }).encrypt(data);
    const esdk = await new EnvelopeClient({ kms, keyId }).encrypt(data);
    for (const reader of [new EnvelopeClient({ kms }), new EnvelopeClient({ kms, format: "edgekms-v1" })]) {
      expectBytes((await reader.decrypt(legacy)).plaintext, data);
      expectBytes((await reader.decrypt(esdk)).plaintext, data);
    }
    expect((await new EnvelopeClient({ kms }).decrypt(legacy)).format).toBe("edgekms-v1");
  });

  it("refuses options it does not support", () => {
    const kms = inProcessKms();
    expect(() => new EnvelopeClient({ kms, algorithmSuite: "ALG_AES256_GCM_IV12_TAG16_HKDF_SHA256" })).toThrow(RangeError);
    expect(() => new EnvelopeClient({ kms, commitmentPolicy: "FORBID_ENCRYPT_ALLOW_DECRYPT" as never })).toThrow(RangeError);
    expect(() => new EnvelopeClient({ kms, format: "other" as never })).toThrow(TypeError);
    expect(() => new EnvelopeClient({ kms, frameSize: 2 ** 24 + 1 })).toThrow(RangeError);
  });

  it("wraps the data key under every KMS key given, and opens with any of them", async () => {
    const kms = inProcessKms();
    const [first, second] = [kms.createKey(), kms.createKey()];
    const data = random(9000);
    const message = await new EnvelopeClient({ kms, keyId: first, additionalKeyIds: [second] }).encrypt(data);
    // A KMS that refuses the first key: the second encrypted data key opens the message.
    const refusing = {
      ...kms,
      decrypt: (input: Parameters<typeof kms.decrypt>[0]) =>
        input.KeyId === first ? Promise.reject(Object.assign(new Error("no"), { name: "AccessDeniedException" })) : kms.decrypt(input),
    };
    const opened = await new EnvelopeClient({ kms: refusing }).decrypt(message);
    expectBytes(opened.plaintext, data);
    expect(opened.keyId).toBe(second);
    // With neither key, KMS's error passes through by name.
    const none = { ...kms, decrypt: () => Promise.reject(Object.assign(new Error("no"), { name: "AccessDeniedException" })) };
    await expect(new EnvelopeClient({ kms: none }).decrypt(message)).rejects.toMatchObject({ name: "AccessDeniedException" });
  });

  it("reuses cached data keys for unsigned messages only, and each message still opens alone", async () => {
    for (const [suite, generated] of [
      ["ALG_AES256_GCM_HKDF_SHA512_COMMIT_KEY", 1],
      [SIGNED, 3],
    ] as const) {
      const kms = inProcessKms();
      const client = new EnvelopeClient({
        kms,
        keyId: kms.createKey(),
        algorithmSuite: suite,
        cache: { maxAgeMs: 60_000, maxMessages: 10 },
      });
      const data = random(100);
      const messages = [await client.encrypt(data), await client.encrypt(data), await client.encrypt(data)];
      expect(kms.calls.generateDataKey).toBe(generated);
      for (const m of messages) expectBytes((await client.decrypt(m)).plaintext, data);
      // Decryption caches by encrypted data key: one Decrypt per distinct data key.
      expect(kms.calls.decrypt).toBe(generated);
    }
  });

  it("refuses a message whose header names a key other than the one KMS used", async () => {
    const kms = inProcessKms();
    const keyId = kms.createKey();
    const message = await new EnvelopeClient({ kms, keyId }).encrypt(random(10));
    // A KMS that ignores KeyId and reports another key: the keyring must not accept its answer.
    const lying = {
      ...kms,
      decrypt: async (input: Parameters<typeof kms.decrypt>[0]) => ({
        ...(await kms.decrypt({ ...input, KeyId: undefined })),
        KeyId: "arn:aws:kms:us-east-1:111122223333:key/other",
      }),
    };
    await expectInvalid(new EnvelopeClient({ kms: lying }).decrypt(message));
  });
});
