/**
 * The redaction step and the record builder together never let a secret-bearing member through:
 * for every TrentService operation, a request and a response with every blob member filled with a
 * marker — as bytes, as base64 text, at the top level and nested — yield a record without the
 * markers or the member names.
 */
import { describe, expect, it } from "vitest";
import type { Principal } from "../../../src/auth/identities.ts";
import { buildRecord, LOGGED_REQUEST_MEMBERS, LOGGED_RESPONSE_MEMBERS } from "../../../src/audit/record.ts";
import { redact, SECRET_MEMBERS } from "../../../src/audit/redact.ts";
import { OPERATIONS } from "../../../src/protocol/operations.ts";

const MARKER = "SECRET-MARKER-7f3a";
const MARKER_BYTES = new TextEncoder().encode(MARKER);
const MARKER_B64 = btoa(MARKER);

/** The API's blob and secret members in their PascalCase wire names. */
const BLOB_MEMBERS = [
  "Plaintext",
  "CiphertextBlob",
  "CiphertextForRecipient",
  "EncryptedKeyMaterial",
  "ImportToken",
  "PublicKey",
  "PrivateKeyPlaintext",
  "PrivateKeyCiphertextBlob",
  "SharedSecret",
  "GrantToken",
  "GrantTokens",
  "Message",
  "Mac",
  "Signature",
  "Recipient",
];

function secretFilled(asBytes: boolean): Record<string, unknown> {
  const value = asBytes ? MARKER_BYTES : MARKER_B64;
  const body: Record<string, unknown> = { KeyId: "1234abcd-12ab-34cd-56ef-1234567890ab" };
  for (const m of BLOB_MEMBERS) body[m] = m === "GrantTokens" ? [MARKER] : value;
  body.Recipient = { KeyEncryptionAlgorithm: "RSAES_OAEP_SHA_256", AttestationDocument: value };
  body.Constraints = { EncryptionContextSubset: { a: "b" }, Plaintext: value };
  body.KeyMetadata = { KeyId: "k", Plaintext: value, Nested: [{ CiphertextBlob: value }] };
  return body;
}

const ROOT: Principal = {
  type: "Root",
  accountId: "111122223333",
  arn: "arn:aws:iam::111122223333:root",
  principalId: "111122223333",
  policies: [],
};

function recordFor(operation: string, request: unknown, response: unknown) {
  return buildRecord({
    identity: { accountId: "111122223333", principal: ROOT, accessKeyId: "AKIDEXAMPLE", via: "http" },
    eventName: operation,
    request,
    response,
    keyArns: [],
    requestId: "r",
    eventId: "e",
    eventTime: new Date(0),
    region: "us-east-1",
  });
}

describe("redaction", () => {
  it("names every blob member of the API as secret", () => {
    for (const m of BLOB_MEMBERS) expect(SECRET_MEMBERS.has(m.toLowerCase()), m).toBe(true);
    expect(SECRET_MEMBERS.has("attestationdocument")).toBe(true);
  });

  it("drops secret members in either case convention and every binary value, at any depth", () => {
    const input = {
      keyId: "k",
      plaintext: "x",
      CiphertextBlob: "y",
      nested: {
        list: [{ grantToken: "t", ok: 1 }, new Uint8Array([1, 2])],
        buffer: new ArrayBuffer(4),
        view: new DataView(new ArrayBuffer(2)),
      },
      when: new Date(0),
    };
    expect(redact(input)).toEqual({ keyId: "k", nested: { list: [{ ok: 1 }] }, when: "1970-01-01T00:00:00.000Z" });
  });

  it("never allowlists a secret member for any operation", () => {
    for (const table of [LOGGED_REQUEST_MEMBERS, LOGGED_RESPONSE_MEMBERS]) {
      for (const [operation, members] of Object.entries(table)) {
        for (const m of members) expect(SECRET_MEMBERS.has(m.toLowerCase()), `${operation}.${m}`).toBe(false);
      }
    }
  });

  it.each([...OPERATIONS, "SomethingNew"])(
    "keeps every blob of %s out of its record, as bytes or as base64, on success and failure",
    (operation) => {
      for (const asBytes of [true, false]) {
        const request = secretFilled(asBytes);
        const response = secretFilled(asBytes);
        const json = JSON.stringify([
          recordFor(operation, request, response),
          buildRecord({ ...recordInput(operation, request), error: { code: "ValidationException", message: "bad" } }),
        ]);
        expect(json).not.toContain(MARKER);
        expect(json).not.toContain(MARKER_B64);
        for (const m of BLOB_MEMBERS) expect(json.toLowerCase()).not.toContain(`"${m.toLowerCase()}"`);
      }
    },
  );
});

function recordInput(operation: string, request: unknown) {
  return {
    identity: { accountId: "111122223333", principal: ROOT, via: "http" as const },
    eventName: operation,
    request,
    keyArns: [],
    requestId: "r",
    eventId: "e",
    eventTime: new Date(0),
    region: "us-east-1",
  };
}
