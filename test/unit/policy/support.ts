/**
 * Shared fixtures for the policy-engine tests: the default identities (src/auth/identities.ts)
 * and small builders for contexts and policies.
 */
import { loadIdentities, type Principal } from "../../../src/auth/identities.ts";
import { buildContext, type RequestFacts } from "../../../src/policy/context.ts";
import { parsePolicyObject, type Policy } from "../../../src/policy/document.ts";

const ids = loadIdentities(undefined);

export function principal(accessKey: "test" | "alice" | "bob" | "charlie" | "external"): Principal {
  return ids.credential(accessKey)!.principal;
}

export const ROOT = principal("test");
export const ALICE = principal("alice");
export const BOB = principal("bob");
export const CHARLIE = principal("charlie");
export const EXTERNAL = principal("external");

/** An assumed-role session in account 111122223333: role "deployer", session "ci". */
export const DEPLOYER: Principal = {
  type: "AssumedRole",
  accountId: "111122223333",
  arn: "arn:aws:sts::111122223333:assumed-role/deployer/ci",
  principalId: "AROAEXAMPLEEXAMPLE01:ci",
  roleName: "deployer",
  roleArn: "arn:aws:iam::111122223333:role/deployer",
  sessionName: "ci",
  policies: [],
};

export const KEY1 = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
export const KEY2 = "arn:aws:kms:us-east-1:111122223333:key/0987dcba-09fe-87dc-65ba-ab0987654321";

export function ctx(p: Principal, action: string, resource: string = KEY1, facts: Partial<RequestFacts> = {}) {
  return buildContext({ principal: p, action, resource, now: new Date("2024-06-01T12:00:00Z"), ...facts });
}

/** The IAM policies of a principal, parsed. */
export function iamPolicies(p: Principal): Policy[] {
  return p.policies.map((d) => parsePolicyObject(d, "iam"));
}

/** A key policy with the given statements. */
export function keyPolicy(...statements: object[]): Policy {
  return parsePolicyObject({ Version: "2012-10-17", Statement: statements }, "key");
}

/** An IAM policy with the given statements. */
export function iamPolicy(...statements: object[]): Policy {
  return parsePolicyObject({ Version: "2012-10-17", Statement: statements }, "iam");
}

/** A key-policy statement allowing `actions` to the given AWS principals. */
export function allow(aws: string | string[], actions: string | string[] = "kms:*", extra: object = {}): object {
  return { Effect: "Allow", Principal: { AWS: aws }, Action: actions, Resource: "*", ...extra };
}

export function deny(aws: string | string[], actions: string | string[] = "kms:*", extra: object = {}): object {
  return { Effect: "Deny", Principal: { AWS: aws }, Action: actions, Resource: "*", ...extra };
}
