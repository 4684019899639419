/**
 * GetKeyLastUsage through the official SDK, the AWS CLI and CloudTrail's LookupEvents: the last
 * successful cryptographic operation on each key, whose CloudTrailEventId LookupEvents finds and
 * whose KmsRequestId is the call's request ID; failures and dry runs leave it as it was; ReEncrypt
 * counts for both keys.
 */
import {
  CreateKeyCommand,
  DecryptCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  GetKeyLastUsageCommand,
  ReEncryptCommand,
} from "@aws-sdk/client-kms";
import { LookupEventsCommand } from "@aws-sdk/client-cloudtrail";
import { describe, expect, it } from "vitest";
import { awsCli, hasAwsCli } from "./aws-cli-support.ts";
import { cloudTrailClient, IDENTITIES_WITH_AUDITOR, recordOf, waitForTrail } from "./audit-support.ts";
import { awsError, useLocalWorker, utf8 } from "./support.ts";

const worker = useLocalWorker({ EDGEKMS_IDENTITIES: IDENTITIES_WITH_AUDITOR });

describe("GetKeyLastUsage", () => {
  it("is empty for a new key, with TrackingStartDate its creation date", async () => {
    const kms = worker.client();
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({}));
    const usage = await kms.send(new GetKeyLastUsageCommand({ KeyId: KeyMetadata!.KeyId }));
    expect(usage.KeyId).toBe(KeyMetadata!.KeyId);
    expect(usage.KeyLastUsage).toEqual({});
    expect(usage.KeyCreationDate).toEqual(KeyMetadata!.CreationDate);
    expect(usage.TrackingStartDate).toEqual(KeyMetadata!.CreationDate);
  });

  it("names the last successful cryptographic call, whose record LookupEvents finds by its event ID", async () => {
    const kms = worker.client();
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({}));
    const keyId = KeyMetadata!.KeyId!;
    await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8("one") }));
    const generated = await kms.send(new GenerateDataKeyCommand({ KeyId: keyId, KeySpec: "AES_256" }));

    // Neither a failure nor a dry run counts.
    expect(
      (await awsError(kms.send(new DecryptCommand({ CiphertextBlob: generated.CiphertextBlob, EncryptionContext: { x: "y" } })))).name,
    ).toBe("InvalidCiphertextException");
    expect((await awsError(kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8("x"), DryRun: true })))).name).toBe(
      "DryRunOperationException",
    );

    const usage = await kms.send(new GetKeyLastUsageCommand({ KeyId: KeyMetadata!.Arn }));
    expect(usage.KeyLastUsage!.Operation).toBe("GenerateDataKey");
    expect(usage.KeyLastUsage!.KmsRequestId).toBe(generated.$metadata.requestId);
    expect(usage.KeyLastUsage!.Timestamp!.getTime()).toBeGreaterThan(Date.now() - 60_000);

    const trail = cloudTrailClient(worker.url, "auditor");
    await waitForTrail(trail);
    const found = await trail.send(
      new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: "EventId", AttributeValue: usage.KeyLastUsage!.CloudTrailEventId! }] }),
    );
    expect(found.Events).toHaveLength(1);
    const record = recordOf(found.Events![0]!);
    expect(record).toMatchObject({ eventName: "GenerateDataKey", requestID: generated.$metadata.requestId });
    expect(record.errorCode).toBeUndefined();
    // Timestamp is the record's eventTime (to the second, as CloudTrail's).
    expect(Math.floor(usage.KeyLastUsage!.Timestamp!.getTime() / 1000) * 1000).toBe(new Date(record.eventTime).getTime());
  });

  it("records a ReEncrypt on both its source and its destination key", async () => {
    const kms = worker.client();
    const source = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!;
    const destination = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!;
    const sealed = await kms.send(new EncryptCommand({ KeyId: source, Plaintext: utf8("move me") }));
    const moved = await kms.send(new ReEncryptCommand({ CiphertextBlob: sealed.CiphertextBlob, DestinationKeyId: destination }));
    for (const keyId of [source, destination]) {
      const usage = await kms.send(new GetKeyLastUsageCommand({ KeyId: keyId }));
      expect(usage.KeyLastUsage).toMatchObject({ Operation: "ReEncrypt", KmsRequestId: moved.$metadata.requestId });
    }
  });

  it("refuses alias names with NotFoundException", async () => {
    const refused = await awsError(worker.client().send(new GetKeyLastUsageCommand({ KeyId: "alias/anything" })));
    expect(refused.name).toBe("NotFoundException");
  });
});

describe.skipIf(!hasAwsCli)("GetKeyLastUsage with the AWS CLI", () => {
  it("get-key-last-usage reports an Encrypt", () => {
    const aws = (...args: string[]) => JSON.parse(awsCli(worker.url, "kms", ...args));
    const keyId: string = aws("create-key").KeyMetadata.KeyId;
    aws("encrypt", "--key-id", keyId, "--plaintext", "aGVsbG8=");
    const usage = aws("get-key-last-usage", "--key-id", keyId);
    expect(usage.KeyId).toBe(keyId);
    expect(usage.KeyLastUsage.Operation).toBe("Encrypt");
    expect(usage.KeyLastUsage.CloudTrailEventId).toMatch(/^[0-9a-f-]{36}$/);
  });
});
