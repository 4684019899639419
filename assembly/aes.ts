// AES-128 and AES-256 encryption (FIPS 197), bitsliced over WebAssembly SIMD: eight blocks are
// encrypted at once, spread over eight v128 words.
//
// Layout (after the transposition `ortho`): word Q[i] holds bit i of every state byte; byte j of
// Q[i] belongs to state byte j (FIPS 197 column-major order, j = 4c + r) and bit k of that byte
// belongs to block k. This is the Käsper–Schwabe layout ("Faster and Timing-Attack Resistant
// AES-GCM", CHES 2009) and the 128-bit analogue of BearSSL's aes_ct64, whose structure we follow:
// - SubBytes is the Boyar–Peralta circuit ("A depth-16 circuit for the AES S-box", 2011; the
//   113-gate version BearSSL uses) evaluated with AND/XOR/NOT on whole words, so all 128 S-box
//   lookups of the eight blocks happen at once with no table;
// - ShiftRows is never applied: the state's byte order rotates with the round number instead
//   (fixslicing, Adomnicai–Peyrin, "Fixslicing AES-like ciphers", TCHES 2021), the round keys are
//   stored in the matching order, and one ShiftRows² at the end restores FIPS order. MixColumns'
//   row rotations then become a move of whole 32-bit columns (pshufd) plus a rotation inside each
//   column (shifts), with one of four code variants chosen by the public round number mod 4. In
//   V8 a general `i8x16.shuffle` costs five instructions (the mask is built from two 64-bit
//   immediates), which is what this avoids; aes_ct64's masked shifts would cost more still;
// - MixColumns' doubling in GF(2^8) is a rename of the bit words plus three XORs of Q[7];
// - the bit transposition is the usual three-layer SWAPMOVE network, its own inverse.
//
// Why constant-time: no memory address and no branch depends on the key or the data. The only
// branches test the round number, key length and Rcon, which are public. The key schedule works
// on one round key at a time in byte form and substitutes SubWord's bytes with `i8x16.swizzle`
// over all sixteen 16-byte rows of the S-box (see subBytes): every row is loaded from a fixed
// address, and the secret byte only ever indexes inside a register (pshufb / TBL), so it too is
// table-lookup-free in the cache-timing sense. (Before, SubWord ran the bitsliced S-box over a
// whole round key, 13 serial passes for AES-256 that cost more than encrypting a batch.)
//
// Rejected alternatives: T-table or S-box-table AES (fast, but the table index is secret, so it
// leaks through the cache; noble-ciphers documents this for its own AES); Hamburg's vperm nibble
// tables held in registers and read with `i8x16.swizzle` (constant-time, but one block per pass,
// and swizzle's zero-on-out-of-range rule costs V8 an extra instruction per lookup); aes_ct64 on scalar i64
// (four blocks per pass instead of eight, and ShiftRows costs ~20 operations per word instead of
// one shuffle); the four fixsliced MixColumns variants as one code path with the column moves
// selected inside it (V8 then merges eight values per branch and spent more on register moves and
// spills than the shuffles saved: +5% instructions against +4% saved by the separate variants).
// Only encryption is implemented: GCM never runs the inverse cipher.
//
// Caveat: bitslicing pays for eight blocks even when fewer are needed; callers batch work so that
// small messages use one pass (see gcm.ts).

/** Bytes of expanded key for AES-256: 15 round keys × 8 bit-planes × 16 bytes. */
export const ROUND_KEYS_SIZE: usize = 15 * 128;

