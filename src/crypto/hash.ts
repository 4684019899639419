/**
 * The SHA-2 family from the WebAssembly crypto core, with a synchronous API: SHA-224, SHA-256,
 * SHA-384 and SHA-512 (FIPS 180-4), HMAC over each (RFC 2104; FIPS 198-1), HKDF-SHA256 and
 * HKDF-SHA512 (RFC 5869).
 *
 * Every function copies its inputs into the core's fixed I/O buffer (in 64 KiB chunks, so inputs
 * of any length work), calls the core's pointer-and-length exports (assembly/sha256.ts, hmac.ts,
 * hkdf.ts, sha512.ts, hmac-sha512.ts, hkdf-sha512.ts) and copies the result out; the bytes of the
 * I/O buffer it used are zeroed before it returns or throws. The core wipes its own contexts, so
 * no key or message bytes stay in linear memory between calls.
 *
 * Each algorithm is a small table of its core exports (HASHES, MACS, KDFS below); one generic
 * implementation drives them all, so the four hashes cannot drift apart.
 *
 * Security caveats: JavaScript strings and typed arrays cannot be reliably wiped, so callers own
 * the lifetime of the keys they pass in. The incremental classes keep their hash state (for the
 * HMAC classes, the key-equivalent HMAC midstates) in a small array of their own between calls;
 * digest() and destroy() zero it.
 */
import { core as coreExports, ioBuffer } from "./wasm.ts";

/** The core's exports as numbered functions; the tables below name the ones each algorithm uses. */
type Core = Record<string, (...args: number[]) => number>;

function core(): Core {
  return coreExports() as unknown as Core;
}

/** A hash of the SHA-2 family as the core exports it (statuses: 0 is success). */
interface HashAlgorithm {
  name: string;
  outputLength: number;
  /** Size of the core's saved context (SHA256_CTX_SIZE / SHA512_CTX_SIZE in assembly/). */
  stateSize: number;
  init: string;
  update: string;
  final: string;
  digest: string;
  save: string;
  restore: string;
}

/** HMAC over one hash: its keying, streaming and saving exports. */
interface MacAlgorithm {
  hash: HashAlgorithm;
  /** Size of the core's saved HMAC context (HMAC_CTX_SIZE / HMAC512_CTX_SIZE). */
  stateSize: number;
  init: string;
  update: string;
  final: string;
  save: string;
  restore: string;
}

/** HKDF over one HMAC: the phased exports of assembly/hkdf.ts and hkdf-sha512.ts. */
interface KdfAlgorithm {
  name: string;
  mac: MacAlgorithm;
  prefix: "hkdf" | "hkdf512";
}

const SHA256: HashAlgorithm = {
  name: "SHA-256",
  outputLength: 32,
  stateSize: 104,
  init: "sha256_init",
  update: "sha256_update",
  final: "sha256_final",
  digest: "sha256_digest",
  save: "sha256_save",
  restore: "sha256_restore",
};
// SHA-224 is SHA-256 from another initial value, truncated: it shares the streaming exports.
const SHA224: HashAlgorithm = {
  ...SHA256,
  name: "SHA-224",
  outputLength: 28,
  init: "sha224_init",
  final: "sha224_final",
  digest: "sha224_digest",
};
const SHA512: HashAlgorithm = {
  name: "SHA-512",
  outputLength: 64,
  stateSize: 200,
  init: "sha512_init",
  update: "sha512_update",
  final: "sha512_final",
  digest: "sha512_digest",
  save: "sha512_save",
  restore: "sha512_restore",
};
// Likewise SHA-384 for SHA-512.
const SHA384: HashAlgorithm = {
  ...SHA512,
  name: "SHA-384",
  outputLength: 48,
  init: "sha384_init",
  final: "sha384_final",
  digest: "sha384_digest",
};

const HMAC_SHA256: MacAlgorithm = {
  hash: SHA256,
  stateSize: 168,
  init: "hmac_init",
  update: "hmac_update",
  final: "hmac_final",
  save: "hmac_save",
  restore: "hmac_restore",
};
const HMAC_SHA224: MacAlgorithm = { ...HMAC_SHA256, hash: SHA224, init: "hmac224_init", final: "hmac224_final" };
const HMAC_SHA512: MacAlgorithm = {
  hash: SHA512,
  stateSize: 328,
  init: "hmac512_init",
  update: "hmac512_update",
  final: "hmac512_final",
  save: "hmac512_save",
  restore: "hmac512_restore",
};
const HMAC_SHA384: MacAlgorithm = { ...HMAC_SHA512, hash: SHA384, init: "hmac384_init", final: "hmac384_final" };

const HKDF_SHA256: KdfAlgorithm = { name: "HKDF-SHA256", mac: HMAC_SHA256, prefix: "hkdf" };
const HKDF_SHA512: KdfAlgorithm = { name: "HKDF-SHA512", mac: HMAC_SHA512, prefix: "hkdf512" };

