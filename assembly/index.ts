// The crypto core's WebAssembly exports. Each primitive lives in its own file and exports a
// narrow pointer-and-length ABI over fixed scratch buffers in linear memory; no managed objects
// cross into JavaScript. The TypeScript binding in src/crypto/ is the only caller.
export * from "./abi";
// SHA-256 and SHA-224, HMAC over both, HKDF-SHA256: named exports keep the ABI to the documented entry points
// (their files also export pointer-level helpers for each other, which must not reach JS).
export {
  sha256_init,
  sha256_update,
  sha256_final,
  sha256_digest,
  sha256_save,
  sha256_restore,
  sha224_init,
  sha224_final,
  sha224_digest,
} from "./sha256";
export { hmac_init, hmac_update, hmac_final, hmac_save, hmac_restore, hmac224_init, hmac224_final } from "./hmac";
export {
  hkdf_extract_init,
  hkdf_extract_update,
  hkdf_extract_final,
  hkdf_expand,
  hkdf_expand_begin,
  hkdf_expand_block_start,
  hkdf_expand_block_update,
  hkdf_expand_block_finish,
  hkdf_expand_end,
} from "./hkdf";
// SHA-512, SHA-384, HMAC over both and HKDF-SHA512, with the same ABI shapes as the SHA-256 family.
export {
  sha512_init,
  sha384_init,
  sha512_update,
  sha512_final,
  sha384_final,
  sha512_digest,
  sha384_digest,
  sha512_save,
  sha512_restore,
} from "./sha512";
export {
  hmac512_init,
  hmac384_init,
  hmac512_update,
  hmac512_final,
  hmac384_final,
  hmac512_save,
  hmac512_restore,
} from "./hmac-sha512";
export {
  hkdf512_extract_init,
  hkdf512_extract_update,
  hkdf512_extract_final,
  hkdf512_expand,
  hkdf512_expand_begin,
  hkdf512_expand_block_start,
  hkdf512_expand_block_update,
  hkdf512_expand_block_finish,
  hkdf512_expand_end,
} from "./hkdf-sha512";
// AES-GCM (AES-128/AES-256, bitsliced): the streaming gcm_* ABI documented in gcm.ts.
export {
  gcm_init,
  gcm_iv,
  gcm_aad,
  gcm_encrypt,
  gcm_decrypt,
  gcm_finish,
  gcm_verify,
  gcm_wipe,
  gcm_save,
  gcm_restore,
  gcm_context_size,
} from "./gcm";
// KMS ciphertext blob v1 (envelope_seal / envelope_open): layout and ABI documented in envelope.ts.
export * from "./envelope";
