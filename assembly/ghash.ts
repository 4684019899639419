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
// x^128 + x^7 + x^2 + x + 1 with shifts and XORs.
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

// @ts-ignore: decorator
@inline
function bmul64(x: u64, y: u64): u64 {
  const x0 = x & 0x1111111111111111, x1 = x & 0x2222222222222222;
  const x2 = x & 0x4444444444444444, x3 = x & 0x8888888888888888;
  const y0 = y & 0x1111111111111111, y1 = y & 0x2222222222222222;
  const y2 = y & 0x4444444444444444, y3 = y & 0x8888888888888888;
  const z0 = (x0 * y0) ^ (x1 * y3) ^ (x2 * y2) ^ (x3 * y1);
  const z1 = (x0 * y1) ^ (x1 * y0) ^ (x2 * y3) ^ (x3 * y2);
  const z2 = (x0 * y2) ^ (x1 * y1) ^ (x2 * y0) ^ (x3 * y3);
  const z3 = (x0 * y3) ^ (x1 * y2) ^ (x2 * y1) ^ (x3 * y0);
  return (z0 & 0x1111111111111111) | (z1 & 0x2222222222222222)
    | (z2 & 0x4444444444444444) | (z3 & 0x8888888888888888);
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

/**
 * Absorbs `blocks` 16-byte blocks at `data` into the GHASH state at `y` (hi, lo as u64) with the
 * hash key at `h` (hi, lo): Y = (Y ^ X) · H for each block X (SP 800-38D §6.4, Algorithm 2).
 */
export function ghashBlocks(y: usize, h: usize, data: usize, blocks: usize): void {
  let y1 = load<u64>(y, 0), y0 = load<u64>(y, 8);
  const h1 = load<u64>(h, 0), h0 = load<u64>(h, 8);
  const h2 = h0 ^ h1;
  const h0r = rev64(h0), h1r = rev64(h1);
  const h2r = h0r ^ h1r;
  for (let i: usize = 0; i < blocks; i++) {
    const p = data + (i << 4);
    y1 ^= bswap64(load<u64>(p, 0));
    y0 ^= bswap64(load<u64>(p, 8));
    const y2 = y0 ^ y1;
    const y0r = rev64(y0), y1r = rev64(y1);
    const y2r = y0r ^ y1r;

    // Karatsuba: low halves from the plain operands, high halves from the reversed ones.
    const z0 = bmul64(y0, h0), z1 = bmul64(y1, h1);
    let z2 = bmul64(y2, h2);
    let z0h = bmul64(y0r, h0r), z1h = bmul64(y1r, h1r), z2h = bmul64(y2r, h2r);
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
    y0 = v2;
    y1 = v3;
  }
  store<u64>(y, y1, 0);
  store<u64>(y, y0, 8);
}
