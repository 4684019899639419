/**
 * The combined decision (src/policy/authorize.ts): the guide's alice/bob/charlie example,
 * cross-account access, IAM-only operations, grants, AWS's AccessDenied wording, the lockout
 * check, and every condition key used in a key policy.
 */
import { describe, expect, it } from "vitest";
import type { Principal } from "../../../src/auth/identities.ts";
import { accessDeniedError, authorize, authorizeIamOnly, lockoutError, wouldLockOut } from "../../../src/policy/authorize.ts";
import type { RequestFacts } from "../../../src/policy/context.ts";
import { parsePolicy, type Policy } from "../../../src/policy/document.ts";
import {
  ALICE,
  allow,
  BOB,
  CHARLIE,
  ctx,
  deny,
  DEPLOYER,
  EXTERNAL,
  iamPolicies,
  iamPolicy,
  KEY1,
  KEY2,
  keyPolicy,
  ROOT,
} from "./support.ts";

const ACCOUNT_ROOT = "arn:aws:iam::111122223333:root";
const EXTERNAL_ROOT = "arn:aws:iam::444455556666:root";

function decide(
  who: Principal,
  action: string,
  policy: Policy,
  resource = KEY1,
  identity: Policy[] = iamPolicies(who),
  facts: Partial<RequestFacts> = {},
) {
  return authorize({ context: ctx(who, action, resource, facts), keyPolicy: policy, identityPolicies: identity });
}

describe("the guide's example (Understanding Policy Evaluation), verbatim", () => {
  // CMK1's key policy allows the account (root) and so enables IAM policies; CMK2's allows Alice and Charlie.
  const CMK1 = parsePolicy(
    JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        { Sid: "Enable IAM User Permissions", Effect: "Allow", Principal: { AWS: ACCOUNT_ROOT }, Action: "kms:*", Resource: "*" },
      ],
    }),
    "key",
  );
  const CMK2 = parsePolicy(
    JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "Allow Alice and Charlie",
          Effect: "Allow",
          Principal: { AWS: ["arn:aws:iam::111122223333:user/alice", "arn:aws:iam::111122223333:user/charlie"] },
          Action: "kms:*",
          Resource: "*",
        },
      ],
    }),
    "key",
  );

  it.each<[string, Principal, Policy, string, boolean, string]>([
    [
      "Alice cannot access CMK1: no key policy statement names her and she has no IAM policy",
      ALICE,
      CMK1,
      KEY1,
      false,
      "no-identity-policy",
    ],
    ["Alice can access CMK2 because its key policy explicitly allows her", ALICE, CMK2, KEY2, true, "key-policy"],
    ["Bob can access CMK1 because its key policy enables IAM policies and his allows it", BOB, CMK1, KEY1, true, "iam-policy"],
    [
      "Bob cannot access CMK2: its key policy does not allow the account, so his IAM policy alone does not",
      BOB,
      CMK2,
      KEY2,
      false,
      "no-resource-policy",
    ],
    ["Charlie cannot access CMK1: his IAM policy denies all KMS actions", CHARLIE, CMK1, KEY1, false, "explicit-deny"],
    [
      "Charlie cannot access CMK2: the explicit deny in his IAM policy overrides the key policy's allow",
      CHARLIE,
      CMK2,
      KEY2,
      false,
      "explicit-deny",
    ],
  ])("%s", (_name, who, policy, key, allowed, reason) => {
    for (const action of ["kms:Encrypt", "kms:Decrypt", "kms:DescribeKey", "kms:PutKeyPolicy"]) {
      const r = decide(who, action, policy, key);
      expect(r.allowed, action).toBe(allowed);
      expect(r.reason, action).toBe(reason);
    }
  });

  it("the account root reaches CMK1 (named in its key policy) but not CMK2", () => {
    expect(decide(ROOT, "kms:Encrypt", CMK1)).toMatchObject({ allowed: true, reason: "key-policy" });
    expect(decide(ROOT, "kms:Encrypt", CMK2, KEY2)).toMatchObject({ allowed: false, reason: "no-resource-policy" });
  });

  it("reports the deciding statement", () => {
    expect(decide(ALICE, "kms:Encrypt", CMK2, KEY2).deciding).toEqual({
      source: "key-policy",
      statement: { index: 0, sid: "Allow Alice and Charlie" },
    });
    expect(decide(BOB, "kms:Encrypt", CMK1).deciding).toEqual({ source: "iam-policy", statement: { index: 0 }, policyIndex: 0 });
    expect(decide(CHARLIE, "kms:Encrypt", CMK2, KEY2).deciding).toEqual({ source: "iam-policy", statement: { index: 0 }, policyIndex: 0 });
  });
});

