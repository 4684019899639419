/**
 * The root key and its subkeys (src/keys/root-key.ts) and the backing-key seal formats
 * (src/keys/backing-key.ts), issue 11 item 12: the root key is never an AES or HMAC key itself,
 * each purpose has its own HKDF subkey (cross-checked against node:crypto's HKDF), and state
 * written before — a format 1 backing key, grant and import tokens, a sealed wrapping key, a
 * material fingerprint, all produced by the code as it was, under the e2e tests' root key — still
 * opens or compares equal.
 */
import { hkdfSync } from "node:crypto";
import { ringOf } from "../../../src/keys/root-key-ring.ts";
import { describe, expect, it } from "vitest";
import { aesGcmDecrypt } from "../../../src/crypto/index.ts";
import { openGrantToken } from "../../../src/grants/token.ts";
import { isCurrentSeal, newBackingKey, sealBackingKey, unsealBackingKey, type SealedBackingKey } from "../../../src/keys/backing-key.ts";
import { materialFingerprint, openImportToken, unsealWrappingKey } from "../../../src/keys/import-token.ts";
import {
  decodeRootKey,
  deriveSubkey,
  ROOT_KEY_PURPOSES,
  withRootKey,
  withSubkey,
  type RootKeyPurpose,
} from "../../../src/keys/root-key.ts";

const SECRET = "dGVzdC1yb290LWtleS0tMzItYnl0ZXMtb2YtZW50cm8="; // test/e2e/local-worker.ts TEST_ROOT_KEY
const ROOT = decodeRootKey(SECRET);
const ARN = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const MATERIAL = Uint8Array.from({ length: 32 }, (_, i) => i);
const hex = (s: string) => Uint8Array.from(Buffer.from(s, "hex"));
const toHex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const utf8 = (s: string) => new TextEncoder().encode(s);

/** Written by sealBackingKey before subkeys existed (root key as the AES key, no format field). */
const FORMAT_1_RECORD: SealedBackingKey = {
  version: 3,
  iv: hex("f59da60cf21042fb46f5fabe"),
  sealed: hex("3dd8e3e9f742f932f2765c99bf859daf75a90209b3e9f789b10f515a4d2f175c46dadcab9b186fc0dd2b2647c4fab111"),
  createdAt: 1700000000000,
};

describe("subkeys", () => {
  const purposes = Object.keys(ROOT_KEY_PURPOSES) as RootKeyPurpose[];

  it.each(purposes)("%s is HKDF-SHA256(root key, empty salt, its label), as node:crypto computes it", (purpose) => {
    const expected = new Uint8Array(hkdfSync("sha256", ROOT, new Uint8Array(0), utf8(ROOT_KEY_PURPOSES[purpose]), 32));
    expect(toHex(deriveSubkey(ROOT, purpose))).toBe(toHex(expected));
  });

  it("are all different from each other and from the root key", () => {
    const all = [toHex(ROOT), ...purposes.map((p) => toHex(deriveSubkey(ROOT, p)))];
    expect(new Set(all).size).toBe(all.length);
    expect(new Set(Object.values(ROOT_KEY_PURPOSES)).size).toBe(purposes.length);
  });

  it("are wiped after use, also when the use throws or returns a promise", async () => {
    let seen: Uint8Array | undefined;
    expect(withSubkey(ROOT, "grantToken", (k) => ((seen = k), k.slice()))).toEqual(deriveSubkey(ROOT, "grantToken"));
    expect(seen!.every((b) => b === 0)).toBe(true);
    expect(() =>
      withSubkey(
        ROOT,
        "grantToken",
        (k) => (
          (seen = k),
          (() => {
            throw new Error("boom");
          })()
        ),
      ),
    ).toThrow("boom");
    expect(seen!.every((b) => b === 0)).toBe(true);
    const pending = withSubkey(ROOT, "grantToken", async (k) => ((seen = k), await Promise.resolve(), k[0]));
    expect(seen!.some((b) => b !== 0)).toBe(true); // still in use until the promise settles
    expect(await pending).toBe(deriveSubkey(ROOT, "grantToken")[0]);
    expect(seen!.every((b) => b === 0)).toBe(true);
  });

  it("withRootKey hands out a decoded copy and wipes it", () => {
    let seen: Uint8Array | undefined;
    const out = withRootKey(SECRET, (root) => ((seen = root), toHex(root)));
    expect(out).toBe(toHex(ROOT));
    expect(seen!.every((b) => b === 0)).toBe(true);
    expect(ROOT.some((b) => b !== 0)).toBe(true); // other copies are untouched
  });

  it("refuses a missing or malformed root key", () => {
    expect(() => decodeRootKey(undefined)).toThrow("ROOT_KEY is not configured");
    expect(() => decodeRootKey("not base64!")).toThrow("ROOT_KEY is not valid base64");
    expect(() => decodeRootKey(btoa("short"))).toThrow("ROOT_KEY must be 32 bytes");
    expect(() => deriveSubkey(new Uint8Array(16), "grantToken")).toThrow();
  });
});

