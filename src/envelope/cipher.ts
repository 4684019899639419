/**
 * The symmetric half of the envelope format (./format.ts "Keys and IVs"): deriving the message key
 * and key commitment from a data key, and sealing or opening one frame. Two implementations of the
 * same suite:
 *
 * - `wasmCipher` (the default): EdgeKMS's constant-time WebAssembly core (src/crypto: HKDF-SHA256
 *   and AES-256-GCM with bitsliced AES and multiplication-based GHASH), synchronous;
 * - `webCryptoCipher`: crypto.subtle (native in Node, workerd and Deno), asynchronous; used to
 *   cross-check the format and as the benchmark's reference, and available to callers who prefer
 *   the platform's AES-GCM.
 *
 * Both produce byte-identical messages. Security caveats: a MessageCipher holds the message key
 * (the WASM one in a private Uint8Array, zeroed by destroy(); the WebCrypto one as a non-extractable
 * CryptoKey, which cannot be wiped and lives until garbage collection). The data key passed to
 * begin() is not modified: wiping it is the caller's job, as soon as begin() has returned.
 */
import { AuthenticationError, aesGcmDecrypt, aesGcmEncrypt } from "../crypto/aes-gcm.ts";
import { hkdfSha256 } from "../crypto/hash.ts";
import { COMMITMENT_LENGTH, DATA_KEY_LENGTH, KDF_INFO } from "./format.ts";

/** A keyed cipher for one message. Failures to open throw AuthenticationError. */
export interface MessageCipher {
  /** The key commitment for the header (32 bytes). */
  readonly commitment: Uint8Array;
  /** Returns ciphertext || 16-byte tag. */
  seal(iv: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array | Promise<Uint8Array>;
  /** Returns the plaintext only if the tag verifies; throws AuthenticationError otherwise. */
  open(iv: Uint8Array, ciphertextAndTag: Uint8Array, aad: Uint8Array): Uint8Array | Promise<Uint8Array>;
  /** Forgets the message key. */
  destroy(): void;
}

export interface CipherSuite {
  readonly name: string;
  /** Derives the message key and commitment from a 32-byte data key and the message ID. */
  begin(dataKey: Uint8Array, messageId: Uint8Array): MessageCipher | Promise<MessageCipher>;
}

function checkDataKey(dataKey: Uint8Array): void {
  if (!(dataKey instanceof Uint8Array) || dataKey.length !== DATA_KEY_LENGTH) {
    throw new RangeError(`the data key must be ${DATA_KEY_LENGTH} bytes (KeySpec AES_256)`);
  }
}

class WasmMessageCipher implements MessageCipher {
  readonly commitment: Uint8Array;
  #key: Uint8Array | undefined;

  constructor(okm: Uint8Array) {
    this.#key = okm.slice(0, 32);
    this.commitment = okm.slice(32, 32 + COMMITMENT_LENGTH);
    okm.fill(0);
  }

  seal(iv: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
    return aesGcmEncrypt(this.#live(), iv, plaintext, aad);
  }

  open(iv: Uint8Array, ciphertextAndTag: Uint8Array, aad: Uint8Array): Uint8Array {
    return aesGcmDecrypt(this.#live(), iv, ciphertextAndTag, aad);
  }

  destroy(): void {
    this.#key?.fill(0);
    this.#key = undefined;
  }

  #live(): Uint8Array {
    if (this.#key === undefined) throw new Error("this message cipher has been destroyed");
    return this.#key;
  }
}

/** The WebAssembly core: constant-time AES-256-GCM and HKDF-SHA256, synchronous. */
export const wasmCipher: CipherSuite = {
  name: "wasm core",
  begin(dataKey, messageId) {
    checkDataKey(dataKey);
    return new WasmMessageCipher(hkdfSha256(dataKey, messageId, KDF_INFO, 32 + COMMITMENT_LENGTH));
  },
};

class WebCryptoMessageCipher implements MessageCipher {
  #key: CryptoKey | undefined;

  constructor(
    key: CryptoKey,
    readonly commitment: Uint8Array,
  ) {
    this.#key = key;
  }

  async seal(iv: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Promise<Uint8Array> {
    const params = { name: "AES-GCM", iv: buffer(iv), additionalData: buffer(aad), tagLength: 128 };
    return new Uint8Array(await crypto.subtle.encrypt(params, this.#live(), buffer(plaintext)));
  }

  async open(iv: Uint8Array, ciphertextAndTag: Uint8Array, aad: Uint8Array): Promise<Uint8Array> {
    const params = { name: "AES-GCM", iv: buffer(iv), additionalData: buffer(aad), tagLength: 128 };
    try {
      return new Uint8Array(await crypto.subtle.decrypt(params, this.#live(), buffer(ciphertextAndTag)));
    } catch {
      // WebCrypto's OperationError, made the same failure the WASM cipher reports.
      throw new AuthenticationError();
    }
  }

  destroy(): void {
    this.#key = undefined;
  }

  #live(): CryptoKey {
    if (this.#key === undefined) throw new Error("this message cipher has been destroyed");
    return this.#key;
  }
}

/**
 * The same bytes, typed as WebCrypto's newer lib definitions (Deno's) require: backed by an
 * ArrayBuffer, not a SharedArrayBuffer. Ours always are, so this is a type assertion, not a copy
 * (a copy of a key would be one more secret to wipe).
 */
function buffer(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes as Uint8Array<ArrayBuffer>;
}

/** crypto.subtle: the platform's AES-256-GCM and HKDF-SHA256, asynchronous. */
export const webCryptoCipher: CipherSuite = {
  name: "WebCrypto",
  async begin(dataKey, messageId) {
    checkDataKey(dataKey);
    const ikm = await crypto.subtle.importKey("raw", buffer(dataKey), "HKDF", false, ["deriveBits"]);
    const okm = new Uint8Array(
      await crypto.subtle.deriveBits({ name: "HKDF", hash: "SHA-256", salt: buffer(messageId), info: buffer(KDF_INFO) }, ikm, 512),
    );
    try {
      const key = await crypto.subtle.importKey("raw", buffer(okm.subarray(0, 32)), "AES-GCM", false, ["encrypt", "decrypt"]);
      return new WebCryptoMessageCipher(key, okm.slice(32));
    } finally {
      okm.fill(0);
    }
  },
};