describe("cross-account access", () => {
  const kmsUser = iamPolicy({ Effect: "Allow", Action: ["kms:Encrypt", "kms:Decrypt"], Resource: KEY1 });
  const extUser: Principal = {
    ...ALICE,
    accountId: "444455556666",
    arn: "arn:aws:iam::444455556666:user/ext",
    userName: "ext",
    principalId: "AIDAEXTERNALEXAMPLE1",
  };

  it("lets another account's root in when the key policy allows that account", () => {
    expect(decide(EXTERNAL, "kms:Encrypt", keyPolicy(allow(ACCOUNT_ROOT), allow(EXTERNAL_ROOT, ["kms:Encrypt"])))).toMatchObject({
      allowed: true,
      reason: "root",
    });
  });

  it("keeps another account's root out when the key policy does not name it", () => {
    const r = decide(EXTERNAL, "kms:Encrypt", keyPolicy(allow(ACCOUNT_ROOT)));
    expect(r).toMatchObject({ allowed: false, reason: "no-resource-policy" });
    expect(accessDeniedError(r, ctx(EXTERNAL, "kms:Encrypt")).message).toBe(
      `User: ${EXTERNAL_ROOT} is not authorized to perform: kms:Encrypt on resource: ${KEY1} because no resource-based policy allows the kms:Encrypt action`,
    );
  });

  it("needs both the key policy and the external user's IAM policy", () => {
    const kp = keyPolicy(allow(ACCOUNT_ROOT), allow(EXTERNAL_ROOT, ["kms:Encrypt", "kms:Decrypt"]));
    expect(decide(extUser, "kms:Encrypt", kp, KEY1, [kmsUser])).toMatchObject({ allowed: true, reason: "iam-policy" });
    expect(decide(extUser, "kms:Encrypt", kp, KEY1, [])).toMatchObject({ allowed: false, reason: "no-identity-policy" });
    expect(decide(extUser, "kms:Encrypt", keyPolicy(allow(ACCOUNT_ROOT)), KEY1, [kmsUser])).toMatchObject({
      allowed: false,
      reason: "no-resource-policy",
    });
  });

  it("needs the external user's IAM policy even when the key policy names the user", () => {
    const kp = keyPolicy(allow(extUser.arn, "kms:Encrypt"));
    expect(decide(extUser, "kms:Encrypt", kp, KEY1, [])).toMatchObject({ allowed: false, reason: "no-identity-policy" });
    expect(decide(extUser, "kms:Encrypt", kp, KEY1, [kmsUser])).toMatchObject({ allowed: true });
  });

  it("does not let the key's account root vouch for an external user", () => {
    expect(decide(extUser, "kms:Encrypt", keyPolicy(allow(ACCOUNT_ROOT)), KEY1, [kmsUser]).allowed).toBe(false);
  });
});

