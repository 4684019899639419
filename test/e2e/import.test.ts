/**
 * Importing key material end to end through @aws-sdk/client-kms (the guide's "Importing Key
 * Material" and "Deleting Imported Key Material"): key material wrapped with node:crypto's
 * publicEncrypt under each of the three wrapping algorithms, expiry by the Durable Object alarm,
 * deletion, reimport, and every error the chapters imply. Import parameters are valid for a few
 * seconds here (IMPORT_PARAMETERS_VALID_SECONDS) so that token expiry can be observed.
 */
import {
  CancelKeyDeletionCommand,
  CreateKeyCommand,
  DecryptCommand,
  DeleteImportedKeyMaterialCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  EnableKeyRotationCommand,
  EncryptCommand,
  GetKeyRotationStatusCommand,
  GetParametersForImportCommand,
  ImportKeyMaterialCommand,
  ScheduleKeyDeletionCommand,
  type KMSClient,
} from "@aws-sdk/client-kms";
import { createPublicKey, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { importMaterial, parameters, wrap } from "./import-support.ts";
import { awsError, useLocalWorker, utf8 } from "./support.ts";

const VALID_SECONDS = 5;
const worker = useLocalWorker({ IMPORT_PARAMETERS_VALID_SECONDS: String(VALID_SECONDS) });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ALGORITHMS = ["RSAES_OAEP_SHA_256", "RSAES_OAEP_SHA_1", "RSAES_PKCS1_V1_5"] as const;

async function externalKey(kms: KMSClient) {
  const { KeyMetadata } = await kms.send(new CreateKeyCommand({ Origin: "EXTERNAL", Description: "imported" }));
  return { keyId: KeyMetadata!.KeyId!, arn: KeyMetadata!.Arn! };
}

async function describeKey(kms: KMSClient, keyId: string) {
  return (await kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata!;
}

describe("GetParametersForImport and ImportKeyMaterial", () => {
  it.each(ALGORITHMS)("import 32 bytes wrapped with %s: the key becomes Enabled and encrypts and decrypts", async (algorithm) => {
    const kms = worker.client();
    const { keyId, arn } = await externalKey(kms);
    expect(await describeKey(kms, keyId)).toMatchObject({ KeyState: "PendingImport", Enabled: false, Origin: "EXTERNAL" });
    const before = Date.now();
    const p = await parameters(kms, keyId, algorithm);
    expect(p.KeyId).toBe(arn);
    const details = createPublicKey({ key: Buffer.from(p.PublicKey!), format: "der", type: "spki" }).asymmetricKeyDetails;
    expect(details).toMatchObject({ modulusLength: 2048, publicExponent: 65537n });
    expect(p.ParametersValidTo!.getTime()).toBeGreaterThanOrEqual(before + VALID_SECONDS * 1000 - 1000);
    expect(p.ParametersValidTo!.getTime()).toBeLessThanOrEqual(Date.now() + VALID_SECONDS * 1000 + 1000);
    await kms.send(
      new ImportKeyMaterialCommand({
        KeyId: keyId,
        ImportToken: p.ImportToken,
        EncryptedKeyMaterial: wrap(p.PublicKey!, randomBytes(32), algorithm),
        ExpirationModel: "KEY_MATERIAL_DOES_NOT_EXPIRE",
      }),
    );
    const meta = await describeKey(kms, keyId);
    expect(meta).toMatchObject({ KeyState: "Enabled", Enabled: true, ExpirationModel: "KEY_MATERIAL_DOES_NOT_EXPIRE" });
    expect(meta.ValidTo).toBeUndefined();
    const enc = await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8("imported") }));
    const dec = await kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob }));
    expect(new TextDecoder().decode(dec.Plaintext)).toBe("imported");
  });

  it("gives a fresh public key and token on every call", async () => {
    const kms = worker.client();
    const { keyId } = await externalKey(kms);
    const a = await parameters(kms, keyId);
    const b = await parameters(kms, keyId);
    expect(Buffer.from(a.PublicKey!).equals(Buffer.from(b.PublicKey!))).toBe(false);
    expect(Buffer.from(a.ImportToken!).equals(Buffer.from(b.ImportToken!))).toBe(false);
  });

  it("refuses keys whose origin is AWS_KMS with UnsupportedOperationException", async () => {
    const kms = worker.client();
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({}));
    const message = `${KeyMetadata!.Arn} origin is AWS_KMS which is not valid for this operation.`;
    const other = await externalKey(kms);
    const p = await parameters(kms, other.keyId);
    // Each call starts only when it is awaited, so no rejection is left unobserved meanwhile.
    const calls: (() => Promise<unknown>)[] = [
      () => parameters(kms, KeyMetadata!.KeyId!),
      () =>
        kms.send(
          new ImportKeyMaterialCommand({
            KeyId: KeyMetadata!.KeyId!,
            ImportToken: p.ImportToken,
            EncryptedKeyMaterial: wrap(p.PublicKey!, randomBytes(32), "RSAES_OAEP_SHA_256"),
            ExpirationModel: "KEY_MATERIAL_DOES_NOT_EXPIRE",
          }),
        ),
      () => kms.send(new DeleteImportedKeyMaterialCommand({ KeyId: KeyMetadata!.KeyId! })),
    ];
    for (const call of calls) {
      expect(await awsError(call())).toEqual({ name: "UnsupportedOperationException", status: 400, message });
    }
  });

  it("refuses wrapping specs and algorithms EdgeKMS does not offer with UnsupportedOperationException", async () => {
    const kms = worker.client();
    const { keyId } = await externalKey(kms);
    const spec = await awsError(
      kms.send(new GetParametersForImportCommand({ KeyId: keyId, WrappingAlgorithm: "RSAES_OAEP_SHA_256", WrappingKeySpec: "RSA_4096" })),
    );
    expect(spec.name).toBe("UnsupportedOperationException");
    const algorithm = await awsError(
      kms.send(
        new GetParametersForImportCommand({ KeyId: keyId, WrappingAlgorithm: "RSA_AES_KEY_WRAP_SHA_256", WrappingKeySpec: "RSA_2048" }),
      ),
    );
    expect(algorithm.name).toBe("UnsupportedOperationException");
  });
});

