/**
 * Seed file parsing (src/seed/seed-file.ts): every refusal names the entry and what is wrong.
 */
import { describe, expect, it } from "vitest";
import { parseSeed } from "../../../src/seed/seed-file.ts";

const KEY_ID = "0f1e2d3c-4b5a-4697-8877-665544332211";
const material = btoa("m".repeat(32));

function refusal(document: unknown): string {
  try {
    parseSeed(document);
    return "accepted";
  } catch (err) {
    return (err as Error).message;
  }
}

describe("parseSeed", () => {
  it("reads a key with defaults for everything but its ID", () => {
    const [key] = parseSeed({ keys: [{ keyId: KEY_ID }] });
    expect(key).toMatchObject({
      entry: "keys[0]",
      keyId: KEY_ID,
      description: "",
      origin: "AWS_KMS",
      enabled: true,
      rotation: false,
      tags: [],
      aliases: [],
      grants: [],
    });
    expect(key!.material).toBeUndefined();
    expect(key!.policy).toBeUndefined();
  });

  it("keeps material as bytes, the policy as text and tags as AWS's Tag list", () => {
    const [key] = parseSeed({ keys: [{ keyId: KEY_ID, material, policy: { Version: "2012-10-17", Statement: [] }, tags: { a: "1" } }] });
    expect(key!.material).toEqual(new Uint8Array(32).fill("m".charCodeAt(0)));
    expect(JSON.parse(key!.policy!)).toEqual({ Version: "2012-10-17", Statement: [] });
    expect(key!.tags).toEqual([{ TagKey: "a", TagValue: "1" }]);
  });

  it.each([
    [{}, 'Seed file: must be an object with a "keys" list.'],
    [{ keys: [{}] }, "Seed keys[0]: keyId must be a key ID (a UUID)."],
    [{ keys: [{ keyId: KEY_ID, colour: "red" }] }, 'Seed keys[0]: unknown member "colour".'],
    [{ keys: [{ keyId: KEY_ID, material: btoa("short") }] }, "Seed keys[0]: material must be base64 of 32 bytes."],
    [{ keys: [{ keyId: KEY_ID, origin: "EXTERNAL" }] }, "Seed keys[0]: an EXTERNAL key needs its material."],
    [
      { keys: [{ keyId: KEY_ID, keySpec: "RSA_2048" }] },
      "Seed keys[0]: keyUsage must be one of ENCRYPT_DECRYPT, SIGN_VERIFY for keySpec RSA_2048.",
    ],
    [{ keys: [{ keyId: KEY_ID, keySpec: "SM2" }] }, 'Seed keys[0]: keySpec "SM2" is not supported.'],
    [
      { keys: [{ keyId: KEY_ID, keySpec: "HMAC_256", material: btoa("short") }] },
      "Seed keys[0]: material must be base64 of an HMAC key that HMAC_256 accepts.",
    ],
    [
      { keys: [{ keyId: KEY_ID, keySpec: "ECC_NIST_P256", keyUsage: "SIGN_VERIFY", origin: "EXTERNAL", material }] },
      "Seed keys[0]: only SYMMETRIC_DEFAULT and HMAC keys can have origin EXTERNAL.",
    ],
    [
      { keys: [{ keyId: KEY_ID, keySpec: "HMAC_256", rotation: true }] },
      "Seed keys[0]: automatic rotation is available for SYMMETRIC_DEFAULT keys only.",
    ],
    [{ keys: [{ keyId: KEY_ID }, { keyId: KEY_ID }] }, `Seed keys[1]: key ${KEY_ID} is declared twice.`],
    [
      { keys: [{ keyId: KEY_ID, grants: [{ granteePrincipal: "111122223333", operations: ["Encrypt"] }] }] },
      "Seed keys[0].grants[0]: a seeded grant needs a name.",
    ],
    [{ keys: [{ keyId: KEY_ID, account: "12" }] }, "Seed keys[0]: account must be a 12-digit account ID."],
  ])("refuses %j", (document, message) => {
    expect(refusal(document)).toBe(message);
  });

  it("reads every key spec, with the usage defaulted where the spec has only one", () => {
    const [hmac, ed25519, rsa] = parseSeed({
      keys: [
        { keyId: KEY_ID, keySpec: "HMAC_384", material: btoa("h".repeat(48)) },
        { keyId: "11111111-2222-4333-8444-555555555555", keySpec: "ECC_NIST_EDWARDS25519" },
        { keyId: "21111111-2222-4333-8444-555555555555", keySpec: "RSA_2048", keyUsage: "SIGN_VERIFY" },
      ],
    });
    expect(hmac).toMatchObject({ keySpec: "HMAC_384", keyUsage: "GENERATE_VERIFY_MAC" });
    expect(hmac!.material).toHaveLength(48);
    expect(ed25519).toMatchObject({ keySpec: "ECC_NIST_EDWARDS25519", keyUsage: "SIGN_VERIFY" });
    expect(rsa).toMatchObject({ keySpec: "RSA_2048", keyUsage: "SIGN_VERIFY" });
  });

  it("allows the same key ID in two accounts, never the same alias twice in one", () => {
    expect(refusal({ keys: [{ keyId: KEY_ID }, { keyId: KEY_ID, account: "444455556666" }] })).toBe("accepted");
    const other = "11111111-2222-4333-8444-555555555555";
    expect(
      refusal({
        keys: [
          { keyId: KEY_ID, aliases: ["alias/a"] },
          { keyId: other, aliases: ["alias/a"] },
        ],
      }),
    ).toBe("Seed keys[1]: alias alias/a is declared twice.");
  });
});