describe("explicit deny precedence", () => {
  it("a Deny in the key policy beats an Allow in the key policy and in IAM", () => {
    const kp = keyPolicy(allow(ACCOUNT_ROOT), deny("arn:aws:iam::111122223333:user/bob", "kms:Decrypt"));
    const r = decide(BOB, "kms:Decrypt", kp);
    expect(r).toMatchObject({ allowed: false, reason: "explicit-deny", deciding: { source: "key-policy", statement: { index: 1 } } });
    expect(accessDeniedError(r, ctx(BOB, "kms:Decrypt")).message).toBe(
      `User: arn:aws:iam::111122223333:user/bob is not authorized to perform: kms:Decrypt on resource: ${KEY1} with an explicit deny in a resource-based policy`,
    );
    expect(decide(BOB, "kms:Encrypt", kp).allowed).toBe(true);
  });

  it("a Deny in an IAM policy beats a key policy that names the user", () => {
    const r = decide(CHARLIE, "kms:Encrypt", keyPolicy(allow("arn:aws:iam::111122223333:user/charlie")));
    expect(accessDeniedError(r, ctx(CHARLIE, "kms:Encrypt")).message).toBe(
      `User: arn:aws:iam::111122223333:user/charlie is not authorized to perform: kms:Encrypt on resource: ${KEY1} with an explicit deny in an identity-based policy`,
    );
  });

  it("a Deny beats a grant", () => {
    const r = authorize({
      context: ctx(CHARLIE, "kms:Decrypt"),
      keyPolicy: keyPolicy(allow(ACCOUNT_ROOT)),
      identityPolicies: iamPolicies(CHARLIE),
      grants: [{ grantId: "g1", via: "principal" }],
    });
    expect(r).toMatchObject({ allowed: false, reason: "explicit-deny" });
    const kpDeny = authorize({
      context: ctx(ALICE, "kms:Decrypt"),
      keyPolicy: keyPolicy(deny("*", "kms:Decrypt")),
      identityPolicies: [],
      grants: [{ grantId: "g1", via: "principal" }],
    });
    expect(kpDeny).toMatchObject({ allowed: false, reason: "explicit-deny", deciding: { source: "key-policy" } });
  });

  it("AccessDeniedException carries AWS's wording for a missing identity-based allow", () => {
    const r = decide(ALICE, "kms:Encrypt", keyPolicy(allow(ACCOUNT_ROOT)));
    const err = accessDeniedError(r, ctx(ALICE, "kms:Encrypt"));
    expect(err.type).toBe("AccessDeniedException");
    expect(err.message).toBe(
      `User: arn:aws:iam::111122223333:user/alice is not authorized to perform: kms:Encrypt on resource: ${KEY1} because no identity-based policy allows the kms:Encrypt action`,
    );
  });

  it("names a role session by its session ARN in the message", () => {
    const r = decide(DEPLOYER, "kms:Decrypt", keyPolicy(allow(ACCOUNT_ROOT)), KEY1, []);
    expect(accessDeniedError(r, ctx(DEPLOYER, "kms:Decrypt")).message).toMatch(
      /^User: arn:aws:sts::111122223333:assumed-role\/deployer\/ci is not authorized/,
    );
  });
});

describe("grants", () => {
  const closed = keyPolicy(allow("arn:aws:iam::111122223333:user/bob", "kms:DescribeKey"));

  it("a grant naming the caller opens a key its policies do not", () => {
    const r = authorize({
      context: ctx(ALICE, "kms:Decrypt"),
      keyPolicy: closed,
      identityPolicies: [],
      grants: [{ grantId: "g1", via: "principal" }],
    });
    expect(r).toEqual({ allowed: true, reason: "grant", deciding: { source: "grant", grantId: "g1" } });
  });

  it("a grant to the caller's account needs an IAM policy too", () => {
    const grants = [{ grantId: "g2", via: "account" as const }];
    expect(authorize({ context: ctx(ALICE, "kms:Decrypt"), keyPolicy: closed, identityPolicies: [], grants }).allowed).toBe(false);
    expect(authorize({ context: ctx(BOB, "kms:Decrypt"), keyPolicy: closed, identityPolicies: iamPolicies(BOB), grants }).allowed).toBe(
      true,
    );
  });

  it("without grants the same request is refused", () => {
    expect(authorize({ context: ctx(ALICE, "kms:Decrypt"), keyPolicy: closed, identityPolicies: [] }).allowed).toBe(false);
  });
});

