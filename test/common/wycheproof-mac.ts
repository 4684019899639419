/**
 * Google Wycheproof's HMAC vectors (v0.9, testvectors/hmac_sha224_test.json, hmac_sha384_test.json,
 * hmac_sha512_test.json) run through the binding, the same way in every runtime: the Node, workerd
 * and Deno tiers each load the files from test/vectors/wycheproof/ their own way and assert what
 * this returns. Web standards only, so it runs in all three.
 *
 * Groups with a tagSize shorter than the hash test truncated tags: the first tagSize/8 bytes of
 * our tag must equal the vector's tag when it is valid and differ when it is invalid. Each valid
 * vector is also computed incrementally, one byte at a time, through the HMAC classes.
 */
import { fromHex, toHex } from "../../src/bytes.ts";
import { HmacSha224, HmacSha384, HmacSha512, hmacSha224, hmacSha384, hmacSha512 } from "../../src/crypto/hash.ts";

export interface MacTest {
  tcId: number;
  comment: string;
  key: string;
  msg: string;
  tag: string;
  result: "valid" | "invalid" | "acceptable";
}

export interface MacFile {
  algorithm: string;
  numberOfTests: number;
  testGroups: { keySize: number; tagSize: number; tests: MacTest[] }[];
}

export interface MacVectorRun {
  valid: number;
  invalid: number;
  /** One line per vector that did not behave as the file says; empty when all did. */
  failures: string[];
}

/** What each file holds: 66 valid vectors and the rest (106 for SHA-224, 108 otherwise) invalid. */
export const EXPECTED_MAC_COUNTS: Record<MacName, { valid: number; invalid: number }> = {
  HMACSHA224: { valid: 66, invalid: 106 },
  HMACSHA384: { valid: 66, invalid: 108 },
  HMACSHA512: { valid: 66, invalid: 108 },
};

export type MacName = "HMACSHA224" | "HMACSHA384" | "HMACSHA512";

const MACS: Record<
  MacName,
  {
    oneShot: (k: Uint8Array, m: Uint8Array) => Uint8Array;
    incremental: new (k: Uint8Array) => { update(d: Uint8Array): unknown; digest(): Uint8Array };
  }
> = {
  HMACSHA224: { oneShot: hmacSha224, incremental: HmacSha224 },
  HMACSHA384: { oneShot: hmacSha384, incremental: HmacSha384 },
  HMACSHA512: { oneShot: hmacSha512, incremental: HmacSha512 },
};

/** Runs every vector of one Wycheproof HMAC file through the binding. */
export function runMacVectors(file: MacFile): MacVectorRun {
  const mac = MACS[file.algorithm as MacName];
  if (mac === undefined) throw new Error(`not an HMAC file this runner knows: ${file.algorithm}`);
  const run: MacVectorRun = { valid: 0, invalid: 0, failures: [] };
  for (const group of file.testGroups) {
    const bytes = group.tagSize / 8;
    for (const test of group.tests) {
      const key = fromHex(test.key);
      const msg = fromHex(test.msg);
      const tag = toHex(mac.oneShot(key, msg).subarray(0, bytes));
      if (test.result === "valid") {
        run.valid++;
        if (tag !== test.tag) run.failures.push(`tcId ${test.tcId}: tag ${tag}, expected ${test.tag}`);
        const incremental = new mac.incremental(key);
        for (const byte of msg) incremental.update(Uint8Array.of(byte));
        const stepwise = toHex(incremental.digest().subarray(0, bytes));
        if (stepwise !== test.tag) run.failures.push(`tcId ${test.tcId}: incremental tag ${stepwise}, expected ${test.tag}`);
      } else {
        run.invalid++;
        if (tag === test.tag) run.failures.push(`tcId ${test.tcId} (${test.comment}): an invalid tag matched`);
      }
    }
  }
  return run;
}
