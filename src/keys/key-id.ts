/**
 * Key IDs that prove they were issued: AWS's shape (a version-4 UUID), with half of its random
 * bits replaced by a tag — HMAC-SHA256 under a root-key subkey of the account, Region and the
 * other half. The service can then tell a key ID it issued from a made-up one without asking any
 * store, so a request naming a random key ID in a known account creates nothing anywhere (a
 * Durable Object is created by the first look at it) and costs no extra round trip.
 *
 * Layout of the 16 bytes: bytes 0–7 random (byte 6 carries the UUID version 4), bytes 8–15 the
 * first 8 bytes of the tag (byte 8 carries the UUID variant bits 10). 62 bits of tag remain: a
 * forger's chance per guess is 2^-62.
 *
 * Multi-Region keys (`mrk-` followed by 32 hex digits) share one key ID across the Regions of
 * their set, so their tag binds the account alone (the fixed label "multi-Region" stands where a
 * Region name goes; no Region is spelt like that): 8 random bytes, then the first 8 bytes of the
 * tag, so a forger's chance per guess is 2^-64. (A genuine `mrk-` ID therefore passes in a Region
 * where its set has no key: that request reaches the key's object there, which holds nothing and
 * answers NotFound, as a deleted key's does.)
 *
 * Key IDs issued before this scheme (and any chosen by an operator) are not tagged; callers look
 * those up in the account's directory instead (src/operations/context.ts).
 *
 * Rotation: new IDs are tagged under the current root key; a tag under any configured root key
 * (ROOT_KEY, ROOT_KEY_PREVIOUS) is accepted. Once a retired root key is removed from the
 * configuration, the IDs it tagged are no longer recognised here and fall back to the account
 * directory's read, like untagged IDs: they keep working, at the price of that read (README
 * "Root-key rotation" explains the trade-off).
 */
import { hmacSha256 } from "../crypto/index.ts";
import { withSubkey } from "./root-key.ts";
import type { RootKeyRing } from "./root-key-ring.ts";

const utf8 = new TextEncoder();

function tagOf(rootKey: Uint8Array, account: string, region: string, random: Uint8Array): Uint8Array {
  const label = utf8.encode(`${account}\n${region}\n`);
  const data = new Uint8Array(label.length + random.length);
  data.set(label);
  data.set(random, label.length);
  return withSubkey(rootKey, "keyIdTag", (subkey) => hmacSha256(subkey, data).subarray(0, 8));
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function asUuid(bytes: Uint8Array): string {
  const h = hex(bytes);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

const MULTI_REGION = "multi-Region";

/** A new multi-Region key ID ("mrk-" and 32 hex digits) for a key set of `account`, valid in every Region. */
export function newMultiRegionKeyId(rootKeys: RootKeyRing, account: string): string {
  const random = crypto.getRandomValues(new Uint8Array(8));
  return `mrk-${hex(random)}${hex(rootKeys.withCurrent((rootKey) => tagOf(rootKey, account, MULTI_REGION, random)))}`;
}

/** A new key ID for a key of `account` in `region`. */
export function newKeyId(rootKeys: RootKeyRing, account: string, region: string): string {
  const bytes = new Uint8Array(16);
  const random = crypto.getRandomValues(new Uint8Array(8));
  random[6] = (random[6]! & 0x0f) | 0x40;
  bytes.set(random);
  bytes.set(
    rootKeys.withCurrent((rootKey) => tagOf(rootKey, account, region, random)),
    8,
  );
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  return asUuid(bytes);
}

const VERIFIED_IDS = 4096;
const verifiedIds = new WeakMap<RootKeyRing, Map<string, true>>();

/**
 * True when `keyId` carries a tag for `account` in `region` under a configured root key
 * (constant-time compare). The answer is a function of the ring and the three strings alone, and
 * public (the key ID is), so the key IDs found genuine are remembered per ring — VERIFIED_IDS of
 * them, the least recently used first out — and a data-plane call on a known key skips decoding a
 * root key, the HKDF and the HMAC. Refusals are not remembered: made-up IDs cannot evict anything.
 */
export function isIssuedKeyId(rootKeys: RootKeyRing, account: string, region: string, keyId: string): boolean {
  let verified = verifiedIds.get(rootKeys);
  if (verified === undefined) verifiedIds.set(rootKeys, (verified = new Map()));
  const name = `${account}\n${region}\n${keyId}`;
  if (verified.has(name)) {
    verified.delete(name);
    verified.set(name, true);
    return true;
  }
  if (!checkTag(rootKeys, account, region, keyId)) return false;
  verified.set(name, true);
  if (verified.size > VERIFIED_IDS) verified.delete(verified.keys().next().value as string);
  return true;
}

function checkTag(rootKeys: RootKeyRing, account: string, region: string, keyId: string): boolean {
  if (keyId.startsWith("mrk-")) return isIssuedMultiRegionKeyId(rootKeys, account, keyId);
  const m = /^([0-9a-f]{8})-([0-9a-f]{4})-(4[0-9a-f]{3})-([89ab][0-9a-f]{3})-([0-9a-f]{12})$/.exec(keyId);
  if (m === null) return false;
  const h = m.slice(1).join("");
  const bytes = Uint8Array.from({ length: 16 }, (_, i) => parseInt(h.slice(2 * i, 2 * i + 2), 16));
  const matches = (rootKey: Uint8Array) => {
    const expected = tagOf(rootKey, account, region, bytes.subarray(0, 8));
    expected[0] = (expected[0]! & 0x3f) | 0x80;
    return equalTag(expected, bytes.subarray(8)) ? true : undefined;
  };
  return rootKeys.firstOf(matches) === true;
}

function isIssuedMultiRegionKeyId(rootKeys: RootKeyRing, account: string, keyId: string): boolean {
  if (!/^mrk-[0-9a-f]{32}$/.test(keyId)) return false;
  const bytes = Uint8Array.from({ length: 16 }, (_, i) => parseInt(keyId.slice(4 + 2 * i, 6 + 2 * i), 16));
  const matches = (rootKey: Uint8Array) =>
    equalTag(tagOf(rootKey, account, MULTI_REGION, bytes.subarray(0, 8)), bytes.subarray(8)) ? true : undefined;
  return rootKeys.firstOf(matches) === true;
}

/** Compares the 8 tag bytes in constant time. */
function equalTag(expected: Uint8Array, actual: Uint8Array): boolean {
  let diff = 0;
  for (let i = 0; i < 8; i++) diff |= expected[i]! ^ actual[i]!;
  return diff === 0;
}