describe("IAM-only operations", () => {
  it.each<[string, Principal, Policy[], boolean, string]>([
    ["the root user may create keys without any policy", ROOT, [], true, "root"],
    ["another account's root user may create keys in its account", EXTERNAL, [], true, "root"],
    ["alice, without an IAM policy, may not", ALICE, [], false, "no-identity-policy"],
    ["bob, whose IAM policy allows kms:*, may", BOB, iamPolicies(BOB), true, "iam-policy"],
    ["charlie, whose IAM policy denies kms:*, may not", CHARLIE, iamPolicies(CHARLIE), false, "explicit-deny"],
    [
      "a policy allowing only key ARNs does not cover CreateKey",
      BOB,
      [iamPolicy({ Effect: "Allow", Action: "kms:*", Resource: "arn:aws:kms:*:111122223333:key/*" })],
      false,
      "no-identity-policy",
    ],
  ])("%s", (_name, who, identity, allowed, reason) => {
    const r = authorizeIamOnly(ctx(who, "kms:CreateKey", "*"), identity);
    expect(r.allowed).toBe(allowed);
    expect(r.reason).toBe(reason);
  });

  it("denies the BypassPolicyLockoutSafetyCheck as the guide's example IAM policy says", () => {
    const policies = [
      iamPolicy({ Effect: "Allow", Action: "kms:CreateKey", Resource: "*" }),
      iamPolicy({
        Effect: "Deny",
        Action: "kms:CreateKey",
        Resource: "*",
        Condition: { Bool: { "kms:BypassPolicyLockoutSafetyCheck": true } },
      }),
    ];
    expect(authorizeIamOnly(ctx(BOB, "kms:CreateKey", "*", { bypassPolicyLockoutSafetyCheck: true }), policies).allowed).toBe(false);
    expect(authorizeIamOnly(ctx(BOB, "kms:CreateKey", "*"), policies).allowed).toBe(true);
  });

  it("decides the alias half of CreateAlias on the alias ARN", () => {
    const alias = "arn:aws:kms:us-east-1:111122223333:alias/app";
    const policies = [iamPolicy({ Effect: "Allow", Action: "kms:CreateAlias", Resource: "arn:aws:kms:us-east-1:111122223333:alias/app*" })];
    expect(authorizeIamOnly(ctx(ALICE, "kms:CreateAlias", alias), policies).allowed).toBe(true);
    const r = authorizeIamOnly(ctx(ALICE, "kms:CreateAlias", "arn:aws:kms:us-east-1:111122223333:alias/other"), policies);
    expect(accessDeniedError(r, ctx(ALICE, "kms:CreateAlias", "arn:aws:kms:us-east-1:111122223333:alias/other")).message).toBe(
      "User: arn:aws:iam::111122223333:user/alice is not authorized to perform: kms:CreateAlias on resource: arn:aws:kms:us-east-1:111122223333:alias/other because no identity-based policy allows the kms:CreateAlias action",
    );
  });
});

