/**
 * Helpers shared by the envelope client's unit tests: random data, stream plumbing, and a walk
 * over a message's frames by the byte table of src/envelope/format.ts (read independently of the
 * client's reader, so tests can cut, swap and duplicate frames exactly at their boundaries).
 */
import { expect } from "vitest";

export function random(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let at = 0; at < length; at += 65536) crypto.getRandomValues(bytes.subarray(at, Math.min(length, at + 65536)));
  return bytes;
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A readable stream of `data` in chunks of the given sizes (cycled). */
export function chunked(data: Uint8Array, sizes: number[] = [65536]): ReadableStream<Uint8Array> {
  let at = 0;
  let i = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (at >= data.length) {
        controller.close();
        return;
      }
      const n = Math.max(1, sizes[i++ % sizes.length]!);
      controller.enqueue(data.slice(at, at + n));
      at += n;
    },
  });
}

export async function collect(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
  }
  return concat(...parts);
}

/** The header length and frame extents of a well-formed message, read by the documented layout. */
export function layout(message: Uint8Array): { headerLength: number; frames: Array<{ start: number; end: number; final: boolean }> } {
  const view = new DataView(message.buffer, message.byteOffset, message.byteLength);
  const frameSize = view.getUint32(70);
  let at = 76 + view.getUint16(74);
  const count = message[at++]!;
  for (let i = 0; i < count; i++) at += 2 + view.getUint16(at);
  const headerLength = at + 16;
  const frames: Array<{ start: number; end: number; final: boolean }> = [];
  at = headerLength;
  while (at < message.length) {
    if (view.getUint32(at) === 0xffffffff) {
      const end = at + 12 + view.getUint32(at + 8) + 16;
      frames.push({ start: at, end, final: true });
      at = end;
    } else {
      frames.push({ start: at, end: at + 4 + frameSize + 16, final: false });
      at += 4 + frameSize + 16;
    }
  }
  expect(at).toBe(message.length);
  return { headerLength, frames };
}

/** Expects `promise` to fail with the envelope's opaque error (or a KMS error of that name). */
export async function expectInvalid(promise: Promise<unknown>): Promise<void> {
  await expect(promise).rejects.toMatchObject({ name: "InvalidCiphertextException" });
}

/**
 * Byte equality for large arrays (vitest's toEqual walks typed arrays element by element, far too
 * slowly for megabytes): compares lengths, then reports the first differing offset.
 */
export function expectBytes(actual: Uint8Array, expected: Uint8Array): void {
  expect(actual).toBeInstanceOf(Uint8Array);
  expect(actual.length).toBe(expected.length);
  let firstDifference = -1;
  for (let i = 0; i < actual.length; i++) {
    if (actual[i] !== expected[i]) {
      firstDifference = i;
      break;
    }
  }
  expect(firstDifference).toBe(-1);
}
