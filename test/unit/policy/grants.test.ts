/** Per-grant matching (src/policy/grants.ts): grantee, operations and constraints. */
import { describe, expect, it } from "vitest";
import { constraintsSatisfied, grantAllows, grantMatch, type GrantRule } from "../../../src/policy/grants.ts";
import { ALICE, BOB, ctx, DEPLOYER, EXTERNAL, ROOT } from "./support.ts";

const aliceDecrypt: GrantRule = {
  grantId: "g",
  granteePrincipal: "arn:aws:iam::111122223333:user/alice",
  operations: ["Decrypt", "Encrypt", "RetireGrant"],
};

describe("grantMatch: grantee and operation", () => {
  it.each([
    ["allows the grantee an operation the grant lists", aliceDecrypt, ALICE, "kms:Decrypt", "principal"],
    ["matches the action name without regard to case", aliceDecrypt, ALICE, "kms:decrypt", "principal"],
    ["refuses an operation the grant does not list", aliceDecrypt, ALICE, "kms:GenerateDataKey", undefined],
    ["refuses another principal", aliceDecrypt, BOB, "kms:Decrypt", undefined],
    [
      "refuses an action that is not a grant operation",
      { ...aliceDecrypt, operations: ["Decrypt", "PutKeyPolicy"] },
      ALICE,
      "kms:PutKeyPolicy",
      undefined,
    ],
    ["lets the grantee retire when the grant includes RetireGrant", aliceDecrypt, ALICE, "kms:RetireGrant", "principal"],
    [
      "allows a role's sessions when the grantee is the role",
      { ...aliceDecrypt, granteePrincipal: "arn:aws:iam::111122223333:role/deployer" },
      DEPLOYER,
      "kms:Decrypt",
      "principal",
    ],
    [
      "allows one session when the grantee is that session",
      { ...aliceDecrypt, granteePrincipal: DEPLOYER.arn },
      DEPLOYER,
      "kms:Decrypt",
      "principal",
    ],
    [
      "allows an account's root when the grantee is the account",
      { ...aliceDecrypt, granteePrincipal: "arn:aws:iam::444455556666:root" },
      EXTERNAL,
      "kms:Decrypt",
      "principal",
    ],
    [
      "reaches an account's users only via the account",
      { ...aliceDecrypt, granteePrincipal: "arn:aws:iam::111122223333:root" },
      BOB,
      "kms:Decrypt",
      "account",
    ],
    [
      "never matches a service grantee for an IAM identity",
      { ...aliceDecrypt, granteePrincipal: "ec2.amazonaws.com" },
      ROOT,
      "kms:Decrypt",
      undefined,
    ],
  ] as const)("%s", (_name, grant, who, action, expected) => {
    expect(grantMatch(grant, ctx(who, action))).toBe(expected);
    expect(grantAllows(grant, ctx(who, action))).toBe(expected === "principal");
  });
});

describe("grant constraints", () => {
  const subset = { encryptionContextSubset: { Department: "Finance", Classification: "Public" } };
  const equals = { encryptionContextEquals: { Department: "Finance" } };

  it.each<[string, object, string, Record<string, string> | undefined, boolean]>([
    [
      "EncryptionContextSubset allows the exact pairs (the guide's example)",
      subset,
      "Decrypt",
      { Department: "Finance", Classification: "Public" },
      true,
    ],
    [
      "EncryptionContextSubset allows extra pairs",
      subset,
      "Encrypt",
      { Department: "Finance", Classification: "Public", Customer: "12345" },
      true,
    ],
    ["EncryptionContextSubset refuses a missing pair", subset, "Decrypt", { Department: "Finance" }, false],
    ["EncryptionContextSubset refuses a different value", subset, "Decrypt", { Department: "Finance", Classification: "public" }, false],
    [
      "EncryptionContextSubset compares keys without regard to case",
      subset,
      "Decrypt",
      { department: "Finance", CLASSIFICATION: "Public" },
      true,
    ],
    ["EncryptionContextSubset refuses a request without context", subset, "Decrypt", undefined, false],
    ["EncryptionContextEquals allows the exact context", equals, "ReEncryptFrom", { Department: "Finance" }, true],
    ["EncryptionContextEquals refuses extra pairs", equals, "Decrypt", { Department: "Finance", Customer: "1" }, false],
    ["EncryptionContextEquals refuses a different value", equals, "GenerateDataKey", { Department: "HR" }, false],
    ["EncryptionContextEquals compares keys without regard to case", equals, "Decrypt", { DEPARTMENT: "Finance" }, true],
    ["an empty EncryptionContextEquals requires an empty context", { encryptionContextEquals: {} }, "Decrypt", {}, true],
    ["an empty EncryptionContextEquals refuses a context", { encryptionContextEquals: {} }, "Decrypt", { a: "b" }, false],
    ["constraints are not applied to DescribeKey", equals, "DescribeKey", undefined, true],
    ["constraints are not applied to RetireGrant", subset, "RetireGrant", undefined, true],
    ["no constraints allow any context", {}, "Decrypt", { anything: "goes" }, true],
  ])("%s", (_name, constraints, operation, context, expected) => {
    expect(constraintsSatisfied(constraints, operation, context)).toBe(expected);
  });

  it("applies constraints through grantMatch", () => {
    const grant: GrantRule = { ...aliceDecrypt, operations: ["Decrypt", "DescribeKey"], constraints: subset };
    expect(
      grantMatch(grant, ctx(ALICE, "kms:Decrypt", undefined, { encryptionContext: { Department: "Finance", Classification: "Public" } })),
    ).toBe("principal");
    expect(grantMatch(grant, ctx(ALICE, "kms:Decrypt", undefined, { encryptionContext: { Department: "Finance" } }))).toBeUndefined();
    expect(grantMatch(grant, ctx(ALICE, "kms:DescribeKey"))).toBe("principal");
  });
});
