/**
 * Rotation of imported key material through @aws-sdk/client-kms, as AWS has it today: ImportType
 * NEW_KEY_MATERIAL / EXISTING_KEY_MATERIAL, KeyMaterialId and KeyMaterialDescription,
 * RotateKeyOnDemand to material imported for it, DescribeKey's CurrentKeyMaterialId,
 * ListKeyRotations' ImportState and KeyMaterialState, and DeleteImportedKeyMaterial of one material.
 * Every ciphertext decrypts while its material is imported, before and after each rotation.
 */
import {
  CreateKeyCommand,
  DecryptCommand,
  DeleteImportedKeyMaterialCommand,
  DescribeKeyCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  GetParametersForImportCommand,
  ImportKeyMaterialCommand,
  ListKeyRotationsCommand,
  ReEncryptCommand,
  RotateKeyOnDemandCommand,
  type ImportKeyMaterialCommandInput,
  type KMSClient,
} from "@aws-sdk/client-kms";
import { constants, createPublicKey, publicEncrypt, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { awsCli, hasAwsCli } from "./aws-cli-support.ts";
import { awsError, useLocalWorker, utf8 } from "./support.ts";

const worker = useLocalWorker();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function importMaterial(kms: KMSClient, keyId: string, material: Uint8Array, extra: Partial<ImportKeyMaterialCommandInput> = {}) {
  const p = await kms.send(
    new GetParametersForImportCommand({ KeyId: keyId, WrappingAlgorithm: "RSAES_OAEP_SHA_256", WrappingKeySpec: "RSA_2048" }),
  );
  const key = createPublicKey({ key: Buffer.from(p.PublicKey!), format: "der", type: "spki" });
  return kms.send(
    new ImportKeyMaterialCommand({
      KeyId: keyId,
      ImportToken: p.ImportToken,
      EncryptedKeyMaterial: publicEncrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" }, material),
      ExpirationModel: "KEY_MATERIAL_DOES_NOT_EXPIRE",
      ...extra,
    }),
  );
}

async function materials(kms: KMSClient, keyId: string) {
  return (await kms.send(new ListKeyRotationsCommand({ KeyId: keyId, IncludeKeyMaterial: "ALL_KEY_MATERIAL" }))).Rotations ?? [];
}

async function decrypts(kms: KMSClient, blob: Uint8Array, expected: string): Promise<void> {
  const opened = await kms.send(new DecryptCommand({ CiphertextBlob: blob }));
  expect(new TextDecoder().decode(opened.Plaintext)).toBe(expected);
}

/** Rotates on demand and waits for the background rotation to make `keyMaterialId` current. */
async function rotateTo(kms: KMSClient, keyId: string, keyMaterialId: string): Promise<void> {
  await kms.send(new RotateKeyOnDemandCommand({ KeyId: keyId }));
  const deadline = Date.now() + 10_000;
  while ((await kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata!.CurrentKeyMaterialId !== keyMaterialId) {
    if (Date.now() > deadline) throw new Error("rotation did not complete");
    await sleep(100);
  }
}

describe("rotation of imported key material", () => {
  it("imports new material for a rotation, rotates to it on demand, and keeps every ciphertext decrypting", async () => {
    const kms = worker.client();
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({ Origin: "EXTERNAL" }));
    const keyId = KeyMetadata!.KeyId!;
    expect(KeyMetadata!.CurrentKeyMaterialId).toBeUndefined();

    const first = await importMaterial(kms, keyId, randomBytes(32), { KeyMaterialDescription: "first" });
    expect(first.KeyId).toBe(KeyMetadata!.Arn);
    expect(first.KeyMaterialId).toMatch(/^[0-9a-f]{64}$/);
    expect((await kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata).toMatchObject({
      KeyState: "Enabled",
      CurrentKeyMaterialId: first.KeyMaterialId,
    });
    expect(await materials(kms, keyId)).toEqual([
      {
        KeyId: KeyMetadata!.Arn,
        KeyMaterialId: first.KeyMaterialId,
        KeyMaterialDescription: "first",
        ImportState: "IMPORTED",
        KeyMaterialState: "CURRENT",
        ExpirationModel: "KEY_MATERIAL_DOES_NOT_EXPIRE",
      },
    ]);
    const before = await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8("under the first material") }));

    const second = await importMaterial(kms, keyId, randomBytes(32), { ImportType: "NEW_KEY_MATERIAL", KeyMaterialDescription: "second" });
    expect(second.KeyMaterialId).not.toBe(first.KeyMaterialId);
    const pending = await materials(kms, keyId);
    expect(pending.map((m) => [m.KeyMaterialId, m.KeyMaterialState])).toEqual([
      [first.KeyMaterialId, "CURRENT"],
      [second.KeyMaterialId, "PENDING_ROTATION"],
    ]);
    expect(pending[1]!.RotationDate).toBeUndefined();
    // Until the rotation, the first material stays current.
    expect((await kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata!.CurrentKeyMaterialId).toBe(first.KeyMaterialId);

    await rotateTo(kms, keyId, second.KeyMaterialId!);
    const rotated = await materials(kms, keyId);
    expect(rotated.map((m) => [m.KeyMaterialId, m.KeyMaterialState, m.ImportState])).toEqual([
      [first.KeyMaterialId, "NON_CURRENT", "IMPORTED"],
      [second.KeyMaterialId, "CURRENT", "IMPORTED"],
    ]);
    expect(rotated[1]).toMatchObject({ RotationType: "ON_DEMAND", KeyMaterialDescription: "second" });
    const onlyRotations = (await kms.send(new ListKeyRotationsCommand({ KeyId: keyId }))).Rotations!;
    expect(onlyRotations.map((m) => m.KeyMaterialId)).toEqual([second.KeyMaterialId]);

    const after = await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8("under the second material") }));
    await decrypts(kms, before.CiphertextBlob!, "under the first material");
    await decrypts(kms, after.CiphertextBlob!, "under the second material");

    // Responses name the material used: Decrypt the one that sealed the blob, the others the current one.
    expect((await kms.send(new DecryptCommand({ CiphertextBlob: before.CiphertextBlob }))).KeyMaterialId).toBe(first.KeyMaterialId);
    expect((await kms.send(new GenerateDataKeyCommand({ KeyId: keyId, KeySpec: "AES_256" }))).KeyMaterialId).toBe(second.KeyMaterialId);
    const moved = await kms.send(new ReEncryptCommand({ CiphertextBlob: before.CiphertextBlob, DestinationKeyId: keyId }));
    expect(moved).toMatchObject({ SourceKeyMaterialId: first.KeyMaterialId, DestinationKeyMaterialId: second.KeyMaterialId });
  });

  it("deletes one material by KeyMaterialId and takes it back by reimport; deleting the current one makes the key PendingImport", async () => {
    const kms = worker.client();
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({ Origin: "EXTERNAL" }));
    const keyId = KeyMetadata!.KeyId!;
    const oldMaterial = randomBytes(32);
    const newMaterial = randomBytes(32);
    const first = await importMaterial(kms, keyId, oldMaterial);
    const old = await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8("old") }));
    const second = await importMaterial(kms, keyId, newMaterial, { ImportType: "NEW_KEY_MATERIAL" });
    await rotateTo(kms, keyId, second.KeyMaterialId!);
    const fresh = await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8("fresh") }));

    const deleted = await kms.send(new DeleteImportedKeyMaterialCommand({ KeyId: keyId, KeyMaterialId: first.KeyMaterialId }));
    expect(deleted).toMatchObject({ KeyId: KeyMetadata!.Arn, KeyMaterialId: first.KeyMaterialId });
    expect((await kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata!.KeyState).toBe("Enabled");
    expect((await materials(kms, keyId)).map((m) => [m.KeyMaterialState, m.ImportState])).toEqual([
      ["NON_CURRENT", "PENDING_IMPORT"],
      ["CURRENT", "IMPORTED"],
    ]);
    expect((await awsError(kms.send(new DecryptCommand({ CiphertextBlob: old.CiphertextBlob })))).name).toBe("InvalidCiphertextException");
    await decrypts(kms, fresh.CiphertextBlob!, "fresh");

    // A reimport names the material it brings back; other material is refused.
    const wrong = await awsError(
      importMaterial(kms, keyId, randomBytes(32), { ImportType: "EXISTING_KEY_MATERIAL", KeyMaterialId: first.KeyMaterialId }),
    );
    expect(wrong.name).toBe("IncorrectKeyMaterialException");
    const back = await importMaterial(kms, keyId, oldMaterial, { ImportType: "EXISTING_KEY_MATERIAL", KeyMaterialId: first.KeyMaterialId });
    expect(back.KeyMaterialId).toBe(first.KeyMaterialId);
    await decrypts(kms, old.CiphertextBlob!, "old");
    expect((await kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata!.CurrentKeyMaterialId).toBe(second.KeyMaterialId);

    // Without KeyMaterialId the current material goes, and the key waits for it.
    const current = await kms.send(new DeleteImportedKeyMaterialCommand({ KeyId: keyId }));
    expect(current.KeyMaterialId).toBe(second.KeyMaterialId);
    expect((await kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata).toMatchObject({
      KeyState: "PendingImport",
      CurrentKeyMaterialId: second.KeyMaterialId,
    });
    await importMaterial(kms, keyId, newMaterial);
    expect((await kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata!.KeyState).toBe("Enabled");
    await decrypts(kms, fresh.CiphertextBlob!, "fresh");
    await decrypts(kms, old.CiphertextBlob!, "old");
  });

  it("refuses what AWS refuses: rotation without new material, a second pending material, known material as new, KeyMaterialId with NEW", async () => {
    const kms = worker.client();
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({ Origin: "EXTERNAL" }));
    const keyId = KeyMetadata!.KeyId!;
    const material = randomBytes(32);
    const first = await importMaterial(kms, keyId, material);
    expect((await awsError(kms.send(new RotateKeyOnDemandCommand({ KeyId: keyId })))).name).toBe("UnsupportedOperationException");
    expect((await awsError(importMaterial(kms, keyId, material, { ImportType: "NEW_KEY_MATERIAL" }))).name).toBe(
      "IncorrectKeyMaterialException",
    );
    expect((await awsError(importMaterial(kms, keyId, randomBytes(32)))).name).toBe("IncorrectKeyMaterialException");
    const withId = await awsError(
      importMaterial(kms, keyId, randomBytes(32), { ImportType: "NEW_KEY_MATERIAL", KeyMaterialId: first.KeyMaterialId }),
    );
    expect(withId.name).toBe("ValidationException");

    const pending = await importMaterial(kms, keyId, randomBytes(32), { ImportType: "NEW_KEY_MATERIAL" });
    expect((await awsError(importMaterial(kms, keyId, randomBytes(32), { ImportType: "NEW_KEY_MATERIAL" }))).name).toBe(
      "KMSInvalidStateException",
    );
    // Pending material can be deleted outright, and other material imported in its place.
    await kms.send(new DeleteImportedKeyMaterialCommand({ KeyId: keyId, KeyMaterialId: pending.KeyMaterialId }));
    expect((await materials(kms, keyId)).map((m) => m.KeyMaterialId)).toEqual([first.KeyMaterialId]);
    await importMaterial(kms, keyId, randomBytes(32), { ImportType: "NEW_KEY_MATERIAL" });
    const unknown = await awsError(kms.send(new DeleteImportedKeyMaterialCommand({ KeyId: keyId, KeyMaterialId: "ab".repeat(32) })));
    expect(unknown.name).toBe("NotFoundException");
  });
});

describe.skipIf(!hasAwsCli)("imported material with the AWS CLI", () => {
  it("list-key-rotations --include-key-material ALL_KEY_MATERIAL shows ImportState and KeyMaterialState", async () => {
    const kms = worker.client();
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({ Origin: "EXTERNAL" }));
    const imported = await importMaterial(kms, KeyMetadata!.KeyId!, randomBytes(32));
    const listed = JSON.parse(
      awsCli(worker.url, "kms", "list-key-rotations", "--key-id", KeyMetadata!.KeyId!, "--include-key-material", "ALL_KEY_MATERIAL"),
    );
    expect(listed.Rotations).toEqual([
      expect.objectContaining({ KeyMaterialId: imported.KeyMaterialId, ImportState: "IMPORTED", KeyMaterialState: "CURRENT" }),
    ]);
  });
});