describe("the policy lockout safety check", () => {
  it.each<[string, Principal, Policy, boolean]>([
    ["a policy without the caller locks the caller out", ALICE, keyPolicy(allow("arn:aws:iam::111122223333:user/bob")), true],
    ["a policy naming the caller does not", ALICE, keyPolicy(allow("arn:aws:iam::111122223333:user/alice", "kms:PutKeyPolicy")), false],
    [
      "a policy allowing the caller only other actions does",
      ALICE,
      keyPolicy(allow("arn:aws:iam::111122223333:user/alice", ["kms:Encrypt", "kms:Get*"])),
      true,
    ],
    [
      "a policy naming the account does not lock out a user whose IAM policy allows PutKeyPolicy",
      BOB,
      keyPolicy(allow(ACCOUNT_ROOT)),
      false,
    ],
    ["a policy naming the account locks out a user without an IAM policy", ALICE, keyPolicy(allow(ACCOUNT_ROOT)), true],
    ["a policy naming the account does not lock out the root user", ROOT, keyPolicy(allow(ACCOUNT_ROOT)), false],
    ["a policy naming only a user locks out the root user", ROOT, keyPolicy(allow("arn:aws:iam::111122223333:user/alice")), true],
    ["a Deny of PutKeyPolicy for everyone locks everyone out", ROOT, keyPolicy(allow(ACCOUNT_ROOT), deny("*", "kms:PutKeyPolicy")), true],
    [
      "the caller's IAM deny locks it out whatever the key policy says",
      CHARLIE,
      keyPolicy(allow("arn:aws:iam::111122223333:user/charlie")),
      true,
    ],
    ["kms:Put* covers PutKeyPolicy", ALICE, keyPolicy(allow("arn:aws:iam::111122223333:user/alice", "kms:Put*")), false],
  ])("%s", (_name, who, policy, lockedOut) => {
    expect(wouldLockOut(policy, { context: ctx(who, "kms:CreateKey", KEY1), identityPolicies: iamPolicies(who) })).toBe(lockedOut);
  });

  it("evaluates the request's conditions", () => {
    const policy = keyPolicy(allow(ACCOUNT_ROOT, "kms:*", { Condition: { IpAddress: { "aws:SourceIp": "10.0.0.0/8" } } }));
    expect(wouldLockOut(policy, { context: ctx(ROOT, "kms:PutKeyPolicy", KEY1, { sourceIp: "10.1.1.1" }), identityPolicies: [] })).toBe(
      false,
    );
    expect(wouldLockOut(policy, { context: ctx(ROOT, "kms:PutKeyPolicy", KEY1, { sourceIp: "192.0.2.1" }), identityPolicies: [] })).toBe(
      true,
    );
  });

  it("refuses with AWS's wording", () => {
    const err = lockoutError();
    expect(err.type).toBe("MalformedPolicyDocumentException");
    expect(err.message).toBe("The new key policy will not allow you to update the key policy in the future.");
  });
});

