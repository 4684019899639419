/**
 * HMAC-SHA512 and HMAC-SHA384 (RFC 2104; FIPS 198-1; RFC 4231) over the SHA-512 core in
 * ./sha512, with a streaming ABI. The same construction as ./hmac for the 128-byte block of the
 * SHA-512 family: keying hashes K0 ⊕ ipad and K0 ⊕ opad once and keeps only the two chaining
 * values. Both hashes share the context layout and the hmac512_update / _save / _restore exports;
 * the hash is chosen when keying (hmac512_init / hmac384_init) and when finishing (hmac512_final /
 * hmac384_final), and internal callers pass its digest length (64 or 48).
 *
 *   offset  size  field
 *   0       200   running SHA-512 context (see ./sha512)
 *   200     64    inner midstate: H after compressing K0 ⊕ ipad
 *   264     64    outer midstate: H after compressing K0 ⊕ opad
 *
 * Security: the midstates are key-equivalent. The padded key block is wiped as soon as both
 * midstates exist, the init exports wipe the key bytes they read from the I/O buffer, and the
 * final exports wipe the whole context. The only branches are on the key *length* and the
 * (public) choice of hash.
 */
import { IO_SIZE, ioPtr } from "./abi";
import { STATUS_BAD_LENGTH, STATUS_OK } from "./sha256";
import {
  SHA384_DIGEST_SIZE,
  SHA512_BLOCK_SIZE,
  SHA512_CTX_SIZE,
  SHA512_DIGEST_SIZE,
  sha512Compress,
  sha512Final,
  sha512Init,
  sha512LoadIv,
  sha512SetTotal,
  sha512Update,
} from "./sha512";

/** Bytes in an HMAC-SHA512 context (see the layout above); also the size of a saved state. */
export const HMAC512_CTX_SIZE: usize = 328;
const INNER: usize = SHA512_CTX_SIZE;
const OUTER: usize = SHA512_CTX_SIZE + 64;

/** Scratch for the padded key block, then for the inner digest; wiped after each use. */
const pad: usize = memory.data(<i32>SHA512_BLOCK_SIZE, 16);

/** The context behind the exported hmac512_* / hmac384_* ABI. */
const ctx: usize = memory.data(<i32>HMAC512_CTX_SIZE, 16);

@inline function xorPad(byte: u8): void {
  const mask = i8x16.splat(byte);
  for (let i: usize = 0; i < SHA512_BLOCK_SIZE; i += 16) {
    v128.store(pad + i, v128.xor(v128.load(pad + i), mask));
  }
}

/** Restarts the running hash of `hc` from its inner midstate, i.e. just after K0 ⊕ ipad. */
export function hmac512Reset(hc: usize): void {
  memory.copy(hc, hc + INNER, 64);
  sha512SetTotal(hc, 128);
}

/**
 * Keys the context `hc` with the `keyLen` bytes at `key` and starts a MAC over SHA-512
 * (`digestLen` 64) or SHA-384 (`digestLen` 48).
 */
export function hmac512Key(hc: usize, key: usize, keyLen: usize, digestLen: usize): void {
  if (keyLen > SHA512_BLOCK_SIZE) {
    // RFC 2104 §2: keys longer than the block size are replaced by their hash.
    sha512Init(hc, digestLen);
    sha512Update(hc, key, keyLen);
    sha512Final(hc, pad, digestLen);
    memory.fill(pad + digestLen, 0, SHA512_BLOCK_SIZE - digestLen);
  } else {
    // §2 step (1): append zeros to the key to make a B-byte string K0.
    memory.copy(pad, key, keyLen);
    memory.fill(pad + keyLen, 0, SHA512_BLOCK_SIZE - keyLen);
  }
  xorPad(0x36); // K0 ⊕ ipad
  sha512LoadIv(hc + INNER, digestLen);
  sha512Compress(hc + INNER, pad, 1);
  xorPad(0x36 ^ 0x5c); // (K0 ⊕ ipad) ⊕ ipad ⊕ opad = K0 ⊕ opad
  sha512LoadIv(hc + OUTER, digestLen);
  sha512Compress(hc + OUTER, pad, 1);
  memory.fill(pad, 0, SHA512_BLOCK_SIZE);
  hmac512Reset(hc);
}

/**
 * Finishes the MAC of `hc` into the `digestLen` bytes at `out` (which must overlap neither `hc`
 * nor the scratch pad). The running hash is wiped; the midstates stay so the caller can
 * hmac512Reset and MAC again with the same key, and must wipe `hc` when done.
 */
export function hmac512Finish(hc: usize, out: usize, digestLen: usize): void {
  sha512Final(hc, pad, digestLen); // H((K0 ⊕ ipad) || text)
  memory.copy(hc, hc + OUTER, 64);
  sha512SetTotal(hc, 128);
  sha512Update(hc, pad, digestLen);
  memory.fill(pad, 0, 64);
  sha512Final(hc, out, digestLen); // H((K0 ⊕ opad) || inner digest)
}

// ---------------------------------------------------------------------------------------------
// Exported ABI.

function init(keyLen: usize, digestLen: usize): i32 {
  if (keyLen > IO_SIZE) return STATUS_BAD_LENGTH;
  hmac512Key(ctx, ioPtr(), keyLen, digestLen);
  memory.fill(ioPtr(), 0, keyLen);
  return STATUS_OK;
}

/**
 * Keys a streaming HMAC-SHA512 with the first `keyLen` bytes of the I/O buffer (up to IO_SIZE;
 * longer keys must be hashed with sha512_* first) and wipes those key bytes.
 */
export function hmac512_init(keyLen: usize): i32 {
  return init(keyLen, SHA512_DIGEST_SIZE);
}

/** As hmac512_init, for HMAC-SHA384 (longer keys are hashed with sha384_* first). */
export function hmac384_init(keyLen: usize): i32 {
  return init(keyLen, SHA384_DIGEST_SIZE);
}

/** Absorbs the first `len` bytes of the I/O buffer. */
export function hmac512_update(len: usize): i32 {
  if (len > IO_SIZE) return STATUS_BAD_LENGTH;
  sha512Update(ctx, ioPtr(), len);
  return STATUS_OK;
}

/** Writes the 64-byte HMAC-SHA512 tag to I/O bytes 0..64 and wipes the context. */
export function hmac512_final(): void {
  hmac512Finish(ctx, ioPtr(), SHA512_DIGEST_SIZE);
  memory.fill(ctx, 0, HMAC512_CTX_SIZE);
}

/** Writes the 48-byte HMAC-SHA384 tag to I/O bytes 0..48 and wipes the context. */
export function hmac384_final(): void {
  hmac512Finish(ctx, ioPtr(), SHA384_DIGEST_SIZE);
  memory.fill(ctx, 0, HMAC512_CTX_SIZE);
}

/** Moves the context out to I/O bytes 0..HMAC512_CTX_SIZE and wipes it. */
export function hmac512_save(): void {
  memory.copy(ioPtr(), ctx, HMAC512_CTX_SIZE);
  memory.fill(ctx, 0, HMAC512_CTX_SIZE);
}

/** Loads a context saved by hmac512_save from I/O bytes 0..HMAC512_CTX_SIZE. */
export function hmac512_restore(): void {
  memory.copy(ctx, ioPtr(), HMAC512_CTX_SIZE);
}
