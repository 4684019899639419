/**
 * SHA-256 (FIPS 180-4 §6.2) and SHA-224 (§6.3) for the EdgeKMS crypto core, with a streaming
 * pointer-and-length ABI. SHA-224 is SHA-256 started from another initial value (§5.3.2) with
 * the digest truncated to 28 bytes, so both share the compression function, context layout and
 * the streaming exports sha256_update / _save / _restore; only init, final and digest differ.
 *
 * Constant time by construction: SHA-256 uses only 32-bit additions, rotations and bitwise
 * operations, and its only table (the round constants K) is indexed by the public round number,
 * never by data. The padding step branches on the message *length*, which is public.
 *
 * Internals work on a context pointer so HMAC and HKDF can own their own contexts:
 *
 *   offset  size  field
 *   0       32    H[0..7], the chaining value (native little-endian u32s)
 *   32      8     total bytes absorbed (u64); its low 6 bits are the partial-block fill
 *   40      64    partial block
 *
 * The exported ABI drives one module-level context through the I/O buffer of ./abi. Every export
 * that finishes a computation wipes the context, so no message-derived state stays in linear
 * memory after the call. The message schedule and working variables live in wasm locals (not
 * linear memory), so there is no scratch array to wipe.
 */
import { IO_SIZE, ioPtr } from "./abi";

/** Bytes in a SHA-256 context (see the layout above); also the size of a saved state. */
export const SHA256_CTX_SIZE: usize = 104;
/** Digest size in bytes (FIPS 180-4 §1). */
export const SHA256_DIGEST_SIZE: usize = 32;
/** Block size in bytes. */
export const SHA256_BLOCK_SIZE: usize = 64;

const CTX_TOTAL: usize = 32;
const CTX_BUF: usize = 40;

/** ABI status codes shared by sha256.ts, hmac.ts and hkdf.ts. */
export const STATUS_OK: i32 = 0;
/** A length argument exceeds the I/O buffer or the primitive's limit. */
export const STATUS_BAD_LENGTH: i32 = 1;
/** A call arrived out of order (e.g. HKDF expand before extract). */
export const STATUS_BAD_STATE: i32 = 2;

