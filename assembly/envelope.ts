/**
 * The KMS ciphertext blob ("envelope"), format v1: what Encrypt and GenerateDataKey return and
 * Decrypt and ReEncrypt accept. Built on ./hkdf (HKDF-SHA256, RFC 5869) and ./gcm (AES-256-GCM,
 * NIST SP 800-38D).
 *
 *   offset     length  field
 *   0          1       format version, 0x01
 *   1          1       L: key ARN length in bytes (1..255)
 *   2          L       key ARN, UTF-8
 *   2+L        4       backing-key version, u32 big-endian (>= 1)
 *   6+L        16      HKDF salt (random per message)
 *   22+L       12      AES-GCM IV (random per message)
 *   34+L       n       ciphertext (n = plaintext length)
 *   34+L+n     16      GCM tag
 *
 * The header is bytes [0, 34+L). Each message gets its own key,
 *   K = HKDF-SHA256(IKM = 32-byte backing key, salt, info = "EdgeKMS ciphertext v1", L = 32),
 * so the 2^32-messages-per-key bound for random 96-bit GCM IVs (SP 800-38D §8.3) applies per
 * (salt, key) pair rather than to the backing key, which can then serve far more encryptions.
 * The message is AES-256-GCM under K with that IV and AAD = header || canonical encryption
 * context (src/crypto/encryption-context.ts), so the ARN, the backing-key version, the salt and IV
 * and the context are all authenticated: moving a blob to another key or context breaks the tag.
 *
 * ABI (I/O buffer of ./abi; lengths in bytes; returns a status, 0 = ok):
 *
 *   envelope_seal(arnLen, keyVersion, contextLen, plaintextLen)
 *     in:  [0,32) backing key | [32,48) salt | [48,60) IV | ARN | context | plaintext
 *     out: the blob at [0, 50+L+n). Status 1 if L is not 1..255, keyVersion is 0, or the blob
 *          would not be openable (32 + blob + context must fit the I/O buffer, see below).
 *   envelope_open(blobLen, contextLen)
 *     in:  [0,32) backing key | blob | context
 *     out: the plaintext at [0, n), n = blobLen - 50 - L. Status 4 for every failure to open.
 *
 * The salt and IV come from the caller (the TypeScript binding draws them from
 * crypto.getRandomValues) because WebAssembly has no source of randomness.
 *
 * Security:
 * - Opening checks the version byte, L and the lengths before reading any field, and the tag
 *   before releasing a single plaintext byte: the decrypted bytes are parked in private scratch
 *   until gcm_verify passes and are wiped if it fails. Every failure (truncation, unknown version,
 *   L = 0, version 0, bad tag, wrong key or context) is the same status, so a caller cannot tell a
 *   malformed blob from a forged one.
 * - Branches depend only on lengths, the version bytes and the final verify result, all of which
 *   are public (the blob is not secret, and success or failure is the answer anyway). AES, GHASH
 *   and HMAC are constant-time in their own files.
 * - The message key exists only in the I/O buffer between hkdf_expand and gcm_init, which wipes
 *   it as it reads it; hkdf_expand and gcm_finish / gcm_verify wipe their own state. This file
 *   wipes its scratch and every I/O byte it does not return, on success and on failure. Memory is
 *   static: the scratch is one I/O-buffer-sized region, so there is no allocation or growth.
 * - Both calls drive the shared HKDF and GCM contexts; they run to completion within one call, and
 *   the streaming AES-GCM binding saves and restores its own context around each of its calls.
 */
import { IO_SIZE, ioPtr } from "./abi";
import { wipe } from "./ct";
import { gcm_aad, gcm_decrypt, gcm_encrypt, gcm_finish, gcm_init, gcm_verify, gcm_wipe } from "./gcm";
import { hkdf_expand, hkdf_extract_final, hkdf_extract_init, hkdf_extract_update } from "./hkdf";

const STATUS_OK: u32 = 0;
const STATUS_BAD_INPUT: u32 = 1;
/** The one answer to every failure to open, so failures cannot be told apart. */
const STATUS_INVALID: u32 = 4;

