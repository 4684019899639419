/**
 * Issue 11, item 6: encryption context keys and tag keys that differ only in case. Condition key
 * names are case-insensitive, so kms:EncryptionContext:tenant names both members of
 * {"tenant":"carol","Tenant":"alice"}; every decision that looks such a name up must refuse rather
 * than pick a member — key and IAM policy conditions (Allow and Deny, plain and negated operators,
 * Null, policy variables, Resource variables), aws:RequestTag/aws:ResourceTag, grant constraints,
 * grant narrowing (src/grants/rules.ts) and the shared lookup itself.
 */
import { describe, expect, it } from "vitest";
import { caseCollisions, lookupIgnoringCase } from "../../../src/case-insensitive.ts";
import { constraintsAtLeastAsStrict } from "../../../src/grants/rules.ts";
import { authorize } from "../../../src/policy/authorize.ts";
import { isAmbiguous, type RequestFacts } from "../../../src/policy/context.ts";
import { evaluatePolicy } from "../../../src/policy/evaluate.ts";
import { constraintsSatisfied, grantMatch } from "../../../src/policy/grants.ts";
import { ALICE, allow, BOB, ctx, iamPolicies, iamPolicy, KEY1, keyPolicy } from "./support.ts";

const ALICE_ARN = "arn:aws:iam::111122223333:user/alice";
const ISSUE_CONTEXT = JSON.parse('{"tenant":"carol","Tenant":"alice"}') as Record<string, string>;
const REVERSED = JSON.parse('{"Tenant":"alice","tenant":"carol"}') as Record<string, string>;

/** The issue's key policy: alice may Encrypt only when kms:EncryptionContext:tenant is alice. */
const tenantPolicy = keyPolicy(
  allow(ALICE_ARN, "kms:Encrypt", { Condition: { StringEquals: { "kms:EncryptionContext:tenant": "alice" } } }),
);

function encryptAs(facts: Partial<RequestFacts>, policy = tenantPolicy) {
  return authorize({ context: ctx(ALICE, "kms:Encrypt", KEY1, facts), keyPolicy: policy, identityPolicies: iamPolicies(ALICE) });
}

describe("the issue's example: a per-tenant key policy", () => {
  it("allows alice's own tenant", () => {
    expect(encryptAs({ encryptionContext: { tenant: "alice" } }).allowed).toBe(true);
    expect(encryptAs({ encryptionContext: { Tenant: "alice" } }).allowed).toBe(true);
  });

  it('refuses {"tenant":"carol","Tenant":"alice"} in either member order', () => {
    expect(encryptAs({ encryptionContext: ISSUE_CONTEXT })).toMatchObject({ allowed: false, reason: "no-resource-policy" });
    expect(encryptAs({ encryptionContext: REVERSED })).toMatchObject({ allowed: false, reason: "no-resource-policy" });
  });

  it("marks the colliding name ambiguous and gives it no value", () => {
    const c = ctx(ALICE, "kms:Encrypt", KEY1, { encryptionContext: { ...ISSUE_CONTEXT, app: "x" } });
    expect(isAmbiguous(c, "kms:EncryptionContext:TENANT")).toBe(true);
    expect(isAmbiguous(c, "kms:EncryptionContext:app")).toBe(false);
    expect(c.keys.has("kms:encryptioncontext:tenant")).toBe(false);
    expect(c.keys.get("kms:encryptioncontext:app")).toBe("x");
    // kms:EncryptionContextKeys keeps both spellings: it is the case-sensitive way to write conditions.
    expect(c.keys.get("kms:encryptioncontextkeys")).toEqual(["tenant", "Tenant", "app"]);
  });
});

