/**
 * Scheduled key deletion end to end through @aws-sdk/client-kms (the guide's "Deleting Customer
 * Master Keys" and KEY-STATES.md's PendingDeletion column). One "day" of the pending window is
 * shortened to one second by configuration (DELETION_DAY_SECONDS) so the Durable Object alarm
 * deletes keys during the test; the API still accepts exactly 7–30 days.
 */
import {
  CancelKeyDeletionCommand,
  CreateAliasCommand,
  CreateKeyCommand,
  DecryptCommand,
  DeleteAliasCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  DisableKeyRotationCommand,
  EnableKeyCommand,
  EnableKeyRotationCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  GenerateDataKeyWithoutPlaintextCommand,
  GetKeyPolicyCommand,
  GetKeyRotationStatusCommand,
  ListAliasesCommand,
  ListKeyPoliciesCommand,
  ListKeysCommand,
  ListResourceTagsCommand,
  PutKeyPolicyCommand,
  ReEncryptCommand,
  ScheduleKeyDeletionCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateAliasCommand,
  UpdateKeyDescriptionCommand,
  type KMSClient,
} from "@aws-sdk/client-kms";
import { describe, expect, it } from "vitest";
import { awsError, useLocalWorker, utf8 } from "./support.ts";

const DAY_SECONDS = 1;
const worker = useLocalWorker({ DELETION_DAY_SECONDS: String(DAY_SECONDS) });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function newKey(kms: KMSClient) {
  const { KeyMetadata } = await kms.send(new CreateKeyCommand({ Description: "to delete" }));
  return { keyId: KeyMetadata!.KeyId!, arn: KeyMetadata!.Arn! };
}

/** Polls DescribeKey until the key is gone; returns the NotFoundException it ends with. */
async function waitUntilDeleted(kms: KMSClient, keyId: string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await kms.send(new DescribeKeyCommand({ KeyId: keyId }));
    } catch (err) {
      return err as Error;
    }
    if (Date.now() > deadline) throw new Error("key was not deleted in time");
    await sleep(300);
  }
}

describe("ScheduleKeyDeletion", () => {
  it("defaults to a 30-day window and answers the key ARN, DeletionDate, PendingDeletion and the window", async () => {
    const kms = worker.client();
    const { keyId, arn } = await newKey(kms);
    const before = Date.now();
    const scheduled = await kms.send(new ScheduleKeyDeletionCommand({ KeyId: keyId }));
    expect(scheduled).toMatchObject({ KeyId: arn, KeyState: "PendingDeletion", PendingWindowInDays: 30 });
    expect(scheduled.DeletionDate!.getTime()).toBeGreaterThanOrEqual(before + 30 * DAY_SECONDS * 1000 - 1000);
    expect(scheduled.DeletionDate!.getTime()).toBeLessThanOrEqual(Date.now() + 30 * DAY_SECONDS * 1000 + 1000);
    const { KeyMetadata } = await kms.send(new DescribeKeyCommand({ KeyId: keyId }));
    expect(KeyMetadata).toMatchObject({ KeyState: "PendingDeletion", Enabled: false, PendingDeletionWindowInDays: 30 });
    expect(KeyMetadata!.DeletionDate!.getTime()).toBe(scheduled.DeletionDate!.getTime());
    await kms.send(new CancelKeyDeletionCommand({ KeyId: keyId }));
  });

  it("accepts windows of exactly 7 and 30 days and refuses 6, 31 and 0 with ValidationException", async () => {
    const kms = worker.client();
    for (const [days, constraint] of [
      [6, "greater than or equal to 7"],
      [31, "less than or equal to 30"],
      [0, "greater than or equal to 1"],
    ] as const) {
      const { keyId } = await newKey(kms);
      const err = await awsError(kms.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: days })));
      expect(err).toEqual({
        name: "ValidationException",
        status: 400,
        message: `1 validation error detected: Value '${days}' at 'pendingWindowInDays' failed to satisfy constraint: Member must have value ${constraint}`,
      });
      const { KeyMetadata } = await kms.send(new DescribeKeyCommand({ KeyId: keyId }));
      expect(KeyMetadata!.KeyState).toBe("Enabled");
    }
    for (const days of [7, 30]) {
      const { keyId } = await newKey(kms);
      const scheduled = await kms.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: days }));
      expect(scheduled.PendingWindowInDays).toBe(days);
      await kms.send(new CancelKeyDeletionCommand({ KeyId: keyId }));
    }
  });

  it("answers NotFoundException for a key that does not exist", async () => {
    const kms = worker.client();
    const missing = crypto.randomUUID();
    const err = await awsError(kms.send(new ScheduleKeyDeletionCommand({ KeyId: missing })));
    expect(err.name).toBe("NotFoundException");
    expect(err.message).toBe(`Key 'arn:aws:kms:us-east-1:111122223333:key/${missing}' does not exist`);
  });
});

