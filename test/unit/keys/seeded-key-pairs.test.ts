/**
 * A seeded key pair's public key (src/keys/asymmetric/key-pairs.ts `publicKeyOfPrivate`): for
 * every asymmetric key spec it is exactly the public key generated with the private key, and a
 * private key of another spec, or bytes that are no private key, are refused.
 */
import { describe, expect, it } from "vitest";
import { generateKeyPair, publicKeyOfPrivate } from "../../../src/keys/asymmetric/key-pairs.ts";

const SPECS = [
  "RSA_2048",
  "ECC_NIST_P256",
  "ECC_NIST_P384",
  "ECC_NIST_P521",
  "ECC_SECG_P256K1",
  "ECC_NIST_EDWARDS25519",
  "ML_DSA_44",
  "ML_DSA_65",
  "ML_DSA_87",
  "ML_KEM_512",
  "ML_KEM_768",
  "ML_KEM_1024",
];

describe("publicKeyOfPrivate", () => {
  it.each(SPECS)("gives %s's generated public key from its private key", async (spec) => {
    const pair = await generateKeyPair(spec);
    expect(Buffer.from(await publicKeyOfPrivate(spec, pair.privateKey)).toString("hex")).toBe(Buffer.from(pair.publicKey).toString("hex"));
  });

  it("refuses a private key of another spec and bytes that are no key", async () => {
    const p256 = await generateKeyPair("ECC_NIST_P256");
    await expect(publicKeyOfPrivate("ECC_NIST_P384", p256.privateKey)).rejects.toThrow();
    await expect(publicKeyOfPrivate("RSA_2048", p256.privateKey)).rejects.toThrow();
    await expect(publicKeyOfPrivate("ML_DSA_44", p256.privateKey)).rejects.toThrow();
    await expect(publicKeyOfPrivate("ECC_NIST_EDWARDS25519", new Uint8Array(48))).rejects.toThrow();
    await expect(publicKeyOfPrivate("RSA_3072", (await generateKeyPair("RSA_2048")).privateKey)).rejects.toThrow();
  });
});
