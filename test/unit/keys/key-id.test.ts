/**
 * Issued key IDs (src/keys/key-id.ts): AWS's UUID shape, verifiable without any store, bound to
 * the root key, the account and the Region.
 */
import { describe, expect, it } from "vitest";
import { ringOf } from "../../../src/keys/root-key-ring.ts";
import { isIssuedKeyId, newKeyId, newMultiRegionKeyId } from "../../../src/keys/key-id.ts";

const ROOT = new Uint8Array(32).fill(7);
const OTHER_ROOT = new Uint8Array(32).fill(8);

describe("issued key IDs", () => {
  it("look like AWS's version-4 UUIDs and verify for their own account and Region only", () => {
    for (let i = 0; i < 200; i++) {
      const id = newKeyId(ringOf(ROOT), "111122223333", "us-east-1");
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(isIssuedKeyId(ringOf(ROOT), "111122223333", "us-east-1", id)).toBe(true);
      expect(isIssuedKeyId(ringOf(ROOT), "444455556666", "us-east-1", id)).toBe(false);
      expect(isIssuedKeyId(ringOf(ROOT), "111122223333", "us-west-2", id)).toBe(false);
      expect(isIssuedKeyId(ringOf(OTHER_ROOT), "111122223333", "us-east-1", id)).toBe(false);
    }
  });

  it("refuses random UUIDs and every single-character change of an issued one", () => {
    for (let i = 0; i < 200; i++) expect(isIssuedKeyId(ringOf(ROOT), "111122223333", "us-east-1", crypto.randomUUID())).toBe(false);
    const id = newKeyId(ringOf(ROOT), "111122223333", "us-east-1");
    for (let i = 0; i < id.length; i++) {
      if (id[i] === "-") continue;
      const changed = id.slice(0, i) + (id[i] === "0" ? "1" : "0") + id.slice(i + 1);
      expect(isIssuedKeyId(ringOf(ROOT), "111122223333", "us-east-1", changed), changed).toBe(false);
    }
    expect(isIssuedKeyId(ringOf(ROOT), "111122223333", "us-east-1", "mrk-1234abcd12ab34cd56ef1234567890ab")).toBe(false);
    expect(isIssuedKeyId(ringOf(ROOT), "111122223333", "us-east-1", id.toUpperCase())).toBe(false);
  });

  it("issue multi-Region key IDs that verify in every Region of their account only", () => {
    for (let i = 0; i < 100; i++) {
      const id = newMultiRegionKeyId(ringOf(ROOT), "111122223333");
      expect(id).toMatch(/^mrk-[0-9a-f]{32}$/);
      for (const region of ["us-east-1", "us-west-2", "eu-west-1"])
        expect(isIssuedKeyId(ringOf(ROOT), "111122223333", region, id)).toBe(true);
      expect(isIssuedKeyId(ringOf(ROOT), "444455556666", "us-east-1", id)).toBe(false);
      expect(isIssuedKeyId(ringOf(OTHER_ROOT), "111122223333", "us-east-1", id)).toBe(false);
    }
    const id = newMultiRegionKeyId(ringOf(ROOT), "111122223333");
    for (let i = 4; i < id.length; i++) {
      const changed = id.slice(0, i) + (id[i] === "0" ? "1" : "0") + id.slice(i + 1);
      expect(isIssuedKeyId(ringOf(ROOT), "111122223333", "us-east-1", changed), changed).toBe(false);
    }
  });

  it("remember genuine IDs per ring and per account and Region, and never a refusal", () => {
    const ring = ringOf(ROOT);
    const id = newKeyId(ring, "111122223333", "us-east-1");
    for (let i = 0; i < 3; i++) {
      expect(isIssuedKeyId(ring, "111122223333", "us-east-1", id)).toBe(true);
      expect(isIssuedKeyId(ring, "444455556666", "us-east-1", id)).toBe(false);
      expect(isIssuedKeyId(ring, "111122223333", "us-west-2", id)).toBe(false);
      expect(isIssuedKeyId(ringOf(OTHER_ROOT), "111122223333", "us-east-1", id)).toBe(false);
    }
    const made = crypto.randomUUID();
    expect(isIssuedKeyId(ring, "111122223333", "us-east-1", made)).toBe(false);
    expect(isIssuedKeyId(ring, "111122223333", "us-east-1", made)).toBe(false);
    // Past the bound, older entries leave and are simply checked again.
    const many = Array.from({ length: 4200 }, () => newKeyId(ring, "111122223333", "us-east-1"));
    for (const other of many) expect(isIssuedKeyId(ring, "111122223333", "us-east-1", other)).toBe(true);
    expect(isIssuedKeyId(ring, "111122223333", "us-east-1", id)).toBe(true);
    expect(isIssuedKeyId(ring, "111122223333", "us-east-1", many[0]!)).toBe(true);
  });
});
