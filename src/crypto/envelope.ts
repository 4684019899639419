/**
 * The KMS ciphertext blob, format v1: a binding over the crypto core's envelope_seal and
 * envelope_open (assembly/envelope.ts, which documents the byte layout and the key derivation).
 *
 *   blob = 0x01 | L | key ARN (L bytes, UTF-8) | backing-key version (u32 BE) | salt (16) | IV (12)
 *          | AES-256-GCM ciphertext | tag (16)
 *
 * with a per-message key HKDF-SHA256(backing key, salt, "EdgeKMS ciphertext v1") and AAD =
 * header || canonical encryption context (encodeEncryptionContext in ./encryption-context.ts).
 *
 * Each call copies its inputs into the core's I/O buffer, calls one export and copies the result
 * out; it zeroes the bytes of the I/O buffer it used before returning or throwing (the core also
 * wipes its own scratch and the derived key). The salt and IV are drawn here with
 * crypto.getRandomValues, as WebAssembly has no randomness of its own.
 *
 * Limits: the core holds a whole call in its 64 KiB I/O buffer, so the backing key, the blob and
 * the encoded context must fit in it together (32 + 50 + L + plaintext + context <= 65536), which
 * leaves room for KMS's 4096-byte plaintexts with any realistic context. sealCiphertext refuses
 * anything larger so that every blob it makes can be opened.
 *
 * Security caveats: the plaintext and backing key passed in, and the plaintext returned, are
 * JavaScript arrays the caller must wipe; this module keeps no copies. openCiphertext answers
 * every failure to open with the same `undefined` and never returns plaintext whose tag did not
 * verify. readCiphertextHeader reads the unauthenticated header, which is only good for routing
 * a blob to its key: trust nothing in it until openCiphertext succeeds.
 */
import { core as coreExports, ioBuffer } from "./wasm.ts";

/** The unauthenticated routing information at the front of a blob. */
export interface CiphertextHeader {
  keyArn: string;
  backingKeyVersion: number;
}

/** The core's envelope ABI (assembly/envelope.ts); both return 0 on success. */
interface EnvelopeCore {
  envelope_seal(arnLength: number, keyVersion: number, contextLength: number, plaintextLength: number): number;
  envelope_open(blobLength: number, contextLength: number): number;
}

function core(): EnvelopeCore {
  return coreExports() as unknown as EnvelopeCore;
}

const FORMAT_VERSION = 0x01;
const BACKING_KEY_LENGTH = 32;
const SALT_LENGTH = 16;
const IV_LENGTH = 12;
/** Blob bytes besides the ARN and the ciphertext: version, L, key version, salt, IV, tag. */
const BLOB_OVERHEAD = 1 + 1 + 4 + SALT_LENGTH + IV_LENGTH + 16;
const MAX_ARN_LENGTH = 255;
const MAX_KEY_VERSION = 0xffff_ffff;

const utf8 = new TextEncoder();
// fatal: malformed UTF-8 is an error, not U+FFFD; ignoreBOM: a leading U+FEFF is part of the ARN.
const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

function requireBytes(value: unknown, name: string): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) throw new TypeError(`${name} must be a Uint8Array`);
}

function requireBackingKey(backingKey: unknown): asserts backingKey is Uint8Array {
  requireBytes(backingKey, "backing key");
  if (backingKey.length !== BACKING_KEY_LENGTH) {
    throw new RangeError(`backing key must be ${BACKING_KEY_LENGTH} bytes, got ${backingKey.length}`);
  }
}

/**
 * Encrypts `plaintext` under a fresh key derived from `backingKey` and returns the v1 blob, which
 * names `header.keyArn` and `header.backingKeyVersion` and authenticates them together with
 * `encryptionContext` (the canonical encoding from encodeEncryptionContext).
 *
 * @throws TypeError when an argument has the wrong type or the ARN is not well-formed Unicode.
 * @throws RangeError when the backing key is not 32 bytes, the ARN is empty or longer than 255
 *   UTF-8 bytes, the backing-key version is not an integer from 1 to 2^32 - 1, or the blob and
 *   context would not fit the core's I/O buffer together.
 */
