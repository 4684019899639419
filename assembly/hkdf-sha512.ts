/**
 * HKDF-SHA512 (RFC 5869) over ./hmac-sha512, with the same phased, streaming ABI as ./hkdf
 * (HKDF-SHA256), prefixed hkdf512_. The AWS Encryption SDK's committing algorithm suites derive
 * their data key and key commitment with it.
 *
 *   Extract (§2.2): PRK = HMAC(salt, IKM)          hkdf512_extract_init(saltLen) / _update(len) / _final()
 *   Expand  (§2.3): T(i) = HMAC(PRK, T(i-1) || info || i), OKM = first L bytes of T(1) || T(2) ...
 *                                                  hkdf512_expand(infoLen, outLen), or for info larger
 *                                                  than the I/O buffer: hkdf512_expand_begin(outLen),
 *                                                  then per block _block_start() / _block_update(len)
 *                                                  / _block_finish(), then hkdf512_expand_end().
 *
 * An empty salt means HashLen zero bytes (RFC 5869 §2.2), which HMAC's zero padding of short keys
 * already gives.
 *
 * Security: as in ./hkdf. The PRK exists in linear memory only between extract and keying the
 * expand context; both contexts, the output blocks and the counters are wiped by
 * hkdf512_expand_end (and so by hkdf512_expand) and by any call that fails. Branches depend only
 * on public lengths and counters.
 */
import { IO_SIZE, ioPtr } from "./abi";
import { HMAC512_CTX_SIZE, hmac512Finish, hmac512Key, hmac512Reset } from "./hmac-sha512";
import { STATUS_BAD_LENGTH, STATUS_BAD_STATE, STATUS_OK } from "./sha256";
import { SHA512_DIGEST_SIZE, sha512Update } from "./sha512";

/** RFC 5869 §2.3: L <= 255 * HashLen. */
export const HKDF512_MAX_OUTPUT: usize = 255 * 64;
const HASH_LEN: usize = SHA512_DIGEST_SIZE;

/** Extract context, keyed with the salt. */
const extractCtx: usize = memory.data(<i32>HMAC512_CTX_SIZE, 16);
/** Expand context, keyed with the PRK. */
const expandCtx: usize = memory.data(<i32>HMAC512_CTX_SIZE, 16);
/** PRK between extract and keying the expand context. */
const prk: usize = memory.data(<i32>HASH_LEN, 16);
/** T(1) || T(2) || ... as the blocks are produced. */
const okm: usize = memory.data(<i32>HKDF512_MAX_OUTPUT, 16);
/** The one-byte block counter fed to HMAC (§2.3: "i" as a single octet). */
const counterByte: usize = memory.data(1);

/** Phases, so a call out of order fails instead of deriving from stale or zeroed state. */
const IDLE: u32 = 0;
const EXTRACTING: u32 = 1;
const EXTRACTED: u32 = 2;
const EXPANDING: u32 = 3;
let phase: u32 = IDLE;
let outLength: usize = 0;
let blocksWanted: u32 = 0;
let blocksDone: u32 = 0;
let blockOpen: bool = false;

function wipeAll(): void {
  memory.fill(extractCtx, 0, HMAC512_CTX_SIZE);
  memory.fill(expandCtx, 0, HMAC512_CTX_SIZE);
  memory.fill(prk, 0, HASH_LEN);
  // Only the blocks this derivation produced can hold output.
  memory.fill(okm, 0, min<usize>(<usize>blocksDone * HASH_LEN, HKDF512_MAX_OUTPUT));
  store<u8>(counterByte, 0);
  phase = IDLE;
  outLength = 0;
  blocksWanted = 0;
  blocksDone = 0;
  blockOpen = false;
}

@inline function fail(status: i32): i32 {
  wipeAll();
  return status;
}

/** Starts Extract keyed with the first `saltLen` bytes of the I/O buffer, which it then wipes. */
export function hkdf512_extract_init(saltLen: usize): i32 {
  if (saltLen > IO_SIZE) return fail(STATUS_BAD_LENGTH);
  wipeAll();
  hmac512Key(extractCtx, ioPtr(), saltLen, HASH_LEN);
  memory.fill(ioPtr(), 0, saltLen);
  phase = EXTRACTING;
  return STATUS_OK;
}

