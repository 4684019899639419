/**
 * The Wycheproof vectors of asymmetric and HMAC keys inside workerd — the runtime whose WebCrypto
 * (BoringSSL) the service uses — through the same checks as the Node tier
 * (test/common/wycheproof-asymmetric.ts), including the ECDSA and RSA files over each message's
 * digest (MessageType DIGEST; for RSA with workerd's own node:crypto primitives, worker/node-rsa.ts,
 * as the KeyObject uses them). workerd has no node:fs: the files are imported as JSON.
 */
import { describe, expect, it } from "vitest";
import ecdsaP256 from "../vectors/wycheproof/ecdsa_secp256r1_sha256_test.json";
import ecdsaP384 from "../vectors/wycheproof/ecdsa_secp384r1_sha384_test.json";
import ecdsaP521 from "../vectors/wycheproof/ecdsa_secp521r1_sha512_test.json";
import ecdsaK1 from "../vectors/wycheproof/ecdsa_secp256k1_sha256_test.json";
import pss2048 from "../vectors/wycheproof/rsa_pss_2048_sha256_mgf1_32_test.json";
import pss3072 from "../vectors/wycheproof/rsa_pss_3072_sha256_mgf1_32_test.json";
import pss4096 from "../vectors/wycheproof/rsa_pss_4096_sha512_mgf1_64_test.json";
import pkcs2048 from "../vectors/wycheproof/rsa_signature_2048_sha256_test.json";
import pkcs3072 from "../vectors/wycheproof/rsa_signature_3072_sha384_test.json";
import pkcs4096 from "../vectors/wycheproof/rsa_signature_4096_sha512_test.json";
import ed25519 from "../vectors/wycheproof/ed25519_test.json";
import mldsa44 from "../vectors/wycheproof/mldsa_44_verify_test.json";
import mldsa65 from "../vectors/wycheproof/mldsa_65_verify_test.json";
import mldsa87 from "../vectors/wycheproof/mldsa_87_verify_test.json";
import oaep2048sha1 from "../vectors/wycheproof/rsa_oaep_2048_sha1_mgf1sha1_test.json";
import oaep2048 from "../vectors/wycheproof/rsa_oaep_2048_sha256_mgf1sha256_test.json";
import oaep3072 from "../vectors/wycheproof/rsa_oaep_3072_sha256_mgf1sha256_test.json";
import oaep4096 from "../vectors/wycheproof/rsa_oaep_4096_sha256_mgf1sha256_test.json";
import ecdhP256 from "../vectors/wycheproof/ecdh_secp256r1_test.json";
import ecdhP384 from "../vectors/wycheproof/ecdh_secp384r1_test.json";
import hmac224 from "../vectors/wycheproof/hmac_sha224_test.json";
import hmac256 from "../vectors/wycheproof/hmac_sha256_test.json";
import hmac384 from "../vectors/wycheproof/hmac_sha384_test.json";
import hmac512 from "../vectors/wycheproof/hmac_sha512_test.json";
import {
  runEcdhVectors,
  runHmacVectors,
  runMlDsaVectors,
  runOaepVectors,
  runDigestSignatureVectors,
  runSignatureVectors,
  type VectorRun,
  type WycheproofFile,
} from "../common/wycheproof-asymmetric.ts";
import { nodeRsaPrimitives } from "../../worker/node-rsa.ts";

const file = (json: unknown) => json as WycheproofFile;

function expectAll(result: VectorRun, vectors: WycheproofFile, maxSkipped = 0): void {
  expect(result.failures).toEqual([]);
  expect(result.passed + result.skipped).toBe(vectors.numberOfTests);
  expect(result.skipped).toBeLessThanOrEqual(maxSkipped);
}

