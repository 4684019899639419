// AES-GCM (NIST SP 800-38D) over the shared I/O buffer, as a streaming, pointer-free ABI.
//
// A message is processed by a sequence of calls, each reading or writing the I/O buffer (abi.ts):
//
//   gcm_init(keyLen, ivLen)    key (16 or 32 bytes) then IV at offset 0; ivLen may be 0 and the
//                              IV then given in chunks with gcm_iv(len). 12-byte IVs are fastest.
//   gcm_iv(len)                more IV bytes (only before any AAD or data).
//   gcm_aad(len)               a chunk of additional authenticated data (any size, any split).
//   gcm_encrypt(len)           a chunk of plaintext, encrypted in place (up to the buffer size).
//   gcm_decrypt(len)           a chunk of ciphertext, decrypted in place. The output is NOT yet
//                              authenticated: the caller must hold it back until gcm_verify passes.
//   gcm_finish()               after encryption: writes the 16-byte tag at offset 0.
//   gcm_verify()               after decryption: compares the 16-byte tag at offset 0 in constant
//                              time; returns 4 (authentication failed) on mismatch.
//   gcm_wipe()                 zeroes all secret state (finish and verify do this themselves).
//   gcm_save(), gcm_restore()  move the context out to / back from the I/O buffer.
//
// Every call returns a status: 0 ok, 1 bad length, 2 call out of order, 3 message too long,
// 4 authentication failed. All state lives in fixed static buffers (no allocation, no growth).
// A caller that interleaves several messages (the streaming binding) saves the context between
// calls (gcm_save, gcm_context_size() bytes) and later restores it; gcm_restore re-expands the
// round keys from the saved key, so the round keys never leave the core.
//
// Security: the bitsliced AES (aes.ts) and multiplication-based GHASH (ghash.ts) are constant-time;
// branches here depend only on public lengths and call order. The tag comparison accumulates all
// differences before deciding. Round keys, H, E(J0), counters and keystream are wiped at the end of
// every message, and the key is wiped from the I/O buffer as soon as it has been read.

import { IO_SIZE, ioPtr } from "./abi";
import { aesCtr8, aesEncrypt8, aesExpandKey, ROUND_KEYS_SIZE } from "./aes";
import { bswap64, ghashBlocks, ghashSetKey, ghashWipe } from "./ghash";
import { ctEqual, wipe } from "./ct";

const STATUS_OK: u32 = 0;
const STATUS_BAD_LENGTH: u32 = 1;
const STATUS_BAD_STATE: u32 = 2;
const STATUS_TOO_LONG: u32 = 3;
const STATUS_AUTH: u32 = 4;

// Context layout (byte offsets). Everything a message needs between calls, except round keys.
const KEY = 0; //       32: the raw key (kept so a saved context can be resumed)
const H = 32; //        16: hash key E(0^128) as (hi, lo) u64
const EJ0 = 48; //      16: E(J0), XORed into the tag
const CTR = 64; //      16: J0 (first 12 bytes are the fixed part of every counter block)
const Y = 80; //        16: GHASH accumulator (hi, lo)
const GBUF = 96; //     16: bytes waiting to fill a GHASH block
const KS = 112; //     128: eight keystream blocks (also the AES batch buffer)
const AAD_LEN = 240; // u64 bytes of AAD so far
const DATA_LEN = 248; // u64 bytes of text so far
const IV_LEN = 256; //  u64 bytes of IV so far
const KEY_LEN = 264; // u32
const ROUNDS = 268; //  u32
const GLEN = 272; //    u32 bytes in GBUF
const KS_POS = 276; //  u32 next unused keystream byte in KS (128 = none left)
const PHASE = 280; //   u32 one of PHASE_*
const MODE = 284; //    u32 0 = not yet known, 1 = encrypt, 2 = decrypt
const NEXT_CTR = 288; // u32 counter value of the next block to encrypt
const CTX_SIZE: usize = 304;

const PHASE_NONE: u32 = 0;
const PHASE_IV: u32 = 1;
const PHASE_AAD: u32 = 2;
const PHASE_DATA: u32 = 3;

const MODE_ENCRYPT: u32 = 1;
const MODE_DECRYPT: u32 = 2;

// SP 800-38D §5.2.1.1: len(P) <= 2^39 - 256 bits; len(A), len(IV) <= 2^64 - 1 bits.
const MAX_DATA: u64 = (<u64>1 << 36) - 32;
const MAX_AAD: u64 = (<u64>1 << 61) - 1;

const ctx: usize = memory.data(<i32>CTX_SIZE, 16);
const roundKeys: usize = memory.data(<i32>ROUND_KEYS_SIZE, 16);
const tagBuf: usize = memory.data(16, 16);