// The S-box as sixteen rows of sixteen bytes, for the key schedule only (see subBytes). Public.
const SBOX: usize = memory.data<u8>([
  0x63, 0x7c, 0x77, 0x7b, 0xf2, 0x6b, 0x6f, 0xc5, 0x30, 0x01, 0x67, 0x2b, 0xfe, 0xd7, 0xab, 0x76,
  0xca, 0x82, 0xc9, 0x7d, 0xfa, 0x59, 0x47, 0xf0, 0xad, 0xd4, 0xa2, 0xaf, 0x9c, 0xa4, 0x72, 0xc0,
  0xb7, 0xfd, 0x93, 0x26, 0x36, 0x3f, 0xf7, 0xcc, 0x34, 0xa5, 0xe5, 0xf1, 0x71, 0xd8, 0x31, 0x15,
  0x04, 0xc7, 0x23, 0xc3, 0x18, 0x96, 0x05, 0x9a, 0x07, 0x12, 0x80, 0xe2, 0xeb, 0x27, 0xb2, 0x75,
  0x09, 0x83, 0x2c, 0x1a, 0x1b, 0x6e, 0x5a, 0xa0, 0x52, 0x3b, 0xd6, 0xb3, 0x29, 0xe3, 0x2f, 0x84,
  0x53, 0xd1, 0x00, 0xed, 0x20, 0xfc, 0xb1, 0x5b, 0x6a, 0xcb, 0xbe, 0x39, 0x4a, 0x4c, 0x58, 0xcf,
  0xd0, 0xef, 0xaa, 0xfb, 0x43, 0x4d, 0x33, 0x85, 0x45, 0xf9, 0x02, 0x7f, 0x50, 0x3c, 0x9f, 0xa8,
  0x51, 0xa3, 0x40, 0x8f, 0x92, 0x9d, 0x38, 0xf5, 0xbc, 0xb6, 0xda, 0x21, 0x10, 0xff, 0xf3, 0xd2,
  0xcd, 0x0c, 0x13, 0xec, 0x5f, 0x97, 0x44, 0x17, 0xc4, 0xa7, 0x7e, 0x3d, 0x64, 0x5d, 0x19, 0x73,
  0x60, 0x81, 0x4f, 0xdc, 0x22, 0x2a, 0x90, 0x88, 0x46, 0xee, 0xb8, 0x14, 0xde, 0x5e, 0x0b, 0xdb,
  0xe0, 0x32, 0x3a, 0x0a, 0x49, 0x06, 0x24, 0x5c, 0xc2, 0xd3, 0xac, 0x62, 0x91, 0x95, 0xe4, 0x79,
  0xe7, 0xc8, 0x37, 0x6d, 0x8d, 0xd5, 0x4e, 0xa9, 0x6c, 0x56, 0xf4, 0xea, 0x65, 0x7a, 0xae, 0x08,
  0xba, 0x78, 0x25, 0x2e, 0x1c, 0xa6, 0xb4, 0xc6, 0xe8, 0xdd, 0x74, 0x1f, 0x4b, 0xbd, 0x8b, 0x8a,
  0x70, 0x3e, 0xb5, 0x66, 0x48, 0x03, 0xf6, 0x0e, 0x61, 0x35, 0x57, 0xb9, 0x86, 0xc1, 0x1d, 0x9e,
  0xe1, 0xf8, 0x98, 0x11, 0x69, 0xd9, 0x8e, 0x94, 0x9b, 0x1e, 0x87, 0xe9, 0xce, 0x55, 0x28, 0xdf,
  0x8c, 0xa1, 0x89, 0x0d, 0xbf, 0xe6, 0x42, 0x68, 0x41, 0x99, 0x2d, 0x0f, 0xb0, 0x54, 0xbb, 0x16
]);

// FIPS 197 §5.1.2: byte 4c + r of the result comes from byte 4((c + r) mod 4) + r.
// @ts-ignore: decorator
@inline
function shiftRows(x: v128): v128 {
  return i8x16.shuffle(x, x, 0, 5, 10, 15, 4, 9, 14, 3, 8, 13, 2, 7, 12, 1, 6, 11);
}

// ShiftRows twice (its own inverse): byte 4c + r comes from byte 4((c + 2r) mod 4) + r.
// @ts-ignore: decorator
@inline
function shiftRows2(x: v128): v128 {
  return i8x16.shuffle(x, x, 0, 9, 2, 11, 4, 13, 6, 15, 8, 1, 10, 3, 12, 5, 14, 7);
}

// InvShiftRows: byte 4c + r comes from byte 4((c - r) mod 4) + r.
// @ts-ignore: decorator
@inline
function invShiftRows(x: v128): v128 {
  return i8x16.shuffle(x, x, 0, 13, 10, 7, 4, 1, 14, 11, 8, 5, 2, 15, 12, 9, 6, 3);
}

// Column c takes column c + n (mod 4): whole 32-bit lanes, one pshufd.
// @ts-ignore: decorator
@inline
function cols1(x: v128): v128 {
  return i8x16.shuffle(x, x, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3);
}

// @ts-ignore: decorator
@inline
function cols2(x: v128): v128 {
  return i8x16.shuffle(x, x, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7);
}

// @ts-ignore: decorator
@inline
function cols3(x: v128): v128 {
  return i8x16.shuffle(x, x, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11);
}

// A round key in the byte order the cipher's state has after `r` rounds (see aesEncrypt8): the
// byte of column c, row r' sits in column c + r·r' (mod 4). `r` is public.
function keyLayout(x: v128, r: i32): v128 {
  const t = r & 3;
  if (t == 1) return invShiftRows(x);
  if (t == 2) return shiftRows2(x);
  if (t == 3) return shiftRows(x);
  return x;
}

