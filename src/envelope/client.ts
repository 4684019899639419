/**
 * The envelope-encryption client: encrypts data of any size under a fresh data key from KMS
 * GenerateDataKey and decrypts it with one KMS Decrypt of the stored encrypted data key (the
 * guide's "Envelope Encryption"). It writes the AWS Encryption SDK message format (./esdk/:
 * message format version 2, committing suites, framed) unless asked for EdgeKMS's earlier format
 * (`format: "edgekms-v1"`, ./format.ts), and reads both, telling them apart by the first byte.
 *
 *   const envelope = new EnvelopeClient({ kms: bindingTransport(env.KMS), keyId: "alias/app" });
 *   const sealed = await envelope.encrypt(bytes, { encryptionContext: { tenant: "t1" } });
 *   const { plaintext } = await envelope.decrypt(sealed, { encryptionContext: { tenant: "t1" } });
 *   // or, for data of any size:  body.pipeThrough(envelope.encryptStream({ encryptionContext }))
 *
 * Whole messages (`encrypt`/`decrypt`) return nothing until everything has verified. Streams
 * (`encryptStream`/`decryptStream`, Web Streams TransformStreams) hold at most a frame (4 KiB by
 * default; 64 KiB in edgekms-v1) plus the header and one input chunk in memory, whatever the
 * message size; a decrypting stream releases each regular frame once it verifies (the final frame
 * only when the message has fully verified and the input has ended right after it) and errors —
 * without closing normally — when the message turns out to be truncated, reordered, duplicated,
 * extended or otherwise modified.
 *
 * Failures: every problem with a message (malformed, incomplete, modified, wrong key commitment,
 * bad signature, a suite the commitment policy refuses, or an expected encryption context it does
 * not carry) is the same opaque KmsError InvalidCiphertextException; errors from KMS
 * (AccessDeniedException, NotFoundException, InvalidCiphertextException for an encrypted data key
 * KMS will not open, ...) pass through unchanged. Bad arguments throw TypeError or RangeError.
 *
 * Encryption context: a decrypting caller's expected pairs must each match exactly one pair of
 * the message's context when keys are compared ignoring case, and match it exactly; a message
 * whose context also holds a case variant of an expected key ({"tenant":"alice","Tenant":"carol"}
 * for an expected {"tenant":"alice"}) fails like a wrong context, as KMS policies and grant
 * constraints fail closed on such keys (src/case-insensitive.ts). (Such contexts are still valid
 * to encrypt with, as in AWS KMS; only a check that names one of their keys cannot pass.)
 *
 * Security caveats: the plaintext data key is wiped as soon as the message key has been derived
 * (with caching on, the cache keeps its own copy until an entry expires; see ./cache.ts). The
 * message key lives until the message ends, fails or its stream errors; a stream abandoned without
 * an error keeps it until garbage collection. Web standards only: runs in Node, workerd and Deno.
 */
import { lookupIgnoringCase } from "../case-insensitive.ts";
import type { EncryptionContext } from "../crypto/encryption-context.ts";
import { KmsError } from "../protocol/errors.ts";
import { DataKeyCache, type DataKeyCacheOptions } from "./cache.ts";
import { wasmCipher, type CipherSuite, type MessageCipher } from "./cipher.ts";
import {
  checkFrameSize,
  DATA_KEY_LENGTH,
  DEFAULT_FRAME_SIZE,
  encodeHeader,
  FINAL_FRAME_OVERHEAD,
  FINAL_MARKER,
  FormatError,
  FRAME_FINAL,
  FRAME_REGULAR,
  frameAad,
  frameIv,
  MAX_DATA_KEYS,
  MAX_HEADER_LENGTH,
  MAX_SEQUENCE,
  MESSAGE_ID_LENGTH,
  parseHeader,
  REGULAR_FRAME_OVERHEAD,
  TAG_LENGTH,
  type ParsedHeader,
} from "./format.ts";
import type { KmsTransport } from "./transport.ts";
import { bytesEqual } from "../bytes.ts";
import { awsEncryptStream, beginAwsMessage, encryptAwsMessage, type AwsEncryptionSetup } from "./esdk/encrypt.ts";
import type { ParsedHeader as EsdkHeader } from "./esdk/header.ts";
import { unlockHeader } from "./esdk/kms.ts";
import { EsdkReader, MAX_FRAME_LENGTH, MessageError } from "./esdk/message.ts";
import {
  DEFAULT_COMMITMENT_POLICY,
  DEFAULT_SUITE,
  WRITABLE_SUITES,
  type AlgorithmSuiteName,
  type CommitmentPolicy,
} from "./esdk/suites.ts";