/** Bytes of a saved context (gcm_save / gcm_restore). */
export function gcm_context_size(): usize {
  return CTX_SIZE;
}

/**
 * Moves the context of the current message to I/O bytes 0..gcm_context_size() and wipes it from
 * the core, so another message can run; gcm_restore brings it back.
 */
export function gcm_save(): u32 {
  if (load<u32>(ctx + PHASE) == PHASE_NONE) return STATUS_BAD_STATE;
  memory.copy(ioPtr(), ctx, CTX_SIZE);
  gcm_wipe();
  return STATUS_OK;
}

/** Zeroes the context, the round keys and the tag scratch. */
export function gcm_wipe(): void {
  wipe(ctx, CTX_SIZE);
  wipe(roundKeys, ROUND_KEYS_SIZE);
  wipe(tagBuf, 16);
  ghashWipe();
}

/** Loads a context saved by gcm_save from I/O bytes 0..gcm_context_size() and re-expands its key. */
export function gcm_restore(): u32 {
  gcm_wipe();
  memory.copy(ctx, ioPtr(), CTX_SIZE);
  wipe(ioPtr(), CTX_SIZE);
  const keyLen = load<u32>(ctx + KEY_LEN);
  if (load<u32>(ctx + PHASE) == PHASE_NONE || (keyLen != 16 && keyLen != 32)) {
    gcm_wipe();
    return STATUS_BAD_STATE;
  }
  aesExpandKey(ctx + KEY, keyLen, roundKeys);
  ghashSetKey(ctx + H);
  return STATUS_OK;
}

export function gcm_init(keyLen: u32, ivLen: u32): u32 {
  gcm_wipe();
  const io = ioPtr();
  if ((keyLen != 16 && keyLen != 32) || <usize>ivLen > IO_SIZE - <usize>keyLen) {
    wipe(io, 32);
    return STATUS_BAD_LENGTH;
  }
  memory.copy(ctx + KEY, io, keyLen);
  wipe(io, keyLen);
  store<u32>(ctx + KEY_LEN, keyLen);
  store<u32>(ctx + ROUNDS, aesExpandKey(ctx + KEY, keyLen, roundKeys));
  const ks = ctx + KS;
  if (ivLen == 12) {
    // SP 800-38D §7.1 step 2, 96-bit IV: J0 = IV || 0^31 || 1. One AES pass yields H = E(0^128)
    // (block 0), E(J0) (block 1) and the keystream for the first six data blocks (blocks 2..7).
    memory.copy(ctx + CTR, io + keyLen, 12);
    store<u32>(ctx + NEXT_CTR, 0);
    fillCounters(ks);
    v128.store(ks, i32x4.splat(0));
    aesEncrypt8(roundKeys, load<i32>(ctx + ROUNDS), ks);
    setHashKey(ks);
    v128.store(ctx + EJ0, v128.load(ks + 16));
    wipe(ks, 32);
    store<u32>(ctx + KS_POS, 32);
    store<u32>(ctx + PHASE, PHASE_AAD);
    store<u64>(ctx + IV_LEN, 12);
    return STATUS_OK;
  }
  // Any other length: H first, then J0 = GHASH(IV || pad || [len(IV)]64) once the IV is complete.
  wipe(ks, 128);
  aesEncrypt8(roundKeys, load<i32>(ctx + ROUNDS), ks);
  setHashKey(ks);
  wipe(ks, 128);
  store<u32>(ctx + KS_POS, 128);
  store<u32>(ctx + PHASE, PHASE_IV);
  absorb(io + keyLen, ivLen);
  store<u64>(ctx + IV_LEN, ivLen);
  return STATUS_OK;
}

export function gcm_iv(len: u32): u32 {
  if (load<u32>(ctx + PHASE) != PHASE_IV) return STATUS_BAD_STATE;
  if (<usize>len > IO_SIZE) return STATUS_BAD_LENGTH;
  absorb(ioPtr(), len);
  store<u64>(ctx + IV_LEN, load<u64>(ctx + IV_LEN) + len);
  return STATUS_OK;
}

export function gcm_aad(len: u32): u32 {
  const status = finishIv();
  if (status != STATUS_OK) return status;
  if (load<u32>(ctx + PHASE) != PHASE_AAD) return STATUS_BAD_STATE;
  if (<usize>len > IO_SIZE) return STATUS_BAD_LENGTH;
  const total = load<u64>(ctx + AAD_LEN) + len;
  if (total > MAX_AAD) return STATUS_TOO_LONG;
  store<u64>(ctx + AAD_LEN, total);
  absorb(ioPtr(), len);
  return STATUS_OK;
}

