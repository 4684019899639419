/**
 * Multi-Region keys end to end, on both runtimes, through @aws-sdk/client-kms (one client per
 * Region: the SigV4 credential scope picks the Region) and the AWS CLI (--region): a key set
 * encrypts in one Region and decrypts in the other, keeps its independent properties apart,
 * shares its rotations, survives a change of primary Region, and follows the deletion rules
 * (a primary with replicas waits in PendingReplicaDeletion). A set with imported key material
 * gets the material in each Region by its own import, never from the primary. One deletion "day"
 * is 0.2 seconds.
 */
import {
  CancelKeyDeletionCommand,
  CreateAliasCommand,
  CreateKeyCommand,
  DecryptCommand,
  DeleteImportedKeyMaterialCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  EncryptCommand,
  GenerateMacCommand,
  GetKeyRotationStatusCommand,
  GetPublicKeyCommand,
  ListAliasesCommand,
  ListKeyRotationsCommand,
  ListKeysCommand,
  ListResourceTagsCommand,
  ReEncryptCommand,
  ReplicateKeyCommand,
  RotateKeyOnDemandCommand,
  ScheduleKeyDeletionCommand,
  SignCommand,
  UpdatePrimaryRegionCommand,
  VerifyCommand,
  VerifyMacCommand,
  type KMSClient,
} from "@aws-sdk/client-kms";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { LookupEventsCommand } from "@aws-sdk/client-cloudtrail";
import { cloudTrailClient } from "./audit-support.ts";
import { awsCli, hasAwsCli } from "./aws-cli-support.ts";
import { importMaterial } from "./import-support.ts";
import { ACCOUNT, awsError, useLocalWorker, utf8 } from "./support.ts";

const DAY_SECONDS = 0.2;
const worker = useLocalWorker({ DELETION_DAY_SECONDS: String(DAY_SECONDS) });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it returns true (changes between Regions arrive asynchronously, in well under a second). */
async function eventually(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not reached in time");
    await sleep(100);
  }
}

/** True once DescribeKey answers NotFoundException. */
async function gone(kms: KMSClient, keyId: string): Promise<boolean> {
  try {
    await kms.send(new DescribeKeyCommand({ KeyId: keyId }));
    return false;
  } catch (err) {
    return (err as Error).name === "NotFoundException";
  }
}

async function keySet(east: KMSClient, west: KMSClient) {
  const { KeyMetadata: primary } = await east.send(new CreateKeyCommand({ MultiRegion: true, Description: "primary" }));
  const replicated = await east.send(
    new ReplicateKeyCommand({
      KeyId: primary!.KeyId!,
      ReplicaRegion: "us-west-2",
      Description: "replica",
      Tags: [{ TagKey: "r", TagValue: "w" }],
    }),
  );
  const replicaArn = replicated.ReplicaKeyMetadata!.Arn!;
  // The primary's synchronisation reaches the replica asynchronously.
  await eventually(async () => {
    const { KeyMetadata } = await west.send(new DescribeKeyCommand({ KeyId: replicaArn }));
    return KeyMetadata!.KeyState === "Enabled" && KeyMetadata!.MultiRegionConfiguration!.ReplicaKeys!.some((r) => r.Arn === replicaArn);
  });
  return { keyId: primary!.KeyId!, primaryArn: primary!.Arn!, replicaArn, replicated };
}

