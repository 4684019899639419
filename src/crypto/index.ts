/**
 * The public crypto binding: synchronous wrappers over the WebAssembly core (assembly/). Each
 * primitive family appends its exports here.
 */
export {
  HKDF_SHA256_MAX_LENGTH,
  HKDF_SHA512_MAX_LENGTH,
  HmacSha224,
  HmacSha256,
  HmacSha384,
  HmacSha512,
  SHA224_LENGTH,
  SHA256_LENGTH,
  SHA384_LENGTH,
  SHA512_LENGTH,
  Sha224,
  Sha256,
  Sha384,
  Sha512,
  hkdfSha256,
  hkdfSha512,
  hmacSha224,
  hmacSha256,
  hmacSha384,
  hmacSha512,
  sha224,
  sha256,
  sha384,
  sha512,
} from "./hash.ts";
export { aesGcmEncrypt, aesGcmDecrypt } from "./aes-gcm.ts";
export type { CiphertextHeader } from "./envelope.ts";
export { openCiphertext, readCiphertextHeader, sealCiphertext } from "./envelope.ts";