// One output word of MixColumns and AddRoundKey: u' ^ b ^ rot2(m) ^ key, where u' is the word
// below in 2·u (with bit 7 folded in), b = rot1 a and m is u in rot2's column order.
// @ts-ignore: decorator
@inline
function mix(lower: v128, b: v128, m: v128, key: v128): v128 {
  return v128.xor(v128.xor(lower, b), v128.xor(rot2(m), key));
}

// Row r of each column takes row r + 1: a right rotation of each 32-bit lane by one byte.
// @ts-ignore: decorator
@inline
function rot1(x: v128): v128 {
  return v128.or(i32x4.shr_u(x, 8), i32x4.shl(x, 24));
}

// Rotates each column by two rows.
// @ts-ignore: decorator
@inline
function rot2(x: v128): v128 {
  return i8x16.shuffle(x, x, 2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13);
}

// Exchanges the bits selected by `m` in `b` with the bits selected by `m << s` in `a`.
// @ts-ignore: decorator
@inline
function swapMove(p: usize, oa: usize, ob: usize, s: i32, m: v128): void {
  const a = v128.load(p + oa), b = v128.load(p + ob);
  const t = v128.and(v128.xor(i64x2.shr_u(a, s), b), m);
  v128.store(p + ob, v128.xor(b, t));
  v128.store(p + oa, v128.xor(a, i64x2.shl(t, s)));
}

/**
 * Transposes eight 16-byte words at `p` as eight 8×8 bit matrices (one per byte position): word k,
 * bit i of byte j becomes word i, bit k of byte j. Its own inverse.
 */
function ortho(p: usize): void {
  const m1 = i64x2(0x5555555555555555, 0x5555555555555555);
  const m2 = i64x2(0x3333333333333333, 0x3333333333333333);
  const m4 = i64x2(0x0f0f0f0f0f0f0f0f, 0x0f0f0f0f0f0f0f0f);
  swapMove(p, 0, 16, 1, m1);
  swapMove(p, 32, 48, 1, m1);
  swapMove(p, 64, 80, 1, m1);
  swapMove(p, 96, 112, 1, m1);
  swapMove(p, 0, 32, 2, m2);
  swapMove(p, 16, 48, 2, m2);
  swapMove(p, 64, 96, 2, m2);
  swapMove(p, 80, 112, 2, m2);
  swapMove(p, 0, 64, 4, m4);
  swapMove(p, 16, 80, 4, m4);
  swapMove(p, 32, 96, 4, m4);
  swapMove(p, 48, 112, 4, m4);
}

// Stores the eight bit-planes of the 16 bytes `x`, each bit repeated for all eight blocks: plane i
// has 0xff in byte j exactly when bit i of byte j of `x` is set.
// @ts-ignore: decorator
@inline
function spread(x: v128, out: usize): void {
  for (let i = 0; i < 8; i++) {
    const bit = i32x4.splat(0x01010101 << i);
    v128.store(out + (<usize>i << 4), i8x16.eq(v128.and(x, bit), bit));
  }
}

// SubBytes on the 16 bytes of `x`, without a memory access that depends on them: row h of the table
// is read whole (fixed address) and indexed by `x ^ (h << 4)` with `i8x16.swizzle`, which yields 0
// for every byte whose high nibble is not h (its index is then >= 16). XORing the sixteen rows'
// results leaves S(x) in every byte. The index only ever lives in a register (pshufb / TBL, whose
// timing does not depend on it). Used by the key schedule, where one word is substituted at a time
// and bitslicing would waste seven of its eight blocks.
// @ts-ignore: decorator
@inline
function subBytes(x: v128): v128 {
  let r = v128.swizzle(v128.load(SBOX), x);
  for (let h = 1; h < 16; h++) {
    r = v128.xor(r, v128.swizzle(v128.load(SBOX + (<usize>h << 4)), v128.xor(x, i32x4.splat(0x10101010 * h))));
  }
  return r;
}

// Column j of the result is the XOR of columns 0..j of `x`: the chain w[i] = w[i - Nk] ^ w[i - 1]
// of the key schedule, for four words at once.
// @ts-ignore: decorator
@inline
function prefixXor(x: v128): v128 {
  const z = i32x4.splat(0);
  const s1 = i8x16.shuffle(x, z, 16, 16, 16, 16, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11);
  const s2 = i8x16.shuffle(x, z, 16, 16, 16, 16, 16, 16, 16, 16, 0, 1, 2, 3, 4, 5, 6, 7);
  const s3 = i8x16.shuffle(x, z, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 0, 1, 2, 3);
  return v128.xor(v128.xor(x, s1), v128.xor(s2, s3));
}

