/**
 * SHA-512 (FIPS 180-4 §6.4) and SHA-384 (§6.5) for the EdgeKMS crypto core, with a streaming
 * pointer-and-length ABI. SHA-384 is SHA-512 started from another initial value (§5.3.4) with the
 * digest truncated to 48 bytes, so both share the compression function, the context layout and
 * the streaming exports sha512_update / _save / _restore; only init, final and digest differ.
 *
 * Constant time by construction: SHA-512 uses only 64-bit additions, rotations and bitwise
 * operations (single WebAssembly i64 instructions), and its only table (the round constants K) is
 * indexed by the public round number, never by data. The padding step branches on the message
 * *length*, which is public.
 *
 * Internals work on a context pointer so HMAC and HKDF can own their own contexts:
 *
 *   offset  size  field
 *   0       64    H[0..7], the chaining value (native little-endian u64s)
 *   64      8     total bytes absorbed (u64); its low 7 bits are the partial-block fill
 *   72      128   partial block
 *
 * The message length field of the padding is 128 bits (§5.1.2); a byte count held in a u64 fills
 * its low 67 bits, which covers any message a Worker can hash. Every export that finishes a
 * computation wipes the context; the message schedule and working variables live in wasm locals.
 */
import { IO_SIZE, ioPtr } from "./abi";
import { STATUS_BAD_LENGTH, STATUS_OK } from "./sha256";

/** Bytes in a SHA-512 context (see the layout above); also the size of a saved state. */
export const SHA512_CTX_SIZE: usize = 200;
/** SHA-512 digest size in bytes. */
export const SHA512_DIGEST_SIZE: usize = 64;
/** SHA-384 digest size in bytes (§6.5: the leftmost 384 bits of H(N)). */
export const SHA384_DIGEST_SIZE: usize = 48;
/** Block size in bytes. */
export const SHA512_BLOCK_SIZE: usize = 128;

const CTX_TOTAL: usize = 64;
const CTX_BUF: usize = 72;

// FIPS 180-4 §4.2.3: the first 64 bits of the fractional parts of the cube roots of the first 80
// primes.
const K: usize = memory.data<u64>([
  0x428a2f98d728ae22, 0x7137449123ef65cd, 0xb5c0fbcfec4d3b2f, 0xe9b5dba58189dbbc,
  0x3956c25bf348b538, 0x59f111f1b605d019, 0x923f82a4af194f9b, 0xab1c5ed5da6d8118,
  0xd807aa98a3030242, 0x12835b0145706fbe, 0x243185be4ee4b28c, 0x550c7dc3d5ffb4e2,
  0x72be5d74f27b896f, 0x80deb1fe3b1696b1, 0x9bdc06a725c71235, 0xc19bf174cf692694,
  0xe49b69c19ef14ad2, 0xefbe4786384f25e3, 0x0fc19dc68b8cd5b5, 0x240ca1cc77ac9c65,
  0x2de92c6f592b0275, 0x4a7484aa6ea6e483, 0x5cb0a9dcbd41fbd4, 0x76f988da831153b5,
  0x983e5152ee66dfab, 0xa831c66d2db43210, 0xb00327c898fb213f, 0xbf597fc7beef0ee4,
  0xc6e00bf33da88fc2, 0xd5a79147930aa725, 0x06ca6351e003826f, 0x142929670a0e6e70,
  0x27b70a8546d22ffc, 0x2e1b21385c26c926, 0x4d2c6dfc5ac42aed, 0x53380d139d95b3df,
  0x650a73548baf63de, 0x766a0abb3c77b2a8, 0x81c2c92e47edaee6, 0x92722c851482353b,
  0xa2bfe8a14cf10364, 0xa81a664bbc423001, 0xc24b8b70d0f89791, 0xc76c51a30654be30,
  0xd192e819d6ef5218, 0xd69906245565a910, 0xf40e35855771202a, 0x106aa07032bbd1b8,
  0x19a4c116b8d2d0c8, 0x1e376c085141ab53, 0x2748774cdf8eeb99, 0x34b0bcb5e19b48a8,
  0x391c0cb3c5c95a63, 0x4ed8aa4ae3418acb, 0x5b9cca4f7763e373, 0x682e6ff3d6b2b8a3,
  0x748f82ee5defb2fc, 0x78a5636f43172f60, 0x84c87814a1f0ab72, 0x8cc702081a6439ec,
  0x90befffa23631e28, 0xa4506cebde82bde9, 0xbef9a3f7b2c67915, 0xc67178f2e372532b,
  0xca273eceea26619c, 0xd186b8c721c0c207, 0xeada7dd6cde0eb1e, 0xf57d4f7fee6ed178,
  0x06f067aa72176fba, 0x0a637dc5a2c898a6, 0x113f9804bef90dae, 0x1b710b35131c471b,
  0x28db77f523047d84, 0x32caab7b40c72493, 0x3c9ebe0a15c9bebc, 0x431d67c49c100d4c,
  0x4cc5d4becb3e42b6, 0x597f299cfc657e2a, 0x5fcb6fab3ad6faec, 0x6c44198c4a475817,
]);

