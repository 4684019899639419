/**
 * `npm run bench:asymmetric`: operations per second of Sign and Verify for every signing key spec,
 * of RSA Decrypt (RSAES_OAEP_SHA_256) and of GenerateMac, as the key actor runs them
 * (src/keys/asymmetric/, src/keys/mac.ts: the stored PKCS #8 / SPKI imported per call, WebCrypto or
 * @noble), beside node:crypto doing the same operation with a key object prepared once — in the
 * same run, so the ratio is meaningful on whatever machine runs it.
 *
 * What it leaves out: storage, unsealing under the root key, authorization and the audit record
 * (the service path); those are the same for every key spec. ML-DSA has no node:crypto reference
 * on Node 20 (its row shows EdgeKMS alone).
 *
 * Method: every row is warmed up, then measured for BENCH_MS milliseconds (default 300) in each of
 * BENCH_ROUNDS rounds (default 3), rounds interleaving the implementations; we report the median
 * ops/s and the ratio EdgeKMS / node:crypto.
 */
import {
  constants,
  createHmac,
  createPrivateKey,
  createPublicKey,
  privateDecrypt,
  publicEncrypt,
  sign as nodeSign,
  verify as nodeVerify,
} from "node:crypto";
import { generateKeyPair, signMessage, verifySignature } from "../src/keys/asymmetric/key-pairs.ts";
import { rsaDecrypt } from "../src/keys/asymmetric/rsa.ts";
import { hmac } from "../src/keys/mac.ts";
import { nodeRsaPrimitives } from "../worker/node-rsa.ts";
import type { SigningAlgorithmSpec } from "../src/protocol/enums.ts";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const BUDGET_MS = Number(process.env.BENCH_MS ?? 300);

interface Row {
  name: string;
  impls: Record<string, () => Promise<unknown> | unknown>;
}

