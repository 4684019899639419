/**
 * The AWS Encryption SDK message header, versions 1 and 2 (aws-encryption-sdk-specification,
 * data-format/message-header.md). All integers are big-endian.
 *
 *   version 1 header body                       version 2 header body
 *   size  field                                 size  field
 *   1     version 0x01                          1     version 0x02
 *   1     type 0x80                             2     algorithm suite ID
 *   2     algorithm suite ID                    32    message ID
 *   16    message ID                            2+A   AAD: u16 length A, encryption context
 *   2+A   AAD: u16 length A, encryption context 2+E   encrypted data keys: u16 count, entries
 *   2+E   encrypted data keys                   1     content type (0x01 non-framed, 0x02 framed)
 *   1     content type                          4     frame length (0 when non-framed)
 *   4     reserved 00 00 00 00                  32    suite data: the key commitment
 *   1     IV length (12)
 *   4     frame length (0 when non-framed)
 *
 *   header authentication: v1: 12-byte IV then 16-byte tag; v2: 16-byte tag (the IV is 12 zero bytes)
 *
 * The encryption context (AAD) is a u16 pair count then pairs sorted by key bytes, each key and
 * value u16-length-prefixed UTF-8; an empty context is A = 0 with nothing after it. An encrypted
 * data key entry is u16-length-prefixed provider ID ("aws-kms"), provider info (the KMS key ARN)
 * and ciphertext (KMS's CiphertextBlob).
 *
 * The header tag is AES-GCM under the derived data key over an empty plaintext, with the header
 * body as AAD (v2: followed by the encoding of any encryption context that is authenticated but
 * not stored, which EdgeKMS never uses, so nothing). Parsing checks structure only; the client
 * checks the tag once it has the data key. The parser is strict where the specification is
 * (known version, type, suite, content type, reserved bytes, IV length, no duplicate context keys,
 * valid UTF-8) and refuses headers longer than MAX_HEADER_LENGTH so that a reader's memory stays
 * bounded.
 */
import type { EncryptionContext } from "../../crypto/encryption-context.ts";
import { suiteById, type AlgorithmSuite } from "./suites.ts";

export const CONTENT_NON_FRAMED = 0x01;
export const CONTENT_FRAMED = 0x02;
export const IV_LENGTH = 12;
export const TAG_LENGTH = 16;
export const COMMITMENT_LENGTH = 32;
export const KMS_PROVIDER_ID = "aws-kms";
/** The longest header a reader accepts (the SDKs have no fixed limit; this bounds memory). */
export const MAX_HEADER_LENGTH = 1024 * 1024;

export interface EncryptedDataKey {
  providerId: string;
  providerInfo: Uint8Array;
  ciphertext: Uint8Array;
}

export interface MessageHeader {
  version: 1 | 2;
  suite: AlgorithmSuite;
  messageId: Uint8Array;
  encryptionContext: EncryptionContext;
  encryptedDataKeys: EncryptedDataKey[];
  contentType: typeof CONTENT_NON_FRAMED | typeof CONTENT_FRAMED;
  frameLength: number;
  /** v2: the key commitment from the header. */
  commitment: Uint8Array | undefined;
}

export interface ParsedHeader extends MessageHeader {
  /** The header body: the bytes the header tag authenticates. */
  body: Uint8Array;
  /** The IV of the header tag (v1: from the message; v2: zeros). */
  iv: Uint8Array;
  tag: Uint8Array;
  /** The whole header's length, authentication included. */
  length: number;
}

/** A header that can never be valid; the client turns it into its one opaque error. */
export class HeaderFormatError extends Error {
  constructor(reason: string) {
    super(`malformed message header: ${reason}`);
    this.name = "HeaderFormatError";
  }
}

const INCOMPLETE = Symbol("incomplete");
const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

class Cursor {
  at = 0;
  readonly view: DataView;
  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  need(n: number): void {
    if (this.at + n > this.bytes.length) {
      if (this.at + n > MAX_HEADER_LENGTH) throw new HeaderFormatError("header too long");
      throw INCOMPLETE;
    }
  }
  u8(): number {
    this.need(1);
    return this.bytes[this.at++]!;
  }
  u16(): number {
    this.need(2);
    const v = this.view.getUint16(this.at);
    this.at += 2;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.at);
    this.at += 4;
    return v;
  }
  take(n: number): Uint8Array {
    this.need(n);
    const out = this.bytes.slice(this.at, this.at + n);
    this.at += n;
    return out;
  }
  text(n: number): string {
    try {
      return strictUtf8.decode(this.take(n));
    } catch (err) {
      if (err === INCOMPLETE) throw err;
      throw new HeaderFormatError("invalid UTF-8");
    }
  }
}

function parseContext(c: Cursor, length: number): EncryptionContext {
  const context: EncryptionContext = Object.create(null);
  if (length === 0) return {};
  const end = c.at + length;
  c.need(length);
  const count = c.u16();
  if (count === 0) throw new HeaderFormatError("empty context with a non-zero length");
  for (let i = 0; i < count; i++) {
    const key = c.text(c.u16());
    const value = c.text(c.u16());
    if (Object.hasOwn(context, key)) throw new HeaderFormatError("duplicate context key");
    context[key] = value;
    if (c.at > end) throw new HeaderFormatError("context overruns its length");
  }
  if (c.at !== end) throw new HeaderFormatError("context length mismatch");
  return { ...context };
}

