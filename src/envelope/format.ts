/**
 * The EdgeKMS envelope message format, version 1: data of any size encrypted under a data key
 * from KMS GenerateDataKey, with the encrypted data key(s) carried in an authenticated header and
 * the data cut into separately authenticated frames, so that it can be written and read as a
 * stream while every truncation, reordering, duplication or change is detected.
 *
 * Inspired by the AWS Encryption SDK's framed message format (header, body frames, final-frame
 * marker), simplified and with key commitment always on. All integers are big-endian.
 *
 * Header
 *
 *   offset   size  field
 *   0        4     magic "EKEM" (45 4B 45 4D)
 *   4        1     format version = 0x01
 *   5        1     suite = 0x01: HKDF-SHA256 key derivation, AES-256-GCM frames, 16-byte tags,
 *                  key commitment
 *   6        32    message ID (random, unique per message)
 *   38       32    key commitment
 *   70       4     frame size F: plaintext bytes in each regular frame, 1 <= F <= 2^24
 *   74       2     C: length of the encryption context
 *   76       C     encryption context, canonical encoding (src/crypto/encryption-context.ts:
 *                  u16 pair count, pairs sorted by key bytes, each key and value u16-length-prefixed)
 *   76+C     1     N: number of encrypted data keys, 1 <= N <= 16
 *   ...            N times: u16 length L (1 <= L <= 8192), then L bytes: a KMS CiphertextBlob
 *                  (the data key encrypted under a KMS key with this encryption context)
 *   H        16    header tag
 *
 * Frames follow the header. Regular frames hold exactly F bytes of plaintext; the last frame of
 * every message is a final frame holding 0 to F bytes (0 only when the message is empty).
 *
 *   regular frame                          final frame
 *   size  field                            size  field
 *   4     sequence number s                4     final-frame marker FF FF FF FF
 *   F     ciphertext                       4     sequence number s
 *   16    tag                              4     plaintext length Lf, 0 <= Lf <= F
 *                                          Lf    ciphertext
 *                                          16    tag
 *
 * Sequence numbers start at 1 and increase by one per frame (final included); they stay below
 * FF FF FF FF, which is the marker.
 *
 * Keys and IVs (RFC 5869, SP 800-38D)
 *   okm            = HKDF-SHA256(IKM = data key (32 bytes), salt = message ID,
 *                                info = "EdgeKMS envelope v1" || suite byte, L = 64)
 *   message key    = okm[0..32]        commitment = okm[32..64]
 *   header tag     = AES-256-GCM(message key, IV = 12 zero bytes, plaintext = empty,
 *                                AAD = header bytes 0..H)
 *   frame s        = AES-256-GCM(message key, IV = 8 zero bytes || u32 s,
 *                                AAD = frame type (0x00 regular, 0x01 final) || u32 s || u32 length)
 *
 * Why this detects what it must:
 * - header tampering: the header tag covers every header byte; the encrypted data keys and the
 *   context are also bound by KMS (the context is the KMS encryption context of the data key);
 * - reordering and duplication: frame s is sealed under IV(s) and AAD(s), and the reader expects
 *   s = 1, 2, 3, ... in order (the explicit number only makes the failure early);
 * - truncation and a dropped final frame: a message is complete only after a final frame, so
 *   input that ends at any frame boundary without one is refused; the final frame's type byte is
 *   in its AAD, so a regular frame cannot be passed off as final or the reverse;
 * - appended data: any byte after the final frame is refused;
 * - several data keys that decrypt to different keys: the commitment (compared in constant time
 *   before anything is decrypted) ties the message to one data key, which AES-GCM alone does not;
 * - IV reuse: every message has its own key (random 256-bit message ID), even when a cached data
 *   key is reused, and within a message the IVs are distinct sequence numbers (the header uses 0).
 *
 * Security caveats: the header (context and key IDs inside the KMS blobs) is not secret. A
 * streaming reader releases each regular frame's plaintext as soon as that frame verifies, before
 * it knows the message is complete (it holds back only the final frame until the input ends): a
 * consumer must treat the output as complete only when the stream closes without error.
 */
import { encodeEncryptionContext, type EncryptionContext } from "../crypto/encryption-context.ts";

export const MAGIC = new Uint8Array([0x45, 0x4b, 0x45, 0x4d]);
export const FORMAT_VERSION = 0x01;
export const SUITE_AES256_GCM_HKDF_COMMIT = 0x01;

export const MESSAGE_ID_LENGTH = 32;
export const COMMITMENT_LENGTH = 32;
export const DATA_KEY_LENGTH = 32;
export const TAG_LENGTH = 16;
export const IV_LENGTH = 12;

