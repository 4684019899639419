/**
 * Carries KmsErrors across Durable Object RPC. Workers RPC keeps only an error's message, not its
 * class, so a Durable Object returns a tagged result and the caller rethrows the same KmsError.
 * Anything else a Durable Object throws stays an unexpected error (an opaque 500 at the edge).
 */
import { KmsError, type KmsErrorType } from "../protocol/errors.ts";

export type RpcResult<T> = { ok: true; value: T } | { ok: false; type: KmsErrorType; message: string };

export async function rpcResult<T>(run: () => T | Promise<T>): Promise<RpcResult<T>> {
  try {
    return { ok: true, value: await run() };
  } catch (err) {
    if (err instanceof KmsError) return { ok: false, type: err.type, message: err.message };
    throw err;
  }
}

export async function unwrap<T>(result: Promise<RpcResult<T>> | RpcResult<T>): Promise<T> {
  const settled = await result;
  if (settled.ok) return settled.value;
  throw new KmsError(settled.type, settled.message);
}
