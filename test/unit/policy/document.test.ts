/**
 * Parsing and validating key policies and IAM policies (src/policy/document.ts): every
 * element, each kind of malformed document, and the 32 KB limit.
 */
import { describe, expect, it } from "vitest";
import { KmsError } from "../../../src/protocol/errors.ts";
import { MAX_KEY_POLICY_BYTES, parsePolicy, POLICY_MESSAGES, tryParsePolicy, type PolicyKind } from "../../../src/policy/document.ts";

const ROOT = "arn:aws:iam::111122223333:root";

function keyDoc(statement: object | object[], extra: object = {}): string {
  return JSON.stringify({ Version: "2012-10-17", Statement: statement, ...extra });
}

function errorOf(text: string, kind: PolicyKind = "key"): KmsError {
  const r = tryParsePolicy(text, kind);
  if (r.ok) throw new Error("expected a malformed policy");
  return r.error;
}

describe("parsePolicy: well-formed documents", () => {
  it("reads the guide's example key policy", () => {
    const p = parsePolicy(
      JSON.stringify({
        Version: "2012-10-17",
        Id: "key-consolepolicy-2",
        Statement: [
          { Sid: "Enable IAM User Permissions", Effect: "Allow", Principal: { AWS: ROOT }, Action: "kms:*", Resource: "*" },
          {
            Sid: "Allow attachment of persistent resources",
            Effect: "Allow",
            Principal: {
              AWS: ["arn:aws:iam::111122223333:user/KMSUser", "arn:aws:iam::111122223333:role/KMSRole", "arn:aws:iam::444455556666:root"],
            },
            Action: ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
            Resource: "*",
            Condition: { Bool: { "kms:GrantIsForAWSResource": true } },
          },
        ],
      }),
      "key",
    );
    expect(p.version).toBe("2012-10-17");
    expect(p.id).toBe("key-consolepolicy-2");
    expect(p.statements).toHaveLength(2);
    expect(p.statements[0]).toMatchObject({
      index: 0,
      sid: "Enable IAM User Permissions",
      effect: "Allow",
      action: ["kms:*"],
      resource: ["*"],
    });
    expect(p.statements[0]!.principal).toEqual({ wildcard: false, aws: [ROOT], service: [], federated: [] });
    expect(p.statements[1]!.principal!.aws).toHaveLength(3);
    expect(p.statements[1]!.conditions).toEqual([
      { operator: { name: "Bool", base: "Bool", ifExists: false }, key: "kms:GrantIsForAWSResource", values: ["true"] },
    ]);
  });

  it("accepts a single statement object as well as an array", () => {
    const p = parsePolicy(
      JSON.stringify({ Version: "2012-10-17", Statement: { Effect: "Deny", Principal: "*", Action: "kms:*", Resource: "*" } }),
      "key",
    );
    expect(p.statements).toHaveLength(1);
    expect(p.statements[0]!.principal!.wildcard).toBe(true);
  });

  it("treats a missing Version as 2008-10-17", () => {
    expect(parsePolicy(JSON.stringify({ Statement: { Effect: "Allow", Action: "kms:*", Resource: "*" } }), "iam").version).toBe(
      "2008-10-17",
    );
  });

  it.each([
    ["an account ID", "111122223333"],
    ["an account root ARN", ROOT],
    ["a user ARN", "arn:aws:iam::111122223333:user/alice"],
    ["a user ARN with a path", "arn:aws:iam::111122223333:user/division/alice"],
    ["a role ARN", "arn:aws:iam::111122223333:role/EncryptionApp"],
    ["an assumed-role session ARN", "arn:aws:sts::111122223333:assumed-role/deployer/ci"],
    ["the wildcard", "*"],
  ])("accepts an AWS principal that is %s", (_what, aws) => {
    expect(tryParsePolicy(keyDoc({ Effect: "Allow", Principal: { AWS: aws }, Action: "kms:Encrypt", Resource: "*" }), "key").ok).toBe(true);
  });

  it("accepts Service and Federated principals, and NotPrincipal", () => {
    const p = parsePolicy(
      keyDoc([
        { Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "kms:Decrypt", Resource: "*" },
        { Effect: "Deny", NotPrincipal: { AWS: [ROOT] }, Action: "kms:ScheduleKeyDeletion", Resource: "*" },
        { Effect: "Allow", Principal: { Federated: "cognito-identity.amazonaws.com" }, Action: "kms:Decrypt", Resource: "*" },
      ]),
      "key",
    );
    expect(p.statements[0]!.principal!.service).toEqual(["ec2.amazonaws.com"]);
    expect(p.statements[1]!.notPrincipal!.aws).toEqual([ROOT]);
    expect(p.statements[2]!.principal!.federated).toEqual(["cognito-identity.amazonaws.com"]);
  });

  it("reads NotAction and NotResource in IAM policies", () => {
    const p = parsePolicy(
      JSON.stringify({
        Version: "2012-10-17",
        Statement: { Effect: "Deny", NotAction: ["kms:Decrypt"], NotResource: "arn:aws:kms:*:111122223333:key/*" },
      }),
      "iam",
    );
    expect(p.statements[0]).toMatchObject({ notAction: ["kms:Decrypt"], notResource: ["arn:aws:kms:*:111122223333:key/*"] });
  });

  it("turns numbers and booleans in conditions into strings", () => {
    const p = parsePolicy(
      keyDoc({
        Effect: "Allow",
        Principal: "*",
        Action: "kms:*",
        Resource: "*",
        Condition: { NumericLessThan: { "test:n": [1, 2.5] }, Bool: { "aws:SecureTransport": false } },
      }),
      "key",
    );
    expect(p.statements[0]!.conditions.map((c) => c.values)).toEqual([["1", "2.5"], ["false"]]);
  });

  it("accepts a key policy of exactly 32768 bytes", () => {
    const base = keyDoc({ Sid: "", Effect: "Allow", Principal: { AWS: ROOT }, Action: "kms:*", Resource: "*" });
    const padded = base.replace('"Sid":""', `"Sid":"${"x".repeat(MAX_KEY_POLICY_BYTES - base.length)}"`);
    expect(new TextEncoder().encode(padded).length).toBe(MAX_KEY_POLICY_BYTES);
    expect(tryParsePolicy(padded, "key").ok).toBe(true);
  });
});

