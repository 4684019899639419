/**
 * AES-GCM (NIST SP 800-38D) with 128- and 256-bit keys and 16-byte tags, from the constant-time
 * WebAssembly core (assembly/gcm.ts: bitsliced AES, multiplication-based GHASH), with a
 * synchronous API.
 *
 * Each function copies its inputs into the core's fixed I/O buffer in chunks (so inputs of any
 * length work), calls the core's `gcm_*` exports and copies results out; the core wipes its
 * round keys, hash key and counters when a message ends, and the bytes of the I/O buffer used
 * here are zeroed before a function returns or throws.
 *
 * - `aesGcmEncrypt` returns ciphertext || tag.
 * - `aesGcmDecrypt` returns the plaintext only after the tag has verified; on a bad tag it zeroes
 *   the plaintext it produced and throws `AuthenticationError`, whose message says nothing about
 *   the inputs.
 * - `AesGcmStream` processes one message in pieces (for data too large to hold at once).
 *
 * IVs may have any length from 1 byte; 12-byte IVs are the fast path and the only length that
 * should be used with random IVs (SP 800-38D §8.2). Security caveats: JavaScript typed arrays
 * cannot be reliably wiped, so callers own the lifetime of the keys and plaintexts they pass in;
 * AesGcmStream keeps its context (including the key) in a private array until finish(),
 * verify() or destroy() zeroes it.
 */
import { core as coreExports, ioBuffer } from "./wasm.ts";

/** The core's AES-GCM ABI (assembly/gcm.ts). Lengths are byte counts in the I/O buffer. */
interface GcmCore {
  gcm_init(keyLength: number, ivLength: number): number;
  gcm_iv(length: number): number;
  gcm_aad(length: number): number;
  gcm_encrypt(length: number): number;
  gcm_decrypt(length: number): number;
  gcm_finish(): number;
  gcm_verify(): number;
  gcm_wipe(): void;
  gcm_save(): number;
  gcm_restore(): number;
  gcm_context_size(): number;
}

function core(): GcmCore {
  return coreExports() as unknown as GcmCore;
}

/** The authentication tag length: only 128-bit tags are supported. */
export const AES_GCM_TAG_LENGTH = 16;
/** Longest plaintext of one message, 2^39 - 256 bits (SP 800-38D §5.2.1.1). */
export const AES_GCM_MAX_PLAINTEXT = 2 ** 36 - 32;

const STATUS_OK = 0;
const STATUS_BAD_STATE = 2;
const STATUS_TOO_LONG = 3;
const STATUS_AUTH = 4;

/** Thrown when a ciphertext, tag, IV or AAD does not authenticate. */
export class AuthenticationError extends Error {
  constructor() {
    super("AES-GCM authentication failed");
    this.name = "AuthenticationError";
  }
}

/** How far into the I/O buffer the current call has written; scrub() zeroes that much. */
let dirty = 0;

function scrub(): void {
  ioBuffer().fill(0, 0, dirty);
  dirty = 0;
}

function put(bytes: Uint8Array): void {
  ioBuffer().set(bytes);
  if (bytes.length > dirty) dirty = bytes.length;
}

function check(status: number): void {
  if (status === STATUS_OK) return;
  if (status === STATUS_TOO_LONG) throw new RangeError("AES-GCM message exceeds the SP 800-38D length limits");
  if (status === STATUS_BAD_STATE) {
    throw new Error("AES-GCM calls out of order: AAD must come before data, and a stream either encrypts or decrypts");
  }
  // The binding only makes calls the core accepts, so any other refusal is a bug here.
  throw new Error(`crypto core refused an AES-GCM call (status ${status})`);
}

function requireBytes(value: unknown, name: string): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) throw new TypeError(`${name} must be a Uint8Array`);
}