describe("CancelKeyDeletion", () => {
  it("returns the key to Disabled without DeletionDate; EnableKey then makes old ciphertexts decrypt again", async () => {
    const kms = worker.client();
    const { keyId, arn } = await newKey(kms);
    const enc = await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8("survives") }));
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 30 }));
    const cancelled = await kms.send(new CancelKeyDeletionCommand({ KeyId: keyId }));
    expect(cancelled.KeyId).toBe(arn);
    const { KeyMetadata } = await kms.send(new DescribeKeyCommand({ KeyId: keyId }));
    expect(KeyMetadata).toMatchObject({ KeyState: "Disabled", Enabled: false });
    expect(KeyMetadata!.DeletionDate).toBeUndefined();
    expect(KeyMetadata!.PendingDeletionWindowInDays).toBeUndefined();
    expect((await awsError(kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob })))).name).toBe("DisabledException");
    await kms.send(new EnableKeyCommand({ KeyId: keyId }));
    const dec = await kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob }));
    expect(new TextDecoder().decode(dec.Plaintext)).toBe("survives");
  });

  it("refuses a key that is not pending deletion with KMSInvalidStateException '<arn> is not pending deletion.'", async () => {
    const kms = worker.client();
    const { keyId, arn } = await newKey(kms);
    for (const prepare of [async () => {}, () => kms.send(new DisableKeyCommand({ KeyId: keyId }))]) {
      await prepare();
      const err = await awsError(kms.send(new CancelKeyDeletionCommand({ KeyId: keyId })));
      expect(err).toEqual({ name: "KMSInvalidStateException", status: 400, message: `${arn} is not pending deletion.` });
    }
  });

  it("schedules a Disabled key too, and cancelling returns it to Disabled", async () => {
    const kms = worker.client();
    const { keyId } = await newKey(kms);
    await kms.send(new DisableKeyCommand({ KeyId: keyId }));
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 20 }));
    await kms.send(new CancelKeyDeletionCommand({ KeyId: keyId }));
    const { KeyMetadata } = await kms.send(new DescribeKeyCommand({ KeyId: keyId }));
    expect(KeyMetadata!.KeyState).toBe("Disabled");
  });
});

describe("a key pending deletion (KEY-STATES.md)", () => {
  it("refuses every [P] operation with KMSInvalidStateException '<arn> is pending deletion.' and allows the rest", async () => {
    const kms = worker.client();
    const { keyId, arn } = await newKey(kms);
    const other = await newKey(kms);
    const enc = await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8("pending") }));
    const otherEnc = await kms.send(new EncryptCommand({ KeyId: other.keyId, Plaintext: utf8("other") }));
    const alias = `alias/pending-${crypto.randomUUID()}`;
    const movable = `alias/movable-${crypto.randomUUID()}`;
    const removable = `alias/removable-${crypto.randomUUID()}`;
    await kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: keyId }));
    await kms.send(new CreateAliasCommand({ AliasName: movable, TargetKeyId: keyId }));
    await kms.send(new CreateAliasCommand({ AliasName: removable, TargetKeyId: keyId }));
    await kms.send(new CreateAliasCommand({ AliasName: `alias/other-${keyId}`, TargetKeyId: other.keyId }));
    await kms.send(new TagResourceCommand({ KeyId: keyId, Tags: [{ TagKey: "team", TagValue: "a" }] }));
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 30 }));

    const refused: Record<string, () => Promise<unknown>> = {
      Encrypt: () => kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8("x") })),
      Decrypt: () => kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob })),
      ReEncryptFrom: () => kms.send(new ReEncryptCommand({ CiphertextBlob: enc.CiphertextBlob, DestinationKeyId: other.keyId })),
      ReEncryptTo: () => kms.send(new ReEncryptCommand({ CiphertextBlob: otherEnc.CiphertextBlob, DestinationKeyId: keyId })),
      GenerateDataKey: () => kms.send(new GenerateDataKeyCommand({ KeyId: keyId, KeySpec: "AES_256" })),
      GenerateDataKeyWithoutPlaintext: () => kms.send(new GenerateDataKeyWithoutPlaintextCommand({ KeyId: keyId, KeySpec: "AES_256" })),
      EnableKey: () => kms.send(new EnableKeyCommand({ KeyId: keyId })),
      DisableKey: () => kms.send(new DisableKeyCommand({ KeyId: keyId })),
      EnableKeyRotation: () => kms.send(new EnableKeyRotationCommand({ KeyId: keyId })),
      DisableKeyRotation: () => kms.send(new DisableKeyRotationCommand({ KeyId: keyId })),
      UpdateKeyDescription: () => kms.send(new UpdateKeyDescriptionCommand({ KeyId: keyId, Description: "d" })),
      TagResource: () => kms.send(new TagResourceCommand({ KeyId: keyId, Tags: [{ TagKey: "k", TagValue: "v" }] })),
      UntagResource: () => kms.send(new UntagResourceCommand({ KeyId: keyId, TagKeys: ["team"] })),
      CreateAlias: () => kms.send(new CreateAliasCommand({ AliasName: `alias/new-${crypto.randomUUID()}`, TargetKeyId: keyId })),
      "UpdateAlias (pending key as target)": () =>
        kms.send(new UpdateAliasCommand({ AliasName: `alias/other-${keyId}`, TargetKeyId: keyId })),
      ScheduleKeyDeletion: () => kms.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 })),
    };
    for (const [name, call] of Object.entries(refused)) {
      const err = await awsError(call());
      expect({ name, error: err.name, message: err.message }).toEqual({
        name,
        error: "KMSInvalidStateException",
        message: `${arn} is pending deletion.`,
      });
    }

    const { KeyMetadata } = await kms.send(new DescribeKeyCommand({ KeyId: alias }));
    expect(KeyMetadata!.KeyState).toBe("PendingDeletion");
    expect((await kms.send(new ListResourceTagsCommand({ KeyId: keyId }))).Tags).toEqual([{ TagKey: "team", TagValue: "a" }]);
    const policy = (await kms.send(new GetKeyPolicyCommand({ KeyId: keyId, PolicyName: "default" }))).Policy!;
    await kms.send(new PutKeyPolicyCommand({ KeyId: keyId, PolicyName: "default", Policy: policy }));
    expect((await kms.send(new ListKeyPoliciesCommand({ KeyId: keyId }))).PolicyNames).toEqual(["default"]);
    expect((await kms.send(new GetKeyRotationStatusCommand({ KeyId: keyId }))).KeyRotationEnabled).toBe(false);
    await kms.send(new UpdateAliasCommand({ AliasName: movable, TargetKeyId: other.keyId }));
    await kms.send(new DeleteAliasCommand({ AliasName: removable }));
    const keys = await kms.send(new ListKeysCommand({}));
    expect(keys.Keys!.map((k) => k.KeyId)).toContain(keyId);
    await kms.send(new CancelKeyDeletionCommand({ KeyId: keyId }));
  });
});

