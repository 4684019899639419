/**
 * HMAC for KMS keys of usage GENERATE_VERIFY_MAC (HMAC_224/256/384/512): GenerateMac and
 * VerifyMac. RFC 2104 with SHA-224/256/384/512 (FIPS 180-4).
 *
 * Where it is computed: the platform's WebCrypto for SHA-256/384/512 and @noble/hashes for
 * SHA-224 (which WebCrypto lacks). This module is the one seam: when the WebAssembly core gains
 * SHA-224/384/512 and HMAC over them (a synchronous, constant-time call), `hmac` switches to it
 * and nothing else changes.
 *
 * Security: VerifyMac compares in time that depends only on the lengths (src/bytes.ts); the key is
 * imported non-extractable for one call.
 */
import { subtle } from "../crypto/subtle.ts";
import { hmac as nobleHmac } from "@noble/hashes/hmac.js";
import { sha224 } from "@noble/hashes/sha2.js";
import { bytesEqual } from "../bytes.ts";
import type { MacAlgorithmSpec } from "../protocol/enums.ts";

const WEBCRYPTO_HASH: Partial<Record<MacAlgorithmSpec, string>> = {
  HMAC_SHA_256: "SHA-256",
  HMAC_SHA_384: "SHA-384",
  HMAC_SHA_512: "SHA-512",
};

/** HMAC of `message` under `key` with the algorithm's hash. */
export async function hmac(algorithm: MacAlgorithmSpec, key: Uint8Array, message: Uint8Array): Promise<Uint8Array> {
  const hash = WEBCRYPTO_HASH[algorithm];
  if (hash === undefined) return nobleHmac(sha224, key, message);
  const imported = await subtle.importKey("raw", key, { name: "HMAC", hash }, false, ["sign"]);
  return new Uint8Array(await subtle.sign("HMAC", imported, message));
}

/** True when `mac` is the full HMAC of `message` (no truncated tags, as AWS KMS). */
export async function verifyHmac(algorithm: MacAlgorithmSpec, key: Uint8Array, message: Uint8Array, mac: Uint8Array): Promise<boolean> {
  const expected = await hmac(algorithm, key, message);
  try {
    return bytesEqual(expected, mac);
  } finally {
    expected.fill(0);
  }
}
