/**
 * Reading and writing AWS Encryption SDK messages (aws-encryption-sdk-specification,
 * data-format/message.md, message-body.md, message-footer.md; client-apis/decrypt.md) once the
 * client has a data key: the header tag and key commitment, the framed and non-framed bodies, the
 * footer signature.
 *
 *   regular frame                        final frame                          non-framed body
 *   4   sequence number s               4   FF FF FF FF                      12  IV
 *   12  IV (s, zero-padded)             4   sequence number s                8   content length L
 *   F   encrypted content               12  IV                               L   encrypted content
 *   16  tag                             4   content length Lf (0 <= Lf <= F) 16  tag
 *                                       Lf  encrypted content
 *                                       16  tag
 *   footer (signed suites only): u16 signature length, DER ECDSA signature over header and body
 *
 * Frames are numbered from 1; every framed body ends with exactly one final frame. The reader
 * checks, in order: the header's structure, the commitment policy, the caller's expected context
 * (before any KMS call), the key commitment (before the header tag: a data key other than the
 * writer's is refused before anything is decrypted), the header tag, each frame's sequence number
 * and tag, the end of the body and, for signed suites, the signature; input after the message is
 * refused. A stream releases each regular frame's plaintext once that frame's tag verifies; the
 * final frame's only once the whole message has verified (the signature included) and the input
 * has ended; a non-framed body's likewise (which needs the whole body in memory: such messages
 * come from old writers only). As with the Encryption SDKs' streaming decryption, the regular
 * frames of a signed message are released before its signature is checked: treat a stream's
 * output as complete and authentic only when it closes without error. Whole-message decryption
 * releases nothing before everything has verified. Every failure is a MessageError, which the client turns into its one opaque
 * InvalidCiphertextException.
 */
import { bytesEqual } from "../../bytes.ts";
import type { EncryptionContext } from "../../crypto/encryption-context.ts";
import { CONTENT_FRAMED, HeaderFormatError, IV_LENGTH, MAX_HEADER_LENGTH, parseHeader, TAG_LENGTH, type ParsedHeader } from "./header.ts";
import {
  bodyAad,
  bodyCipher,
  deriveKey,
  FINAL_FRAME_STRING,
  FRAME_STRING,
  setAadCounters,
  SINGLE_BLOCK_STRING,
  type BodyCipher,
} from "./keys.ts";
import { type MessageSigner, MessageVerifier } from "./signature.ts";
import { PUBLIC_KEY_CONTEXT_KEY, type CommitmentPolicy } from "./suites.ts";

export const FINAL_MARKER = 0xffff_ffff;
/** Largest frame a reader accepts and a writer uses: bounds a stream's memory. */
export const MAX_FRAME_LENGTH = 2 ** 24;
/** Largest non-framed body a reader accepts (it must hold all of it before releasing any). */
export const MAX_NON_FRAMED_LENGTH = 2 ** 30;

/** Any reason a message cannot be opened. */
export class MessageError extends Error {
  constructor(reason: string) {
    super(`invalid message: ${reason}`);
    this.name = "MessageError";
  }
}

/** A FIFO of byte chunks that hands out contiguous views, copying only across chunk edges. */
class ByteQueue {
  #chunks: Uint8Array[] = [];
  #offset = 0;
  length = 0;

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.length += chunk.length;
  }

  peek(n: number): Uint8Array {
    const first = this.#chunks[0];
    if (first !== undefined && first.length - this.#offset >= n) return first.subarray(this.#offset, this.#offset + n);
    const out = new Uint8Array(n);
    let filled = 0;
    let offset = this.#offset;
    for (const chunk of this.#chunks) {
      const part = chunk.subarray(offset, offset + (n - filled));
      out.set(part, filled);
      filled += part.length;
      offset = 0;
      if (filled === n) break;
    }
    return out;
  }

  uint32(at: number): number {
    const b = this.peek(at + 4);
    return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
  }

  take(n: number): Uint8Array {
    const out = this.peek(n);
    this.length -= n;
    let left = n;
    while (left > 0) {
      const first = this.#chunks[0]!;
      const available = first.length - this.#offset;
      if (available > left) {
        this.#offset += left;
        break;
      }
      left -= available;
      this.#chunks.shift();
      this.#offset = 0;
    }
    return out;
  }
}

/**
 * Checks a data key against a parsed header: derives the message key, compares the key commitment
 * (constant time), verifies the header tag. Returns the body cipher, or undefined when the data
 * key does not open this header. The caller wipes `dataKey`.
 */
