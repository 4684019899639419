/** The permissions reference (src/policy/actions.ts) against the guide's table. */
import { describe, expect, it } from "vitest";
import {
  GRANT_OPERATION_NAMES,
  grantOperationFor,
  IAM_ONLY_ACTIONS,
  IAM_ONLY_OPERATIONS,
  PERMISSIONS,
  requiredPermissions,
} from "../../../src/policy/actions.ts";
import { OPERATIONS } from "../../../src/protocol/operations.ts";

describe("permissions reference", () => {
  it("has a row for every TrentService operation", () => {
    expect(Object.keys(PERMISSIONS).sort()).toEqual([...OPERATIONS].sort());
  });

  it("checks ReEncryptFrom on the source key and ReEncryptTo on the destination", () => {
    expect(requiredPermissions("ReEncrypt")).toEqual([
      { action: "kms:ReEncryptFrom", resource: "sourceKey", policy: "key" },
      { action: "kms:ReEncryptTo", resource: "destinationKey", policy: "key" },
    ]);
  });

  it.each([
    [
      "CreateAlias",
      [
        ["kms:CreateAlias", "alias", "iam"],
        ["kms:CreateAlias", "targetKey", "key"],
      ],
    ],
    [
      "DeleteAlias",
      [
        ["kms:DeleteAlias", "alias", "iam"],
        ["kms:DeleteAlias", "aliasKey", "key"],
      ],
    ],
    [
      "UpdateAlias",
      [
        ["kms:UpdateAlias", "alias", "iam"],
        ["kms:UpdateAlias", "aliasKey", "key"],
        ["kms:UpdateAlias", "targetKey", "key"],
      ],
    ],
  ])("checks %s on the alias (IAM) and on every key", (op, expected) => {
    expect(requiredPermissions(op)!.map((c) => [c.action, c.resource, c.policy])).toEqual(expected);
  });

  it("lists the guide's IAM-only operations (plus the custom key store ones)", () => {
    for (const op of ["CreateKey", "GenerateRandom", "ListAliases", "ListKeys", "ListRetirableGrants"] as const)
      expect(IAM_ONLY_OPERATIONS.has(op), op).toBe(true);
    for (const op of ["Encrypt", "CreateAlias", "PutKeyPolicy", "RetireGrant"] as const)
      expect(IAM_ONLY_OPERATIONS.has(op), op).toBe(false);
    expect(IAM_ONLY_ACTIONS.has("kms:CreateKey")).toBe(true);
    expect(IAM_ONLY_ACTIONS.has("kms:TagResource")).toBe(false);
  });

  it("needs kms:TagResource for CreateKey only when tags are sent", () => {
    expect(requiredPermissions("CreateKey")).toContainEqual({ action: "kms:TagResource", resource: "*", policy: "iam", when: "tags" });
  });

  it.each([
    "Encrypt",
    "Decrypt",
    "GenerateDataKey",
    "GenerateDataKeyWithoutPlaintext",
    "DescribeKey",
    "PutKeyPolicy",
    "GetKeyPolicy",
    "CreateGrant",
    "RevokeGrant",
    "ListGrants",
    "ScheduleKeyDeletion",
    "CancelKeyDeletion",
    "EnableKey",
    "DisableKey",
    "TagResource",
  ])("checks kms:%s on the key, in the key policy", (op) => {
    expect(requiredPermissions(op)).toEqual([{ action: `kms:${op}`, resource: "key", policy: "key" }]);
  });

  it("has no policy check for RetireGrant, whose permission lives in the grant", () => {
    expect(requiredPermissions("RetireGrant")).toEqual([]);
  });

  it("knows nothing of an unknown operation", () => {
    expect(requiredPermissions("DeleteEverything")).toBeUndefined();
    expect(requiredPermissions("toString")).toBeUndefined();
  });

  it("maps actions to grant operation names", () => {
    expect(GRANT_OPERATION_NAMES.has("ReEncryptFrom")).toBe(true);
    expect(GRANT_OPERATION_NAMES.has("PutKeyPolicy")).toBe(false);
    expect(grantOperationFor("kms:ReEncryptTo")).toBe("ReEncryptTo");
    expect(grantOperationFor("kms:generatedatakey")).toBe("GenerateDataKey");
    expect(grantOperationFor("kms:ScheduleKeyDeletion")).toBeUndefined();
    expect(grantOperationFor("s3:Decrypt")).toBeUndefined();
  });
});