async function opsPerSecond(run: () => Promise<unknown> | unknown, budgetMs: number): Promise<number> {
  const start = performance.now();
  let n = 0;
  do {
    await run();
    n++;
  } while (performance.now() - start < budgetMs);
  return (n * 1000) / (performance.now() - start);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const SIGNING: [string, SigningAlgorithmSpec, string | null][] = [
  ["RSA_2048", "RSASSA_PSS_SHA_256", "sha256"],
  ["RSA_3072", "RSASSA_PSS_SHA_256", "sha256"],
  ["RSA_4096", "RSASSA_PSS_SHA_256", "sha256"],
  ["RSA_2048", "RSASSA_PKCS1_V1_5_SHA_256", "sha256"],
  ["ECC_NIST_P256", "ECDSA_SHA_256", "sha256"],
  ["ECC_NIST_P384", "ECDSA_SHA_384", "sha384"],
  ["ECC_NIST_P521", "ECDSA_SHA_512", "sha512"],
  ["ECC_SECG_P256K1", "ECDSA_SHA_256", "sha256"],
  ["ECC_NIST_EDWARDS25519", "ED25519_SHA_512", null],
  ["ML_DSA_44", "ML_DSA_SHAKE_256", null],
  ["ML_DSA_65", "ML_DSA_SHAKE_256", null],
  ["ML_DSA_87", "ML_DSA_SHAKE_256", null],
];

function nodeKeyOptions(algorithm: SigningAlgorithmSpec, key: ReturnType<typeof createPrivateKey>) {
  return algorithm.startsWith("RSASSA_PSS") ? { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 } : key;
}

async function rows(): Promise<Row[]> {
  const message = new TextEncoder().encode("a 64-byte message to sign, the size of a typical digest or token");
  const out: Row[] = [];
  for (const [spec, algorithm, hash] of SIGNING) {
    const pair = await generateKeyPair(spec);
    const signature = await signMessage(spec, algorithm, pair.privateKey, message, "RAW", nodeRsaPrimitives);
    if (!(await verifySignature(spec, algorithm, pair.publicKey, message, "RAW", signature, nodeRsaPrimitives)))
      throw new Error(`${spec}: own signature does not verify`);
    const sign: Row = {
      name: `Sign ${spec} ${algorithm}`,
      impls: { EdgeKMS: () => signMessage(spec, algorithm, pair.privateKey, message, "RAW", nodeRsaPrimitives) },
    };
    const verify: Row = {
      name: `Verify ${spec} ${algorithm}`,
      impls: { EdgeKMS: () => verifySignature(spec, algorithm, pair.publicKey, message, "RAW", signature, nodeRsaPrimitives) },
    };
    if (!spec.startsWith("ML_DSA")) {
      const privateKey = createPrivateKey({ key: Buffer.from(pair.privateKey), format: "der", type: "pkcs8" });
      const publicKey = createPublicKey({ key: Buffer.from(pair.publicKey), format: "der", type: "spki" });
      if (!nodeVerify(hash, message, nodeKeyOptions(algorithm, publicKey as never), Buffer.from(signature)))
        throw new Error(`${spec}: node:crypto disagrees`);
      sign.impls["node:crypto"] = () => nodeSign(hash, message, nodeKeyOptions(algorithm, privateKey));
      verify.impls["node:crypto"] = () => nodeVerify(hash, message, nodeKeyOptions(algorithm, publicKey as never), Buffer.from(signature));
    }
    out.push(sign, verify);
  }
  for (const spec of ["RSA_2048", "RSA_3072", "RSA_4096"]) {
    const pair = await generateKeyPair(spec);
    const publicKey = createPublicKey({ key: Buffer.from(pair.publicKey), format: "der", type: "spki" });
    const privateKey = createPrivateKey({ key: Buffer.from(pair.privateKey), format: "der", type: "pkcs8" });
    const ciphertext = publicEncrypt(
      { key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" },
      Buffer.alloc(32, 7),
    );
    out.push({
      name: `Decrypt ${spec} RSAES_OAEP_SHA_256`,
      impls: {
        EdgeKMS: () => rsaDecrypt("RSAES_OAEP_SHA_256", pair.privateKey, ciphertext),
        "node:crypto": () => privateDecrypt({ key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" }, ciphertext),
      },
    });
  }
  const key = crypto.getRandomValues(new Uint8Array(32));
  for (const [algorithm, hash] of [
    ["HMAC_SHA_224", "sha224"],
    ["HMAC_SHA_256", "sha256"],
    ["HMAC_SHA_512", "sha512"],
  ] as const) {
    out.push({
      name: `GenerateMac ${algorithm} (64 bytes)`,
      impls: { EdgeKMS: () => hmac(algorithm, key, message), "node:crypto": () => createHmac(hash, key).update(message).digest() },
    });
  }
  return out;
}

async function main(): Promise<void> {
  const all = await rows();
  const results = new Map<string, number[]>();
  for (const row of all) for (const impl of Object.values(row.impls)) await opsPerSecond(impl, 30);
  for (let round = 0; round < ROUNDS; round++) {
    for (const row of all) {
      const names = Object.keys(row.impls);
      if (round % 2 === 1) names.reverse();
      for (const name of names) {
        const key = `${row.name}\u0000${name}`;
        results.set(key, [...(results.get(key) ?? []), await opsPerSecond(row.impls[name]!, BUDGET_MS)]);
      }
    }
  }
  console.log(`asymmetric and HMAC operations, ops/s (median of ${ROUNDS} rounds of ${BUDGET_MS} ms), Node ${process.version}`);
  console.log(`${"operation".padEnd(48)} ${"EdgeKMS".padStart(10)} ${"node:crypto".padStart(12)} ${"ratio".padStart(7)}`);
  for (const row of all) {
    const ours = median(results.get(`${row.name}\u0000EdgeKMS`)!);
    const ref = results.get(`${row.name}\u0000node:crypto`);
    const theirs = ref === undefined ? undefined : median(ref);
    console.log(
      `${row.name.padEnd(48)} ${ours.toFixed(0).padStart(10)} ${(theirs?.toFixed(0) ?? "n/a").padStart(12)} ${(theirs === undefined ? "" : (ours / theirs).toFixed(2)).padStart(7)}`,
    );
  }
}

await main();