export async function openHeader(header: ParsedHeader, dataKey: Uint8Array): Promise<BodyCipher | undefined> {
  if (dataKey.length !== header.suite.keyLength) return undefined;
  const { key, commitment } = deriveKey(header.suite, dataKey, header.messageId);
  if (header.suite.committing && !bytesEqual(commitment!, header.commitment!)) {
    key.fill(0);
    commitment?.fill(0);
    return undefined;
  }
  commitment?.fill(0);
  const cipher = bodyCipher(key);
  try {
    await cipher.openInto(header.iv, header.tag, header.body, new Uint8Array(0), 0);
    return cipher;
  } catch {
    cipher.destroy();
    return undefined;
  }
}

export interface ReaderOptions {
  policy: CommitmentPolicy;
  /** Pairs the message's encryption context must contain, with these values. */
  expected: EncryptionContext;
  /** True for a stream (bounded memory: incremental signature hashing). */
  streaming: boolean;
  /** Gets the data key from KMS (or the cache) and opens the header with openHeader. */
  unlock: (header: ParsedHeader) => Promise<{ cipher: BodyCipher; keyId: string }>;
  onHeader: (header: ParsedHeader, keyId: string) => void;
  /**
   * Whole-message mode: a buffer to decrypt the frames into, one after the other, instead of a
   * new array per frame (emitted plaintexts are then views of it).
   */
  sink?: Uint8Array;
}

/** Reads one message from pushed bytes. */
export class EsdkReader {
  #state: "header" | "body" | "footer" | "done" = "header";
  #queue = new ByteQueue();
  #header: ParsedHeader | undefined;
  #cipher: BodyCipher | undefined;
  #verifier: MessageVerifier | undefined;
  #sequence = 1;
  /** Plaintext held back until the message has fully verified. */
  #held: Uint8Array | undefined;
  /** Bytes of the sink filled so far. */
  #written = 0;
  /** Streams: a sink for the frames of one push (so they leave as one chunk), and its size bound. */
  #pushSink: Uint8Array | undefined;
  #pushBudget = 0;
  /** Body AADs, reused from frame to frame (only their counters change). */
  #aads = new Map<Uint8Array, Uint8Array>();

  constructor(private readonly options: ReaderOptions) {}

