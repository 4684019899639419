/** The request-context builder (src/policy/context.ts): every condition key it fills. */
import { describe, expect, it } from "vitest";
import { buildContext, contextValue, withAction } from "../../../src/policy/context.ts";
import { ALICE, DEPLOYER, EXTERNAL, KEY1, ROOT } from "./support.ts";

const now = new Date("2024-06-01T12:00:00.789Z");

describe("buildContext", () => {
  it.each([
    [
      "an account root",
      ROOT,
      {
        "aws:PrincipalArn": "arn:aws:iam::111122223333:root",
        "aws:PrincipalAccount": "111122223333",
        "aws:PrincipalType": "Account",
        "aws:userid": "111122223333",
        "aws:username": undefined,
      },
    ],
    [
      "an IAM user",
      ALICE,
      {
        "aws:PrincipalArn": "arn:aws:iam::111122223333:user/alice",
        "aws:PrincipalAccount": "111122223333",
        "aws:PrincipalType": "User",
        "aws:userid": ALICE.principalId,
        "aws:username": "alice",
      },
    ],
    [
      "an assumed-role session",
      DEPLOYER,
      {
        "aws:PrincipalArn": "arn:aws:iam::111122223333:role/deployer",
        "aws:PrincipalAccount": "111122223333",
        "aws:PrincipalType": "AssumedRole",
        "aws:userid": "AROAEXAMPLEEXAMPLE01:ci",
        "aws:username": undefined,
      },
    ],
    [
      "another account's root",
      EXTERNAL,
      {
        "aws:PrincipalArn": "arn:aws:iam::444455556666:root",
        "aws:PrincipalAccount": "444455556666",
        "aws:PrincipalType": "Account",
        "aws:userid": "444455556666",
      },
    ],
  ])("describes %s with the global principal keys", (_what, principal, expected) => {
    const c = buildContext({ principal, action: "kms:Encrypt", resource: KEY1, now });
    for (const [k, v] of Object.entries(expected)) expect(contextValue(c, k), k).toBe(v);
    expect(contextValue(c, "kms:CallerAccount")).toBe(principal.accountId);
  });

  it("fills the time, transport and source keys", () => {
    const c = buildContext({
      principal: ALICE,
      action: "kms:Encrypt",
      now,
      sourceIp: "203.0.113.9",
      secureTransport: true,
      viaService: "ec2.us-east-1.amazonaws.com",
    });
    expect(contextValue(c, "aws:CurrentTime")).toBe("2024-06-01T12:00:00Z");
    expect(contextValue(c, "aws:EpochTime")).toBe("1717243200");
    expect(contextValue(c, "aws:SourceIp")).toBe("203.0.113.9");
    expect(contextValue(c, "aws:SecureTransport")).toBe("true");
    expect(contextValue(c, "kms:ViaService")).toBe("ec2.us-east-1.amazonaws.com");
    expect(c.resource).toBe("*");
  });

  it("leaves absent facts absent", () => {
    const c = buildContext({ principal: ALICE, action: "kms:Encrypt", resource: KEY1, now });
    for (const k of [
      "aws:SourceIp",
      "aws:SecureTransport",
      "kms:ViaService",
      "kms:EncryptionContextKeys",
      "kms:GrantOperations",
      "kms:GrantConstraintType",
      "kms:GrantIsForAWSResource",
      "kms:ReEncryptOnSameKey",
      "kms:BypassPolicyLockoutSafetyCheck",
      "aws:TagKeys",
    ]) {
      expect(contextValue(c, k), k).toBeUndefined();
    }
  });

  it("fills kms:EncryptionContext:<key> and the multi-valued kms:EncryptionContextKeys", () => {
    const c = buildContext({
      principal: ALICE,
      action: "kms:Decrypt",
      resource: KEY1,
      now,
      encryptionContext: { AppName: "ExampleApp", FilePath: "/var/opt/secrets/" },
    });
    expect(contextValue(c, "kms:EncryptionContext:AppName")).toBe("ExampleApp");
    expect(contextValue(c, "kms:EncryptionContext:FilePath")).toBe("/var/opt/secrets/");
    expect(contextValue(c, "kms:EncryptionContextKeys")).toEqual(["AppName", "FilePath"]);
    expect(c.encryptionContext).toEqual({ AppName: "ExampleApp", FilePath: "/var/opt/secrets/" });
  });

  it("matches the key part of kms:EncryptionContext:<key> without regard to case, but keeps value case", () => {
    const c = buildContext({ principal: ALICE, action: "kms:Decrypt", resource: KEY1, now, encryptionContext: { AppName: "ExampleApp" } });
    expect(contextValue(c, "KMS:ENCRYPTIONCONTEXT:appname")).toBe("ExampleApp");
    expect(contextValue(c, "kms:EncryptionContextKeys")).toEqual(["AppName"]);
  });

  it("does not set kms:EncryptionContextKeys for an empty encryption context", () => {
    const c = buildContext({ principal: ALICE, action: "kms:Encrypt", resource: KEY1, now, encryptionContext: {} });
    expect(contextValue(c, "kms:EncryptionContextKeys")).toBeUndefined();
  });

  it("fills the CreateGrant keys", () => {
    const c = buildContext({
      principal: ALICE,
      action: "kms:CreateGrant",
      resource: KEY1,
      now,
      grantOperations: ["Encrypt", "ReEncryptTo"],
      grantConstraintType: "EncryptionContextEquals",
      grantIsForAWSResource: false,
    });
    expect(contextValue(c, "kms:GrantOperations")).toEqual(["Encrypt", "ReEncryptTo"]);
    expect(contextValue(c, "kms:GrantConstraintType")).toBe("EncryptionContextEquals");
    expect(contextValue(c, "kms:GrantIsForAWSResource")).toBe("false");
  });

  it("fills kms:ReEncryptOnSameKey", () => {
    const c = buildContext({ principal: ALICE, action: "kms:ReEncryptFrom", resource: KEY1, now, reEncryptOnSameKey: true });
    expect(contextValue(c, "kms:ReEncryptOnSameKey")).toBe("true");
  });

  it("sets kms:BypassPolicyLockoutSafetyCheck to false for CreateKey when the parameter is omitted", () => {
    expect(contextValue(buildContext({ principal: ALICE, action: "kms:CreateKey", now }), "kms:BypassPolicyLockoutSafetyCheck")).toBe(
      "false",
    );
    expect(
      contextValue(
        buildContext({ principal: ALICE, action: "kms:PutKeyPolicy", resource: KEY1, now, bypassPolicyLockoutSafetyCheck: true }),
        "kms:BypassPolicyLockoutSafetyCheck",
      ),
    ).toBe("true");
  });

  it("omits kms:CallerAccount and kms:ViaService for IAM-only operations and RetireGrant", () => {
    for (const action of [
      "kms:CreateKey",
      "kms:ListKeys",
      "kms:ListAliases",
      "kms:GenerateRandom",
      "kms:ListRetirableGrants",
      "kms:RetireGrant",
    ]) {
      const c = buildContext({ principal: ALICE, action, now, viaService: "ec2.us-east-1.amazonaws.com" });
      expect(contextValue(c, "kms:CallerAccount"), action).toBeUndefined();
      expect(contextValue(c, "kms:ViaService"), action).toBeUndefined();
    }
  });

  it("fills the tag keys", () => {
    const c = buildContext({
      principal: ALICE,
      action: "kms:TagResource",
      resource: KEY1,
      now,
      resourceTags: { Project: "alpha" },
      requestTags: { Owner: "alice", Stage: "dev" },
    });
    expect(contextValue(c, "aws:ResourceTag/Project")).toBe("alpha");
    expect(contextValue(c, "aws:ResourceTag/project")).toBe("alpha");
    expect(contextValue(c, "aws:RequestTag/Owner")).toBe("alice");
    expect(contextValue(c, "aws:TagKeys")).toEqual(["Owner", "Stage"]);
    const untag = buildContext({ principal: ALICE, action: "kms:UntagResource", resource: KEY1, now, tagKeys: ["Stage"] });
    expect(contextValue(untag, "aws:TagKeys")).toEqual(["Stage"]);
  });

  it("passes extra keys through", () => {
    const c = buildContext({ principal: ALICE, action: "kms:Encrypt", now, extra: { "kms:KeySpec": "SYMMETRIC_DEFAULT" } });
    expect(contextValue(c, "kms:keyspec")).toBe("SYMMETRIC_DEFAULT");
  });

  it("withAction changes only the action and resource", () => {
    const c = buildContext({ principal: ALICE, action: "kms:ReEncryptFrom", resource: KEY1, now, sourceIp: "10.0.0.1" });
    const to = withAction(c, "kms:ReEncryptTo", "arn:aws:kms:us-east-1:111122223333:key/other");
    expect(to.action).toBe("kms:ReEncryptTo");
    expect(to.resource).toBe("arn:aws:kms:us-east-1:111122223333:key/other");
    expect(contextValue(to, "aws:SourceIp")).toBe("10.0.0.1");
  });
});
