import { describe, expect, it } from "vitest";
import { IdentityConfigError, loadIdentities } from "../../../src/auth/identities.ts";

describe("loadIdentities: the local default", () => {
  const ids = loadIdentities(undefined);

  it("serves us-east-1", () => {
    expect(ids.region).toBe("us-east-1");
    expect(loadIdentities("").region).toBe("us-east-1");
  });

  it.each([
    ["test", "test", "Root", "arn:aws:iam::111122223333:root", "111122223333", 0],
    ["alice", "alice", "IAMUser", "arn:aws:iam::111122223333:user/alice", "111122223333", 0],
    ["bob", "bob", "IAMUser", "arn:aws:iam::111122223333:user/bob", "111122223333", 1],
    ["charlie", "charlie", "IAMUser", "arn:aws:iam::111122223333:user/charlie", "111122223333", 1],
    ["external", "external", "Root", "arn:aws:iam::444455556666:root", "444455556666", 0],
  ])("has access key %s", (key, secret, type, arn, account, policyCount) => {
    const c = ids.credential(key)!;
    expect(c.secretAccessKey).toBe(secret);
    expect(c.principal.type).toBe(type);
    expect(c.principal.arn).toBe(arn);
    expect(c.principal.accountId).toBe(account);
    expect(c.principal.policies).toHaveLength(policyCount);
  });

  it("gives bob a policy allowing kms:* and charlie one denying it", () => {
    expect(ids.credential("bob")!.principal.policies[0]).toEqual({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "kms:*", Resource: "*" }],
    });
    expect((ids.credential("charlie")!.principal.policies[0]!.Statement as { Effect: string }[])[0]!.Effect).toBe("Deny");
  });

  it("gives IAM users stable AIDA principal IDs and root its account ID", () => {
    const alice = ids.credential("alice")!.principal.principalId;
    expect(alice).toMatch(/^AIDA[A-Z2-7]{17}$/);
    expect(loadIdentities(undefined).credential("alice")!.principal.principalId).toBe(alice);
    expect(ids.credential("bob")!.principal.principalId).not.toBe(alice);
    expect(ids.credential("test")!.principal.principalId).toBe("111122223333");
  });

  it("groups principals by account", () => {
    expect(ids.accounts.map((a) => [a.accountId, a.principals.length])).toEqual([
      ["111122223333", 4],
      ["444455556666", 1],
    ]);
  });

  it("knows nothing of other keys", () => {
    expect(ids.credential("mallory")).toBeUndefined();
    expect(ids.credential("__proto__")).toBeUndefined();
  });
});

describe("loadIdentities: a configuration", () => {
  it("reads users, roles and temporary credentials", () => {
    const ids = loadIdentities(
      JSON.stringify({
        region: "eu-west-1",
        credentials: [
          {
            accessKeyId: "AKIA1",
            secretAccessKey: "s1",
            principal: { type: "IAMUser", accountId: "123456789012", userName: "dev", principalId: "AIDAEXAMPLE" },
          },
          { accessKeyId: "AKIA2", secretAccessKey: "s2", principal: { type: "IAMUser", accountId: "123456789012", userName: "dev" } },
          {
            accessKeyId: "ASIA1",
            secretAccessKey: "s3",
            sessionToken: "tok",
            principal: { type: "AssumedRole", accountId: "123456789012", roleName: "app", sessionName: "job-1" },
          },
        ],
      }),
    );
    expect(ids.region).toBe("eu-west-1");
    expect(ids.credential("AKIA1")!.principal.principalId).toBe("AIDAEXAMPLE");
    // Two keys of one user share the principal.
    expect(ids.credential("AKIA2")!.principal).toBe(ids.credential("AKIA1")!.principal);
    const role = ids.credential("ASIA1")!;
    expect(role.sessionToken).toBe("tok");
    expect(role.principal.arn).toBe("arn:aws:sts::123456789012:assumed-role/app/job-1");
    expect(role.principal.roleArn).toBe("arn:aws:iam::123456789012:role/app");
    expect(role.principal.principalId).toMatch(/^AROA[A-Z2-7]{17}:job-1$/);
  });

  const user = (over: Record<string, unknown> = {}) => ({
    accessKeyId: "AKIA1",
    secretAccessKey: "very-secret-value",
    principal: { type: "IAMUser", accountId: "123456789012", userName: "dev" },
    ...over,
  });

  it.each<[string, string]>([
    ["{", "EDGEKMS_IDENTITIES: is not valid JSON"],
    ["[]", "EDGEKMS_IDENTITIES: must be a JSON object"],
    ["{}", "EDGEKMS_IDENTITIES: credentials must be a non-empty array"],
    [JSON.stringify({ region: "moon", credentials: [user()] }), "EDGEKMS_IDENTITIES: .region must be an AWS region name such as us-east-1"],
    [
      JSON.stringify({ credentials: [user({ accessKeyId: "" })] }),
      "EDGEKMS_IDENTITIES: credentials[0].accessKeyId must be a non-empty string",
    ],
    [
      JSON.stringify({ credentials: [user({ secretAccessKey: 5 })] }),
      "EDGEKMS_IDENTITIES: credentials[0].secretAccessKey must be a non-empty string",
    ],
    [JSON.stringify({ credentials: [user(), user()] }), "EDGEKMS_IDENTITIES: credentials[1].accessKeyId duplicates an earlier access key"],
    [
      JSON.stringify({ credentials: [user({ principal: { type: "IAMUser", accountId: "12", userName: "dev" } })] }),
      "EDGEKMS_IDENTITIES: credentials[0].principal.accountId must be a 12-digit account ID",
    ],
    [
      JSON.stringify({ credentials: [user({ principal: { type: "Admin", accountId: "123456789012" } })] }),
      'EDGEKMS_IDENTITIES: credentials[0].principal.type must be "Root", "IAMUser" or "AssumedRole"',
    ],
    [
      JSON.stringify({ credentials: [user({ principal: { type: "IAMUser", accountId: "123456789012", userName: "a b" } })] }),
      "EDGEKMS_IDENTITIES: credentials[0].principal.userName must be 1-64 characters of letters, digits and +=,.@_-",
    ],
    [
      JSON.stringify({
        credentials: [user({ principal: { type: "AssumedRole", accountId: "123456789012", roleName: "r", sessionName: "ss" } })],
      }),
      "EDGEKMS_IDENTITIES: credentials[0].sessionToken is required for an AssumedRole principal",
    ],
    [
      JSON.stringify({
        credentials: [
          user({ principal: { type: "IAMUser", accountId: "123456789012", userName: "dev", policies: [{ Version: "2012-10-17" }] } }),
        ],
      }),
      "EDGEKMS_IDENTITIES: credentials[0].principal.policies[0].Statement must be a statement object or an array of them",
    ],
    [
      JSON.stringify({ credentials: [user({ principal: { type: "Root", accountId: "123456789012", policies: [{ Statement: [] }] } })] }),
      "EDGEKMS_IDENTITIES: credentials[0].principal.policies cannot be attached to an account root",
    ],
  ])("rejects %s clearly, without revealing secrets", (config, message) => {
    let err: unknown;
    try {
      loadIdentities(config);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(IdentityConfigError);
    expect((err as Error).message).toBe(message);
    expect((err as Error).message).not.toContain("very-secret-value");
  });
});
