/**
 * `npm run bench:envelope-stream`: a 1 GiB message (BENCH_STREAM_MIB to change) streamed through
 * EnvelopeClient.encryptStream and then decryptStream, for both suites EdgeKMS writes, with the
 * plaintext generated on the fly and checked with an incremental SHA-256 on both sides — never
 * held whole. Prints MB/s and the peak resident and ArrayBuffer memory seen while streaming: the
 * evidence that a stream's memory is bounded (a frame and a chunk), whatever the message size.
 * Data keys come from the in-process KMS stand-in (test/unit/envelope/in-process-kms.ts).
 */
import { Sha256 } from "../src/crypto/hash.ts";
import { EnvelopeClient } from "../src/envelope/client.ts";
import { inProcessKms } from "../test/unit/envelope/in-process-kms.ts";

const MiB = 1024 * 1024;
const TOTAL = Number(process.env.BENCH_STREAM_MIB ?? 1024) * MiB;
const CHUNK = 256 * 1024;

function source(total: number, hash: Sha256): ReadableStream<Uint8Array> {
  const block = new Uint8Array(CHUNK);
  for (let at = 0; at < CHUNK; at += 65536) crypto.getRandomValues(block.subarray(at, at + 65536));
  let sent = 0;
  return new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (sent >= total) return controller.close();
        const chunk = block.slice(0, Math.min(CHUNK, total - sent));
        // Vary each chunk so frames differ.
        new DataView(chunk.buffer).setUint32(0, sent / CHUNK);
        hash.update(chunk);
        sent += chunk.length;
        controller.enqueue(chunk);
      },
    },
    { highWaterMark: 1 },
  );
}

async function main(): Promise<void> {
  const kms = inProcessKms();
  const keyId = kms.createKey();
  console.log(`\nStreaming ${TOTAL / MiB} MiB: plaintext → encryptStream → decryptStream → SHA-256; Node ${process.version}\n`);
  for (const algorithmSuite of ["ALG_AES256_GCM_HKDF_SHA512_COMMIT_KEY", "ALG_AES256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384"] as const) {
    const client = new EnvelopeClient({ kms, keyId, algorithmSuite });
    const sent = new Sha256();
    const received = new Sha256();
    let peakRss = 0;
    let peakBuffers = 0;
    let bytes = 0;
    const started = performance.now();
    const reader = source(TOTAL, sent).pipeThrough(client.encryptStream()).pipeThrough(client.decryptStream()).getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      received.update(value);
      bytes += value.length;
      if ((bytes & (16 * MiB - 1)) < value.length) {
        const m = process.memoryUsage();
        peakRss = Math.max(peakRss, m.rss);
        peakBuffers = Math.max(peakBuffers, m.arrayBuffers);
      }
    }
    const seconds = (performance.now() - started) / 1000;
    const same = Buffer.from(sent.digest()).equals(Buffer.from(received.digest()));
    if (!same || bytes !== TOTAL) throw new Error(`${algorithmSuite}: the plaintext did not come back`);
    console.log(
      `${algorithmSuite.padEnd(50)} ${(TOTAL / 1e6 / seconds).toFixed(1).padStart(6)} MB/s (encrypt + decrypt)   peak RSS ${(peakRss / MiB).toFixed(0)} MiB, peak ArrayBuffers ${(peakBuffers / MiB).toFixed(0)} MiB`,
    );
  }
}

await main();