/**
 * Expands a 16- or 32-byte key at `key` into bitsliced round keys at `rk` (ROUND_KEYS_SIZE bytes)
 * and returns the number of rounds (10 or 14). FIPS 197 §5.2, one round key (four words) per step
 * in a v128: RotWord and the broadcast of w[i - 1] to all four columns are one shuffle, SubWord is
 * subBytes, and the chain w[i] = w[i - Nk] ^ temp is a prefix XOR across the columns. Each round
 * key is then spread into the cipher's eight bit-planes. Nothing secret is left in memory but the
 * round keys themselves.
 */
export function aesExpandKey(key: usize, keyLen: usize, rk: usize): i32 {
  const nk = <i32>(keyLen >> 2);
  const rounds = nk + 6;
  let prev2 = v128.load(key); // the round key before `prev`; for AES-128 unused
  let prev = nk == 8 ? v128.load(key, 16) : prev2;
  // Round keys 1.. carry the S-box's affine constant 0x63, which the cipher's circuit omits.
  const affine = i8x16.splat(0x63);
  spread(prev2, rk);
  if (nk == 8) spread(keyLayout(v128.xor(prev, affine), 1), rk + 128);
  let rcon: i32 = 1;
  for (let r = nk >> 2; r <= rounds; r++) {
    // AES-128 every round key, AES-256 even ones: temp = SubWord(RotWord(w[i - 1])) ^ Rcon;
    // AES-256 odd ones: temp = SubWord(w[i - 1]). Both branches test public values.
    const base = nk == 8 ? prev2 : prev; // holds w[i - Nk]
    let temp: v128;
    if (nk == 4 || (r & 1) == 0) {
      temp = subBytes(i8x16.shuffle(prev, prev, 13, 14, 15, 12, 13, 14, 15, 12, 13, 14, 15, 12, 13, 14, 15, 12));
      temp = v128.xor(temp, i32x4.splat(rcon));
      // Rcon[j + 1] = x · Rcon[j] in GF(2^8).
      rcon = ((rcon << 1) ^ ((rcon >> 7) * 0x11b)) & 0xff;
    } else {
      temp = subBytes(i8x16.shuffle(prev, prev, 12, 13, 14, 15, 12, 13, 14, 15, 12, 13, 14, 15, 12, 13, 14, 15));
    }
    const next = v128.xor(prefixXor(base), temp);
    spread(keyLayout(v128.xor(next, affine), r), rk + (<usize>r << 7));
    prev2 = prev;
    prev = next;
  }
  return rounds;
}

/**
 * Encrypts the eight 16-byte blocks at `blocks` in place with the round keys at `rk`.
 */
export function aesEncrypt8(rk: usize, rounds: i32, blocks: usize): void {
  ortho(blocks);
  rounds8(rk, rounds, blocks);
  ortho(blocks);
}

// Bit i < 3 of counter byte 15 in block k is bit i of k: in bitsliced form, byte 15 of word i is
// 0xaa, 0xcc, 0xf0.
const CTR_LOW: usize = memory.data<u8>([
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xaa,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xcc,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xf0
]);

/**
 * CTR mode (SP 800-38D §6.5) over eight blocks: XORs E(F || [counter + k]32), k = 0..7, into the
 * 128 bytes at `data`, where F is the 12 bytes at `fixed` and `counter` is a multiple of 8. The
 * eight counter blocks then differ only in the low three bits of byte 15, so they are built in
 * bitsliced form directly (a spread of one block plus three constant bytes) instead of being
 * written out and transposed, and the keystream is transposed back in locals and XORed straight
 * into the data. `state` (128 bytes) is left holding the bitsliced keystream: the caller wipes it.
 */