/**
 * Parses the header at the start of `bytes`. Returns "incomplete" when more bytes are needed.
 * @throws HeaderFormatError for a header that can never be valid.
 */
export function parseHeader(bytes: Uint8Array): ParsedHeader | "incomplete" {
  const c = new Cursor(bytes);
  try {
    const version = c.u8();
    if (version !== 1 && version !== 2) throw new HeaderFormatError("unknown version");
    if (version === 1 && c.u8() !== 0x80) throw new HeaderFormatError("unknown type");
    const suite = suiteById(c.u16());
    if (suite === undefined || suite.messageVersion !== version) throw new HeaderFormatError("unknown algorithm suite");
    const messageId = c.take(version === 1 ? 16 : 32);
    const encryptionContext = parseContext(c, c.u16());
    const edkCount = c.u16();
    if (edkCount === 0) throw new HeaderFormatError("no encrypted data keys");
    const encryptedDataKeys: EncryptedDataKey[] = [];
    for (let i = 0; i < edkCount; i++) {
      const providerId = c.text(c.u16());
      const providerInfo = c.take(c.u16());
      const ciphertext = c.take(c.u16());
      encryptedDataKeys.push({ providerId, providerInfo, ciphertext });
    }
    const contentType = c.u8();
    if (contentType !== CONTENT_NON_FRAMED && contentType !== CONTENT_FRAMED) throw new HeaderFormatError("unknown content type");
    let commitment: Uint8Array | undefined;
    let frameLength: number;
    if (version === 1) {
      if (c.u32() !== 0) throw new HeaderFormatError("reserved bytes are not zero");
      if (c.u8() !== IV_LENGTH) throw new HeaderFormatError("IV length");
      frameLength = c.u32();
    } else {
      frameLength = c.u32();
      commitment = c.take(COMMITMENT_LENGTH);
    }
    if ((contentType === CONTENT_FRAMED) !== frameLength > 0) throw new HeaderFormatError("frame length");
    const body = bytes.slice(0, c.at);
    const iv = version === 1 ? c.take(IV_LENGTH) : new Uint8Array(IV_LENGTH);
    const tag = c.take(TAG_LENGTH);
    return {
      version,
      suite,
      messageId,
      encryptionContext,
      encryptedDataKeys,
      contentType,
      frameLength,
      commitment,
      body,
      iv,
      tag,
      length: c.at,
    };
  } catch (err) {
    if (err === INCOMPLETE) return "incomplete";
    throw err;
  }
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** Appends big-endian fields to a growing byte list. */
class Writer {
  #parts: Uint8Array[] = [];
  #length = 0;
  bytes(b: Uint8Array): this {
    this.#parts.push(b);
    this.#length += b.length;
    return this;
  }
  u8(v: number): this {
    return this.bytes(Uint8Array.of(v));
  }
  u16(v: number): this {
    if (!Number.isInteger(v) || v < 0 || v > 0xffff) throw new RangeError("a header field is longer than 65535 bytes");
    return this.bytes(Uint8Array.of(v >>> 8, v & 0xff));
  }
  u32(v: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v);
    return this.bytes(b);
  }
  prefixed(b: Uint8Array): this {
    return this.u16(b.length).bytes(b);
  }
  finish(): Uint8Array {
    const out = new Uint8Array(this.#length);
    let at = 0;
    for (const p of this.#parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
}

/** The AAD encoding of an encryption context: sorted pairs, or nothing at all when empty. */
export function encodeContext(context: EncryptionContext): Uint8Array {
  const pairs = Object.entries(context).map(([k, v]) => [utf8.encode(k), utf8.encode(v)] as const);
  if (pairs.length === 0) return new Uint8Array(0);
  pairs.sort((x, y) => compareBytes(x[0], y[0]));
  const w = new Writer().u16(pairs.length);
  for (const [k, v] of pairs) w.prefixed(k).prefixed(v);
  return w.finish();
}

/**
 * One encrypted data key entry as the header stores it (the data-key cache keeps entries in this
 * form). @throws RangeError when a field is longer than 65535 bytes.
 */
export function encodeDataKey(edk: EncryptedDataKey): Uint8Array {
  return new Writer().prefixed(utf8.encode(edk.providerId)).prefixed(edk.providerInfo).prefixed(edk.ciphertext).finish();
}

export interface HeaderV2Fields {
  suite: AlgorithmSuite;
  messageId: Uint8Array;
  encryptionContext: EncryptionContext;
  /** Entries encoded by encodeDataKey. */
  encodedDataKeys: Uint8Array[];
  frameLength: number;
  commitment: Uint8Array;
}

/**
 * The body of a framed version 2 header (what its tag authenticates).
 * @throws RangeError when the context or the data keys do not fit the format's 16-bit lengths.
 */
export function encodeHeaderBodyV2(fields: HeaderV2Fields): Uint8Array {
  const w = new Writer().u8(2).u16(fields.suite.id).bytes(fields.messageId).prefixed(encodeContext(fields.encryptionContext));
  w.u16(fields.encodedDataKeys.length);
  for (const entry of fields.encodedDataKeys) w.bytes(entry);
  return w.u8(CONTENT_FRAMED).u32(fields.frameLength).bytes(fields.commitment).finish();
}