function checkKeyAndIv(key: unknown, iv: unknown): asserts key is Uint8Array {
  requireBytes(key, "key");
  requireBytes(iv, "iv");
  if (key.length !== 16 && key.length !== 32) {
    throw new RangeError(`AES-GCM key must be 16 or 32 bytes, got ${key.length}`);
  }
  if (iv.length === 0) throw new RangeError("AES-GCM IV must not be empty");
}

/** Starts a message in the core: key and IV in, round keys, H and J0 computed there. */
function begin(c: GcmCore, key: Uint8Array, iv: Uint8Array): void {
  const chunk = ioBuffer().length;
  if (key.length + iv.length <= chunk) {
    const io = ioBuffer();
    io.set(key);
    io.set(iv, key.length);
    if (key.length + iv.length > dirty) dirty = key.length + iv.length;
    check(c.gcm_init(key.length, iv.length));
    return;
  }
  // An IV too long to travel with the key is hashed in chunks (SP 800-38D §7.1 step 2).
  put(key);
  check(c.gcm_init(key.length, 0));
  for (let offset = 0; offset < iv.length; offset += chunk) {
    put(iv.subarray(offset, offset + chunk));
    check(c.gcm_iv(Math.min(chunk, iv.length - offset)));
  }
}

function feedAad(c: GcmCore, aad: Uint8Array): void {
  if (aad.length === 0) return;
  const chunk = ioBuffer().length;
  if (aad.length <= chunk) {
    put(aad);
    check(c.gcm_aad(aad.length));
    return;
  }
  for (let offset = 0; offset < aad.length; offset += chunk) {
    put(aad.subarray(offset, offset + chunk));
    check(c.gcm_aad(Math.min(chunk, aad.length - offset)));
  }
}

/**
 * Runs `input` through gcm_encrypt or gcm_decrypt chunk by chunk, writing the result to `out` at
 * `outOffset`.
 */
function crypt(c: GcmCore, decrypt: boolean, input: Uint8Array, out: Uint8Array, outOffset: number): void {
  const io = ioBuffer();
  const chunk = io.length;
  for (let offset = 0; offset < input.length; offset += chunk) {
    const n = Math.min(chunk, input.length - offset);
    put(n === input.length ? input : input.subarray(offset, offset + n));
    check(decrypt ? c.gcm_decrypt(n) : c.gcm_encrypt(n));
    out.set(n === io.length ? io : io.subarray(0, n), outOffset + offset);
  }
}

/**
 * Encrypts `plaintext` with AES-GCM and returns ciphertext || 16-byte tag.
 *
 * @throws TypeError if an argument is not a Uint8Array.
 * @throws RangeError if the key is not 16 or 32 bytes, the IV is empty, or the plaintext is
 *   longer than AES_GCM_MAX_PLAINTEXT.
 */
export function aesGcmEncrypt(key: Uint8Array, iv: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
  requireBytes(plaintext, "plaintext");
  const out = new Uint8Array(plaintext.length + AES_GCM_TAG_LENGTH);
  aesGcmEncryptInto(key, iv, plaintext, aad, out, 0);
  return out;
}

/**
 * As aesGcmEncrypt, but writes ciphertext || 16-byte tag into `out` at `offset` instead of a new
 * array: a framed format can then seal each frame straight into the message it is building.
 *
 * @throws RangeError also if `out` has no room for plaintext.length + 16 bytes at `offset`.
 */
