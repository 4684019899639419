import {
  CreateAliasCommand,
  CreateKeyCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  EnableKeyCommand,
  ListKeysCommand,
  UpdateKeyDescriptionCommand,
} from "@aws-sdk/client-kms";
import { describe, expect, it } from "vitest";
import { ACCOUNT, awsError, REGION, useLocalWorker } from "./support.ts";

const worker = useLocalWorker({ KEYS_PER_ACCOUNT: "12" });

describe("CreateKey and DescribeKey", () => {
  it("creates an enabled symmetric key with every KeyMetadata field AWS returns", async () => {
    const kms = worker.client();
    const before = Date.now();
    const { KeyMetadata: meta } = await kms.send(new CreateKeyCommand({ Description: "orders" }));
    expect(meta).toBeDefined();
    expect(meta!.KeyId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(meta!.Arn).toBe(`arn:aws:kms:${REGION}:${ACCOUNT}:key/${meta!.KeyId}`);
    expect(meta!).toMatchObject({
      AWSAccountId: ACCOUNT,
      Enabled: true,
      Description: "orders",
      KeyUsage: "ENCRYPT_DECRYPT",
      KeyState: "Enabled",
      Origin: "AWS_KMS",
      KeyManager: "CUSTOMER",
      CustomerMasterKeySpec: "SYMMETRIC_DEFAULT",
      KeySpec: "SYMMETRIC_DEFAULT",
      EncryptionAlgorithms: ["SYMMETRIC_DEFAULT"],
      MultiRegion: false,
    });
    expect(meta!.CreationDate!.getTime()).toBeGreaterThanOrEqual(before - 2000);
    expect(meta!.CreationDate!.getTime()).toBeLessThanOrEqual(Date.now() + 2000);
  });

  it("describes a key by key ID, key ARN, alias name and alias ARN", async () => {
    const kms = worker.client();
    const { KeyMetadata: meta } = await kms.send(new CreateKeyCommand({}));
    await kms.send(new CreateAliasCommand({ AliasName: "alias/describe-me", TargetKeyId: meta!.KeyId }));
    for (const keyId of [meta!.KeyId!, meta!.Arn!, "alias/describe-me", `arn:aws:kms:${REGION}:${ACCOUNT}:alias/describe-me`]) {
      const described = await kms.send(new DescribeKeyCommand({ KeyId: keyId }));
      expect(described.KeyMetadata!.Arn).toBe(meta!.Arn);
    }
  });

  it("answers NotFoundException for an unknown key, an unknown alias and a malformed key ID", async () => {
    const kms = worker.client();
    const missing = "11111111-2222-4333-8444-555555555555";
    const unknownKey = await awsError(kms.send(new DescribeKeyCommand({ KeyId: missing })));
    expect(unknownKey.name).toBe("NotFoundException");
    expect(unknownKey.status).toBe(400);
    expect(unknownKey.message).toBe(`Key 'arn:aws:kms:${REGION}:${ACCOUNT}:key/${missing}' does not exist`);
    const unknownAlias = await awsError(kms.send(new DescribeKeyCommand({ KeyId: "alias/nothing-here" })));
    expect(unknownAlias.name).toBe("NotFoundException");
    expect(unknownAlias.message).toContain(`arn:aws:kms:${REGION}:${ACCOUNT}:alias/nothing-here`);
    const malformed = await awsError(kms.send(new DescribeKeyCommand({ KeyId: "not-a-key" })));
    expect(malformed.name).toBe("NotFoundException");
  });

  it("refuses key specs and origins EdgeKMS does not build yet without creating a key", async () => {
    const kms = worker.client();
    const before = await kms.send(new ListKeysCommand({ Limit: 1000 }));
    const sm2 = await awsError(kms.send(new CreateKeyCommand({ KeySpec: "SM2", KeyUsage: "SIGN_VERIFY" })));
    expect(sm2.name).toBe("UnsupportedOperationException");
    const importedRsa = await awsError(
      kms.send(new CreateKeyCommand({ KeySpec: "RSA_2048", KeyUsage: "ENCRYPT_DECRYPT", Origin: "EXTERNAL" })),
    );
    expect(importedRsa.name).toBe("UnsupportedOperationException");
    const hsm = await awsError(kms.send(new CreateKeyCommand({ Origin: "AWS_CLOUDHSM" })));
    expect(hsm.name).toBe("UnsupportedOperationException");
    const sign = await awsError(kms.send(new CreateKeyCommand({ KeyUsage: "SIGN_VERIFY" })));
    expect(sign.name).toBe("ValidationException");
    const after = await kms.send(new ListKeysCommand({ Limit: 1000 }));
    expect(after.Keys!.length).toBe(before.Keys!.length);
  });

  it("rejects a description over 8192 characters with AWS's validation message", async () => {
    const kms = worker.client();
    const err = await awsError(kms.send(new CreateKeyCommand({ Description: "x".repeat(8193) })));
    expect(err.name).toBe("ValidationException");
    expect(err.message).toContain("at 'description' failed to satisfy constraint: Member must have length less than or equal to 8192");
  });

  it("does not show a key of one account to another account", async () => {
    const { KeyMetadata: meta } = await worker.client().send(new CreateKeyCommand({}));
    const byId = await awsError(worker.client("external").send(new DescribeKeyCommand({ KeyId: meta!.KeyId })));
    expect(byId.name).toBe("NotFoundException");
    const byArn = await awsError(worker.client("external").send(new DescribeKeyCommand({ KeyId: meta!.Arn })));
    expect(byArn.name).toBe("AccessDeniedException");
  });
});

describe("EnableKey, DisableKey and UpdateKeyDescription", () => {
  it("disables and re-enables a key, and changes its description", async () => {
    const kms = worker.client();
    const { KeyMetadata: meta } = await kms.send(new CreateKeyCommand({ Description: "before" }));
    await kms.send(new DisableKeyCommand({ KeyId: meta!.KeyId }));
    let described = await kms.send(new DescribeKeyCommand({ KeyId: meta!.KeyId }));
    expect(described.KeyMetadata).toMatchObject({ Enabled: false, KeyState: "Disabled" });
    await kms.send(new EnableKeyCommand({ KeyId: meta!.KeyId }));
    await kms.send(new UpdateKeyDescriptionCommand({ KeyId: meta!.KeyId, Description: "after" }));
    described = await kms.send(new DescribeKeyCommand({ KeyId: meta!.KeyId }));
    expect(described.KeyMetadata).toMatchObject({ Enabled: true, KeyState: "Enabled", Description: "after" });
  });
});

describe("ListKeys", () => {
  it("pages through every key with Limit, Marker, NextMarker and Truncated", async () => {
    const kms = worker.client("external");
    const created = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const { KeyMetadata } = await kms.send(new CreateKeyCommand({}));
      created.add(KeyMetadata!.KeyId!);
    }
    const seen: string[] = [];
    let marker: string | undefined;
    let pages = 0;
    do {
      const page = await kms.send(new ListKeysCommand({ Limit: 2, Marker: marker }));
      pages++;
      expect(page.Keys!.length).toBeLessThanOrEqual(2);
      for (const k of page.Keys!) {
        expect(k.KeyArn).toBe(`arn:aws:kms:${REGION}:444455556666:key/${k.KeyId}`);
        seen.push(k.KeyId!);
      }
      expect(page.Truncated).toBe(page.NextMarker !== undefined);
      marker = page.NextMarker;
    } while (marker);
    expect(pages).toBe(3);
    expect(new Set(seen)).toEqual(created);
  });

  it("refuses a marker it did not issue and a limit out of range", async () => {
    const kms = worker.client();
    const marker = await awsError(kms.send(new ListKeysCommand({ Marker: "bm90LWEtbWFya2Vy" })));
    expect(marker.name).toBe("InvalidMarkerException");
    const limit = await awsError(kms.send(new ListKeysCommand({ Limit: 1001 })));
    expect(limit.name).toBe("ValidationException");
    expect(limit.message).toContain("at 'limit' failed to satisfy constraint: Member must have value less than or equal to 1000");
  });

  it("refuses a key beyond the account's key limit with LimitExceededException", async () => {
    const kms = worker.client();
    const listed = await kms.send(new ListKeysCommand({ Limit: 1000 }));
    for (let i = listed.Keys!.length; i < 12; i++) await kms.send(new CreateKeyCommand({}));
    const err = await awsError(kms.send(new CreateKeyCommand({})));
    expect(err.name).toBe("LimitExceededException");
    const after = await kms.send(new ListKeysCommand({ Limit: 1000 }));
    expect(after.Keys!.length).toBe(12);
  });
});