describe("import tokens", () => {
  it("refuse another key's token, a forged token and a used token with InvalidImportTokenException; the key stays PendingImport", async () => {
    const kms = worker.client();
    const target = await externalKey(kms);
    const other = await externalKey(kms);
    const material = randomBytes(32);
    const attempt = (token: Uint8Array, publicKey: Uint8Array) =>
      kms.send(
        new ImportKeyMaterialCommand({
          KeyId: target.keyId,
          ImportToken: token,
          EncryptedKeyMaterial: wrap(publicKey, material, "RSAES_OAEP_SHA_256"),
          ExpirationModel: "KEY_MATERIAL_DOES_NOT_EXPIRE",
        }),
      );
    const foreign = await parameters(kms, other.keyId);
    expect((await awsError(attempt(foreign.ImportToken!, foreign.PublicKey!))).name).toBe("InvalidImportTokenException");
    const own = await parameters(kms, target.keyId);
    for (const index of [0, 5, 20, 40, own.ImportToken!.length - 1]) {
      const forged = own.ImportToken!.slice();
      forged[index]! ^= 0x80;
      expect((await awsError(attempt(forged, own.PublicKey!))).name).toBe("InvalidImportTokenException");
    }
    expect((await awsError(attempt(randomBytes(90), own.PublicKey!))).name).toBe("InvalidImportTokenException");
    expect((await describeKey(kms, target.keyId)).KeyState).toBe("PendingImport");
    await attempt(own.ImportToken!, own.PublicKey!);
    expect((await describeKey(kms, target.keyId)).KeyState).toBe("Enabled");
    const reused = await awsError(attempt(own.ImportToken!, own.PublicKey!));
    expect(reused).toMatchObject({ name: "InvalidImportTokenException", status: 400 });
  });

  it("refuse an expired token with ExpiredImportTokenException", async () => {
    const kms = worker.client();
    const { keyId } = await externalKey(kms);
    const p = await parameters(kms, keyId);
    await sleep(p.ParametersValidTo!.getTime() - Date.now() + 500);
    const err = await awsError(
      kms.send(
        new ImportKeyMaterialCommand({
          KeyId: keyId,
          ImportToken: p.ImportToken,
          EncryptedKeyMaterial: wrap(p.PublicKey!, randomBytes(32), "RSAES_OAEP_SHA_256"),
          ExpirationModel: "KEY_MATERIAL_DOES_NOT_EXPIRE",
        }),
      ),
    );
    expect(err).toMatchObject({ name: "ExpiredImportTokenException", status: 400 });
    expect((await describeKey(kms, keyId)).KeyState).toBe("PendingImport");
  }, 20_000);
});

