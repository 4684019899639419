import { describe, expect, it } from "vitest";
import {
  aliasArn,
  isKeyId,
  keyArn,
  parseAliasArn,
  parseKeyArn,
  referencedAliasArn,
  referencedKeyArn,
  resolveKeyReference,
} from "../../../src/arn.ts";
import { KmsError } from "../../../src/protocol/errors.ts";

const ID = "1234abcd-12ab-34cd-56ef-1234567890ab";
const R = "us-east-1";
const A = "111122223333";

describe("key and alias ARNs", () => {
  it("builds and parses a key ARN", () => {
    const arn = keyArn(R, A, ID);
    expect(arn).toBe(`arn:aws:kms:us-east-1:111122223333:key/${ID}`);
    expect(parseKeyArn(arn)).toEqual({ region: R, account: A, keyId: ID });
  });

  it("builds and parses an alias ARN keeping the alias/ prefix in the name", () => {
    const arn = aliasArn(R, A, "alias/my-key");
    expect(arn).toBe("arn:aws:kms:us-east-1:111122223333:alias/my-key");
    expect(parseAliasArn(arn)).toEqual({ region: R, account: A, aliasName: "alias/my-key" });
  });

  it.each([
    "arn:aws:kms:us-east-1:111122223333:key/not-a-uuid",
    "arn:aws:s3:us-east-1:111122223333:key/" + ID,
    "arn:aws:kms:us-east-1:1111:key/" + ID,
    "arn:aws:kms::111122223333:key/" + ID,
    "arn:aws:kms:us-east-1:111122223333:alias/x",
  ])("rejects %s as a key ARN", (arn) => {
    expect(parseKeyArn(arn)).toBeUndefined();
  });

  it("recognises key IDs", () => {
    expect(isKeyId(ID)).toBe(true);
    expect(isKeyId("mrk-1234abcd12ab34cd56ef1234567890ab")).toBe(true);
    expect(isKeyId("1234ABCD-12ab-34cd-56ef-1234567890ab")).toBe(false);
    expect(isKeyId("1234abcd")).toBe(false);
  });
});

describe("resolveKeyReference", () => {
  it("reads a key ID as a key in the caller's account and region", () => {
    const ref = resolveKeyReference(ID, R, A);
    expect(ref).toEqual({ kind: "keyId", keyId: ID, region: R, account: A });
    expect(referencedKeyArn(ref)).toBe(keyArn(R, A, ID));
  });

  it("reads a key ARN of another account as naming that account", () => {
    const arn = keyArn("eu-west-1", "444455556666", ID);
    const ref = resolveKeyReference(arn, R, A);
    expect(ref).toEqual({ kind: "keyArn", keyId: ID, region: "eu-west-1", account: "444455556666", arn });
    expect(referencedKeyArn(ref)).toBe(arn);
  });

  it("reads an alias name as an alias in the caller's account", () => {
    const ref = resolveKeyReference("alias/my-key", R, A);
    expect(ref).toEqual({ kind: "aliasName", aliasName: "alias/my-key", region: R, account: A });
    expect(referencedAliasArn(ref)).toBe(aliasArn(R, A, "alias/my-key"));
    expect(referencedKeyArn(ref)).toBeUndefined();
  });

  it("reads an alias ARN as naming its own account", () => {
    const arn = aliasArn(R, "444455556666", "alias/shared");
    expect(resolveKeyReference(arn, R, A)).toEqual({
      kind: "aliasArn",
      aliasName: "alias/shared",
      region: R,
      account: "444455556666",
      arn,
    });
  });

  it.each([
    "testkmskey",
    "alias/",
    "alias/has space",
    "arn:aws:kms:us-east-1:111122223333:key/nope",
    "arn:aws:kms:us-east-1:111122223333:grant/" + ID,
    "arn:aws:iam::111122223333:user/alice",
  ])("answers %j with NotFoundException 'Invalid keyId ...'", (keyId) => {
    let err: unknown;
    try {
      resolveKeyReference(keyId, R, A);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(KmsError);
    expect((err as KmsError).type).toBe("NotFoundException");
    expect((err as KmsError).message).toBe(`Invalid keyId ${keyId}`);
  });
});
