/**
 * The reference of bench/service.bench.mjs on Deno: a `deno serve` handler that does nothing a
 * KMS call needs. It reads the request body (as EdgeKMS must) and answers `{}` with the KMS
 * content type, so the figure is the cost of Deno's HTTP server and one request/response on the
 * same machine, under the same Deno and flags as EdgeKMS (bench/deno-runtime.mjs).
 */
export default {
  async fetch(request: Request): Promise<Response> {
    await request.arrayBuffer();
    return new Response("{}", { headers: { "content-type": "application/x-amz-json-1.1" } });
  },
};
