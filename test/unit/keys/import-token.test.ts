/**
 * Import tokens, sealed wrapping keys and material fingerprints (src/keys/import-token.ts): a token
 * opens only for the key it was issued for, under the root key that issued it, unaltered.
 */
import { describe, expect, it } from "vitest";
import { ringOf } from "../../../src/keys/root-key-ring.ts";
import {
  IMPORT_TOKEN_LENGTH,
  issueImportToken,
  materialFingerprint,
  newTokenId,
  openImportToken,
  publicKeyHash,
  sealWrappingKey,
  unsealWrappingKey,
  type ImportTokenClaims,
} from "../../../src/keys/import-token.ts";

const ROOT = Uint8Array.from({ length: 32 }, (_, i) => i);
const OTHER_ROOT = Uint8Array.from({ length: 32 }, (_, i) => 255 - i);
const ARN = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const OTHER_ARN = "arn:aws:kms:us-east-1:111122223333:key/0987dcba-09fe-87dc-65ba-ab0987654321";

function claims(): ImportTokenClaims {
  return {
    tokenId: newTokenId(),
    validTo: Date.UTC(2030, 0, 1, 12, 0, 0, 123),
    algorithm: "RSAES_PKCS1_V1_5",
    publicKeyHash: publicKeyHash(new TextEncoder().encode("spki")),
  };
}

describe("import tokens", () => {
  it("round-trip their claims for the key they were issued for", () => {
    const c = claims();
    const token = issueImportToken(ringOf(ROOT), ARN, c);
    expect(token.length).toBe(IMPORT_TOKEN_LENGTH);
    expect(openImportToken(ringOf(ROOT), ARN, token)).toEqual(c);
  });

  it("do not open for another key, under another root key, or when any byte is altered or missing", () => {
    const token = issueImportToken(ringOf(ROOT), ARN, claims());
    expect(openImportToken(ringOf(ROOT), OTHER_ARN, token)).toBeUndefined();
    expect(openImportToken(ringOf(OTHER_ROOT), ARN, token)).toBeUndefined();
    for (let i = 0; i < token.length; i++) {
      const altered = token.slice();
      altered[i]! ^= 0x01;
      expect(openImportToken(ringOf(ROOT), ARN, altered)).toBeUndefined();
    }
    expect(openImportToken(ringOf(ROOT), ARN, token.subarray(0, token.length - 1))).toBeUndefined();
    expect(openImportToken(ringOf(ROOT), ARN, new Uint8Array(IMPORT_TOKEN_LENGTH))).toBeUndefined();
  });

  it("carry each wrapping algorithm distinctly", () => {
    for (const algorithm of ["RSAES_OAEP_SHA_256", "RSAES_OAEP_SHA_1", "RSAES_PKCS1_V1_5"] as const) {
      const c = { ...claims(), algorithm };
      expect(openImportToken(ringOf(ROOT), ARN, issueImportToken(ringOf(ROOT), ARN, c))?.algorithm).toBe(algorithm);
    }
  });
});

describe("sealed wrapping keys", () => {
  it("unseal only for the same key and token ID", () => {
    const secret = crypto.getRandomValues(new Uint8Array(1200));
    const tokenId = newTokenId();
    const sealed = sealWrappingKey(ringOf(ROOT), ARN, tokenId, secret);
    expect(Buffer.from(sealed.sealed).includes(Buffer.from(secret.subarray(0, 32)))).toBe(false);
    expect(unsealWrappingKey(ringOf(ROOT), ARN, tokenId, sealed)).toEqual(secret);
    expect(() => unsealWrappingKey(ringOf(ROOT), OTHER_ARN, tokenId, sealed)).toThrow();
    expect(() => unsealWrappingKey(ringOf(ROOT), ARN, newTokenId(), sealed)).toThrow();
    expect(() => unsealWrappingKey(ringOf(OTHER_ROOT), ARN, tokenId, sealed)).toThrow();
  });
});

describe("material fingerprints", () => {
  it("are equal for the same material and key, and differ across material, keys and root keys", () => {
    const material = crypto.getRandomValues(new Uint8Array(32));
    const fp = materialFingerprint(ROOT, ARN, material);
    expect(materialFingerprint(ROOT, ARN, material.slice())).toEqual(fp);
    expect(materialFingerprint(ROOT, OTHER_ARN, material)).not.toEqual(fp);
    expect(materialFingerprint(OTHER_ROOT, ARN, material)).not.toEqual(fp);
    const flipped = material.slice();
    flipped[31]! ^= 1;
    expect(materialFingerprint(ROOT, ARN, flipped)).not.toEqual(fp);
    expect(Buffer.from(fp).includes(Buffer.from(material.subarray(0, 8)))).toBe(false);
  });
});