/** The message formats the client writes: the AWS Encryption SDK's (default) or EdgeKMS's own v1. */
export type MessageFormat = "aws-encryption-sdk" | "edgekms-v1";

/** The AWS Encryption SDK's default frame length, used for its format. */
export const ESDK_DEFAULT_FRAME_LENGTH = 4096;

export interface EnvelopeClientOptions {
  /** How to reach KMS: bindingTransport(env.KMS) or awsSdkTransport(new KMSClient(...)). */
  kms: KmsTransport;
  /**
   * The format new messages are written in: "aws-encryption-sdk" (default; message format
   * version 2, readable by every AWS Encryption SDK) or "edgekms-v1" (EdgeKMS's earlier format,
   * the default only when `cipher` is given, which applies to it alone). Both are always read.
   */
  format?: MessageFormat;
  /** AWS Encryption SDK format: the suite new messages use; default ALG_AES256_GCM_HKDF_SHA512_COMMIT_KEY. */
  algorithmSuite?: AlgorithmSuiteName;
  /**
   * AWS Encryption SDK format: REQUIRE_ENCRYPT_REQUIRE_DECRYPT (default) reads committing
   * messages only; REQUIRE_ENCRYPT_ALLOW_DECRYPT also reads the older, non-committing suites.
   */
  commitmentPolicy?: CommitmentPolicy;
  /** The KMS key (key ID, key ARN, alias name or alias ARN) new messages are encrypted under. */
  keyId?: string;
  /** Further KMS keys that each get a copy of the data key (needs a transport with encrypt()). */
  additionalKeyIds?: string[];
  /** Plaintext bytes per frame when encrypting, 1 B to 16 MiB; default 4 KiB (AWS Encryption SDK format) or 64 KiB (edgekms-v1). */
  frameSize?: number;
  /** Data-key caching (off when absent): a DataKeyCache, or options to create one. */
  cache?: DataKeyCache | DataKeyCacheOptions;
  /** edgekms-v1 format only: the AES-GCM/HKDF implementation; default the WebAssembly core (wasmCipher). */
  cipher?: CipherSuite;
}

export interface EncryptOptions {
  encryptionContext?: EncryptionContext;
  /** Overrides the client's keyId for this message. */
  keyId?: string;
}

export interface EncryptStreamOptions extends EncryptOptions {
  /** The exact number of bytes the stream will carry; lets a cache with maxBytes be used. */
  plaintextLength?: number;
}

export interface DecryptOptions {
  /** Pairs the message's encryption context must contain (with these values). */
  encryptionContext?: EncryptionContext;
}

/** What a message says about itself once its header has verified. */
export interface MessageInfo {
  encryptionContext: EncryptionContext;
  /** The KMS key that decrypted the data key (as KMS reports it: a key ARN). */
  keyId: string;
  /** Plaintext bytes per regular frame (0 for a non-framed AWS Encryption SDK message). */
  frameSize: number;
  /** Bytes of the header; for edgekms-v1, with the frame size, gives the plaintext length (format.ts plaintextLength). */
  headerLength: number;
  format: MessageFormat;
  /** AWS Encryption SDK messages: the algorithm suite's name. */
  algorithmSuite?: AlgorithmSuiteName;
}

export interface DecryptResult extends MessageInfo {
  plaintext: Uint8Array;
}

/** A decrypting TransformStream whose `info` settles once the header has verified. */
export type DecryptStream = TransformStream<Uint8Array, Uint8Array> & { readonly info: Promise<MessageInfo> };

/** Merges consecutive views of one buffer (frames opened into one sink) into one view. */
function coalesce(pieces: Uint8Array[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const piece of pieces) {
    const last = out[out.length - 1];
    if (last !== undefined && last.buffer === piece.buffer && last.byteOffset + last.length === piece.byteOffset) {
      out[out.length - 1] = new Uint8Array(last.buffer, last.byteOffset, last.length + piece.length);
    } else if (piece.length > 0) {
      out.push(piece);
    }
  }
  return out;
}

