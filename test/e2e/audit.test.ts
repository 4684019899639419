/**
 * The audit trail end to end: every KMS call against a local worker leaves exactly one CloudTrail
 * record (identity, parameters, error fields, resources) that LookupEvents returns through the
 * official @aws-sdk/client-cloudtrail as soon as the call has been answered; no plaintext, data
 * key or ciphertext ever appears in a record; LookupEvents' attributes, time window, paging,
 * errors and the account boundary; the rotation event; and the metrics endpoint.
 */
import { LookupEventsCommand } from "@aws-sdk/client-cloudtrail";
import {
  ConnectCustomKeyStoreCommand,
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
  GenerateRandomCommand,
  GetKeyPolicyCommand,
  GetKeyRotationStatusCommand,
  CreateGrantCommand,
  ListGrantsCommand,
  GetParametersForImportCommand,
  ImportKeyMaterialCommand,
  type KMSClient,
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
} from "@aws-sdk/client-kms";
import { SignatureV4 } from "@smithy/signature-v4";
import { constants, createPublicKey, publicEncrypt, randomBytes } from "node:crypto";
import { Sha256 } from "../../src/auth/sigv4.ts";
import { beforeAll, describe, expect, it } from "vitest";
import {
  byRequestId,
  cloudTrailClient,
  IDENTITIES_WITH_AUDITOR,
  lookupAll,
  recordOf,
  waitForTrail,
  type TrailRecord,
} from "./audit-support.ts";
import { ACCOUNT, awsError, EXTERNAL_ACCOUNT, REGION, useLocalWorker, utf8 } from "./support.ts";

