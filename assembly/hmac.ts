/**
 * HMAC-SHA256 and HMAC-SHA224 (RFC 2104; FIPS 198-1) over the SHA-256 core in ./sha256, with a
 * streaming ABI. Both hashes have a 64-byte block and a 32-byte chaining value, so they share the
 * context layout below and the hmac_update / _save / _restore exports; the hash is chosen when
 * keying (hmac_init / hmac224_init) and again when finishing (hmac_final / hmac224_final), and
 * internal callers pass its digest length (32 or 28).
 *
 * Keying hashes K0 ⊕ ipad and K0 ⊕ opad once and keeps only the two resulting chaining values
 * (the "midstates"), so a MAC costs two compressions less than recomputing the pads, and HKDF can
 * reuse one keying for all its expand blocks. Context layout (HMAC_CTX_SIZE bytes):
 *
 *   offset  size  field
 *   0       104   running SHA-256 context (see ./sha256)
 *   104     32    inner midstate: H after compressing K0 ⊕ ipad
 *   136     32    outer midstate: H after compressing K0 ⊕ opad
 *
 * Security: the midstates are key-equivalent. The padded key block is wiped as soon as both
 * midstates exist, hmac_init wipes the key bytes it read from the I/O buffer, and hmac_final wipes
 * the whole context. There are no key- or data-dependent branches or indices: the only branch is
 * on the key *length* (long keys are hashed first, RFC 2104 §2), which is public.
 */
import { IO_SIZE, ioPtr } from "./abi";
import {
  SHA224_DIGEST_SIZE,
  SHA256_CTX_SIZE,
  SHA256_DIGEST_SIZE,
  STATUS_BAD_LENGTH,
  STATUS_OK,
  sha256Compress,
  sha256Final,
  sha256Init,
  sha256LoadIv,
  sha256SetTotal,
  sha256Update,
} from "./sha256";

/** Bytes in an HMAC context (see the layout above); also the size of a saved state. */
export const HMAC_CTX_SIZE: usize = 168;
const INNER: usize = SHA256_CTX_SIZE;
const OUTER: usize = SHA256_CTX_SIZE + 32;

/** Scratch for the padded key block, then for the inner digest; wiped after each use. */
const pad: usize = memory.data(64, 16);

/** The context behind the exported hmac_* ABI. */
const ctx: usize = memory.data(<i32>HMAC_CTX_SIZE, 16);

@inline function xorPad(byte: u8): void {
  const mask = i8x16.splat(byte);
  v128.store(pad, v128.xor(v128.load(pad, 0), mask), 0);
  v128.store(pad, v128.xor(v128.load(pad, 16), mask), 16);
  v128.store(pad, v128.xor(v128.load(pad, 32), mask), 32);
  v128.store(pad, v128.xor(v128.load(pad, 48), mask), 48);
}

/** Restarts the running hash of `hc` from its inner midstate, i.e. just after K0 ⊕ ipad. */
export function hmacReset(hc: usize): void {
  memory.copy(hc, hc + INNER, 32);
  sha256SetTotal(hc, 64);
}

/**
 * Keys the context `hc` with the `keyLen` bytes at `key` and starts a MAC over SHA-256, or over
 * SHA-224 when `digestLen` is 28.
 */
export function hmacKey(hc: usize, key: usize, keyLen: usize, digestLen: usize = SHA256_DIGEST_SIZE): void {
  if (keyLen > 64) {
    // RFC 2104 §2: keys longer than the block size are replaced by their hash.
    sha256Init(hc, digestLen);
    sha256Update(hc, key, keyLen);
    sha256Final(hc, pad, digestLen);
    memory.fill(pad + digestLen, 0, 64 - digestLen);
  } else {
    // §2 step (1): append zeros to the key to make a B-byte string K0.
    memory.copy(pad, key, keyLen);
    memory.fill(pad + keyLen, 0, 64 - keyLen);
  }
  xorPad(0x36); // K0 ⊕ ipad
  sha256LoadIv(hc + INNER, digestLen);
  sha256Compress(hc + INNER, pad, 1);
  xorPad(0x36 ^ 0x5c); // (K0 ⊕ ipad) ⊕ ipad ⊕ opad = K0 ⊕ opad
  sha256LoadIv(hc + OUTER, digestLen);
  sha256Compress(hc + OUTER, pad, 1);
  memory.fill(pad, 0, 64);
  hmacReset(hc);
}

/**
 * Finishes the MAC of `hc` into the `digestLen` bytes at `out` (32, or 28 for a context keyed for
 * HMAC-SHA224; `out` must overlap neither `hc` nor the scratch pad). The running hash is wiped;
 * the midstates stay so the caller can hmacReset and MAC again with the same key, and must wipe
 * `hc` when done.
 */
export function hmacFinish(hc: usize, out: usize, digestLen: usize = SHA256_DIGEST_SIZE): void {
  sha256Final(hc, pad, digestLen); // H((K0 ⊕ ipad) || text)
  memory.copy(hc, hc + OUTER, 32);
  sha256SetTotal(hc, 64);
  sha256Update(hc, pad, digestLen);
  memory.fill(pad, 0, 32);
  sha256Final(hc, out, digestLen); // H((K0 ⊕ opad) || inner digest)
}

// ---------------------------------------------------------------------------------------------
// Exported ABI.

/**
 * Keys a streaming MAC with the first `keyLen` bytes of the I/O buffer (any length up to IO_SIZE;
 * longer keys must be hashed with sha256_* first, which leaves the digest in I/O bytes 0..32).
 * Wipes those key bytes from the I/O buffer.
 */
export function hmac_init(keyLen: usize): i32 {
  if (keyLen > IO_SIZE) return STATUS_BAD_LENGTH;
  hmacKey(ctx, ioPtr(), keyLen);
  memory.fill(ioPtr(), 0, keyLen);
  return STATUS_OK;
}

/** Absorbs the first `len` bytes of the I/O buffer. */
export function hmac_update(len: usize): i32 {
  if (len > IO_SIZE) return STATUS_BAD_LENGTH;
  sha256Update(ctx, ioPtr(), len);
  return STATUS_OK;
}

/** Writes the 32-byte tag to I/O bytes 0..32 and wipes the context, key midstates included. */
export function hmac_final(): void {
  hmacFinish(ctx, ioPtr());
  memory.fill(ctx, 0, HMAC_CTX_SIZE);
}

/** Moves the context out to I/O bytes 0..HMAC_CTX_SIZE and wipes it (see sha256_save). */
export function hmac_save(): void {
  memory.copy(ioPtr(), ctx, HMAC_CTX_SIZE);
  memory.fill(ctx, 0, HMAC_CTX_SIZE);
}

/** Loads a context saved by hmac_save from I/O bytes 0..HMAC_CTX_SIZE. */
export function hmac_restore(): void {
  memory.copy(ctx, ioPtr(), HMAC_CTX_SIZE);
}

/** As hmac_init, for HMAC-SHA224 (keys longer than IO_SIZE are hashed with sha224_* first). */
export function hmac224_init(keyLen: usize): i32 {
  if (keyLen > IO_SIZE) return STATUS_BAD_LENGTH;
  hmacKey(ctx, ioPtr(), keyLen, SHA224_DIGEST_SIZE);
  memory.fill(ioPtr(), 0, keyLen);
  return STATUS_OK;
}

/** Writes the 28-byte HMAC-SHA224 tag to I/O bytes 0..28 and wipes the context. */
export function hmac224_final(): void {
  hmacFinish(ctx, ioPtr(), SHA224_DIGEST_SIZE);
  memory.fill(ctx, 0, HMAC_CTX_SIZE);
}
