/**
 * Condition operators, qualifiers and missing-key rules, against the IAM User Guide's
 * "Condition operators" and "Multivalued context keys" pages (see src/policy/conditions.ts).
 */
import { describe, expect, it } from "vitest";
import { evaluateClause, evaluateConditions, parseOperator, type ConditionClause } from "../../../src/policy/conditions.ts";
import type { ContextValue } from "../../../src/policy/context.ts";
import { ALICE, ctx, DEPLOYER } from "./support.ts";

function clause(op: string, key: string, values: string | string[]): ConditionClause {
  const operator = parseOperator(op);
  if (operator === undefined) throw new Error(`bad operator ${op}`);
  return { operator, key, values: Array.isArray(values) ? values : [values] };
}

function holds(op: string, key: string, values: string | string[], extra: Record<string, ContextValue> = {}): boolean {
  return evaluateClause(clause(op, key, values), ctx(ALICE, "kms:Encrypt", undefined, { extra }));
}

type Row = [string, string, string, string | string[], Record<string, ContextValue>, boolean];

const K = "test:key"; // a custom single-valued key
const M = "test:multi"; // a custom multi-valued key

const rows: Row[] = [
  // String operators
  ["StringEquals matches an exact value", "StringEquals", K, "Finance", { [K]: "Finance" }, true],
  ["StringEquals is case-sensitive", "StringEquals", K, "finance", { [K]: "Finance" }, false],
  ["StringEquals ORs several values", "StringEquals", K, ["HR", "Finance"], { [K]: "Finance" }, true],
  ["StringEquals treats * literally", "StringEquals", K, "Fin*", { [K]: "Finance" }, false],
  ["StringEquals is false for an absent key", "StringEquals", K, "Finance", {}, false],
  ["StringNotEquals holds for a different value", "StringNotEquals", K, "HR", { [K]: "Finance" }, true],
  ["StringNotEquals fails when any listed value matches", "StringNotEquals", K, ["HR", "Finance"], { [K]: "Finance" }, false],
  ["StringNotEquals is true for an absent key", "StringNotEquals", K, "HR", {}, true],
  ["StringEqualsIgnoreCase ignores case", "StringEqualsIgnoreCase", K, "FINANCE", { [K]: "finance" }, true],
  ["StringEqualsIgnoreCase still needs the same letters", "StringEqualsIgnoreCase", K, "HR", { [K]: "finance" }, false],
  ["StringEqualsIgnoreCase is false for an absent key", "StringEqualsIgnoreCase", K, "HR", {}, false],
  ["StringNotEqualsIgnoreCase fails on a case-only difference", "StringNotEqualsIgnoreCase", K, "FINANCE", { [K]: "finance" }, false],
  ["StringNotEqualsIgnoreCase holds for another value", "StringNotEqualsIgnoreCase", K, "HR", { [K]: "finance" }, true],
  ["StringNotEqualsIgnoreCase is true for an absent key", "StringNotEqualsIgnoreCase", K, "HR", {}, true],
  ["StringLike matches * across characters", "StringLike", K, "Fin*", { [K]: "Finance" }, true],
  ["StringLike matches ? as exactly one character", "StringLike", K, "Financ?", { [K]: "Finance" }, true],
  ["StringLike ? does not match two characters", "StringLike", K, "Finan?", { [K]: "Finance" }, false],
  ["StringLike is case-sensitive", "StringLike", K, "fin*", { [K]: "Finance" }, false],
  ["StringLike is false for an absent key", "StringLike", K, "*", {}, false],
  ["StringNotLike holds when no pattern matches", "StringNotLike", K, ["HR*", "Ops*"], { [K]: "Finance" }, true],
  ["StringNotLike fails when a pattern matches", "StringNotLike", K, ["HR*", "Fin*"], { [K]: "Finance" }, false],
  ["StringNotLike is true for an absent key", "StringNotLike", K, "Fin*", {}, true],
  // Numeric operators
  ["NumericEquals compares numbers, not text", "NumericEquals", K, "10", { [K]: "10.0" }, true],
  ["NumericEquals fails for another number", "NumericEquals", K, "10", { [K]: "11" }, false],
  ["NumericEquals fails for a request value that is not a number", "NumericEquals", K, "10", { [K]: "ten" }, false],
  ["NumericEquals is false for an absent key", "NumericEquals", K, "10", {}, false],
  ["NumericNotEquals holds for another number", "NumericNotEquals", K, "10", { [K]: "11" }, true],
  ["NumericNotEquals fails for the same number", "NumericNotEquals", K, "10", { [K]: "10" }, false],
  ["NumericNotEquals is true for an absent key", "NumericNotEquals", K, "10", {}, true],
  ["NumericLessThan holds below the bound", "NumericLessThan", K, "10", { [K]: "9" }, true],
  ["NumericLessThan fails at the bound", "NumericLessThan", K, "10", { [K]: "10" }, false],
  ["NumericLessThan is false for an absent key", "NumericLessThan", K, "10", {}, false],
  ["NumericLessThanEquals holds at the bound", "NumericLessThanEquals", K, "10", { [K]: "10" }, true],
  ["NumericLessThanEquals fails above the bound", "NumericLessThanEquals", K, "10", { [K]: "11" }, false],
  ["NumericGreaterThan holds above the bound", "NumericGreaterThan", K, "10", { [K]: "10.5" }, true],
  ["NumericGreaterThan fails at the bound", "NumericGreaterThan", K, "10", { [K]: "10" }, false],
  ["NumericGreaterThanEquals holds at the bound", "NumericGreaterThanEquals", K, "10", { [K]: "10" }, true],
  ["NumericGreaterThanEquals fails below the bound", "NumericGreaterThanEquals", K, "10", { [K]: "-3" }, false],
  ["NumericGreaterThanEquals is false for an absent key", "NumericGreaterThanEquals", K, "10", {}, false],
  // Date operators (the context's aws:CurrentTime is 2024-06-01T12:00:00Z)
  ["DateEquals compares instants across formats", "DateEquals", "aws:CurrentTime", "2024-06-01T14:00:00+02:00", {}, true],
  ["DateEquals accepts epoch seconds", "DateEquals", "aws:CurrentTime", "1717243200", {}, true],
  ["DateEquals fails for another instant", "DateEquals", "aws:CurrentTime", "2024-06-01T12:00:01Z", {}, false],
  ["DateEquals is false for an absent key", "DateEquals", K, "2024-06-01T12:00:00Z", {}, false],
  ["DateNotEquals holds for another instant", "DateNotEquals", "aws:CurrentTime", "2020-01-01", {}, true],
  ["DateNotEquals fails for the same instant", "DateNotEquals", "aws:CurrentTime", "2024-06-01T12:00:00Z", {}, false],
  ["DateNotEquals is true for an absent key", "DateNotEquals", K, "2020-01-01", {}, true],
  ["DateLessThan holds before the bound", "DateLessThan", "aws:CurrentTime", "2025-01-01T00:00:00Z", {}, true],
  ["DateLessThan fails after the bound", "DateLessThan", "aws:CurrentTime", "2024-01-01T00:00:00Z", {}, false],
  ["DateLessThanEquals holds at the bound", "DateLessThanEquals", "aws:EpochTime", "2024-06-01T12:00:00Z", {}, true],
  ["DateLessThanEquals fails after the bound", "DateLessThanEquals", "aws:EpochTime", "1717243199", {}, false],
  ["DateGreaterThan holds after the bound", "DateGreaterThan", "aws:CurrentTime", "2024-06-01", {}, true],
  ["DateGreaterThan fails at the bound", "DateGreaterThan", "aws:CurrentTime", "2024-06-01T12:00:00Z", {}, false],
  ["DateGreaterThanEquals holds at the bound", "DateGreaterThanEquals", "aws:CurrentTime", "2024-06-01T12:00:00Z", {}, true],
  ["DateGreaterThanEquals fails before the bound", "DateGreaterThanEquals", "aws:CurrentTime", "2030-01-01T00:00:00Z", {}, false],
  ["DateGreaterThanEquals is false for an absent key", "DateGreaterThanEquals", K, "2020-01-01", {}, false],
  // Bool
  ["Bool matches true", "Bool", K, "true", { [K]: "true" }, true],
  ["Bool matches regardless of the policy value's case", "Bool", K, "TRUE", { [K]: "true" }, true],
  ["Bool fails for the other value", "Bool", K, "true", { [K]: "false" }, false],
  ["Bool is false for an absent key", "Bool", K, "false", {}, false],
  // IP addresses
  [
    "IpAddress matches an IPv4 address in the block",
    "IpAddress",
    "aws:SourceIp",
    "203.0.113.0/24",
    { "aws:SourceIp": "203.0.113.77" },
    true,
  ],
  ["IpAddress fails outside the block", "IpAddress", "aws:SourceIp", "203.0.113.0/24", { "aws:SourceIp": "203.0.114.1" }, false],
  ["IpAddress treats a bare address as one host", "IpAddress", "aws:SourceIp", "203.0.113.5", { "aws:SourceIp": "203.0.113.5" }, true],
  [
    "IpAddress matches an IPv6 address in the block",
    "IpAddress",
    "aws:SourceIp",
    "2001:db8::/32",
    { "aws:SourceIp": "2001:db8:1234::1" },
    true,
  ],
  ["IpAddress fails outside an IPv6 block", "IpAddress", "aws:SourceIp", "2001:db8::/32", { "aws:SourceIp": "2001:db9::1" }, false],
  [
    "IpAddress never matches an IPv4 address against an IPv6 block",
    "IpAddress",
    "aws:SourceIp",
    "::/0",
    { "aws:SourceIp": "10.0.0.1" },
    false,
  ],
  ["IpAddress ORs several blocks", "IpAddress", "aws:SourceIp", ["10.0.0.0/8", "192.168.0.0/16"], { "aws:SourceIp": "192.168.7.7" }, true],
  ["IpAddress is false for an absent key", "IpAddress", "aws:SourceIp", "0.0.0.0/0", {}, false],
  ["NotIpAddress holds outside every block", "NotIpAddress", "aws:SourceIp", ["10.0.0.0/8"], { "aws:SourceIp": "192.168.7.7" }, true],
  ["NotIpAddress fails inside a block", "NotIpAddress", "aws:SourceIp", ["10.0.0.0/8"], { "aws:SourceIp": "10.1.2.3" }, false],
  ["NotIpAddress is true for an absent key", "NotIpAddress", "aws:SourceIp", "10.0.0.0/8", {}, true],
  // ARNs
  ["ArnEquals matches an identical ARN", "ArnEquals", "aws:PrincipalArn", "arn:aws:iam::111122223333:user/alice", {}, true],
  ["ArnEquals allows wildcards within a field", "ArnEquals", "aws:PrincipalArn", "arn:aws:iam::*:user/*", {}, true],
  ["ArnEquals fails for another account", "ArnEquals", "aws:PrincipalArn", "arn:aws:iam::444455556666:user/alice", {}, false],
  ["ArnLike matches field by field", "ArnLike", "aws:PrincipalArn", "arn:aws:iam::111122223333:user/a*", {}, true],
  [
    "ArnLike does not let a field's * swallow the next field",
    "ArnLike",
    K,
    "arn:aws:*:1111:key/x:*",
    { [K]: "arn:aws:kms:r:1111:key/x:y" },
    false,
  ],
  [
    "ArnLike keeps colons inside the resource field",
    "ArnLike",
    K,
    "arn:aws:kms:r:1111:key/x:*",
    { [K]: "arn:aws:kms:r:1111:key/x:y" },
    true,
  ],
  ["ArnLike fails for a value that is not an ARN", "ArnLike", K, "arn:*:*:*:*:*", { [K]: "not-an-arn" }, false],
  ["ArnLike is false for an absent key", "ArnLike", K, "arn:*:*:*:*:*", {}, false],
  ["ArnNotEquals holds for another ARN", "ArnNotEquals", "aws:PrincipalArn", "arn:aws:iam::111122223333:user/bob", {}, true],
  ["ArnNotEquals fails for the same ARN", "ArnNotEquals", "aws:PrincipalArn", "arn:aws:iam::111122223333:user/alice", {}, false],
  ["ArnNotLike fails when the pattern matches", "ArnNotLike", "aws:PrincipalArn", "arn:aws:iam::111122223333:user/*", {}, false],
  ["ArnNotLike holds when it does not", "ArnNotLike", "aws:PrincipalArn", "arn:aws:iam::111122223333:role/*", {}, true],
  ["ArnNotLike is true for an absent key", "ArnNotLike", K, "arn:aws:iam::*:*", {}, true],
  // Null
  ["Null true holds for an absent key", "Null", K, "true", {}, true],
  ["Null true fails for a present key", "Null", K, "true", { [K]: "x" }, false],
  ["Null false holds for a present key", "Null", K, "false", { [K]: "x" }, true],
  ["Null false fails for an absent key", "Null", K, "false", {}, false],
  ["Null treats an empty multi-valued key as absent", "Null", M, "true", { [M]: [] }, true],
  // ...IfExists
  ["StringEqualsIfExists is true for an absent key", "StringEqualsIfExists", K, "Finance", {}, true],
  ["StringEqualsIfExists still checks a present key", "StringEqualsIfExists", K, "Finance", { [K]: "HR" }, false],
  ["StringNotLikeIfExists checks a present key", "StringNotLikeIfExists", K, "Fin*", { [K]: "Finance" }, false],
  ["NumericLessThanIfExists is true for an absent key", "NumericLessThanIfExists", K, "10", {}, true],
  ["NumericLessThanIfExists checks a present key", "NumericLessThanIfExists", K, "10", { [K]: "11" }, false],
  ["DateGreaterThanIfExists is true for an absent key", "DateGreaterThanIfExists", K, "2020-01-01", {}, true],
  ["BoolIfExists is true for an absent key", "BoolIfExists", K, "false", {}, true],
  ["BoolIfExists checks a present key", "BoolIfExists", K, "false", { [K]: "true" }, false],
  ["IpAddressIfExists is true for an absent key", "IpAddressIfExists", "aws:SourceIp", "10.0.0.0/8", {}, true],
  ["IpAddressIfExists checks a present key", "IpAddressIfExists", "aws:SourceIp", "10.0.0.0/8", { "aws:SourceIp": "11.0.0.1" }, false],
  ["ArnLikeIfExists is true for an absent key", "ArnLikeIfExists", K, "arn:aws:iam::*:root", {}, true],
  ["ArnLikeIfExists checks a present key", "ArnLikeIfExists", K, "arn:aws:iam::*:root", { [K]: "arn:aws:iam::1:user/x" }, false],
  // ForAllValues / ForAnyValue on multi-valued keys
  [
    "ForAllValues holds when every request value is listed",
    "ForAllValues:StringEquals",
    M,
    ["Encrypt", "Decrypt", "ReEncryptTo"],
    { [M]: ["Encrypt", "Decrypt"] },
    true,
  ],
  [
    "ForAllValues fails when one request value is not listed",
    "ForAllValues:StringEquals",
    M,
    ["Encrypt", "ReEncryptTo"],
    { [M]: ["Encrypt", "Decrypt"] },
    false,
  ],
  ["ForAllValues is true for an absent key", "ForAllValues:StringEquals", M, ["Encrypt"], {}, true],
  ["ForAllValues is true for an empty key", "ForAllValues:StringEquals", M, ["Encrypt"], { [M]: [] }, true],
  [
    "ForAllValues:StringNotEquals needs every value to avoid the list",
    "ForAllValues:StringNotEquals",
    M,
    ["Decrypt"],
    { [M]: ["Encrypt", "Decrypt"] },
    false,
  ],
  [
    "ForAllValues:StringLike applies wildcards to each value",
    "ForAllValues:StringLike",
    M,
    ["Generate*", "Encrypt"],
    { [M]: ["Encrypt", "GenerateDataKey"] },
    true,
  ],
  ["ForAnyValue holds when one request value is listed", "ForAnyValue:StringEquals", M, ["Decrypt"], { [M]: ["Encrypt", "Decrypt"] }, true],
  ["ForAnyValue fails when no request value is listed", "ForAnyValue:StringEquals", M, ["Sign"], { [M]: ["Encrypt", "Decrypt"] }, false],
  ["ForAnyValue is false for an absent key", "ForAnyValue:StringEquals", M, ["Sign"], {}, false],
  ["ForAnyValue is false for an empty key", "ForAnyValue:StringEquals", M, ["Sign"], { [M]: [] }, false],
  [
    "ForAnyValue:StringNotEquals holds when some value avoids the list",
    "ForAnyValue:StringNotEquals",
    M,
    ["Decrypt"],
    { [M]: ["Encrypt", "Decrypt"] },
    true,
  ],
  ["ForAnyValue:StringEqualsIfExists is true for an absent key", "ForAnyValue:StringEqualsIfExists", M, ["Sign"], {}, true],
  [
    "a plain operator on a multi-valued key matches when any value matches",
    "StringEquals",
    M,
    "Decrypt",
    { [M]: ["Encrypt", "Decrypt"] },
    true,
  ],
  [
    "a plain negated operator on a multi-valued key needs every value to avoid the list",
    "StringNotEquals",
    M,
    "Decrypt",
    { [M]: ["Encrypt", "Decrypt"] },
    false,
  ],
  // Policy variables
  ["a policy variable is replaced by the request's value", "StringEquals", K, "${aws:username}", { [K]: "alice" }, true],
  ["a policy variable with another user's value does not match", "StringEquals", K, "${aws:username}", { [K]: "bob" }, false],
  ["a substituted value is literal, not a wildcard", "StringLike", K, "${test:pattern}", { [K]: "abc", "test:pattern": "a*" }, false],
  ["${*} is a literal asterisk", "StringEquals", K, "a${*}b", { [K]: "a*b" }, true],
  ["${*} does not act as a wildcard", "StringLike", K, "a${*}", { [K]: "abc" }, false],
  ["an unresolvable variable matches nothing", "StringEquals", K, "${test:absent}", { [K]: "" }, false],
  ["an unresolvable variable takes its default value", "StringEquals", K, "${test:absent, 'fallback'}", { [K]: "fallback" }, true],
];

