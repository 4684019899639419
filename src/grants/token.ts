/**
 * Grant tokens and grant IDs (guide: "Grant Tokens"; KMS API Reference, CreateGrant: "The returned
 * grant token is unique with every CreateGrant request, even when a duplicate GrantId is returned").
 *
 * A grant ID is 64 lowercase hex digits, like AWS's (32 random bytes).
 *
 * A grant token names the key and the grant it was issued for and is authenticated, so a caller
 * cannot make one up to point at someone else's grant. Version 1, before base64url encoding:
 *
 * | offset | length | field                                                              |
 * |-------:|-------:|--------------------------------------------------------------------|
 * |      0 |      1 | version, 0x01                                                      |
 * |      1 |     32 | grant ID (the 64 hex digits as bytes)                              |
 * |     33 |     16 | nonce (random: every CreateGrant returns a new token)              |
 * |     49 |      2 | length L of the key ARN, unsigned big-endian                       |
 * |     51 |      L | key ARN, UTF-8                                                     |
 * |   51+L |     32 | HMAC-SHA256 tag over "edgekms grant token v1\n" ‖ bytes 0 … 50+L    |
 *
 * The tag key is the root key's "grantToken" subkey, HKDF-SHA256(root key, info "edgekms grant
 * token v1") (src/keys/root-key.ts). The guide says a grant
 * token "is not a secret": it carries no key material, only identifiers, and the key ARN is
 * readable. Authenticity is what matters: an altered, truncated or forged token fails to open.
 *
 * Rotation: a token is issued under the current root key and opens under any configured one
 * (ROOT_KEY, ROOT_KEY_PREVIOUS), so grant tokens outlive a root-key rotation while the old key is listed.
 *
 * Security: the derived key is wiped after each use; the tag is compared by accumulating
 * differences and deciding once.
 */
import { hmacSha256 } from "../crypto/index.ts";
import { withSubkey } from "../keys/root-key.ts";
import type { RootKeyRing } from "../keys/root-key-ring.ts";
import { bytesEqual, fromHex, toBase64Url, toHex } from "../bytes.ts";

const VERSION = 1;
const PURPOSE = "edgekms grant token v1";
const HEADER = 51;
const TAG_LENGTH = 32;
const GRANT_ID = /^[0-9a-f]{64}$/;

const utf8 = new TextEncoder();

export interface GrantTokenClaims {
  keyArn: string;
  grantId: string;
}

/** A new grant ID: 32 random bytes as 64 lowercase hex digits. */
export function newGrantId(): string {
  return toHex(crypto.getRandomValues(new Uint8Array(32)));
}

/** True for a string of the form EdgeKMS gives grant IDs (64 lowercase hex digits). */
export function isGrantId(value: string): boolean {
  return GRANT_ID.test(value);
}

/** Issues a fresh token for `grantId` on `keyArn`. @throws Error for a malformed grant ID. */
export function issueGrantToken(rootKeys: RootKeyRing, claims: GrantTokenClaims): string {
  if (!isGrantId(claims.grantId)) throw new Error("grant ID must be 64 hex digits");
  const arn = utf8.encode(claims.keyArn);
  if (arn.length > 0xffff) throw new Error("key ARN too long for a grant token");
  const body = new Uint8Array(HEADER + arn.length);
  body[0] = VERSION;
  body.set(fromHex(claims.grantId), 1);
  body.set(crypto.getRandomValues(new Uint8Array(16)), 33);
  new DataView(body.buffer).setUint16(49, arn.length);
  body.set(arn, HEADER);
  const out = new Uint8Array(body.length + TAG_LENGTH);
  out.set(body);
  out.set(
    rootKeys.withCurrent((rootKey) => tag(rootKey, body)),
    body.length,
  );
  return toBase64Url(out);
}

/**
 * Authenticates a token and returns what it names, or undefined for anything that is not a token
 * this service issued under this root key (bad encoding, wrong length or version, altered bytes).
 * Whether the grant still exists is the key object's question.
 */
export function openGrantToken(rootKeys: RootKeyRing, token: string): GrantTokenClaims | undefined {
  const bytes = fromBase64Url(token);
  if (bytes === undefined || bytes.length < HEADER + TAG_LENGTH || bytes[0] !== VERSION) return undefined;
  const arnLength = new DataView(bytes.buffer, bytes.byteOffset).getUint16(49);
  if (bytes.length !== HEADER + arnLength + TAG_LENGTH) return undefined;
  const body = bytes.subarray(0, HEADER + arnLength);
  const expected = bytes.subarray(HEADER + arnLength);
  if (rootKeys.firstOf((rootKey) => (bytesEqual(tag(rootKey, body), expected) ? true : undefined)) === undefined) return undefined;
  let keyArn: string;
  try {
    keyArn = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(body.subarray(HEADER));
  } catch {
    return undefined;
  }
  return { keyArn, grantId: toHex(body.subarray(1, 33)) };
}

function tag(rootKey: Uint8Array, body: Uint8Array): Uint8Array {
  const prefix = utf8.encode(`${PURPOSE}\n`);
  const message = new Uint8Array(prefix.length + body.length);
  message.set(prefix);
  message.set(body, prefix.length);
  return withSubkey(rootKey, "grantToken", (macKey) => hmacSha256(macKey, message));
}

function fromBase64Url(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) return undefined;
  const padded = text.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (text.length % 4)) % 4);
  let bytes: Uint8Array;
  try {
    bytes = Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
  } catch {
    return undefined;
  }
  // atob ignores the unused low bits of the last character: accept only the canonical spelling,
  // so that one token has exactly one text form.
  return toBase64Url(bytes) === text ? bytes : undefined;
}
