/**
 * src/keys/mac.ts against node:crypto (differential): HMAC-SHA-224/256/384/512 over random keys of
 * every length class (shorter than, equal to and longer than the hash block) and random messages,
 * and VerifyMac's refusal of a changed or truncated tag. Wycheproof vectors are in
 * asymmetric-wycheproof.test.ts.
 */
import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { hmac, verifyHmac } from "../../../src/keys/mac.ts";

const CASES = [
  ["HMAC_SHA_224", "sha224"],
  ["HMAC_SHA_256", "sha256"],
  ["HMAC_SHA_384", "sha384"],
  ["HMAC_SHA_512", "sha512"],
] as const;

describe("HMAC agrees with node:crypto", () => {
  for (const [algorithm, hash] of CASES) {
    it(`${algorithm} matches createHmac("${hash}") for keys of 1 to 200 bytes and messages of 0 to 4096 bytes`, async () => {
      for (const keyLength of [1, 28, 32, 64, 128, 129, 200]) {
        for (const messageLength of [0, 1, 63, 64, 1000, 4096]) {
          const key = crypto.getRandomValues(new Uint8Array(keyLength));
          const message = crypto.getRandomValues(new Uint8Array(messageLength));
          const ours = await hmac(algorithm, key, message);
          expect(Buffer.from(ours).equals(createHmac(hash, key).update(message).digest())).toBe(true);
        }
      }
    });

    it(`${algorithm} verification refuses a changed bit and a truncated tag`, async () => {
      const key = crypto.getRandomValues(new Uint8Array(32));
      const message = new TextEncoder().encode("message");
      const tag = await hmac(algorithm, key, message);
      expect(await verifyHmac(algorithm, key, message, tag)).toBe(true);
      const flipped = Uint8Array.from(tag);
      flipped[0]! ^= 0x80;
      expect(await verifyHmac(algorithm, key, message, flipped)).toBe(false);
      expect(await verifyHmac(algorithm, key, message, tag.slice(0, 16))).toBe(false);
    });
  }
});