describe("signature verification against Wycheproof inside workerd", () => {
  const cases = [
    [ecdsaP256, "ECC_NIST_P256", "ECDSA_SHA_256"],
    [ecdsaP384, "ECC_NIST_P384", "ECDSA_SHA_384"],
    [ecdsaP521, "ECC_NIST_P521", "ECDSA_SHA_512"],
    [ecdsaK1, "ECC_SECG_P256K1", "ECDSA_SHA_256"],
    [pss2048, "RSA_2048", "RSASSA_PSS_SHA_256"],
    [pss3072, "RSA_3072", "RSASSA_PSS_SHA_256"],
    [pss4096, "RSA_4096", "RSASSA_PSS_SHA_512"],
    [pkcs2048, "RSA_2048", "RSASSA_PKCS1_V1_5_SHA_256"],
    [pkcs3072, "RSA_3072", "RSASSA_PKCS1_V1_5_SHA_384"],
    [pkcs4096, "RSA_4096", "RSASSA_PKCS1_V1_5_SHA_512"],
    [ed25519, "ECC_NIST_EDWARDS25519", "ED25519_SHA_512"],
  ] as const;
  for (const [json, spec, algorithm] of cases) {
    it(`${algorithm} with ${spec} accepts every valid signature and rejects every invalid one`, async () => {
      expectAll(await runSignatureVectors(file(json), spec, algorithm, nodeRsaPrimitives), file(json));
    });
  }
  for (const [json, spec, algorithm] of cases.filter(([, , algorithm]) => !algorithm.startsWith("ED25519"))) {
    it(`${algorithm} with ${spec} and MessageType DIGEST accepts every valid signature over its message's digest and rejects every invalid one`, async () => {
      expectAll(await runDigestSignatureVectors(file(json), spec, algorithm, nodeRsaPrimitives), file(json));
    });
  }
  for (const [json, spec] of [
    [mldsa44, "ML_DSA_44"],
    [mldsa65, "ML_DSA_65"],
    [mldsa87, "ML_DSA_87"],
  ] as const) {
    it(`ML_DSA_SHAKE_256 with ${spec} accepts every valid signature and rejects every invalid one (empty context)`, async () => {
      const result = await runMlDsaVectors(file(json), spec);
      expectAll(result, file(json), file(json).numberOfTests);
      expect(result.passed).toBeGreaterThan(file(json).numberOfTests / 2);
    }, 60_000);
  }
});

describe("RSA-OAEP, ECDH and HMAC against Wycheproof inside workerd", () => {
  for (const [json, algorithm] of [
    [oaep2048sha1, "RSAES_OAEP_SHA_1"],
    [oaep2048, "RSAES_OAEP_SHA_256"],
    [oaep3072, "RSAES_OAEP_SHA_256"],
    [oaep4096, "RSAES_OAEP_SHA_256"],
  ] as const) {
    it(`${algorithm} decrypts every valid ciphertext and refuses every invalid one (${file(json).numberOfTests} vectors)`, async () => {
      const result = await runOaepVectors(file(json), algorithm);
      expectAll(result, file(json), file(json).numberOfTests);
      expect(result.passed).toBeGreaterThan(0);
    });
  }
  for (const [json, curve] of [
    [ecdhP256, "P-256"],
    [ecdhP384, "P-384"],
  ] as const) {
    it(`ECDH on ${curve} derives every valid secret and refuses every invalid peer key`, async () => {
      expectAll(await runEcdhVectors(file(json), curve), file(json));
    }, 120_000);
  }
  for (const [json, algorithm, bits] of [
    [hmac224, "HMAC_SHA_224", 224],
    [hmac256, "HMAC_SHA_256", 256],
    [hmac384, "HMAC_SHA_384", 384],
    [hmac512, "HMAC_SHA_512", 512],
  ] as const) {
    it(`${algorithm} verifies every valid full-length tag and rejects every invalid one`, async () => {
      const result = await runHmacVectors(json as never, algorithm, bits);
      expectAll(result, file(json), file(json).numberOfTests);
      expect(result.passed).toBeGreaterThan(0);
    });
  }
});
