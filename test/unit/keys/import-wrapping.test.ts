/**
 * Unwrapping imported key material: RSAES-OAEP (SHA-1 and SHA-256, via WebCrypto) and
 * RSAES-PKCS1-v1_5 with implicit rejection (BigInt), against Project Wycheproof's vectors
 * (google/wycheproof testvectors_v1: rsa_oaep_2048_sha1_mgf1sha1_test.json,
 * rsa_oaep_2048_sha256_mgf1sha256_test.json, rsa_pkcs1_2048_test.json), read from
 * test/vectors/wycheproof/ at test time; plus round trips with node:crypto's publicEncrypt.
 */
import { constants, createPublicKey, publicEncrypt, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  generateWrappingKeyPair,
  rsaOaepDecrypt,
  rsaPkcs1v15Decrypt,
  unwrapKeyMaterial,
} from "../../../src/keys/import-wrapping.ts";

interface Vector {
  tcId: number;
  comment: string;
  flags: string[];
  msg: string;
  ct: string;
  label?: string;
  result: "valid" | "invalid" | "acceptable";
}
interface Group {
  privateKeyPkcs8: string;
  tests: Vector[];
}

const VECTORS = new URL("../../vectors/wycheproof/", import.meta.url);
const load = (name: string) => JSON.parse(readFileSync(new URL(name, VECTORS), "utf8")) as { testGroups: Group[] };
const hex = (s: string) => Uint8Array.from(Buffer.from(s, "hex"));
const toHex = (b: Uint8Array | undefined) => (b === undefined ? undefined : Buffer.from(b).toString("hex"));

describe.each([
  ["rsa_oaep_2048_sha1_mgf1sha1_test.json", "SHA-1"],
  ["rsa_oaep_2048_sha256_mgf1sha256_test.json", "SHA-256"],
] as const)("RSAES-OAEP with Wycheproof %s", (file, hash) => {
  const groups = load(file).testGroups;
  const vectors = groups.flatMap((g) => g.tests.map((t) => [t.tcId, t.comment || t.flags.join(","), g, t] as const));

  it.each(vectors)("tcId %i (%s) decrypts to msg exactly when valid", async (_id, _c, group, t) => {
    const out = await rsaOaepDecrypt(hex(group.privateKeyPkcs8), hash, hex(t.ct), hex(t.label ?? ""));
    if (t.result === "valid") expect(toHex(out)).toBe(t.msg);
    else expect(out).toBeUndefined();
  });

  it("rejects every invalid vector the same way: undefined, never an exception or a partial result", async () => {
    const outcomes = new Set<string>();
    for (const [, , group, t] of vectors.filter(([, , , t]) => t.result === "invalid")) {
      outcomes.add(String(await rsaOaepDecrypt(hex(group.privateKeyPkcs8), hash, hex(t.ct), hex(t.label ?? ""))));
    }
    expect([...outcomes]).toEqual(["undefined"]);
  });
});

describe("RSAES-PKCS1-v1_5 with implicit rejection, Wycheproof rsa_pkcs1_2048_test.json", () => {
  const groups = load("rsa_pkcs1_2048_test.json").testGroups;
  const vectors = groups.flatMap((g) => g.tests.map((t) => [t.tcId, t.comment || t.flags.join(","), g, t] as const));
  const valid = vectors.filter(([, , , t]) => t.result === "valid");
  const badPadding = vectors.filter(([, , , t]) => t.flags.includes("InvalidPkcs1Padding"));
  const badFormat = vectors.filter(([, , , t]) => t.flags.includes("InvalidCiphertextFormat"));

  it("covers every vector in the file", () => {
    expect(valid.length + badPadding.length + badFormat.length).toBe(vectors.length);
    expect(badPadding.length).toBeGreaterThan(10);
  });

  it.each(valid)("tcId %i (%s) decrypts to msg", (_id, _c, group, t) => {
    expect(toHex(rsaPkcs1v15Decrypt(hex(group.privateKeyPkcs8), hex(t.ct)))).toBe(t.msg);
  });

  it.each(badPadding)(
    "tcId %i (%s): bad padding yields a synthetic message, never the vector's msg, the same one on every try",
    (_id, _c, group, t) => {
      const first = rsaPkcs1v15Decrypt(hex(group.privateKeyPkcs8), hex(t.ct));
      const second = rsaPkcs1v15Decrypt(hex(group.privateKeyPkcs8), hex(t.ct));
      expect(first).toBeInstanceOf(Uint8Array);
      expect(toHex(first)).not.toBe(t.msg);
      expect(toHex(second)).toBe(toHex(first));
      expect(first!.length).toBeLessThanOrEqual(256 - 11);
    },
  );

  it("gives different bad-padding ciphertexts different synthetic messages of varied lengths", () => {
    const results = badPadding.map(([, , g, t]) => toHex(rsaPkcs1v15Decrypt(hex(g.privateKeyPkcs8), hex(t.ct))));
    expect(new Set(results).size).toBe(results.length);
    const lengths = new Set(results.map((r) => r!.length / 2));
    expect(lengths.size).toBeGreaterThan(1);
  });

  it.each(badFormat)("tcId %i (%s): a ciphertext that is not k bytes below n is refused outright", (_id, _c, group, t) => {
    expect(rsaPkcs1v15Decrypt(hex(group.privateKeyPkcs8), hex(t.ct))).toBeUndefined();
  });
});

describe("wrapping key pairs", () => {
  it("are fresh RSA-2048 pairs with e = 65537 whose SPKI node:crypto reads", async () => {
    const a = await generateWrappingKeyPair();
    const b = await generateWrappingKeyPair();
    expect(Buffer.from(a.publicKey).equals(Buffer.from(b.publicKey))).toBe(false);
    const details = createPublicKey({ key: Buffer.from(a.publicKey), format: "der", type: "spki" }).asymmetricKeyDetails;
    expect(details).toMatchObject({ modulusLength: 2048, publicExponent: 65537n });
  });

  it.each([
    ["RSAES_OAEP_SHA_256", constants.RSA_PKCS1_OAEP_PADDING, "sha256"],
    ["RSAES_OAEP_SHA_1", constants.RSA_PKCS1_OAEP_PADDING, "sha1"],
    ["RSAES_PKCS1_V1_5", constants.RSA_PKCS1_PADDING, undefined],
  ] as const)("unwrap 32 bytes node:crypto's publicEncrypt wrapped with %s", async (algorithm, padding, oaepHash) => {
    const pair = await generateWrappingKeyPair();
    const material = randomBytes(32);
    const key = createPublicKey({ key: Buffer.from(pair.publicKey), format: "der", type: "spki" });
    const wrapped = publicEncrypt({ key, padding, oaepHash }, material);
    expect(toHex(await unwrapKeyMaterial(algorithm, pair.privateKey, wrapped))).toBe(material.toString("hex"));
    // Unwrapping with another algorithm than the one used never yields the material.
    const other = algorithm === "RSAES_PKCS1_V1_5" ? "RSAES_OAEP_SHA_256" : "RSAES_PKCS1_V1_5";
    expect(toHex(await unwrapKeyMaterial(other, pair.privateKey, wrapped))).not.toBe(material.toString("hex"));
  });
});
