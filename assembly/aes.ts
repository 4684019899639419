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
// - ShiftRows and the row rotations inside MixColumns move whole bytes, so each is one
//   `i8x16.shuffle` with constant indices (cheaper than aes_ct64's masked shifts, which have to
//   move 4-bit groups);
// - MixColumns' doubling in GF(2^8) is a rename of the bit words plus three XORs of Q[7];
// - the bit transposition is the usual three-layer SWAPMOVE network, its own inverse.
//
// Why constant-time: no memory address and no branch depends on the key or the data. The only
// branches test the round number, key length and Rcon, which are public. The key schedule runs
// on bitsliced round keys and uses the same S-box circuit for SubWord (FIPS 197 §5.2), so it too
// is table-free.
//
// Rejected alternatives: T-table or S-box-table AES (fast, but the table index is secret, so it
// leaks through the cache; noble-ciphers documents this for its own AES); Hamburg's vperm nibble
// tables held in registers and read with `i8x16.swizzle` (constant-time, but one block per pass,
// and swizzle's zero-on-out-of-range rule costs V8 an extra instruction per lookup); aes_ct64 on scalar i64
// (four blocks per pass instead of eight, and ShiftRows costs ~20 operations per word instead of
// one shuffle). Only encryption is implemented: GCM never runs the inverse cipher.
//
// Caveat: bitslicing pays for eight blocks even when fewer are needed; callers batch work so that
// small messages use one pass (see gcm.ts).

import { wipe } from "./ct";

/** Bytes of expanded key for AES-256: 15 round keys × 8 bit-planes × 16 bytes. */
export const ROUND_KEYS_SIZE: usize = 15 * 128;

// Bit-planes of the round key being substituted during key expansion; wiped after each expansion.
const scratch: usize = memory.data(128, 16);
// Two all-zero round keys: key expansion runs the cipher's final round with them as a plain S-box.
const ZERO_KEYS: usize = memory.data(256, 16);

// FIPS 197 §5.1.2: byte 4c + r of the result comes from byte 4((c + r) mod 4) + r.
// @ts-ignore: decorator
@inline
function shiftRows(x: v128): v128 {
  return i8x16.shuffle(x, x, 0, 5, 10, 15, 4, 9, 14, 3, 8, 13, 2, 7, 12, 1, 6, 11);
}