const METRICS_TOKEN = "e2e-metrics-token";
const worker = useLocalWorker({
  EDGEKMS_IDENTITIES: IDENTITIES_WITH_AUDITOR,
  METRICS_TOKEN,
  ROTATION_PERIOD_SECONDS: "2",
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyCommand = any;

interface Outcome {
  requestId: string;
  output?: Record<string, unknown>;
  error?: { name: string; message: string };
}

/** Sends a command and returns the request ID the response carried, with its output or error. */
async function call(kms: KMSClient, command: AnyCommand): Promise<Outcome> {
  try {
    const output = (await kms.send(command)) as Record<string, unknown> & { $metadata: { requestId?: string } };
    return { requestId: output.$metadata.requestId!, output };
  } catch (err) {
    const e = err as { name: string; message: string; $metadata?: { requestId?: string } };
    return { requestId: e.$metadata!.requestId!, error: { name: e.name, message: e.message } };
  }
}

/** A raw signed KMS request (for targets and bodies the SDK cannot send). */
async function rawKms(target: string, body: string, accessKeyId = "test", secretAccessKey = accessKeyId): Promise<Response> {
  const url = new URL(worker.url);
  const signer = new SignatureV4({ credentials: { accessKeyId, secretAccessKey }, region: REGION, service: "kms", sha256: Sha256 });
  const signed = await signer.sign({
    method: "POST",
    protocol: url.protocol,
    hostname: url.hostname,
    port: Number(url.port),
    path: "/",
    headers: { host: url.host, "content-type": "application/x-amz-json-1.1", "x-amz-target": target },
    body,
  });
  return fetch(worker.url, { method: "POST", headers: signed.headers, body });
}

/** The AWS JSON error of a raw response. */
async function wireError(response: Response): Promise<{ name: string; message: string }> {
  const body = (await response.json()) as { __type: string; message: string };
  return { name: body.__type, message: body.message };
}

const ctRoot = () => cloudTrailClient(worker.url, "test");

/** Everything this account's trail holds, by request ID. */
async function trail(identity = "test"): Promise<Map<string, TrailRecord>> {
  return byRequestId(await lookupAll(cloudTrailClient(worker.url, identity), { StartTime: new Date(0) }));
}

// ---- one run of every operation, shared by the record and secrecy tests ----------------------------

const outcomes: Record<string, Outcome> = {};
const secrets: string[] = [];
let keyArn = "";
let keyId = "";
let otherArn = "";
let externalKeyId = "";
/** When the imported material of the EXTERNAL key expires. */
const VALID_TO = new Date(Date.now() + 86_400_000);

function remember(bytes: Uint8Array | undefined): void {
  if (bytes === undefined) return;
  const b64 = Buffer.from(bytes).toString("base64");
  secrets.push(b64, Buffer.from(bytes).toString("hex"));
  // Any 16-character piece of the base64 would betray the value too.
  if (b64.length > 24) secrets.push(b64.slice(4, 20));
}

beforeAll(async () => {
  const kms = worker.client();
  const o = outcomes;
  o.CreateKey = await call(kms, new CreateKeyCommand({ Description: "audited", Tags: [{ TagKey: "team", TagValue: "blue" }] }));
  const metadata = o.CreateKey.output!.KeyMetadata as { Arn: string; KeyId: string };
  keyArn = metadata.Arn;
  keyId = metadata.KeyId;
  const other = await kms.send(new CreateKeyCommand({ Description: "destination" }));
  otherArn = other.KeyMetadata!.Arn!;

  const plaintext = "the launch code is 0000-1234";
  secrets.push(plaintext, Buffer.from(plaintext).toString("base64"));
  o.Encrypt = await call(
    kms,
    new EncryptCommand({ KeyId: keyId, Plaintext: utf8(plaintext), EncryptionContext: { purpose: "audit-test" } }),
  );
  const blob = o.Encrypt.output!.CiphertextBlob as Uint8Array;
  remember(blob);
  o.Decrypt = await call(kms, new DecryptCommand({ CiphertextBlob: blob, EncryptionContext: { purpose: "audit-test" } }));
  o.ReEncrypt = await call(
    kms,
    new ReEncryptCommand({
      CiphertextBlob: blob,
      SourceEncryptionContext: { purpose: "audit-test" },
      DestinationKeyId: otherArn,
      DestinationEncryptionContext: { purpose: "moved" },
    }),
  );
  remember(o.ReEncrypt.output!.CiphertextBlob as Uint8Array);
  o.GenerateDataKey = await call(kms, new GenerateDataKeyCommand({ KeyId: keyArn, KeySpec: "AES_256", EncryptionContext: { file: "a" } }));
  remember(o.GenerateDataKey.output!.Plaintext as Uint8Array);
  remember(o.GenerateDataKey.output!.CiphertextBlob as Uint8Array);
  o.GenerateDataKeyWithoutPlaintext = await call(kms, new GenerateDataKeyWithoutPlaintextCommand({ KeyId: keyId, NumberOfBytes: 16 }));
  remember(o.GenerateDataKeyWithoutPlaintext.output!.CiphertextBlob as Uint8Array);
  o.GenerateRandom = await call(kms, new GenerateRandomCommand({ NumberOfBytes: 32 }));
  remember(o.GenerateRandom.output!.Plaintext as Uint8Array);

  o.DescribeKey = await call(kms, new DescribeKeyCommand({ KeyId: keyId }));
  o.ListKeys = await call(kms, new ListKeysCommand({ Limit: 5 }));
  o.CreateAlias = await call(kms, new CreateAliasCommand({ AliasName: "alias/audited", TargetKeyId: keyId }));
  o.UpdateAlias = await call(kms, new UpdateAliasCommand({ AliasName: "alias/audited", TargetKeyId: keyId }));
  o.ListAliases = await call(kms, new ListAliasesCommand({ KeyId: keyId }));
  o.DeleteAlias = await call(kms, new DeleteAliasCommand({ AliasName: "alias/audited" }));
  o.TagResource = await call(kms, new TagResourceCommand({ KeyId: keyId, Tags: [{ TagKey: "env", TagValue: "test" }] }));
  o.UntagResource = await call(kms, new UntagResourceCommand({ KeyId: keyId, TagKeys: ["env"] }));
  o.ListResourceTags = await call(kms, new ListResourceTagsCommand({ KeyId: keyId }));
  o.GetKeyPolicy = await call(kms, new GetKeyPolicyCommand({ KeyId: keyId, PolicyName: "default" }));
  o.PutKeyPolicy = await call(
    kms,
    new PutKeyPolicyCommand({ KeyId: keyId, PolicyName: "default", Policy: o.GetKeyPolicy.output!.Policy as string }),
  );
  o.ListKeyPolicies = await call(kms, new ListKeyPoliciesCommand({ KeyId: keyId }));
  o.GetKeyRotationStatus = await call(kms, new GetKeyRotationStatusCommand({ KeyId: keyId }));
  o.UpdateKeyDescription = await call(kms, new UpdateKeyDescriptionCommand({ KeyId: keyId, Description: "still audited" }));
  o.DisableKey = await call(kms, new DisableKeyCommand({ KeyId: keyId }));
  o.EnableKey = await call(kms, new EnableKeyCommand({ KeyId: keyId }));
  o.ScheduleKeyDeletion = await call(kms, new ScheduleKeyDeletionCommand({ KeyId: otherArn, PendingWindowInDays: 30 }));
  o.CancelKeyDeletion = await call(kms, new CancelKeyDeletionCommand({ KeyId: otherArn }));
  o.CreateGrant = await call(
    kms,
    new CreateGrantCommand({
      KeyId: keyId,
      GranteePrincipal: `arn:aws:iam::${ACCOUNT}:user/alice`,
      Operations: ["Decrypt"],
      Constraints: { EncryptionContextSubset: { purpose: "audit-test" } },
      Name: "audited-grant",
    }),
  );
  const grantToken = o.CreateGrant.output!.GrantToken as string;
  secrets.push(grantToken);
  o.ListGrants = await call(kms, new ListGrantsCommand({ KeyId: keyId }));

  // Imported key material: neither the import token, the public key nor the material may appear.
  const external = await kms.send(new CreateKeyCommand({ Origin: "EXTERNAL", Description: "imported" }));
  externalKeyId = external.KeyMetadata!.KeyId!;
  o.GetParametersForImport = await call(
    kms,
    new GetParametersForImportCommand({ KeyId: externalKeyId, WrappingAlgorithm: "RSAES_OAEP_SHA_256", WrappingKeySpec: "RSA_2048" }),
  );
  const importToken = o.GetParametersForImport.output!.ImportToken as Uint8Array;
  const publicKey = o.GetParametersForImport.output!.PublicKey as Uint8Array;
  const material = randomBytes(32);
  const wrapped = publicEncrypt(
    {
      key: createPublicKey({ key: Buffer.from(publicKey), format: "der", type: "spki" }),
      padding: constants.RSA_PKCS1_OAEP_PADDING,
      oaepHash: "sha256",
    },
    material,
  );
  for (const b of [importToken, publicKey, material, wrapped]) remember(b);
  o.ImportKeyMaterial = await call(
    kms,
    new ImportKeyMaterialCommand({
      KeyId: externalKeyId,
      ImportToken: importToken,
      EncryptedKeyMaterial: wrapped,
      ExpirationModel: "KEY_MATERIAL_EXPIRES",
      ValidTo: VALID_TO,
    }),
  );
  // A grant token is a capability: used in a request, it must not reach the record either.
  await kms.send(new DecryptCommand({ CiphertextBlob: blob, EncryptionContext: { purpose: "audit-test" }, GrantTokens: [grantToken] }));

  // Failures of every kind.
  o.BadCiphertext = await call(kms, new DecryptCommand({ CiphertextBlob: utf8("not a ciphertext blob at all, sorry") }));
  o.Disabled = await call(kms, new EncryptCommand({ KeyId: otherArn, Plaintext: utf8(plaintext) }));
  o.Denied = await call(worker.client("external"), new DescribeKeyCommand({ KeyId: keyArn }));
  o.Missing = await call(kms, new DescribeKeyCommand({ KeyId: "alias/does-not-exist" }));
  o.Unsupported = await call(kms, new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: "cks-1234567890abcdef0" }));
  const invalid = await rawKms(
    "TrentService.Encrypt",
    JSON.stringify({ KeyId: keyId, Plaintext: Buffer.from(plaintext).toString("base64"), EncryptionAlgorithm: "ROT13" }),
  );
  o.Invalid = { requestId: invalid.headers.get("x-amzn-RequestId")!, error: await wireError(invalid) };
  const unknown = await rawKms("TrentService.LaunchMissiles", "{}");
  o.Unknown = { requestId: unknown.headers.get("x-amzn-RequestId")!, error: await wireError(unknown) };
  const badSignature = await rawKms("TrentService.ListKeys", "{}", "bob", "not-bobs-secret");
  o.BadSignature = { requestId: badSignature.headers.get("x-amzn-RequestId")!, error: await wireError(badSignature) };
  o.BobListKeys = await call(worker.client("bob"), new ListKeysCommand({}));
}, 60_000);

