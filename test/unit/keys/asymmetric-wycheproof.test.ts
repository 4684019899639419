/**
 * Wycheproof vectors (test/vectors/wycheproof/) for every verification and decryption path of
 * asymmetric and HMAC keys, in Node: ECDSA P-256/384/521 and secp256k1, RSA-PSS and RSASSA-PKCS1-v1_5
 * at 2048/3072/4096, RSA-OAEP at 2048/3072/4096, ECDH P-256/384, Ed25519, ML-DSA-44/65/87 and HMAC
 * SHA-224/256/384/512 — and the ECDSA and RSA signature files again over each message's digest
 * (MessageType DIGEST: @noble/curves, or node:crypto's RSA primitives through worker/node-rsa.ts).
 * The checks are test/common/wycheproof-asymmetric.ts, shared with workerd.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  runEcdhVectors,
  runHmacVectors,
  runMlDsaVectors,
  runOaepVectors,
  runDigestSignatureVectors,
  runSignatureVectors,
  type VectorRun,
  type WycheproofFile,
} from "../../common/wycheproof-asymmetric.ts";
import { nodeRsaPrimitives } from "../../../worker/node-rsa.ts";

function load(name: string): WycheproofFile {
  return JSON.parse(readFileSync(fileURLToPath(new URL(`../../vectors/wycheproof/${name}`, import.meta.url)), "utf8")) as WycheproofFile;
}

function expectAll(result: VectorRun, file: WycheproofFile, maxSkipped = 0): void {
  expect(result.failures).toEqual([]);
  expect(result.passed + result.skipped).toBe(file.numberOfTests);
  expect(result.skipped).toBeLessThanOrEqual(maxSkipped);
}

describe("signature verification against Wycheproof", () => {
  const cases = [
    ["ecdsa_secp256r1_sha256_test.json", "ECC_NIST_P256", "ECDSA_SHA_256"],
    ["ecdsa_secp384r1_sha384_test.json", "ECC_NIST_P384", "ECDSA_SHA_384"],
    ["ecdsa_secp521r1_sha512_test.json", "ECC_NIST_P521", "ECDSA_SHA_512"],
    ["ecdsa_secp256k1_sha256_test.json", "ECC_SECG_P256K1", "ECDSA_SHA_256"],
    ["rsa_pss_2048_sha256_mgf1_32_test.json", "RSA_2048", "RSASSA_PSS_SHA_256"],
    ["rsa_pss_3072_sha256_mgf1_32_test.json", "RSA_3072", "RSASSA_PSS_SHA_256"],
    ["rsa_pss_4096_sha512_mgf1_64_test.json", "RSA_4096", "RSASSA_PSS_SHA_512"],
    ["rsa_signature_2048_sha256_test.json", "RSA_2048", "RSASSA_PKCS1_V1_5_SHA_256"],
    ["rsa_signature_3072_sha384_test.json", "RSA_3072", "RSASSA_PKCS1_V1_5_SHA_384"],
    ["rsa_signature_4096_sha512_test.json", "RSA_4096", "RSASSA_PKCS1_V1_5_SHA_512"],
    ["ed25519_test.json", "ECC_NIST_EDWARDS25519", "ED25519_SHA_512"],
  ] as const;
  for (const [name, spec, algorithm] of cases) {
    it(`${algorithm} with ${spec} accepts every valid signature of ${name} and rejects every invalid one`, async () => {
      const file = load(name);
      expectAll(await runSignatureVectors(file, spec, algorithm, nodeRsaPrimitives), file);
    });
  }

  for (const [name, spec, algorithm] of cases.filter(([, , algorithm]) => !algorithm.startsWith("ED25519"))) {
    it(`${algorithm} with ${spec} and MessageType DIGEST accepts every valid signature of ${name} over its message's digest and rejects every invalid one`, async () => {
      const file = load(name);
      expectAll(await runDigestSignatureVectors(file, spec, algorithm, nodeRsaPrimitives), file);
    });
  }

  for (const spec of ["ML_DSA_44", "ML_DSA_65", "ML_DSA_87"] as const) {
    it(`ML_DSA_SHAKE_256 with ${spec} accepts every valid signature and rejects every invalid one (empty context)`, async () => {
      const file = load(`mldsa_${spec.slice(-2)}_verify_test.json`);
      const result = await runMlDsaVectors(file, spec);
      expectAll(result, file, file.numberOfTests);
      expect(result.passed).toBeGreaterThan(file.numberOfTests / 2);
    });
  }
});

describe("RSA-OAEP decryption against Wycheproof", () => {
  const cases = [
    ["rsa_oaep_2048_sha1_mgf1sha1_test.json", "RSAES_OAEP_SHA_1"],
    ["rsa_oaep_2048_sha256_mgf1sha256_test.json", "RSAES_OAEP_SHA_256"],
    ["rsa_oaep_3072_sha256_mgf1sha256_test.json", "RSAES_OAEP_SHA_256"],
    ["rsa_oaep_4096_sha256_mgf1sha256_test.json", "RSAES_OAEP_SHA_256"],
  ] as const;
  for (const [name, algorithm] of cases) {
    it(`${algorithm} decrypts every valid ciphertext of ${name} and refuses every invalid one`, async () => {
      const file = load(name);
      const result = await runOaepVectors(file, algorithm);
      expectAll(result, file, file.numberOfTests);
      expect(result.passed).toBeGreaterThan(0);
    });
  }
});

describe("ECDH against Wycheproof", () => {
  for (const [name, curve] of [
    ["ecdh_secp256r1_test.json", "P-256"],
    ["ecdh_secp384r1_test.json", "P-384"],
  ] as const) {
    it(`derives the expected secret for every valid ${curve} peer key and refuses every invalid one`, async () => {
      const file = load(name);
      expectAll(await runEcdhVectors(file, curve), file);
    }, 60_000);
  }
});

describe("HMAC against Wycheproof", () => {
  for (const [bits, algorithm] of [
    [224, "HMAC_SHA_224"],
    [256, "HMAC_SHA_256"],
    [384, "HMAC_SHA_384"],
    [512, "HMAC_SHA_512"],
  ] as const) {
    it(`${algorithm} verifies every valid full-length tag and rejects every invalid one`, async () => {
      const file = load(`hmac_sha${bits}_test.json`);
      const result = await runHmacVectors(file as never, algorithm, bits);
      expectAll(result, file, file.numberOfTests);
      expect(result.passed).toBeGreaterThan(0);
    });
  }
});
