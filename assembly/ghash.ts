// GHASH, the universal hash of GCM (NIST SP 800-38D §6.4), in constant time.
//
// Technique (after BearSSL's ghash_ctmul64): a carry-less 64×64 multiplication is built from
// ordinary integer multiplications "with holes". Each operand is split into four words that keep
// every fourth bit (masks 0x1111…, 0x2222…, 0x4444…, 0x8888…); multiplying such words makes every
// carry land in a hole of a different residue class, and masking the partial sums keeps only the
// XOR. For the low 64 bits of a product no carry can reach the next bit of its own class before
// bit 64 (at most 15 terms meet below bit 60), so `i64.mul` gives the exact low half. The high
// half comes from the same multiplication of the bit-reversed operands. A 128×128 product uses
// three such products per half (Karatsuba), then the 256-bit result is reduced modulo
// x^128 + x^7 + x^2 + x + 1 with shifts and XORs. Blocks are taken four at a time against
// H^4..H^1 so that the products are summed and reduced once per four blocks. The hash-key side of
// every product is stored already split into its four classes, so only the data side is masked.
//
// Why constant-time: integer multiplication, shifts and XORs take data-independent time on the
// engines we target (x86-64 and ARM64 `imul`/`mul` have fixed latency), and there are no tables
// and no secret-dependent branches. Rejected: 4-bit and 8-bit table GHASH (Shoup's method, what
// most portable code uses) because the table index is secret and leaks through the cache; a
// 32-bit-multiplication variant (ghash_ctmul32) because WebAssembly has a native 64-bit multiply.
//
// Representation: a field element is held as two u64 words (hi, lo) read big-endian from the
// 16-byte block, so bit 0 of the block (the x^0 coefficient in SP 800-38D's bit order) is the top
// bit of `hi`. In that bit-reflected form a product of two elements is the 255-bit carry-less
// product shifted left by one bit, and reduction folds the low 128 bits into the high ones.

const M0: u64 = 0x1111111111111111;
const M1: u64 = 0x2222222222222222;
const M2: u64 = 0x4444444444444444;
const M3: u64 = 0x8888888888888888;

// The low 64 bits of the carry-less product of x and y, with y given pre-split into its four residue
// classes at `e` (the hash-key table stores H's words that way, saving the masking of that side).
// @ts-ignore: decorator
@inline
function bmul64(x: u64, e: usize): u64 {
  const x0 = x & M0, x1 = x & M1, x2 = x & M2, x3 = x & M3;
  const y0 = load<u64>(e, 0), y1 = load<u64>(e, 8), y2 = load<u64>(e, 16), y3 = load<u64>(e, 24);
  const z0 = (x0 * y0) ^ (x1 * y3) ^ (x2 * y2) ^ (x3 * y1);
  const z1 = (x0 * y1) ^ (x1 * y0) ^ (x2 * y3) ^ (x3 * y2);
  const z2 = (x0 * y2) ^ (x1 * y1) ^ (x2 * y0) ^ (x3 * y3);
  const z3 = (x0 * y3) ^ (x1 * y2) ^ (x2 * y1) ^ (x3 * y0);
  return (z0 & M0) | (z1 & M1) | (z2 & M2) | (z3 & M3);
}

// @ts-ignore: decorator
@inline
export function bswap64(x: u64): u64 {
  x = ((x >> 8) & 0x00ff00ff00ff00ff) | ((x & 0x00ff00ff00ff00ff) << 8);
  x = ((x >> 16) & 0x0000ffff0000ffff) | ((x & 0x0000ffff0000ffff) << 16);
  return rotr<u64>(x, 32);
}

// @ts-ignore: decorator
@inline
function rev64(x: u64): u64 {
  x = ((x >> 1) & 0x5555555555555555) | ((x & 0x5555555555555555) << 1);
  x = ((x >> 2) & 0x3333333333333333) | ((x & 0x3333333333333333) << 2);
  x = ((x >> 4) & 0x0f0f0f0f0f0f0f0f) | ((x & 0x0f0f0f0f0f0f0f0f) << 4);
  return bswap64(x);
}