export function sealCiphertext(
  backingKey: Uint8Array,
  header: CiphertextHeader,
  encryptionContext: Uint8Array,
  plaintext: Uint8Array,
): Uint8Array {
  requireBackingKey(backingKey);
  requireBytes(encryptionContext, "encryption context");
  requireBytes(plaintext, "plaintext");
  if (typeof header !== "object" || header === null) throw new TypeError("header must be an object");
  const { keyArn, backingKeyVersion } = header;
  if (typeof keyArn !== "string") throw new TypeError("key ARN must be a string");
  const arn = utf8.encode(keyArn);
  // TextEncoder turns a lone surrogate into U+FFFD, which would name another key on the way back.
  if (strictUtf8.decode(arn) !== keyArn) throw new TypeError("key ARN must be well-formed Unicode");
  if (arn.length < 1 || arn.length > MAX_ARN_LENGTH) {
    throw new RangeError(`key ARN must be 1 to ${MAX_ARN_LENGTH} UTF-8 bytes, got ${arn.length}`);
  }
  if (typeof backingKeyVersion !== "number") throw new TypeError("backing-key version must be a number");
  if (!Number.isInteger(backingKeyVersion) || backingKeyVersion < 1 || backingKeyVersion > MAX_KEY_VERSION) {
    throw new RangeError(`backing-key version must be an integer from 1 to ${MAX_KEY_VERSION}`);
  }
  const io = ioBuffer();
  const blobLength = BLOB_OVERHEAD + arn.length + plaintext.length;
  if (BACKING_KEY_LENGTH + blobLength + encryptionContext.length > io.length) {
    throw new RangeError(
      `plaintext (${plaintext.length} bytes) and encryption context (${encryptionContext.length} bytes) ` +
        `are too large for a ciphertext blob`,
    );
  }

  // Input layout of envelope_seal: key | salt | IV | ARN | context | plaintext.
  const used = BACKING_KEY_LENGTH + SALT_LENGTH + IV_LENGTH + arn.length + encryptionContext.length + plaintext.length;
  try {
    let at = 0;
    io.set(backingKey, at);
    at += BACKING_KEY_LENGTH;
    crypto.getRandomValues(io.subarray(at, at + SALT_LENGTH + IV_LENGTH) as Uint8Array<ArrayBuffer>);
    at += SALT_LENGTH + IV_LENGTH;
    io.set(arn, at);
    at += arn.length;
    io.set(encryptionContext, at);
    at += encryptionContext.length;
    io.set(plaintext, at);
    const status = core().envelope_seal(arn.length, backingKeyVersion, encryptionContext.length, plaintext.length);
    // Every argument was checked above, so a refusal is a bug in this binding, not bad input.
    if (status !== 0) throw new Error(`crypto core refused to seal a ciphertext (status ${status})`);
    return io.slice(0, blobLength);
  } finally {
    io.fill(0, 0, used);
  }
}

/**
 * The key ARN and backing-key version a blob names, without authenticating them; undefined for
 * anything that cannot be a v1 blob (not a Uint8Array, too short for its own header and tag,
 * another format version, L = 0, an ARN that is not valid UTF-8, backing-key version 0).
 * Never throws.
 */
export function readCiphertextHeader(blob: Uint8Array): CiphertextHeader | undefined {
  if (!(blob instanceof Uint8Array) || blob.length < BLOB_OVERHEAD + 1) return undefined;
  if (blob[0] !== FORMAT_VERSION) return undefined;
  const arnLength = blob[1]!;
  if (arnLength === 0 || blob.length < BLOB_OVERHEAD + arnLength) return undefined;
  let keyArn: string;
  try {
    keyArn = strictUtf8.decode(blob.subarray(2, 2 + arnLength));
  } catch {
    return undefined;
  }
  const backingKeyVersion = new DataView(blob.buffer, blob.byteOffset + 2 + arnLength, 4).getUint32(0);
  if (backingKeyVersion === 0) return undefined;
  return { keyArn, backingKeyVersion };
}

/**
 * Decrypts a v1 blob with `backingKey` and the canonical `encryptionContext` it was sealed with.
 * Returns undefined for every failure to open — malformed or truncated blob, unknown format
 * version, flipped bit, another backing key, another context — so callers cannot tell them apart;
 * plaintext is returned only after the tag has verified.
 *
 * @throws TypeError when an argument is not a Uint8Array, RangeError when the backing key is not
 *   32 bytes: those are the caller's bugs, not properties of the blob.
 */
export function openCiphertext(backingKey: Uint8Array, blob: Uint8Array, encryptionContext: Uint8Array): Uint8Array | undefined {
  requireBackingKey(backingKey);
  requireBytes(blob, "blob");
  requireBytes(encryptionContext, "encryption context");
  const io = ioBuffer();
  const used = BACKING_KEY_LENGTH + blob.length + encryptionContext.length;
  // sealCiphertext never makes a blob that does not fit with its context, so this one is invalid.
  if (used > io.length || blob.length < BLOB_OVERHEAD + 1) return undefined;

  try {
    // Input layout of envelope_open: key | blob | context.
    io.set(backingKey, 0);
    io.set(blob, BACKING_KEY_LENGTH);
    io.set(encryptionContext, BACKING_KEY_LENGTH + blob.length);
    if (core().envelope_open(blob.length, encryptionContext.length) !== 0) return undefined;
    // Success implies the core accepted L = blob[1] and the lengths.
    return io.slice(0, blob.length - BLOB_OVERHEAD - blob[1]!);
  } finally {
    io.fill(0, 0, used);
  }
}
