/**
 * Project Wycheproof vectors (test/vectors/wycheproof/, Apache 2.0) for the verification and
 * decryption paths of EdgeKMS's asymmetric and HMAC keys, run through the same functions the key
 * actor calls (src/keys/asymmetric/, src/keys/mac.ts). Shared by the Node (unit) and workerd tiers:
 * each passes in the parsed files it loaded its own way.
 *
 * Results: "valid" must pass and "invalid" must fail; "acceptable" may do either (Wycheproof's word
 * for legacy or edge encodings). Vectors outside what AWS KMS offers are counted as skipped, with
 * the reason: OAEP with a label (KMS uses none), ML-DSA with a non-empty context (KMS signs with the
 * empty one), truncated HMAC tags (KMS compares full tags).
 *
 * The ECDSA and RSA signature files run twice: over the message (MessageType RAW: WebCrypto, or
 * @noble/curves for secp256k1) and over the message's digest (MessageType DIGEST: @noble/curves for
 * ECDSA, src/keys/asymmetric/rsa-digest.ts with the runtime's RSA primitives, passed in as `rsa`),
 * so both paths meet every malformed signature.
 */
import { p256, p384 } from "@noble/curves/nist.js";
import type { MacAlgorithmSpec, SigningAlgorithmSpec } from "../../src/protocol/enums.ts";
import { importPeerKey, deriveSharedSecret } from "../../src/keys/asymmetric/ecdh.ts";
import { mlDsaPublicKey, type MlDsaSpec } from "../../src/keys/asymmetric/ml-dsa.ts";
import { verifySignature, type RsaPrimitives } from "../../src/keys/asymmetric/key-pairs.ts";
import { rsaDecrypt } from "../../src/keys/asymmetric/rsa.ts";
import { verifyHmac } from "../../src/keys/mac.ts";

export interface WycheproofTest {
  tcId: number;
  comment: string;
  flags?: string[];
  result: "valid" | "invalid" | "acceptable";
  [field: string]: unknown;
}
export interface WycheproofGroup {
  tests: WycheproofTest[];
  [field: string]: unknown;
}
export interface WycheproofFile {
  numberOfTests: number;
  testGroups: WycheproofGroup[];
}

export interface VectorRun {
  passed: number;
  skipped: number;
  failures: string[];
}

const hex = (s: unknown): Uint8Array => Uint8Array.from(String(s ?? "").match(/../g) ?? [], (h) => parseInt(h, 16));

const same = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((v, i) => v === b[i]);

async function run(
  file: WycheproofFile,
  check: (group: WycheproofGroup, test: WycheproofTest) => Promise<boolean | "skip">,
): Promise<VectorRun> {
  const out: VectorRun = { passed: 0, skipped: 0, failures: [] };
  for (const group of file.testGroups) {
    for (const test of group.tests) {
      let outcome: boolean | "skip";
      try {
        outcome = await check(group, test);
      } catch (err) {
        outcome = false;
        if (test.result === "valid") out.failures.push(`tcId ${test.tcId} threw ${(err as Error).message}`);
      }
      if (outcome === "skip") out.skipped++;
      else if (test.result === "acceptable" || outcome === (test.result === "valid")) out.passed++;
      else out.failures.push(`tcId ${test.tcId} (${test.comment}): expected ${test.result}`);
    }
  }
  return out;
}

/** ECDSA, RSA-PSS, RSASSA-PKCS1-v1_5 and Ed25519 verify files, checked as Verify with MessageType RAW. */
export function runSignatureVectors(
  file: WycheproofFile,
  spec: string,
  algorithm: SigningAlgorithmSpec,
  rsa: RsaPrimitives,
): Promise<VectorRun> {
  return run(file, async (group, test) => {
    const publicKey = hex(group.publicKeyDer);
    return verifySignature(spec, algorithm, publicKey, hex(test.msg), "RAW", hex(test.sig), rsa);
  });
}

