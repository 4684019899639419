/**
 * Evaluation of one policy document (src/policy/evaluate.ts): principals of each form, actions
 * and resources with wildcards, the Not- elements, conditions, and Deny precedence.
 */
import { describe, expect, it } from "vitest";
import type { Principal } from "../../../src/auth/identities.ts";
import { evaluatePolicies, evaluatePolicy } from "../../../src/policy/evaluate.ts";
import { ALICE, allow, BOB, ctx, deny, DEPLOYER, EXTERNAL, iamPolicy, KEY1, KEY2, keyPolicy, ROOT } from "./support.ts";

const ACCOUNT_ROOT = "arn:aws:iam::111122223333:root";

describe("evaluatePolicy: principals", () => {
  it.each<[string, string | string[], Principal, "Allow" | "ImplicitDeny", ("principal" | "account")?]>([
    ["the account root ARN allows the root user directly", ACCOUNT_ROOT, ROOT, "Allow", "principal"],
    ["the account ID allows the root user directly", "111122223333", ROOT, "Allow", "principal"],
    ["the account root ARN reaches an IAM user only via the account", ACCOUNT_ROOT, ALICE, "Allow", "account"],
    ["the account ID reaches an IAM user only via the account", "111122223333", ALICE, "Allow", "account"],
    ["the account root ARN reaches a role session only via the account", ACCOUNT_ROOT, DEPLOYER, "Allow", "account"],
    ["another account's root does not match", "arn:aws:iam::444455556666:root", ALICE, "ImplicitDeny"],
    ["another account's root matches that account's root user", "arn:aws:iam::444455556666:root", EXTERNAL, "Allow", "principal"],
    ["a user ARN matches that user", "arn:aws:iam::111122223333:user/alice", ALICE, "Allow", "principal"],
    ["a user ARN does not match another user", "arn:aws:iam::111122223333:user/alice", BOB, "ImplicitDeny"],
    ["a user ARN does not match the account root", "arn:aws:iam::111122223333:user/alice", ROOT, "ImplicitDeny"],
    ["a role ARN matches a session of the role", "arn:aws:iam::111122223333:role/deployer", DEPLOYER, "Allow", "principal"],
    ["a session ARN matches that session", "arn:aws:sts::111122223333:assumed-role/deployer/ci", DEPLOYER, "Allow", "principal"],
    ["another session of the role does not match", "arn:aws:sts::111122223333:assumed-role/deployer/other", DEPLOYER, "ImplicitDeny"],
    ["another role does not match", "arn:aws:iam::111122223333:role/builder", DEPLOYER, "ImplicitDeny"],
    ["{AWS: *} matches anyone", "*", EXTERNAL, "Allow", "principal"],
    [
      "a list matches any of its entries",
      ["arn:aws:iam::111122223333:user/bob", "arn:aws:iam::111122223333:user/alice"],
      ALICE,
      "Allow",
      "principal",
    ],
  ])("%s", (_name, aws, principal, decision, via) => {
    const r = evaluatePolicy(keyPolicy(allow(aws, "kms:Encrypt")), ctx(principal, "kms:Encrypt"));
    expect(r.decision).toBe(decision);
    expect(r.via).toBe(via);
  });

  it('matches Principal "*" for everyone', () => {
    const p = keyPolicy({ Effect: "Allow", Principal: "*", Action: "kms:Encrypt", Resource: "*" });
    for (const who of [ROOT, ALICE, DEPLOYER, EXTERNAL]) expect(evaluatePolicy(p, ctx(who, "kms:Encrypt")).decision).toBe("Allow");
  });

  it("never matches a service principal for an IAM identity", () => {
    const p = keyPolicy({ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "kms:*", Resource: "*" });
    expect(evaluatePolicy(p, ctx(ROOT, "kms:Decrypt")).decision).toBe("ImplicitDeny");
  });

  it("prefers a statement naming the caller over one naming its account", () => {
    const p = keyPolicy({ Sid: "Account", ...allow(ACCOUNT_ROOT) }, { Sid: "Alice", ...allow("arn:aws:iam::111122223333:user/alice") });
    expect(evaluatePolicy(p, ctx(ALICE, "kms:Encrypt"))).toEqual({
      decision: "Allow",
      statement: { index: 1, sid: "Alice" },
      via: "principal",
    });
  });

  it("applies a Deny naming the account to every identity in it", () => {
    const p = keyPolicy(allow("*"), deny(ACCOUNT_ROOT, "kms:ScheduleKeyDeletion"));
    for (const who of [ROOT, ALICE, DEPLOYER]) expect(evaluatePolicy(p, ctx(who, "kms:ScheduleKeyDeletion")).decision).toBe("Deny");
    expect(evaluatePolicy(p, ctx(EXTERNAL, "kms:ScheduleKeyDeletion")).decision).toBe("Allow");
  });
});