const FORMAT_VERSION: u8 = 0x01;
const KEY_SIZE: usize = 32;
const SALT_SIZE: usize = 16;
const IV_SIZE: usize = 12;
const TAG_SIZE: usize = 16;
/** Header bytes besides the ARN: version, L, backing-key version, salt, IV. */
const HEADER_FIXED: usize = 1 + 1 + 4 + SALT_SIZE + IV_SIZE; // 34
/** Blob bytes besides the ARN and the ciphertext. */
const BLOB_OVERHEAD: usize = HEADER_FIXED + TAG_SIZE; // 50

/** HKDF info, ASCII "EdgeKMS ciphertext v1". */
const INFO_SIZE: usize = 21;
const INFO: usize = memory.data<u8>([
  0x45, 0x64, 0x67, 0x65, 0x4b, 0x4d, 0x53, 0x20, 0x63, 0x69, 0x70, 0x68, 0x65, 0x72, 0x74, 0x65,
  0x78, 0x74, 0x20, 0x76, 0x31,
]);

/**
 * Private copy of a call's input. GCM and HKDF read their input from the start of the I/O buffer,
 * so the input is moved here and staged back piece by piece. Holds keys and plaintext while a
 * call runs; always wiped before it returns.
 */
const work: usize = memory.data(<i32>IO_SIZE, 16);

/**
 * Derives the message key from the backing key at `key` and the salt at `salt` and starts AES-GCM
 * with it and the IV at `iv`. Returns false (with HKDF and GCM state wiped) if a primitive refused,
 * which only happens on a bug here, as every length passed is fixed.
 */
function startMessage(key: usize, salt: usize, iv: usize): bool {
  const io = ioPtr();
  // RFC 5869 §2.2: PRK = HMAC-SHA256(salt, IKM). hkdf_extract_init wipes the salt it read.
  memory.copy(io, salt, SALT_SIZE);
  if (hkdf_extract_init(SALT_SIZE) != 0) return false;
  memory.copy(io, key, KEY_SIZE);
  const absorbed = hkdf_extract_update(KEY_SIZE);
  wipe(io, KEY_SIZE);
  if (absorbed != 0 || hkdf_extract_final() != 0) return false;
  // §2.3: K = first 32 bytes of T(1) = HMAC(PRK, info || 0x01); lands in I/O [0, 32).
  memory.copy(io, INFO, INFO_SIZE);
  if (hkdf_expand(INFO_SIZE, KEY_SIZE) != 0) {
    wipe(io, KEY_SIZE);
    return false;
  }
  // gcm_init reads the key from [0, 32) and the IV right after it, and wipes the key.
  memory.copy(io + KEY_SIZE, iv, IV_SIZE);
  const started = gcm_init(<u32>KEY_SIZE, <u32>IV_SIZE);
  wipe(io, KEY_SIZE + IV_SIZE);
  if (started != 0) {
    gcm_wipe();
    return false;
  }
  return true;
}

/** Feeds `len` bytes at `src` to GCM as AAD through the I/O buffer. */
function aad(src: usize, len: usize): bool {
  memory.copy(ioPtr(), src, len);
  return gcm_aad(<u32>len) == 0;
}

/** Wipes the scratch and the I/O bytes [keep, used), then returns `status`. */
function finish(status: u32, keep: usize, used: usize): u32 {
  wipe(work, used);
  if (used > keep) wipe(ioPtr() + keep, used - keep);
  return status;
}

/** Wipes everything a failed call may have touched. */
function abandon(status: u32, used: usize): u32 {
  gcm_wipe();
  return finish(status, 0, used);
}

/**
 * Seals the plaintext into a v1 blob (input and output layout in the module comment).
 * The binding checks its arguments first, so status 1 here means a binding bug.
 */