describe("conditions on an ambiguous key decide against the request", () => {
  const open = allow("*", "kms:Encrypt");
  const denyWhen = (condition: object) =>
    keyPolicy(open, { Effect: "Deny", Principal: "*", Action: "kms:Encrypt", Resource: "*", Condition: condition });
  const allowWhen = (condition: object) => keyPolicy(allow("*", "kms:Encrypt", { Condition: condition }));
  const decision = (policy: ReturnType<typeof keyPolicy>, facts: Partial<RequestFacts>) =>
    evaluatePolicy(policy, ctx(ALICE, "kms:Encrypt", KEY1, facts)).decision;
  const ec = { encryptionContext: ISSUE_CONTEXT };

  it.each<[string, object]>([
    ["StringNotEquals tenant alice", { StringNotEquals: { "kms:EncryptionContext:tenant": "alice" } }],
    ["StringEquals tenant carol", { StringEquals: { "kms:EncryptionContext:tenant": "carol" } }],
    ["StringEquals tenant alice", { StringEquals: { "kms:EncryptionContext:tenant": "alice" } }],
    ["Null tenant true", { Null: { "kms:EncryptionContext:tenant": "true" } }],
    ["Null tenant false", { Null: { "kms:EncryptionContext:tenant": "false" } }],
    ["StringNotLikeIfExists tenant a*", { StringNotLikeIfExists: { "kms:EncryptionContext:tenant": "a*" } }],
    ["ForAllValues:StringEquals on the name", { "ForAllValues:StringEquals": { "kms:EncryptionContext:Tenant": ["alice", "carol"] } }],
  ])("a Deny with %s applies", (_name, condition) => {
    expect(decision(denyWhen(condition), ec)).toBe("Deny");
  });

  it.each<[string, object]>([
    ["StringEquals tenant alice", { StringEquals: { "kms:EncryptionContext:tenant": "alice" } }],
    ["StringEqualsIgnoreCase tenant ALICE", { StringEqualsIgnoreCase: { "kms:EncryptionContext:tenant": "ALICE" } }],
    ["StringLike tenant *", { StringLike: { "kms:EncryptionContext:tenant": "*" } }],
    ["StringNotEquals tenant bob", { StringNotEquals: { "kms:EncryptionContext:tenant": "bob" } }],
    ["StringEqualsIfExists tenant alice", { StringEqualsIfExists: { "kms:EncryptionContext:tenant": "alice" } }],
    ["Null tenant false", { Null: { "kms:EncryptionContext:tenant": "false" } }],
    ["ForAnyValue:StringEquals tenant alice", { "ForAnyValue:StringEquals": { "kms:EncryptionContext:tenant": "alice" } }],
  ])("an Allow with %s does not apply", (_name, condition) => {
    expect(decision(allowWhen(condition), ec)).toBe("ImplicitDeny");
  });

  it("leaves conditions on other keys of the same request unaffected", () => {
    const facts = { encryptionContext: { ...ISSUE_CONTEXT, app: "billing" } };
    expect(decision(allowWhen({ StringEquals: { "kms:EncryptionContext:app": "billing" } }), facts)).toBe("Allow");
    expect(decision(denyWhen({ StringEquals: { "kms:EncryptionContext:app": "other" } }), facts)).toBe("Allow");
    // A Deny whose other clause does not hold still does not apply: the ambiguity only decides its own clause.
    expect(
      decision(denyWhen({ StringEquals: { "kms:EncryptionContext:tenant": "alice", "kms:EncryptionContext:app": "other" } }), facts),
    ).toBe("Allow");
  });

  it("treats a policy variable naming an ambiguous key the same way, in conditions and in Resource", () => {
    const facts = { encryptionContext: { owner: "alice" }, requestTags: { Team: "a", team: "b" } };
    expect(decision(allowWhen({ StringEquals: { "kms:EncryptionContext:owner": "${aws:RequestTag/team}" } }), facts)).toBe("ImplicitDeny");
    expect(decision(allowWhen({ StringEquals: { "kms:EncryptionContext:owner": "${aws:RequestTag/team, 'alice'}" } }), facts)).toBe(
      "ImplicitDeny",
    );
    expect(decision(denyWhen({ StringEquals: { "kms:EncryptionContext:owner": "${aws:RequestTag/team}" } }), facts)).toBe("Deny");
    const resourceDeny = keyPolicy(open, {
      Effect: "Deny",
      Principal: "*",
      Action: "kms:Encrypt",
      Resource: "arn:aws:kms:*:*:key/${aws:RequestTag/team}",
    });
    expect(evaluatePolicy(resourceDeny, ctx(ALICE, "kms:Encrypt", KEY1, facts)).decision).toBe("Deny");
    const notResourceDeny = keyPolicy(open, {
      Effect: "Deny",
      Principal: "*",
      Action: "kms:Encrypt",
      NotResource: "arn:aws:kms:*:*:key/${aws:RequestTag/team}",
    });
    expect(evaluatePolicy(notResourceDeny, ctx(ALICE, "kms:Encrypt", KEY1, facts)).decision).toBe("Deny");
    const resourceAllow = keyPolicy({
      Effect: "Allow",
      Principal: "*",
      Action: "kms:Encrypt",
      Resource: "arn:aws:kms:*:*:key/${aws:RequestTag/team}",
    });
    expect(evaluatePolicy(resourceAllow, ctx(ALICE, "kms:Encrypt", KEY1, facts)).decision).toBe("ImplicitDeny");
  });

  it("applies to IAM policies too", () => {
    const identity = [
      iamPolicy({
        Effect: "Allow",
        Action: "kms:Encrypt",
        Resource: "*",
        Condition: { StringEquals: { "kms:EncryptionContext:tenant": "bob" } },
      }),
    ];
    const accountPolicy = keyPolicy(allow("arn:aws:iam::111122223333:root"));
    const r = (facts: Partial<RequestFacts>) =>
      authorize({ context: ctx(BOB, "kms:Encrypt", KEY1, facts), keyPolicy: accountPolicy, identityPolicies: identity });
    expect(r({ encryptionContext: { tenant: "bob" } }).allowed).toBe(true);
    expect(r({ encryptionContext: { tenant: "bob", TENANT: "mallory" } }).allowed).toBe(false);
  });
});