// ---- records --------------------------------------------------------------------------------------

describe("the audit trail", () => {
  it("holds exactly one record per request, with the response's request ID, readable within moments of the answer", async () => {
    const records = await trail();
    for (const [name, outcome] of Object.entries(outcomes)) {
      expect(records.has(outcome.requestId), `record of ${name}`).toBe(true);
    }
    // byRequestId throws on a duplicate: every request ID occurs once.
  });

  it("records each successful operation with the caller's identity, its parameters and AWS's readOnly and resources", async () => {
    const records = await trail();
    const successes = Object.entries(outcomes).filter(([name, o]) => o.error === undefined && name !== "BobListKeys");
    expect(successes.length).toBeGreaterThanOrEqual(25);
    for (const [name, outcome] of successes) {
      const r = records.get(outcome.requestId)!;
      expect(r.eventName, name).toBe(name);
      expect(r.eventSource).toBe("kms.amazonaws.com");
      expect(r.eventType).toBe("AwsApiCall");
      expect(r.awsRegion).toBe(REGION);
      expect(r.userIdentity).toEqual({
        type: "Root",
        principalId: ACCOUNT,
        arn: `arn:aws:iam::${ACCOUNT}:root`,
        accountId: ACCOUNT,
        accessKeyId: "test",
      });
      expect(r.recipientAccountId).toBe(ACCOUNT);
      expect(r.sourceIPAddress).toBe("127.0.0.1");
      expect(r.userAgent).toContain("aws-sdk-js");
      expect(r.errorCode).toBeUndefined();
      expect(r.eventTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    }
    const rec = (name: string) => records.get(outcomes[name]!.requestId)!;
    const keyResource = { ARN: keyArn, accountId: ACCOUNT, type: "AWS::KMS::Key" };

    expect(rec("Encrypt").requestParameters).toEqual({ keyId, encryptionContext: { purpose: "audit-test" } });
    expect(rec("Encrypt").responseElements).toBeNull();
    expect(rec("Encrypt").readOnly).toBe(true);
    expect(rec("Encrypt").resources).toEqual([keyResource]);
    expect(rec("Decrypt").requestParameters).toEqual({ encryptionContext: { purpose: "audit-test" } });
    expect(rec("Decrypt").resources).toEqual([keyResource]);
    expect(rec("ReEncrypt").requestParameters).toEqual({
      destinationKeyId: otherArn,
      sourceEncryptionContext: { purpose: "audit-test" },
      destinationEncryptionContext: { purpose: "moved" },
    });
    expect(rec("ReEncrypt").readOnly).toBe(false);
    expect(
      rec("ReEncrypt")
        .resources.map((x: { ARN: string }) => x.ARN)
        .sort(),
    ).toEqual([keyArn, otherArn].sort());
    expect(rec("GenerateDataKey").requestParameters).toEqual({ keyId: keyArn, keySpec: "AES_256", encryptionContext: { file: "a" } });
    expect(rec("GenerateDataKeyWithoutPlaintext").requestParameters).toEqual({ keyId, numberOfBytes: 16 });
    expect(rec("GenerateRandom").requestParameters).toEqual({ numberOfBytes: 32 });
    expect(rec("GenerateRandom").resources).toEqual([]);
    expect(rec("GenerateRandom").responseElements).toBeNull();

    expect(rec("CreateKey").requestParameters).toEqual({ description: "audited", tags: [{ tagKey: "team", tagValue: "blue" }] });
    expect(rec("CreateKey").responseElements.keyMetadata).toMatchObject({ keyId, arn: keyArn, AWSAccountId: ACCOUNT, keyState: "Enabled" });
    expect(rec("CreateKey").resources).toEqual([keyResource]);
    expect(rec("CreateKey").readOnly).toBe(false);
    expect(rec("CreateAlias").requestParameters).toEqual({ aliasName: "alias/audited", targetKeyId: keyId });
    expect(rec("CreateAlias").resources).toEqual([
      keyResource,
      { ARN: `arn:aws:kms:${REGION}:${ACCOUNT}:alias/audited`, accountId: ACCOUNT, type: "AWS::KMS::Alias" },
    ]);
    expect(rec("DeleteAlias").resources.map((x: { ARN: string }) => x.ARN)).toContain(keyArn);
    expect(rec("DescribeKey").requestParameters).toEqual({ keyId });
    expect(rec("DescribeKey").readOnly).toBe(true);
    expect(rec("DescribeKey").responseElements).toBeNull();
    expect(rec("ListKeys").requestParameters).toEqual({ limit: 5 });
    expect(rec("ListKeys").resources).toEqual([]);
    expect(rec("GetKeyPolicy").requestParameters).toEqual({ keyId, policyName: "default" });
    expect(rec("PutKeyPolicy").requestParameters.policy).toContain("Enable IAM User Permissions");
    expect(rec("TagResource").requestParameters).toEqual({ keyId, tags: [{ tagKey: "env", tagValue: "test" }] });
    expect(rec("UntagResource").requestParameters).toEqual({ keyId, tagKeys: ["env"] });
    expect(rec("UpdateKeyDescription").requestParameters).toEqual({ keyId, description: "still audited" });
    expect(rec("DisableKey").readOnly).toBe(false);
    expect(rec("ScheduleKeyDeletion").requestParameters).toEqual({ keyId: otherArn, pendingWindowInDays: 30 });
    expect(rec("ScheduleKeyDeletion").responseElements).toMatchObject({ keyId: otherArn, pendingWindowInDays: 30 });
    expect(rec("CancelKeyDeletion").responseElements).toEqual({ keyId: otherArn });
    expect(rec("CreateGrant").requestParameters).toEqual({
      keyId,
      granteePrincipal: `arn:aws:iam::${ACCOUNT}:user/alice`,
      operations: ["Decrypt"],
      constraints: { encryptionContextSubset: { purpose: "audit-test" } },
      name: "audited-grant",
    });
    expect(rec("CreateGrant").responseElements).toEqual({ grantId: outcomes.CreateGrant!.output!.GrantId });
    expect(rec("CreateGrant").readOnly).toBe(false);
    expect(rec("ListGrants").readOnly).toBe(true);
    expect(rec("ListGrants").responseElements).toBeNull();
    expect(rec("GetParametersForImport").requestParameters).toEqual({
      keyId: externalKeyId,
      wrappingAlgorithm: "RSAES_OAEP_SHA_256",
      wrappingKeySpec: "RSA_2048",
    });
    expect(Object.keys(rec("GetParametersForImport").responseElements).sort()).toEqual(["keyId", "parametersValidTo"]);
    expect(rec("ImportKeyMaterial").requestParameters).toMatchObject({ keyId: externalKeyId, expirationModel: "KEY_MATERIAL_EXPIRES" });
    expect(rec("ImportKeyMaterial").requestParameters.validTo).toMatch(/^[A-Z][a-z]{2} \d{1,2}, \d{4}, \d{1,2}:\d\d:\d\d [AP]M$/);
  });

  it("records failures with AWS's error code and message, including refusals before dispatch", async () => {
    const records = await trail();
    const failures = ["BadCiphertext", "Disabled", "Denied", "Missing", "Unsupported", "Invalid", "Unknown", "BadSignature"];
    for (const name of failures) {
      const outcome = outcomes[name]!;
      expect(outcome.error, name).toBeDefined();
      const r = records.get(outcome.requestId)!;
      expect(r.errorCode, name).toBe(outcome.error!.name);
      expect(r.errorMessage, name).toBe(outcome.error!.message);
      expect(r.responseElements, name).toBeNull();
    }
    expect(records.get(outcomes.BadCiphertext!.requestId)!.errorCode).toBe("InvalidCiphertextException");
    expect(records.get(outcomes.Disabled!.requestId)!).toMatchObject({
      errorCode: "DisabledException",
      requestParameters: { keyId: otherArn },
    });
    const denied = records.get(outcomes.Denied!.requestId)!;
    expect(denied.errorCode).toBe("AccessDeniedException");
    expect(denied.userIdentity).toEqual({
      type: "Root",
      principalId: EXTERNAL_ACCOUNT,
      arn: `arn:aws:iam::${EXTERNAL_ACCOUNT}:root`,
      accountId: EXTERNAL_ACCOUNT,
      accessKeyId: "external",
    });
    expect(denied.recipientAccountId).toBe(ACCOUNT);
    expect(denied.resources).toEqual([{ ARN: keyArn, accountId: ACCOUNT, type: "AWS::KMS::Key" }]);
    const invalid = records.get(outcomes.Invalid!.requestId)!;
    expect(invalid).toMatchObject({ eventName: "Encrypt", errorCode: "ValidationException" });
    // Nothing unvalidated goes into a record: a request validation refused has no parameters.
    expect(invalid.requestParameters).toBeNull();
    // Event names come from the fixed list of operations, never from the caller.
    expect(records.get(outcomes.Unknown!.requestId)!).toMatchObject({
      eventName: "UnknownOperation",
      errorCode: "UnknownOperationException",
    });
    expect(records.get(outcomes.Unsupported!.requestId)!).toMatchObject({
      eventName: "ConnectCustomKeyStore",
      errorCode: "UnsupportedOperationException",
      requestParameters: null, // never validated, so never recorded
    });
    // A signature that does not verify, under a recognised access key, is attributed to its owner.
    const forged = records.get(outcomes.BadSignature!.requestId)!;
    expect(forged).toMatchObject({ eventName: "ListKeys", errorCode: "InvalidSignatureException" });
    expect(forged.userIdentity).toMatchObject({ type: "IAMUser", userName: "bob", accessKeyId: "bob" });
  });

  it("never contains a plaintext, data key, random bytes or ciphertext blob of the run", async () => {
    const everything = JSON.stringify(await lookupAll(ctRoot(), { StartTime: new Date(0) }));
    expect(secrets.length).toBeGreaterThan(10);
    for (const secret of secrets) expect(everything.includes(secret), `a secret (${secret.length} chars) leaked`).toBe(false);
    expect(everything).not.toMatch(/"plaintext"|"ciphertextBlob"|"grantTokens?"|"Plaintext"|"CiphertextBlob"/);
  });
});

// ---- LookupEvents -----------------------------------------------------------------------------------

describe("LookupEvents", () => {
  it("filters by each lookup attribute", async () => {
    const ct = ctRoot();
    const since = { StartTime: new Date(0) };
    const by = (AttributeKey: string, AttributeValue: string) =>
      lookupAll(ct, { ...since, LookupAttributes: [{ AttributeKey: AttributeKey as "EventName", AttributeValue }] });

    const encrypts = await by("EventName", "Encrypt");
    expect(encrypts.length).toBeGreaterThanOrEqual(2);
    expect(encrypts.every((e) => e.EventName === "Encrypt" && e.EventSource === "kms.amazonaws.com")).toBe(true);

    const byArn = await by("ResourceName", keyArn);
    const byId = await by("ResourceName", keyId);
    expect(byId.map((e) => e.EventId)).toEqual(byArn.map((e) => e.EventId));
    const names = new Set(byArn.map((e) => e.EventName));
    for (const name of ["CreateKey", "Encrypt", "Decrypt", "ReEncrypt", "GenerateDataKey", "DescribeKey", "DisableKey"]) {
      expect(names.has(name), name).toBe(true);
    }
    expect(byArn.every((e) => e.Resources!.some((r) => r.ResourceName === keyArn && r.ResourceType === "AWS::KMS::Key"))).toBe(true);

    const aliases = await by("ResourceType", "AWS::KMS::Alias");
    expect(aliases.map((e) => e.EventName).sort()).toEqual(["CreateAlias", "DeleteAlias", "UpdateAlias"]);

    const bob = await by("Username", "bob");
    expect(bob.map((e) => e.EventName).sort()).toEqual(["ListKeys", "ListKeys"]);
    expect(bob.every((e) => e.Username === "bob")).toBe(true);
    const bobKey = await by("AccessKeyId", "bob");
    expect(bobKey.map((e) => e.EventId).sort()).toEqual(bob.map((e) => e.EventId).sort());
    expect(bobKey.every((e) => e.AccessKeyId === "bob")).toBe(true);

    const writes = await by("ReadOnly", "false");
    const reads = await by("ReadOnly", "true");
    expect(writes.every((e) => e.ReadOnly === "false")).toBe(true);
    expect(reads.every((e) => e.ReadOnly === "true")).toBe(true);
    expect(writes.map((e) => e.EventName)).toContain("CreateKey");
    expect(reads.map((e) => e.EventName)).toContain("Decrypt");

    const one = await by("EventId", encrypts[0]!.EventId!);
    expect(one).toHaveLength(1);
    expect(recordOf(one[0]!).eventID).toBe(encrypts[0]!.EventId);
    expect(one[0]!.EventTime).toBeInstanceOf(Date);

    expect((await by("EventSource", "kms.amazonaws.com")).length).toBeGreaterThan(30);
    expect(await by("EventSource", "s3.amazonaws.com")).toEqual([]);
  });

  it("returns only events inside StartTime and EndTime", async () => {
    const kms = worker.client();
    const before = await call(kms, new DescribeKeyCommand({ KeyId: keyId }));
    await new Promise((r) => setTimeout(r, 1500));
    const boundary = new Date();
    await new Promise((r) => setTimeout(r, 500));
    const after = await call(kms, new DescribeKeyCommand({ KeyId: keyId }));
    const ct = ctRoot();
    const attr = { LookupAttributes: [{ AttributeKey: "EventName" as const, AttributeValue: "DescribeKey" }] };
    const later = byRequestId(await lookupAll(ct, { ...attr, StartTime: boundary }));
    const earlier = byRequestId(await lookupAll(ct, { ...attr, StartTime: new Date(0), EndTime: boundary }));
    expect(later.has(after.requestId)).toBe(true);
    expect(later.has(before.requestId)).toBe(false);
    expect(earlier.has(before.requestId)).toBe(true);
    expect(earlier.has(after.requestId)).toBe(false);
  });

  it("pages with MaxResults and NextToken, newest first, without gaps or repeats", async () => {
    const ct = ctRoot();
    const input = { StartTime: new Date(0), LookupAttributes: [{ AttributeKey: "ResourceName" as const, AttributeValue: keyArn }] };
    await waitForTrail(ct);
    const whole = await ct.send(new LookupEventsCommand({ ...input, MaxResults: 50 }));
    const pages: string[][] = [];
    let token: string | undefined;
    do {
      const page = await ct.send(new LookupEventsCommand({ ...input, MaxResults: 3, NextToken: token }));
      expect(page.Events!.length).toBeLessThanOrEqual(3);
      pages.push(page.Events!.map((e) => e.EventId!));
      token = page.NextToken;
    } while (token !== undefined);
    expect(pages.length).toBeGreaterThan(3);
    expect(pages.flat()).toEqual(whole.Events!.map((e) => e.EventId));
    const times = whole.Events!.map((e) => e.EventTime!.getTime());
    expect([...times].sort((a, b) => b - a)).toEqual(times);
  });

  it("refuses invalid requests with CloudTrail's errors", async () => {
    const ct = ctRoot();
    const two = await awsError(
      ct.send(
        new LookupEventsCommand({
          LookupAttributes: [
            { AttributeKey: "EventName", AttributeValue: "Encrypt" },
            { AttributeKey: "Username", AttributeValue: "bob" },
          ],
        }),
      ),
    );
    expect(two.name).toBe("InvalidLookupAttributesException");
    const badKey = await awsError(
      ct.send(new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: "Colour" as "EventName", AttributeValue: "x" }] })),
    );
    expect(badKey.name).toBe("InvalidLookupAttributesException");
    expect((await awsError(ct.send(new LookupEventsCommand({ MaxResults: 51 })))).name).toBe("InvalidMaxResultsException");
    expect((await awsError(ct.send(new LookupEventsCommand({ MaxResults: 0 })))).name).toBe("InvalidMaxResultsException");
    const range = await awsError(ct.send(new LookupEventsCommand({ StartTime: new Date(), EndTime: new Date(Date.now() - 60_000) })));
    expect(range.name).toBe("InvalidTimeRangeException");
    expect((await awsError(ct.send(new LookupEventsCommand({ NextToken: "bm90IGEgdG9rZW4=" })))).name).toBe("InvalidNextTokenException");
    const first = await ct.send(new LookupEventsCommand({ StartTime: new Date(0), MaxResults: 1 }));
    const reused = await awsError(
      ct.send(
        new LookupEventsCommand({
          StartTime: new Date(0),
          MaxResults: 1,
          NextToken: first.NextToken,
          LookupAttributes: [{ AttributeKey: "EventName", AttributeValue: "Encrypt" }],
        }),
      ),
    );
    expect(reused.name).toBe("InvalidNextTokenException");
  });

  it("requires cloudtrail:LookupEvents: roots and allowed users pass, others are denied", async () => {
    const denied = await awsError(cloudTrailClient(worker.url, "bob").send(new LookupEventsCommand({})));
    expect(denied.name).toBe("AccessDeniedException");
    expect(denied.message).toContain(`User: arn:aws:iam::${ACCOUNT}:user/bob is not authorized to perform: cloudtrail:LookupEvents`);
    const auditor = byRequestId(await lookupAll(cloudTrailClient(worker.url, "auditor"), { StartTime: new Date(0) }));
    expect(auditor.has(outcomes.CreateKey!.requestId)).toBe(true);
  });

  it("is signed for the cloudtrail service: a KMS-scoped signature is refused", async () => {
    const url = new URL(worker.url);
    const signer = new SignatureV4({
      credentials: { accessKeyId: "test", secretAccessKey: "test" },
      region: REGION,
      service: "kms",
      sha256: Sha256,
    });
    const body = "{}";
    const signed = await signer.sign({
      method: "POST",
      protocol: url.protocol,
      hostname: url.hostname,
      port: Number(url.port),
      path: "/",
      headers: {
        host: url.host,
        "content-type": "application/x-amz-json-1.1",
        "x-amz-target": "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents",
      },
      body,
    });
    const response = await fetch(worker.url, { method: "POST", headers: signed.headers, body });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      __type: "InvalidSignatureException",
      message: "Credential should be scoped to correct service: 'cloudtrail'. ",
    });
  });
});

