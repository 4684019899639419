/**
 * SHA-256 (FIPS 180-4), HMAC-SHA256 (RFC 2104) and HKDF-SHA256 (RFC 5869) from the WebAssembly
 * crypto core, with a synchronous API.
 *
 * Every function copies its inputs into the core's fixed I/O buffer (in 64 KiB chunks, so inputs
 * of any length work), calls the core's pointer-and-length exports (assembly/sha256.ts, hmac.ts,
 * hkdf.ts) and copies the result out; the bytes of the I/O buffer it used are zeroed before it
 * returns or throws. The core wipes its own contexts, so no key or message bytes stay in linear
 * memory between calls.
 *
 * Security caveats: JavaScript strings and typed arrays cannot be reliably wiped, so callers own
 * the lifetime of the keys they pass in. The streaming classes keep their hash state (for
 * HmacSha256, the key-equivalent HMAC midstates) in a small array of their own between calls;
 * digest() and destroy() zero it.
 */
import { core as coreExports, ioBuffer } from "./wasm.ts";

/**
 * The core's hash ABI. Lengths are byte counts into the I/O buffer; exports returning a number
 * return 0 on success and non-zero when a length or the call order is wrong.
 */
interface HashCore {
  sha256_init(): void;
  sha256_update(length: number): number;
  sha256_final(): void;
  sha256_digest(length: number): number;
  sha256_save(): void;
  sha256_restore(): void;
  hmac_init(keyLength: number): number;
  hmac_update(length: number): number;
  hmac_final(): void;
  hmac_save(): void;
  hmac_restore(): void;
  hkdf_extract_init(saltLength: number): number;
  hkdf_extract_update(length: number): number;
  hkdf_extract_final(): number;
  hkdf_expand(infoLength: number, outLength: number): number;
  hkdf_expand_begin(outLength: number): number;
  hkdf_expand_block_start(): number;
  hkdf_expand_block_update(length: number): number;
  hkdf_expand_block_finish(): number;
  hkdf_expand_end(): number;
}

function core(): HashCore {
  return coreExports() as unknown as HashCore;
}

/** SHA-256 digest and HMAC-SHA256 tag length in bytes. */
export const SHA256_LENGTH = 32;
/** Largest HKDF-SHA256 output, 255 * HashLen (RFC 5869 §2.3). */
export const HKDF_SHA256_MAX_LENGTH = 255 * 32;

// Sizes of the core's saved contexts (SHA256_CTX_SIZE in assembly/sha256.ts, HMAC_CTX_SIZE in
// assembly/hmac.ts).
const SHA256_STATE_SIZE = 104;
const HMAC_STATE_SIZE = 168;

/** How far into the I/O buffer the current call has written or read; scrub() zeroes that much. */
let dirty = 0;

function touch(end: number): void {
  if (end > dirty) dirty = end;
}

function scrub(): void {
  ioBuffer().fill(0, 0, dirty);
  dirty = 0;
}

function check(status: number): void {
  // The binding only passes lengths the core accepts, so a refusal is a bug here, not bad input.
  if (status !== 0) throw new Error(`crypto core refused a hash call (status ${status})`);
}

/** Copies `bytes` into the start of the I/O buffer (which it must fit). */
function put(bytes: Uint8Array): void {
  ioBuffer().set(bytes);
  touch(bytes.length);
}

/** Copies the first `length` bytes of the I/O buffer out. */
function take(length: number): Uint8Array {
  touch(length);
  return ioBuffer().slice(0, length);
}

/** Streams `data` through the I/O buffer into an update export, one chunk per call. */
function feed(update: (length: number) => number, data: Uint8Array): void {
  const io = ioBuffer();
  if (data.length <= io.length) {
    put(data);
    check(update(data.length));
    return;
  }
  for (let offset = 0; offset < data.length; offset += io.length) {
    const chunk = data.subarray(offset, offset + io.length);
    put(chunk);
    check(update(chunk.length));
  }
}

/**
 * Keys an HMAC-based context through `init(keyLength)`. Keys larger than the I/O buffer are
 * hashed in the core first (RFC 2104 §2 replaces any key longer than a block by its hash anyway);
 * the digest stays in the I/O buffer and never reaches JavaScript.
 */
function keyHmac(init: (keyLength: number) => number, key: Uint8Array): void {
  if (key.length <= ioBuffer().length) {
    put(key);
    check(init(key.length));
    return;
  }
  const c = core();
  c.sha256_init();
  feed(c.sha256_update, key);
  c.sha256_final();
  check(init(SHA256_LENGTH));
}

/** SHA-256 digest (32 bytes) of `data`. */
export function sha256(data: Uint8Array): Uint8Array {
  const c = core();
  try {
    if (data.length <= ioBuffer().length) {
      put(data);
      check(c.sha256_digest(data.length));
    } else {
      c.sha256_init();
      feed(c.sha256_update, data);
      c.sha256_final();
    }
    return take(SHA256_LENGTH);
  } finally {
    scrub();
  }
}