export function aesCtr8(rk: usize, rounds: i32, fixed: usize, counter: u32, state: usize, data: usize): void {
  spread(i32x4.replace_lane(v128.load(fixed), 3, bswap<u32>(counter)), state);
  v128.store(state, v128.or(v128.load(state, 0), v128.load(CTR_LOW, 0)), 0);
  v128.store(state, v128.or(v128.load(state, 16), v128.load(CTR_LOW, 16)), 16);
  v128.store(state, v128.or(v128.load(state, 32), v128.load(CTR_LOW, 32)), 32);
  rounds8(rk, rounds, state);
  // ortho's network on locals.
  const m1 = i64x2(0x5555555555555555, 0x5555555555555555);
  const m2 = i64x2(0x3333333333333333, 0x3333333333333333);
  const m4 = i64x2(0x0f0f0f0f0f0f0f0f, 0x0f0f0f0f0f0f0f0f);
  let w0 = v128.load(state, 0), w1 = v128.load(state, 16), w2 = v128.load(state, 32), w3 = v128.load(state, 48), w4 = v128.load(state, 64), w5 = v128.load(state, 80), w6 = v128.load(state, 96), w7 = v128.load(state, 112);
  let t: v128;
  t = v128.and(v128.xor(i64x2.shr_u(w0, 1), w1), m1); w1 = v128.xor(w1, t); w0 = v128.xor(w0, i64x2.shl(t, 1));
  t = v128.and(v128.xor(i64x2.shr_u(w2, 1), w3), m1); w3 = v128.xor(w3, t); w2 = v128.xor(w2, i64x2.shl(t, 1));
  t = v128.and(v128.xor(i64x2.shr_u(w4, 1), w5), m1); w5 = v128.xor(w5, t); w4 = v128.xor(w4, i64x2.shl(t, 1));
  t = v128.and(v128.xor(i64x2.shr_u(w6, 1), w7), m1); w7 = v128.xor(w7, t); w6 = v128.xor(w6, i64x2.shl(t, 1));
  t = v128.and(v128.xor(i64x2.shr_u(w0, 2), w2), m2); w2 = v128.xor(w2, t); w0 = v128.xor(w0, i64x2.shl(t, 2));
  t = v128.and(v128.xor(i64x2.shr_u(w1, 2), w3), m2); w3 = v128.xor(w3, t); w1 = v128.xor(w1, i64x2.shl(t, 2));
  t = v128.and(v128.xor(i64x2.shr_u(w4, 2), w6), m2); w6 = v128.xor(w6, t); w4 = v128.xor(w4, i64x2.shl(t, 2));
  t = v128.and(v128.xor(i64x2.shr_u(w5, 2), w7), m2); w7 = v128.xor(w7, t); w5 = v128.xor(w5, i64x2.shl(t, 2));
  t = v128.and(v128.xor(i64x2.shr_u(w0, 4), w4), m4); w4 = v128.xor(w4, t); w0 = v128.xor(w0, i64x2.shl(t, 4));
  t = v128.and(v128.xor(i64x2.shr_u(w1, 4), w5), m4); w5 = v128.xor(w5, t); w1 = v128.xor(w1, i64x2.shl(t, 4));
  t = v128.and(v128.xor(i64x2.shr_u(w2, 4), w6), m4); w6 = v128.xor(w6, t); w2 = v128.xor(w2, i64x2.shl(t, 4));
  t = v128.and(v128.xor(i64x2.shr_u(w3, 4), w7), m4); w7 = v128.xor(w7, t); w3 = v128.xor(w3, i64x2.shl(t, 4));
  v128.store(data, v128.xor(v128.load(data, 0), w0), 0);
  v128.store(data, v128.xor(v128.load(data, 16), w1), 16);
  v128.store(data, v128.xor(v128.load(data, 32), w2), 32);
  v128.store(data, v128.xor(v128.load(data, 48), w3), 48);
  v128.store(data, v128.xor(v128.load(data, 64), w4), 64);
  v128.store(data, v128.xor(v128.load(data, 80), w5), 80);
  v128.store(data, v128.xor(v128.load(data, 96), w6), 96);
  v128.store(data, v128.xor(v128.load(data, 112), w7), 112);
}

/**
 * FIPS 197 §5.1 on the bitsliced state at `state` (eight words, see ortho), in place: AddRoundKey,
 * then rounds of SubBytes, ShiftRows, MixColumns (not in the last), AddRoundKey. The state stays
 * in eight locals for the whole cipher.
 */
