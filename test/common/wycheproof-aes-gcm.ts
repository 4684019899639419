/**
 * Google Wycheproof's AES-GCM vectors (v0.9, testvectors/aes_gcm_test.json) run through the
 * binding, the same way in every runtime: the Node, workerd and Deno tiers each load the file from
 * test/vectors/wycheproof/ their own way and assert what this returns.
 * Web standards only, so it runs in all three.
 *
 * Groups with a 128- or 256-bit key and a 128-bit tag run; AES-192 groups are skipped (the core
 * implements AES-128 and AES-256). A valid vector must match ciphertext and tag exactly and decrypt
 * back; an invalid one must be refused: a RangeError before any work where its IV is empty (the
 * caller's error), an AuthenticationError otherwise.
 */
import { AuthenticationError, aesGcmDecrypt, aesGcmEncrypt } from "../../src/crypto/aes-gcm.ts";
import { fromHex, toHex } from "../../src/bytes.ts";

export interface AeadTest {
  tcId: number;
  comment: string;
  key: string;
  iv: string;
  aad: string;
  msg: string;
  ct: string;
  tag: string;
  result: "valid" | "invalid" | "acceptable";
}

export interface AeadFile {
  numberOfTests: number;
  testGroups: { keySize: number; tagSize: number; tests: AeadTest[] }[];
}

export interface VectorRun {
  valid: number;
  invalid: number;
  skipped: number;
  /** One line per vector that did not behave as the file says; empty when all did. */
  failures: string[];
}

/** What the file holds: 155 valid and 58 invalid AES-128/256 vectors, 103 AES-192 ones skipped. */
export const EXPECTED_AES_GCM_COUNTS = { valid: 155, invalid: 58, skipped: 103 };

function throws(run: () => unknown): unknown {
  try {
    run();
  } catch (err) {
    return err;
  }
  return undefined;
}

export function runAesGcmVectors(file: AeadFile): VectorRun {
  const outcome: VectorRun = { valid: 0, invalid: 0, skipped: 0, failures: [] };
  for (const group of file.testGroups) {
    if ((group.keySize !== 128 && group.keySize !== 256) || group.tagSize !== 128) {
      outcome.skipped += group.tests.length;
      continue;
    }
    for (const test of group.tests) {
      const [key, iv, aad, msg] = [fromHex(test.key), fromHex(test.iv), fromHex(test.aad), fromHex(test.msg)];
      const sealed = fromHex(test.ct + test.tag);
      const label = `tcId ${test.tcId} (${test.comment})`;
      if (test.result === "valid") {
        outcome.valid++;
        const encrypted = toHex(aesGcmEncrypt(key, iv, msg, aad));
        if (encrypted !== test.ct + test.tag) outcome.failures.push(`${label}: encrypt gave ${encrypted}`);
        const decrypted = throws(() => {
          if (toHex(aesGcmDecrypt(key, iv, sealed, aad)) !== test.msg) throw new Error("wrong plaintext");
        });
        if (decrypted !== undefined) outcome.failures.push(`${label}: decrypt failed (${String(decrypted)})`);
      } else {
        outcome.invalid++;
        if (test.result !== "invalid") outcome.failures.push(`${label}: unexpected result ${test.result}`);
        const expected = iv.length === 0 ? RangeError : AuthenticationError;
        const err = throws(() => aesGcmDecrypt(key, iv, sealed, aad));
        if (!(err instanceof expected)) outcome.failures.push(`${label}: decrypt did not throw ${expected.name}`);
        if (iv.length === 0 && !(throws(() => aesGcmEncrypt(key, iv, msg, aad)) instanceof RangeError)) {
          outcome.failures.push(`${label}: encrypt with an empty IV did not throw RangeError`);
        }
      }
    }
  }
  return outcome;
}