describe("wrapped material that is not a 256-bit key", () => {
  it("is refused with InvalidCiphertextException when it does not unwrap or is not 32 bytes, for every algorithm", async () => {
    const kms = worker.client();
    const { keyId } = await externalKey(kms);
    for (const algorithm of ALGORITHMS) {
      for (const blob of [
        (pk: Uint8Array) => wrap(pk, randomBytes(16), algorithm),
        (pk: Uint8Array) => wrap(pk, randomBytes(33), algorithm),
        (pk: Uint8Array) => wrap(pk, new Uint8Array(0), algorithm),
        () => randomBytes(100),
      ]) {
        const p = await parameters(kms, keyId, algorithm);
        const err = await awsError(
          kms.send(
            new ImportKeyMaterialCommand({
              KeyId: keyId,
              ImportToken: p.ImportToken,
              EncryptedKeyMaterial: blob(p.PublicKey!),
              ExpirationModel: "KEY_MATERIAL_DOES_NOT_EXPIRE",
            }),
          ),
        );
        expect({ algorithm, name: err.name, message: err.message }).toEqual({
          algorithm,
          name: "InvalidCiphertextException",
          message: "KMS could not decrypt the encrypted (wrapped) key material.",
        });
      }
    }
    expect((await describeKey(kms, keyId)).KeyState).toBe("PendingImport");
  }, 60_000);

  it("wrapped with OAEP but declared PKCS #1 v1.5 is rejected like wrong material, never accepted as the real one", async () => {
    const kms = worker.client();
    const { keyId } = await externalKey(kms);
    const material = randomBytes(32);
    await importMaterial(kms, keyId, material);
    const enc = await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8("still mine") }));
    for (let i = 0; i < 3; i++) {
      const p = await parameters(kms, keyId, "RSAES_PKCS1_V1_5");
      const err = await awsError(
        kms.send(
          new ImportKeyMaterialCommand({
            KeyId: keyId,
            ImportToken: p.ImportToken,
            EncryptedKeyMaterial: wrap(p.PublicKey!, material, "RSAES_OAEP_SHA_256"),
            ExpirationModel: "KEY_MATERIAL_DOES_NOT_EXPIRE",
          }),
        ),
      );
      // An OAEP block read as PKCS #1 v1.5 fails the padding check, and bad padding is rejected outright.
      expect(err).toMatchObject({
        name: "InvalidCiphertextException",
        message: "KMS could not decrypt the encrypted (wrapped) key material.",
      });
    }
    const dec = await kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob }));
    expect(new TextDecoder().decode(dec.Plaintext)).toBe("still mine");
  });

  it("refuses different material once a key has had material with IncorrectKeyMaterialException", async () => {
    const kms = worker.client();
    const { keyId } = await externalKey(kms);
    await importMaterial(kms, keyId, randomBytes(32));
    const err = await awsError(importMaterial(kms, keyId, randomBytes(32)));
    expect(err).toMatchObject({ name: "IncorrectKeyMaterialException", status: 400 });
    await kms.send(new DeleteImportedKeyMaterialCommand({ KeyId: keyId }));
    expect((await awsError(importMaterial(kms, keyId, randomBytes(32), undefined, "RSAES_PKCS1_V1_5"))).name).toBe(
      "IncorrectKeyMaterialException",
    );
    expect((await describeKey(kms, keyId)).KeyState).toBe("PendingImport");
  });
});

