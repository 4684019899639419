/**
 * Grant tokens (src/grants/token.ts): they name the key and grant they were issued for, a fresh
 * one each time, and anything altered, truncated, forged or issued under another root key fails.
 */
import { describe, expect, it } from "vitest";
import { ringOf } from "../../../src/keys/root-key-ring.ts";
import { isGrantId, issueGrantToken, newGrantId, openGrantToken } from "../../../src/grants/token.ts";

const ROOT = new Uint8Array(32).fill(7);
const OTHER_ROOT = new Uint8Array(32).fill(8);
const KEY = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

describe("grant IDs", () => {
  it("are 64 lowercase hex digits and differ each time", () => {
    const a = newGrantId();
    const b = newGrantId();
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(a).not.toBe(b);
    expect(isGrantId(a)).toBe(true);
    expect(isGrantId(a.toUpperCase())).toBe(false);
    expect(isGrantId(a.slice(1))).toBe(false);
  });
});

describe("grant tokens", () => {
  it("open to the key ARN and grant ID they were issued for", () => {
    const grantId = newGrantId();
    const token = issueGrantToken(ringOf(ROOT), { keyArn: KEY, grantId });
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(openGrantToken(ringOf(ROOT), token)).toEqual({ keyArn: KEY, grantId });
  });

  it("are fresh for every issue, even for the same grant", () => {
    const grantId = newGrantId();
    const a = issueGrantToken(ringOf(ROOT), { keyArn: KEY, grantId });
    const b = issueGrantToken(ringOf(ROOT), { keyArn: KEY, grantId });
    expect(a).not.toBe(b);
    expect(openGrantToken(ringOf(ROOT), a)).toEqual(openGrantToken(ringOf(ROOT), b));
  });

  it("fail to open when any character is changed, when truncated or extended, or under another root key", () => {
    const token = issueGrantToken(ringOf(ROOT), { keyArn: KEY, grantId: newGrantId() });
    for (let i = 0; i < token.length; i++) {
      const c = token[i] === "A" ? "B" : "A";
      const altered = token.slice(0, i) + c + token.slice(i + 1);
      expect(openGrantToken(ringOf(ROOT), altered)).toBeUndefined();
    }
    expect(openGrantToken(ringOf(ROOT), token.slice(0, -4))).toBeUndefined();
    expect(openGrantToken(ringOf(ROOT), token + "AAAA")).toBeUndefined();
    expect(openGrantToken(ringOf(OTHER_ROOT), token)).toBeUndefined();
  });

  it("reject text that is not base64url or is empty", () => {
    expect(openGrantToken(ringOf(ROOT), "")).toBeUndefined();
    expect(openGrantToken(ringOf(ROOT), "not a token!")).toBeUndefined();
    expect(openGrantToken(ringOf(ROOT), "A".repeat(200))).toBeUndefined();
  });

  it("cannot be issued for a malformed grant ID", () => {
    expect(() => issueGrantToken(ringOf(ROOT), { keyArn: KEY, grantId: "xyz" })).toThrow();
  });
});