// FIPS 180-4 §5.3.5: SHA-512's initial hash value H(0).
const IV512: usize = memory.data<u64>([
  0x6a09e667f3bcc908, 0xbb67ae8584caa73b, 0x3c6ef372fe94f82b, 0xa54ff53a5f1d36f1,
  0x510e527fade682d1, 0x9b05688c2b3e6c1f, 0x1f83d9abfb41bd6b, 0x5be0cd19137e2179,
]);

// FIPS 180-4 §5.3.4: SHA-384's initial hash value H(0).
const IV384: usize = memory.data<u64>([
  0xcbbb9d5dc1059ed8, 0x629a292a367cd507, 0x9159015a3070dd17, 0x152fecd8f70e5939,
  0x67332667ffc00b31, 0x8eb44a8768581511, 0xdb0c2e0d64f98fa7, 0x47b5481dbefa4fa4,
]);

/** The context behind the exported sha512_* and sha384_* ABI. */
const ctx: usize = memory.data(<i32>SHA512_CTX_SIZE, 16);

// FIPS 180-4 §4.1.3 (4.8)–(4.13).
@inline function ch(x: u64, y: u64, z: u64): u64 {
  return z ^ (x & (y ^ z));
}
@inline function maj(x: u64, y: u64, z: u64): u64 {
  return (x & y) | (z & (x | y));
}
@inline function bigSigma0(x: u64): u64 {
  return rotr<u64>(x, 28) ^ rotr<u64>(x, 34) ^ rotr<u64>(x, 39);
}
@inline function bigSigma1(x: u64): u64 {
  return rotr<u64>(x, 14) ^ rotr<u64>(x, 18) ^ rotr<u64>(x, 41);
}
@inline function smallSigma0(x: u64): u64 {
  return rotr<u64>(x, 1) ^ rotr<u64>(x, 8) ^ (x >>> 7);
}
@inline function smallSigma1(x: u64): u64 {
  return rotr<u64>(x, 19) ^ rotr<u64>(x, 61) ^ (x >>> 6);
}

/** The initial hash value of SHA-512 (`digestLen` 64) or SHA-384 (`digestLen` 48). */
@inline function ivFor(digestLen: usize): usize {
  return digestLen == SHA384_DIGEST_SIZE ? IV384 : IV512;
}

/**
 * Runs the compression function (§6.4.2) over `blocks` consecutive 128-byte blocks at `src`,
 * updating the chaining value at `state`. As in ./sha256: the 16-word schedule window is kept in
 * locals and rolled in place, and each pass of 16 rounds is unrolled so renaming the working
 * variables costs nothing; the five passes walk K in steps of 16 words.
 */