describe("ExpirationModel and ValidTo", () => {
  it("are checked: KEY_MATERIAL_EXPIRES (the default) needs a future ValidTo, DOES_NOT_EXPIRE takes none", async () => {
    const kms = worker.client();
    const { keyId } = await externalKey(kms);
    const cases: [string | undefined, Date | undefined, string][] = [
      [undefined, undefined, "A validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES"],
      ["KEY_MATERIAL_EXPIRES", undefined, "A validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES"],
      ["KEY_MATERIAL_EXPIRES", new Date(Date.now() - 60_000), "The validTo date must be in the future."],
      ["KEY_MATERIAL_EXPIRES", new Date(Date.now() + 400 * 86_400_000), "The validTo date must be no more than 365 days in the future."],
      [
        "KEY_MATERIAL_DOES_NOT_EXPIRE",
        new Date(Date.now() + 60_000),
        "A validTo date must not be set if the ExpirationModel is KEY_MATERIAL_DOES_NOT_EXPIRE",
      ],
    ];
    const p = await parameters(kms, keyId);
    for (const [model, validTo, message] of cases) {
      const err = await awsError(
        kms.send(
          new ImportKeyMaterialCommand({
            KeyId: keyId,
            ImportToken: p.ImportToken,
            EncryptedKeyMaterial: wrap(p.PublicKey!, randomBytes(32), "RSAES_OAEP_SHA_256"),
            ExpirationModel: model as "KEY_MATERIAL_EXPIRES" | undefined,
            ValidTo: validTo,
          }),
        ),
      );
      expect(err).toEqual({ name: "ValidationException", status: 400, message });
    }
    // None of those spent the token.
    await kms.send(
      new ImportKeyMaterialCommand({
        KeyId: keyId,
        ImportToken: p.ImportToken,
        EncryptedKeyMaterial: wrap(p.PublicKey!, randomBytes(32), "RSAES_OAEP_SHA_256"),
        ExpirationModel: "KEY_MATERIAL_DOES_NOT_EXPIRE",
      }),
    );
  });

  it("expire the material at ValidTo (the key goes to PendingImport); reimporting the same material restores old ciphertexts", async () => {
    const kms = worker.client();
    const { keyId, arn } = await externalKey(kms);
    const material = randomBytes(32);
    const validTo = new Date(Date.now() + 4000);
    await importMaterial(kms, keyId, material, validTo, "RSAES_PKCS1_V1_5");
    const meta = await describeKey(kms, keyId);
    expect(meta).toMatchObject({ KeyState: "Enabled", ExpirationModel: "KEY_MATERIAL_EXPIRES" });
    expect(Math.abs(meta.ValidTo!.getTime() - validTo.getTime())).toBeLessThan(1000);
    const enc = await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8("before expiry") }));

    const deadline = Date.now() + 20_000;
    while ((await describeKey(kms, keyId)).KeyState !== "PendingImport") {
      if (Date.now() > deadline) throw new Error("material did not expire in time");
      await sleep(300);
    }
    expect(Date.now()).toBeGreaterThanOrEqual(validTo.getTime() - 1000);
    const expired = await describeKey(kms, keyId);
    expect(expired.Enabled).toBe(false);
    expect(expired.ExpirationModel).toBeUndefined();
    expect(await awsError(kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob })))).toMatchObject({
      name: "KMSInvalidStateException",
      message: `${arn} is pending import.`,
    });

    await importMaterial(kms, keyId, material, undefined, "RSAES_OAEP_SHA_1");
    const dec = await kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob }));
    expect(new TextDecoder().decode(dec.Plaintext)).toBe("before expiry");
    expect((await describeKey(kms, keyId)).ExpirationModel).toBe("KEY_MATERIAL_DOES_NOT_EXPIRE");
  }, 40_000);
});

