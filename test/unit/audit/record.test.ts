/**
 * The CloudTrail record builder against the guide's example records ("Logging AWS KMS API Calls
 * Using AWS CloudTrail"): field names and order, userIdentity per principal type,
 * requestParameters per operation (camelCase, encryption-context keys untouched),
 * responseElements, readOnly, resources, errors, and the accounts a record is delivered to.
 */
import { describe, expect, it } from "vitest";
import type { Principal } from "../../../src/auth/identities.ts";
import { keyEvent, serviceEventRecord } from "../../../src/audit/events.ts";
import {
  addressedTo,
  buildRecord,
  formatResponseDate,
  isCryptographic,
  isReadOnly,
  recipientAccounts,
  usernameOf,
  type AuditInput,
} from "../../../src/audit/record.ts";

const ACCOUNT = "123456789012";
const KEY = `arn:aws:kms:us-east-1:${ACCOUNT}:key/64e07f97-2489-4d04-bfdf-41723ad130bd`;
const ALICE: Principal = {
  type: "IAMUser",
  accountId: ACCOUNT,
  arn: `arn:aws:iam::${ACCOUNT}:user/Alice`,
  principalId: "EX_PRINCIPAL_ID",
  userName: "Alice",
  policies: [],
};

function input(over: Partial<AuditInput>): AuditInput {
  return {
    identity: {
      accountId: ACCOUNT,
      principal: ALICE,
      accessKeyId: "EXAMPLE_KEY_ID",
      sourceIp: "192.0.2.0",
      userAgent: "AWS Internal",
      via: "http",
    },
    eventName: "DescribeKey",
    request: {},
    keyArns: [],
    requestId: "d9472f40-63bc-11e4-bc2b-4198b6150d5c",
    eventId: "f72d3993-864f-48d6-8f16-e26e1ae8dff0",
    eventTime: new Date("2014-11-04T00:52:27.123Z"),
    region: "us-east-1",
    ...over,
  };
}