// ---- accounts -------------------------------------------------------------------------------------

describe("the account boundary", () => {
  it("shows a cross-account call to both accounts and nothing else of either to the other", async () => {
    const external = worker.client("external");
    const own = await call(external, new CreateKeyCommand({ Description: "external's own" }));
    const crossing = await call(external, new EncryptCommand({ KeyId: keyArn, Plaintext: utf8("from outside") }));
    expect(crossing.error).toBeDefined();

    const ownerTrail = await trail("test");
    const callerTrail = await trail("external");
    const atOwner = ownerTrail.get(crossing.requestId)!;
    const atCaller = callerTrail.get(crossing.requestId)!;
    expect(atOwner).toMatchObject({ eventName: "Encrypt", recipientAccountId: ACCOUNT, userIdentity: { accountId: EXTERNAL_ACCOUNT } });
    expect(atCaller).toMatchObject({ eventName: "Encrypt", recipientAccountId: EXTERNAL_ACCOUNT, eventID: atOwner.eventID });
    expect(atOwner.resources).toEqual([{ ARN: keyArn, accountId: ACCOUNT, type: "AWS::KMS::Key" }]);

    expect(ownerTrail.has(own.requestId)).toBe(false);
    expect(callerTrail.has(outcomes.CreateKey!.requestId)).toBe(false);
    expect([...callerTrail.values()].every((r) => r.recipientAccountId === EXTERNAL_ACCOUNT)).toBe(true);
    expect([...ownerTrail.values()].every((r) => r.recipientAccountId === ACCOUNT)).toBe(true);
    const byKey = await lookupAll(cloudTrailClient(worker.url, "external"), {
      StartTime: new Date(0),
      LookupAttributes: [{ AttributeKey: "ResourceName", AttributeValue: keyArn }],
    });
    // The caller sees its own calls on the key (this one and the DescribeKey of the first run).
    expect(byKey.map((e) => recordOf(e).requestID).sort()).toEqual([crossing.requestId, outcomes.Denied!.requestId].sort());
  });
});