describe("multi-Region keys", () => {
  it("serve each Region apart: keys, key lists and aliases of one Region are not in the other", async () => {
    const east = worker.client("test", "us-east-1");
    const west = worker.client("test", "us-west-2");
    const { KeyMetadata } = await east.send(new CreateKeyCommand({}));
    expect(KeyMetadata!.Arn).toBe(`arn:aws:kms:us-east-1:${ACCOUNT}:key/${KeyMetadata!.KeyId}`);
    expect(KeyMetadata!.MultiRegion).toBe(false);
    await east.send(new CreateAliasCommand({ AliasName: "alias/regional", TargetKeyId: KeyMetadata!.KeyId! }));
    expect((await awsError(west.send(new DescribeKeyCommand({ KeyId: KeyMetadata!.KeyId! })))).name).toBe("NotFoundException");
    expect((await awsError(west.send(new DescribeKeyCommand({ KeyId: "alias/regional" })))).name).toBe("NotFoundException");
    const westKeys = (await west.send(new ListKeysCommand({}))).Keys ?? [];
    expect(westKeys.some((k) => k.KeyId === KeyMetadata!.KeyId)).toBe(false);
    const other = worker.client("test", "eu-west-1");
    expect((await awsError(other.send(new ListKeysCommand({})))).name).toBe("InvalidSignatureException");
  });

  it("encrypt in one Region and decrypt in the other, with their own policy, tags, aliases and state", async () => {
    const east = worker.client("test", "us-east-1");
    const west = worker.client("test", "us-west-2");
    const { keyId, primaryArn, replicaArn, replicated } = await keySet(east, west);
    expect(keyId).toMatch(/^mrk-[0-9a-f]{32}$/);
    expect(replicaArn).toBe(`arn:aws:kms:us-west-2:${ACCOUNT}:key/${keyId}`);
    // ReplicateKey answers the transient Creating, as AWS does; the replica is Enabled once the
    // primary's synchronisation reached it.
    expect(replicated.ReplicaKeyMetadata).toMatchObject({ KeyId: keyId, MultiRegion: true, Description: "replica", KeyState: "Creating" });
    expect(replicated.ReplicaTags).toEqual([{ TagKey: "r", TagValue: "w" }]);
    expect(JSON.parse(replicated.ReplicaPolicy!).Statement[0].Principal.AWS).toBe(`arn:aws:iam::${ACCOUNT}:root`);

    const { KeyMetadata: primary } = await east.send(new DescribeKeyCommand({ KeyId: keyId }));
    expect(primary!.MultiRegionConfiguration).toEqual({
      MultiRegionKeyType: "PRIMARY",
      PrimaryKey: { Arn: primaryArn, Region: "us-east-1" },
      ReplicaKeys: [{ Arn: replicaArn, Region: "us-west-2" }],
    });
    const { KeyMetadata: replica } = await west.send(new DescribeKeyCommand({ KeyId: keyId }));
    expect(replica).toMatchObject({
      Arn: replicaArn,
      Description: "replica",
      KeyState: "Enabled",
      MultiRegionConfiguration: { MultiRegionKeyType: "REPLICA" },
    });

    const context = { purpose: "mrk" };
    const sealed = await east.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8("across Regions"), EncryptionContext: context }));
    const opened = await west.send(new DecryptCommand({ CiphertextBlob: sealed.CiphertextBlob, EncryptionContext: context }));
    expect(opened.KeyId).toBe(replicaArn);
    expect(new TextDecoder().decode(opened.Plaintext)).toBe("across Regions");
    const named = await west.send(new DecryptCommand({ KeyId: keyId, CiphertextBlob: sealed.CiphertextBlob, EncryptionContext: context }));
    expect(new TextDecoder().decode(named.Plaintext)).toBe("across Regions");
    const back = await west.send(new EncryptCommand({ KeyId: replicaArn, Plaintext: utf8("and back") }));
    expect(new TextDecoder().decode((await east.send(new DecryptCommand({ CiphertextBlob: back.CiphertextBlob }))).Plaintext)).toBe(
      "and back",
    );
    const re = await west.send(
      new ReEncryptCommand({ CiphertextBlob: sealed.CiphertextBlob, SourceEncryptionContext: context, DestinationKeyId: keyId }),
    );
    expect(re.SourceKeyId).toBe(replicaArn);
    expect(new TextDecoder().decode((await east.send(new DecryptCommand({ CiphertextBlob: re.CiphertextBlob }))).Plaintext)).toBe(
      "across Regions",
    );
    // The wrong encryption context fails in every Region.
    expect((await awsError(west.send(new DecryptCommand({ CiphertextBlob: sealed.CiphertextBlob })))).name).toBe(
      "InvalidCiphertextException",
    );

    // Independent properties: aliases, tags and the enabled state are the replica's own.
    await west.send(new CreateAliasCommand({ AliasName: "alias/mrk-west", TargetKeyId: keyId }));
    expect((await east.send(new ListAliasesCommand({ KeyId: keyId }))).Aliases).toEqual([]);
    expect((await east.send(new ListResourceTagsCommand({ KeyId: keyId }))).Tags).toEqual([]);
    await west.send(new DisableKeyCommand({ KeyId: keyId }));
    expect((await awsError(west.send(new EncryptCommand({ KeyId: "alias/mrk-west", Plaintext: utf8("x") })))).name).toBe(
      "DisabledException",
    );
    await east.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8("the primary is still enabled") }));
    expect(((await west.send(new ListKeysCommand({}))).Keys ?? []).map((k) => k.KeyArn)).toContain(replicaArn);

    // ReplicateKey's refusals.
    expect((await awsError(east.send(new ReplicateKeyCommand({ KeyId: keyId, ReplicaRegion: "us-west-2" })))).name).toBe(
      "AlreadyExistsException",
    );
    expect((await awsError(east.send(new ReplicateKeyCommand({ KeyId: keyId, ReplicaRegion: "eu-west-1" })))).name).toBe(
      "ValidationException",
    );
    expect((await awsError(west.send(new ReplicateKeyCommand({ KeyId: keyId, ReplicaRegion: "us-east-1" })))).name).toBe(
      "UnsupportedOperationException",
    );
    const { KeyMetadata: single } = await east.send(new CreateKeyCommand({}));
    expect((await awsError(east.send(new ReplicateKeyCommand({ KeyId: single!.KeyId!, ReplicaRegion: "us-west-2" })))).name).toBe(
      "UnsupportedOperationException",
    );
  });

  it("need kms:ReplicateKey on the primary and kms:CreateKey in an IAM policy to replicate", async () => {
    const east = worker.client("test", "us-east-1");
    const policy = JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        { Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: "kms:*", Resource: "*" },
        { Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:user/alice` }, Action: "kms:ReplicateKey", Resource: "*" },
      ],
    });
    const { KeyMetadata } = await east.send(new CreateKeyCommand({ MultiRegion: true, Policy: policy }));
    const replicate = new ReplicateKeyCommand({ KeyId: KeyMetadata!.Arn!, ReplicaRegion: "us-west-2" });
    // alice may replicate the primary, but no IAM policy lets her create keys.
    const denied = await awsError(worker.client("alice", "us-east-1").send(replicate));
    expect([denied.name, denied.message.includes("kms:CreateKey")]).toEqual(["AccessDeniedException", true]);
    expect((await awsError(worker.client("charlie", "us-east-1").send(replicate))).name).toBe("AccessDeniedException");
    expect((await awsError(worker.client("test", "us-west-2").send(new DescribeKeyCommand({ KeyId: KeyMetadata!.KeyId! })))).name).toBe(
      "NotFoundException",
    );
    // bob's IAM policy allows kms:* and the key policy lets IAM policies decide.
    const { ReplicaKeyMetadata } = await worker.client("bob", "us-east-1").send(replicate);
    const replicaArn = ReplicaKeyMetadata!.Arn!;
    expect(replicaArn).toBe(`arn:aws:kms:us-west-2:${ACCOUNT}:key/${KeyMetadata!.KeyId}`);

    // Each Region's trail: ReplicateKey in the primary's, a CreateKey in the replica's (as AWS records them).
    const names = async (region: string) => {
      const trail = cloudTrailClient(worker.url, "test", region);
      const page = await trail.send(
        new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: "ResourceName", AttributeValue: replicaArn }] }),
      );
      return (page.Events ?? []).filter((e) => e.Username === "bob").map((e) => e.EventName);
    };
    await eventually(async () => (await names("us-west-2")).includes("CreateKey") && (await names("us-east-1")).includes("ReplicateKey"));
    expect(await names("us-west-2")).not.toContain("ReplicateKey");
  });

  it("replicate HMAC and asymmetric keys: a MAC or signature made in one Region verifies in the other", async () => {
    const east = worker.client("test", "us-east-1");
    const west = worker.client("test", "us-west-2");
    const { KeyMetadata: hmac } = await east.send(
      new CreateKeyCommand({ MultiRegion: true, KeySpec: "HMAC_256", KeyUsage: "GENERATE_VERIFY_MAC" }),
    );
    await east.send(new ReplicateKeyCommand({ KeyId: hmac!.KeyId!, ReplicaRegion: "us-west-2" }));
    const { Mac } = await east.send(new GenerateMacCommand({ KeyId: hmac!.KeyId!, MacAlgorithm: "HMAC_SHA_256", Message: utf8("m") }));
    const verified = await west.send(new VerifyMacCommand({ KeyId: hmac!.KeyId!, MacAlgorithm: "HMAC_SHA_256", Message: utf8("m"), Mac }));
    expect(verified.MacValid).toBe(true);

    const { KeyMetadata: pair } = await east.send(
      new CreateKeyCommand({ MultiRegion: true, KeySpec: "ECC_NIST_P256", KeyUsage: "SIGN_VERIFY" }),
    );
    const { ReplicaKeyMetadata } = await east.send(new ReplicateKeyCommand({ KeyId: pair!.KeyId!, ReplicaRegion: "us-west-2" }));
    expect(ReplicaKeyMetadata).toMatchObject({ KeySpec: "ECC_NIST_P256", KeyUsage: "SIGN_VERIFY" });
    const { Signature } = await west.send(
      new SignCommand({ KeyId: pair!.KeyId!, SigningAlgorithm: "ECDSA_SHA_256", Message: utf8("signed in us-west-2") }),
    );
    const checked = await east.send(
      new VerifyCommand({ KeyId: pair!.KeyId!, SigningAlgorithm: "ECDSA_SHA_256", Message: utf8("signed in us-west-2"), Signature }),
    );
    expect(checked.SignatureValid).toBe(true);
    const [eastKey, westKey] = await Promise.all([
      east.send(new GetPublicKeyCommand({ KeyId: pair!.KeyId! })),
      west.send(new GetPublicKeyCommand({ KeyId: pair!.KeyId! })),
    ]);
    expect(Buffer.from(westKey.PublicKey!).equals(Buffer.from(eastKey.PublicKey!))).toBe(true);
  });

  it("shares the primary's rotations and survives a change of primary Region", async () => {
    const east = worker.client("test", "us-east-1");
    const west = worker.client("test", "us-west-2");
    const { keyId, primaryArn, replicaArn } = await keySet(east, west);
    expect((await awsError(west.send(new RotateKeyOnDemandCommand({ KeyId: keyId })))).name).toBe("UnsupportedOperationException");
    const before = (await east.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata!.CurrentKeyMaterialId;
    await east.send(new RotateKeyOnDemandCommand({ KeyId: keyId }));
    let rotated: string | undefined;
    await eventually(async () => {
      rotated = (await east.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata!.CurrentKeyMaterialId;
      const inWest = (await west.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata!.CurrentKeyMaterialId;
      return rotated !== before && inWest === rotated;
    });
    const sealed = await east.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8("new material") }));
    expect((await west.send(new DecryptCommand({ CiphertextBlob: sealed.CiphertextBlob }))).KeyMaterialId).toBe(rotated);

    await east.send(new UpdatePrimaryRegionCommand({ KeyId: keyId, PrimaryRegion: "us-west-2" }));
    await eventually(async () => {
      const w = (await west.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata!.MultiRegionConfiguration!;
      const e = (await east.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata!.MultiRegionConfiguration!;
      return w.MultiRegionKeyType === "PRIMARY" && e.MultiRegionKeyType === "REPLICA";
    });
    const { KeyMetadata } = await east.send(new DescribeKeyCommand({ KeyId: keyId }));
    expect(KeyMetadata!.MultiRegionConfiguration).toEqual({
      MultiRegionKeyType: "REPLICA",
      PrimaryKey: { Arn: replicaArn, Region: "us-west-2" },
      ReplicaKeys: [{ Arn: primaryArn, Region: "us-east-1" }],
    });
    // The new primary rotates (and replicates); the old one no longer does.
    expect((await awsError(east.send(new RotateKeyOnDemandCommand({ KeyId: keyId })))).name).toBe("UnsupportedOperationException");
    expect((await west.send(new GetKeyRotationStatusCommand({ KeyId: keyId }))).KeyRotationEnabled).toBe(false);
    const fromWest = await west.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8("after the change") }));
    expect(new TextDecoder().decode((await east.send(new DecryptCommand({ CiphertextBlob: fromWest.CiphertextBlob }))).Plaintext)).toBe(
      "after the change",
    );
    expect(new TextDecoder().decode((await west.send(new DecryptCommand({ CiphertextBlob: sealed.CiphertextBlob }))).Plaintext)).toBe(
      "new material",
    );
  });

  it("with imported key material: the replica waits for the same material, imported into it, then opens the primary's ciphertexts and rotates with it", async () => {
    const east = worker.client("test", "us-east-1");
    const west = worker.client("test", "us-west-2");
    const { KeyMetadata: created } = await east.send(new CreateKeyCommand({ MultiRegion: true, Origin: "EXTERNAL" }));
    expect(created).toMatchObject({ MultiRegion: true, Origin: "EXTERNAL", KeyState: "PendingImport" });
    const keyId = created!.KeyId!;
    const material = randomBytes(32);
    const imported = await importMaterial(east, keyId, material);
    const { ReplicaKeyMetadata } = await east.send(new ReplicateKeyCommand({ KeyId: keyId, ReplicaRegion: "us-west-2" }));
    expect(ReplicaKeyMetadata).toMatchObject({ KeyId: keyId, Origin: "EXTERNAL", MultiRegion: true });
    // No material travels between Regions: the replica is created without any.
    await eventually(async () => (await west.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata!.KeyState === "PendingImport");
    const sealed = await east.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8("imported twice") }));
    expect((await awsError(west.send(new DecryptCommand({ CiphertextBlob: sealed.CiphertextBlob })))).name).toBe(
      "KMSInvalidStateException",
    );

    // Only the primary's material is accepted, and new material goes to the primary only.
    expect((await awsError(importMaterial(west, keyId, randomBytes(32)))).name).toBe("IncorrectKeyMaterialException");
    const newMaterial = { ImportType: "NEW_KEY_MATERIAL" } as const;
    expect((await awsError(importMaterial(west, keyId, randomBytes(32), undefined, undefined, newMaterial))).name).toBe(
      "UnsupportedOperationException",
    );
    expect((await west.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata!.KeyState).toBe("PendingImport");
    const validTo = new Date(Date.now() + 3_600_000);
    const again = await importMaterial(west, keyId, material, validTo);
    // The same material has the same KeyMaterialId in both Regions.
    expect(again.KeyMaterialId).toBe(imported.KeyMaterialId);

    // Each key has its own expiration.
    const replica = (await west.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata!;
    expect(replica).toMatchObject({
      KeyState: "Enabled",
      ExpirationModel: "KEY_MATERIAL_EXPIRES",
      CurrentKeyMaterialId: imported.KeyMaterialId,
    });
    expect(Math.abs(replica.ValidTo!.getTime() - validTo.getTime())).toBeLessThan(1000);
    const primary = (await east.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata!;
    expect(primary.ExpirationModel).toBe("KEY_MATERIAL_DOES_NOT_EXPIRE");
    expect(primary.ValidTo).toBeUndefined();

    const opened = await west.send(new DecryptCommand({ CiphertextBlob: sealed.CiphertextBlob }));
    expect(new TextDecoder().decode(opened.Plaintext)).toBe("imported twice");
    expect(opened.KeyId).toBe(replica.Arn);
    const fromWestBefore = await west.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8("west") }));
    expect(
      new TextDecoder().decode((await east.send(new DecryptCommand({ CiphertextBlob: fromWestBefore.CiphertextBlob }))).Plaintext),
    ).toBe("west");

    // Rotation: new material goes into the primary, the same into each replica, then the primary rotates the set.
    const next = randomBytes(32);
    const rotation = await importMaterial(east, keyId, next, undefined, undefined, newMaterial);
    const stateOf = async (kms: KMSClient) =>
      (await kms.send(new ListKeyRotationsCommand({ KeyId: keyId, IncludeKeyMaterial: "ALL_KEY_MATERIAL" }))).Rotations!.find(
        (r) => r.KeyMaterialId === rotation.KeyMaterialId,
      );
    expect(await stateOf(east)).toMatchObject({ KeyMaterialState: "PENDING_MULTI_REGION_IMPORT_AND_ROTATION", ImportState: "IMPORTED" });
    expect((await awsError(east.send(new RotateKeyOnDemandCommand({ KeyId: keyId })))).name).toBe("KMSInvalidStateException");
    await eventually(async () => (await stateOf(west))?.ImportState === "PENDING_IMPORT");
    expect((await importMaterial(west, keyId, next)).KeyMaterialId).toBe(rotation.KeyMaterialId);
    await eventually(async () => (await stateOf(east))?.KeyMaterialState === "PENDING_ROTATION");
    await east.send(new RotateKeyOnDemandCommand({ KeyId: keyId }));
    await eventually(async () => {
      const inEast = (await east.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata!.CurrentKeyMaterialId;
      const inWest = (await west.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata!.CurrentKeyMaterialId;
      return inEast === rotation.KeyMaterialId && inWest === rotation.KeyMaterialId;
    });
    const fromWest = await west.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8("back east") }));
    const openedEast = await east.send(new DecryptCommand({ CiphertextBlob: fromWest.CiphertextBlob }));
    expect(new TextDecoder().decode(openedEast.Plaintext)).toBe("back east");
    expect(openedEast.KeyMaterialId).toBe(rotation.KeyMaterialId);

    // Deleting the replica's material is the replica's alone.
    await west.send(new DeleteImportedKeyMaterialCommand({ KeyId: keyId }));
    expect((await west.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata!.KeyState).toBe("PendingImport");
    expect((await awsError(west.send(new DecryptCommand({ CiphertextBlob: sealed.CiphertextBlob })))).name).toBe(
      "KMSInvalidStateException",
    );
    expect((await east.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata!.KeyState).toBe("Enabled");
    expect(new TextDecoder().decode((await east.send(new DecryptCommand({ CiphertextBlob: fromWest.CiphertextBlob }))).Plaintext)).toBe(
      "back east",
    );
    // ...and the same material brings it back (the replica still holds the first material).
    await importMaterial(west, keyId, next);
    expect(new TextDecoder().decode((await west.send(new DecryptCommand({ CiphertextBlob: sealed.CiphertextBlob }))).Plaintext)).toBe(
      "imported twice",
    );
  });

  it("keeps a primary with replicas in PendingReplicaDeletion until its last replica is deleted", async () => {
    const east = worker.client("test", "us-east-1");
    const west = worker.client("test", "us-west-2");
    const { keyId, replicaArn } = await keySet(east, west);
    const scheduled = await east.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 }));
    expect(scheduled).toMatchObject({ KeyState: "PendingReplicaDeletion", PendingWindowInDays: 7 });
    expect(scheduled.DeletionDate).toBeUndefined();
    expect((await awsError(east.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8("x") })))).name).toBe("KMSInvalidStateException");
    await east.send(new CancelKeyDeletionCommand({ KeyId: keyId }));
    expect((await east.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata!.KeyState).toBe("Disabled");
    await east.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 }));
    await sleep(7 * DAY_SECONDS * 1000 + 500);
    // Still waiting: its replica is there.
    expect((await east.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata).toMatchObject({
      KeyState: "PendingReplicaDeletion",
      PendingDeletionWindowInDays: 7,
    });

    // A replica's deletion is its own; once it is gone the primary's waiting period starts.
    const replicaDeletion = await west.send(new ScheduleKeyDeletionCommand({ KeyId: replicaArn, PendingWindowInDays: 7 }));
    expect(replicaDeletion.KeyState).toBe("PendingDeletion");
    await eventually(() => gone(west, keyId), 15_000);
    let deletionDate: Date | undefined;
    await eventually(async () => {
      const { KeyMetadata } = await east.send(new DescribeKeyCommand({ KeyId: keyId }));
      deletionDate = KeyMetadata!.DeletionDate;
      return KeyMetadata!.KeyState === "PendingDeletion";
    });
    expect(deletionDate!.getTime()).toBeGreaterThan(Date.now());
    await eventually(() => gone(east, keyId), 15_000);
  }, 40_000);

  it.skipIf(!hasAwsCli)("works from the AWS CLI with --region", () => {
    const dir = mkdtempSync(join(tmpdir(), "edgekms-mrk-"));
    try {
      const created = JSON.parse(awsCli(worker.url, "kms", "create-key", "--multi-region", "--region", "us-east-1"));
      const keyId = created.KeyMetadata.KeyId as string;
      expect(created.KeyMetadata.MultiRegionConfiguration.MultiRegionKeyType).toBe("PRIMARY");
      const replica = JSON.parse(
        awsCli(worker.url, "kms", "replicate-key", "--key-id", keyId, "--replica-region", "us-west-2", "--region", "us-east-1"),
      );
      expect(replica.ReplicaKeyMetadata.Arn).toBe(`arn:aws:kms:us-west-2:${ACCOUNT}:key/${keyId}`);
      const plaintext = join(dir, "plain.txt");
      writeFileSync(plaintext, "from the CLI");
      const blob = join(dir, "blob.bin");
      const sealed = JSON.parse(
        awsCli(worker.url, "kms", "encrypt", "--region", "us-east-1", "--key-id", keyId, "--plaintext", `fileb://${plaintext}`),
      );
      writeFileSync(blob, Buffer.from(sealed.CiphertextBlob, "base64"));
      const opened = JSON.parse(awsCli(worker.url, "kms", "decrypt", "--region", "us-west-2", "--ciphertext-blob", `fileb://${blob}`));
      expect(opened.KeyId).toBe(replica.ReplicaKeyMetadata.Arn);
      expect(Buffer.from(opened.Plaintext, "base64").toString()).toBe("from the CLI");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
