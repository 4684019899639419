/**
 * Key derivation, key commitment and body encryption of the AWS Encryption SDK message format
 * (aws-encryption-sdk-specification framework/algorithm-suites.md "Key Derivation",
 * data-format/message-body.md, message-body-aad.md), through the WebAssembly core.
 *
 *   no KDF (0x0014/46/78):  key = data key
 *   HKDF-SHA256 / SHA384:   key = HKDF(IKM = data key, salt = none, info = u16 suite ID || message ID, L = key length)
 *   committing (0x0478/578): key        = HKDF-SHA512(data key, salt = message ID, info = u16 suite ID || "DERIVEKEY", L = 32)
 *                            commitment = HKDF-SHA512(data key, salt = message ID, info = "COMMITKEY", L = 32)
 *
 * Body AAD (per frame, or for the single block of a non-framed body): message ID || content
 * string || u32 sequence number || u64 plaintext length; the content strings are
 * "AWSKMSEncryptionClient Frame", "... Final Frame" and "... Single Block". Frame IVs are the
 * sequence number, big-endian, left-padded with zeros to 12 bytes; the header's is 12 zeros.
 *
 * Implementation: HKDF-SHA256 and HKDF-SHA512 and AES-128/256-GCM run in the WebAssembly core
 * (constant-time). HKDF-SHA384 (legacy signed suites, read only) is RFC 5869 written out over the
 * core's HMAC-SHA384: one output block suffices (L <= 48), and the PRK, held in a JavaScript array
 * between the two HMAC calls, is zeroed at once. The core has no AES-192, so the three legacy
 * AES-192 suites (read only) decrypt with the platform's WebCrypto AES-GCM, whose key cannot be
 * wiped (a non-extractable CryptoKey, collected with the cipher).
 */
import { AuthenticationError, aesGcmDecryptInto, aesGcmEncryptInto } from "../../crypto/aes-gcm.ts";
import { hkdfSha256, hkdfSha512, hmacSha384 } from "../../crypto/hash.ts";
import { IV_LENGTH } from "./header.ts";
import type { AlgorithmSuite } from "./suites.ts";

const utf8 = new TextEncoder();
const DERIVE_KEY_LABEL = utf8.encode("DERIVEKEY");
const COMMIT_KEY_LABEL = utf8.encode("COMMITKEY");
export const FRAME_STRING = utf8.encode("AWSKMSEncryptionClient Frame");
export const FINAL_FRAME_STRING = utf8.encode("AWSKMSEncryptionClient Final Frame");
export const SINGLE_BLOCK_STRING = utf8.encode("AWSKMSEncryptionClient Single Block");