export function aesGcmEncryptInto(
  key: Uint8Array,
  iv: Uint8Array,
  plaintext: Uint8Array,
  aad: Uint8Array,
  out: Uint8Array,
  offset: number,
): void {
  checkKeyAndIv(key, iv);
  requireBytes(plaintext, "plaintext");
  requireBytes(aad, "aad");
  requireBytes(out, "out");
  if (plaintext.length > AES_GCM_MAX_PLAINTEXT) throw new RangeError("AES-GCM plaintext is too long");
  if (!Number.isInteger(offset) || offset < 0 || offset + plaintext.length + AES_GCM_TAG_LENGTH > out.length) {
    throw new RangeError("AES-GCM output does not fit at that offset");
  }
  const c = core();
  try {
    begin(c, key, iv);
    feedAad(c, aad);
    crypt(c, false, plaintext, out, offset);
    if (dirty < AES_GCM_TAG_LENGTH) dirty = AES_GCM_TAG_LENGTH;
    check(c.gcm_finish());
    out.set(ioBuffer().subarray(0, AES_GCM_TAG_LENGTH), offset + plaintext.length);
  } catch (error) {
    c.gcm_wipe();
    throw error;
  } finally {
    scrub();
  }
}

/**
 * Decrypts ciphertext || 16-byte tag with AES-GCM and returns the plaintext once the tag verifies.
 *
 * @throws AuthenticationError if the tag does not match (the key, IV, AAD, ciphertext or tag is
 *   wrong); no plaintext is returned and what was produced is zeroed.
 * @throws TypeError if an argument is not a Uint8Array.
 * @throws RangeError if the key is not 16 or 32 bytes, the IV is empty, or the input is shorter
 *   than the tag.
 */
export function aesGcmDecrypt(key: Uint8Array, iv: Uint8Array, ciphertextAndTag: Uint8Array, aad: Uint8Array): Uint8Array {
  requireBytes(ciphertextAndTag, "ciphertextAndTag");
  const out = new Uint8Array(Math.max(0, ciphertextAndTag.length - AES_GCM_TAG_LENGTH));
  aesGcmDecryptInto(key, iv, ciphertextAndTag, aad, out, 0);
  return out;
}

/**
 * As aesGcmDecrypt, but writes the plaintext into `out` at `offset`: a framed format can then
 * open each frame straight into the plaintext it is assembling. On any failure the bytes it wrote
 * into `out` are zeroed before it throws.
 *
 * @throws RangeError also if `out` has no room for the plaintext at `offset`.
 */
export function aesGcmDecryptInto(
  key: Uint8Array,
  iv: Uint8Array,
  ciphertextAndTag: Uint8Array,
  aad: Uint8Array,
  out: Uint8Array,
  offset: number,
): void {
  checkKeyAndIv(key, iv);
  requireBytes(ciphertextAndTag, "ciphertextAndTag");
  requireBytes(aad, "aad");
  requireBytes(out, "out");
  if (ciphertextAndTag.length < AES_GCM_TAG_LENGTH) {
    throw new RangeError(`AES-GCM input must hold at least the ${AES_GCM_TAG_LENGTH}-byte tag`);
  }
  const length = ciphertextAndTag.length - AES_GCM_TAG_LENGTH;
  if (!Number.isInteger(offset) || offset < 0 || offset + length > out.length) {
    throw new RangeError("AES-GCM output does not fit at that offset");
  }
  const c = core();
  let verified = false;
  try {
    begin(c, key, iv);
    feedAad(c, aad);
    crypt(c, true, ciphertextAndTag.subarray(0, length), out, offset);
    put(ciphertextAndTag.subarray(length));
    const status = c.gcm_verify();
    if (status === STATUS_AUTH) throw new AuthenticationError();
    check(status);
    verified = true;
  } catch (error) {
    c.gcm_wipe();
    throw error;
  } finally {
    if (!verified) out.fill(0, offset, offset + length);
    scrub();
  }
}

/**
 * One AES-GCM message processed in pieces, for inputs too large to hold in memory at once.
 *
 * Call `aad()` any number of times first, then either `encrypt()` chunks and `finish()` (which
 * returns the tag), or `decrypt()` chunks and `verify(tag)`. Chunks may have any length.
 *
 * Unlike aesGcmDecrypt, `decrypt()` returns plaintext BEFORE it is authenticated: a caller must
 * not act on or release it until `verify()` has returned, and must discard all of it if verify()
 * throws. Where that is not possible, split the data into separately sealed frames and open each
 * with aesGcmDecrypt (the envelope format does this).
 *
 * Between calls the stream keeps its core context (key, hash key, counters) in a private array;
 * finish(), verify() and destroy() zero it. Several streams may be in progress at once.
 */