// ---- events and metrics ---------------------------------------------------------------------------

describe("key events", () => {
  it("emits the guide's KMS CMK Rotation event when a key rotates, listable and in the trail as RotateKey", async () => {
    const kms = worker.client();
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({ Description: "rotating" }));
    await kms.send(new EnableKeyRotationCommand({ KeyId: KeyMetadata!.KeyId }));
    let events: { "detail-type": string; resources: string[] }[] = [];
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      const response = await fetch(`${worker.url}/key-events?account=${ACCOUNT}`, {
        headers: { Authorization: `Bearer ${METRICS_TOKEN}` },
      });
      events = ((await response.json()) as { Events: typeof events }).Events.filter((e) => e.resources[0] === KeyMetadata!.Arn);
      if (events.length > 0) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    await kms.send(new DisableKeyRotationCommand({ KeyId: KeyMetadata!.KeyId }));
    expect(events.length).toBeGreaterThanOrEqual(1);
    const event = events[events.length - 1]!;
    expect(event).toEqual({
      version: "0",
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      "detail-type": "KMS CMK Rotation",
      source: "aws.kms",
      account: ACCOUNT,
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      region: REGION,
      resources: [KeyMetadata!.Arn],
      detail: { "key-id": KeyMetadata!.KeyId },
    });
    const rotations = await lookupAll(ctRoot(), {
      StartTime: new Date(0),
      LookupAttributes: [{ AttributeKey: "EventName", AttributeValue: "RotateKey" }],
    });
    const record = rotations.map(recordOf).find((r) => r.eventID === (event as unknown as { id: string }).id)!;
    expect(record).toMatchObject({
      eventType: "AwsServiceEvent",
      eventSource: "kms.amazonaws.com",
      userIdentity: { accountId: ACCOUNT, invokedBy: "kms.amazonaws.com" },
      resources: [{ ARN: KeyMetadata!.Arn, accountId: ACCOUNT, type: "AWS::KMS::Key" }],
    });
  }, 30_000);

  it("lists key events only with the bearer token", async () => {
    expect((await fetch(`${worker.url}/key-events?account=${ACCOUNT}`)).status).toBe(401);
  });
});