describe("DeleteImportedKeyMaterial", () => {
  it("deletes the material at once (PendingImport); the same material reimported makes old ciphertexts decrypt again", async () => {
    const kms = worker.client();
    const { keyId, arn } = await externalKey(kms);
    const material = randomBytes(32);
    await importMaterial(kms, keyId, material);
    const enc = await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8("kept outside") }));
    await kms.send(new DeleteImportedKeyMaterialCommand({ KeyId: keyId }));
    expect(await describeKey(kms, keyId)).toMatchObject({ KeyState: "PendingImport", Enabled: false });
    expect(await awsError(kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8("x") })))).toMatchObject({
      name: "KMSInvalidStateException",
      message: `${arn} is pending import.`,
    });
    // No effect on a key that has no material.
    await kms.send(new DeleteImportedKeyMaterialCommand({ KeyId: keyId }));
    await importMaterial(kms, keyId, material);
    const dec = await kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob }));
    expect(new TextDecoder().decode(dec.Plaintext)).toBe("kept outside");
  });

  it("keeps a Disabled key's reimport Disabled, and a reimport changes the expiration", async () => {
    const kms = worker.client();
    const { keyId } = await externalKey(kms);
    const material = randomBytes(32);
    await importMaterial(kms, keyId, material, new Date(Date.now() + 3_600_000));
    await kms.send(new DisableKeyCommand({ KeyId: keyId }));
    await importMaterial(kms, keyId, material);
    expect(await describeKey(kms, keyId)).toMatchObject({ KeyState: "Disabled", ExpirationModel: "KEY_MATERIAL_DOES_NOT_EXPIRE" });
  });
});

describe("keys with imported material and other lifecycle operations", () => {
  it("refuse automatic rotation with UnsupportedOperationException in every state", async () => {
    const kms = worker.client();
    const { keyId, arn } = await externalKey(kms);
    const message = `${arn} origin is EXTERNAL which is not valid for this operation.`;
    const check = async () => {
      // One call at a time: a second refusal arriving before the first is awaited would be an unhandled rejection.
      for (const call of [
        () => kms.send(new EnableKeyRotationCommand({ KeyId: keyId })),
        () => kms.send(new GetKeyRotationStatusCommand({ KeyId: keyId })),
      ]) {
        expect(await awsError(call())).toEqual({ name: "UnsupportedOperationException", status: 400, message });
      }
    };
    await check();
    await importMaterial(kms, keyId, randomBytes(32));
    await check();
    await kms.send(new DisableKeyCommand({ KeyId: keyId }));
    await check();
  });

  it("pending deletion: import is refused, material can still be deleted, and cancelling returns the key to PendingImport", async () => {
    const kms = worker.client();
    const { keyId, arn } = await externalKey(kms);
    const material = randomBytes(32);
    await importMaterial(kms, keyId, material);
    const p = await parameters(kms, keyId);
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 }));
    const pending = { name: "KMSInvalidStateException", message: `${arn} is pending deletion.` };
    expect(await awsError(parameters(kms, keyId))).toMatchObject(pending);
    expect(
      await awsError(
        kms.send(
          new ImportKeyMaterialCommand({
            KeyId: keyId,
            ImportToken: p.ImportToken,
            EncryptedKeyMaterial: wrap(p.PublicKey!, material, "RSAES_OAEP_SHA_256"),
            ExpirationModel: "KEY_MATERIAL_DOES_NOT_EXPIRE",
          }),
        ),
      ),
    ).toMatchObject(pending);
    await kms.send(new DeleteImportedKeyMaterialCommand({ KeyId: keyId }));
    expect((await describeKey(kms, keyId)).KeyState).toBe("PendingDeletion");
    await kms.send(new CancelKeyDeletionCommand({ KeyId: keyId }));
    expect((await describeKey(kms, keyId)).KeyState).toBe("PendingImport");
  });

  it("a key with material returns to Disabled when its deletion is cancelled", async () => {
    const kms = worker.client();
    const { keyId } = await externalKey(kms);
    await importMaterial(kms, keyId, randomBytes(32));
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 }));
    await kms.send(new CancelKeyDeletionCommand({ KeyId: keyId }));
    expect((await describeKey(kms, keyId)).KeyState).toBe("Disabled");
  });
});
