// Constant-time helpers shared by the crypto core: a zero test without branches, a byte-string
// comparison that decides once, and wiping of secrets.
//
// Why constant-time: every function here runs the same instruction sequence and touches the same
// addresses whatever the secret values are. Comparisons OR the XOR of every byte pair into one
// accumulator and turn it into a 0/1 result with arithmetic, never with an early exit (the classic
// `memcmp` leak that lets an attacker forge a tag byte by byte) and never with `select` or `if`
// on a secret.
//
// Caveat: WebAssembly engines do not promise constant-time execution, but the integer and v128
// bitwise operations, shifts and multiplications used here compile to fixed-latency instructions
// on the x86-64 and ARM64 engines we run on (V8 in workerd and Node).

/** 1 when `x` is zero, 0 otherwise, without a branch. */
// @ts-ignore: decorator
@inline
export function isZero32(x: u32): u32 {
  // (x | -x) has its top bit set exactly when x != 0.
  return ((x | (0 - x)) >> 31) ^ 1;
}

/**
 * 1 when the `len` bytes at `a` and `b` are equal, 0 otherwise. Runs in time that depends on `len`
 * only (a public length), never on where the first difference is.
 */
export function ctEqual(a: usize, b: usize, len: usize): u32 {
  let diff: u32 = 0;
  for (let i: usize = 0; i < len; i++) {
    diff |= <u32>load<u8>(a + i) ^ <u32>load<u8>(b + i);
  }
  return isZero32(diff);
}

/**
 * Zeroes `len` bytes at `ptr`. A WebAssembly store to linear memory is an observable side effect,
 * so Binaryen cannot drop it as a dead store the way a C compiler may drop a final `memset`.
 * Whole 64-byte runs are zeroed with v128 stores: V8 turns `memory.fill` into a call out of the
 * module that cost about one instruction per byte (8.4k instructions for an 8 KiB table).
 */
export function wipe(ptr: usize, len: usize): void {
  const zero = i64x2.splat(0);
  const end = ptr + (len & ~(<usize>63));
  for (; ptr < end; ptr += 64) {
    v128.store(ptr, zero);
    v128.store(ptr, zero, 16);
    v128.store(ptr, zero, 32);
    v128.store(ptr, zero, 48);
  }
  memory.fill(ptr, 0, len & 63);
}