export function envelope_seal(arnLen: u32, keyVersion: u32, contextLen: u32, plaintextLen: u32): u32 {
  const l = <usize>arnLen, c = <usize>contextLen, n = <usize>plaintextLen;
  // Each length is bounded before they are added, so the sums cannot wrap. Requiring the blob to
  // be openable (32 + blob + context <= IO_SIZE) also bounds the input, which is 22 bytes smaller.
  if (l < 1 || l > 255 || keyVersion == 0 || c > IO_SIZE || n > IO_SIZE) return abandon(STATUS_BAD_INPUT, IO_SIZE);
  if (KEY_SIZE + BLOB_OVERHEAD + l + n + c > IO_SIZE) return abandon(STATUS_BAD_INPUT, IO_SIZE);

  const io = ioPtr();
  // Input offsets, as laid out by the binding.
  const key = work, salt = key + KEY_SIZE, iv = salt + SALT_SIZE, arn = iv + IV_SIZE;
  const context = arn + l, plaintext = context + c;
  const used = plaintext + n - work;
  memory.copy(work, io, used);
  if (!startMessage(key, salt, iv)) return abandon(STATUS_BAD_INPUT, used);

  // Header, built where the blob will be returned, then kept in the scratch over the consumed key,
  // salt, IV and ARN (34 + L <= 60 + L bytes, and the ARN is copied before it is overwritten).
  const headerLen = HEADER_FIXED + l;
  store<u8>(io, FORMAT_VERSION);
  store<u8>(io + 1, <u8>l);
  memory.copy(io + 2, arn, l);
  store<u32>(io + 2 + l, bswap<u32>(keyVersion));
  memory.copy(io + 6 + l, salt, SALT_SIZE);
  memory.copy(io + 22 + l, iv, IV_SIZE);
  memory.copy(work, io, headerLen);
  if (gcm_aad(<u32>headerLen) != 0 || !aad(context, c)) return abandon(STATUS_BAD_INPUT, used);

  // The ciphertext goes right after the header in the scratch; the plaintext it overwrites has
  // already been staged into the I/O buffer (memory.copy has memmove semantics).
  const ciphertext = work + headerLen;
  memory.copy(io, plaintext, n);
  if (gcm_encrypt(<u32>n) != 0) return abandon(STATUS_BAD_INPUT, used);
  memory.copy(ciphertext, io, n);
  if (gcm_finish() != 0) return abandon(STATUS_BAD_INPUT, used);
  memory.copy(ciphertext + n, io, TAG_SIZE);

  const blobLen = headerLen + n + TAG_SIZE;
  memory.copy(io, work, blobLen);
  return finish(STATUS_OK, blobLen, used);
}

/**
 * Opens a v1 blob (input and output layout in the module comment). Status 4, with nothing
 * released, for any blob that is malformed or does not authenticate under this key and context.
 */
export function envelope_open(blobLen: u32, contextLen: u32): u32 {
  const b = <usize>blobLen, c = <usize>contextLen;
  if (b > IO_SIZE || c > IO_SIZE || KEY_SIZE + b + c > IO_SIZE) return abandon(STATUS_INVALID, IO_SIZE);
  const io = ioPtr();
  const used = KEY_SIZE + b + c;
  memory.copy(work, io, used);
  const key = work, blob = work + KEY_SIZE, context = blob + b;

  // Every length check precedes the read it guards: the fixed bytes, then L, then the rest.
  if (b < BLOB_OVERHEAD + 1 || load<u8>(blob) != FORMAT_VERSION) return abandon(STATUS_INVALID, used);
  const l = <usize>load<u8>(blob + 1);
  if (l == 0 || b < BLOB_OVERHEAD + l) return abandon(STATUS_INVALID, used);
  if (load<u32>(blob + 2 + l) == 0) return abandon(STATUS_INVALID, used); // zero in either byte order
  const headerLen = HEADER_FIXED + l;
  const n = b - BLOB_OVERHEAD - l;
  const ciphertext = blob + headerLen;

  if (!startMessage(key, blob + 6 + l, blob + 22 + l)) return abandon(STATUS_INVALID, used);
  if (!aad(blob, headerLen) || !aad(context, c)) return abandon(STATUS_INVALID, used);
  memory.copy(io, ciphertext, n);
  if (gcm_decrypt(<u32>n) != 0) return abandon(STATUS_INVALID, used);
  // SP 800-38D §7.2: the decrypted bytes are unauthenticated until the tag is checked, so they
  // wait in the scratch (over the ciphertext) while the I/O buffer carries the tag to gcm_verify.
  memory.copy(ciphertext, io, n);
  wipe(io, n);
  memory.copy(io, ciphertext + n, TAG_SIZE);
  const verified = gcm_verify(); // wipes all GCM state whatever the outcome
  if (verified != 0) return abandon(STATUS_INVALID, used);
  memory.copy(io, ciphertext, n);
  return finish(STATUS_OK, n, used);
}
