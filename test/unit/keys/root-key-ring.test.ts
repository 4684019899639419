/**
 * Root-key rotation's primitives (src/keys/root-key-ring.ts and its users): every seal names the
 * root key that made it and opens under that key while it is configured; records from before
 * rotation (no identifier) open under whichever configured key sealed them; re-sealing moves a
 * record under the current key; tokens, key-ID tags and fingerprint keys made under a previous
 * root key keep verifying while it is listed; decoded root keys are wiped after each use.
 */
import { describe, expect, it } from "vitest";
import { issueGrantToken, newGrantId, openGrantToken } from "../../../src/grants/token.ts";
import { isResealed, resealBackingKey, sealBackingKey, unsealBackingKey } from "../../../src/keys/backing-key.ts";
import {
  fingerprintUnder,
  issueImportToken,
  newFingerprintKey,
  newTokenId,
  openImportToken,
  sealWrappingKey,
  unsealWrappingKey,
  withFingerprintKey,
} from "../../../src/keys/import-token.ts";
import { isIssuedKeyId, newKeyId } from "../../../src/keys/key-id.ts";
import { fingerprintCandidates, resealFingerprintKey } from "../../../src/keys/material-fingerprints.ts";
import type { KeyRecord } from "../../../src/keys/key-records.ts";
import { previousSecrets, RootKeyUnavailable, ringOf, rootKeyIdOf, rootKeyRing } from "../../../src/keys/root-key-ring.ts";
import { materialFingerprint } from "../../../src/keys/import-token.ts";

const OLD = Uint8Array.from({ length: 32 }, (_, i) => i);
const NEW = Uint8Array.from({ length: 32 }, (_, i) => 100 + i);
const ARN = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const MATERIAL = Uint8Array.from({ length: 32 }, (_, i) => 7 * i);
const old = ringOf(OLD);
const rotating = ringOf(NEW, OLD);
const rotated = ringOf(NEW);
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");

describe("the root-key ring", () => {
  it("names each root key by a stable, non-secret identifier, the current one first", () => {
    expect(rootKeyIdOf(OLD)).toMatch(/^[0-9a-f]{16}$/);
    expect(rootKeyIdOf(OLD)).not.toBe(rootKeyIdOf(NEW));
    expect(rotating.currentId).toBe(rootKeyIdOf(NEW));
    expect(rotating.ids).toEqual([rootKeyIdOf(NEW), rootKeyIdOf(OLD)]);
    // The current key listed again among the previous ones is one key.
    expect(rootKeyRing(b64(NEW), ` ${b64(OLD)} ,${b64(NEW)},`).ids).toEqual(rotating.ids);
    expect(previousSecrets(undefined)).toEqual([]);
  });

  it("refuses a malformed previous key without echoing it", () => {
    expect(() => rootKeyRing(b64(NEW), "c2VjcmV0")).toThrow("ROOT_KEY_PREVIOUS entry 1 is not base64 of 32 bytes");
    expect(() => rootKeyRing(b64(NEW), "c2VjcmV0")).not.toThrow(/c2VjcmV0/);
    expect(() => rootKeyRing(undefined)).toThrow("ROOT_KEY is not configured");
  });

  it("hands out decoded copies that are wiped after use", () => {
    let seen: Uint8Array | undefined;
    rotating.withCurrent((key) => {
      seen = key;
      expect(key).toEqual(NEW);
    });
    expect(seen).toEqual(new Uint8Array(32));
    rotating.firstOf((key) => ((seen = key), undefined));
    expect(seen).toEqual(new Uint8Array(32));
  });
});