/** Absorbs the first `len` bytes of the I/O buffer as input keying material. */
export function hkdf512_extract_update(len: usize): i32 {
  if (phase != EXTRACTING) return fail(STATUS_BAD_STATE);
  if (len > IO_SIZE) return fail(STATUS_BAD_LENGTH);
  sha512Update(extractCtx, ioPtr(), len);
  return STATUS_OK;
}

/** Finishes Extract and keys the expand context with the PRK, which it then wipes. */
export function hkdf512_extract_final(): i32 {
  if (phase != EXTRACTING) return fail(STATUS_BAD_STATE);
  hmac512Finish(extractCtx, prk, HASH_LEN);
  memory.fill(extractCtx, 0, HMAC512_CTX_SIZE);
  hmac512Key(expandCtx, prk, HASH_LEN, HASH_LEN);
  memory.fill(prk, 0, HASH_LEN);
  phase = EXTRACTED;
  return STATUS_OK;
}

/** Starts Expand for `outLen` bytes (0..HKDF512_MAX_OUTPUT). */
export function hkdf512_expand_begin(outLen: usize): i32 {
  if (phase != EXTRACTED) return fail(STATUS_BAD_STATE);
  if (outLen > HKDF512_MAX_OUTPUT) return fail(STATUS_BAD_LENGTH);
  outLength = outLen;
  blocksWanted = <u32>((outLen + HASH_LEN - 1) / HASH_LEN); // N = ceil(L / HashLen)
  blocksDone = 0;
  phase = EXPANDING;
  return STATUS_OK;
}

/** Opens block T(i), i = blocksDone + 1: HMAC restarts from the PRK midstate and absorbs T(i-1). */
export function hkdf512_expand_block_start(): i32 {
  if (phase != EXPANDING || blockOpen || blocksDone >= blocksWanted) return fail(STATUS_BAD_STATE);
  hmac512Reset(expandCtx);
  if (blocksDone != 0) sha512Update(expandCtx, okm + (<usize>blocksDone - 1) * HASH_LEN, HASH_LEN);
  blockOpen = true;
  return STATUS_OK;
}

/** Absorbs the first `len` bytes of the I/O buffer as (part of) info into the open block. */
export function hkdf512_expand_block_update(len: usize): i32 {
  if (!blockOpen) return fail(STATUS_BAD_STATE);
  if (len > IO_SIZE) return fail(STATUS_BAD_LENGTH);
  sha512Update(expandCtx, ioPtr(), len);
  return STATUS_OK;
}

/** Absorbs the octet i and stores T(i). */
export function hkdf512_expand_block_finish(): i32 {
  if (!blockOpen) return fail(STATUS_BAD_STATE);
  blocksDone++;
  store<u8>(counterByte, <u8>blocksDone);
  sha512Update(expandCtx, counterByte, 1);
  hmac512Finish(expandCtx, okm + (<usize>blocksDone - 1) * HASH_LEN, HASH_LEN);
  blockOpen = false;
  return STATUS_OK;
}

/** Writes the OKM to I/O bytes 0..outLen and wipes all HKDF state. */
export function hkdf512_expand_end(): i32 {
  if (phase != EXPANDING || blockOpen || blocksDone != blocksWanted) return fail(STATUS_BAD_STATE);
  memory.copy(ioPtr(), okm, outLength);
  wipeAll();
  return STATUS_OK;
}

/**
 * Whole Expand in one call for info that fits the I/O buffer: info is read from I/O bytes
 * 0..infoLen and the OKM replaces I/O bytes 0..outLen. Wipes all HKDF state.
 */
export function hkdf512_expand(infoLen: usize, outLen: usize): i32 {
  if (infoLen > IO_SIZE) return fail(STATUS_BAD_LENGTH);
  const status = hkdf512_expand_begin(outLen);
  if (status != STATUS_OK) return status;
  for (let i: u32 = 0; i < blocksWanted; i++) {
    hkdf512_expand_block_start();
    sha512Update(expandCtx, ioPtr(), infoLen);
    hkdf512_expand_block_finish();
  }
  return hkdf512_expand_end();
}
