/**
 * The platform's WebCrypto (`crypto.subtle`) with its byte arguments typed as plain Uint8Array.
 * The calls are the standard ones; only the types differ: Deno's lib types accept only views over
 * an ArrayBuffer (never a SharedArrayBuffer), workerd's and Node's accept any view, so code that
 * must pass `deno check` and `tsc` alike goes through this one typed doorway instead of casting
 * at every call.
 */
type Bytes = Uint8Array;
type Algorithm = string | { name: string; [parameter: string]: unknown };

export interface Subtle {
  importKey(
    format: "raw" | "spki" | "pkcs8",
    keyData: Bytes,
    algorithm: Algorithm,
    extractable: boolean,
    usages: string[],
  ): Promise<CryptoKey>;
  exportKey(format: "raw" | "spki" | "pkcs8", key: CryptoKey): Promise<ArrayBuffer>;
  exportKey(format: "jwk", key: CryptoKey): Promise<JsonWebKey>;
  generateKey(algorithm: Algorithm, extractable: boolean, usages: string[]): Promise<CryptoKeyPair | CryptoKey>;
  sign(algorithm: Algorithm, key: CryptoKey, data: Bytes): Promise<ArrayBuffer>;
  verify(algorithm: Algorithm, key: CryptoKey, signature: Bytes, data: Bytes): Promise<boolean>;
  encrypt(algorithm: Algorithm, key: CryptoKey, data: Bytes): Promise<ArrayBuffer>;
  decrypt(algorithm: Algorithm, key: CryptoKey, data: Bytes): Promise<ArrayBuffer>;
  deriveBits(algorithm: Algorithm, key: CryptoKey, length: number): Promise<ArrayBuffer>;
}

export const subtle = crypto.subtle as unknown as Subtle;