describe("sealed records across a rotation", () => {
  it("open under the root key they name while it is configured, and re-seal under the current one", () => {
    const sealed = sealBackingKey(old, ARN, 1, MATERIAL, 5);
    expect(sealed.rootKeyId).toBe(rootKeyIdOf(OLD));
    expect(unsealBackingKey(rotating, ARN, sealed)).toEqual(MATERIAL);
    expect(() => unsealBackingKey(rotated, ARN, sealed)).toThrow(RootKeyUnavailable);
    expect(isResealed(rotating, sealed)).toBe(false);

    const resealed = resealBackingKey(rotating, ARN, sealed);
    expect(resealed).toMatchObject({ version: 1, createdAt: 5, rootKeyId: rootKeyIdOf(NEW) });
    expect(isResealed(rotating, resealed)).toBe(true);
    expect(unsealBackingKey(rotated, ARN, resealed)).toEqual(MATERIAL);
  });

  it("open a record from before identifiers under whichever configured key sealed it", () => {
    const { rootKeyId: _, ...legacy } = sealBackingKey(old, ARN, 2, MATERIAL, 0);
    expect(unsealBackingKey(rotating, ARN, legacy)).toEqual(MATERIAL);
    expect(() => unsealBackingKey(rotated, ARN, legacy)).toThrow("does not open under any configured root key");
    expect(resealBackingKey(rotating, ARN, legacy).rootKeyId).toBe(rootKeyIdOf(NEW));
  });

  it("keep wrapping keys openable under the key that sealed them", () => {
    const tokenId = newTokenId();
    const sealed = sealWrappingKey(old, ARN, tokenId, MATERIAL);
    expect(unsealWrappingKey(rotating, ARN, tokenId, sealed)).toEqual(MATERIAL);
    expect(() => unsealWrappingKey(rotated, ARN, tokenId, sealed)).toThrow(RootKeyUnavailable);
  });
});

describe("tokens and tags across a rotation", () => {
  it("grant and import tokens issued under a previous key verify while it is listed", () => {
    const grantId = newGrantId();
    const grantToken = issueGrantToken(old, { keyArn: ARN, grantId });
    expect(openGrantToken(rotating, grantToken)).toEqual({ keyArn: ARN, grantId });
    expect(openGrantToken(rotated, grantToken)).toBeUndefined();
    const claims = { tokenId: newTokenId(), validTo: 1, algorithm: "RSAES_OAEP_SHA_256" as const, publicKeyHash: new Uint8Array(32) };
    const importToken = issueImportToken(old, ARN, claims);
    expect(openImportToken(rotating, ARN, importToken)).toEqual(claims);
    expect(openImportToken(rotated, ARN, importToken)).toBeUndefined();
    // New tokens are under the current key.
    expect(openGrantToken(rotated, issueGrantToken(rotating, { keyArn: ARN, grantId }))).toEqual({ keyArn: ARN, grantId });
  });

  it("key IDs tagged under a previous key are recognised while it is listed (then the directory answers)", () => {
    const keyId = newKeyId(old, "111122223333", "us-east-1");
    expect(isIssuedKeyId(rotating, "111122223333", "us-east-1", keyId)).toBe(true);
    expect(isIssuedKeyId(rotated, "111122223333", "us-east-1", keyId)).toBe(false);
    expect(isIssuedKeyId(rotating, "111122223333", "us-east-1", crypto.randomUUID())).toBe(false);
  });
});

describe("material fingerprints across a rotation", () => {
  const record = (changes: Partial<KeyRecord>) => ({ arn: ARN, ...changes }) as KeyRecord;

  it("stay the same when the key's fingerprint key is re-sealed under a new root key", () => {
    const fingerprintKey = newFingerprintKey(old, ARN);
    const before = fingerprintCandidates(rotating, record({ fingerprintKey }), MATERIAL);
    expect(before).toHaveLength(1);
    const resealed = resealFingerprintKey(rotating, record({ fingerprintKey }))!;
    expect(resealed.rootKeyId).toBe(rootKeyIdOf(NEW));
    expect(fingerprintCandidates(rotated, record({ fingerprintKey: resealed }), MATERIAL)).toEqual(before);
    expect(withFingerprintKey(rotated, ARN, resealed, (k) => fingerprintUnder(k, ARN, MATERIAL))).toEqual(before[0]);
  });

  it("of keys from before fingerprint keys are matched under every configured root key", () => {
    const legacy = materialFingerprint(OLD, ARN, MATERIAL);
    const candidates = fingerprintCandidates(rotating, record({ materialFingerprint: legacy }), MATERIAL);
    expect(candidates).toHaveLength(2);
    expect(candidates[1]).toEqual(legacy);
  });
});