export const MIN_FRAME_SIZE = 1;
export const MAX_FRAME_SIZE = 2 ** 24;
export const DEFAULT_FRAME_SIZE = 64 * 1024;
export const MAX_DATA_KEYS = 16;
export const MAX_DATA_KEY_BLOB = 8192;

/** Bytes before the encryption context: magic, version, suite, message ID, commitment, F, C. */
const FIXED_PREFIX = 4 + 1 + 1 + MESSAGE_ID_LENGTH + COMMITMENT_LENGTH + 4 + 2;
/** The longest header a reader accepts: the largest context and 16 of the largest blobs. */
export const MAX_HEADER_LENGTH = FIXED_PREFIX + 0xffff + 1 + MAX_DATA_KEYS * (2 + MAX_DATA_KEY_BLOB) + TAG_LENGTH;

export const FINAL_MARKER = 0xffff_ffff;
/** The largest sequence number: one below the marker. */
export const MAX_SEQUENCE = 0xffff_fffe;
export const REGULAR_FRAME_OVERHEAD = 4 + TAG_LENGTH;
export const FINAL_FRAME_OVERHEAD = 12 + TAG_LENGTH;

export const FRAME_REGULAR = 0x00;
export const FRAME_FINAL = 0x01;

/** HKDF info: "EdgeKMS envelope v1" followed by the suite byte. */
export const KDF_INFO = new Uint8Array([...new TextEncoder().encode("EdgeKMS envelope v1"), SUITE_AES256_GCM_HKDF_COMMIT]);

export interface HeaderFields {
  messageId: Uint8Array;
  commitment: Uint8Array;
  frameSize: number;
  encryptionContext: EncryptionContext;
  /** KMS CiphertextBlobs of the data key, 1 to 16. */
  encryptedDataKeys: Uint8Array[];
}

/** A parsed header: its fields, the bytes its tag covers, the tag, and its total length. */
export interface ParsedHeader extends HeaderFields {
  authenticated: Uint8Array;
  tag: Uint8Array;
  length: number;
}

/** Thrown by the parser for a header that is malformed; the client turns it into one opaque error. */
export class FormatError extends Error {
  constructor() {
    super("malformed envelope message");
    this.name = "FormatError";
  }
}

/** The 12-byte IV of frame `sequence` (0 is the header's): 8 zero bytes then u32 BE. */
export function frameIv(sequence: number): Uint8Array {
  const iv = new Uint8Array(IV_LENGTH);
  new DataView(iv.buffer).setUint32(8, sequence);
  return iv;
}

/** The AAD of a frame: type byte, u32 sequence number, u32 plaintext length. */
export function frameAad(type: number, sequence: number, length: number): Uint8Array {
  const aad = new Uint8Array(9);
  const view = new DataView(aad.buffer);
  aad[0] = type;
  view.setUint32(1, sequence);
  view.setUint32(5, length);
  return aad;
}

/**
 * The plaintext length of a well-formed message of `messageLength` bytes whose header is
 * `headerLength` bytes and whose frames hold `frameSize` bytes; undefined when no well-formed
 * message has that length. Lets a server announce a streamed plaintext's length (a body cut short
 * then shows as incomplete) before it has read the frames.
 */
export function plaintextLength(messageLength: number, headerLength: number, frameSize: number): number | undefined {
  const frames = messageLength - headerLength - FINAL_FRAME_OVERHEAD;
  if (frames < 0) return undefined;
  const regular = Math.floor(frames / (frameSize + REGULAR_FRAME_OVERHEAD));
  const finalLength = frames - regular * (frameSize + REGULAR_FRAME_OVERHEAD);
  if (finalLength > frameSize) return undefined;
  return regular * frameSize + finalLength;
}

export function checkFrameSize(frameSize: number): void {
  if (!Number.isInteger(frameSize) || frameSize < MIN_FRAME_SIZE || frameSize > MAX_FRAME_SIZE) {
    throw new RangeError(`frame size must be an integer from ${MIN_FRAME_SIZE} to ${MAX_FRAME_SIZE} bytes`);
  }
}

/**
 * The header bytes the tag covers (everything but the tag).
 * @throws RangeError for a frame size, context or data-key list the format cannot carry.
 */
