// GHASH, the universal hash of GCM (NIST SP 800-38D §6.4), in constant time. Two techniques:
//
// Short runs (after BearSSL's ghash_ctmul64): a carry-less 64×64 multiplication is built from
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
// About 560 instructions per block in V8 (96 multiplications and register spills).
//
// Long runs (80 blocks or more): sixteen interleaved Horner streams with step H^16, held
// transposed (one stream per v128 lane), multiplied through 4-bit tables of n·H^16·x^(4k) that
// `i8x16.swizzle` reads for all sixteen lanes at once (see bulk). About 250 instructions per block,
// plus about 20k per message for the tables and a fold of the streams through the path above.
//
// Why constant-time: integer multiplication, shifts and XORs take data-independent time on the
// engines we target (x86-64 and ARM64 `imul`/`mul` have fixed latency), and no branch depends on
// a secret. The nibble tables are key material but are read whole, at fixed addresses, every
// group; the secret nibble only selects a byte inside a register (`i8x16.swizzle` is pshufb / TBL,
// whose timing does not depend on the index), exactly as the key schedule's S-box in aes.ts.
// Rejected: 4-bit and 8-bit table GHASH indexed in memory (Shoup's method, what most portable
// code uses) because the table index is secret and leaks through the cache; a
// 32-bit-multiplication variant (ghash_ctmul32) because WebAssembly has a native 64-bit multiply;
// a bitsliced multiplication by H (a masked XOR per bit pair: about 16k operations per 128
// blocks, more than the swizzle tables); swizzle tables for a single stream, which would need one
// lookup per output byte per nibble (swizzle applies one table to all lanes, so only independent
// streams fill the lanes).
//
// Representation: a field element is held as two u64 words (hi, lo) read big-endian from the
// 16-byte block, so bit 0 of the block (the x^0 coefficient in SP 800-38D's bit order) is the top
// bit of `hi`. In that bit-reflected form a product of two elements is the 255-bit carry-less
// product shifted left by one bit, and reduction folds the low 128 bits into the high ones.

import { wipe } from "./ct";

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
  if (load<u32>(table + NIBBLES_READY) != 0) wipe(nibbleTable, NIBBLE_TABLE_SIZE);
  wipe(table, TABLE_SIZE);
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
  if (load<u32>(table + NIBBLES_READY) != 0) wipe(nibbleTable, NIBBLE_TABLE_SIZE);
  store<u32>(table + NIBBLES_READY, 0);
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
 * key set by ghashSetKey: Y = (Y ^ X) · H for each block X (SP 800-38D §6.4, Algorithm 2). Long
 * runs go through the sixteen-stream nibble-table path (see bulk), the rest four blocks per
 * reduction.
 */
export function ghashBlocks(y: usize, data: usize, blocks: usize): void {
  if (blocks >= BULK_MIN) {
    const groups = blocks >> 4;
    bulk(y, data, groups);
    data += groups << 8;
    blocks -= groups << 4;
  }
  ghash4(y, data, blocks);
}

