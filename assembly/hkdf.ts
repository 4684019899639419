/**
 * HKDF-SHA256 (RFC 5869) over ./hmac, with a streaming ABI for inputs larger than the I/O buffer.
 *
 *   Extract (§2.2): PRK = HMAC(salt, IKM)          hkdf_extract_init(saltLen) / _update(len) / _final()
 *   Expand  (§2.3): T(i) = HMAC(PRK, T(i-1) || info || i), OKM = first L bytes of T(1) || T(2) ...
 *                                                  hkdf_expand(infoLen, outLen), or for info larger
 *                                                  than the I/O buffer: hkdf_expand_begin(outLen),
 *                                                  then per block _block_start() / _block_update(len)
 *                                                  / _block_finish(), then hkdf_expand_end().
 *
 * An empty salt needs no special case: RFC 5869 says it means HashLen zero bytes, and HMAC pads
 * any short key with zeros to the block size, so both give the same K0.
 *
 * Security: the PRK exists in linear memory only between extract and keying the expand context;
 * from then on only its HMAC midstates do. Both contexts, the output blocks and the counters are
 * wiped by hkdf_expand_end (and therefore by hkdf_expand) and by any call that fails, so nothing
 * secret survives a completed derivation. Branches depend only on public lengths and counters.
 */
import { IO_SIZE, ioPtr } from "./abi";
import { HMAC_CTX_SIZE, hmacFinish, hmacKey, hmacReset } from "./hmac";
import { STATUS_BAD_LENGTH, STATUS_BAD_STATE, STATUS_OK, sha256Update } from "./sha256";

/** RFC 5869 §2.3: L <= 255 * HashLen. */
export const HKDF_MAX_OUTPUT: usize = 255 * 32;

/** Extract context, keyed with the salt. */
const extractCtx: usize = memory.data(<i32>HMAC_CTX_SIZE, 16);
/** Expand context, keyed with the PRK. */
const expandCtx: usize = memory.data(<i32>HMAC_CTX_SIZE, 16);
/** PRK between extract and keying the expand context. */
const prk: usize = memory.data(32, 16);
/** T(1) || T(2) || ... as the blocks are produced. */
const okm: usize = memory.data(<i32>HKDF_MAX_OUTPUT, 16);
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
  memory.fill(extractCtx, 0, HMAC_CTX_SIZE);
  memory.fill(expandCtx, 0, HMAC_CTX_SIZE);
  memory.fill(prk, 0, 32);
  memory.fill(okm, 0, HKDF_MAX_OUTPUT);
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
export function hkdf_extract_init(saltLen: usize): i32 {
  if (saltLen > IO_SIZE) return fail(STATUS_BAD_LENGTH);
  wipeAll();
  hmacKey(extractCtx, ioPtr(), saltLen);
  memory.fill(ioPtr(), 0, saltLen);
  phase = EXTRACTING;
  return STATUS_OK;
}

/** Absorbs the first `len` bytes of the I/O buffer as input keying material. */
export function hkdf_extract_update(len: usize): i32 {
  if (phase != EXTRACTING) return fail(STATUS_BAD_STATE);
  if (len > IO_SIZE) return fail(STATUS_BAD_LENGTH);
  sha256Update(extractCtx, ioPtr(), len);
  return STATUS_OK;
}

/** Finishes Extract and keys the expand context with the PRK, which it then wipes. */
export function hkdf_extract_final(): i32 {
  if (phase != EXTRACTING) return fail(STATUS_BAD_STATE);
  hmacFinish(extractCtx, prk);
  memory.fill(extractCtx, 0, HMAC_CTX_SIZE);
  hmacKey(expandCtx, prk, 32);
  memory.fill(prk, 0, 32);
  phase = EXTRACTED;
  return STATUS_OK;
}

/** Starts Expand for `outLen` bytes (0..HKDF_MAX_OUTPUT). */
export function hkdf_expand_begin(outLen: usize): i32 {
  if (phase != EXTRACTED) return fail(STATUS_BAD_STATE);
  if (outLen > HKDF_MAX_OUTPUT) return fail(STATUS_BAD_LENGTH);
  outLength = outLen;
  blocksWanted = <u32>((outLen + 31) >> 5); // N = ceil(L / HashLen)
  blocksDone = 0;
  phase = EXPANDING;
  return STATUS_OK;
}

/** Opens block T(i), i = blocksDone + 1: HMAC restarts from the PRK midstate and absorbs T(i-1). */
export function hkdf_expand_block_start(): i32 {
  if (phase != EXPANDING || blockOpen || blocksDone >= blocksWanted) return fail(STATUS_BAD_STATE);
  hmacReset(expandCtx);
  if (blocksDone != 0) sha256Update(expandCtx, okm + ((<usize>blocksDone - 1) << 5), 32);
  blockOpen = true;
  return STATUS_OK;
}

/** Absorbs the first `len` bytes of the I/O buffer as (part of) info into the open block. */
export function hkdf_expand_block_update(len: usize): i32 {
  if (!blockOpen) return fail(STATUS_BAD_STATE);
  if (len > IO_SIZE) return fail(STATUS_BAD_LENGTH);
  sha256Update(expandCtx, ioPtr(), len);
  return STATUS_OK;
}

/** Absorbs the octet i and stores T(i). */
export function hkdf_expand_block_finish(): i32 {
  if (!blockOpen) return fail(STATUS_BAD_STATE);
  blocksDone++;
  store<u8>(counterByte, <u8>blocksDone);
  sha256Update(expandCtx, counterByte, 1);
  hmacFinish(expandCtx, okm + ((<usize>blocksDone - 1) << 5));
  blockOpen = false;
  return STATUS_OK;
}

/** Writes the OKM to I/O bytes 0..outLen and wipes all HKDF state. */
export function hkdf_expand_end(): i32 {
  if (phase != EXPANDING || blockOpen || blocksDone != blocksWanted) return fail(STATUS_BAD_STATE);
  memory.copy(ioPtr(), okm, outLength);
  wipeAll();
  return STATUS_OK;
}

/**
 * Whole Expand in one call for info that fits the I/O buffer: info is read from I/O bytes
 * 0..infoLen and the OKM replaces I/O bytes 0..outLen. Wipes all HKDF state.
 */
export function hkdf_expand(infoLen: usize, outLen: usize): i32 {
  if (infoLen > IO_SIZE) return fail(STATUS_BAD_LENGTH);
  const status = hkdf_expand_begin(outLen);
  if (status != STATUS_OK) return status;
  for (let i: u32 = 0; i < blocksWanted; i++) {
    hkdf_expand_block_start();
    sha256Update(expandCtx, ioPtr(), infoLen);
    hkdf_expand_block_finish();
  }
  return hkdf_expand_end();
}
