/**
 * The AWS JSON 1.1 request body: decoding its bytes as UTF-8, parsing the text into a JSON
 * object, and (re-exported from wire.ts) the encodings of blobs and timestamps in responses.
 *
 * Spec: Smithy's awsJson1_1 protocol (RFC 8259 JSON in UTF-8). AWS answers a body that is not a
 * JSON object with SerializationException; an empty body is an empty request (`{}`), which AWS
 * accepts for operations whose members are all optional (e.g. ListKeys).
 *
 * Hostile input: bytes that are not UTF-8 are refused, never decoded with replacement characters
 * (two different byte strings must not become one request); nesting is bounded before parsing,
 * by a linear scan, so that no later step that walks the value (validation, audit records) can
 * run out of stack. No KMS request nests deeper than 3 levels (CreateKey's Tags, CreateGrant's
 * Constraints); MAX_JSON_DEPTH leaves ample room.
 *
 * Security: parse errors never quote the body, which may hold plaintext.
 */
import { KmsError } from "./errors.ts";

export { decodeBase64, encodeBase64, epochSeconds, toWire } from "./wire.ts";

/** The deepest nesting of objects and arrays a request body may have (the body itself is level 1). */
export const MAX_JSON_DEPTH = 32;

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/**
 * Parses a request body, given as its bytes (decoded as strict UTF-8) or as text. Throws
 * SerializationException when the bytes are not UTF-8, the text is not JSON, nests deeper than
 * MAX_JSON_DEPTH, or is JSON but not an object. The messages are the Coral deserialiser's for the
 * cases it words (a top-level list or scalar); for the others AWS sends no message we know, so
 * we send a short one.
 */
export function parseBody(body: string | Uint8Array): Record<string, unknown> {
  let text: string;
  if (typeof body === "string") {
    text = body;
  } else {
    try {
      text = utf8.decode(body);
    } catch {
      throw new KmsError("SerializationException", "The request body is not valid UTF-8.");
    }
  }
  if (text.trim() === "") return {};
  if (nestingDepth(text) > MAX_JSON_DEPTH) {
    throw new KmsError("SerializationException", `The request body nests JSON deeper than ${MAX_JSON_DEPTH} levels.`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new KmsError("SerializationException", "Could not parse the request body as JSON.");
  }
  if (Array.isArray(value)) throw new KmsError("SerializationException", "Start of list found where not expected");
  if (value === null || typeof value !== "object") {
    throw new KmsError("SerializationException", "Expected a JSON object as the request body.");
  }
  return value as Record<string, unknown>;
}

/**
 * The deepest nesting of `{`/`[` outside string literals, stopping as soon as it passes
 * MAX_JSON_DEPTH. Malformed text gives some number; JSON.parse then rejects it anyway.
 */
function nestingDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  let backslash = -1; // the next backslash at or after i, once looked up (Infinity: none)
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
      else {
        // Jump to the next quote or backslash natively: a body is mostly string contents (base64).
        const quote = text.indexOf('"', i);
        if (backslash < i) {
          const at = text.indexOf("\\", i);
          backslash = at < 0 ? Number.POSITIVE_INFINITY : at;
        }
        const next = backslash < quote || quote < 0 ? backslash : quote;
        if (next === Number.POSITIVE_INFINITY) break;
        i = next - 1;
      }
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b || c === 0x5b) {
      depth++;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > MAX_JSON_DEPTH) return deepest;
      }
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
  }
  return deepest;
}