describe("evaluatePolicy: NotPrincipal", () => {
  const policy = (notPrincipal: string[]) =>
    keyPolicy(allow("*"), { Effect: "Deny", NotPrincipal: { AWS: notPrincipal }, Action: "kms:PutKeyPolicy", Resource: "*" });

  it("denies everyone not listed", () => {
    expect(evaluatePolicy(policy([ACCOUNT_ROOT, "arn:aws:iam::111122223333:user/bob"]), ctx(ALICE, "kms:PutKeyPolicy")).decision).toBe(
      "Deny",
    );
  });

  it("excludes a user listed together with its account", () => {
    expect(evaluatePolicy(policy([ACCOUNT_ROOT, "arn:aws:iam::111122223333:user/alice"]), ctx(ALICE, "kms:PutKeyPolicy")).decision).toBe(
      "Allow",
    );
  });

  it("does not exclude a user listed without its account, as IAM documents", () => {
    expect(evaluatePolicy(policy(["arn:aws:iam::111122223333:user/alice"]), ctx(ALICE, "kms:PutKeyPolicy")).decision).toBe("Deny");
  });

  it("excludes the root user when its account is listed", () => {
    expect(evaluatePolicy(policy([ACCOUNT_ROOT]), ctx(ROOT, "kms:PutKeyPolicy")).decision).toBe("Allow");
    expect(evaluatePolicy(policy([ACCOUNT_ROOT]), ctx(ALICE, "kms:PutKeyPolicy")).decision).toBe("Deny");
  });

  const ROLE = "arn:aws:iam::111122223333:role/deployer";
  const SESSION = "arn:aws:sts::111122223333:assumed-role/deployer/ci";

  it("does not exempt the sessions of a role when only the role (and its account) is listed", () => {
    expect(evaluatePolicy(policy([ACCOUNT_ROOT, ROLE]), ctx(DEPLOYER, "kms:PutKeyPolicy")).decision).toBe("Deny");
  });

  it("excludes an assumed-role session listed by its session ARN, its role ARN and its account, as IAM's example does", () => {
    expect(evaluatePolicy(policy([SESSION, ROLE, ACCOUNT_ROOT]), ctx(DEPLOYER, "kms:PutKeyPolicy")).decision).toBe("Allow");
  });

  it.each([
    ["the session ARN and the account, without the role", [SESSION, ACCOUNT_ROOT]],
    ["the session ARN and the role, without the account", [SESSION, ROLE]],
    ["another session of the role", ["arn:aws:sts::111122223333:assumed-role/deployer/other", ROLE, ACCOUNT_ROOT]],
  ])("still denies a session when the list names %s", (_what, list) => {
    expect(evaluatePolicy(policy(list), ctx(DEPLOYER, "kms:PutKeyPolicy")).decision).toBe("Deny");
  });
});

describe("evaluatePolicy: actions", () => {
  it.each([
    ["kms:*", "kms:Encrypt", "Allow"],
    ["*", "kms:Encrypt", "Allow"],
    ["kms:Encrypt", "kms:Encrypt", "Allow"],
    ["kms:encrypt", "kms:Encrypt", "Allow"],
    ["KMS:ENCRYPT", "kms:Encrypt", "Allow"],
    ["kms:Create*", "kms:CreateGrant", "Allow"],
    ["kms:Create*", "kms:Decrypt", "ImplicitDeny"],
    ["kms:ReEncrypt*", "kms:ReEncryptFrom", "Allow"],
    ["kms:GenerateDataKey*", "kms:GenerateDataKeyWithoutPlaintext", "Allow"],
    ["kms:?ncrypt", "kms:Encrypt", "Allow"],
    ["kms:Encrypt", "kms:EncryptX", "ImplicitDeny"],
    ["s3:*", "kms:Encrypt", "ImplicitDeny"],
  ])("Action %j against %s: %s", (pattern, action, decision) => {
    expect(evaluatePolicy(keyPolicy(allow(ACCOUNT_ROOT, pattern)), ctx(ROOT, action)).decision).toBe(decision);
  });

  it("NotAction applies to every action except those listed", () => {
    const p = keyPolicy({ Effect: "Allow", Principal: { AWS: ACCOUNT_ROOT }, NotAction: ["kms:Decrypt", "kms:ReEncrypt*"], Resource: "*" });
    expect(evaluatePolicy(p, ctx(ROOT, "kms:Encrypt")).decision).toBe("Allow");
    expect(evaluatePolicy(p, ctx(ROOT, "kms:decrypt")).decision).toBe("ImplicitDeny");
    expect(evaluatePolicy(p, ctx(ROOT, "kms:ReEncryptTo")).decision).toBe("ImplicitDeny");
  });
});