export function gcm_encrypt(len: u32): u32 {
  const status = startData(len, MODE_ENCRYPT);
  if (status != STATUS_OK) return status;
  const io = ioPtr();
  applyKeystream(io, len);
  absorb(io, len);
  return STATUS_OK;
}

export function gcm_decrypt(len: u32): u32 {
  const status = startData(len, MODE_DECRYPT);
  if (status != STATUS_OK) return status;
  const io = ioPtr();
  absorb(io, len);
  applyKeystream(io, len);
  return STATUS_OK;
}

export function gcm_finish(): u32 {
  const status = computeTag(MODE_ENCRYPT);
  if (status == STATUS_OK) v128.store(ioPtr(), v128.load(tagBuf));
  gcm_wipe();
  return status;
}

export function gcm_verify(): u32 {
  let status = computeTag(MODE_DECRYPT);
  if (status == STATUS_OK) {
    // SP 800-38D §7.2 step 8: compare all 16 bytes, decide once.
    status = (ctEqual(tagBuf, ioPtr(), 16) ^ 1) * STATUS_AUTH;
  }
  gcm_wipe();
  return status;
}

// Stores the hash key from the first encrypted block at `block`, as big-endian (hi, lo).
function setHashKey(block: usize): void {
  store<u64>(ctx + H, bswap64(load<u64>(block, 0)), 0);
  store<u64>(ctx + H, bswap64(load<u64>(block, 8)), 8);
  ghashSetKey(ctx + H);
}

// Writes eight counter blocks (SP 800-38D §6.5, inc32 wraps modulo 2^32) and advances the counter.
function fillCounters(dst: usize): void {
  const fixed = v128.load(ctx + CTR);
  const counter = load<u32>(ctx + NEXT_CTR);
  for (let b: u32 = 0; b < 8; b++) {
    const p = dst + (<usize>b << 4);
    v128.store(p, fixed);
    store<u32>(p + 12, bswap<u32>(counter + b));
  }
  store<u32>(ctx + NEXT_CTR, counter + 8);
}

// Feeds bytes to GHASH, buffering a partial block across calls.
function absorb(data: usize, len: usize): void {
  let glen = <usize>load<u32>(ctx + GLEN);
  if (glen > 0) {
    const n = min<usize>(16 - glen, len);
    memory.copy(ctx + GBUF + glen, data, n);
    glen += n;
    data += n;
    len -= n;
    if (glen < 16) {
      store<u32>(ctx + GLEN, <u32>glen);
      return;
    }
    ghashBlocks(ctx + Y, ctx + GBUF, 1);
    glen = 0;
  }
  const blocks = len >> 4;
  if (blocks > 0) ghashBlocks(ctx + Y, data, blocks);
  const rest = len & 15;
  memory.copy(ctx + GBUF, data + (blocks << 4), rest);
  store<u32>(ctx + GLEN, <u32>rest);
}

// Zero-pads and hashes a pending partial block (SP 800-38D §7.1 step 5: A and C are padded
// separately).
function flushPartial(): void {
  const glen = <usize>load<u32>(ctx + GLEN);
  if (glen == 0) return;
  wipe(ctx + GBUF + glen, 16 - glen);
  ghashBlocks(ctx + Y, ctx + GBUF, 1);
  wipe(ctx + GBUF, 16);
  store<u32>(ctx + GLEN, 0);
}

// Completes J0 once the whole IV is known (SP 800-38D §7.1 step 2) and computes E(J0).
function finishIv(): u32 {
  if (load<u32>(ctx + PHASE) != PHASE_IV) return STATUS_OK;
  const ivLen = load<u64>(ctx + IV_LEN);
  if (ivLen == 0) return STATUS_BAD_LENGTH;
  if (ivLen == 12) {
    // A 96-bit IV given in pieces: it is still whole in GBUF, as no block was completed.
    memory.copy(ctx + CTR, ctx + GBUF, 12);
    store<u32>(ctx + NEXT_CTR, 1);
  } else {
    flushPartial();
    store<u64>(ctx + GBUF, 0, 0);
    store<u64>(ctx + GBUF, bswap64(ivLen << 3), 8);
    ghashBlocks(ctx + Y, ctx + GBUF, 1);
    store<u64>(ctx + CTR, bswap64(load<u64>(ctx + Y, 0)), 0);
    store<u64>(ctx + CTR, bswap64(load<u64>(ctx + Y, 8)), 8);
    store<u32>(ctx + NEXT_CTR, bswap<u32>(load<u32>(ctx + CTR + 12)));
  }
  wipe(ctx + Y, 32);
  store<u32>(ctx + GLEN, 0);
  const ks = ctx + KS;
  fillCounters(ks);
  aesEncrypt8(roundKeys, load<i32>(ctx + ROUNDS), ks);
  v128.store(ctx + EJ0, v128.load(ks));
  wipe(ks, 16);
  store<u32>(ctx + KS_POS, 16);
  store<u32>(ctx + PHASE, PHASE_AAD);
  return STATUS_OK;
}