/**
 * ECDSA, RSA-PSS and RSASSA-PKCS1-v1_5 verify files, checked as Verify with MessageType DIGEST over
 * each message's digest (the hash is the algorithm's, named by its last three characters).
 */
export function runDigestSignatureVectors(
  file: WycheproofFile,
  spec: string,
  algorithm: SigningAlgorithmSpec,
  rsa: RsaPrimitives,
): Promise<VectorRun> {
  const hash = `SHA-${algorithm.slice(-3)}`;
  return run(file, async (group, test) => {
    const digest = new Uint8Array(await crypto.subtle.digest(hash, hex(test.msg)));
    return verifySignature(spec, algorithm, hex(group.publicKeyDer), digest, "DIGEST", hex(test.sig), rsa);
  });
}

/** For algorithms that never reach the RSA primitives: any use is a failure. */
const NO_RSA: RsaPrimitives = {
  signPrimitive: () => {
    throw new Error("RSA primitive used outside RSA");
  },
  verifyPrimitive: () => {
    throw new Error("RSA primitive used outside RSA");
  },
};

export function runMlDsaVectors(file: WycheproofFile, spec: MlDsaSpec): Promise<VectorRun> {
  return run(file, async (group, test) => {
    if (test.ctx !== undefined && test.ctx !== "") return "skip";
    const publicKey = mlDsaPublicKey(spec, hex(group.publicKey));
    return verifySignature(spec, "ML_DSA_SHAKE_256", publicKey, hex(test.msg), "RAW", hex(test.sig), NO_RSA);
  });
}

export function runOaepVectors(file: WycheproofFile, algorithm: "RSAES_OAEP_SHA_1" | "RSAES_OAEP_SHA_256"): Promise<VectorRun> {
  return run(file, async (group, test) => {
    if (test.label !== "") return "skip";
    const plaintext = await rsaDecrypt(algorithm, hex(group.privateKeyPkcs8), hex(test.ct));
    return plaintext !== undefined && same(plaintext, hex(test.msg));
  });
}

const toBase64Url = (bytes: Uint8Array): string =>
  btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");

/** The PKCS #8 of a raw private scalar (through JWK, so WebCrypto writes the DER). */
async function ecPkcs8(curve: "P-256" | "P-384", scalarHex: string): Promise<Uint8Array> {
  const size = curve === "P-256" ? 32 : 48;
  const raw = hex(scalarHex);
  const d = raw.length > size ? raw.slice(raw.length - size) : Uint8Array.from([...new Uint8Array(size - raw.length), ...raw]);
  const point = (curve === "P-256" ? p256 : p384).getPublicKey(d, false);
  const jwk = { kty: "EC", crv: curve, d: toBase64Url(d), x: toBase64Url(point.slice(1, 1 + size)), y: toBase64Url(point.slice(1 + size)) };
  const key = await crypto.subtle.importKey("jwk", jwk, { name: "ECDH", namedCurve: curve }, true, ["deriveBits"]);
  return new Uint8Array((await crypto.subtle.exportKey("pkcs8", key)) as ArrayBuffer);
}

/** ECDH files (ASN.1 public keys): DeriveSharedSecret's peer-key import and derivation. */
export function runEcdhVectors(file: WycheproofFile, curve: "P-256" | "P-384"): Promise<VectorRun> {
  return run(file, async (_group, test) => {
    const peer = await importPeerKey(curve, hex(test.public));
    if (peer === undefined) return false;
    const shared = await deriveSharedSecret(curve, await ecPkcs8(curve, String(test.private)), peer);
    return same(shared, hex(test.shared));
  });
}

export function runHmacVectors(
  file: WycheproofFile & { testGroups: (WycheproofGroup & { tagSize: number })[] },
  algorithm: MacAlgorithmSpec,
  fullTagBits: number,
): Promise<VectorRun> {
  return run(file, async (group, test) => {
    if ((group.tagSize as number) !== fullTagBits) return "skip";
    return verifyHmac(algorithm, hex(test.key), hex(test.msg), hex(test.tag));
  });
}
