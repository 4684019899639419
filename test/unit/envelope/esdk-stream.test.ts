/**
 * Streams of AWS Encryption SDK messages keep memory bounded: encryptStream emits each frame as
 * soon as the next plaintext byte shows it is not the last, and decryptStream releases each
 * frame once it verifies, so neither holds more than a frame and a chunk, whatever the message
 * size (test: most of the output appears before the input ends; `npm run bench:envelope-stream`
 * pushes 1 GiB through both and reports peak memory — too slow for the test suite).
 */
import { describe, expect, it } from "vitest";
import { EnvelopeClient } from "../../../src/envelope/index.ts";
import { inProcessKms } from "./in-process-kms.ts";
import { concat, expectBytes, random } from "./support.ts";

/** Writes `input` in chunks to `stream` and counts how much output had appeared before the input ended. */
async function pump(stream: TransformStream<Uint8Array, Uint8Array>, input: Uint8Array, chunk: number) {
  const writer = stream.writable.getWriter();
  const reader = stream.readable.getReader();
  const parts: Uint8Array[] = [];
  let received = 0;
  let done = false;
  const reading = (async () => {
    for (;;) {
      const { done: end, value } = await reader.read();
      if (end) return;
      parts.push(value);
      received += value.length;
    }
  })();
  let beforeEnd = 0;
  for (let at = 0; at < input.length; at += chunk) {
    await writer.write(input.slice(at, at + chunk));
    // Let the transform run and the reader take what it produced.
    await new Promise((r) => setTimeout(r, 0));
  }
  beforeEnd = received;
  await writer.close();
  await reading;
  done = true;
  return { output: concat(...parts), beforeEnd, done };
}

describe.each(["ALG_AES256_GCM_HKDF_SHA512_COMMIT_KEY", "ALG_AES256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384"] as const)(
  "%s streams",
  (algorithmSuite) => {
    it("emit ciphertext and release plaintext frame by frame, before the input ends", async () => {
      const kms = inProcessKms();
      const client = new EnvelopeClient({ kms, keyId: kms.createKey(), algorithmSuite });
      const data = random(2 * 1024 * 1024);
      const encrypted = await pump(client.encryptStream(), data, 65536);
      // Everything but the last frame (and the footer) is out before the plaintext ends.
      expect(encrypted.beforeEnd).toBeGreaterThan(data.length - 2 * 4096);
      const decrypted = await pump(client.decryptStream(), encrypted.output, 65536);
      expect(decrypted.beforeEnd).toBeGreaterThan(data.length - 65536 - 2 * 4096);
      expectBytes(decrypted.output, data);
    }, 60_000);
  },
);