describe("aws:RequestTag and aws:ResourceTag", () => {
  const tagPolicy = (key: string) => keyPolicy(allow("*", "kms:TagResource", { Condition: { StringEquals: { [key]: "alpha" } } }));
  const decide = (key: string, facts: Partial<RequestFacts>) =>
    evaluatePolicy(tagPolicy(key), ctx(ALICE, "kms:TagResource", KEY1, facts)).decision;

  it("refuses a request whose tags collide with the name the condition reads", () => {
    expect(decide("aws:RequestTag/project", { requestTags: { project: "alpha" } })).toBe("Allow");
    expect(decide("aws:RequestTag/project", { requestTags: { project: "alpha", Project: "beta" } })).toBe("ImplicitDeny");
    expect(decide("aws:RequestTag/project", { requestTags: { Project: "beta", project: "alpha" } })).toBe("ImplicitDeny");
  });

  it("refuses a resource whose tags collide with the name the condition reads", () => {
    expect(decide("aws:ResourceTag/project", { resourceTags: { Project: "alpha" } })).toBe("Allow");
    expect(decide("aws:ResourceTag/project", { resourceTags: { PROJECT: "alpha", project: "beta" } })).toBe("ImplicitDeny");
  });
});

describe("grant constraints (keys case-insensitive, values case-sensitive, as AWS documents)", () => {
  const grant = { granteePrincipal: ALICE_ARN, operations: ["Encrypt", "Decrypt"] };

  it.each<[string, object]>([
    ["EncryptionContextSubset", { encryptionContextSubset: { tenant: "alice" } }],
    ["EncryptionContextSubset with another key spelling", { encryptionContextSubset: { TENANT: "alice" } }],
    ["EncryptionContextEquals", { encryptionContextEquals: { tenant: "alice", Tenant: "carol" } }],
  ])("%s is not met by a context with case-variant keys, in either member order", (_name, constraints) => {
    expect(constraintsSatisfied(constraints, "Encrypt", ISSUE_CONTEXT)).toBe(false);
    expect(constraintsSatisfied(constraints, "Encrypt", REVERSED)).toBe(false);
    expect(grantMatch({ ...grant, constraints }, ctx(ALICE, "kms:Encrypt", KEY1, { encryptionContext: ISSUE_CONTEXT }))).toBeUndefined();
  });

  it("is still met ignoring key case and refused on value case when there is no ambiguity", () => {
    expect(constraintsSatisfied({ encryptionContextSubset: { tenant: "alice" } }, "Encrypt", { Tenant: "alice", app: "x" })).toBe(true);
    expect(constraintsSatisfied({ encryptionContextSubset: { tenant: "alice" } }, "Encrypt", { tenant: "Alice" })).toBe(false);
    expect(constraintsSatisfied({ encryptionContextEquals: { tenant: "alice" } }, "Encrypt", { TENANT: "alice" })).toBe(true);
  });

  it("never treats a constraint with case-variant keys as narrower than another", () => {
    const parent = { encryptionContextSubset: { tenant: "carol" } };
    expect(constraintsAtLeastAsStrict({ encryptionContextSubset: { tenant: "carol", app: "x" } }, parent)).toBe(true);
    expect(constraintsAtLeastAsStrict({ encryptionContextSubset: JSON.parse('{"Tenant":"alice","tenant":"carol"}') }, parent)).toBe(false);
    expect(
      constraintsAtLeastAsStrict(
        { encryptionContextEquals: ISSUE_CONTEXT },
        { encryptionContextEquals: { tenant: "alice", TENANT: "carol" } },
      ),
    ).toBe(false);
  });
});

describe("lookupIgnoringCase and caseCollisions", () => {
  it("finds the one member, reports several as ambiguous, and none as undefined", () => {
    expect(lookupIgnoringCase({ Tenant: "alice", app: "x" }, "TENANT")).toEqual({ key: "Tenant", value: "alice" });
    expect(lookupIgnoringCase(ISSUE_CONTEXT, "tenant")).toBe("ambiguous");
    expect(lookupIgnoringCase({ app: "x" }, "tenant")).toBeUndefined();
  });

  it("folds Unicode case the same way everywhere (the Kelvin sign folds to k)", () => {
    expect(caseCollisions(["key", "\u212Aey", "other"])).toEqual(new Set(["key"]));
    expect(caseCollisions(["a", "b"]).size).toBe(0);
  });
});
