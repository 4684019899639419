/**
 * Grant parameter rules and the "equally or more restrictive" relation of the guide's "Using
 * Grants" (src/grants/rules.ts).
 */
import { describe, expect, it } from "vitest";
import {
  constraintsAtLeastAsStrict,
  constraintType,
  isNarrowerOrEqual,
  isValidGrantPrincipal,
  normaliseConstraints,
  validateGrantParameters,
} from "../../../src/grants/rules.ts";
import { KmsError } from "../../../src/protocol/errors.ts";

const subset = (m: Record<string, string>) => ({ encryptionContextSubset: m });
const equals = (m: Record<string, string>) => ({ encryptionContextEquals: m });

describe("grant principals", () => {
  it.each([
    ["arn:aws:iam::111122223333:root", true],
    ["arn:aws:iam::111122223333:user/alice", true],
    ["arn:aws:iam::111122223333:role/app", true],
    ["arn:aws:sts::111122223333:assumed-role/app/session", true],
    ["111122223333", true],
    ["ec2.us-east-1.amazonaws.com", true],
    ["*", false],
    ["arn:aws:iam::111122223333:group/admins", false],
    ["alice", false],
  ])("%s is %s", (principal, valid) => {
    expect(isValidGrantPrincipal(principal)).toBe(valid);
  });
});

describe("constraints", () => {
  it("treat empty maps as not specified", () => {
    expect(normaliseConstraints({ EncryptionContextSubset: {} })).toBeUndefined();
    expect(normaliseConstraints({ EncryptionContextEquals: { a: "1" }, EncryptionContextSubset: {} })).toEqual(equals({ a: "1" }));
    expect(constraintType(normaliseConstraints({ EncryptionContextSubset: { a: "1" } }))).toBe("EncryptionContextSubset");
    expect(constraintType(undefined)).toBeUndefined();
  });

  const check = (operations: string[], constraints?: object) =>
    validateGrantParameters({ granteePrincipal: "arn:aws:iam::111122223333:user/bob", operations, constraints: constraints as never });

  it("are allowed with operations that take an encryption context, and with DescribeKey, CreateGrant, RetireGrant", () => {
    expect(() =>
      check(["Encrypt", "Decrypt", "ReEncryptFrom", "GenerateDataKey", "DescribeKey", "CreateGrant", "RetireGrant"], subset({ a: "1" })),
    ).not.toThrow();
  });

  it("are refused with operations that take no encryption context", () => {
    for (const op of ["Sign", "Verify", "GetPublicKey", "GenerateMac"]) {
      expect(() => check(["Decrypt", op], subset({ a: "1" }))).toThrowError(KmsError);
    }
    expect(() => check(["Sign"])).not.toThrow();
  });

  it("may not combine EncryptionContextEquals and EncryptionContextSubset", () => {
    expect(() => check(["Decrypt"], { ...subset({ a: "1" }), ...equals({ a: "1" }) })).toThrowError(/only one/);
  });

  it("refuse an invalid grantee or retiring principal and an empty operation list", () => {
    expect(() => validateGrantParameters({ granteePrincipal: "bob", operations: ["Decrypt"], constraints: undefined })).toThrowError(
      /GranteePrincipal/,
    );
    expect(() =>
      validateGrantParameters({
        granteePrincipal: "111122223333",
        retiringPrincipal: "*",
        operations: ["Decrypt"],
        constraints: undefined,
      }),
    ).toThrowError(/RetiringPrincipal/);
    expect(() => check([])).toThrowError(/at least one/);
  });
});

describe("narrower or equal grants", () => {
  const parent = { operations: ["Encrypt", "Decrypt", "CreateGrant"], constraints: subset({ Department: "Finance" }) };

  it("allow a subset of the operations with the same constraints", () => {
    expect(isNarrowerOrEqual({ operations: ["Decrypt"], constraints: subset({ Department: "Finance" }) }, parent)).toBe(true);
    expect(isNarrowerOrEqual(parent, parent)).toBe(true);
  });

  it("refuse an operation the parent does not have", () => {
    expect(isNarrowerOrEqual({ operations: ["Decrypt", "ReEncryptFrom"], constraints: subset({ Department: "Finance" }) }, parent)).toBe(
      false,
    );
  });

  it("allow adding pairs to a subset constraint, or turning it into an equals constraint that contains it", () => {
    expect(constraintsAtLeastAsStrict(subset({ Department: "Finance", Project: "x" }), subset({ Department: "Finance" }))).toBe(true);
    expect(constraintsAtLeastAsStrict(equals({ Department: "Finance", Project: "x" }), subset({ Department: "Finance" }))).toBe(true);
  });

  it("compare constraint keys case-insensitively and values exactly", () => {
    expect(constraintsAtLeastAsStrict(subset({ department: "Finance" }), subset({ Department: "Finance" }))).toBe(true);
    expect(constraintsAtLeastAsStrict(subset({ Department: "finance" }), subset({ Department: "Finance" }))).toBe(false);
  });

  it("refuse dropping, loosening or changing constraints", () => {
    expect(constraintsAtLeastAsStrict(undefined, subset({ Department: "Finance" }))).toBe(false);
    expect(constraintsAtLeastAsStrict(subset({ Project: "x" }), subset({ Department: "Finance" }))).toBe(false);
    expect(constraintsAtLeastAsStrict(subset({ Department: "Finance" }), equals({ Department: "Finance" }))).toBe(false);
    expect(constraintsAtLeastAsStrict(equals({ Department: "Finance", Project: "x" }), equals({ Department: "Finance" }))).toBe(false);
    expect(constraintsAtLeastAsStrict(equals({ Department: "Finance" }), equals({ Department: "Finance" }))).toBe(true);
  });

  it("allow any constraints under an unconstrained parent", () => {
    expect(constraintsAtLeastAsStrict(undefined, undefined)).toBe(true);
    expect(constraintsAtLeastAsStrict(equals({ a: "1" }), undefined)).toBe(true);
  });
});