// Four blocks per reduction against H^4..H^1; single blocks against H.
function ghash4(y: usize, data: usize, blocks: usize): void {
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

// ---- Sixteen interleaved streams multiplied by H^16 through nibble tables ----
//
// Block j of each group of sixteen goes to stream j (Horner with step H^16): S_j <- S_j·H^16 ^ X.
// After the last group, Y = sum of S_j·H^(17-j), which is plain GHASH of the sixteen blocks
// S_1..S_16 from zero (ghash4). The running hash joins block 1 of the first group, as above.
//
// The streams are held transposed: row b (a v128) has byte b of every stream's block, one stream
// per lane. A product by the fixed G = H^16 is linear in the 32 nibbles of the block, so
// row b of S·G = XOR over nibble positions k of R[b][k][nibble k of S], where R[b][k] is a 16-byte
// table (byte b of n·G·x^(4k), fully reduced, for n = 0..15). `i8x16.swizzle` looks that table up
// for all sixteen streams at once: 512 swizzles per 256 bytes and no reduction step.

const BULK_MIN: usize = 80; // five groups: below that, setup and fold outweigh the cheaper steps
const NIBBLE_TABLE_SIZE: usize = 16 * 32 * 16; // [output byte b][nibble position k][n]
const ROW_STRIDE: usize = 32 * 16; // from output byte b to b + 1
const NIBBLES_READY: usize = POWERS_READY + 4; // u32: 1 once the nibble table is filled in
const nibbleTable: usize = memory.data(<i32>NIBBLE_TABLE_SIZE, 16);
// Stream state (256), transposed input group (256), nibble indices (512), transposition (512).
// Secret; wiped after every call.
const BULK_SCRATCH: usize = 1536;
const bulkScratch: usize = memory.data(<i32>BULK_SCRATCH, 16);

// @ts-ignore: decorator
@inline
function unpackLo(a: v128, b: v128): v128 {
  return i8x16.shuffle(a, b, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
}

// @ts-ignore: decorator
@inline
function unpackHi(a: v128, b: v128): v128 {
  return i8x16.shuffle(a, b, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
}

// One stage of the byte transpose: rows i and i + 8 interleave into rows 2i and 2i + 1. Read as
// 8-bit (row, lane) indices this rotates the index left by one bit, so four stages swap them.
function transposeStage(src: usize, dst: usize): void {
  for (let i: usize = 0; i < 8; i++) {
    const a = v128.load(src + (i << 4)), b = v128.load(src + (i << 4), 128);
    v128.store(dst + (i << 5), unpackLo(a, b));
    v128.store(dst + (i << 5), unpackHi(a, b), 16);
  }
}

// Transposes the 16×16 byte matrix at `src` (row r at src + 16r) into rows at dst + stride·b,
// using `tmp` (512 bytes) for the intermediate stages.
function transpose16(src: usize, dst: usize, stride: usize, tmp: usize): void {
  transposeStage(src, tmp);
  transposeStage(tmp, tmp + 256);
  transposeStage(tmp + 256, tmp);
  for (let i: usize = 0; i < 8; i++) {
    const a = v128.load(tmp + (i << 4)), b = v128.load(tmp + (i << 4), 128);
    v128.store(dst + stride * (i << 1), unpackLo(a, b));
    v128.store(dst + stride * ((i << 1) + 1), unpackHi(a, b));
  }
}

// The (hi, lo) element as its 16 block bytes.
// @ts-ignore: decorator
@inline
function toBlock(hi: u64, lo: u64): v128 {
  return i64x2.replace_lane(i64x2.splat(bswap64(hi)), 1, bswap64(lo));
}

// Fills the nibble table for G = H^16. Nibble position k covers x^(4k)..x^(4k+3); bit 3 of the
// nibble value is x^(4k) (the reflected order: byte c's high nibble is k = 2c, its low k = 2c + 1).
// Positions 0 and 1 are built from their basis products and transposed; every later table is the
// one two positions before multiplied by x^8, which in transposed form is a move of rows b - 1 to
// b plus the reduction of the outgoing row 15 into rows 0 and 1.
function computeNibbleTable(): void {
  if (load<u32>(table + POWERS_READY) == 0) computePowers();
  const h4 = table; // H^4's entry
  let lo = (load<u64>(h4, 0) | load<u64>(h4, 8)) | (load<u64>(h4, 16) | load<u64>(h4, 24));
  let hi = (load<u64>(h4, 32) | load<u64>(h4, 40)) | (load<u64>(h4, 48) | load<u64>(h4, 56));
  for (let i = 0; i < 3; i++) {
    multiply(powerScratch, hi, lo, h4);
    hi = load<u64>(powerScratch, 0);
    lo = load<u64>(powerScratch, 8);
  }
  const rows = bulkScratch, tmp = bulkScratch + 1024;
  for (let k: usize = 0; k < 2; k++) {
    // rows[8 >> i] = G·x^(4k + i), built by multiplying by x: a right shift in the reflected
    // order, folding x^128 = x^7 + x^2 + x + 1.
    for (let bit: usize = 8; bit > 0; bit >>= 1) {
      v128.store(rows + (bit << 4), toBlock(hi, lo));
      const carry = lo & 1;
      lo = (lo >> 1) | (hi << 63);
      hi = (hi >> 1) ^ ((0 - carry) & 0xe100000000000000);
    }
    // rows[n] = n·G·x^(4k), every XOR combination of the basis (n is public).
    v128.store(rows, i64x2.splat(0));
    for (let bit: usize = 1; bit < 16; bit <<= 1) {
      const basis = v128.load(rows + (bit << 4));
      for (let n: usize = bit + 1; n < 2 * bit; n++) {
        v128.store(rows + (n << 4), v128.xor(basis, v128.load(rows + ((n - bit) << 4))));
      }
    }
    transpose16(rows, nibbleTable + (k << 4), ROW_STRIDE, tmp);
  }
  for (let k: usize = 2; k < 32; k++) {
    const src = nibbleTable + ((k - 2) << 4), dst = nibbleTable + (k << 4);
    // Byte 15 (x^120..x^127) becomes x^128..x^135 and folds back as u·(1 + x + x^2 + x^7): with
    // u's first bit at x^0, that is u ^ u>>1 ^ u>>2 ^ u>>7 into byte 0 and the bits pushed out
    // (u<<7 ^ u<<6 ^ u<<1) into byte 1.
    const u = v128.load(src + 15 * ROW_STRIDE);
    const r0 = v128.xor(v128.xor(u, i8x16.shr_u(u, 1)), v128.xor(i8x16.shr_u(u, 2), i8x16.shr_u(u, 7)));
    const r1 = v128.xor(v128.xor(i8x16.shl(u, 7), i8x16.shl(u, 6)), i8x16.shl(u, 1));
    for (let b: usize = 15; b > 1; b--) v128.store(dst + b * ROW_STRIDE, v128.load(src + (b - 1) * ROW_STRIDE));
    v128.store(dst + ROW_STRIDE, v128.xor(v128.load(src), r1));
    v128.store(dst, r0);
  }
  store<u64>(powerScratch, 0, 0);
  store<u64>(powerScratch, 0, 8);
  wipe(bulkScratch, BULK_SCRATCH);
  store<u32>(table + NIBBLES_READY, 1);
}

// acc0 ^ lookups of output row b, acc1 ^ those of row b + 1 (tables ROW_STRIDE further on), for
// the four nibble positions at t (tables) and idx (indices), 16 bytes apart. Each index is loaded
// once for both rows.
// @ts-ignore: decorator
@inline
function lookup4(acc0: v128, acc1: v128, t: usize, idx: usize, out: usize): void {
  let i = v128.load(idx, 0);
  acc0 = v128.xor(acc0, v128.swizzle(v128.load(t, 0), i));
  acc1 = v128.xor(acc1, v128.swizzle(v128.load(t + ROW_STRIDE, 0), i));
  i = v128.load(idx, 16);
  acc0 = v128.xor(acc0, v128.swizzle(v128.load(t, 16), i));
  acc1 = v128.xor(acc1, v128.swizzle(v128.load(t + ROW_STRIDE, 16), i));
  i = v128.load(idx, 32);
  acc0 = v128.xor(acc0, v128.swizzle(v128.load(t, 32), i));
  acc1 = v128.xor(acc1, v128.swizzle(v128.load(t + ROW_STRIDE, 32), i));
  i = v128.load(idx, 48);
  acc0 = v128.xor(acc0, v128.swizzle(v128.load(t, 48), i));
  acc1 = v128.xor(acc1, v128.swizzle(v128.load(t + ROW_STRIDE, 48), i));
  v128.store(out, acc0);
  v128.store(out, acc1, 16);
}

// Absorbs `groups` (>= 2) groups of sixteen blocks.
function bulk(y: usize, data: usize, groups: usize): void {
  if (load<u32>(table + NIBBLES_READY) == 0) computeNibbleTable();
  const st = bulkScratch, xt = bulkScratch + 256, idx = bulkScratch + 512, tmp = bulkScratch + 1024;
  // First group: S = X, with Y added to stream 0's block (lane 0 of every row).
  transpose16(data, st, 16, tmp);
  const yhi = bswap64(load<u64>(y, 0)), ylo = bswap64(load<u64>(y, 8));
  for (let b: usize = 0; b < 8; b++) {
    store<u8>(st + (b << 4), load<u8>(st + (b << 4)) ^ <u8>(yhi >> (b << 3)));
    store<u8>(st + ((b + 8) << 4), load<u8>(st + ((b + 8) << 4)) ^ <u8>(ylo >> (b << 3)));
  }
  const low = i8x16.splat(0x0f);
  for (let g: usize = 1; g < groups; g++) {
    for (let c: usize = 0; c < 16; c++) {
      const s = v128.load(st + (c << 4));
      v128.store(idx + (c << 5), v128.and(i16x8.shr_u(s, 4), low));
      v128.store(idx + (c << 5), v128.and(s, low), 16);
    }
    transpose16(data + (g << 8), xt, 16, tmp);
    // Row b of the new state starts as row b of the input and gathers the 32 lookups; the two
    // accumulators go through memory (st) between passes so that the engine keeps the loop's
    // loads in registers instead of hoisting and spilling them.
    for (let b: usize = 0; b < 16; b += 2) {
      const t = nibbleTable + b * ROW_STRIDE, out = st + (b << 4);
      v128.store(out, v128.load(xt + (b << 4)));
      v128.store(out, v128.load(xt + (b << 4), 16), 16);
      lookup4(v128.load(out), v128.load(out, 16), t, idx, out);
      lookup4(v128.load(out), v128.load(out, 16), t + 64, idx + 64, out);
      lookup4(v128.load(out), v128.load(out, 16), t + 128, idx + 128, out);
      lookup4(v128.load(out), v128.load(out, 16), t + 192, idx + 192, out);
      lookup4(v128.load(out), v128.load(out, 16), t + 256, idx + 256, out);
      lookup4(v128.load(out), v128.load(out, 16), t + 320, idx + 320, out);
      lookup4(v128.load(out), v128.load(out, 16), t + 384, idx + 384, out);
      lookup4(v128.load(out), v128.load(out, 16), t + 448, idx + 448, out);
    }
  }
  // Fold: transposing back gives the blocks S_1..S_16.
  transpose16(st, xt, 16, tmp);
  store<u64>(y, 0, 0);
  store<u64>(y, 0, 8);
  ghash4(y, xt, 16);
  wipe(bulkScratch, BULK_SCRATCH);
}
