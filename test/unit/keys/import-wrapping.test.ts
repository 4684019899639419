/**
 * Unwrapping imported key material: RSAES-OAEP (SHA-1 and SHA-256, via WebCrypto) and
 * RSAES-PKCS1-v1_5 with explicit rejection of bad padding (BigInt), against Project Wycheproof's vectors
 * (google/wycheproof testvectors_v1: rsa_oaep_2048_sha1_mgf1sha1_test.json,
 * rsa_oaep_2048_sha256_mgf1sha256_test.json, rsa_pkcs1_2048_test.json), read from
 * test/vectors/wycheproof/ at test time; plus round trips with node:crypto's publicEncrypt.
 */
import { constants, createPrivateKey, createPublicKey, privateDecrypt, publicEncrypt, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { generateWrappingKeyPair, rsaOaepDecrypt, rsaPkcs1v15Decrypt, unwrapKeyMaterial } from "../../../src/keys/import-wrapping.ts";

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

describe("RSAES-PKCS1-v1_5, Wycheproof rsa_pkcs1_2048_test.json", () => {
  const groups = load("rsa_pkcs1_2048_test.json").testGroups;
  const vectors = groups.flatMap((g) => g.tests.map((t) => [t.tcId, t.comment || t.flags.join(","), g, t] as const));
  const valid = vectors.filter(([, , , t]) => t.result === "valid");
  const invalid = vectors.filter(([, , , t]) => t.result === "invalid");

  it("covers every vector in the file, with bad padding among the invalid ones", () => {
    expect(valid.length + invalid.length).toBe(vectors.length);
    expect(invalid.filter(([, , , t]) => t.flags.includes("InvalidPkcs1Padding")).length).toBeGreaterThan(10);
  });

  it.each(valid)("tcId %i (%s) decrypts to msg", (_id, _c, group, t) => {
    expect(toHex(rsaPkcs1v15Decrypt(hex(group.privateKeyPkcs8), hex(t.ct)))).toBe(t.msg);
  });

  it.each(invalid)("tcId %i (%s) is rejected: no message at all", (_id, _c, group, t) => {
    expect(rsaPkcs1v15Decrypt(hex(group.privateKeyPkcs8), hex(t.ct))).toBeUndefined();
  });
});

describe("RSAES-PKCS1-v1_5 padding, each way of getting it wrong", () => {
  // EM blocks built by hand and encrypted with raw RSA, so each one is wrong in exactly one way
  // and would otherwise carry 32 bytes of "material".
  const material = Buffer.alloc(32, 0xab);
  const block = (edit: (em: Buffer) => void): Buffer => {
    const em = Buffer.alloc(256, 0x5a); // PS of non-zero bytes
    em[0] = 0x00;
    em[1] = 0x02;
    em[256 - 33] = 0x00;
    material.copy(em, 256 - 32);
    edit(em);
    return em;
  };

  it.each<[string, (em: Buffer) => void, boolean]>([
    ["well-formed", () => {}, true],
    ["first byte not 0x00", (em) => (em[0] = 0x01), false],
    ["block type 0x01 (signature padding)", (em) => (em[1] = 0x01), false],
    ["block type 0x00", (em) => (em[1] = 0x00), false],
    ["no 0x00 separator", (em) => (em[256 - 33] = 0x11), false],
    ["PS of 7 bytes", (em) => em.fill(0x00, 9, 256 - 32), false],
    ["PS of exactly 8 bytes", (em) => em.fill(0x00, 10, 256 - 32), true],
  ])("%s: accepted only when the padding is right", async (_what, edit, accepted) => {
    const pair = await generateWrappingKeyPair();
    const key = createPublicKey({ key: Buffer.from(pair.publicKey), format: "der", type: "spki" });
    const ct = publicEncrypt({ key, padding: constants.RSA_NO_PADDING }, block(edit));
    const out = await unwrapKeyMaterial("RSAES_PKCS1_V1_5", pair.privateKey, ct);
    if (!accepted) expect(out).toBeUndefined();
    else expect(toHex(out?.subarray(-32))).toBe(material.toString("hex"));
  });

  it("answers random ciphertexts below n exactly as node:crypto's raw decryption says their padding is", async () => {
    const pair = await generateWrappingKeyPair();
    const privateKey = createPrivateKey({ key: Buffer.from(pair.privateKey), format: "der", type: "pkcs8" });
    let accepted = 0;
    for (let i = 0; i < 300; i++) {
      const ct = randomBytes(256);
      ct[0] = 0x00; // below n
      const em = privateDecrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, ct);
      const separator = em.indexOf(0, 2);
      const wellPadded = em[0] === 0 && em[1] === 2 && separator >= 10;
      const out = await unwrapKeyMaterial("RSAES_PKCS1_V1_5", pair.privateKey, ct);
      expect(out === undefined ? undefined : toHex(out)).toBe(wellPadded ? em.subarray(separator + 1).toString("hex") : undefined);
      if (out !== undefined) accepted++;
    }
    // Random blocks are almost never well padded; implicit rejection made a message of every one.
    expect(accepted).toBeLessThan(3);
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