describe("evaluatePolicy: resources", () => {
  it.each([
    ["*", KEY1, "Allow"],
    [KEY1, KEY1, "Allow"],
    [KEY1, KEY2, "ImplicitDeny"],
    ["arn:aws:kms:*:111122223333:key/*", KEY1, "Allow"],
    ["arn:aws:kms:us-west-2:111122223333:key/*", KEY1, "ImplicitDeny"],
    ["arn:aws:kms:us-east-1:444455556666:key/*", KEY1, "ImplicitDeny"],
    ["arn:aws:kms:us-east-1:111122223333:alias/*", KEY1, "ImplicitDeny"],
    ["arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890A?", KEY1, "ImplicitDeny"],
    ["arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890a?", KEY1, "Allow"],
  ])("IAM Resource %j against %s: %s", (pattern, resource, decision) => {
    const p = iamPolicy({ Effect: "Allow", Action: "kms:Encrypt", Resource: pattern });
    expect(evaluatePolicy(p, ctx(BOB, "kms:Encrypt", resource)).decision).toBe(decision);
  });

  it("does not match a key ARN pattern for an operation without a resource", () => {
    const p = iamPolicy({ Effect: "Allow", Action: "kms:*", Resource: "arn:aws:kms:*:111122223333:key/*" });
    expect(evaluatePolicy(p, ctx(BOB, "kms:CreateKey", "*")).decision).toBe("ImplicitDeny");
  });

  it("NotResource applies to every resource except those listed", () => {
    const p = iamPolicy({ Effect: "Deny", Action: "kms:*", NotResource: KEY1 });
    expect(evaluatePolicy(p, ctx(BOB, "kms:Encrypt", KEY2)).decision).toBe("Deny");
    expect(evaluatePolicy(p, ctx(BOB, "kms:Encrypt", KEY1)).decision).toBe("ImplicitDeny");
  });

  it("substitutes policy variables in Resource for 2012-10-17 policies only", () => {
    const stmt = { Effect: "Allow", Action: "kms:Encrypt", Resource: "arn:aws:kms:us-east-1:${aws:PrincipalAccount}:key/*" };
    expect(evaluatePolicy(iamPolicy(stmt), ctx(BOB, "kms:Encrypt", KEY1)).decision).toBe("Allow");
    const old = { ...iamPolicy(stmt), version: "2008-10-17" as const };
    expect(evaluatePolicy(old, ctx(BOB, "kms:Encrypt", KEY1)).decision).toBe("ImplicitDeny");
  });
});

describe("evaluatePolicy: conditions and precedence", () => {
  it("applies a statement only when its conditions hold", () => {
    const p = keyPolicy(
      allow(ACCOUNT_ROOT, "kms:GenerateDataKey", { Condition: { StringEquals: { "kms:EncryptionContext:AppName": "ExampleApp" } } }),
    );
    expect(evaluatePolicy(p, ctx(ROOT, "kms:GenerateDataKey", KEY1, { encryptionContext: { AppName: "ExampleApp" } })).decision).toBe(
      "Allow",
    );
    expect(evaluatePolicy(p, ctx(ROOT, "kms:GenerateDataKey", KEY1, { encryptionContext: { AppName: "Other" } })).decision).toBe(
      "ImplicitDeny",
    );
    expect(evaluatePolicy(p, ctx(ROOT, "kms:GenerateDataKey", KEY1)).decision).toBe("ImplicitDeny");
  });

  it("lets an applicable Deny win over an Allow, whatever the order", () => {
    for (const statements of [
      [allow("*"), { Sid: "NoDelete", ...deny("*", "kms:ScheduleKeyDeletion") }],
      [{ Sid: "NoDelete", ...deny("*", "kms:ScheduleKeyDeletion") }, allow("*")],
    ]) {
      const r = evaluatePolicy(keyPolicy(...statements), ctx(ROOT, "kms:ScheduleKeyDeletion"));
      expect(r.decision).toBe("Deny");
      expect(r.statement!.sid).toBe("NoDelete");
    }
  });

  it("ignores a Deny whose condition does not hold", () => {
    const p = keyPolicy(allow("*"), deny("*", "kms:*", { Condition: { Bool: { "aws:SecureTransport": "false" } } }));
    expect(evaluatePolicy(p, ctx(ROOT, "kms:Encrypt", KEY1, { secureTransport: true })).decision).toBe("Allow");
    expect(evaluatePolicy(p, ctx(ROOT, "kms:Encrypt", KEY1, { secureTransport: false })).decision).toBe("Deny");
  });

  it("implicitly denies when nothing applies", () => {
    expect(evaluatePolicy(keyPolicy(allow(ACCOUNT_ROOT, "kms:Decrypt")), ctx(ROOT, "kms:Encrypt"))).toEqual({ decision: "ImplicitDeny" });
  });

  it("combines several IAM policies: a Deny in any wins, else an Allow in any", () => {
    const allowAll = iamPolicy({ Effect: "Allow", Action: "kms:*", Resource: "*" });
    const denyDelete = iamPolicy({ Effect: "Deny", Action: ["kms:DisableKey", "kms:ScheduleKeyDeletion"], Resource: "*" });
    expect(evaluatePolicies([allowAll, denyDelete], ctx(BOB, "kms:DisableKey"))).toMatchObject({ decision: "Deny", policyIndex: 1 });
    expect(evaluatePolicies([denyDelete, allowAll], ctx(BOB, "kms:Encrypt"))).toMatchObject({ decision: "Allow", policyIndex: 1 });
    expect(evaluatePolicies([], ctx(BOB, "kms:Encrypt")).decision).toBe("ImplicitDeny");
  });
});