  /** Consumes `chunk`; emits the plaintext of every frame that may be released. @throws MessageError or a KMS error. */
  async push(chunk: Uint8Array, emit: (plaintext: Uint8Array) => void): Promise<void> {
    try {
      this.#queue.push(chunk);
      // No push can release more plaintext than the bytes it has to read.
      this.#pushSink = undefined;
      this.#pushBudget = this.#queue.length;
      this.#written = this.options.sink === undefined ? 0 : this.#written;
      if (this.#state === "header") await this.#readHeader();
      if (this.#state === "body") await (this.#header!.contentType === CONTENT_FRAMED ? this.#readFrames(emit) : this.#readSingleBlock());
      if (this.#state === "footer") await this.#readFooter();
      if (this.#state === "done" && this.#queue.length > 0) throw new MessageError("data after the end of the message");
    } catch (err) {
      this.abort();
      throw err instanceof HeaderFormatError ? new MessageError(err.message) : err;
    }
  }

  /** The input has ended: the message must be complete; releases what was held back. */
  finish(emit: (plaintext: Uint8Array) => void): void {
    if (this.#state !== "done") {
      this.abort();
      throw new MessageError("the message is incomplete");
    }
    if (this.#held !== undefined) emit(this.#held);
    this.#held = undefined;
  }

  abort(): void {
    this.#held?.fill(0);
    this.#held = undefined;
    this.#cipher?.destroy();
    this.#cipher = undefined;
    this.#verifier?.destroy();
    this.#verifier = undefined;
    this.#state = "done";
    this.#queue = new ByteQueue();
  }

  #take(n: number): Uint8Array {
    const bytes = this.#queue.take(n);
    this.#verifier?.update(bytes);
    return bytes;
  }

  async #readHeader(): Promise<void> {
    const header = parseHeader(this.#queue.peek(Math.min(this.#queue.length, MAX_HEADER_LENGTH)));
    if (header === "incomplete") return;
    const { policy, expected } = this.options;
    if (policy === "REQUIRE_ENCRYPT_REQUIRE_DECRYPT" && !header.suite.committing)
      throw new MessageError("a non-committing suite under a policy that requires commitment");
    if (header.contentType === CONTENT_FRAMED && header.frameLength > MAX_FRAME_LENGTH) throw new MessageError("frame length too large");
    for (const [key, value] of Object.entries(expected)) {
      if (!Object.hasOwn(header.encryptionContext, key) || header.encryptionContext[key] !== value)
        throw new MessageError("encryption context");
    }
    const publicKey = header.encryptionContext[PUBLIC_KEY_CONTEXT_KEY];
    if (header.suite.signature) {
      this.#verifier = MessageVerifier.create(header.suite.signature, publicKey, this.options.streaming);
      if (this.#verifier === undefined) throw new MessageError("signature public key");
    } else if (publicKey !== undefined) {
      throw new MessageError("a public key in the context of an unsigned suite");
    }
    const { cipher, keyId } = await this.options.unlock(header);
    this.#cipher = cipher;
    this.#header = header;
    this.#take(header.length);
    this.#state = "body";
    this.options.onHeader(header, keyId);
  }

  /** Opens one frame (or the single block) into the sink or a new array; returns its plaintext. */
  #open(iv: Uint8Array, sealed: Uint8Array, content: Uint8Array, sequence: number, length: number): Uint8Array | Promise<Uint8Array> {
    let aad = this.#aads.get(content);
    if (aad === undefined) this.#aads.set(content, (aad = bodyAad(this.#header!.messageId, content, sequence, length)));
    else setAadCounters(aad, sequence, length);
    let sink = this.options.sink;
    if (sink === undefined && length > 0) sink = this.#pushSink ??= new Uint8Array(this.#pushBudget);
    let out: Uint8Array;
    let offset = 0;
    if (sink !== undefined && this.#written + length <= sink.length) {
      out = sink;
      offset = this.#written;
      this.#written += length;
    } else {
      out = new Uint8Array(length);
    }
    const failed = () => {
      throw new MessageError("a frame does not authenticate");
    };
    try {
      const pending = this.#cipher!.openInto(iv, sealed, aad, out, offset);
      if (pending !== undefined) return pending.then(() => out.subarray(offset, offset + length), failed);
    } catch {
      failed();
    }
    return out.subarray(offset, offset + length);
  }

  #bodyDone(): void {
    this.#cipher!.destroy();
    this.#cipher = undefined;
    this.#state = this.#header!.suite.signature ? "footer" : "done";
  }

  async #readFrames(emit: (plaintext: Uint8Array) => void): Promise<void> {
    const frameLength = this.#header!.frameLength;
    const queue = this.#queue;
    while (this.#state === "body" && queue.length >= 4) {
      const sequence = this.#sequence;
      if (queue.uint32(0) === FINAL_MARKER) {
        const fixed = 8 + IV_LENGTH + 4;
        if (queue.length < fixed) return;
        const length = queue.uint32(8 + IV_LENGTH);
        if (queue.uint32(4) !== sequence || length > frameLength) throw new MessageError("final frame");
        if (queue.length < fixed + length + TAG_LENGTH) return;
        const frame = this.#take(fixed + length + TAG_LENGTH);
        const plaintext = await this.#open(frame.subarray(8, 8 + IV_LENGTH), frame.subarray(fixed), FINAL_FRAME_STRING, sequence, length);
        // Held until the input ends (and, when signed, the signature verifies), so nothing of a
        // message with data after its final frame is released with it.
        this.#held = plaintext;
        this.#bodyDone();
      } else {
        if (queue.uint32(0) !== sequence || sequence >= FINAL_MARKER - 1) throw new MessageError("frame sequence");
        const size = 4 + IV_LENGTH + frameLength + TAG_LENGTH;
        if (queue.length < size) return;
        const frame = this.#take(size);
        const opened = this.#open(frame.subarray(4, 4 + IV_LENGTH), frame.subarray(4 + IV_LENGTH), FRAME_STRING, sequence, frameLength);
        emit(opened instanceof Uint8Array ? opened : await opened);
        this.#sequence = sequence + 1;
      }
    }
  }

  async #readSingleBlock(): Promise<void> {
    const queue = this.#queue;
    if (queue.length < IV_LENGTH + 8) return;
    const lengthBytes = queue.peek(IV_LENGTH + 8).subarray(IV_LENGTH);
    const length = Number(new DataView(lengthBytes.buffer, lengthBytes.byteOffset, 8).getBigUint64(0));
    if (length > MAX_NON_FRAMED_LENGTH) throw new MessageError("non-framed body too large");
    if (queue.length < IV_LENGTH + 8 + length + TAG_LENGTH) return;
    const body = this.#take(IV_LENGTH + 8 + length + TAG_LENGTH);
    this.#held = await this.#open(body.subarray(0, IV_LENGTH), body.subarray(IV_LENGTH + 8), SINGLE_BLOCK_STRING, 1, length);
    this.#bodyDone();
  }

  async #readFooter(): Promise<void> {
    const queue = this.#queue;
    if (queue.length < 2) return;
    const length = (queue.peek(2)[0]! << 8) | queue.peek(2)[1]!;
    if (queue.length < 2 + length) return;
    const footer = queue.take(2 + length);
    const verifier = this.#verifier!;
    this.#verifier = undefined;
    const valid = await verifier.verify(footer.subarray(2));
    verifier.destroy();
    if (!valid) throw new MessageError("signature");
    this.#state = "done";
  }
}