/** Parses Prometheus text: metric name → list of {labels, value}. */
function parsePrometheus(text: string): Map<string, { labels: Record<string, string>; value: number }[]> {
  const out = new Map<string, { labels: Record<string, string>; value: number }[]>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/.exec(line);
    if (m === null) throw new Error(`not a Prometheus sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[3] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!.replace(/\\(.)/g, "$1");
    const list = out.get(m[1]!) ?? [];
    list.push({ labels, value: Number(m[4]) });
    out.set(m[1]!, list);
  }
  return out;
}

describe("GET /metrics", () => {
  it("refuses a scrape without the bearer token", async () => {
    expect((await fetch(`${worker.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${worker.url}/metrics`, { headers: { Authorization: "Bearer wrong" } })).status).toBe(401);
  });

  it("reports request counts and latency by operation and error, and keys by state, in Prometheus text", async () => {
    const response = await fetch(`${worker.url}/metrics`, { headers: { Authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Type")).toContain("text/plain");
    const text = await response.text();
    expect(text).toContain("# TYPE aws_kms_seconds_until_key_material_expiration gauge");
    const metrics = parsePrometheus(text);
    const requests = metrics.get("edgekms_requests_total")!;
    const count = (operation: string, error: string, account = ACCOUNT) =>
      requests.find((s) => s.labels.account === account && s.labels.operation === operation && s.labels.error === error)?.value ?? 0;
    expect(count("Encrypt", "")).toBeGreaterThanOrEqual(1);
    expect(count("Encrypt", "DisabledException")).toBe(1);
    expect(count("Decrypt", "InvalidCiphertextException")).toBe(1);
    expect(count("UnknownOperation", "UnknownOperationException")).toBe(1);
    expect(requests.some((s) => s.labels.operation === "LaunchMissiles")).toBe(false);
    // Counted in the caller's account, not the key owner's.
    expect(count("DescribeKey", "AccessDeniedException", EXTERNAL_ACCOUNT)).toBe(1);
    expect(count("DescribeKey", "AccessDeniedException")).toBe(0);

    const total = requests.filter((s) => s.labels.account === ACCOUNT).reduce((n, s) => n + s.value, 0);
    const records = await trail();
    const apiCalls = [...records.values()].filter((r) => r.eventType === "AwsApiCall" && r.userIdentity.accountId === ACCOUNT).length;
    expect(total).toBe(apiCalls);

    const histogramCount = metrics
      .get("edgekms_request_duration_seconds_count")!
      .filter((s) => s.labels.account === ACCOUNT)
      .reduce((n, s) => n + s.value, 0);
    expect(histogramCount).toBe(total);
    const inf = metrics
      .get("edgekms_request_duration_seconds_bucket")!
      .filter((s) => s.labels.le === "+Inf" && s.labels.operation === "Encrypt" && s.labels.error === "" && s.labels.account === ACCOUNT);
    expect(inf[0]!.value).toBe(count("Encrypt", ""));

    const keys = metrics.get("edgekms_keys")!.filter((s) => s.labels.account === ACCOUNT);
    const listed = await worker.client().send(new ListKeysCommand({ Limit: 1000 }));
    expect(keys.reduce((n, s) => n + s.value, 0)).toBe(listed.Keys!.length);
    expect(keys.find((s) => s.labels.state === "Enabled")!.value).toBeGreaterThanOrEqual(2);
    // The AWS/KMS gauge has a sample for the one key whose imported material is set to expire.
    const expiring = metrics.get("aws_kms_seconds_until_key_material_expiration")!;
    expect(expiring.map((s) => s.labels.KeyId)).toEqual([externalKeyId]);
    const expected = (VALID_TO.getTime() - Date.now()) / 1000;
    expect(expiring[0]!.value).toBeGreaterThan(expected - 120);
    expect(expiring[0]!.value).toBeLessThanOrEqual(Math.ceil(expected) + 1);
  });
});