export function sha512Compress(state: usize, src: usize, blocks: usize): void {
  let h0 = load<u64>(state, 0);
  let h1 = load<u64>(state, 8);
  let h2 = load<u64>(state, 16);
  let h3 = load<u64>(state, 24);
  let h4 = load<u64>(state, 32);
  let h5 = load<u64>(state, 40);
  let h6 = load<u64>(state, 48);
  let h7 = load<u64>(state, 56);
  while (blocks != 0) {
    const block = src;
    // §6.4.2 step 1, t = 0..15: the message words are big-endian.
    let w0: u64 = bswap<u64>(load<u64>(block, 0));
    let w1: u64 = bswap<u64>(load<u64>(block, 8));
    let w2: u64 = bswap<u64>(load<u64>(block, 16));
    let w3: u64 = bswap<u64>(load<u64>(block, 24));
    let w4: u64 = bswap<u64>(load<u64>(block, 32));
    let w5: u64 = bswap<u64>(load<u64>(block, 40));
    let w6: u64 = bswap<u64>(load<u64>(block, 48));
    let w7: u64 = bswap<u64>(load<u64>(block, 56));
    let w8: u64 = bswap<u64>(load<u64>(block, 64));
    let w9: u64 = bswap<u64>(load<u64>(block, 72));
    let w10: u64 = bswap<u64>(load<u64>(block, 80));
    let w11: u64 = bswap<u64>(load<u64>(block, 88));
    let w12: u64 = bswap<u64>(load<u64>(block, 96));
    let w13: u64 = bswap<u64>(load<u64>(block, 104));
    let w14: u64 = bswap<u64>(load<u64>(block, 112));
    let w15: u64 = bswap<u64>(load<u64>(block, 120));
    let a = h0, b = h1, c = h2, d = h3, e = h4, f = h5, g = h6, h = h7;
    for (let k = K; ; k += 128) {
      // §6.4.2 step 3: sixteen rounds with the working variables renamed instead of shifted.
      h += bigSigma1(e) + ch(e, f, g) + load<u64>(k, 0) + w0; d += h; h += bigSigma0(a) + maj(a, b, c);
      g += bigSigma1(d) + ch(d, e, f) + load<u64>(k, 8) + w1; c += g; g += bigSigma0(h) + maj(h, a, b);
      f += bigSigma1(c) + ch(c, d, e) + load<u64>(k, 16) + w2; b += f; f += bigSigma0(g) + maj(g, h, a);
      e += bigSigma1(b) + ch(b, c, d) + load<u64>(k, 24) + w3; a += e; e += bigSigma0(f) + maj(f, g, h);
      d += bigSigma1(a) + ch(a, b, c) + load<u64>(k, 32) + w4; h += d; d += bigSigma0(e) + maj(e, f, g);
      c += bigSigma1(h) + ch(h, a, b) + load<u64>(k, 40) + w5; g += c; c += bigSigma0(d) + maj(d, e, f);
      b += bigSigma1(g) + ch(g, h, a) + load<u64>(k, 48) + w6; f += b; b += bigSigma0(c) + maj(c, d, e);
      a += bigSigma1(f) + ch(f, g, h) + load<u64>(k, 56) + w7; e += a; a += bigSigma0(b) + maj(b, c, d);
      h += bigSigma1(e) + ch(e, f, g) + load<u64>(k, 64) + w8; d += h; h += bigSigma0(a) + maj(a, b, c);
      g += bigSigma1(d) + ch(d, e, f) + load<u64>(k, 72) + w9; c += g; g += bigSigma0(h) + maj(h, a, b);
      f += bigSigma1(c) + ch(c, d, e) + load<u64>(k, 80) + w10; b += f; f += bigSigma0(g) + maj(g, h, a);
      e += bigSigma1(b) + ch(b, c, d) + load<u64>(k, 88) + w11; a += e; e += bigSigma0(f) + maj(f, g, h);
      d += bigSigma1(a) + ch(a, b, c) + load<u64>(k, 96) + w12; h += d; d += bigSigma0(e) + maj(e, f, g);
      c += bigSigma1(h) + ch(h, a, b) + load<u64>(k, 104) + w13; g += c; c += bigSigma0(d) + maj(d, e, f);
      b += bigSigma1(g) + ch(g, h, a) + load<u64>(k, 112) + w14; f += b; b += bigSigma0(c) + maj(c, d, e);
      a += bigSigma1(f) + ch(f, g, h) + load<u64>(k, 120) + w15; e += a; a += bigSigma0(b) + maj(b, c, d);
      if (k == K + 512) break;
      // §6.4.2 step 1, t = 16..79: W[t] = σ1(W[t-2]) + W[t-7] + σ0(W[t-15]) + W[t-16].
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
    // §6.4.2 step 4.
    h0 += a;
    h1 += b;
    h2 += c;
    h3 += d;
    h4 += e;
    h5 += f;
    h6 += g;
    h7 += h;
    src += 128;
    blocks--;
  }
  store<u64>(state, h0, 0);
  store<u64>(state, h1, 8);
  store<u64>(state, h2, 16);
  store<u64>(state, h3, 24);
  store<u64>(state, h4, 32);
  store<u64>(state, h5, 40);
  store<u64>(state, h6, 48);
  store<u64>(state, h7, 56);
}

/** Loads the initial hash value of SHA-512, or of SHA-384 when `digestLen` is 48, into `state`. */
@inline export function sha512LoadIv(state: usize, digestLen: usize): void {
  memory.copy(state, ivFor(digestLen), 64);
}

/** Starts a new SHA-512 (`digestLen` 64) or SHA-384 (`digestLen` 48) hash in the context at `c`. */
export function sha512Init(c: usize, digestLen: usize): void {
  memory.copy(c, ivFor(digestLen), 64);
  store<u64>(c + CTX_TOTAL, 0);
}

/**
 * Absorbs `len` bytes at `src` into the context at `c`. Whole blocks are compressed straight
 * from `src`; only a partial head or tail is copied into the context's block buffer.
 */
export function sha512Update(c: usize, src: usize, len: usize): void {
  const total = load<u64>(c + CTX_TOTAL);
  store<u64>(c + CTX_TOTAL, total + <u64>len);
  let fill = <usize>(total & 127);
  if (fill != 0) {
    const take = min<usize>(128 - fill, len);
    memory.copy(c + CTX_BUF + fill, src, take);
    src += take;
    len -= take;
    fill += take;
    if (fill < 128) return;
    sha512Compress(c, c + CTX_BUF, 1);
  }
  const blocks = len >> 7;
  if (blocks != 0) sha512Compress(c, src, blocks);
  const rest = len & 127;
  if (rest != 0) memory.copy(c + CTX_BUF, src + (blocks << 7), rest);
}

/**
 * Pads (§5.1.2), finishes the hash and writes the first `digestLen` bytes of the digest to `out`
 * (64 for SHA-512, 48 for SHA-384), then wipes the context. `out` must not overlap the context.
 */
export function sha512Final(c: usize, out: usize, digestLen: usize): void {
  const total = load<u64>(c + CTX_TOTAL);
  const buf = c + CTX_BUF;
  let fill = <usize>(total & 127);
  store<u8>(buf + fill, 0x80);
  fill++;
  if (fill > 112) {
    memory.fill(buf + fill, 0, 128 - fill);
    sha512Compress(c, buf, 1);
    fill = 0;
  }
  memory.fill(buf + fill, 0, 120 - fill);
  // The message length in bits as a 128-bit big-endian integer: its top 64 bits hold the bits
  // shifted out of the byte count, its low 64 bits the rest.
  store<u64>(buf, bswap<u64>(total >>> 61), 112);
  store<u64>(buf, bswap<u64>(total << 3), 120);
  sha512Compress(c, buf, 1);
  // §6.4.2: the digest is H(N) in big-endian byte order (§6.5: its first six words for SHA-384).
  for (let i: usize = 0; i < digestLen; i += 8) {
    store<u64>(out + i, bswap<u64>(load<u64>(c + i)));
  }
  memory.fill(c, 0, SHA512_CTX_SIZE);
}

/** Overwrites the byte count of the context at `c` (HMAC resumes from a keyed midstate). */
@inline export function sha512SetTotal(c: usize, total: u64): void {
  store<u64>(c + CTX_TOTAL, total);
}

// ---------------------------------------------------------------------------------------------
// Exported ABI. Inputs and outputs pass through the I/O buffer; lengths are checked against it.

/** Starts a streaming SHA-512 hash. */
export function sha512_init(): void {
  sha512Init(ctx, SHA512_DIGEST_SIZE);
}

/** Starts a streaming SHA-384 hash; feed it with sha512_update and save it with sha512_save. */
export function sha384_init(): void {
  sha512Init(ctx, SHA384_DIGEST_SIZE);
}

/** Absorbs the first `len` bytes of the I/O buffer. Returns STATUS_BAD_LENGTH if len > IO_SIZE. */
export function sha512_update(len: usize): i32 {
  if (len > IO_SIZE) return STATUS_BAD_LENGTH;
  sha512Update(ctx, ioPtr(), len);
  return STATUS_OK;
}

/** Finishes a streaming SHA-512 hash: the digest goes to I/O bytes 0..64; the context is wiped. */
export function sha512_final(): void {
  sha512Final(ctx, ioPtr(), SHA512_DIGEST_SIZE);
}

/** Finishes a streaming SHA-384 hash: the digest goes to I/O bytes 0..48; the context is wiped. */
export function sha384_final(): void {
  sha512Final(ctx, ioPtr(), SHA384_DIGEST_SIZE);
}

/** One-shot SHA-512 of the first `len` bytes of the I/O buffer; the digest replaces bytes 0..64. */
export function sha512_digest(len: usize): i32 {
  if (len > IO_SIZE) return STATUS_BAD_LENGTH;
  sha512Init(ctx, SHA512_DIGEST_SIZE);
  sha512Update(ctx, ioPtr(), len);
  sha512Final(ctx, ioPtr(), SHA512_DIGEST_SIZE);
  return STATUS_OK;
}

/** One-shot SHA-384 of the first `len` bytes of the I/O buffer; the digest replaces bytes 0..48. */
export function sha384_digest(len: usize): i32 {
  if (len > IO_SIZE) return STATUS_BAD_LENGTH;
  sha512Init(ctx, SHA384_DIGEST_SIZE);
  sha512Update(ctx, ioPtr(), len);
  sha512Final(ctx, ioPtr(), SHA384_DIGEST_SIZE);
  return STATUS_OK;
}

/** Moves the streaming context out to I/O bytes 0..SHA512_CTX_SIZE and wipes it. */
export function sha512_save(): void {
  memory.copy(ioPtr(), ctx, SHA512_CTX_SIZE);
  memory.fill(ctx, 0, SHA512_CTX_SIZE);
}

/** Loads a context saved by sha512_save from I/O bytes 0..SHA512_CTX_SIZE. */
export function sha512_restore(): void {
  memory.copy(ctx, ioPtr(), SHA512_CTX_SIZE);
}
