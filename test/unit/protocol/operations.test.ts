import { describe, expect, it } from "vitest";
import { OPERATIONS, parseTarget } from "../../../src/protocol/operations.ts";
import { KmsError } from "../../../src/protocol/errors.ts";

function errorOf(fn: () => unknown): KmsError {
  try {
    fn();
  } catch (e) {
    if (e instanceof KmsError) return e;
    throw e;
  }
  throw new Error("expected a KmsError");
}

describe("parseTarget", () => {
  it.each(["Encrypt", "CreateKey", "ListRetirableGrants", "Sign", "DeriveSharedSecret"])("accepts TrentService.%s", (op) => {
    expect(parseTarget(`TrentService.${op}`)).toBe(op);
  });

  it.each([null, "", "Encrypt", "TrentService.", "TrentService.encrypt", "Kinesis_20131202.Encrypt", "TrentService.Nope"])(
    "rejects %j with UnknownOperationException",
    (header) => {
      const err = errorOf(() => parseTarget(header));
      expect(err.type).toBe("UnknownOperationException");
      expect(err.status).toBe(400);
    },
  );

  it("knows every operation of the official SDK's KMS client", async () => {
    const sdk = await import("@aws-sdk/client-kms");
    const commands = Object.keys(sdk)
      .filter((k) => /^[A-Z][A-Za-z]+Command$/.test(k))
      .map((k) => k.slice(0, -"Command".length))
      .sort();
    expect([...OPERATIONS].sort()).toEqual(commands);
  });
});
