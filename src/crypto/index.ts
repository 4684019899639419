/**
 * The public crypto binding: synchronous wrappers over the WebAssembly core (assembly/). Each
 * primitive family appends its exports here.
 */
export {
  HKDF_SHA256_MAX_LENGTH,
  HmacSha256,
  SHA256_LENGTH,
  Sha256,
  hkdfSha256,
  hmacSha256,
  sha256,
} from "./hash.ts";
export { aesGcmEncrypt, aesGcmDecrypt } from "./aes-gcm.ts";
export type { CiphertextHeader } from "./envelope.ts";
export { openCiphertext, readCiphertextHeader, sealCiphertext } from "./envelope.ts";
