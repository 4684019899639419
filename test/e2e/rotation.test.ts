/**
 * Rotation through the official SDK and the AWS CLI: automatic rotation with the period shortened
 * by configuration (ROTATION_PERIOD_SECONDS), so the Durable Object alarm fires during the test;
 * EnableKeyRotation's RotationPeriodInDays; RotateKeyOnDemand and ListKeyRotations.
 */
import {
  CreateKeyCommand,
  DecryptCommand,
  DescribeKeyCommand,
  DisableKeyRotationCommand,
  EnableKeyRotationCommand,
  EncryptCommand,
  GetKeyRotationStatusCommand,
  ListKeyRotationsCommand,
  RotateKeyOnDemandCommand,
  type KMSClient,
} from "@aws-sdk/client-kms";
import { describe, expect, it } from "vitest";
import { awsCli, hasAwsCli } from "./aws-cli-support.ts";
import { awsError, useLocalWorker, utf8 } from "./support.ts";

const PERIOD_SECONDS = 2;
const worker = useLocalWorker({ ROTATION_PERIOD_SECONDS: String(PERIOD_SECONDS) });

/** The backing-key version a blob names (envelope v1: version, ARN length, ARN, u32 BE version). */
function blobVersion(blob: Uint8Array): number {
  const arnLength = blob[1]!;
  return new DataView(blob.buffer, blob.byteOffset).getUint32(2 + arnLength);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("automatic key rotation", () => {
  it("is off by default and reports its status", async () => {
    const kms = worker.client();
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({}));
    const status = await kms.send(new GetKeyRotationStatusCommand({ KeyId: KeyMetadata!.KeyId }));
    expect(status.KeyRotationEnabled).toBe(false);
  });

  it("adds a backing-key version each period, encrypts with the newest, and still decrypts old ciphertexts", async () => {
    const kms = worker.client();
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({}));
    const keyId = KeyMetadata!.KeyId!;
    const old = await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8("version one") }));
    expect(blobVersion(old.CiphertextBlob!)).toBe(1);

    const enabledAt = Date.now();
    await kms.send(new EnableKeyRotationCommand({ KeyId: keyId }));
    const status = await kms.send(new GetKeyRotationStatusCommand({ KeyId: keyId }));
    expect(status.KeyRotationEnabled).toBe(true);
    expect(status.KeyId).toBe(KeyMetadata!.Arn);
    expect(status.NextRotationDate!.getTime()).toBeGreaterThanOrEqual(enabledAt + PERIOD_SECONDS * 1000 - 1500);

    let version = 1;
    const deadline = Date.now() + 20_000;
    while (version < 2 && Date.now() < deadline) {
      await sleep(500);
      const probe = await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8("probe") }));
      version = blobVersion(probe.CiphertextBlob!);
    }
    expect(version).toBeGreaterThanOrEqual(2);

    await kms.send(new DisableKeyRotationCommand({ KeyId: keyId }));
    const fresh = await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8("newest") }));
    const settled = blobVersion(fresh.CiphertextBlob!);
    await sleep(PERIOD_SECONDS * 1000 + 1000);
    const later = await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8("after disable") }));
    expect(blobVersion(later.CiphertextBlob!)).toBe(settled);

    const dec = await kms.send(new DecryptCommand({ CiphertextBlob: old.CiphertextBlob }));
    expect(new TextDecoder().decode(dec.Plaintext)).toBe("version one");
    const decFresh = await kms.send(new DecryptCommand({ CiphertextBlob: fresh.CiphertextBlob }));
    expect(new TextDecoder().decode(decFresh.Plaintext)).toBe("newest");
  }, 40_000);
});

/** Waits until the key's ListKeyRotations lists `count` rotations (on-demand rotation runs in the background). */
async function rotationsOf(kms: KMSClient, keyId: string, count: number) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const listed = await kms.send(new ListKeyRotationsCommand({ KeyId: keyId }));
    if ((listed.Rotations ?? []).length >= count || Date.now() > deadline) return listed;
    await sleep(100);
  }
}

describe("RotationPeriodInDays", () => {
  it("is stored per key and reported; a period outside 90-2560 days is refused with AWS's ValidationException", async () => {
    const kms = worker.client();
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({}));
    const keyId = KeyMetadata!.KeyId!;
    await kms.send(new EnableKeyRotationCommand({ KeyId: keyId, RotationPeriodInDays: 2560 }));
    const status = await kms.send(new GetKeyRotationStatusCommand({ KeyId: keyId }));
    expect(status).toMatchObject({ KeyRotationEnabled: true, RotationPeriodInDays: 2560 });
    // One rotation "day" is ROTATION_PERIOD_SECONDS / 365 here.
    expect(status.NextRotationDate!.getTime()).toBeGreaterThan(Date.now() + (2560 / 365) * PERIOD_SECONDS * 1000 - 2000);

    const refused = await awsError(kms.send(new EnableKeyRotationCommand({ KeyId: keyId, RotationPeriodInDays: 89 })));
    expect(refused.name).toBe("ValidationException");
    expect(refused.message).toContain("rotationPeriodInDays");
    expect((await kms.send(new GetKeyRotationStatusCommand({ KeyId: keyId }))).RotationPeriodInDays).toBe(2560);
  });
});