/** HMAC-SHA256 tag (32 bytes) of `data` under `key`; keys of any length are accepted. */
export function hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array {
  const c = core();
  try {
    keyHmac(c.hmac_init, key);
    feed(c.hmac_update, data);
    c.hmac_final();
    return take(SHA256_LENGTH);
  } finally {
    scrub();
  }
}

/**
 * HKDF-SHA256 (RFC 5869): Extract with `salt` (empty means HashLen zero bytes), then Expand with
 * `info` to `length` bytes.
 *
 * @throws RangeError if `length` is not an integer from 0 to 8160 (255 * 32).
 */
export function hkdfSha256(
  ikm: Uint8Array,
  salt: Uint8Array,
  info: Uint8Array,
  length: number,
): Uint8Array {
  if (!Number.isInteger(length) || length < 0 || length > HKDF_SHA256_MAX_LENGTH) {
    throw new RangeError(
      `HKDF-SHA256 output length must be an integer from 0 to ${HKDF_SHA256_MAX_LENGTH} (255 * 32) bytes, got ${length}`,
    );
  }
  const c = core();
  try {
    keyHmac(c.hkdf_extract_init, salt);
    feed(c.hkdf_extract_update, ikm);
    check(c.hkdf_extract_final());
    if (info.length <= ioBuffer().length) {
      put(info);
      check(c.hkdf_expand(info.length, length));
    } else {
      // Each output block T(i) absorbs the whole info (§2.3), so a large info is streamed once
      // per block.
      check(c.hkdf_expand_begin(length));
      for (let block = 0; block < Math.ceil(length / SHA256_LENGTH); block++) {
        check(c.hkdf_expand_block_start());
        feed(c.hkdf_expand_block_update, info);
        check(c.hkdf_expand_block_finish());
      }
      check(c.hkdf_expand_end());
    }
    return take(length);
  } finally {
    scrub();
  }
}

/** Moves a saved context back into the core (the caller then runs `body` and saves again). */
function resume(state: Uint8Array, restore: () => void): void {
  put(state);
  restore();
}

function finished(): Error {
  return new Error("this hash has already been finished or destroyed");
}

/** The core's save/restore/update/final exports for one incremental primitive. */
interface IncrementalCore {
  stateSize: number;
  outputLength: number;
  update(length: number): number;
  save(): void;
  restore(): void;
  final(): void;
}

/**
 * An incremental computation whose state lives in the instance between calls (so any number may
 * be in flight, interleaved with one-shot calls) and is wiped by digest() or destroy().
 */
abstract class Incremental {
  #state: Uint8Array | undefined;

  protected constructor(
    private readonly ops: () => IncrementalCore,
    start: () => void,
  ) {
    const c = ops();
    try {
      start();
      c.save();
      this.#state = take(c.stateSize);
    } finally {
      scrub();
    }
  }

  /** Absorbs `data`. @throws Error after digest() or destroy(). */
  update(data: Uint8Array): this {
    const state = this.#state;
    if (state === undefined) throw finished();
    const c = this.ops();
    try {
      resume(state, () => c.restore());
      feed((n) => c.update(n), data);
      c.save();
      state.set(take(c.stateSize));
    } finally {
      scrub();
    }
    return this;
  }

  /** Returns the 32-byte result and wipes the state. @throws Error if already finished. */
  digest(): Uint8Array {
    const state = this.#state;
    if (state === undefined) throw finished();
    const c = this.ops();
    try {
      resume(state, () => c.restore());
      c.final();
      return take(c.outputLength);
    } finally {
      scrub();
      this.destroy();
    }
  }

  /** Wipes the state without producing a result; the instance cannot be used afterwards. */
  destroy(): void {
    this.#state?.fill(0);
    this.#state = undefined;
  }
}

function sha256Ops(): IncrementalCore {
  const c = core();
  return {
    stateSize: SHA256_STATE_SIZE,
    outputLength: SHA256_LENGTH,
    update: (n) => c.sha256_update(n),
    save: () => c.sha256_save(),
    restore: () => c.sha256_restore(),
    final: () => c.sha256_final(),
  };
}

function hmacOps(): IncrementalCore {
  const c = core();
  return {
    stateSize: HMAC_STATE_SIZE,
    outputLength: SHA256_LENGTH,
    update: (n) => c.hmac_update(n),
    save: () => c.hmac_save(),
    restore: () => c.hmac_restore(),
    final: () => c.hmac_final(),
  };
}

/**
 * Incremental SHA-256: `new Sha256().update(a).update(b).digest()` equals `sha256(a || b)`.
 * Between calls the state (104 bytes) lives in the instance, not in the core.
 */
export class Sha256 extends Incremental {
  constructor() {
    super(sha256Ops, () => core().sha256_init());
  }
}

/**
 * Incremental HMAC-SHA256 under a fixed key (any length). Between calls the instance holds the
 * HMAC midstates (168 bytes), which are as sensitive as the key: call digest() or destroy() to
 * zero them.
 */
export class HmacSha256 extends Incremental {
  constructor(key: Uint8Array) {
    super(hmacOps, () => keyHmac(core().hmac_init, key));
  }
}