/** SHA-256 digest and HMAC-SHA256 tag length in bytes. */
export const SHA256_LENGTH = 32;
/** SHA-224 digest and HMAC-SHA224 tag length in bytes. */
export const SHA224_LENGTH = 28;
/** SHA-384 digest and HMAC-SHA384 tag length in bytes. */
export const SHA384_LENGTH = 48;
/** SHA-512 digest and HMAC-SHA512 tag length in bytes. */
export const SHA512_LENGTH = 64;
/** Largest HKDF-SHA256 output, 255 * HashLen (RFC 5869 §2.3). */
export const HKDF_SHA256_MAX_LENGTH = 255 * 32;
/** Largest HKDF-SHA512 output, 255 * HashLen (RFC 5869 §2.3). */
export const HKDF_SHA512_MAX_LENGTH = 255 * 64;

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
function keyHmac(init: (keyLength: number) => number, hash: HashAlgorithm, key: Uint8Array): void {
  if (key.length <= ioBuffer().length) {
    put(key);
    check(init(key.length));
    return;
  }
  const c = core();
  c[hash.init]!();
  feed(c[hash.update]!, key);
  c[hash.final]!();
  check(init(hash.outputLength));
}

function digestWith(hash: HashAlgorithm, data: Uint8Array): Uint8Array {
  const c = core();
  try {
    if (data.length <= ioBuffer().length) {
      put(data);
      check(c[hash.digest]!(data.length));
    } else {
      c[hash.init]!();
      feed(c[hash.update]!, data);
      c[hash.final]!();
    }
    return take(hash.outputLength);
  } finally {
    scrub();
  }
}

function macWith(mac: MacAlgorithm, key: Uint8Array, data: Uint8Array): Uint8Array {
  const c = core();
  try {
    keyHmac(c[mac.init]!, mac.hash, key);
    feed(c[mac.update]!, data);
    c[mac.final]!();
    return take(mac.hash.outputLength);
  } finally {
    scrub();
  }
}

function deriveWith(kdf: KdfAlgorithm, ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  const hashLength = kdf.mac.hash.outputLength;
  const max = 255 * hashLength;
  if (!Number.isInteger(length) || length < 0 || length > max) {
    throw new RangeError(`${kdf.name} output length must be an integer from 0 to ${max} (255 * ${hashLength}) bytes, got ${length}`);
  }
  const c = core();
  const p = kdf.prefix;
  try {
    keyHmac(c[`${p}_extract_init`]!, kdf.mac.hash, salt);
    feed(c[`${p}_extract_update`]!, ikm);
    check(c[`${p}_extract_final`]!());
    if (info.length <= ioBuffer().length) {
      put(info);
      check(c[`${p}_expand`]!(info.length, length));
    } else {
      // Each output block T(i) absorbs the whole info (§2.3), so a large info is streamed once
      // per block.
      check(c[`${p}_expand_begin`]!(length));
      for (let block = 0; block < Math.ceil(length / hashLength); block++) {
        check(c[`${p}_expand_block_start`]!());
        feed(c[`${p}_expand_block_update`]!, info);
        check(c[`${p}_expand_block_finish`]!());
      }
      check(c[`${p}_expand_end`]!());
    }
    return take(length);
  } finally {
    scrub();
  }
}

/** SHA-224 digest (28 bytes) of `data`. */
export function sha224(data: Uint8Array): Uint8Array {
  return digestWith(SHA224, data);
}

/** SHA-256 digest (32 bytes) of `data`. */
export function sha256(data: Uint8Array): Uint8Array {
  return digestWith(SHA256, data);
}

/** SHA-384 digest (48 bytes) of `data`. */
export function sha384(data: Uint8Array): Uint8Array {
  return digestWith(SHA384, data);
}

/** SHA-512 digest (64 bytes) of `data`. */
export function sha512(data: Uint8Array): Uint8Array {
  return digestWith(SHA512, data);
}

/** HMAC-SHA224 tag (28 bytes) of `data` under `key`; keys of any length are accepted. */
export function hmacSha224(key: Uint8Array, data: Uint8Array): Uint8Array {
  return macWith(HMAC_SHA224, key, data);
}

/** HMAC-SHA256 tag (32 bytes) of `data` under `key`; keys of any length are accepted. */
export function hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array {
  return macWith(HMAC_SHA256, key, data);
}

/** HMAC-SHA384 tag (48 bytes) of `data` under `key`; keys of any length are accepted. */
export function hmacSha384(key: Uint8Array, data: Uint8Array): Uint8Array {
  return macWith(HMAC_SHA384, key, data);
}

/** HMAC-SHA512 tag (64 bytes) of `data` under `key`; keys of any length are accepted. */
export function hmacSha512(key: Uint8Array, data: Uint8Array): Uint8Array {
  return macWith(HMAC_SHA512, key, data);
}