// Reverses the bits inside each byte of `v` (bytes stay in place).
// @ts-ignore: decorator
@inline
function bitrevBytes(v: v128): v128 {
  const m1 = i64x2.splat(0x5555555555555555);
  const m2 = i64x2.splat(0x3333333333333333);
  const m4 = i64x2.splat(0x0f0f0f0f0f0f0f0f);
  v = v128.or(v128.and(i64x2.shr_u(v, 1), m1), i64x2.shl(v128.and(v, m1), 1));
  v = v128.or(v128.and(i64x2.shr_u(v, 2), m2), i64x2.shl(v128.and(v, m2), 2));
  return v128.or(v128.and(i64x2.shr_u(v, 4), m4), i64x2.shl(v128.and(v, m4), 4));
}

// Powers of the hash key, H^4, H^3, H^2, H^1, so that four blocks can be multiplied and summed
// before one reduction: Y' = (Y ^ X1)·H^4 ^ X2·H^3 ^ X3·H^2 ^ X4·H. Each entry holds the six words
// the Karatsuba products need (lo, hi, hi ^ lo and their bit reversals), each split into its four
// residue classes (32 bytes per word).
const ENTRY: usize = 6 * 32;
const H1: usize = 3 * ENTRY;
const POWERS_READY: usize = 4 * ENTRY; // u32: 1 once H^2..H^4 are filled in
const TABLE_SIZE: usize = 4 * ENTRY + 16;
const table: usize = memory.data(<i32>TABLE_SIZE, 16);
const powerScratch: usize = memory.data(16, 16);

/** Zeroes the hash-key table (it is key material). */
export function ghashWipe(): void {
  memory.fill(table, 0, TABLE_SIZE);
}

function setWord(p: usize, w: u64): void {
  store<u64>(p, w & M0, 0);
  store<u64>(p, w & M1, 8);
  store<u64>(p, w & M2, 16);
  store<u64>(p, w & M3, 24);
}

function setEntry(e: usize, hi: u64, lo: u64): void {
  setWord(e, lo);
  setWord(e + 32, hi);
  setWord(e + 64, hi ^ lo);
  setWord(e + 96, rev64(lo));
  setWord(e + 128, rev64(hi));
  setWord(e + 160, rev64(hi) ^ rev64(lo));
}

/**
 * Sets the hash key H (big-endian hi, lo words at `h`). Its higher powers are computed on first
 * use, so short messages (which never hash four blocks at once) do not pay for them.
 */
export function ghashSetKey(h: usize): void {
  setEntry(table + H1, load<u64>(h, 0), load<u64>(h, 8));
  store<u32>(table + POWERS_READY, 0);
}

// Fills the H^2, H^3 and H^4 entries from H^1.
function computePowers(): void {
  // H's words are the unions of their residue classes.
  let lo = (load<u64>(table + H1, 0) | load<u64>(table + H1, 8)) | (load<u64>(table + H1, 16) | load<u64>(table + H1, 24));
  let hi = (load<u64>(table + H1, 32) | load<u64>(table + H1, 40)) | (load<u64>(table + H1, 48) | load<u64>(table + H1, 56));
  for (let k = 2; k >= 0; k--) {
    multiply(powerScratch, hi, lo, table + H1);
    hi = load<u64>(powerScratch, 0);
    lo = load<u64>(powerScratch, 8);
    setEntry(table + <usize>k * ENTRY, hi, lo);
  }
  store<u64>(powerScratch, 0, 0);
  store<u64>(powerScratch, 0, 8);
  store<u32>(table + POWERS_READY, 1);
}

// y <- (x1, x0) · entry, one block at a time.
function multiply(y: usize, x1: u64, x0: u64, e: usize): void {
  const x1r = rev64(x1), x0r = rev64(x0);
  reduce(
    y,
    bmul64(x0, e),
    bmul64(x1, e + 32),
    bmul64(x0 ^ x1, e + 64),
    bmul64(x0r, e + 96),
    bmul64(x1r, e + 128),
    bmul64(x0r ^ x1r, e + 160),
  );
}

