/**
 * The AWS JSON 1.1 request body: parsing the text into a JSON object, and (re-exported from
 * wire.ts) the encodings of blobs and timestamps in responses.
 *
 * Spec: Smithy's awsJson1_1 protocol. AWS answers a body that is not a JSON object with
 * SerializationException; an empty body is an empty request (`{}`), which AWS accepts for
 * operations whose members are all optional (e.g. ListKeys).
 *
 * Security: parse errors never quote the body, which may hold plaintext.
 */
import { KmsError } from "./errors.ts";

export { decodeBase64, encodeBase64, epochSeconds, toWire } from "./wire.ts";

/**
 * Parses a request body. Throws SerializationException when the text is not JSON or is JSON but
 * not an object. The messages are the Coral deserialiser's for the cases it words (a top-level
 * list or scalar); for text that is not JSON at all AWS sends no message, so we send a short one.
 */
export function parseBody(text: string): Record<string, unknown> {
  if (text.trim() === "") return {};
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