/**
 * HKDF-SHA256 (RFC 5869): Extract with `salt` (empty means HashLen zero bytes), then Expand with
 * `info` to `length` bytes.
 *
 * @throws RangeError if `length` is not an integer from 0 to 8160 (255 * 32).
 */
export function hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  return deriveWith(HKDF_SHA256, ikm, salt, info, length);
}

/**
 * HKDF-SHA512 (RFC 5869): Extract with `salt` (empty means HashLen zero bytes), then Expand with
 * `info` to `length` bytes.
 *
 * @throws RangeError if `length` is not an integer from 0 to 16320 (255 * 64).
 */
export function hkdfSha512(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  return deriveWith(HKDF_SHA512, ikm, salt, info, length);
}

function finished(): Error {
  return new Error("this hash has already been finished or destroyed");
}

/** The core's save/restore/update/final exports for one incremental primitive. */
interface IncrementalCore {
  stateSize: number;
  outputLength: number;
  update: string;
  save: string;
  restore: string;
  final: string;
}

/**
 * An incremental computation whose state lives in the instance between calls (so any number may
 * be in flight, interleaved with one-shot calls) and is wiped by digest() or destroy().
 */
abstract class Incremental {
  #state: Uint8Array | undefined;

  protected constructor(
    private readonly ops: IncrementalCore,
    start: () => void,
  ) {
    const c = core();
    try {
      start();
      c[ops.save]!();
      this.#state = take(ops.stateSize);
    } finally {
      scrub();
    }
  }

  /** Moves the saved context back into the core. */
  #resume(state: Uint8Array): void {
    put(state);
    core()[this.ops.restore]!();
  }

  /** Absorbs `data`. @throws Error after digest() or destroy(). */
  update(data: Uint8Array): this {
    const state = this.#state;
    if (state === undefined) throw finished();
    const c = core();
    try {
      this.#resume(state);
      feed(c[this.ops.update]!, data);
      c[this.ops.save]!();
      state.set(take(this.ops.stateSize));
    } finally {
      scrub();
    }
    return this;
  }

  /** Returns the digest or tag and wipes the state. @throws Error if already finished. */
  digest(): Uint8Array {
    const state = this.#state;
    if (state === undefined) throw finished();
    try {
      this.#resume(state);
      core()[this.ops.final]!();
      return take(this.ops.outputLength);
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

const hashOps = (hash: HashAlgorithm): IncrementalCore => ({ ...hash });
const macOps = (mac: MacAlgorithm): IncrementalCore => ({ ...mac, outputLength: mac.hash.outputLength });

/**
 * Incremental SHA-256: `new Sha256().update(a).update(b).digest()` equals `sha256(a || b)`.
 * Between calls the state (104 bytes) lives in the instance, not in the core.
 */
export class Sha256 extends Incremental {
  constructor() {
    super(hashOps(SHA256), () => core()[SHA256.init]!());
  }
}

/** Incremental SHA-224 (state of 104 bytes in the instance between calls). */
export class Sha224 extends Incremental {
  constructor() {
    super(hashOps(SHA224), () => core()[SHA224.init]!());
  }
}

/** Incremental SHA-384 (state of 200 bytes in the instance between calls). */
export class Sha384 extends Incremental {
  constructor() {
    super(hashOps(SHA384), () => core()[SHA384.init]!());
  }
}

/** Incremental SHA-512 (state of 200 bytes in the instance between calls). */
export class Sha512 extends Incremental {
  constructor() {
    super(hashOps(SHA512), () => core()[SHA512.init]!());
  }
}

/**
 * Incremental HMAC-SHA256 under a fixed key (any length). Between calls the instance holds the
 * HMAC midstates (168 bytes), which are as sensitive as the key: call digest() or destroy() to
 * zero them.
 */
export class HmacSha256 extends Incremental {
  constructor(key: Uint8Array) {
    super(macOps(HMAC_SHA256), () => keyHmac(core()[HMAC_SHA256.init]!, SHA256, key));
  }
}

/** Incremental HMAC-SHA224 (midstates of 168 bytes in the instance; as sensitive as the key). */
export class HmacSha224 extends Incremental {
  constructor(key: Uint8Array) {
    super(macOps(HMAC_SHA224), () => keyHmac(core()[HMAC_SHA224.init]!, SHA224, key));
  }
}

/** Incremental HMAC-SHA384 (midstates of 328 bytes in the instance; as sensitive as the key). */
export class HmacSha384 extends Incremental {
  constructor(key: Uint8Array) {
    super(macOps(HMAC_SHA384), () => keyHmac(core()[HMAC_SHA384.init]!, SHA384, key));
  }
}

/** Incremental HMAC-SHA512 (midstates of 328 bytes in the instance; as sensitive as the key). */
export class HmacSha512 extends Incremental {
  constructor(key: Uint8Array) {
    super(macOps(HMAC_SHA512), () => keyHmac(core()[HMAC_SHA512.init]!, SHA512, key));
  }
}