function suiteIdBytes(suite: AlgorithmSuite): Uint8Array {
  return Uint8Array.of(suite.id >>> 8, suite.id & 0xff);
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** RFC 5869 with HMAC-SHA384 for outputs of at most one block (48 bytes); empty salt. */
function hkdfSha384OneBlock(ikm: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  const prk = hmacSha384(new Uint8Array(0), ikm);
  const t1 = hmacSha384(prk, concat(info, Uint8Array.of(1)));
  prk.fill(0);
  const okm = t1.slice(0, length);
  t1.fill(0);
  return okm;
}

/** The message's AES key and, for committing suites, its key commitment. */
export interface DerivedKey {
  key: Uint8Array;
  commitment: Uint8Array | undefined;
}

/**
 * Derives the message key (and commitment) from a data key. The caller wipes `dataKey`.
 * @throws RangeError when the data key's length does not match the suite.
 */
export function deriveKey(suite: AlgorithmSuite, dataKey: Uint8Array, messageId: Uint8Array): DerivedKey {
  if (dataKey.length !== suite.keyLength) throw new RangeError("the data key's length does not match the algorithm suite");
  switch (suite.kdf) {
    case "none":
      return { key: dataKey.slice(), commitment: undefined };
    case "SHA-256":
      return {
        key: hkdfSha256(dataKey, new Uint8Array(0), concat(suiteIdBytes(suite), messageId), suite.keyLength),
        commitment: undefined,
      };
    case "SHA-384":
      return { key: hkdfSha384OneBlock(dataKey, concat(suiteIdBytes(suite), messageId), suite.keyLength), commitment: undefined };
    case "SHA-512":
      return {
        key: hkdfSha512(dataKey, messageId, concat(suiteIdBytes(suite), DERIVE_KEY_LABEL), suite.keyLength),
        commitment: hkdfSha512(dataKey, messageId, COMMIT_KEY_LABEL, 32),
      };
  }
}

/** The 12-byte IV of sequence number `sequence` (0 for the header). */
export function sequenceIv(sequence: number): Uint8Array {
  const iv = new Uint8Array(IV_LENGTH);
  new DataView(iv.buffer).setUint32(8, sequence);
  return iv;
}

/** The body AAD of one frame or of the single block. */
export function bodyAad(messageId: Uint8Array, content: Uint8Array, sequence: number, length: number): Uint8Array {
  const aad = new Uint8Array(messageId.length + content.length + 12);
  aad.set(messageId);
  aad.set(content, messageId.length);
  setAadCounters(aad, sequence, length);
  return aad;
}

/** Rewrites the sequence number and u64 length at the end of a body AAD (lengths stay below 2^53). */
export function setAadCounters(aad: Uint8Array, sequence: number, length: number): void {
  const view = new DataView(aad.buffer, aad.byteOffset, aad.byteLength);
  const at = aad.length - 12;
  view.setUint32(at, sequence);
  view.setUint32(at + 4, Math.floor(length / 2 ** 32));
  view.setUint32(at + 8, length >>> 0);
}

/** AES-GCM under one message key. Failures to open throw AuthenticationError. */
export interface BodyCipher {
  /** Writes ciphertext || 16-byte tag into `out` at `offset`. */
  sealInto(iv: Uint8Array, plaintext: Uint8Array, aad: Uint8Array, out: Uint8Array, offset: number): void | Promise<void>;
  /** Writes the plaintext into `out` at `offset` once the tag verifies (zeroing it otherwise). */
  openInto(iv: Uint8Array, ciphertextAndTag: Uint8Array, aad: Uint8Array, out: Uint8Array, offset: number): void | Promise<void>;
  destroy(): void;
}

class CoreCipher implements BodyCipher {
  #key: Uint8Array | undefined;
  constructor(key: Uint8Array) {
    this.#key = key;
  }
  sealInto(iv: Uint8Array, plaintext: Uint8Array, aad: Uint8Array, out: Uint8Array, offset: number): void {
    aesGcmEncryptInto(this.#live(), iv, plaintext, aad, out, offset);
  }
  openInto(iv: Uint8Array, ciphertextAndTag: Uint8Array, aad: Uint8Array, out: Uint8Array, offset: number): void {
    aesGcmDecryptInto(this.#live(), iv, ciphertextAndTag, aad, out, offset);
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

const owned = (b: Uint8Array) => b as Uint8Array<ArrayBuffer>;

/** AES-192-GCM (legacy suites, decryption only) through WebCrypto. */
class WebCryptoCipher implements BodyCipher {
  #key: Promise<CryptoKey> | undefined;
  constructor(key: Uint8Array) {
    this.#key = crypto.subtle.importKey("raw", owned(key.slice()), "AES-GCM", false, ["encrypt", "decrypt"]);
    key.fill(0);
  }
  async sealInto(iv: Uint8Array, plaintext: Uint8Array, aad: Uint8Array, out: Uint8Array, offset: number): Promise<void> {
    const params = { name: "AES-GCM", iv: owned(iv), additionalData: owned(aad), tagLength: 128 };
    out.set(new Uint8Array(await crypto.subtle.encrypt(params, await this.#live(), owned(plaintext))), offset);
  }
  async openInto(iv: Uint8Array, ciphertextAndTag: Uint8Array, aad: Uint8Array, out: Uint8Array, offset: number): Promise<void> {
    const params = { name: "AES-GCM", iv: owned(iv), additionalData: owned(aad), tagLength: 128 };
    let plaintext: ArrayBuffer;
    try {
      plaintext = await crypto.subtle.decrypt(params, await this.#live(), owned(ciphertextAndTag));
    } catch {
      throw new AuthenticationError();
    }
    out.set(new Uint8Array(plaintext), offset);
  }
  destroy(): void {
    this.#key = undefined;
  }
  #live(): Promise<CryptoKey> {
    if (this.#key === undefined) throw new Error("this message cipher has been destroyed");
    return this.#key;
  }
}

/** A body cipher that owns (and will wipe) `key`. */
export function bodyCipher(key: Uint8Array): BodyCipher {
  return key.length === 24 ? new WebCryptoCipher(key) : new CoreCipher(key);
}
