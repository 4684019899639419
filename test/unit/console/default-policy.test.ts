/**
 * The console's key policy (the guide's "Default Key Policy" and its Example Key Policy) and the
 * default view read back from it.
 */
import { describe, expect, it } from "vitest";
import { buildConsolePolicy, formatPolicy, readDefaultView } from "../../../worker/console/default-policy.ts";

const ACCOUNT = "111122223333";
const ADMIN_USER = `arn:aws:iam::${ACCOUNT}:user/KMSAdminUser`;
const ADMIN_ROLE = `arn:aws:iam::${ACCOUNT}:role/KMSAdminRole`;
const USER = `arn:aws:iam::${ACCOUNT}:user/KMSUser`;
const ROLE = `arn:aws:iam::${ACCOUNT}:role/KMSRole`;

describe("the console's default key policy", () => {
  it("is the guide's example key policy for the guide's example choices", () => {
    const policy = buildConsolePolicy({
      accountId: ACCOUNT,
      origin: "AWS_KMS",
      administrators: [ADMIN_USER, ADMIN_ROLE],
      allowAdministratorsToDelete: true,
      users: [USER, ROLE],
      externalAccounts: ["444455556666"],
    });
    const users = { AWS: [USER, ROLE, "arn:aws:iam::444455556666:root"] };
    expect(policy).toEqual({
      Version: "2012-10-17",
      Id: "key-consolepolicy-2",
      Statement: [
        {
          Sid: "Enable IAM User Permissions",
          Effect: "Allow",
          Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
          Action: "kms:*",
          Resource: "*",
        },
        {
          Sid: "Allow access for Key Administrators",
          Effect: "Allow",
          Principal: { AWS: [ADMIN_USER, ADMIN_ROLE] },
          Action: [
            "kms:Create*",
            "kms:Describe*",
            "kms:Enable*",
            "kms:List*",
            "kms:Put*",
            "kms:Update*",
            "kms:Revoke*",
            "kms:Disable*",
            "kms:Get*",
            "kms:Delete*",
            "kms:TagResource",
            "kms:UntagResource",
            "kms:ScheduleKeyDeletion",
            "kms:CancelKeyDeletion",
          ],
          Resource: "*",
        },
        {
          Sid: "Allow use of the key",
          Effect: "Allow",
          Principal: users,
          Action: ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
          Resource: "*",
        },
        {
          Sid: "Allow attachment of persistent resources",
          Effect: "Allow",
          Principal: users,
          Action: ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
          Resource: "*",
          Condition: { Bool: { "kms:GrantIsForAWSResource": "true" } },
        },
      ],
    });
  });

  it("gives administrators of an EXTERNAL key kms:ImportKeyMaterial and drops deletion when not allowed", () => {
    const policy = buildConsolePolicy({
      accountId: ACCOUNT,
      origin: "EXTERNAL",
      administrators: [ADMIN_USER],
      allowAdministratorsToDelete: false,
      users: [],
      externalAccounts: [],
    });
    const statements = policy.Statement as { Sid: string; Action: string[]; Principal: { AWS: unknown } }[];
    expect(statements.map((s) => s.Sid)).toEqual(["Enable IAM User Permissions", "Allow access for Key Administrators"]);
    expect(statements[1]!.Principal.AWS).toBe(ADMIN_USER);
    expect(statements[1]!.Action).toContain("kms:ImportKeyMaterial");
    expect(statements[1]!.Action).not.toContain("kms:ScheduleKeyDeletion");
    expect(statements[1]!.Action).not.toContain("kms:CancelKeyDeletion");
  });

  it("reads its own policies back into the default view", () => {
    for (const origin of ["AWS_KMS", "EXTERNAL"]) {
      for (const allow of [true, false]) {
        const view = {
          administrators: [ADMIN_ROLE],
          allowAdministratorsToDelete: allow,
          users: [USER],
          externalAccounts: ["444455556666"],
        };
        const text = formatPolicy(buildConsolePolicy({ ...view, accountId: ACCOUNT, origin }));
        expect(readDefaultView(text, ACCOUNT, origin)).toEqual(view);
      }
    }
  });

  it("shows the API's default policy (root only) in the default view with no administrators or users", () => {
    const apiDefault = JSON.stringify({
      Version: "2012-10-17",
      Id: "key-default-1",
      Statement: [
        {
          Sid: "Enable IAM User Permissions",
          Effect: "Allow",
          Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
          Action: "kms:*",
          Resource: "*",
        },
      ],
    });
    expect(readDefaultView(apiDefault, ACCOUNT, "AWS_KMS")).toEqual({
      administrators: [],
      allowAdministratorsToDelete: true,
      users: [],
      externalAccounts: [],
    });
  });

  it("offers no default view for a policy the default view would change", () => {
    const base = buildConsolePolicy({
      accountId: ACCOUNT,
      origin: "AWS_KMS",
      administrators: [ADMIN_USER],
      allowAdministratorsToDelete: true,
      users: [USER],
      externalAccounts: [],
    });
    const statements = base.Statement as Record<string, unknown>[];
    const variants: unknown[] = [
      {
        ...base,
        Statement: [...statements, { Sid: "Extra", Effect: "Allow", Principal: { AWS: USER }, Action: "kms:Sign", Resource: "*" }],
      },
      { ...base, Statement: statements.map((s) => (s.Sid === "Allow use of the key" ? { ...s, Action: ["kms:Encrypt"] } : s)) },
      { ...base, Statement: statements.map((s) => (s.Sid === "Allow access for Key Administrators" ? { ...s, Effect: "Deny" } : s)) },
      {
        ...base,
        Statement: statements.map((s) =>
          s.Sid === "Allow use of the key" ? { ...s, Condition: { Bool: { "aws:SecureTransport": "true" } } } : s,
        ),
      },
      { ...base, Statement: statements.filter((s) => s.Sid !== "Allow attachment of persistent resources") },
      { ...base, Statement: statements.filter((s) => s.Sid !== "Enable IAM User Permissions") },
      {
        ...base,
        Statement: statements.map((s) => (s.Sid === "Allow attachment of persistent resources" ? { ...s, Principal: { AWS: ROLE } } : s)),
      },
    ];
    for (const v of variants) expect(readDefaultView(JSON.stringify(v), ACCOUNT, "AWS_KMS")).toBeUndefined();
    expect(readDefaultView("not json", ACCOUNT, "AWS_KMS")).toBeUndefined();
    // An EXTERNAL key's administrator actions differ (kms:ImportKeyMaterial): not a match for AWS_KMS.
    const external = buildConsolePolicy({
      accountId: ACCOUNT,
      origin: "EXTERNAL",
      administrators: [ADMIN_USER],
      allowAdministratorsToDelete: true,
      users: [],
      externalAccounts: [],
    });
    expect(readDefaultView(JSON.stringify(external), ACCOUNT, "AWS_KMS")).toBeUndefined();
  });
});