/** Bytes of a regular frame of `frameLength` and of a final frame holding `length` bytes. */
export const regularFrameSize = (frameLength: number) => 4 + IV_LENGTH + frameLength + TAG_LENGTH;
export const finalFrameSize = (length: number) => 8 + IV_LENGTH + 4 + length + TAG_LENGTH;

/**
 * Writes the header tag, frames and footer of one message. Frames are sealed straight into the
 * caller's buffer (frameInto) so that a whole message is built without per-frame copies; the IV
 * and AAD buffers are reused from frame to frame.
 */
export class EsdkWriter {
  #sequence = 1;
  #cipher: BodyCipher | undefined;
  readonly #iv = new Uint8Array(IV_LENGTH);
  readonly #frameAad: Uint8Array;
  readonly #finalAad: Uint8Array;

  constructor(
    messageId: Uint8Array,
    cipher: BodyCipher,
    private readonly signer: MessageSigner | undefined,
  ) {
    this.#cipher = cipher;
    this.#frameAad = bodyAad(messageId, FRAME_STRING, 0, 0);
    this.#finalAad = bodyAad(messageId, FINAL_FRAME_STRING, 0, 0);
  }

  /** Seals the header body: header = body || tag (v2: the IV is 12 zero bytes, not written). */
  async header(body: Uint8Array): Promise<Uint8Array> {
    const header = new Uint8Array(body.length + TAG_LENGTH);
    header.set(body);
    await this.#live().sealInto(new Uint8Array(IV_LENGTH), new Uint8Array(0), body, header, body.length);
    this.signer?.update(header);
    return header;
  }

  /**
   * Seals the next frame of `plaintext` into `out` at `at` (a regular frame is exactly the frame
   * length) and returns its size. The final frame ends the body and forgets the key.
   */
  frameInto(plaintext: Uint8Array, final: boolean, out: Uint8Array, at: number): number | Promise<number> {
    const sequence = this.#sequence++;
    if (sequence >= FINAL_MARKER) throw new RangeError("the message has too many frames for its frame length");
    const iv = this.#iv;
    new DataView(iv.buffer).setUint32(8, sequence);
    const aad = final ? this.#finalAad : this.#frameAad;
    setAadCounters(aad, sequence, plaintext.length);
    const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
    let fixed: number;
    if (final) {
      view.setUint32(at, FINAL_MARKER);
      view.setUint32(at + 4, sequence);
      out.set(iv, at + 8);
      view.setUint32(at + 8 + IV_LENGTH, plaintext.length);
      fixed = 8 + IV_LENGTH + 4;
    } else {
      view.setUint32(at, sequence);
      out.set(iv, at + 4);
      fixed = 4 + IV_LENGTH;
    }
    const size = fixed + plaintext.length + TAG_LENGTH;
    const done = (): number => {
      this.signer?.update(out.subarray(at, at + size));
      if (final) this.destroy();
      return size;
    };
    // The core seals synchronously: no promise (and no microtask) per frame.
    const pending = this.#live().sealInto(iv, plaintext, aad, out, at + fixed);
    return pending === undefined ? done() : pending.then(done);
  }

  /** As frameInto, into a new array. */
  async frame(plaintext: Uint8Array, final: boolean): Promise<Uint8Array> {
    const out = new Uint8Array(final ? finalFrameSize(plaintext.length) : regularFrameSize(plaintext.length));
    await this.frameInto(plaintext, final, out, 0);
    return out;
  }

  /**
   * The footer for signed suites (empty otherwise); call after the final frame. `message`: the
   * header and body written so far, when the caller has them in one array (see MessageSigner).
   */
  async footer(message?: Uint8Array): Promise<Uint8Array> {
    if (this.signer === undefined) return new Uint8Array(0);
    return this.signer.footer(message);
  }

  destroy(): void {
    this.#cipher?.destroy();
    this.#cipher = undefined;
  }

  #live(): BodyCipher {
    if (this.#cipher === undefined) throw new Error("this message has been finished");
    return this.#cipher;
  }
}