describe("on-demand rotation", () => {
  it("rotates in the background, is listed by ListKeyRotations, and old ciphertexts keep decrypting", async () => {
    const kms = worker.client();
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({}));
    const keyId = KeyMetadata!.KeyId!;
    const old = await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8("before on-demand") }));
    expect((await kms.send(new ListKeyRotationsCommand({ KeyId: keyId }))).Rotations).toEqual([]);

    const rotated = await kms.send(new RotateKeyOnDemandCommand({ KeyId: keyId }));
    expect(rotated.KeyId).toBe(KeyMetadata!.KeyId);
    const listed = await rotationsOf(kms, keyId, 1);
    expect(listed.Truncated).toBe(false);
    expect(listed.Rotations).toHaveLength(1);
    expect(listed.Rotations![0]).toMatchObject({ KeyId: KeyMetadata!.Arn, KeyMaterialState: "CURRENT", RotationType: "ON_DEMAND" });
    expect(listed.Rotations![0]!.RotationDate).toBeInstanceOf(Date);
    expect((await kms.send(new GetKeyRotationStatusCommand({ KeyId: keyId }))).OnDemandRotationStartDate).toBeUndefined();

    const fresh = await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8("after") }));
    expect(blobVersion(fresh.CiphertextBlob!)).toBe(2);
    const described = (await kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata!;
    expect(described.CurrentKeyMaterialId).toBe(listed.Rotations![0]!.KeyMaterialId);
    expect((await kms.send(new DecryptCommand({ CiphertextBlob: fresh.CiphertextBlob }))).KeyMaterialId).toBe(
      described.CurrentKeyMaterialId,
    );
    const dec = await kms.send(new DecryptCommand({ CiphertextBlob: old.CiphertextBlob }));
    expect(new TextDecoder().decode(dec.Plaintext)).toBe("before on-demand");

    await kms.send(new RotateKeyOnDemandCommand({ KeyId: keyId }));
    await rotationsOf(kms, keyId, 2);
    const page = await kms.send(new ListKeyRotationsCommand({ KeyId: keyId, IncludeKeyMaterial: "ALL_KEY_MATERIAL", Limit: 2 }));
    expect(page.Truncated).toBe(true);
    expect(page.Rotations!.map((r) => r.KeyMaterialState)).toEqual(["NON_CURRENT", "NON_CURRENT"]);
    const rest = await kms.send(
      new ListKeyRotationsCommand({ KeyId: keyId, IncludeKeyMaterial: "ALL_KEY_MATERIAL", Limit: 2, Marker: page.NextMarker }),
    );
    expect(rest.Truncated).toBe(false);
    expect(rest.Rotations!.map((r) => r.KeyMaterialState)).toEqual(["CURRENT"]);
    const bad = await awsError(kms.send(new ListKeyRotationsCommand({ KeyId: keyId, Marker: "bm90IGEgbWFya2Vy" })));
    expect(bad.name).toBe("InvalidMarkerException");
  });

  it("is refused for a key with imported material", async () => {
    const kms = worker.client();
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({ Origin: "EXTERNAL" }));
    const refused = await awsError(kms.send(new RotateKeyOnDemandCommand({ KeyId: KeyMetadata!.KeyId })));
    expect(refused.name).toBe("UnsupportedOperationException");
  });
});

describe.skipIf(!hasAwsCli)("rotation with the AWS CLI", () => {
  it("rotate-key-on-demand, list-key-rotations and get-key-rotation-status with --rotation-period-in-days", async () => {
    const aws = (...args: string[]) => JSON.parse(awsCli(worker.url, "kms", ...args) || "{}");
    const keyId: string = aws("create-key").KeyMetadata.KeyId;
    aws("enable-key-rotation", "--key-id", keyId, "--rotation-period-in-days", "2560");
    expect(aws("get-key-rotation-status", "--key-id", keyId)).toMatchObject({ KeyRotationEnabled: true, RotationPeriodInDays: 2560 });
    expect(aws("rotate-key-on-demand", "--key-id", keyId).KeyId).toBe(keyId);
    let rotations: { RotationType: string; KeyMaterialState: string }[] = [];
    for (let i = 0; i < 50 && rotations.length === 0; i++) {
      await sleep(100);
      rotations = aws("list-key-rotations", "--key-id", keyId).Rotations;
    }
    expect(rotations).toHaveLength(1);
    expect(rotations[0]).toMatchObject({ RotationType: "ON_DEMAND", KeyMaterialState: "CURRENT" });
  });
});