describe("CloudTrail records", () => {
  it("matches the guide's CreateAlias example field for field, in AWS's order", () => {
    const record = buildRecord(
      input({ eventName: "CreateAlias", request: { AliasName: "alias/my_alias", TargetKeyId: KEY }, response: {}, keyArns: [KEY] }),
    );
    expect(record).toEqual({
      eventVersion: "1.08",
      userIdentity: {
        type: "IAMUser",
        principalId: "EX_PRINCIPAL_ID",
        arn: `arn:aws:iam::${ACCOUNT}:user/Alice`,
        accountId: ACCOUNT,
        accessKeyId: "EXAMPLE_KEY_ID",
        userName: "Alice",
      },
      eventTime: "2014-11-04T00:52:27Z",
      eventSource: "kms.amazonaws.com",
      eventName: "CreateAlias",
      awsRegion: "us-east-1",
      sourceIPAddress: "192.0.2.0",
      userAgent: "AWS Internal",
      requestParameters: { aliasName: "alias/my_alias", targetKeyId: KEY },
      responseElements: null,
      requestID: "d9472f40-63bc-11e4-bc2b-4198b6150d5c",
      eventID: "f72d3993-864f-48d6-8f16-e26e1ae8dff0",
      readOnly: false,
      resources: [
        { ARN: KEY, accountId: ACCOUNT, type: "AWS::KMS::Key" },
        { ARN: `arn:aws:kms:us-east-1:${ACCOUNT}:alias/my_alias`, accountId: ACCOUNT, type: "AWS::KMS::Alias" },
      ],
      eventType: "AwsApiCall",
      managementEvent: true,
      recipientAccountId: ACCOUNT,
      eventCategory: "Management",
    });
    expect(Object.keys(record).slice(0, 8)).toEqual([
      "eventVersion",
      "userIdentity",
      "eventTime",
      "eventSource",
      "eventName",
      "awsRegion",
      "sourceIPAddress",
      "userAgent",
    ]);
  });

  it("records a failed Decrypt as the guide does: errorCode after userAgent, null parameters and elements, readOnly", () => {
    const record = buildRecord(
      input({
        eventName: "Decrypt",
        request: { CiphertextBlob: new Uint8Array(8) },
        keyArns: [KEY],
        error: { code: "InvalidCiphertextException", message: "The ciphertext is invalid." },
      }),
    );
    expect(Object.keys(record).slice(7, 11)).toEqual(["userAgent", "errorCode", "errorMessage", "requestParameters"]);
    expect(record).toMatchObject({
      errorCode: "InvalidCiphertextException",
      errorMessage: "The ciphertext is invalid.",
      requestParameters: null,
      responseElements: null,
      readOnly: true,
      resources: [{ ARN: KEY, accountId: ACCOUNT }],
    });
  });

  it("logs encryption contexts with their keys as given, and grant constraints likewise", () => {
    const encrypt = buildRecord(
      input({
        eventName: "Encrypt",
        request: { KeyId: KEY, Plaintext: new Uint8Array(4), EncryptionContext: { ContextKey1: "Value1" } },
        response: { CiphertextBlob: new Uint8Array(9), KeyId: KEY },
      }),
    );
    expect(encrypt.requestParameters).toEqual({ keyId: KEY, encryptionContext: { ContextKey1: "Value1" } });
    expect(encrypt.responseElements).toBeNull();
    const grant = buildRecord(
      input({
        eventName: "CreateGrant",
        request: {
          KeyId: KEY,
          GranteePrincipal: "EX_PRINCIPAL_ID",
          Operations: ["Encrypt", "RetireGrant"],
          Constraints: { EncryptionContextSubset: { ContextKey1: "Value1" } },
          GrantTokens: ["tok"],
        },
        response: { GrantId: "f020fe75", GrantToken: "secret-token" },
      }),
    );
    expect(grant.requestParameters).toEqual({
      keyId: KEY,
      granteePrincipal: "EX_PRINCIPAL_ID",
      operations: ["Encrypt", "RetireGrant"],
      constraints: { encryptionContextSubset: { ContextKey1: "Value1" } },
    });
    expect(grant.responseElements).toEqual({ grantId: "f020fe75" });
  });

  it("logs CreateKey's keyMetadata with AWS's member names and date format", () => {
    const record = buildRecord(
      input({
        eventName: "CreateKey",
        request: { Description: "", KeyUsage: "ENCRYPT_DECRYPT" },
        response: {
          KeyMetadata: {
            AWSAccountId: ACCOUNT,
            KeyId: "06dc80ca",
            Arn: KEY,
            CreationDate: new Date("2014-11-04T00:52:59Z"),
            Enabled: true,
          },
        },
      }),
    );
    expect(record.requestParameters).toEqual({ description: "", keyUsage: "ENCRYPT_DECRYPT" });
    expect(record.responseElements).toEqual({
      keyMetadata: { AWSAccountId: ACCOUNT, keyId: "06dc80ca", arn: KEY, creationDate: "Nov 4, 2014, 12:52:59 AM", enabled: true },
    });
    expect(record.resources).toEqual([{ ARN: KEY, accountId: ACCOUNT, type: "AWS::KMS::Key" }]);
  });

  it("formats response dates as AWS's Java serialiser does", () => {
    expect(formatResponseDate(new Date("2022-12-01T22:46:11Z"))).toBe("Dec 1, 2022, 10:46:11 PM");
    expect(formatResponseDate(new Date("2022-12-01T12:00:00Z"))).toBe("Dec 1, 2022, 12:00:00 PM");
  });

  it("picks logged members from a raw body that failed validation, ignoring everything else", () => {
    const record = buildRecord(
      input({
        eventName: "GenerateDataKey",
        request: { KeyId: 42, NumberOfBytes: "many", Plaintext: "c2VjcmV0", Unknown: "x" },
        error: { code: "SerializationException", message: "m" },
      }),
    );
    expect(record.requestParameters).toEqual({ keyId: 42, numberOfBytes: "many" });
  });

  it("describes roots, IAM users, role sessions and service-binding callers as CloudTrail does", () => {
    const root: Principal = { type: "Root", accountId: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:root`, principalId: ACCOUNT, policies: [] };
    const role: Principal = {
      type: "AssumedRole",
      accountId: ACCOUNT,
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/Admins/example-user`,
      principalId: "AROACKCEVSQ6C2EXAMPLE:example-user",
      roleName: "Admins",
      roleArn: `arn:aws:iam::${ACCOUNT}:role/Admins`,
      sessionName: "example-user",
      policies: [],
    };
    const r = buildRecord(input({ identity: { accountId: ACCOUNT, principal: root, accessKeyId: "AKID", via: "http" } }));
    expect(r.userIdentity).toEqual({
      type: "Root",
      principalId: ACCOUNT,
      arn: `arn:aws:iam::${ACCOUNT}:root`,
      accountId: ACCOUNT,
      accessKeyId: "AKID",
    });
    expect(usernameOf(r.userIdentity)).toBe("root");
    const s = buildRecord(input({ identity: { accountId: ACCOUNT, principal: role, accessKeyId: "ASIA", via: "http" } }));
    expect(s.userIdentity).toEqual({
      type: "AssumedRole",
      principalId: "AROACKCEVSQ6C2EXAMPLE:example-user",
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/Admins/example-user`,
      accountId: ACCOUNT,
      accessKeyId: "ASIA",
      sessionContext: {
        sessionIssuer: {
          type: "Role",
          principalId: "AROACKCEVSQ6C2EXAMPLE",
          arn: `arn:aws:iam::${ACCOUNT}:role/Admins`,
          accountId: ACCOUNT,
          userName: "Admins",
        },
        attributes: { mfaAuthenticated: "false" },
      },
    });
    expect(usernameOf(s.userIdentity)).toBe("example-user");
    const b = buildRecord(input({ identity: { accountId: ACCOUNT, principal: ALICE, via: "binding" } }));
    expect(b.userIdentity).toMatchObject({ userName: "Alice", invokedBy: "service-binding" });
    expect(b.userIdentity).not.toHaveProperty("accessKeyId");
    expect(b.sourceIPAddress).toBe("AWS Internal");
    const c = buildRecord(
      input({ identity: { accountId: ACCOUNT, principal: ALICE, accessKeyId: "AKID", sourceIp: "192.0.2.7", via: "console" } }),
    );
    expect(c.userIdentity).toMatchObject({
      userName: "Alice",
      accessKeyId: "AKID",
      invokedBy: "console",
      sessionCredentialFromConsole: "true",
    });
    expect(c.sourceIPAddress).toBe("192.0.2.7");
    expect(buildRecord(input({ identity: { accountId: ACCOUNT, principal: ALICE, via: "http" } })).userIdentity).not.toHaveProperty(
      "sessionCredentialFromConsole",
    );
  });

  it("marks read-only and cryptographic operations as AWS does", () => {
    for (const op of [
      "Encrypt",
      "Decrypt",
      "GenerateDataKey",
      "GenerateDataKeyWithoutPlaintext",
      "GenerateRandom",
      "DescribeKey",
      "ListAliases",
      "GetKeyPolicy",
    ]) {
      expect(isReadOnly(op), op).toBe(true);
    }
    for (const op of ["ReEncrypt", "CreateKey", "CreateAlias", "DisableKey", "PutKeyPolicy", "ScheduleKeyDeletion", "SomethingUnknown"]) {
      expect(isReadOnly(op), op).toBe(false);
    }
    expect(isCryptographic("ReEncrypt")).toBe(true);
    expect(isCryptographic("CreateKey")).toBe(false);
  });

  it("is delivered to the caller's account and to each other account whose key it names, unless that key was not found", () => {
    const other = "arn:aws:kms:us-east-1:444455556666:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    const ok = buildRecord(input({ eventName: "Encrypt", keyArns: [other, KEY] }));
    expect(recipientAccounts(ok)).toEqual([ACCOUNT, "444455556666"]);
    expect(addressedTo(ok, "444455556666")).toMatchObject({ recipientAccountId: "444455556666", eventID: ok.eventID });
    const denied = buildRecord(input({ eventName: "Encrypt", keyArns: [other], error: { code: "AccessDeniedException", message: "m" } }));
    expect(recipientAccounts(denied)).toEqual([ACCOUNT, "444455556666"]);
    for (const code of ["NotFoundException", "InvalidCiphertextException"]) {
      const unknown = buildRecord(input({ eventName: "Decrypt", keyArns: [other], error: { code, message: "m" } }));
      expect(recipientAccounts(unknown)).toEqual([ACCOUNT]);
    }
  });
});

describe("key events", () => {
  it("have the guide's CloudWatch Events shape", () => {
    const event = keyEvent("KMS CMK Deletion", KEY, new Date("2016-08-19T03:23:45.678Z"), "e9ce3425-7d22-412a-a699-e7a5fc3fbc9a");
    expect(event).toEqual({
      version: "0",
      id: "e9ce3425-7d22-412a-a699-e7a5fc3fbc9a",
      "detail-type": "KMS CMK Deletion",
      source: "aws.kms",
      account: ACCOUNT,
      time: "2016-08-19T03:23:45Z",
      region: "us-east-1",
      resources: [KEY],
      detail: { "key-id": "64e07f97-2489-4d04-bfdf-41723ad130bd" },
    });
    expect(() => keyEvent("KMS CMK Rotation", "alias/nope", new Date())).toThrow();
  });

  it("are logged as CloudTrail service events named as AWS names them", () => {
    const names = (["KMS CMK Rotation", "KMS Imported Key Material Expiration", "KMS CMK Deletion"] as const).map(
      (t) => serviceEventRecord(keyEvent(t, KEY, new Date(0))).eventName,
    );
    expect(names).toEqual(["RotateKey", "DeleteExpiredKeyMaterial", "DeleteKey"]);
    const record = serviceEventRecord(keyEvent("KMS CMK Rotation", KEY, new Date(0), "id-1"));
    expect(record).toMatchObject({
      eventType: "AwsServiceEvent",
      userIdentity: { accountId: ACCOUNT, invokedBy: "kms.amazonaws.com" },
      eventID: "id-1",
      readOnly: false,
      resources: [{ ARN: KEY, accountId: ACCOUNT, type: "AWS::KMS::Key" }],
      recipientAccountId: ACCOUNT,
    });
    expect(usernameOf(record.userIdentity)).toBe("");
  });
});
