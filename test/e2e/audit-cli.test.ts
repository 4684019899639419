/**
 * The guide's "Determining Past Usage of a Customer Master Key", followed with the real AWS CLI
 * against a local worker: use a key, then ask CloudTrail (`aws cloudtrail lookup-events
 * --endpoint-url ...`) for every event that names it, as the README shows. Skipped with a note
 * where the CLI is not installed.
 */
import { CreateKeyCommand, DecryptCommand, EncryptCommand, GenerateDataKeyCommand } from "@aws-sdk/client-kms";
import { describe, expect, it } from "vitest";
import { awsCli, hasAwsCli } from "./aws-cli-support.ts";
import { cloudTrailClient, waitForTrail } from "./audit-support.ts";
import { useLocalWorker, utf8 } from "./support.ts";

if (!hasAwsCli) console.warn("aws CLI not installed: skipping the CloudTrail CLI walk-through (apt-get install awscli)");

const worker = useLocalWorker();

function aws(...args: string[]): string {
  return awsCli(worker.url, ...args);
}

describe.skipIf(!hasAwsCli)("aws cloudtrail lookup-events", () => {
  it("lists a key's past usage, newest first, with each record's parameters", async () => {
    const kms = worker.client();
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({ Description: "past usage" }));
    const keyId = KeyMetadata!.KeyId!;
    const { CiphertextBlob } = await kms.send(
      new EncryptCommand({ KeyId: keyId, Plaintext: utf8("hello"), EncryptionContext: { dept: "finance" } }),
    );
    await kms.send(new DecryptCommand({ CiphertextBlob, EncryptionContext: { dept: "finance" } }));
    // More events than one page of 50, so the CLI has to follow NextToken.
    for (let i = 0; i < 55; i++) await kms.send(new GenerateDataKeyCommand({ KeyId: keyId, KeySpec: "AES_128" }));

    // Records reach the trail a moment after each call is answered (README, "Audit trail").
    await waitForTrail(cloudTrailClient(worker.url, "test"));
    const out = JSON.parse(
      aws(
        "cloudtrail",
        "lookup-events",
        "--lookup-attributes",
        `AttributeKey=ResourceName,AttributeValue=${keyId}`,
        "--start-time",
        "2020-01-01T00:00:00Z",
      ),
    ) as { Events: { EventName: string; EventSource: string; CloudTrailEvent: string; Username: string }[] };
    const names = out.Events.map((e) => e.EventName);
    expect(names).toHaveLength(58);
    expect(names.slice(-3)).toEqual(["CreateKey", "Encrypt", "Decrypt"].reverse());
    expect(out.Events.every((e) => e.EventSource === "kms.amazonaws.com" && e.Username === "root")).toBe(true);
    const encrypt = JSON.parse(out.Events.find((e) => e.EventName === "Encrypt")!.CloudTrailEvent);
    expect(encrypt.requestParameters).toEqual({ keyId, encryptionContext: { dept: "finance" } });

    const decrypts = JSON.parse(
      aws("cloudtrail", "lookup-events", "--lookup-attributes", "AttributeKey=EventName,AttributeValue=Decrypt", "--max-results", "5"),
    ) as { Events: { CloudTrailEvent: string }[] };
    expect(decrypts.Events.map((e) => JSON.parse(e.CloudTrailEvent).resources[0].ARN)).toContain(KeyMetadata!.Arn);
  }, 60_000);
});