/** The one error for every message that cannot be opened. */
export function invalidMessage(): KmsError {
  return new KmsError(
    "InvalidCiphertextException",
    "The envelope message is malformed, incomplete or modified, or does not carry the expected encryption context.",
  );
}

function checkContext(context: unknown): EncryptionContext {
  if (context === undefined) return {};
  if (context === null || typeof context !== "object" || Array.isArray(context)) {
    throw new TypeError("encryptionContext must be an object of string values");
  }
  for (const value of Object.values(context)) {
    if (typeof value !== "string") throw new TypeError("encryptionContext must be an object of string values");
  }
  return context as EncryptionContext;
}

function requireBytes(value: unknown, name: string): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) throw new TypeError(`${name} must be a Uint8Array`);
}

/** KMS requests omit an empty context, as the AWS SDKs do. */
function kmsContext(context: EncryptionContext): EncryptionContext | undefined {
  return Object.keys(context).length === 0 ? undefined : context;
}

/** Writes one sealed frame into `out` at `at`; returns the frame's length. */
async function sealFrameInto(
  cipher: MessageCipher,
  sequence: number,
  final: boolean,
  plaintext: Uint8Array,
  out: Uint8Array,
  at: number,
): Promise<number> {
  if (sequence > MAX_SEQUENCE) throw new RangeError("message has too many frames for its frame size");
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const aad = frameAad(final ? FRAME_FINAL : FRAME_REGULAR, sequence, plaintext.length);
  const sealed = await cipher.seal(frameIv(sequence), plaintext, aad);
  if (final) {
    view.setUint32(at, FINAL_MARKER);
    view.setUint32(at + 4, sequence);
    view.setUint32(at + 8, plaintext.length);
    out.set(sealed, at + 12);
    return FINAL_FRAME_OVERHEAD + plaintext.length;
  }
  view.setUint32(at, sequence);
  out.set(sealed, at + 4);
  return REGULAR_FRAME_OVERHEAD + plaintext.length;
}