export function encodeHeader(fields: HeaderFields): Uint8Array {
  checkFrameSize(fields.frameSize);
  const context = encodeEncryptionContext(fields.encryptionContext);
  if (context.length > 0xffff) throw new RangeError("encryption context is too large for the envelope header");
  const keys = fields.encryptedDataKeys;
  if (keys.length < 1 || keys.length > MAX_DATA_KEYS) throw new RangeError(`an envelope carries 1 to ${MAX_DATA_KEYS} encrypted data keys`);
  for (const key of keys) {
    if (key.length < 1 || key.length > MAX_DATA_KEY_BLOB) throw new RangeError("encrypted data key has an unsupported length");
  }
  if (fields.messageId.length !== MESSAGE_ID_LENGTH || fields.commitment.length !== COMMITMENT_LENGTH) {
    throw new RangeError("message ID and commitment must be 32 bytes");
  }
  const size = FIXED_PREFIX + context.length + 1 + keys.reduce((n, k) => n + 2 + k.length, 0);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  out[4] = FORMAT_VERSION;
  out[5] = SUITE_AES256_GCM_HKDF_COMMIT;
  out.set(fields.messageId, 6);
  out.set(fields.commitment, 38);
  view.setUint32(70, fields.frameSize);
  view.setUint16(74, context.length);
  out.set(context, 76);
  let at = 76 + context.length;
  out[at++] = keys.length;
  for (const key of keys) {
    view.setUint16(at, key.length);
    out.set(key, at + 2);
    at += 2 + key.length;
  }
  return out;
}

/**
 * Parses a header from the front of `bytes`. Returns "incomplete" when `bytes` ends before the
 * header does (a streaming reader then waits for more).
 * @throws FormatError for anything that is not a well-formed v1 header (lengths are checked before
 * every read; the context must be in canonical form).
 */
export function parseHeader(bytes: Uint8Array): ParsedHeader | "incomplete" {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // Reject a wrong magic, version or suite as soon as those bytes are there.
  for (let i = 0; i < Math.min(bytes.length, 4); i++) if (bytes[i] !== MAGIC[i]) throw new FormatError();
  if (bytes.length > 4 && bytes[4] !== FORMAT_VERSION) throw new FormatError();
  if (bytes.length > 5 && bytes[5] !== SUITE_AES256_GCM_HKDF_COMMIT) throw new FormatError();
  if (bytes.length < FIXED_PREFIX) return "incomplete";
  const frameSize = view.getUint32(70);
  if (frameSize < MIN_FRAME_SIZE || frameSize > MAX_FRAME_SIZE) throw new FormatError();
  const contextLength = view.getUint16(74);
  let at = FIXED_PREFIX;
  if (bytes.length < at + contextLength + 1) return "incomplete";
  const contextBytes = bytes.subarray(at, at + contextLength);
  const encryptionContext = decodeEncryptionContext(contextBytes);
  at += contextLength;
  const count = bytes[at++]!;
  if (count < 1 || count > MAX_DATA_KEYS) throw new FormatError();
  const encryptedDataKeys: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    if (bytes.length < at + 2) return "incomplete";
    const length = view.getUint16(at);
    if (length < 1 || length > MAX_DATA_KEY_BLOB) throw new FormatError();
    if (bytes.length < at + 2 + length) return "incomplete";
    encryptedDataKeys.push(bytes.slice(at + 2, at + 2 + length));
    at += 2 + length;
  }
  if (bytes.length < at + TAG_LENGTH) return "incomplete";
  return {
    messageId: bytes.slice(6, 38),
    commitment: bytes.slice(38, 70),
    frameSize,
    encryptionContext,
    encryptedDataKeys,
    authenticated: bytes.slice(0, at),
    tag: bytes.slice(at, at + TAG_LENGTH),
    length: at + TAG_LENGTH,
  };
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * Decodes the canonical context encoding, accepting only canonical input: re-encoding the result
 * must give the same bytes (sorted, no duplicate keys, valid UTF-8, no trailing bytes), so one
 * context has exactly one header form.
 * @throws FormatError otherwise.
 */
export function decodeEncryptionContext(bytes: Uint8Array): EncryptionContext {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 2) throw new FormatError();
  const pairs = view.getUint16(0);
  const context: EncryptionContext = Object.create(null);
  let at = 2;
  const read = (): string => {
    if (bytes.length < at + 2) throw new FormatError();
    const length = view.getUint16(at);
    if (bytes.length < at + 2 + length) throw new FormatError();
    let text: string;
    try {
      text = strictUtf8.decode(bytes.subarray(at + 2, at + 2 + length));
    } catch {
      throw new FormatError();
    }
    at += 2 + length;
    return text;
  };
  for (let i = 0; i < pairs; i++) {
    const key = read();
    const value = read();
    if (Object.hasOwn(context, key)) throw new FormatError();
    context[key] = value;
  }
  const canonical = encodeEncryptionContext(context);
  if (canonical.length !== bytes.length || canonical.some((b, i) => b !== bytes[i])) throw new FormatError();
  return { ...context };
}