describe("the deletion alarm", () => {
  it("deletes the key and every alias pointing at it at DeletionDate; later calls answer NotFoundException", async () => {
    const kms = worker.client();
    const { keyId, arn } = await newKey(kms);
    const alias = `alias/doomed-${crypto.randomUUID()}`;
    await kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: keyId }));
    const enc = await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8("lost forever") }));
    const scheduled = await kms.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 }));

    const gone = await waitUntilDeleted(kms, keyId, 7 * DAY_SECONDS * 1000 + 15_000);
    expect(Date.now()).toBeGreaterThanOrEqual(scheduled.DeletionDate!.getTime() - 50);
    expect({ name: gone.name, message: gone.message }).toEqual({
      name: "NotFoundException",
      message: `Key '${arn}' does not exist`,
    });
    const keys = await kms.send(new ListKeysCommand({ Limit: 1000 }));
    expect(keys.Keys!.map((k) => k.KeyId)).not.toContain(keyId);
    const aliases = await kms.send(new ListAliasesCommand({ Limit: 1000 }));
    expect(aliases.Aliases!.map((a) => a.AliasName)).not.toContain(alias);
    expect((await awsError(kms.send(new DescribeKeyCommand({ KeyId: alias })))).name).toBe("NotFoundException");
    for (const call of [
      () => kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8("x") })),
      () => kms.send(new CancelKeyDeletionCommand({ KeyId: keyId })),
      () => kms.send(new ScheduleKeyDeletionCommand({ KeyId: keyId })),
      () => kms.send(new ListResourceTagsCommand({ KeyId: keyId })),
    ]) {
      expect(await awsError(call())).toMatchObject({ name: "NotFoundException", message: `Key '${arn}' does not exist` });
    }
    // A ciphertext under a deleted key can never be decrypted again.
    expect((await awsError(kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob })))).name).toBe("InvalidCiphertextException");
  }, 40_000);

  it("survives a restart of the service while the key is pending deletion", async () => {
    const kms = worker.client();
    const { keyId } = await newKey(kms);
    // Ten "days" (10 s): several times a restart of either runtime, so the key is still pending
    // deletion when the service is back, and short enough not to idle the suite.
    const window = 10;
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: window }));
    await worker.restart();
    const after = worker.client();
    const { KeyMetadata } = await after.send(new DescribeKeyCommand({ KeyId: keyId }));
    expect(KeyMetadata).toMatchObject({ KeyState: "PendingDeletion", PendingDeletionWindowInDays: window });
    const gone = await waitUntilDeleted(after, keyId, window * DAY_SECONDS * 1000 + 15_000);
    expect(gone.name).toBe("NotFoundException");
    const keys = await after.send(new ListKeysCommand({ Limit: 1000 }));
    expect(keys.Keys!.map((k) => k.KeyId)).not.toContain(keyId);
  }, 120_000);
});
