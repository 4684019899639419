import { describe, expect, it } from "vitest";
import { MAX_REQUEST_BYTES, readLimitedBody } from "../../../src/protocol/body.ts";
import { KmsError } from "../../../src/protocol/errors.ts";

/** A chunked body (no Content-Length) of `chunks` pieces of `size` bytes; counts what was pulled. */
function streamed(chunks: number, size: number) {
  const state = { pulled: 0, cancelled: false };
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (state.pulled === chunks) return controller.close();
      state.pulled++;
      controller.enqueue(new Uint8Array(size).fill(0x20));
    },
    cancel() {
      state.cancelled = true;
    },
  });
  const request = new Request("http://kms.test/", { method: "POST", body, duplex: "half" } as RequestInit);
  return { request, state };
}

async function refusal(promise: Promise<unknown>): Promise<KmsError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof KmsError)) throw new Error(`expected a KmsError, got ${String(err)}`);
  return err;
}

describe("readLimitedBody", () => {
  it("returns a body at the limit whole", async () => {
    const body = new Uint8Array(MAX_REQUEST_BYTES).fill(1);
    const read = await readLimitedBody(new Request("http://kms.test/", { method: "POST", body }));
    expect(read).toEqual(body);
  });

  it("returns an empty body for a request without one", async () => {
    expect(await readLimitedBody(new Request("http://kms.test/", { method: "POST" }))).toEqual(new Uint8Array(0));
  });

  it("refuses a declared Content-Length over the limit with a 413 before reading anything", async () => {
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>(
      {
        pull(controller) {
          pulled++;
          controller.enqueue(new Uint8Array(1024));
        },
      },
      { highWaterMark: 0 }, // pulled only when read
    );
    const headers = { "Content-Length": String(100 * 1024 * 1024) };
    const request = new Request("http://kms.test/", { method: "POST", headers, body, duplex: "half" } as RequestInit);
    const err = await refusal(readLimitedBody(request));
    expect(err.type).toBe("RequestEntityTooLargeException");
    expect(err.status).toBe(413);
    expect(err.message).toBe(`Request body is larger than the ${MAX_REQUEST_BYTES}-byte limit of this service.`);
    expect(pulled).toBe(0);
  });

  it("reads a chunked body only until it passes the limit, then cancels the stream", async () => {
    const { request, state } = streamed(100 * 1024, 1024); // 100 MiB offered
    const err = await refusal(readLimitedBody(request));
    expect(err.type).toBe("RequestEntityTooLargeException");
    expect(state.pulled).toBeLessThanOrEqual(MAX_REQUEST_BYTES / 1024 + 2);
    expect(state.cancelled).toBe(true);
  });

  it("accepts a chunked body under the limit and joins its chunks", async () => {
    const { request } = streamed(3, 1000);
    const read = await readLimitedBody(request);
    expect(read.length).toBe(3000);
    expect(read.every((b) => b === 0x20)).toBe(true);
  });
});
