/**
 * Tamper, truncation, reordering and wrong-context cases for AWS Encryption SDK messages written
 * by the envelope client, run the same way in every runtime: the Node unit tier, workerd and Deno
 * each call runEsdkTamperCases with an in-process KMS (test/unit/envelope/in-process-kms.ts, web
 * standards only) and assert what it returns. Web standards only, so it runs in all three.
 *
 * Frames are located by the byte tables of src/envelope/esdk/header.ts and message.ts, read here
 * independently of the client's reader. Every refusal must be the client's one opaque
 * InvalidCiphertextException, except where the tampering lands in an encrypted data key (then KMS
 * refuses it, and its error passes through by name as the client documents).
 */
import { EnvelopeClient } from "../../src/envelope/client.ts";
import type { AlgorithmSuiteName } from "../../src/envelope/esdk/suites.ts";
import type { InProcessKms } from "../unit/envelope/in-process-kms.ts";

export interface TamperRun {
  /** Refusals observed, by case. */
  refused: Record<string, number>;
  /** One line per case that did not behave; empty when all did. */
  failures: string[];
}

const FRAME = 100;
const CONTEXT = { tenant: "acme", purpose: "tamper" };
const KMS_ERRORS = new Set(["InvalidCiphertextException", "IncorrectKeyException", "NotFoundException"]);

function random(n: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(n));
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function flip(bytes: Uint8Array, bit: number): Uint8Array {
  const out = bytes.slice();
  out[bit >> 3]! ^= 1 << (bit & 7);
  return out;
}

interface Layout {
  headerLength: number;
  /** [start, end) of the encrypted data keys inside the header. */
  dataKeys: [number, number];
  frames: Array<{ start: number; end: number; final: boolean }>;
  footer: number;
}

/** A v2 framed message's layout, read by the documented byte tables. */
export function esdkLayout(m: Uint8Array): Layout {
  const v = new DataView(m.buffer, m.byteOffset, m.byteLength);
  let at = 1 + 2 + 32;
  at += 2 + v.getUint16(at);
  const edkStart = at;
  const count = v.getUint16(at);
  at += 2;
  for (let i = 0; i < count; i++) for (let f = 0; f < 3; f++) at += 2 + v.getUint16(at);
  const edkEnd = at;
  at += 1;
  const frameLength = v.getUint32(at);
  at += 4 + 32 + 16;
  const headerLength = at;
  const frames: Layout["frames"] = [];
  for (;;) {
    if (v.getUint32(at) === 0xffffffff) {
      const end = at + 8 + 12 + 4 + v.getUint32(at + 20) + 16;
      frames.push({ start: at, end, final: true });
      at = end;
      break;
    }
    frames.push({ start: at, end: at + 4 + 12 + frameLength + 16, final: false });
    at += 4 + 12 + frameLength + 16;
  }
  return { headerLength, dataKeys: [edkStart, edkEnd], frames, footer: at };
}

async function streamDecrypt(
  client: EnvelopeClient,
  message: Uint8Array,
  chunk: number,
  expected?: Record<string, string>,
): Promise<{ out: Uint8Array; error: unknown }> {
  const parts: Uint8Array[] = [];
  let error: unknown;
  try {
    const source = new ReadableStream<Uint8Array>({
      start(c) {
        for (let at = 0; at < message.length; at += chunk) c.enqueue(message.slice(at, at + chunk));
        c.close();
      },
    });
    const reader = source.pipeThrough(client.decryptStream({ encryptionContext: expected })).getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      parts.push(value);
    }
  } catch (err) {
    error = err;
  }
  return { out: concat(...parts), error };
}