describe("backing key seals", () => {
  it("are format 2, under the backingKeySeal subkey, never under the root key itself", () => {
    const record = sealBackingKey(ringOf(ROOT), ARN, 1, MATERIAL, 0);
    expect(record.format).toBe(2);
    expect(isCurrentSeal(record)).toBe(true);
    const aad = utf8(`edgekms backing key v2\n${ARN}\n1`);
    expect(toHex(aesGcmDecrypt(deriveSubkey(ROOT, "backingKeySeal"), record.iv, record.sealed, aad))).toBe(toHex(MATERIAL));
    expect(() => aesGcmDecrypt(ROOT, record.iv, record.sealed, aad)).toThrow();
    expect(() => aesGcmDecrypt(ROOT, record.iv, record.sealed, utf8(`edgekms backing key v1\n${ARN}\n1`))).toThrow();
    expect(toHex(unsealBackingKey(ringOf(ROOT), ARN, record))).toBe(toHex(MATERIAL));
  });

  it("still open format 1 records, written before subkeys, so existing state keeps working", () => {
    expect(isCurrentSeal(FORMAT_1_RECORD)).toBe(false);
    expect(toHex(unsealBackingKey(ringOf(ROOT), ARN, FORMAT_1_RECORD))).toBe(toHex(MATERIAL));
  });

  it("cannot be opened under the other format's rules, for another key or version, or in an unknown format", () => {
    const record = newBackingKey(ringOf(ROOT), ARN, 3, 0);
    const { format: _format, ...asFormat1 } = record;
    expect(() => unsealBackingKey(ringOf(ROOT), ARN, asFormat1)).toThrow();
    expect(() => unsealBackingKey(ringOf(ROOT), ARN, { ...FORMAT_1_RECORD, format: 2 })).toThrow();
    expect(() => unsealBackingKey(ringOf(ROOT), ARN, { ...record, format: 3 })).toThrow("unknown backing key seal format 3");
    expect(() => unsealBackingKey(ringOf(ROOT), ARN.replace("1234abcd", "1234abce"), record)).toThrow();
    expect(() => unsealBackingKey(ringOf(ROOT), ARN, { ...record, version: 4 })).toThrow();
    expect(() => unsealBackingKey(ringOf(decodeRootKey(btoa("x".repeat(32)))), ARN, record)).toThrow();
  });
});

describe("tokens and fingerprints made before this change", () => {
  it("a grant token still opens", () => {
    const token =
      "Aaurq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urp-auDnDJiFn_D0NunalzZwBLYXJuOmF3czprbXM6dXMtZWFzdC0xOjExMTEyMjIyMzMzMzprZXkvMTIzNGFiY2QtMTJhYi0zNGNkLTU2ZWYtMTIzNDU2Nzg5MGFiKnEP1D5PUQBIpe-58odTgh--yQS5FGvoJE7CpyiQq-0";
    expect(openGrantToken(ringOf(ROOT), token)).toEqual({ keyArn: ARN, grantId: "ab".repeat(32) });
  });

  it("an import token still opens", () => {
    const token = hex(
      "01cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd0000018bcfe5680001070707070707070707070707070707070707070707070707070707070707070762802dd06671740dc619a7ed96e0e05eca5bd8b63943eb8dfc67e766555dcaf1",
    );
    expect(openImportToken(ringOf(ROOT), ARN, token)).toEqual({
      tokenId: "cd".repeat(16),
      validTo: 1700000000000,
      algorithm: "RSAES_OAEP_SHA_256",
      publicKeyHash: new Uint8Array(32).fill(7),
    });
  });

  it("a sealed wrapping key still opens", () => {
    const record = { iv: hex("1b4bb25701c0aba5f84c4f2d"), sealed: hex("8eb4245983e2b5c8c07c0b6b84cb98767cca873c43") };
    expect(unsealWrappingKey(ringOf(ROOT), ARN, "cd".repeat(16), record)).toEqual(new Uint8Array([1, 2, 3, 4, 5]));
  });

  it("a stored material fingerprint still matches the same material", () => {
    expect(toHex(materialFingerprint(ROOT, ARN, MATERIAL))).toBe("e0fcfc87b9ba82773ac62d8e517a6c219631f807ab91bb0b88ac5b737c9ab64b");
  });
});