// FIPS 180-4 §4.2.2: the first 32 bits of the fractional parts of the cube roots of the first 64
// primes.
const K: usize = memory.data<u32>([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

// FIPS 180-4 §5.3.3: the initial hash value H(0).
const IV: usize = memory.data<u32>([
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
]);

// FIPS 180-4 §5.3.2: SHA-224's initial hash value H(0).
const IV224: usize = memory.data<u32>([
  0xc1059ed8, 0x367cd507, 0x3070dd17, 0xf70e5939, 0xffc00b31, 0x68581511, 0x64f98fa7, 0xbefa4fa4,
]);

/** SHA-224 digest size in bytes (§6.3: the leftmost 224 bits of H(N)). */
export const SHA224_DIGEST_SIZE: usize = 28;

/** The context behind the exported sha256_* and sha224_* ABI. */
const ctx: usize = memory.data(<i32>SHA256_CTX_SIZE, 16);

// FIPS 180-4 §4.1.2 (4.2)–(4.7).
@inline function ch(x: u32, y: u32, z: u32): u32 {
  return z ^ (x & (y ^ z));
}
@inline function maj(x: u32, y: u32, z: u32): u32 {
  return (x & y) | (z & (x | y));
}
@inline function bigSigma0(x: u32): u32 {
  return rotr<u32>(x, 2) ^ rotr<u32>(x, 13) ^ rotr<u32>(x, 22);
}
@inline function bigSigma1(x: u32): u32 {
  return rotr<u32>(x, 6) ^ rotr<u32>(x, 11) ^ rotr<u32>(x, 25);
}
@inline function smallSigma0(x: u32): u32 {
  return rotr<u32>(x, 7) ^ rotr<u32>(x, 18) ^ (x >>> 3);
}
@inline function smallSigma1(x: u32): u32 {
  return rotr<u32>(x, 17) ^ rotr<u32>(x, 19) ^ (x >>> 10);
}

/**
 * Runs the compression function (§6.2.2) over `blocks` consecutive 64-byte blocks at `src`,
 * updating the chaining value at `state`. The 16-word schedule window is kept in locals and
 * rolled in place (w[t mod 16]); each pass of 16 rounds is unrolled so the a..h renaming costs
 * nothing, and the four passes walk K in steps of 16 words.
 */
export function sha256Compress(state: usize, src: usize, blocks: usize): void {
  let h0 = load<u32>(state, 0);
  let h1 = load<u32>(state, 4);
  let h2 = load<u32>(state, 8);
  let h3 = load<u32>(state, 12);
  let h4 = load<u32>(state, 16);
  let h5 = load<u32>(state, 20);
  let h6 = load<u32>(state, 24);
  let h7 = load<u32>(state, 28);
  while (blocks != 0) {
    const block = src;
    // §6.2.2 step 1, t = 0..15: the message words are big-endian.
    let w0: u32 = bswap<u32>(load<u32>(block, 0));
    let w1: u32 = bswap<u32>(load<u32>(block, 4));
    let w2: u32 = bswap<u32>(load<u32>(block, 8));
    let w3: u32 = bswap<u32>(load<u32>(block, 12));
    let w4: u32 = bswap<u32>(load<u32>(block, 16));
    let w5: u32 = bswap<u32>(load<u32>(block, 20));
    let w6: u32 = bswap<u32>(load<u32>(block, 24));
    let w7: u32 = bswap<u32>(load<u32>(block, 28));
    let w8: u32 = bswap<u32>(load<u32>(block, 32));
    let w9: u32 = bswap<u32>(load<u32>(block, 36));
    let w10: u32 = bswap<u32>(load<u32>(block, 40));
    let w11: u32 = bswap<u32>(load<u32>(block, 44));
    let w12: u32 = bswap<u32>(load<u32>(block, 48));
    let w13: u32 = bswap<u32>(load<u32>(block, 52));
    let w14: u32 = bswap<u32>(load<u32>(block, 56));
    let w15: u32 = bswap<u32>(load<u32>(block, 60));
    let a = h0, b = h1, c = h2, d = h3, e = h4, f = h5, g = h6, h = h7;
    for (let k = K; ; k += 64) {
      // §6.2.2 step 3: sixteen rounds with the working variables renamed instead of shifted.
      h += bigSigma1(e) + ch(e, f, g) + load<u32>(k, 0) + w0; d += h; h += bigSigma0(a) + maj(a, b, c);
      g += bigSigma1(d) + ch(d, e, f) + load<u32>(k, 4) + w1; c += g; g += bigSigma0(h) + maj(h, a, b);
      f += bigSigma1(c) + ch(c, d, e) + load<u32>(k, 8) + w2; b += f; f += bigSigma0(g) + maj(g, h, a);
      e += bigSigma1(b) + ch(b, c, d) + load<u32>(k, 12) + w3; a += e; e += bigSigma0(f) + maj(f, g, h);
      d += bigSigma1(a) + ch(a, b, c) + load<u32>(k, 16) + w4; h += d; d += bigSigma0(e) + maj(e, f, g);
      c += bigSigma1(h) + ch(h, a, b) + load<u32>(k, 20) + w5; g += c; c += bigSigma0(d) + maj(d, e, f);
      b += bigSigma1(g) + ch(g, h, a) + load<u32>(k, 24) + w6; f += b; b += bigSigma0(c) + maj(c, d, e);
      a += bigSigma1(f) + ch(f, g, h) + load<u32>(k, 28) + w7; e += a; a += bigSigma0(b) + maj(b, c, d);
      h += bigSigma1(e) + ch(e, f, g) + load<u32>(k, 32) + w8; d += h; h += bigSigma0(a) + maj(a, b, c);
      g += bigSigma1(d) + ch(d, e, f) + load<u32>(k, 36) + w9; c += g; g += bigSigma0(h) + maj(h, a, b);
      f += bigSigma1(c) + ch(c, d, e) + load<u32>(k, 40) + w10; b += f; f += bigSigma0(g) + maj(g, h, a);
      e += bigSigma1(b) + ch(b, c, d) + load<u32>(k, 44) + w11; a += e; e += bigSigma0(f) + maj(f, g, h);
      d += bigSigma1(a) + ch(a, b, c) + load<u32>(k, 48) + w12; h += d; d += bigSigma0(e) + maj(e, f, g);
      c += bigSigma1(h) + ch(h, a, b) + load<u32>(k, 52) + w13; g += c; c += bigSigma0(d) + maj(d, e, f);
      b += bigSigma1(g) + ch(g, h, a) + load<u32>(k, 56) + w14; f += b; b += bigSigma0(c) + maj(c, d, e);
      a += bigSigma1(f) + ch(f, g, h) + load<u32>(k, 60) + w15; e += a; a += bigSigma0(b) + maj(b, c, d);
      if (k == K + 192) break;
      // §6.2.2 step 1, t = 16..63: W[t] = σ1(W[t-2]) + W[t-7] + σ0(W[t-15]) + W[t-16].
      w0 += smallSigma1(w14) + w9 + smallSigma0(w1);
      w1 += smallSigma1(w15) + w10 + smallSigma0(w2);
      w2 += smallSigma1(w0) + w11 + smallSigma0(w3);
      w3 += smallSigma1(w1) + w12 + smallSigma0(w4);
      w4 += smallSigma1(w2) + w13 + smallSigma0(w5);
      w5 += smallSigma1(w3) + w14 + smallSigma0(w6);
      w6 += smallSigma1(w4) + w15 + smallSigma0(w7);
      w7 += smallSigma1(w5) + w0 + smallSigma0(w8);
      w8 += smallSigma1(w6) + w1 + smallSigma0(w9);
      w9 += smallSigma1(w7) + w2 + smallSigma0(w10);
      w10 += smallSigma1(w8) + w3 + smallSigma0(w11);
      w11 += smallSigma1(w9) + w4 + smallSigma0(w12);
      w12 += smallSigma1(w10) + w5 + smallSigma0(w13);
      w13 += smallSigma1(w11) + w6 + smallSigma0(w14);
      w14 += smallSigma1(w12) + w7 + smallSigma0(w15);
      w15 += smallSigma1(w13) + w8 + smallSigma0(w0);
    }
    // §6.2.2 step 4.
    h0 += a;
    h1 += b;
    h2 += c;
    h3 += d;
    h4 += e;
    h5 += f;
    h6 += g;
    h7 += h;
    src += 64;
    blocks--;
  }
  store<u32>(state, h0, 0);
  store<u32>(state, h1, 4);
  store<u32>(state, h2, 8);
  store<u32>(state, h3, 12);
  store<u32>(state, h4, 16);
  store<u32>(state, h5, 20);
  store<u32>(state, h6, 24);
  store<u32>(state, h7, 28);
}

/** The initial hash value of SHA-256 (`digestLen` 32) or SHA-224 (`digestLen` 28). */
@inline function ivFor(digestLen: usize): usize {
  return digestLen == SHA224_DIGEST_SIZE ? IV224 : IV;
}

/**
 * Loads the initial hash value of SHA-256, or of SHA-224 when `digestLen` is 28, into the
 * chaining-value slot `state` (32 bytes).
 */
@inline export function sha256LoadIv(state: usize, digestLen: usize = SHA256_DIGEST_SIZE): void {
  memory.copy(state, ivFor(digestLen), 32);
}

/** Starts a new SHA-256 (or, with `digestLen` 28, SHA-224) hash in the context at `c`. */
export function sha256Init(c: usize, digestLen: usize = SHA256_DIGEST_SIZE): void {
  memory.copy(c, ivFor(digestLen), 32);
  store<u64>(c + CTX_TOTAL, 0);
}

/**
 * Absorbs `len` bytes at `src` into the context at `c`. Whole blocks are compressed straight
 * from `src`; only a partial head or tail is copied into the context's block buffer.
 */
export function sha256Update(c: usize, src: usize, len: usize): void {
  const total = load<u64>(c + CTX_TOTAL);
  store<u64>(c + CTX_TOTAL, total + <u64>len);
  let fill = <usize>(total & 63);
  if (fill != 0) {
    const take = min<usize>(64 - fill, len);
    memory.copy(c + CTX_BUF + fill, src, take);
    src += take;
    len -= take;
    fill += take;
    if (fill < 64) return;
    sha256Compress(c, c + CTX_BUF, 1);
  }
  const blocks = len >> 6;
  if (blocks != 0) sha256Compress(c, src, blocks);
  const rest = len & 63;
  if (rest != 0) memory.copy(c + CTX_BUF, src + (blocks << 6), rest);
}

/**
 * Pads (§5.1.1), finishes the hash and writes the digest to `out` — 32 bytes, or the leftmost 28
 * for SHA-224 (§6.3) — then wipes the context. `out` must not overlap the context.
 */
export function sha256Final(c: usize, out: usize, digestLen: usize = SHA256_DIGEST_SIZE): void {
  const total = load<u64>(c + CTX_TOTAL);
  const buf = c + CTX_BUF;
  let fill = <usize>(total & 63);
  store<u8>(buf + fill, 0x80);
  fill++;
  if (fill > 56) {
    memory.fill(buf + fill, 0, 64 - fill);
    sha256Compress(c, buf, 1);
    fill = 0;
  }
  memory.fill(buf + fill, 0, 56 - fill);
  // The message length in bits, as a 64-bit big-endian integer.
  store<u64>(buf, bswap<u64>(total << 3), 56);
  sha256Compress(c, buf, 1);
  // §6.2.2: the digest is H(N) in big-endian byte order (§6.3: its first seven words for SHA-224).
  for (let i: usize = 0; i < digestLen; i += 4) {
    store<u32>(out + i, bswap<u32>(load<u32>(c + i)));
  }
  memory.fill(c, 0, SHA256_CTX_SIZE);
}

/** Bytes absorbed so far by the context at `c`. */
@inline export function sha256Total(c: usize): u64 {
  return load<u64>(c + CTX_TOTAL);
}

/** Overwrites the byte count of the context at `c` (HMAC resumes from a keyed midstate). */
@inline export function sha256SetTotal(c: usize, total: u64): void {
  store<u64>(c + CTX_TOTAL, total);
}

// ---------------------------------------------------------------------------------------------
// Exported ABI. Inputs and outputs pass through the I/O buffer; lengths are checked against it.

/** Starts a streaming hash. */
export function sha256_init(): void {
  sha256Init(ctx);
}

/** Absorbs the first `len` bytes of the I/O buffer. Returns STATUS_BAD_LENGTH if len > IO_SIZE. */
export function sha256_update(len: usize): i32 {
  if (len > IO_SIZE) return STATUS_BAD_LENGTH;
  sha256Update(ctx, ioPtr(), len);
  return STATUS_OK;
}

/** Finishes the streaming hash: the digest goes to I/O bytes 0..32 and the context is wiped. */
export function sha256_final(): void {
  sha256Final(ctx, ioPtr());
}

/** One-shot hash of the first `len` bytes of the I/O buffer; the digest replaces bytes 0..32. */
export function sha256_digest(len: usize): i32 {
  if (len > IO_SIZE) return STATUS_BAD_LENGTH;
  sha256Init(ctx);
  sha256Update(ctx, ioPtr(), len);
  sha256Final(ctx, ioPtr());
  return STATUS_OK;
}

/**
 * Moves the streaming context out to I/O bytes 0..SHA256_CTX_SIZE and wipes it, so a caller can
 * keep several hashes in flight and resume one later with sha256_restore.
 */
export function sha256_save(): void {
  memory.copy(ioPtr(), ctx, SHA256_CTX_SIZE);
  memory.fill(ctx, 0, SHA256_CTX_SIZE);
}

/** Loads a context saved by sha256_save from I/O bytes 0..SHA256_CTX_SIZE. */
export function sha256_restore(): void {
  memory.copy(ctx, ioPtr(), SHA256_CTX_SIZE);
}

/** Starts a streaming SHA-224 hash; feed it with sha256_update and save it with sha256_save. */
export function sha224_init(): void {
  sha256Init(ctx, SHA224_DIGEST_SIZE);
}

/** Finishes a streaming SHA-224 hash: the digest goes to I/O bytes 0..28; the context is wiped. */
export function sha224_final(): void {
  sha256Final(ctx, ioPtr(), SHA224_DIGEST_SIZE);
}

/** One-shot SHA-224 of the first `len` bytes of the I/O buffer; the digest replaces bytes 0..28. */
export function sha224_digest(len: usize): i32 {
  if (len > IO_SIZE) return STATUS_BAD_LENGTH;
  sha256Init(ctx, SHA224_DIGEST_SIZE);
  sha256Update(ctx, ioPtr(), len);
  sha256Final(ctx, ioPtr(), SHA224_DIGEST_SIZE);
  return STATUS_OK;
}
