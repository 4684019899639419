import {
  CreateKeyCommand,
  DecryptCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  GenerateDataKeyWithoutPlaintextCommand,
  GenerateRandomCommand,
  ReEncryptCommand,
} from "@aws-sdk/client-kms";
import { beforeAll, describe, expect, it } from "vitest";
import { awsError, useLocalWorker, utf8 } from "./support.ts";

const worker = useLocalWorker();
let keyA: { KeyId: string; Arn: string };
let keyB: { KeyId: string; Arn: string };

beforeAll(async () => {
  const kms = worker.client();
  const a = await kms.send(new CreateKeyCommand({}));
  const b = await kms.send(new CreateKeyCommand({}));
  keyA = { KeyId: a.KeyMetadata!.KeyId!, Arn: a.KeyMetadata!.Arn! };
  keyB = { KeyId: b.KeyMetadata!.KeyId!, Arn: b.KeyMetadata!.Arn! };
});

describe("Encrypt and Decrypt", () => {
  it("round-trips plaintexts of 1 to 4096 bytes and names the key by ARN", async () => {
    const kms = worker.client();
    for (const size of [1, 15, 16, 17, 1000, 4096]) {
      const plaintext = crypto.getRandomValues(new Uint8Array(size));
      const enc = await kms.send(new EncryptCommand({ KeyId: keyA.KeyId, Plaintext: plaintext }));
      expect(enc.KeyId).toBe(keyA.Arn);
      expect(enc.EncryptionAlgorithm).toBe("SYMMETRIC_DEFAULT");
      const dec = await kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob }));
      expect(dec.KeyId).toBe(keyA.Arn);
      expect(dec.EncryptionAlgorithm).toBe("SYMMETRIC_DEFAULT");
      expect(Buffer.from(dec.Plaintext!).equals(Buffer.from(plaintext))).toBe(true);
    }
  });

  it("gives a different ciphertext for the same plaintext each time", async () => {
    const kms = worker.client();
    const one = await kms.send(new EncryptCommand({ KeyId: keyA.KeyId, Plaintext: utf8("same") }));
    const two = await kms.send(new EncryptCommand({ KeyId: keyA.KeyId, Plaintext: utf8("same") }));
    expect(Buffer.from(one.CiphertextBlob!).equals(Buffer.from(two.CiphertextBlob!))).toBe(false);
  });

  it("refuses an empty plaintext and one over 4096 bytes without echoing it", async () => {
    const kms = worker.client();
    const big = await awsError(kms.send(new EncryptCommand({ KeyId: keyA.KeyId, Plaintext: new Uint8Array(4097).fill(65) })));
    expect(big.name).toBe("ValidationException");
    expect(big.message).toContain("'plaintext' failed to satisfy constraint: Member must have length less than or equal to 4096");
    expect(big.message).not.toContain("AAAA");
    const empty = await awsError(kms.send(new EncryptCommand({ KeyId: keyA.KeyId, Plaintext: new Uint8Array(0) })));
    expect(empty.name).toBe("ValidationException");
  });

  it("binds the ciphertext to its encryption context, in any key order", async () => {
    const kms = worker.client();
    const enc = await kms.send(
      new EncryptCommand({ KeyId: keyA.KeyId, Plaintext: utf8("bound"), EncryptionContext: { purpose: "test", order: "1" } }),
    );
    const dec = await kms.send(
      new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob, EncryptionContext: { order: "1", purpose: "test" } }),
    );
    expect(new TextDecoder().decode(dec.Plaintext)).toBe("bound");
    const wrongContexts: (Record<string, string> | undefined)[] = [
      undefined,
      {},
      { purpose: "test" },
      { purpose: "test", order: "2" },
      { purpose: "test", order: "1", x: "y" },
    ];
    for (const wrong of wrongContexts) {
      const err = await awsError(kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob, EncryptionContext: wrong })));
      expect(err.name).toBe("InvalidCiphertextException");
    }
  });

  it("keeps {ab: c} and {a: bc} apart", async () => {
    const kms = worker.client();
    const enc = await kms.send(new EncryptCommand({ KeyId: keyA.KeyId, Plaintext: utf8("x"), EncryptionContext: { ab: "c" } }));
    const err = await awsError(kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob, EncryptionContext: { a: "bc" } })));
    expect(err.name).toBe("InvalidCiphertextException");
  });

  it("answers InvalidCiphertextException for every flipped bit and every truncation", async () => {
    const kms = worker.client();
    const enc = await kms.send(new EncryptCommand({ KeyId: keyA.KeyId, Plaintext: utf8("tamper") }));
    const blob = enc.CiphertextBlob!;
    const cases: Uint8Array[] = [];
    for (let bit = 0; bit < blob.length * 8; bit += 7) {
      const copy = blob.slice();
      copy[bit >> 3]! ^= 1 << (bit & 7);
      cases.push(copy);
    }
    for (const length of [1, 10, blob.length - 17, blob.length - 1]) cases.push(blob.slice(0, length));
    const results = await Promise.all(cases.map((c) => awsError(kms.send(new DecryptCommand({ CiphertextBlob: c })))));
    for (const r of results) expect(r.name).toBe("InvalidCiphertextException");
  });

  it("answers IncorrectKeyException when KeyId names another key than the blob's", async () => {
    const kms = worker.client();
    const enc = await kms.send(new EncryptCommand({ KeyId: keyA.KeyId, Plaintext: utf8("which key") }));
    const err = await awsError(kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob, KeyId: keyB.KeyId })));
    expect(err.name).toBe("IncorrectKeyException");
    const ok = await kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob, KeyId: keyA.Arn }));
    expect(new TextDecoder().decode(ok.Plaintext)).toBe("which key");
  });

  it("refuses encryption algorithms other than SYMMETRIC_DEFAULT for a symmetric key", async () => {
    const kms = worker.client();
    const err = await awsError(
      kms.send(new EncryptCommand({ KeyId: keyA.KeyId, Plaintext: utf8("x"), EncryptionAlgorithm: "RSAES_OAEP_SHA_256" })),
    );
    expect(err.name).toBe("InvalidKeyUsageException");
  });
});