/**
 * Finishes a Karatsuba product (or a sum of them) and reduces it into `y`. z0, z1, z2 are the low
 * halves of lo·lo, hi·hi and (hi^lo)·(hi^lo); z0h, z1h, z2h the same products of the reversed
 * words, whose reversal is the high half.
 */
function reduce(y: usize, z0: u64, z1: u64, z2: u64, z0h: u64, z1h: u64, z2h: u64): void {
  z2 ^= z0 ^ z1;
  z2h ^= z0h ^ z1h;
  z0h = rev64(z0h) >> 1;
  z1h = rev64(z1h) >> 1;
  z2h = rev64(z2h) >> 1;

  // The 256-bit product v3:v2:v1:v0, shifted left by one for the reflected bit order.
  let v0 = z0, v1 = z0h ^ z2, v2 = z1 ^ z2h, v3 = z1h;
  v3 = (v3 << 1) | (v2 >> 63);
  v2 = (v2 << 1) | (v1 >> 63);
  v1 = (v1 << 1) | (v0 >> 63);
  v0 = v0 << 1;

  // Reduce: in reflected form x^128 = x^7 + x^2 + x + 1 means each low word folds into the
  // words above it shifted right by 0, 1, 2 and 7 bits (and the bits shifted out go left).
  v2 ^= v0 ^ (v0 >> 1) ^ (v0 >> 2) ^ (v0 >> 7);
  v1 ^= (v0 << 63) ^ (v0 << 62) ^ (v0 << 57);
  v3 ^= v1 ^ (v1 >> 1) ^ (v1 >> 2) ^ (v1 >> 7);
  v2 ^= (v1 << 63) ^ (v1 << 62) ^ (v1 << 57);
  store<u64>(y, v3, 0);
  store<u64>(y, v2, 8);
}

/**
 * Absorbs `blocks` 16-byte blocks at `data` into the GHASH state at `y` (hi, lo as u64) with the
 * key set by ghashSetKey: Y = (Y ^ X) · H for each block X (SP 800-38D §6.4, Algorithm 2), four
 * blocks per reduction.
 */
export function ghashBlocks(y: usize, data: usize, blocks: usize): void {
  let i: usize = 0;
  if (blocks >= 4 && load<u32>(table + POWERS_READY) == 0) computePowers();
  for (; i + 4 <= blocks; i += 4) {
    let z0: u64 = 0, z1: u64 = 0, z2: u64 = 0, z0h: u64 = 0, z1h: u64 = 0, z2h: u64 = 0;
    // The running hash joins the first block of the group.
    let y1 = load<u64>(y, 0), y0 = load<u64>(y, 8);
    let y1r = rev64(y1), y0r = rev64(y0);
    for (let j: usize = 0; j < 4; j++) {
      const raw = v128.load(data + ((i + j) << 4));
      // Big-endian words from a byte reversal; their bit reversals from reversing bits in bytes.
      const be = i8x16.shuffle(raw, raw, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
      const br = bitrevBytes(raw);
      const x1 = i64x2.extract_lane(be, 1) ^ y1, x0 = i64x2.extract_lane(be, 0) ^ y0;
      const x1r = i64x2.extract_lane(br, 0) ^ y1r, x0r = i64x2.extract_lane(br, 1) ^ y0r;
      y1 = 0;
      y0 = 0;
      y1r = 0;
      y0r = 0;
      const e = table + j * ENTRY;
      z0 ^= bmul64(x0, e);
      z1 ^= bmul64(x1, e + 32);
      z2 ^= bmul64(x0 ^ x1, e + 64);
      z0h ^= bmul64(x0r, e + 96);
      z1h ^= bmul64(x1r, e + 128);
      z2h ^= bmul64(x0r ^ x1r, e + 160);
    }
    reduce(y, z0, z1, z2, z0h, z1h, z2h);
  }
  for (; i < blocks; i++) {
    const p = data + (i << 4);
    multiply(y, load<u64>(y, 0) ^ bswap64(load<u64>(p, 0)), load<u64>(y, 8) ^ bswap64(load<u64>(p, 8)), table + H1);
  }
}