function startData(len: u32, mode: u32): u32 {
  const status = finishIv();
  if (status != STATUS_OK) return status;
  const phase = load<u32>(ctx + PHASE);
  if (phase == PHASE_AAD) {
    flushPartial();
    store<u32>(ctx + PHASE, PHASE_DATA);
    store<u32>(ctx + MODE, mode);
  } else if (phase != PHASE_DATA || load<u32>(ctx + MODE) != mode) {
    return STATUS_BAD_STATE;
  }
  if (<usize>len > IO_SIZE) return STATUS_BAD_LENGTH;
  const total = load<u64>(ctx + DATA_LEN) + len;
  if (total > MAX_DATA) return STATUS_TOO_LONG;
  store<u64>(ctx + DATA_LEN, total);
  return STATUS_OK;
}

// XORs the CTR keystream (SP 800-38D §6.5) into `len` bytes at `data`, continuing where the last
// chunk stopped.
function applyKeystream(data: usize, len: usize): void {
  const ks = ctx + KS;
  const rounds = load<i32>(ctx + ROUNDS);
  let pos = <usize>load<u32>(ctx + KS_POS);
  // Leftover keystream from the previous chunk (or precomputed by gcm_init).
  while (len >= 16 && pos <= 112) {
    v128.store(data, v128.xor(v128.load(data), v128.load(ks + pos)));
    data += 16;
    len -= 16;
    pos += 16;
  }
  while (len > 0 && pos < 128) {
    store<u8>(data, load<u8>(data) ^ load<u8>(ks + pos));
    data++;
    len--;
    pos++;
  }
  while (len >= 128) {
    const counter = load<u32>(ctx + NEXT_CTR);
    if ((counter & 7) == 0) {
      // Always the case for 12-byte IVs given to gcm_init (the counter is public).
      aesCtr8(roundKeys, rounds, ctx + CTR, counter, ks, data);
      store<u32>(ctx + NEXT_CTR, counter + 8);
    } else {
      fillCounters(ks);
      aesEncrypt8(roundKeys, rounds, ks);
      for (let i: usize = 0; i < 128; i += 16) {
        v128.store(data + i, v128.xor(v128.load(data + i), v128.load(ks + i)));
      }
    }
    data += 128;
    len -= 128;
  }
  if (len > 0) {
    fillCounters(ks);
    aesEncrypt8(roundKeys, rounds, ks);
    pos = 0;
    while (len >= 16) {
      v128.store(data, v128.xor(v128.load(data), v128.load(ks + pos)));
      data += 16;
      len -= 16;
      pos += 16;
    }
    while (len > 0) {
      store<u8>(data, load<u8>(data) ^ load<u8>(ks + pos));
      data++;
      len--;
      pos++;
    }
  }
  // Used keystream is no longer needed; leave only the unused tail in KS.
  wipe(ks, pos);
  store<u32>(ctx + KS_POS, <u32>pos);
}

// SP 800-38D §7.1 steps 5-6: S = GHASH(A || pad || C || pad || [len(A)]64 || [len(C)]64), and
// T = E(J0) ^ S, written to tagBuf.
function computeTag(mode: u32): u32 {
  const status = finishIv();
  if (status != STATUS_OK) return status;
  const phase = load<u32>(ctx + PHASE);
  const current = load<u32>(ctx + MODE);
  if (phase == PHASE_NONE || (current != 0 && current != mode)) return STATUS_BAD_STATE;
  flushPartial();
  store<u64>(ctx + GBUF, bswap64(load<u64>(ctx + AAD_LEN) << 3), 0);
  store<u64>(ctx + GBUF, bswap64(load<u64>(ctx + DATA_LEN) << 3), 8);
  ghashBlocks(ctx + Y, ctx + GBUF, 1);
  store<u64>(tagBuf, bswap64(load<u64>(ctx + Y, 0)), 0);
  store<u64>(tagBuf, bswap64(load<u64>(ctx + Y, 8)), 8);
  v128.store(tagBuf, v128.xor(v128.load(tagBuf), v128.load(ctx + EJ0)));
  return STATUS_OK;
}
