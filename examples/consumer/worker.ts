/**
 * Example consumer worker: encrypts and decrypts request bodies with EdgeKMS through a service
 * binding (see wrangler.toml here and README "Using EdgeKMS from another worker").
 *
 *   POST /encrypt[?tenant=t][&stream=1]   body: plaintext  → an envelope message (src/envelope)
 *   POST /decrypt[?tenant=t][&stream=1]   body: a message   → the plaintext
 *   GET  /key                                                → DescribeKey of KMS_KEY_ID
 *
 * `tenant` becomes the encryption context {app, tenant}, so a body encrypted for one tenant does
 * not decrypt for another. Without `stream`, bodies are handled whole: /decrypt releases nothing
 * unless the entire message verifies, and errors are answered as JSON {name, message} with the
 * AWS error name. With `stream=1` the body is piped through the client's TransformStreams (any
 * size, one frame in memory); a bad header still gets an error status, but a message found bad
 * midway can only cut the response body short — it is sent with its exact Content-Length (when the
 * request had one), so clients see an incomplete body rather than a shorter "complete" one.
 *
 * Security: the worker never sees a KMS key; each message has its own data key, wiped after use.
 */
import type { KmsBinding } from "../../worker/entrypoint.ts";
import { bindingTransport, EnvelopeClient, invalidMessage, kmsBinding, plaintextLength } from "../../src/envelope/index.ts";

interface Env {
  KMS: Service<KmsBinding>;
  KMS_KEY_ID: string;
}

function context(url: URL): Record<string, string> {
  return { app: "edgekms-consumer", tenant: url.searchParams.get("tenant") ?? "default" };
}

function errorResponse(err: unknown): Response {
  const name = err instanceof Error ? err.name : "Error";
  const message = err instanceof Error ? err.message : "unexpected failure";
  const status = name === "AccessDeniedException" ? 403 : name.endsWith("Exception") ? 400 : 500;
  return Response.json({ name, message }, { status });
}

const octets = { "Content-Type": "application/octet-stream" };

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    // EdgeKMS's own envelope format: /decrypt?stream=1 announces the plaintext length from the
    // message length (plaintextLength), which that format's fixed frame layout allows.
    const envelope = new EnvelopeClient({ kms: bindingTransport(env.KMS), keyId: env.KMS_KEY_ID, format: "edgekms-v1" });
    const encryptionContext = context(url);
    const streaming = url.searchParams.get("stream") === "1";
    try {
      if (request.method === "POST" && url.pathname === "/encrypt") {
        if (streaming) {
          const body = request.body ?? new Response(new Uint8Array(0)).body!;
          return new Response(body.pipeThrough(envelope.encryptStream({ encryptionContext })), { headers: octets });
        }
        const sealed = await envelope.encrypt(new Uint8Array(await request.arrayBuffer()), { encryptionContext });
        return new Response(sealed, { headers: octets });
      }
      if (request.method === "POST" && url.pathname === "/decrypt") {
        if (streaming) {
          const body = request.body ?? new Response(new Uint8Array(0)).body!;
          const decrypting = envelope.decryptStream({ encryptionContext });
          const plaintext = body.pipeThrough(decrypting);
          // The header has verified (KMS opened the data key, the context matched) before we
          // answer 200; what fails later can only cut the body short. Announcing the plaintext's
          // length (known from the message's) makes a cut-short body visible to the client.
          const info = await decrypting.info;
          const sent = Number(request.headers.get("Content-Length") ?? Number.NaN);
          const length = Number.isSafeInteger(sent) ? plaintextLength(sent, info.headerLength, info.frameSize) : undefined;
          if (Number.isSafeInteger(sent) && length === undefined) throw invalidMessage();
          const output = length === undefined ? plaintext : plaintext.pipeThrough(new FixedLengthStream(length));
          return new Response(output, { headers: octets });
        }
        const { plaintext } = await envelope.decrypt(new Uint8Array(await request.arrayBuffer()), { encryptionContext });
        return new Response(plaintext, { headers: octets });
      }
      if (request.method === "GET" && url.pathname === "/key") {
        // Direct binding calls: kmsBinding() restores AWS error names on rejections.
        const { KeyMetadata } = await kmsBinding(env.KMS).describeKey({ KeyId: env.KMS_KEY_ID });
        return Response.json({ KeyId: KeyMetadata.KeyId, Arn: KeyMetadata.Arn, CreationDate: KeyMetadata.CreationDate?.toISOString() });
      }
      return new Response("not found", { status: 404 });
    } catch (err) {
      return errorResponse(err);
    }
  },
} satisfies ExportedHandler<Env>;