function rounds8(rk: usize, rounds: i32, blocks: usize): void {
  let q0 = v128.xor(v128.load(blocks, 0), v128.load(rk, 0));
  let q1 = v128.xor(v128.load(blocks, 16), v128.load(rk, 16));
  let q2 = v128.xor(v128.load(blocks, 32), v128.load(rk, 32));
  let q3 = v128.xor(v128.load(blocks, 48), v128.load(rk, 48));
  let q4 = v128.xor(v128.load(blocks, 64), v128.load(rk, 64));
  let q5 = v128.xor(v128.load(blocks, 80), v128.load(rk, 80));
  let q6 = v128.xor(v128.load(blocks, 96), v128.load(rk, 96));
  let q7 = v128.xor(v128.load(blocks, 112), v128.load(rk, 112));
  for (let r = 1; r <= rounds; r++) {
    const k = rk + (<usize>r << 7);
    // SubBytes: the Boyar–Peralta circuit ("A depth-16 circuit for the AES S-box", the 113-gate
    // version BearSSL uses). The paper numbers bits from the top: x0 is bit 7, s0 is bit 7.
    const x0 = q7, x1 = q6, x2 = q5, x3 = q4, x4 = q3, x5 = q2, x6 = q1, x7 = q0;

    // Top linear transformation.
    const y14 = v128.xor(x3, x5), y13 = v128.xor(x0, x6), y9 = v128.xor(x0, x3), y8 = v128.xor(x0, x5);
    const t0 = v128.xor(x1, x2);
    const y1 = v128.xor(t0, x7);
    const y4 = v128.xor(y1, x3), y12 = v128.xor(y13, y14), y2 = v128.xor(y1, x0), y5 = v128.xor(y1, x6);
    const y3 = v128.xor(y5, y8);
    const t1 = v128.xor(x4, y12);
    const y15 = v128.xor(t1, x5), y20 = v128.xor(t1, x1);
    const y6 = v128.xor(y15, x7), y10 = v128.xor(y15, t0), y11 = v128.xor(y20, y9);
    const y7 = v128.xor(x7, y11), y17 = v128.xor(y10, y11), y19 = v128.xor(y10, y8);
    const y16 = v128.xor(t0, y11);
    const y21 = v128.xor(y13, y16), y18 = v128.xor(x0, y16);

    // Non-linear section: inversion in GF(2^8) through GF(2^4).
    const t2 = v128.and(y12, y15), t3 = v128.and(y3, y6), t5 = v128.and(y4, x7);
    const t4 = v128.xor(t3, t2), t6 = v128.xor(t5, t2);
    const t7 = v128.and(y13, y16), t8 = v128.and(y5, y1), t10 = v128.and(y2, y7);
    const t9 = v128.xor(t8, t7), t11 = v128.xor(t10, t7);
    const t12 = v128.and(y9, y11), t13 = v128.and(y14, y17), t15 = v128.and(y8, y10);
    const t14 = v128.xor(t13, t12), t16 = v128.xor(t15, t12);
    const t17 = v128.xor(t4, t14), t18 = v128.xor(t6, t16), t19 = v128.xor(t9, t14), t20 = v128.xor(t11, t16);
    const t21 = v128.xor(t17, y20), t22 = v128.xor(t18, y19), t23 = v128.xor(t19, y21), t24 = v128.xor(t20, y18);

    const t25 = v128.xor(t21, t22);
    const t26 = v128.and(t21, t23);
    const t27 = v128.xor(t24, t26);
    const t28 = v128.and(t25, t27);
    const t29 = v128.xor(t28, t22);
    const t30 = v128.xor(t23, t24);
    const t31 = v128.xor(t22, t26);
    const t32 = v128.and(t31, t30);
    const t33 = v128.xor(t32, t24);
    const t34 = v128.xor(t23, t33);
    const t35 = v128.xor(t27, t33);
    const t36 = v128.and(t24, t35);
    const t37 = v128.xor(t36, t34);
    const t38 = v128.xor(t27, t36);
    const t39 = v128.and(t29, t38);
    const t40 = v128.xor(t25, t39);

    const t41 = v128.xor(t40, t37), t42 = v128.xor(t29, t33), t43 = v128.xor(t29, t40), t44 = v128.xor(t33, t37);
    const t45 = v128.xor(t42, t41);
    const z0 = v128.and(t44, y15), z1 = v128.and(t37, y6), z2 = v128.and(t33, x7), z3 = v128.and(t43, y16);
    const z4 = v128.and(t40, y1), z5 = v128.and(t29, y7), z6 = v128.and(t42, y11), z7 = v128.and(t45, y17);
    const z8 = v128.and(t41, y10), z9 = v128.and(t44, y12), z10 = v128.and(t37, y3), z11 = v128.and(t33, y4);
    const z12 = v128.and(t43, y13), z13 = v128.and(t40, y5), z14 = v128.and(t29, y2), z15 = v128.and(t42, y9);
    const z16 = v128.and(t45, y14), z17 = v128.and(t41, y8);

    // Bottom linear transformation. The circuit's four NOTs (the affine constant 0x63) are left
    // out: ShiftRows and MixColumns map a state of all-0x63 bytes to itself, so the constant is
    // folded into round keys 1.. instead (see aesExpandKey).
    const t46 = v128.xor(z15, z16), t47 = v128.xor(z10, z11), t48 = v128.xor(z5, z13), t49 = v128.xor(z9, z10);
    const t50 = v128.xor(z2, z12), t51 = v128.xor(z2, z5), t52 = v128.xor(z7, z8), t53 = v128.xor(z0, z3);
    const t54 = v128.xor(z6, z7), t55 = v128.xor(z16, z17);
    const t56 = v128.xor(z12, t48), t57 = v128.xor(t50, t53), t58 = v128.xor(z4, t46), t59 = v128.xor(z3, t54);
    const t60 = v128.xor(t46, t57), t61 = v128.xor(z14, t57), t62 = v128.xor(t52, t58), t63 = v128.xor(t49, t58);
    const t64 = v128.xor(z4, t59), t65 = v128.xor(t61, t62), t66 = v128.xor(z1, t63);
    const s0 = v128.xor(t59, t63);
    const s6 = v128.xor(t56, t62);
    const s7 = v128.xor(t48, t60);
    const t67 = v128.xor(t64, t65);
    const s3 = v128.xor(t53, t66), s4 = v128.xor(t51, t66), s5 = v128.xor(t47, t65);
    const s1 = v128.xor(t64, s3);
    const s2 = v128.xor(t55, t67);

    if (r == rounds) {
      // Last round: AddRoundKey only (ShiftRows is skipped as in every round, see below).
      q0 = v128.xor(s7, v128.load(k, 0));
      q1 = v128.xor(s6, v128.load(k, 16));
      q2 = v128.xor(s5, v128.load(k, 32));
      q3 = v128.xor(s4, v128.load(k, 48));
      q4 = v128.xor(s3, v128.load(k, 64));
      q5 = v128.xor(s2, v128.load(k, 80));
      q6 = v128.xor(s1, v128.load(k, 96));
      q7 = v128.xor(s0, v128.load(k, 112));
      break;
    }
    // MixColumns (FIPS 197 §5.1.3) on a = ShiftRows(state), with rot1/rot2 rotating each column
    // by one/two rows: out = 2·(a ^ rot1 a) ^ rot1 a ^ rot2(a ^ rot1 a); doubling moves bit i to
    // bit i + 1 and folds bit 7 into bits 0, 1, 3 and 4 (x^8 = x^4 + x^3 + x + 1).
    // ShiftRows itself is never applied (fixslicing, Adomnicai–Peyrin 2020): after round r the
    // byte of column c, row r' sits in column c + t·r' (mod 4), t = r mod 4, and the round keys
    // are stored in that order. In that layout rot1 takes row r' + 1 of column c + t, so it is a
    // move of whole columns by t (one pshufd) and then a rotation of each 32-bit lane by 8 bits;
    // rot2 moves columns by 2t (nothing for even t). Three to four instructions per word instead
    // of a five-instruction ShiftRows shuffle. t is public.
    const t = r & 3;
    if (t == 0) {
      const b0 = rot1(s7), b1 = rot1(s6), b2 = rot1(s5), b3 = rot1(s4);
      const b4 = rot1(s3), b5 = rot1(s2), b6 = rot1(s1), b7 = rot1(s0);
      const u0 = v128.xor(s7, b0), u1 = v128.xor(s6, b1), u2 = v128.xor(s5, b2), u3 = v128.xor(s4, b3);
      const u4 = v128.xor(s3, b4), u5 = v128.xor(s2, b5), u6 = v128.xor(s1, b6), u7 = v128.xor(s0, b7);
      q0 = mix(u7, b0, u0, v128.load(k, 0));
      q1 = mix(v128.xor(u0, u7), b1, u1, v128.load(k, 16));
      q2 = mix(u1, b2, u2, v128.load(k, 32));
      q3 = mix(v128.xor(u2, u7), b3, u3, v128.load(k, 48));
      q4 = mix(v128.xor(u3, u7), b4, u4, v128.load(k, 64));
      q5 = mix(u4, b5, u5, v128.load(k, 80));
      q6 = mix(u5, b6, u6, v128.load(k, 96));
      q7 = mix(u6, b7, u7, v128.load(k, 112));
    } else if (t == 1) {
      const b0 = rot1(cols1(s7)), b1 = rot1(cols1(s6)), b2 = rot1(cols1(s5)), b3 = rot1(cols1(s4));
      const b4 = rot1(cols1(s3)), b5 = rot1(cols1(s2)), b6 = rot1(cols1(s1)), b7 = rot1(cols1(s0));
      const u0 = v128.xor(s7, b0), u1 = v128.xor(s6, b1), u2 = v128.xor(s5, b2), u3 = v128.xor(s4, b3);
      const u4 = v128.xor(s3, b4), u5 = v128.xor(s2, b5), u6 = v128.xor(s1, b6), u7 = v128.xor(s0, b7);
      q0 = mix(u7, b0, cols2(u0), v128.load(k, 0));
      q1 = mix(v128.xor(u0, u7), b1, cols2(u1), v128.load(k, 16));
      q2 = mix(u1, b2, cols2(u2), v128.load(k, 32));
      q3 = mix(v128.xor(u2, u7), b3, cols2(u3), v128.load(k, 48));
      q4 = mix(v128.xor(u3, u7), b4, cols2(u4), v128.load(k, 64));
      q5 = mix(u4, b5, cols2(u5), v128.load(k, 80));
      q6 = mix(u5, b6, cols2(u6), v128.load(k, 96));
      q7 = mix(u6, b7, cols2(u7), v128.load(k, 112));
    } else if (t == 2) {
      const b0 = rot1(cols2(s7)), b1 = rot1(cols2(s6)), b2 = rot1(cols2(s5)), b3 = rot1(cols2(s4));
      const b4 = rot1(cols2(s3)), b5 = rot1(cols2(s2)), b6 = rot1(cols2(s1)), b7 = rot1(cols2(s0));
      const u0 = v128.xor(s7, b0), u1 = v128.xor(s6, b1), u2 = v128.xor(s5, b2), u3 = v128.xor(s4, b3);
      const u4 = v128.xor(s3, b4), u5 = v128.xor(s2, b5), u6 = v128.xor(s1, b6), u7 = v128.xor(s0, b7);
      q0 = mix(u7, b0, u0, v128.load(k, 0));
      q1 = mix(v128.xor(u0, u7), b1, u1, v128.load(k, 16));
      q2 = mix(u1, b2, u2, v128.load(k, 32));
      q3 = mix(v128.xor(u2, u7), b3, u3, v128.load(k, 48));
      q4 = mix(v128.xor(u3, u7), b4, u4, v128.load(k, 64));
      q5 = mix(u4, b5, u5, v128.load(k, 80));
      q6 = mix(u5, b6, u6, v128.load(k, 96));
      q7 = mix(u6, b7, u7, v128.load(k, 112));
    } else {
      const b0 = rot1(cols3(s7)), b1 = rot1(cols3(s6)), b2 = rot1(cols3(s5)), b3 = rot1(cols3(s4));
      const b4 = rot1(cols3(s3)), b5 = rot1(cols3(s2)), b6 = rot1(cols3(s1)), b7 = rot1(cols3(s0));
      const u0 = v128.xor(s7, b0), u1 = v128.xor(s6, b1), u2 = v128.xor(s5, b2), u3 = v128.xor(s4, b3);
      const u4 = v128.xor(s3, b4), u5 = v128.xor(s2, b5), u6 = v128.xor(s1, b6), u7 = v128.xor(s0, b7);
      q0 = mix(u7, b0, cols2(u0), v128.load(k, 0));
      q1 = mix(v128.xor(u0, u7), b1, cols2(u1), v128.load(k, 16));
      q2 = mix(u1, b2, cols2(u2), v128.load(k, 32));
      q3 = mix(v128.xor(u2, u7), b3, cols2(u3), v128.load(k, 48));
      q4 = mix(v128.xor(u3, u7), b4, cols2(u4), v128.load(k, 64));
      q5 = mix(u4, b5, cols2(u5), v128.load(k, 80));
      q6 = mix(u5, b6, cols2(u6), v128.load(k, 96));
      q7 = mix(u6, b7, cols2(u7), v128.load(k, 112));
    }
  }
  // Both key sizes end in layout 2 (10 and 14 rounds): ShiftRows twice restores FIPS byte order.
  q0 = shiftRows2(q0); q1 = shiftRows2(q1); q2 = shiftRows2(q2); q3 = shiftRows2(q3);
  q4 = shiftRows2(q4); q5 = shiftRows2(q5); q6 = shiftRows2(q6); q7 = shiftRows2(q7);
  v128.store(blocks, q0, 0);
  v128.store(blocks, q1, 16);
  v128.store(blocks, q2, 32);
  v128.store(blocks, q3, 48);
  v128.store(blocks, q4, 64);
  v128.store(blocks, q5, 80);
  v128.store(blocks, q6, 96);
  v128.store(blocks, q7, 112);
}