describe("condition keys in a key policy", () => {
  type Row = [string, object, Partial<RequestFacts>, Partial<RequestFacts>, string?];
  const rows: Row[] = [
    [
      "kms:BypassPolicyLockoutSafetyCheck",
      { Bool: { "kms:BypassPolicyLockoutSafetyCheck": "false" } },
      {},
      { bypassPolicyLockoutSafetyCheck: true },
      "kms:PutKeyPolicy",
    ],
    [
      "kms:CallerAccount",
      { StringEquals: { "kms:CallerAccount": "111122223333" } },
      {},
      { principal: { ...ALICE, accountId: "444455556666" } },
    ],
    [
      "kms:EncryptionContext:<key>",
      { StringEquals: { "kms:EncryptionContext:Department": "Finance" } },
      { encryptionContext: { department: "Finance" } },
      { encryptionContext: { Department: "finance" } },
    ],
    [
      "kms:EncryptionContextKeys",
      { "ForAllValues:StringEquals": { "kms:EncryptionContextKeys": ["Department", "Project"] } },
      { encryptionContext: { Department: "x" } },
      { encryptionContext: { department: "x" } },
    ],
    [
      "kms:GrantConstraintType",
      { StringEquals: { "kms:GrantConstraintType": "EncryptionContextEquals" } },
      { grantConstraintType: "EncryptionContextEquals" },
      { grantConstraintType: "EncryptionContextSubset" },
      "kms:CreateGrant",
    ],
    ["kms:GrantIsForAWSResource", { Bool: { "kms:GrantIsForAWSResource": true } }, { grantIsForAWSResource: true }, {}, "kms:CreateGrant"],
    [
      "kms:GrantOperations",
      { "ForAllValues:StringEquals": { "kms:GrantOperations": ["Encrypt", "ReEncryptTo"] } },
      { grantOperations: ["Encrypt"] },
      { grantOperations: ["Encrypt", "Decrypt"] },
      "kms:CreateGrant",
    ],
    [
      "kms:ReEncryptOnSameKey",
      { Bool: { "kms:ReEncryptOnSameKey": true } },
      { reEncryptOnSameKey: true },
      { reEncryptOnSameKey: false },
      "kms:ReEncryptFrom",
    ],
    [
      "kms:ViaService",
      { StringEquals: { "kms:ViaService": ["ec2.us-east-1.amazonaws.com", "rds.us-east-1.amazonaws.com"] } },
      { viaService: "rds.us-east-1.amazonaws.com" },
      {},
    ],
    ["aws:SourceIp", { IpAddress: { "aws:SourceIp": "203.0.113.0/24" } }, { sourceIp: "203.0.113.10" }, { sourceIp: "198.51.100.10" }],
    [
      "aws:CurrentTime",
      { DateLessThan: { "aws:CurrentTime": "2024-07-01T00:00:00Z" } },
      { now: new Date("2024-06-30T00:00:00Z") },
      { now: new Date("2024-07-02T00:00:00Z") },
    ],
    [
      "aws:EpochTime",
      { NumericGreaterThan: { "aws:EpochTime": "1717243200" } },
      { now: new Date("2024-06-02T00:00:00Z") },
      { now: new Date("2024-05-01T00:00:00Z") },
    ],
    ["aws:SecureTransport", { Bool: { "aws:SecureTransport": "true" } }, { secureTransport: true }, { secureTransport: false }],
    ["aws:PrincipalArn", { ArnLike: { "aws:PrincipalArn": "arn:aws:iam::111122223333:user/a*" } }, {}, { principal: { ...BOB } }],
    [
      "aws:PrincipalAccount",
      { StringEquals: { "aws:PrincipalAccount": "111122223333" } },
      {},
      { principal: { ...ALICE, accountId: "444455556666" } },
    ],
    ["aws:PrincipalType", { StringEquals: { "aws:PrincipalType": "User" } }, {}, { principal: DEPLOYER }],
    ["aws:userid", { StringLike: { "aws:userid": "AIDA*" } }, {}, { principal: DEPLOYER }],
    ["aws:username", { StringEquals: { "aws:username": "alice" } }, {}, { principal: BOB }],
    [
      "aws:ResourceTag/<key>",
      { StringEquals: { "aws:ResourceTag/Project": "alpha" } },
      { resourceTags: { project: "alpha" } },
      { resourceTags: { Project: "beta" } },
    ],
    [
      "aws:RequestTag/<key>",
      { StringEquals: { "aws:RequestTag/Owner": "${aws:username}" } },
      { requestTags: { Owner: "alice" } },
      { requestTags: { Owner: "bob" } },
      "kms:TagResource",
    ],
    [
      "aws:TagKeys",
      { "ForAllValues:StringEquals": { "aws:TagKeys": ["Owner", "Stage"] } },
      { requestTags: { Owner: "a" } },
      { requestTags: { Owner: "a", Secret: "b" } },
      "kms:TagResource",
    ],
  ];

  it.each(rows)("%s allows when it holds and refuses when it does not", (_key, condition, pass, fail, action = "kms:Decrypt") => {
    const policy = keyPolicy({ Effect: "Allow", Principal: "*", Action: "kms:*", Resource: "*", Condition: condition });
    const run = (facts: Partial<RequestFacts>) =>
      authorize({ context: ctx(facts.principal ?? ALICE, action, KEY1, facts), keyPolicy: policy, identityPolicies: [] });
    expect(run(pass)).toMatchObject({ allowed: true, reason: "key-policy" });
    expect(run(fail)).toMatchObject({ allowed: false, reason: "no-resource-policy" });
  });
});
