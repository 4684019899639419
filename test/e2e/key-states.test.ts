/**
 * The guide's table "How Key State Affects Use of a Customer Master Key" (shared/guide/KEY-STATES.md)
 * for the states this API can reach today: Enabled, Disabled and PendingImport (an EXTERNAL key).
 */
import {
  CreateAliasCommand,
  CreateKeyCommand,
  DecryptCommand,
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
  ListResourceTagsCommand,
  ReEncryptCommand,
  TagResourceCommand,
  UpdateKeyDescriptionCommand,
  type KMSClient,
} from "@aws-sdk/client-kms";
import { beforeAll, describe, expect, it } from "vitest";
import { awsError, useLocalWorker, utf8 } from "./support.ts";

const worker = useLocalWorker();

type Call = (kms: KMSClient, keyId: string, blob: Uint8Array, other: string) => Promise<unknown>;

const CALLS: Record<string, Call> = {
  Encrypt: (kms, keyId) => kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8("x") })),
  Decrypt: (kms, _k, blob) => kms.send(new DecryptCommand({ CiphertextBlob: blob })),
  ReEncryptFrom: (kms, _k, blob, other) => kms.send(new ReEncryptCommand({ CiphertextBlob: blob, DestinationKeyId: other })),
  ReEncryptTo: (kms, keyId, _b, _other) =>
    otherBlob.then((b) => kms.send(new ReEncryptCommand({ CiphertextBlob: b, DestinationKeyId: keyId }))),
  GenerateDataKey: (kms, keyId) => kms.send(new GenerateDataKeyCommand({ KeyId: keyId, KeySpec: "AES_256" })),
  GenerateDataKeyWithoutPlaintext: (kms, keyId) =>
    kms.send(new GenerateDataKeyWithoutPlaintextCommand({ KeyId: keyId, KeySpec: "AES_256" })),
  EnableKeyRotation: (kms, keyId) => kms.send(new EnableKeyRotationCommand({ KeyId: keyId })),
  DisableKeyRotation: (kms, keyId) => kms.send(new DisableKeyRotationCommand({ KeyId: keyId })),
  GetKeyRotationStatus: (kms, keyId) => kms.send(new GetKeyRotationStatusCommand({ KeyId: keyId })),
  DescribeKey: (kms, keyId) => kms.send(new DescribeKeyCommand({ KeyId: keyId })),
  UpdateKeyDescription: (kms, keyId) => kms.send(new UpdateKeyDescriptionCommand({ KeyId: keyId, Description: "d" })),
  TagResource: (kms, keyId) => kms.send(new TagResourceCommand({ KeyId: keyId, Tags: [{ TagKey: "k", TagValue: "v" }] })),
  ListResourceTags: (kms, keyId) => kms.send(new ListResourceTagsCommand({ KeyId: keyId })),
  GetKeyPolicy: (kms, keyId) => kms.send(new GetKeyPolicyCommand({ KeyId: keyId, PolicyName: "default" })),
  CreateAlias: (kms, keyId) => kms.send(new CreateAliasCommand({ AliasName: `alias/state-${crypto.randomUUID()}`, TargetKeyId: keyId })),
};

let resolveOther: (b: Uint8Array) => void;
const otherBlob = new Promise<Uint8Array>((r) => (resolveOther = r));
let otherKey: string;

beforeAll(async () => {
  const kms = worker.client();
  const other = await kms.send(new CreateKeyCommand({}));
  otherKey = other.KeyMetadata!.KeyId!;
  const enc = await kms.send(new EncryptCommand({ KeyId: otherKey, Plaintext: utf8("from the other key") }));
  resolveOther(enc.CiphertextBlob!);
});

describe("a Disabled key", () => {
  const disabledErrors = [
    "Encrypt",
    "Decrypt",
    "ReEncryptFrom",
    "ReEncryptTo",
    "GenerateDataKey",
    "GenerateDataKeyWithoutPlaintext",
    "EnableKeyRotation",
    "DisableKeyRotation",
  ];
  const allowed = [
    "GetKeyRotationStatus",
    "DescribeKey",
    "UpdateKeyDescription",
    "TagResource",
    "ListResourceTags",
    "GetKeyPolicy",
    "CreateAlias",
  ];

  it("refuses cryptographic use and rotation changes with DisabledException '<arn> is disabled.'", async () => {
    const kms = worker.client();
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({}));
    const enc = await kms.send(new EncryptCommand({ KeyId: KeyMetadata!.KeyId, Plaintext: utf8("before") }));
    await kms.send(new DisableKeyCommand({ KeyId: KeyMetadata!.KeyId }));
    for (const name of disabledErrors) {
      const err = await awsError(CALLS[name]!(kms, KeyMetadata!.KeyId!, enc.CiphertextBlob!, otherKey));
      expect({ name, error: err.name, status: err.status, message: err.message }).toEqual({
        name,
        error: "DisabledException",
        status: 400,
        message: `${KeyMetadata!.Arn} is disabled.`,
      });
    }
    for (const name of allowed) await CALLS[name]!(kms, KeyMetadata!.KeyId!, enc.CiphertextBlob!, otherKey);
    await kms.send(new EnableKeyCommand({ KeyId: KeyMetadata!.KeyId }));
    const dec = await kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob }));
    expect(new TextDecoder().decode(dec.Plaintext)).toBe("before");
  });
});

describe("a PendingImport key (Origin EXTERNAL, no material yet)", () => {
  it("starts disabled in PendingImport and refuses use with KMSInvalidStateException '<arn> is pending import.'", async () => {
    const kms = worker.client();
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({ Origin: "EXTERNAL" }));
    expect(KeyMetadata).toMatchObject({ KeyState: "PendingImport", Enabled: false, Origin: "EXTERNAL" });
    for (const name of ["Encrypt", "ReEncryptTo", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext"]) {
      const err = await awsError(CALLS[name]!(kms, KeyMetadata!.KeyId!, new Uint8Array(1), otherKey));
      expect({ name, error: err.name, message: err.message }).toEqual({
        name,
        error: "KMSInvalidStateException",
        message: `${KeyMetadata!.Arn} is pending import.`,
      });
    }
    for (const name of ["EnableKey", "DisableKey"]) {
      const Command = name === "EnableKey" ? EnableKeyCommand : DisableKeyCommand;
      const err = await awsError(kms.send(new Command({ KeyId: KeyMetadata!.KeyId })));
      expect(err.name).toBe("KMSInvalidStateException");
    }
    for (const name of ["EnableKeyRotation", "DisableKeyRotation", "GetKeyRotationStatus"]) {
      const err = await awsError(CALLS[name]!(kms, KeyMetadata!.KeyId!, new Uint8Array(1), otherKey));
      expect({ name, error: err.name }).toEqual({ name, error: "UnsupportedOperationException" });
    }
    for (const name of ["DescribeKey", "UpdateKeyDescription", "TagResource", "ListResourceTags", "GetKeyPolicy", "CreateAlias"]) {
      await CALLS[name]!(kms, KeyMetadata!.KeyId!, new Uint8Array(1), otherKey);
    }
  });
});