/** Runs every case for one suite; `kms` supplies the data keys. */
export async function runEsdkTamperCases(kms: InProcessKms, algorithmSuite: AlgorithmSuiteName): Promise<TamperRun> {
  const run: TamperRun = { refused: {}, failures: [] };
  const keyId = kms.createKey();
  const client = new EnvelopeClient({ kms, keyId, frameSize: FRAME, algorithmSuite, cache: { maxAgeMs: 60_000, maxMessages: 10 } });
  const reader = new EnvelopeClient({ kms });
  const data = random(4 * FRAME + 50);
  const message = await client.encrypt(data, { encryptionContext: CONTEXT });
  const layout = esdkLayout(message);

  const refuse = async (name: string, bytes: Uint8Array, options: { kmsMayRefuse?: boolean; expected?: Record<string, string> } = {}) => {
    try {
      await reader.decrypt(bytes, { encryptionContext: options.expected });
      run.failures.push(`${name}: opened`);
    } catch (err) {
      const type = (err as Error).name;
      if (type !== "InvalidCiphertextException" && !(options.kmsMayRefuse && KMS_ERRORS.has(type)))
        run.failures.push(`${name}: refused with ${type}`);
      else run.refused[name.split(" ")[0]!] = (run.refused[name.split(" ")[0]!] ?? 0) + 1;
    }
  };

  const good = await reader.decrypt(message, { encryptionContext: CONTEXT });
  if (good.plaintext.length !== data.length || good.plaintext.some((b, i) => b !== data[i]))
    run.failures.push("the untouched message did not open");
  if (
    layout.frames.length !== 5 ||
    layout.footer !==
      message.length - (algorithmSuite.endsWith("P384") ? 2 + ((message[layout.footer]! << 8) | message[layout.footer + 1]!) : 0)
  ) {
    run.failures.push("the layout does not match the documented byte tables");
  }

  for (let length = 0; length < message.length; length++) await refuse(`truncation at ${length}`, message.subarray(0, length));
  for (let bit = 0; bit < layout.headerLength * 8; bit++) {
    const inKeys = bit >= layout.dataKeys[0] * 8 && bit < layout.dataKeys[1] * 8;
    await refuse(`header-bit ${bit}`, flip(message, bit), { kmsMayRefuse: inKeys });
  }
  for (let at = layout.headerLength; at < message.length; at += 7) await refuse(`body-bit at byte ${at}`, flip(message, at * 8 + (at % 8)));
  const frames = layout.frames.map((f) => message.subarray(f.start, f.end));
  const header = message.subarray(0, layout.headerLength);
  const footer = message.subarray(layout.footer);
  for (let i = 0; i + 1 < frames.length; i++) {
    const swapped = [...frames];
    [swapped[i], swapped[i + 1]] = [swapped[i + 1]!, swapped[i]!];
    await refuse(`reorder ${i}`, concat(header, ...swapped, footer));
    await refuse(`duplicate ${i}`, concat(header, ...frames.slice(0, i + 1), frames[i]!, ...frames.slice(i + 1), footer));
    await refuse(`drop ${i}`, concat(header, ...frames.slice(0, i), ...frames.slice(i + 1), footer));
  }
  await refuse("drop-final frame", concat(header, ...frames.slice(0, -1), footer));
  await refuse("append one byte", concat(message, Uint8Array.of(0)));
  await refuse("append a frame", concat(message, frames[0]!));
  for (const expected of [{ tenant: "other" }, { ...CONTEXT, extra: "x" }, { Tenant: "acme" }] as Record<string, string>[]) {
    await refuse(`context ${JSON.stringify(expected)}`, message, { expected });
  }
  // Frames of another message under the same cached data key: every message has its own key.
  const other = await client.encrypt(random(data.length), { encryptionContext: CONTEXT });
  const otherLayout = esdkLayout(other);
  await refuse("splice frames from another message", concat(header, other.subarray(otherLayout.headerLength)));
  if (algorithmSuite.endsWith("P384")) {
    await refuse("signature from another message", concat(message.subarray(0, layout.footer), other.subarray(otherLayout.footer)));
    await refuse("signature removed", message.subarray(0, layout.footer));
  }
  await refuse("empty input", new Uint8Array(0));
  await refuse("garbage", random(200));

  // A stream releases only frames that verified, and nothing when the message ends badly.
  const badFrame = flip(message, (layout.frames[2]!.start + 30) * 8);
  const streamed = await streamDecrypt(reader, badFrame, 37);
  if ((streamed.error as Error | undefined)?.name !== "InvalidCiphertextException")
    run.failures.push("stream with a bad third frame did not error");
  if (streamed.out.length !== 2 * FRAME || streamed.out.some((b, i) => b !== data[i]))
    run.failures.push(`stream released ${streamed.out.length} bytes before the bad frame, not the two good frames`);
  const appended = await streamDecrypt(reader, concat(message, Uint8Array.of(1)), 1000);
  if ((appended.error as Error | undefined)?.name !== "InvalidCiphertextException")
    run.failures.push("stream with appended data did not error");
  if (appended.out.length > 4 * FRAME) run.failures.push("stream released the final frame of a message with appended data");
  const cut = await streamDecrypt(reader, message.subarray(0, layout.frames[4]!.start), 64);
  if ((cut.error as Error | undefined)?.name !== "InvalidCiphertextException")
    run.failures.push("stream cut before its final frame did not error");
  const whole = await streamDecrypt(reader, message, 64, CONTEXT);
  if (whole.error !== undefined || whole.out.length !== data.length) run.failures.push("the untouched message did not stream");
  run.refused.streams = 3;
  return run;
}