describe("ReEncrypt", () => {
  it("moves a ciphertext to another key and encryption context without revealing the plaintext", async () => {
    const kms = worker.client();
    const enc = await kms.send(new EncryptCommand({ KeyId: keyA.KeyId, Plaintext: utf8("moving"), EncryptionContext: { from: "a" } }));
    const re = await kms.send(
      new ReEncryptCommand({
        CiphertextBlob: enc.CiphertextBlob,
        SourceEncryptionContext: { from: "a" },
        DestinationKeyId: keyB.KeyId,
        DestinationEncryptionContext: { to: "b" },
      }),
    );
    expect(re.SourceKeyId).toBe(keyA.Arn);
    expect(re.KeyId).toBe(keyB.Arn);
    expect(re.SourceEncryptionAlgorithm).toBe("SYMMETRIC_DEFAULT");
    expect(re.DestinationEncryptionAlgorithm).toBe("SYMMETRIC_DEFAULT");
    expect(re).not.toHaveProperty("Plaintext");
    const dec = await kms.send(new DecryptCommand({ CiphertextBlob: re.CiphertextBlob, EncryptionContext: { to: "b" } }));
    expect(dec.KeyId).toBe(keyB.Arn);
    expect(new TextDecoder().decode(dec.Plaintext)).toBe("moving");
  });

  it("fails with the source context wrong, and with a wrong SourceKeyId", async () => {
    const kms = worker.client();
    const enc = await kms.send(new EncryptCommand({ KeyId: keyA.KeyId, Plaintext: utf8("x"), EncryptionContext: { k: "v" } }));
    const wrongContext = await awsError(
      kms.send(new ReEncryptCommand({ CiphertextBlob: enc.CiphertextBlob, DestinationKeyId: keyB.KeyId })),
    );
    expect(wrongContext.name).toBe("InvalidCiphertextException");
    const wrongKey = await awsError(
      kms.send(
        new ReEncryptCommand({
          CiphertextBlob: enc.CiphertextBlob,
          SourceEncryptionContext: { k: "v" },
          SourceKeyId: keyB.KeyId,
          DestinationKeyId: keyB.KeyId,
        }),
      ),
    );
    expect(wrongKey.name).toBe("IncorrectKeyException");
  });
});