async function sealFrame(cipher: MessageCipher, sequence: number, final: boolean, plaintext: Uint8Array): Promise<Uint8Array> {
  const out = new Uint8Array((final ? FINAL_FRAME_OVERHEAD : REGULAR_FRAME_OVERHEAD) + plaintext.length);
  await sealFrameInto(cipher, sequence, final, plaintext, out, 0);
  return out;
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

  /** The first `n` bytes (n <= length) without consuming them. */
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

  peekUint32(at: number): number {
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

type Unlock = (header: ParsedHeader) => Promise<{ cipher: MessageCipher; keyId: string }>;

/** Reads one message from pushed bytes: header, KMS unlock, then frames in order. */
class MessageReader {
  #state: "header" | "frames" | "done" = "header";
  #queue = new ByteQueue();
  #cipher: MessageCipher | undefined;
  #header: ParsedHeader | undefined;
  #sequence = 1;
  #final: Uint8Array | undefined;
  info: MessageInfo | undefined;

  constructor(
    private readonly unlock: Unlock,
    private readonly expected: EncryptionContext,
    private readonly onInfo: (info: MessageInfo) => void,
  ) {}

  /** Consumes `chunk` and emits every frame's plaintext that has verified. */
  async push(chunk: Uint8Array, emit: (plaintext: Uint8Array) => void): Promise<void> {
    requireBytes(chunk, "ciphertext chunk");
    try {
      this.#queue.push(chunk);
      if (this.#state === "header") await this.#readHeader();
      if (this.#state === "frames") await this.#readFrames(emit);
      if (this.#state === "done" && this.#queue.length > 0) throw invalidMessage();
    } catch (err) {
      this.abort();
      throw err instanceof FormatError ? invalidMessage() : err;
    }
  }

  /**
   * The input has ended: it must have ended right after a final frame, whose plaintext is released
   * now.
   */
  finish(emit: (plaintext: Uint8Array) => void): void {
    if (this.#state !== "done" || this.#final === undefined) {
      this.abort();
      throw invalidMessage();
    }
    emit(this.#final);
    this.#final = undefined;
  }

  abort(): void {
    this.#final?.fill(0);
    this.#final = undefined;
    this.#cipher?.destroy();
    this.#cipher = undefined;
    this.#state = "done";
    this.#queue = new ByteQueue();
  }

  async #readHeader(): Promise<void> {
    const available = Math.min(this.#queue.length, MAX_HEADER_LENGTH);
    const header = parseHeader(this.#queue.peek(available));
    if (header === "incomplete") {
      if (this.#queue.length >= MAX_HEADER_LENGTH) throw invalidMessage();
      return;
    }
    this.#queue.take(header.length);
    for (const [key, value] of Object.entries(this.expected)) {
      const found = lookupIgnoringCase(header.encryptionContext, key);
      if (found === undefined || found === "ambiguous" || found.key !== key || found.value !== value) throw invalidMessage();
    }
    const { cipher, keyId } = await this.unlock(header);
    this.#cipher = cipher;
    this.#header = header;
    this.#state = "frames";
    this.info = {
      encryptionContext: header.encryptionContext,
      keyId,
      frameSize: header.frameSize,
      headerLength: header.length,
      format: "edgekms-v1",
    };
    this.onInfo(this.info);
  }

  async #readFrames(emit: (plaintext: Uint8Array) => void): Promise<void> {
    const frameSize = this.#header!.frameSize;
    const queue = this.#queue;
    while (this.#state === "frames" && queue.length >= 4) {
      const first = queue.peekUint32(0);
      const sequence = this.#sequence;
      if (first === FINAL_MARKER) {
        if (queue.length < 12) return;
        const length = queue.peekUint32(8);
        if (queue.peekUint32(4) !== sequence || length > frameSize) throw invalidMessage();
        if (queue.length < FINAL_FRAME_OVERHEAD + length) return;
        const frame = queue.take(FINAL_FRAME_OVERHEAD + length);
        // Held back until the input ends, so that nothing is released from a message with data
        // after its final frame (appended bytes, a duplicated final frame).
        this.#final = await this.#open(sequence, FRAME_FINAL, frame.subarray(12), length);
        this.#cipher!.destroy();
        this.#cipher = undefined;
        this.#state = "done";
      } else {
        if (first !== sequence || sequence >= MAX_SEQUENCE) throw invalidMessage();
        if (queue.length < REGULAR_FRAME_OVERHEAD + frameSize) return;
        const frame = queue.take(REGULAR_FRAME_OVERHEAD + frameSize);
        emit(await this.#open(sequence, FRAME_REGULAR, frame.subarray(4), frameSize));
        this.#sequence = sequence + 1;
      }
    }
  }

  async #open(sequence: number, type: number, sealed: Uint8Array, length: number): Promise<Uint8Array> {
    try {
      return await this.#cipher!.open(frameIv(sequence), sealed, frameAad(type, sequence, length));
    } catch {
      throw invalidMessage();
    }
  }
}

/** What decrypt and decryptStream drive: one message reader of either format. */
interface Reader {
  info: MessageInfo | undefined;
  push(chunk: Uint8Array, emit: (plaintext: Uint8Array) => void): Promise<void>;
  finish(emit: (plaintext: Uint8Array) => void): void;
  abort(): void;
}

/** The AWS Encryption SDK reader with the client's one opaque error. */
class AwsMessageReader implements Reader {
  info: MessageInfo | undefined;
  readonly #reader: EsdkReader;
  constructor(options: ConstructorParameters<typeof EsdkReader>[0]) {
    const onHeader = options.onHeader;
    this.#reader = new EsdkReader({
      ...options,
      onHeader: (header, keyId) => {
        this.info = {
          encryptionContext: header.encryptionContext,
          keyId,
          frameSize: header.frameLength,
          headerLength: header.length,
          format: "aws-encryption-sdk",
          algorithmSuite: header.suite.name as AlgorithmSuiteName,
        };
        onHeader(header, keyId);
      },
    });
  }
  async push(chunk: Uint8Array, emit: (plaintext: Uint8Array) => void): Promise<void> {
    try {
      await this.#reader.push(chunk, emit);
    } catch (err) {
      throw err instanceof MessageError ? invalidMessage() : err;
    }
  }
  finish(emit: (plaintext: Uint8Array) => void): void {
    try {
      this.#reader.finish(emit);
    } catch (err) {
      throw err instanceof MessageError ? invalidMessage() : err;
    }
  }
  abort(): void {
    this.#reader.abort();
  }
}

/** Picks the reader for a message by its first byte: "E" (edgekms-v1's magic) or 1/2 (AWS Encryption SDK versions). */
class SniffingReader implements Reader {
  #inner: Reader | undefined;
  constructor(private readonly pick: (firstByte: number) => Reader | undefined) {}
  get info(): MessageInfo | undefined {
    return this.#inner?.info;
  }
  async push(chunk: Uint8Array, emit: (plaintext: Uint8Array) => void): Promise<void> {
    requireBytes(chunk, "ciphertext chunk");
    if (this.#inner === undefined) {
      if (chunk.length === 0) return;
      this.#inner = this.pick(chunk[0]!);
      if (this.#inner === undefined) throw invalidMessage();
    }
    await this.#inner.push(chunk, emit);
  }
  finish(emit: (plaintext: Uint8Array) => void): void {
    if (this.#inner === undefined) throw invalidMessage();
    this.#inner.finish(emit);
  }
  abort(): void {
    this.#inner?.abort();
  }
}

interface EncryptionSetup {
  header: Uint8Array;
  cipher: MessageCipher;
  frameSize: number;
}

export class EnvelopeClient {
  readonly #kms: KmsTransport;
  readonly #keyId: string | undefined;
  readonly #additionalKeyIds: readonly string[];
  readonly #frameSize: number;
  readonly #cache: DataKeyCache | undefined;
  readonly #cipher: CipherSuite;
  readonly #format: MessageFormat;
  readonly #suite: AlgorithmSuiteName;
  readonly #policy: CommitmentPolicy;

  /** @throws TypeError or RangeError for invalid options. */
  constructor(options: EnvelopeClientOptions) {
    if (options?.kms === undefined || typeof options.kms.generateDataKey !== "function" || typeof options.kms.decrypt !== "function") {
      throw new TypeError("EnvelopeClient needs a kms transport with generateDataKey and decrypt");
    }
    this.#kms = options.kms;
    this.#keyId = options.keyId;
    this.#additionalKeyIds = options.additionalKeyIds ?? [];
    if (this.#additionalKeyIds.length + 1 > MAX_DATA_KEYS) throw new RangeError(`at most ${MAX_DATA_KEYS} KMS keys per message`);
    if (this.#additionalKeyIds.length > 0 && typeof options.kms.encrypt !== "function") {
      throw new TypeError("additionalKeyIds need a kms transport with encrypt");
    }
    this.#format = options.format ?? (options.cipher === undefined ? "aws-encryption-sdk" : "edgekms-v1");
    if (this.#format !== "aws-encryption-sdk" && this.#format !== "edgekms-v1")
      throw new TypeError(`unknown message format: ${String(this.#format)}`);
    this.#frameSize = options.frameSize ?? (this.#format === "edgekms-v1" ? DEFAULT_FRAME_SIZE : ESDK_DEFAULT_FRAME_LENGTH);
    checkFrameSize(this.#frameSize);
    if (this.#frameSize > MAX_FRAME_LENGTH) throw new RangeError("frameSize is too large");
    this.#cache = options.cache === undefined || options.cache instanceof DataKeyCache ? options.cache : new DataKeyCache(options.cache);
    this.#cipher = options.cipher ?? wasmCipher;
    this.#suite = options.algorithmSuite ?? DEFAULT_SUITE;
    if (!WRITABLE_SUITES.includes(this.#suite))
      throw new RangeError(`EdgeKMS writes only the committing suites: ${WRITABLE_SUITES.join(", ")}`);
    this.#policy = options.commitmentPolicy ?? DEFAULT_COMMITMENT_POLICY;
    if (this.#policy !== "REQUIRE_ENCRYPT_REQUIRE_DECRYPT" && this.#policy !== "REQUIRE_ENCRYPT_ALLOW_DECRYPT") {
      throw new RangeError("commitmentPolicy must be REQUIRE_ENCRYPT_REQUIRE_DECRYPT or REQUIRE_ENCRYPT_ALLOW_DECRYPT");
    }
  }

  /** Encrypts a whole message. */
  async encrypt(plaintext: Uint8Array, options: EncryptOptions = {}): Promise<Uint8Array> {
    requireBytes(plaintext, "plaintext");
    if (this.#format === "aws-encryption-sdk") return encryptAwsMessage(await this.#beginAws(options, plaintext.length, false), plaintext);
    const { header, cipher, frameSize } = await this.#beginEncryption(options, plaintext.length);
    try {
      const regular = plaintext.length === 0 ? 0 : Math.ceil(plaintext.length / frameSize) - 1;
      const finalLength = plaintext.length - regular * frameSize;
      const out = new Uint8Array(header.length + regular * (REGULAR_FRAME_OVERHEAD + frameSize) + FINAL_FRAME_OVERHEAD + finalLength);
      out.set(header, 0);
      let at = header.length;
      for (let i = 0; i < regular; i++) {
        at += await sealFrameInto(cipher, i + 1, false, plaintext.subarray(i * frameSize, (i + 1) * frameSize), out, at);
      }
      await sealFrameInto(cipher, regular + 1, true, plaintext.subarray(regular * frameSize), out, at);
      return out;
    } finally {
      cipher.destroy();
    }
  }

  /** Decrypts a whole message; returns nothing unless all of it verifies. */
  async decrypt(message: Uint8Array, options: DecryptOptions = {}): Promise<DecryptResult> {
    requireBytes(message, "message");
    const pieces: Uint8Array[] = [];
    // AWS Encryption SDK messages decrypt frame by frame into one buffer (plaintext is never
    // longer than the message), so no per-frame arrays and no final copy.
    const sink = message[0] === 0x01 || message[0] === 0x02 ? new Uint8Array(message.length) : undefined;
    const reader = this.#reader(checkContext(options.encryptionContext), false, () => {}, sink);
    try {
      await reader.push(message, (piece) => pieces.push(piece));
      reader.finish((piece) => pieces.push(piece));
    } catch (err) {
      for (const piece of pieces) piece.fill(0);
      sink?.fill(0);
      throw err;
    }
    const total = pieces.reduce((n, p) => n + p.length, 0);
    let contiguous = sink !== undefined;
    for (let i = 0, at = 0; contiguous && i < pieces.length; at += pieces[i]!.length, i++) {
      contiguous = pieces[i]!.buffer === sink!.buffer && pieces[i]!.byteOffset === sink!.byteOffset + at;
    }
    if (contiguous) return { plaintext: sink!.subarray(0, total), ...reader.info! };
    const plaintext = new Uint8Array(total);
    let at = 0;
    for (const piece of pieces) {
      plaintext.set(piece, at);
      at += piece.length;
      piece.fill(0);
    }
    return { plaintext, ...reader.info! };
  }

  /**
   * A TransformStream that encrypts the bytes written to it into one message. The KMS call happens
   * when the stream starts; a failure errors the stream.
   */
  encryptStream(options: EncryptStreamOptions = {}): TransformStream<Uint8Array, Uint8Array> {
    const declared = options.plaintextLength;
    if (declared !== undefined && (!Number.isSafeInteger(declared) || declared < 0)) {
      throw new RangeError("plaintextLength must be a non-negative integer");
    }
    if (this.#format === "aws-encryption-sdk") return awsEncryptStream(() => this.#beginAws(options, declared, true), declared);
    let setup: EncryptionSetup | undefined;
    let pending: Uint8Array | undefined;
    let pendingLength = 0;
    let sequence = 1;
    let total = 0;
    const fail = (err: unknown): never => {
      setup?.cipher.destroy();
      pending?.fill(0);
      throw err;
    };
    return new TransformStream<Uint8Array, Uint8Array>({
      start: async (controller) => {
        setup = await this.#beginEncryption(options, declared);
        pending = new Uint8Array(setup.frameSize);
        controller.enqueue(setup.header);
      },
      transform: async (chunk, controller) => {
        try {
          requireBytes(chunk, "plaintext chunk");
          total += chunk.length;
          if (declared !== undefined && total > declared) throw new RangeError("the stream carries more bytes than plaintextLength");
          const { cipher, frameSize } = setup!;
          let offset = 0;
          while (offset < chunk.length) {
            // A full frame goes out only once more data follows: the last frame must be the final one.
            if (pendingLength === frameSize) {
              controller.enqueue(await sealFrame(cipher, sequence++, false, pending!));
              pendingLength = 0;
            }
            if (pendingLength === 0 && chunk.length - offset > frameSize) {
              controller.enqueue(await sealFrame(cipher, sequence++, false, chunk.subarray(offset, offset + frameSize)));
              offset += frameSize;
              continue;
            }
            const n = Math.min(frameSize - pendingLength, chunk.length - offset);
            pending!.set(chunk.subarray(offset, offset + n), pendingLength);
            pendingLength += n;
            offset += n;
          }
        } catch (err) {
          fail(err);
        }
      },
      flush: async (controller) => {
        try {
          if (declared !== undefined && total !== declared) throw new RangeError("the stream carried fewer bytes than plaintextLength");
          controller.enqueue(await sealFrame(setup!.cipher, sequence, true, pending!.subarray(0, pendingLength)));
          setup!.cipher.destroy();
          pending!.fill(0);
        } catch (err) {
          fail(err);
        }
      },
    });
  }

  /**
   * A TransformStream that decrypts one message written to it. Each regular frame's plaintext is
   * released when that frame verifies, the final frame's when the input ends right after it; the
   * stream errors (InvalidCiphertextException) on any problem, including input that ends before
   * the final frame, so treat its output as complete only when it closes normally. `info` settles
   * when the header has verified (or rejects with the reason it did not), even before anything
   * reads the plaintext.
   */
  decryptStream(options: DecryptOptions = {}): DecryptStream {
    let resolveInfo!: (info: MessageInfo) => void;
    let rejectInfo!: (err: unknown) => void;
    const info = new Promise<MessageInfo>((resolve, reject) => {
      resolveInfo = resolve;
      rejectInfo = reject;
    });
    // `info` is optional to await; an unobserved rejection must not be reported as unhandled.
    info.catch(() => {});
    const reader = this.#reader(checkContext(options.encryptionContext), true, resolveInfo);
    const transformer: Transformer<Uint8Array, Uint8Array> = {
      transform: async (chunk, controller) => {
        const pieces: Uint8Array[] = [];
        try {
          await reader.push(chunk, (plaintext) => pieces.push(plaintext));
        } catch (err) {
          for (const piece of pieces) piece.fill(0);
          rejectInfo(err);
          throw err;
        }
        for (const piece of coalesce(pieces)) controller.enqueue(piece);
      },
      flush: (controller) => {
        try {
          reader.finish((plaintext) => controller.enqueue(plaintext));
        } catch (err) {
          rejectInfo(err);
          throw err;
        }
      },
    };
    // One queued chunk on the readable side, so the header is read (and `info` settles) before
    // anyone reads: a server can await `info` and still answer a bad header with an error status.
    const stream = new TransformStream<Uint8Array, Uint8Array>(transformer, undefined, { highWaterMark: 1 });
    return Object.assign(stream, { info });
  }

  /** A reader for either format; `streaming` bounds memory (signatures hashed as they pass). */
  #reader(expected: EncryptionContext, streaming: boolean, onInfo: (info: MessageInfo) => void, sink?: Uint8Array): Reader {
    return new SniffingReader((first) => {
      if (first === 0x45) return new MessageReader((header) => this.#unlock(header), expected, onInfo);
      if (first !== 0x01 && first !== 0x02) return undefined;
      const reader: AwsMessageReader = new AwsMessageReader({
        policy: this.#policy,
        expected,
        streaming,
        sink,
        unlock: (header: EsdkHeader) => unlockHeader({ kms: this.#kms, cache: this.#cache }, header, invalidMessage),
        onHeader: () => onInfo(reader.info!),
      });
      return reader;
    });
  }

  /** Starts an AWS Encryption SDK message for `options` (./esdk/encrypt.ts does the rest). */
  #beginAws(options: EncryptOptions, length: number | undefined, streaming: boolean): Promise<AwsEncryptionSetup> {
    const keyId = options.keyId ?? this.#keyId;
    if (typeof keyId !== "string" || keyId === "") throw new TypeError("no KMS key: pass keyId to the client or to encrypt");
    const settings = {
      kms: this.#kms,
      cache: this.#cache,
      keyIds: [keyId, ...this.#additionalKeyIds],
      suite: this.#suite,
      frameSize: this.#frameSize,
    };
    return beginAwsMessage(settings, checkContext(options.encryptionContext), length, streaming);
  }

  async #beginEncryption(options: EncryptOptions, length: number | undefined): Promise<EncryptionSetup> {
    const keyId = options.keyId ?? this.#keyId;
    if (typeof keyId !== "string" || keyId === "") throw new TypeError("no KMS key: pass keyId to the client or to encrypt");
    const context = checkContext(options.encryptionContext);
    const keyIds = [keyId, ...this.#additionalKeyIds];
    const cacheId = DataKeyCache.encryptionId(keyIds, context);
    const cached = this.#cache?.takeForEncryption(cacheId, length);
    let dataKey: Uint8Array;
    let encryptedDataKeys: Uint8Array[];
    if (cached !== undefined) {
      ({ dataKey, encryptedDataKeys } = cached);
    } else {
      const generated = await this.#kms.generateDataKey({ KeyId: keyId, KeySpec: "AES_256", EncryptionContext: kmsContext(context) });
      if (!(generated.Plaintext instanceof Uint8Array) || !(generated.CiphertextBlob instanceof Uint8Array)) {
        generated.Plaintext?.fill?.(0);
        throw new TypeError("GenerateDataKey returned no data key");
      }
      dataKey = generated.Plaintext;
      try {
        if (dataKey.length !== DATA_KEY_LENGTH) throw new TypeError("GenerateDataKey returned a data key of the wrong length");
        encryptedDataKeys = [generated.CiphertextBlob];
        for (const extra of this.#additionalKeyIds) {
          const wrapped = await this.#kms.encrypt!({ KeyId: extra, Plaintext: dataKey, EncryptionContext: kmsContext(context) });
          if (!(wrapped.CiphertextBlob instanceof Uint8Array)) throw new TypeError("Encrypt returned no ciphertext");
          encryptedDataKeys.push(wrapped.CiphertextBlob);
        }
        this.#cache?.putForEncryption(cacheId, { dataKey, encryptedDataKeys, keyId: generated.KeyId ?? keyId }, length);
      } catch (err) {
        dataKey.fill(0);
        throw err;
      }
    }
    const messageId = crypto.getRandomValues(new Uint8Array(MESSAGE_ID_LENGTH));
    let cipher: MessageCipher;
    try {
      cipher = await this.#cipher.begin(dataKey, messageId);
    } finally {
      dataKey.fill(0);
    }
    try {
      const authenticated = encodeHeader({
        messageId,
        commitment: cipher.commitment,
        frameSize: this.#frameSize,
        encryptionContext: context,
        encryptedDataKeys,
      });
      const tag = await cipher.seal(frameIv(0), new Uint8Array(0), authenticated);
      const header = new Uint8Array(authenticated.length + TAG_LENGTH);
      header.set(authenticated);
      header.set(tag, authenticated.length);
      return { header, cipher, frameSize: this.#frameSize };
    } catch (err) {
      cipher.destroy();
      throw err;
    }
  }

  /**
   * Gets the data key of a parsed header from KMS (or the cache), checks the key commitment and
   * the header tag, and returns the message's cipher.
   */
  async #unlock(header: ParsedHeader): Promise<{ cipher: MessageCipher; keyId: string }> {
    const context = header.encryptionContext;
    let firstError: unknown;
    for (const encryptedDataKey of header.encryptedDataKeys) {
      const cacheId = DataKeyCache.decryptionId(encryptedDataKey, context);
      let dataKey: Uint8Array;
      let keyId: string;
      let fromCache = false;
      const cached = this.#cache?.takeForDecryption(cacheId);
      if (cached !== undefined) {
        ({ dataKey, keyId } = cached);
        fromCache = true;
      } else {
        try {
          const opened = await this.#kms.decrypt({ CiphertextBlob: encryptedDataKey, EncryptionContext: kmsContext(context) });
          if (!(opened.Plaintext instanceof Uint8Array)) throw new TypeError("Decrypt returned no plaintext");
          dataKey = opened.Plaintext;
          keyId = opened.KeyId ?? "";
        } catch (err) {
          firstError ??= err;
          continue;
        }
      }
      try {
        if (dataKey.length !== DATA_KEY_LENGTH) throw invalidMessage();
        const cipher = await this.#cipher.begin(dataKey, header.messageId);
        try {
          // Commitment before anything is decrypted: the data key must be the one the writer used.
          if (!bytesEqual(cipher.commitment, header.commitment)) throw invalidMessage();
          await cipher.open(frameIv(0), header.tag, header.authenticated);
        } catch {
          cipher.destroy();
          throw invalidMessage();
        }
        if (!fromCache) this.#cache?.putForDecryption(cacheId, { dataKey, keyId });
        return { cipher, keyId };
      } finally {
        dataKey.fill(0);
      }
    }
    throw firstError ?? invalidMessage();
  }
}