export class AesGcmStream {
  #state: Uint8Array | undefined;

  /**
   * @throws TypeError if key or iv is not a Uint8Array.
   * @throws RangeError if the key is not 16 or 32 bytes or the IV is empty.
   */
  constructor(key: Uint8Array, iv: Uint8Array) {
    checkKeyAndIv(key, iv);
    const c = core();
    try {
      begin(c, key, iv);
      this.#state = save(c);
    } catch (error) {
      c.gcm_wipe();
      throw error;
    } finally {
      scrub();
    }
  }

  /** Adds additional authenticated data; only before the first encrypt() or decrypt(). */
  aad(chunk: Uint8Array): this {
    requireBytes(chunk, "aad");
    this.#step((c) => feedAad(c, chunk));
    return this;
  }

  /** Encrypts a chunk and returns its ciphertext (same length). */
  encrypt(chunk: Uint8Array): Uint8Array {
    requireBytes(chunk, "plaintext");
    const out = new Uint8Array(chunk.length);
    this.#step((c) => crypt(c, false, chunk, out, 0));
    return out;
  }

  /** Decrypts a chunk and returns plaintext that is NOT authenticated until verify() returns. */
  decrypt(chunk: Uint8Array): Uint8Array {
    requireBytes(chunk, "ciphertext");
    const out = new Uint8Array(chunk.length);
    this.#step((c) => crypt(c, true, chunk, out, 0));
    return out;
  }

  /** Ends an encryption and returns the 16-byte tag. The stream cannot be used afterwards. */
  finish(): Uint8Array {
    return this.#end((c) => {
      if (dirty < AES_GCM_TAG_LENGTH) dirty = AES_GCM_TAG_LENGTH;
      check(c.gcm_finish());
      return ioBuffer().slice(0, AES_GCM_TAG_LENGTH);
    });
  }

  /**
   * Ends a decryption by checking the 16-byte tag. The stream cannot be used afterwards.
   *
   * @throws AuthenticationError if the tag does not match; discard all plaintext from decrypt().
   * @throws RangeError if `tag` is not 16 bytes.
   */
  verify(tag: Uint8Array): void {
    requireBytes(tag, "tag");
    if (tag.length !== AES_GCM_TAG_LENGTH) throw new RangeError(`AES-GCM tag must be ${AES_GCM_TAG_LENGTH} bytes`);
    this.#end((c) => {
      put(tag);
      const status = c.gcm_verify();
      if (status === STATUS_AUTH) throw new AuthenticationError();
      check(status);
    });
  }

  /** Abandons the message and zeroes the saved context. */
  destroy(): void {
    this.#state?.fill(0);
    this.#state = undefined;
  }

  #restore(c: GcmCore): void {
    const state = this.#state;
    if (state === undefined) throw new Error("AesGcmStream has already finished");
    put(state);
    check(c.gcm_restore());
  }

  #step(work: (c: GcmCore) => void): void {
    const c = core();
    try {
      this.#restore(c);
      work(c);
      this.#state!.set(save(c));
    } catch (error) {
      c.gcm_wipe();
      this.destroy();
      throw error;
    } finally {
      scrub();
    }
  }

  #end<T>(work: (c: GcmCore) => T): T {
    const c = core();
    try {
      this.#restore(c);
      return work(c);
    } finally {
      c.gcm_wipe();
      this.destroy();
      scrub();
    }
  }
}

/** Moves the core's context into a new array and wipes it from the core. */
function save(c: GcmCore): Uint8Array {
  const size = c.gcm_context_size();
  if (size > dirty) dirty = size;
  check(c.gcm_save());
  return ioBuffer().slice(0, size);
}