describe("GenerateDataKey and GenerateDataKeyWithoutPlaintext", () => {
  it("returns a data key of the requested size whose ciphertext decrypts to it", async () => {
    const kms = worker.client();
    for (const [params, size] of [
      [{ KeySpec: "AES_256" as const }, 32],
      [{ KeySpec: "AES_128" as const }, 16],
      [{ NumberOfBytes: 1 }, 1],
      [{ NumberOfBytes: 1024 }, 1024],
    ] as const) {
      const dk = await kms.send(new GenerateDataKeyCommand({ KeyId: keyA.KeyId, EncryptionContext: { dk: "1" }, ...params }));
      expect(dk.KeyId).toBe(keyA.Arn);
      expect(dk.Plaintext!.length).toBe(size);
      const dec = await kms.send(new DecryptCommand({ CiphertextBlob: dk.CiphertextBlob, EncryptionContext: { dk: "1" } }));
      expect(Buffer.from(dec.Plaintext!).equals(Buffer.from(dk.Plaintext!))).toBe(true);
    }
  });

  it("without plaintext returns only the ciphertext, which decrypts to a key of that size", async () => {
    const kms = worker.client();
    const dk = await kms.send(new GenerateDataKeyWithoutPlaintextCommand({ KeyId: keyA.KeyId, KeySpec: "AES_256" }));
    expect(dk).not.toHaveProperty("Plaintext");
    expect(dk.KeyId).toBe(keyA.Arn);
    const dec = await kms.send(new DecryptCommand({ CiphertextBlob: dk.CiphertextBlob }));
    expect(dec.Plaintext!.length).toBe(32);
  });

  it("requires exactly one of KeySpec and NumberOfBytes, and NumberOfBytes within 1..1024", async () => {
    const kms = worker.client();
    const neither = await awsError(kms.send(new GenerateDataKeyCommand({ KeyId: keyA.KeyId })));
    expect(neither.name).toBe("ValidationException");
    const both = await awsError(kms.send(new GenerateDataKeyCommand({ KeyId: keyA.KeyId, KeySpec: "AES_256", NumberOfBytes: 32 })));
    expect(both.name).toBe("ValidationException");
    const tooMany = await awsError(kms.send(new GenerateDataKeyCommand({ KeyId: keyA.KeyId, NumberOfBytes: 1025 })));
    expect(tooMany.name).toBe("ValidationException");
    expect(tooMany.message).toContain("at 'numberOfBytes' failed to satisfy constraint: Member must have value less than or equal to 1024");
  });
});

describe("GenerateRandom", () => {
  it("returns the requested number of random bytes, different each call", async () => {
    const kms = worker.client();
    const one = await kms.send(new GenerateRandomCommand({ NumberOfBytes: 64 }));
    const two = await kms.send(new GenerateRandomCommand({ NumberOfBytes: 64 }));
    expect(one.Plaintext!.length).toBe(64);
    expect(Buffer.from(one.Plaintext!).equals(Buffer.from(two.Plaintext!))).toBe(false);
  });

  it("refuses 0 and 1025 bytes", async () => {
    const kms = worker.client();
    for (const n of [0, 1025]) {
      const err = await awsError(kms.send(new GenerateRandomCommand({ NumberOfBytes: n })));
      expect(err.name).toBe("ValidationException");
    }
  });
});
