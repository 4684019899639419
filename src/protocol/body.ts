/**
 * Reading a request body with a size limit, before anything else looks at it (SigV4 hashes the
 * body, so an unbounded read would let anyone who knows an access key ID — they are not secret —
 * make the service buffer and hash gigabytes).
 *
 * The limit, MAX_REQUEST_BYTES = 512 KiB, sits above the largest legitimate KMS request EdgeKMS
 * accepts and far below what would strain an isolate (128 MB). The largest legitimate request is
 * a Decrypt or GenerateDataKey carrying a Recipient (an AttestationDocument of up to 262,144
 * bytes, 349,528 characters of base64) with a 6,144-byte ciphertext (8,192 characters), ten grant
 * tokens of 8,192 characters (81,920) and an 8,192-character encryption context: about 440 KiB
 * of JSON, which is also more than a PutKeyPolicy policy of 131,072 characters can take even if
 * every one is escaped. Requests with a Content-Length above the limit are refused without reading
 * a byte; bodies without one (chunked) are read as a stream and refused as soon as they pass it.
 *
 * AWS KMS documents no limit of its own; the answer follows AWS's services that do (Lambda's
 * RequestEntityTooLargeException, HTTP 413).
 *
 * Runtime-neutral: web streams only.
 */
import { KmsError } from "./errors.ts";

export const MAX_REQUEST_BYTES = 512 * 1024;

function tooLarge(limit: number): KmsError {
  return new KmsError("RequestEntityTooLargeException", `Request body is larger than the ${limit}-byte limit of this service.`);
}

/**
 * The body of `request`, read whole only if it is at most `limit` bytes.
 * @throws KmsError RequestEntityTooLargeException (413) when its Content-Length or its actual
 * length exceeds `limit`; the rest of the body is then never read (the stream is cancelled).
 */
export async function readLimitedBody(request: Request, limit = MAX_REQUEST_BYTES): Promise<Uint8Array> {
  const declared = request.headers.get("Content-Length");
  if (declared !== null && /^\d+$/.test(declared.trim()) && Number(declared.trim()) > limit) throw tooLarge(limit);
  if (request.body === null) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let length = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    length += value.byteLength;
    if (length > limit) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(limit);
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0]!;
  const body = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}