const stmt = { Effect: "Allow", Principal: { AWS: ROOT }, Action: "kms:*", Resource: "*" };

describe("parsePolicy: malformed documents", () => {
  it.each<[string, string, PolicyKind, string | RegExp]>([
    ["invalid JSON", '{"Version": ', "key", "The policy document is not valid JSON."],
    ["a JSON array", "[]", "key", "The policy must be a JSON object."],
    ["a JSON string", '"policy"', "key", "The policy must be a JSON object."],
    ["an unknown top-level element", keyDoc(stmt, { Extra: 1 }), "key", "Policy contains an unknown element: Extra."],
    [
      "a statement element at the top level",
      keyDoc(stmt, { Effect: "Allow" }),
      "key",
      "Effect is a statement element and must appear inside Statement.",
    ],
    [
      "a policy element inside a statement",
      keyDoc({ ...stmt, Version: "2012-10-17" }),
      "key",
      "Version is a policy element and cannot appear inside a statement.",
    ],
    [
      "an unknown statement element",
      keyDoc({ ...stmt, Principals: "*" }),
      "key",
      "Policy contains an unknown element in a statement: Principals.",
    ],
    [
      "an element name in the wrong case",
      keyDoc({ ...stmt, effect: "Allow" }),
      "key",
      "Policy contains an unknown element in a statement: effect.",
    ],
    ["an unknown Version", keyDoc(stmt, { Version: "2020-01-01" }), "key", 'Version must be "2012-10-17" or "2008-10-17".'],
    ["a non-string Id", keyDoc(stmt, { Id: 7 }), "key", "Id must be a string."],
    ["no Statement", JSON.stringify({ Version: "2012-10-17" }), "key", "The policy must contain a Statement."],
    ["an empty Statement array", keyDoc([]), "key", "The policy must contain at least one statement."],
    ["a statement that is not an object", keyDoc(["kms:*"]), "key", "Each statement must be a JSON object."],
    [
      "a missing Effect",
      keyDoc({ Principal: { AWS: ROOT }, Action: "kms:*", Resource: "*" }),
      "key",
      'Each statement must have an Effect of "Allow" or "Deny".',
    ],
    [
      "an Effect in the wrong case",
      keyDoc({ ...stmt, Effect: "allow" }),
      "key",
      'Each statement must have an Effect of "Allow" or "Deny".',
    ],
    ["a non-string Sid", keyDoc({ ...stmt, Sid: 1 }), "key", "Sid must be a string."],
    ["a missing Action", keyDoc({ Effect: "Allow", Principal: { AWS: ROOT }, Resource: "*" }), "key", POLICY_MESSAGES.noActions],
    ["an empty Action list", keyDoc({ ...stmt, Action: [] }), "key", POLICY_MESSAGES.noActions],
    ["an Action without a vendor", keyDoc({ ...stmt, Action: "Encrypt" }), "key", POLICY_MESSAGES.vendorPrefix],
    [
      "an Action that is not a string",
      keyDoc({ ...stmt, Action: 5 }),
      "key",
      "Action and NotAction must be a string or an array of strings.",
    ],
    [
      "both Action and NotAction",
      keyDoc({ ...stmt, NotAction: "kms:Decrypt" }),
      "key",
      "A statement cannot contain both Action and NotAction.",
    ],
    [
      "both Resource and NotResource",
      keyDoc({ ...stmt, NotResource: "*" }),
      "key",
      "A statement cannot contain both Resource and NotResource.",
    ],
    [
      "both Principal and NotPrincipal",
      keyDoc({ ...stmt, NotPrincipal: { AWS: ROOT } }),
      "key",
      "A statement cannot contain both Principal and NotPrincipal.",
    ],
    ["a missing Resource", keyDoc({ Effect: "Allow", Principal: { AWS: ROOT }, Action: "kms:*" }), "key", POLICY_MESSAGES.noResources],
    ["a Resource that is not an ARN", keyDoc({ ...stmt, Resource: "my-key" }), "key", 'Resource my-key must be in ARN format or "*".'],
    [
      "a key policy statement without a principal",
      keyDoc({ Effect: "Allow", Action: "kms:*", Resource: "*" }),
      "key",
      "Policy contains a statement with no principal.",
    ],
    ["an IAM policy with a principal", keyDoc(stmt), "iam", "Policy document should not specify a principal."],
    [
      "an IAM policy with NotPrincipal",
      keyDoc({ Effect: "Deny", NotPrincipal: { AWS: ROOT }, Action: "kms:*", Resource: "*" }),
      "iam",
      "Policy document should not specify a principal.",
    ],
    [
      "an unknown condition operator",
      keyDoc({ ...stmt, Condition: { StringEqual: { "aws:username": "alice" } } }),
      "key",
      "Policy contains an unknown condition operator: StringEqual.",
    ],
    [
      "an unknown set qualifier",
      keyDoc({ ...stmt, Condition: { "ForEachValue:StringEquals": { "aws:TagKeys": "a" } } }),
      "key",
      "Policy contains an unknown condition operator: ForEachValue:StringEquals.",
    ],
    ["a Condition that is not an object", keyDoc({ ...stmt, Condition: ["Bool"] }), "key", "Condition must be a JSON object."],
    [
      "an operator block that is not an object",
      keyDoc({ ...stmt, Condition: { Bool: true } }),
      "key",
      "The value of condition operator Bool must be a JSON object.",
    ],
    [
      "a condition key without a vendor",
      keyDoc({ ...stmt, Condition: { StringEquals: { username: "alice" } } }),
      "key",
      POLICY_MESSAGES.vendorPrefix,
    ],
    [
      "an object as a condition value",
      keyDoc({ ...stmt, Condition: { StringEquals: { "aws:username": { a: 1 } } } }),
      "key",
      "Condition values for aws:username must be strings, numbers, booleans or arrays of them.",
    ],
    [
      "a non-numeric Numeric value",
      keyDoc({ ...stmt, Condition: { NumericLessThan: { "test:n": "ten" } } }),
      "key",
      /^Invalid value for condition operator NumericLessThan and key test:n: ten is not a number\.$/,
    ],
    [
      "a malformed date",
      keyDoc({ ...stmt, Condition: { DateLessThan: { "aws:CurrentTime": "soon" } } }),
      "key",
      /soon is not an ISO 8601 date or epoch time/,
    ],
    [
      "a malformed CIDR block",
      keyDoc({ ...stmt, Condition: { IpAddress: { "aws:SourceIp": "10.0.0.0/40" } } }),
      "key",
      /is not an IP address or CIDR block/,
    ],
    [
      "a Bool value that is not true or false",
      keyDoc({ ...stmt, Condition: { Bool: { "aws:SecureTransport": "yes" } } }),
      "key",
      /yes is not true or false/,
    ],
    [
      "a Null value that is not true or false",
      keyDoc({ ...stmt, Condition: { Null: { "aws:SourceIp": "maybe" } } }),
      "key",
      /maybe is not true or false/,
    ],
  ])("rejects %s", (_what, text, kind, message) => {
    const err = errorOf(text, kind);
    expect(err).toBeInstanceOf(KmsError);
    expect(err.type).toBe("MalformedPolicyDocumentException");
    if (typeof message === "string") expect(err.message).toBe(message);
    else expect(err.message).toMatch(message);
  });

  it.each([
    ["a Principal string other than *", "arn:aws:iam::111122223333:root"],
    ["an empty Principal object", {}],
    ["an IAM group", { AWS: "arn:aws:iam::111122223333:group/admins" }],
    ["an account ID of the wrong length", { AWS: "11112222333" }],
    ["a wildcard inside an ARN", { AWS: "arn:aws:iam::*:root" }],
    ["an ARN of another service", { AWS: "arn:aws:s3:::bucket" }],
    ["a malformed ARN", { AWS: "arn:aws:iam:111122223333:user/alice" }],
    ["a user name with spaces", { AWS: "arn:aws:iam::111122223333:user/al ice" }],
    ["an unknown principal type", { Group: "admins" }],
    ["a CanonicalUser principal", { CanonicalUser: "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be" }],
    ["a malformed service principal", { Service: "EC2" }],
    ["an empty principal list", { AWS: [] }],
    ["a non-string principal", { AWS: 111122223333 }],
  ])("rejects %s as an invalid principal", (_what, principal) => {
    const err = errorOf(keyDoc({ ...stmt, Principal: principal }));
    expect(err.message).toBe("Policy contains a statement with one or more invalid principals.");
  });

  it("rejects a key policy one byte over 32768 bytes, before parsing it", () => {
    const base = keyDoc({ Sid: "", Effect: "Allow", Principal: { AWS: ROOT }, Action: "kms:*", Resource: "*" });
    const padded = base.replace('"Sid":""', `"Sid":"${"x".repeat(MAX_KEY_POLICY_BYTES - base.length + 1)}"`);
    expect(errorOf(padded).message).toBe("The policy document is 32769 bytes; the maximum is 32768 bytes.");
    // Invalid JSON of that size reports the size, so a huge body is never parsed.
    expect(errorOf("{".repeat(MAX_KEY_POLICY_BYTES + 1)).message).toMatch(/maximum is 32768 bytes/);
  });

  it("counts the limit in UTF-8 bytes, not characters", () => {
    const base = keyDoc({ Sid: "", Effect: "Allow", Principal: { AWS: ROOT }, Action: "kms:*", Resource: "*" });
    // 16,400 two-byte characters are fewer than 32768 characters but more than 32768 bytes.
    const padded = base.replace('"Sid":""', `"Sid":"${"é".repeat(16400)}"`);
    expect(padded.length).toBeLessThan(MAX_KEY_POLICY_BYTES);
    expect(errorOf(padded).message).toMatch(/maximum is 32768 bytes/);
  });

  it("throws the KmsError from parsePolicy", () => {
    expect(() => parsePolicy("nope", "key")).toThrow(KmsError);
  });
});