describe("condition operators", () => {
  it.each(rows)("%s", (_name, op, key, values, extra, expected) => {
    expect(holds(op, key, values, extra)).toBe(expected);
  });
});

describe("condition keys and blocks", () => {
  it("compares condition key names case-insensitively", () => {
    expect(holds("StringEquals", "AWS:USERNAME", "alice")).toBe(true);
    expect(holds("StringEquals", "aws:UserName", "alice")).toBe(true);
  });

  it("compares condition values case-sensitively", () => {
    expect(holds("StringEquals", "aws:username", "Alice")).toBe(false);
  });

  it("ANDs several keys under one operator and several operators", () => {
    const context = ctx(ALICE, "kms:Encrypt", undefined, { sourceIp: "10.1.1.1", secureTransport: true });
    const clauses = [
      clause("StringEquals", "aws:username", "alice"),
      clause("IpAddress", "aws:SourceIp", "10.0.0.0/8"),
      clause("Bool", "aws:SecureTransport", "true"),
    ];
    expect(evaluateConditions(clauses, context)).toBe(true);
    const failing = [...clauses.slice(0, 2), clause("Bool", "aws:SecureTransport", "false")];
    expect(evaluateConditions(failing, context)).toBe(false);
  });

  it("holds for an empty condition block", () => {
    expect(evaluateConditions([], ctx(ALICE, "kms:Encrypt"))).toBe(true);
  });

  it("does not substitute variables when told the policy is version 2008-10-17", () => {
    const c = clause("StringEquals", "test:key", "${aws:username}");
    expect(evaluateClause(c, ctx(ALICE, "kms:Encrypt", undefined, { extra: { "test:key": "alice" } }), false)).toBe(false);
    expect(evaluateClause(c, ctx(ALICE, "kms:Encrypt", undefined, { extra: { "test:key": "${aws:username}" } }), false)).toBe(true);
  });

  it("resolves ${aws:userid} for a role session to the role ID and session name", () => {
    const c = clause("StringLike", "test:key", "AROA*:${aws:userid}");
    expect(
      evaluateClause(
        clause("StringEquals", "test:key", "${aws:userid}"),
        ctx(DEPLOYER, "kms:Encrypt", undefined, { extra: { "test:key": "AROAEXAMPLEEXAMPLE01:ci" } }),
      ),
    ).toBe(true);
    expect(evaluateClause(c, ctx(DEPLOYER, "kms:Encrypt", undefined, { extra: { "test:key": "x" } }))).toBe(false);
  });
});

describe("parseOperator", () => {
  it.each([
    ["StringEquals", "StringEquals", false, undefined],
    ["StringLikeIfExists", "StringLike", true, undefined],
    ["ForAllValues:StringEquals", "StringEquals", false, "ForAllValues"],
    ["ForAnyValue:ArnLikeIfExists", "ArnLike", true, "ForAnyValue"],
    ["Null", "Null", false, undefined],
  ] as const)("reads %s", (name, base, ifExists, qualifier) => {
    const op = parseOperator(name)!;
    expect(op.base).toBe(base);
    expect(op.ifExists).toBe(ifExists);
    expect(op.qualifier).toBe(qualifier);
  });

  it.each(["StringEqual", "ForSomeValues:StringEquals", "NullIfExists", "BinaryEqual", "", "IfExists"])("rejects %j", (name) => {
    expect(parseOperator(name)).toBeUndefined();
  });
});