// rot1(shiftRows(x)): row r of each column takes row r + 1 of the shifted state.
// @ts-ignore: decorator
@inline
function shiftRot1(x: v128): v128 {
  return i8x16.shuffle(x, x, 5, 10, 15, 0, 9, 14, 3, 4, 13, 2, 7, 8, 1, 6, 11, 12);
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

// Bit i of every byte of `x`, spread to a whole byte (0x00 or 0xff).
// @ts-ignore: decorator
@inline
function spreadBit(x: v128, i: i32): v128 {
  return i8x16.shr_s(i8x16.shl(x, 7 - i), 7);
}

// Stores the eight bit-planes of the 16 bytes `x`, each bit repeated for all eight blocks.
function spread(x: v128, out: usize): void {
  for (let i = 0; i < 8; i++) v128.store(out + (<usize>i << 4), spreadBit(x, i));
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
 * and returns the number of rounds (10 or 14). FIPS 197 §5.2, computed on whole bitsliced round
 * keys: SubWord is one pass of the bitsliced S-box over the previous round key (no table, no
 * transposition), RotWord and the broadcast of the substituted word are one shuffle, and the
 * chain w[i] = w[i - Nk] ^ temp is a prefix XOR across the four columns. Scratch is wiped.
 */
export function aesExpandKey(key: usize, keyLen: usize, rk: usize): i32 {
  const nk = <i32>(keyLen >> 2);
  const rounds = nk + 6;
  const step = nk >> 2; // round keys per Nk words: 1 for AES-128, 2 for AES-256
  spread(v128.load(key), rk);
  if (step == 2) spread(v128.load(key, 16), rk + 128);
  let rcon: u32 = 1;
  for (let r = step; r <= rounds; r++) {
    const out = rk + (<usize>r << 7);
    const base = out - (<usize>step << 7); // holds w[i - Nk]
    // Substitute every byte of the previous round key. The cipher's final round also applies
    // ShiftRows, so S(byte m) is read back from position ShiftRows^-1(m): 12→12, 13→9, 14→6, 15→3.
    memory.copy(scratch, out - 128, 128);
    cipher(ZERO_KEYS, 1, scratch, false);
    // AES-128 every round key, AES-256 even ones: temp = SubWord(RotWord(w[i - 1])) ^ Rcon;
    // AES-256 odd ones: temp = SubWord(w[i - 1]). Either way broadcast to all four columns.
    const rotate = step == 1 || (r & 1) == 0;
    for (let i = 0; i < 8; i++) {
      const sub = v128.load(scratch + (<usize>i << 4));
      let temp = rotate
        ? i8x16.shuffle(sub, sub, 9, 6, 3, 12, 9, 6, 3, 12, 9, 6, 3, 12, 9, 6, 3, 12)
        : i8x16.shuffle(sub, sub, 12, 9, 6, 3, 12, 9, 6, 3, 12, 9, 6, 3, 12, 9, 6, 3);
      // Rcon is public: it only depends on the round number.
      if (rotate) temp = v128.xor(temp, i32x4.splat(<i32>(((rcon >> <u32>i) & 1) * 0xff)));
      const plane = v128.load(base + (<usize>i << 4));
      v128.store(out + (<usize>i << 4), v128.xor(prefixXor(plane), temp));
    }
    // Rcon[j + 1] = x · Rcon[j] in GF(2^8).
    if (rotate) rcon = ((rcon << 1) ^ ((rcon >> 7) * 0x11b)) & 0xff;
  }
  wipe(scratch, 128);
  return rounds;
}

/**
 * Encrypts the eight 16-byte blocks at `blocks` in place with the round keys at `rk`. FIPS 197
 * §5.1: AddRoundKey, then rounds of SubBytes, ShiftRows, MixColumns (not in the last), AddRoundKey.
 * The state stays in eight locals for the whole cipher; only the transposition goes through memory.
 */
export function aesEncrypt8(rk: usize, rounds: i32, blocks: usize): void {
  cipher(rk, rounds, blocks, true);
}

// The cipher on eight blocks, or directly on eight bit-planes when `transpose` is false.
function cipher(rk: usize, rounds: i32, blocks: usize, transpose: bool): void {
  if (transpose) ortho(blocks);
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

    // Bottom linear transformation (includes the affine constant 0x63 through the NOTs).
    const t46 = v128.xor(z15, z16), t47 = v128.xor(z10, z11), t48 = v128.xor(z5, z13), t49 = v128.xor(z9, z10);
    const t50 = v128.xor(z2, z12), t51 = v128.xor(z2, z5), t52 = v128.xor(z7, z8), t53 = v128.xor(z0, z3);
    const t54 = v128.xor(z6, z7), t55 = v128.xor(z16, z17);
    const t56 = v128.xor(z12, t48), t57 = v128.xor(t50, t53), t58 = v128.xor(z4, t46), t59 = v128.xor(z3, t54);
    const t60 = v128.xor(t46, t57), t61 = v128.xor(z14, t57), t62 = v128.xor(t52, t58), t63 = v128.xor(t49, t58);
    const t64 = v128.xor(z4, t59), t65 = v128.xor(t61, t62), t66 = v128.xor(z1, t63);
    const s0 = v128.xor(t59, t63);
    const s6 = v128.xor(t56, v128.not(t62));
    const s7 = v128.xor(t48, v128.not(t60));
    const t67 = v128.xor(t64, t65);
    const s3 = v128.xor(t53, t66), s4 = v128.xor(t51, t66), s5 = v128.xor(t47, t65);
    const s1 = v128.xor(t64, v128.not(s3));
    const s2 = v128.xor(t55, v128.not(t67));

    if (r == rounds) {
      // Last round: ShiftRows and AddRoundKey only.
      q0 = v128.xor(shiftRows(s7), v128.load(k, 0));
      q1 = v128.xor(shiftRows(s6), v128.load(k, 16));
      q2 = v128.xor(shiftRows(s5), v128.load(k, 32));
      q3 = v128.xor(shiftRows(s4), v128.load(k, 48));
      q4 = v128.xor(shiftRows(s3), v128.load(k, 64));
      q5 = v128.xor(shiftRows(s2), v128.load(k, 80));
      q6 = v128.xor(shiftRows(s1), v128.load(k, 96));
      q7 = v128.xor(shiftRows(s0), v128.load(k, 112));
      break;
    }
    // ShiftRows and MixColumns (FIPS 197 §5.1.3). With a = ShiftRows(state) and rot1/rot2
    // rotating each column by one/two rows, out = 2·(a ^ rot1 a) ^ rot1 a ^ rot2(a ^ rot1 a);
    // doubling moves bit i to bit i + 1 and folds bit 7 into bits 0, 1, 3 and 4
    // (x^8 = x^4 + x^3 + x + 1). b = rot1(ShiftRows(q)) is a single shuffle.
    const b0 = shiftRot1(s7), b1 = shiftRot1(s6), b2 = shiftRot1(s5), b3 = shiftRot1(s4);
    const b4 = shiftRot1(s3), b5 = shiftRot1(s2), b6 = shiftRot1(s1), b7 = shiftRot1(s0);
    const u0 = v128.xor(shiftRows(s7), b0), u1 = v128.xor(shiftRows(s6), b1);
    const u2 = v128.xor(shiftRows(s5), b2), u3 = v128.xor(shiftRows(s4), b3);
    const u4 = v128.xor(shiftRows(s3), b4), u5 = v128.xor(shiftRows(s2), b5);
    const u6 = v128.xor(shiftRows(s1), b6), u7 = v128.xor(shiftRows(s0), b7);
    q0 = v128.xor(v128.xor(u7, b0), v128.xor(rot2(u0), v128.load(k, 0)));
    q1 = v128.xor(v128.xor(v128.xor(u0, u7), b1), v128.xor(rot2(u1), v128.load(k, 16)));
    q2 = v128.xor(v128.xor(u1, b2), v128.xor(rot2(u2), v128.load(k, 32)));
    q3 = v128.xor(v128.xor(v128.xor(u2, u7), b3), v128.xor(rot2(u3), v128.load(k, 48)));
    q4 = v128.xor(v128.xor(v128.xor(u3, u7), b4), v128.xor(rot2(u4), v128.load(k, 64)));
    q5 = v128.xor(v128.xor(u4, b5), v128.xor(rot2(u5), v128.load(k, 80)));
    q6 = v128.xor(v128.xor(u5, b6), v128.xor(rot2(u6), v128.load(k, 96)));
    q7 = v128.xor(v128.xor(u6, b7), v128.xor(rot2(u7), v128.load(k, 112)));
  }
  v128.store(blocks, q0, 0);
  v128.store(blocks, q1, 16);
  v128.store(blocks, q2, 32);
  v128.store(blocks, q3, 48);
  v128.store(blocks, q4, 64);
  v128.store(blocks, q5, 80);
  v128.store(blocks, q6, 96);
  v128.store(blocks, q7, 112);
  if (transpose) ortho(blocks);
}
