/**
 * DryRun through the official SDK, the AWS CLI and CloudTrail's LookupEvents: every operation whose
 * request has DryRun runs its checks in full, changes nothing, and answers DryRunOperationException
 * (HTTP 412) when it would have succeeded, or its real error when it would not. The trail records
 * each dry run with `dryRun: true` in its parameters and DryRunOperationException as its error.
 */
import {
  CreateGrantCommand,
  CreateKeyCommand,
  DecryptCommand,
  DisableKeyCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  GenerateDataKeyWithoutPlaintextCommand,
  ListGrantsCommand,
  ReEncryptCommand,
  RetireGrantCommand,
  RevokeGrantCommand,
} from "@aws-sdk/client-kms";
import { describe, expect, it } from "vitest";
import { awsCli, awsCliFailure, hasAwsCli } from "./aws-cli-support.ts";
import { byRequestId, cloudTrailClient, IDENTITIES_WITH_AUDITOR, lookupAll } from "./audit-support.ts";
import { ACCOUNT, awsError, useLocalWorker, utf8 } from "./support.ts";

const worker = useLocalWorker({ EDGEKMS_IDENTITIES: IDENTITIES_WITH_AUDITOR });

const DRY_RUN_MESSAGE = "The request would have succeeded, but the DryRun option is set.";

async function dryRunAnswer(action: Promise<unknown>) {
  const error = await awsError(action);
  expect(error).toMatchObject({ name: "DryRunOperationException", message: DRY_RUN_MESSAGE, status: 412 });
  return error;
}

