/**
 * Wire encodings of the AWS JSON 1.1 protocol that have no dependencies: blobs travel as standard
 * base64 (RFC 4648 §4, with padding) and timestamps as epoch seconds, a JSON number that may have
 * a fractional part for milliseconds (Smithy's `epoch-seconds` format, the awsJson1_1 default).
 *
 * Security: these functions see plaintexts and data keys. They copy nothing into logs or error
 * messages; `decodeBase64` reports *why* a string is not base64, never the string itself.
 */

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** Standard padded base64 of `bytes`. */
export function encodeBase64(bytes: Uint8Array): string {
  let out = "";
  const n = bytes.length;
  let i = 0;
  for (; i + 2 < n; i += 3) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += ALPHABET[v >>> 18]! + ALPHABET[(v >>> 12) & 63]! + ALPHABET[(v >>> 6) & 63]! + ALPHABET[v & 63]!;
  }
  if (n - i === 1) {
    const v = bytes[i]! << 16;
    out += ALPHABET[v >>> 18]! + ALPHABET[(v >>> 12) & 63]! + "==";
  } else if (n - i === 2) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += ALPHABET[v >>> 18]! + ALPHABET[(v >>> 12) & 63]! + ALPHABET[(v >>> 6) & 63]! + "=";
  }
  return out;
}

const DECODE = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DECODE[ALPHABET.charCodeAt(i)] = i;

/** Why a string is not canonical base64, in the wording of AWS's (Coral's) deserialiser. */
export type Base64Problem = string;

/**
 * Decodes standard padded base64, rejecting what AWS rejects: a length that is not a multiple of
 * 4, characters outside the alphabet or misplaced padding, and non-zero bits after the last
 * character (non-canonical encodings). Returns the bytes or the reason; never throws.
 */
export function decodeBase64(text: string): Uint8Array | { problem: Base64Problem } {
  if (text.length % 4 !== 0) {
    return { problem: `Base64 encoded length is expected a multiple of 4 bytes but found: ${text.length}` };
  }
  let pad = 0;
  if (text.endsWith("==")) pad = 2;
  else if (text.endsWith("=")) pad = 1;
  const body = text.length - pad;
  for (let i = 0; i < body; i++) {
    const c = text.charCodeAt(i);
    if (c >= 128 || DECODE[c]! < 0) return { problem: `Invalid Base64 character: '${text[i]}'` };
  }
  const out = new Uint8Array((text.length / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < body; i += 4) {
    const a = DECODE[text.charCodeAt(i)]!;
    const b = DECODE[text.charCodeAt(i + 1)]!;
    const c = i + 2 < body ? DECODE[text.charCodeAt(i + 2)]! : 0;
    const d = i + 3 < body ? DECODE[text.charCodeAt(i + 3)]! : 0;
    const v = (a << 18) | (b << 12) | (c << 6) | d;
    out[o++] = v >>> 16;
    if (o < out.length) out[o++] = (v >>> 8) & 255;
    if (o < out.length) out[o++] = v & 255;
  }
  // One pad character leaves 2 unused bits in the last character, two leave 4; canonical base64
  // has them zero. ("dectected" is Coral's spelling, kept so messages match AWS's.)
  if (pad > 0) {
    const last = DECODE[text.charCodeAt(body - 1)]!;
    const mask = pad === 2 ? 0x0f : 0x03;
    if ((last & mask) !== 0) return { problem: "Invalid last non-pad Base64 character dectected" };
  }
  return out;
}

/** A Date as AWS JSON sends it: seconds since the epoch, milliseconds as the fraction. */
export function epochSeconds(date: Date): number {
  return date.getTime() / 1000;
}

/**
 * Converts a typed response to its JSON form: Uint8Array → base64 string, Date → epoch seconds,
 * `undefined` members dropped; arrays and plain objects are converted recursively.
 */
export function toWire(value: unknown): unknown {
  if (value instanceof Uint8Array) return encodeBase64(value);
  if (value instanceof Date) return epochSeconds(value);
  if (Array.isArray(value)) return value.map(toWire);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (v !== undefined) out[k] = toWire(v);
    }
    return out;
  }
  return value;
}