describe("DryRun", () => {
  it("answers DryRunOperationException (412) for each cryptographic operation that would succeed, returning no key material", async () => {
    const kms = worker.client();
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({}));
    const keyId = KeyMetadata!.KeyId!;
    const { KeyMetadata: other } = await kms.send(new CreateKeyCommand({}));
    const sealed = await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8("real"), EncryptionContext: { a: "b" } }));

    await dryRunAnswer(kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8("x"), DryRun: true })));
    await dryRunAnswer(kms.send(new GenerateDataKeyCommand({ KeyId: keyId, KeySpec: "AES_256", DryRun: true })));
    await dryRunAnswer(kms.send(new GenerateDataKeyWithoutPlaintextCommand({ KeyId: keyId, NumberOfBytes: 16, DryRun: true })));
    await dryRunAnswer(
      kms.send(new DecryptCommand({ CiphertextBlob: sealed.CiphertextBlob, EncryptionContext: { a: "b" }, DryRun: true })),
    );
    await dryRunAnswer(
      kms.send(
        new ReEncryptCommand({
          CiphertextBlob: sealed.CiphertextBlob,
          SourceEncryptionContext: { a: "b" },
          DestinationKeyId: other!.KeyId,
          DryRun: true,
        }),
      ),
    );
    // IGNORE_CIPHERTEXT: permissions only, on the key the request names.
    await dryRunAnswer(
      kms.send(
        new DecryptCommand({
          CiphertextBlob: utf8("not a ciphertext"),
          KeyId: keyId,
          DryRun: true,
          DryRunModifiers: ["IGNORE_CIPHERTEXT"],
        }),
      ),
    );
  });

  it("answers the real error of a call that would fail: wrong context, bad ciphertext, disabled key, access denied", async () => {
    const kms = worker.client();
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({}));
    const keyId = KeyMetadata!.KeyId!;
    const sealed = await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8("real"), EncryptionContext: { a: "b" } }));

    const wrongContext = await awsError(kms.send(new DecryptCommand({ CiphertextBlob: sealed.CiphertextBlob, DryRun: true })));
    expect(wrongContext.name).toBe("InvalidCiphertextException");
    const garbage = await awsError(kms.send(new DecryptCommand({ CiphertextBlob: utf8("not a ciphertext"), DryRun: true })));
    expect(garbage.name).toBe("InvalidCiphertextException");
    const denied = await awsError(
      worker.client("alice").send(new EncryptCommand({ KeyId: KeyMetadata!.Arn, Plaintext: utf8("x"), DryRun: true })),
    );
    expect(denied.name).toBe("AccessDeniedException");

    await kms.send(new DisableKeyCommand({ KeyId: keyId }));
    const disabled = await awsError(kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8("x"), DryRun: true })));
    expect(disabled.name).toBe("DisabledException");
  });

  it("creates, retires and revokes no grant", async () => {
    const kms = worker.client();
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({}));
    const keyId = KeyMetadata!.KeyId!;
    const grantee = `arn:aws:iam::${ACCOUNT}:user/alice`;
    await dryRunAnswer(
      kms.send(
        new CreateGrantCommand({
          KeyId: keyId,
          GranteePrincipal: grantee,
          RetiringPrincipal: grantee,
          Operations: ["Encrypt"],
          DryRun: true,
        }),
      ),
    );
    expect((await kms.send(new ListGrantsCommand({ KeyId: keyId }))).Grants).toEqual([]);

    const { GrantId } = await kms.send(
      new CreateGrantCommand({ KeyId: keyId, GranteePrincipal: grantee, RetiringPrincipal: grantee, Operations: ["Encrypt"] }),
    );
    await dryRunAnswer(kms.send(new RevokeGrantCommand({ KeyId: keyId, GrantId, DryRun: true })));
    await dryRunAnswer(kms.send(new RetireGrantCommand({ KeyId: keyId, GrantId, DryRun: true })));
    expect((await kms.send(new ListGrantsCommand({ KeyId: keyId }))).Grants!.map((g) => g.GrantId)).toEqual([GrantId]);
    // The retiring principal can still retire it for real: its index entry survived the dry runs.
    await worker.client("alice").send(new RetireGrantCommand({ KeyId: KeyMetadata!.Arn, GrantId }));
    expect((await kms.send(new ListGrantsCommand({ KeyId: keyId }))).Grants).toEqual([]);
    const unknown = await awsError(kms.send(new RevokeGrantCommand({ KeyId: keyId, GrantId: "0".repeat(64), DryRun: true })));
    expect(unknown.name).toBe("NotFoundException");
  });

  it("is recorded in the trail with dryRun: true and DryRunOperationException, as AWS records it", async () => {
    const kms = worker.client();
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({}));
    const dry = await awsError(kms.send(new EncryptCommand({ KeyId: KeyMetadata!.KeyId, Plaintext: utf8("x"), DryRun: true })));
    expect(dry.name).toBe("DryRunOperationException");
    const ids = (await kms.send(new GenerateDataKeyCommand({ KeyId: KeyMetadata!.KeyId, KeySpec: "AES_256" }))).$metadata.requestId;
    const trail = cloudTrailClient(worker.url, "auditor");
    const records = byRequestId(
      await lookupAll(trail, { LookupAttributes: [{ AttributeKey: "ResourceName", AttributeValue: KeyMetadata!.Arn! }] }),
    );
    const dryRecords = [...records.values()].filter((r) => r.eventName === "Encrypt");
    expect(dryRecords).toHaveLength(1);
    expect(dryRecords[0]).toMatchObject({
      errorCode: "DryRunOperationException",
      errorMessage: DRY_RUN_MESSAGE,
      requestParameters: { keyId: KeyMetadata!.KeyId, dryRun: true },
    });
    expect(dryRecords[0]!.responseElements ?? null).toBeNull();
    expect(records.get(ids!)!.errorCode).toBeUndefined();
  });
});

describe.skipIf(!hasAwsCli)("DryRun with the AWS CLI", () => {
  it("encrypt --dry-run fails with DryRunOperationException and the call's message", () => {
    const keyId: string = JSON.parse(awsCli(worker.url, "kms", "create-key")).KeyMetadata.KeyId;
    const dry = awsCliFailure(worker.url, "kms", "encrypt", "--key-id", keyId, "--plaintext", "aGVsbG8=", "--dry-run");
    expect(dry.status).not.toBe(0);
    expect(dry.stderr).toContain("DryRunOperationException");
    expect(dry.stderr).toContain(DRY_RUN_MESSAGE);
  });
});
