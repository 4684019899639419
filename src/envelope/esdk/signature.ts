/**
 * The ECDSA signature of signed AWS Encryption SDK messages (aws-encryption-sdk-specification,
 * data-format/message-footer.md; framework/algorithm-suites.md "Signature Algorithm"): the writer
 * signs the whole message (header and body) with a fresh key pair, puts the compressed public key
 * (SEC 1 §2.3.3, base64) in the encryption context under `aws-crypto-public-key`, and appends a
 * footer of u16 length || DER-encoded signature. P-384 with SHA-384 (the suites EdgeKMS writes
 * and reads) and P-256 with SHA-256 (one legacy suite, read only).
 *
 * Two paths, because WebCrypto signs and verifies whole messages only, never a digest:
 * - whole messages (EnvelopeClient.encrypt / decrypt, where the message is in memory anyway):
 *   WebCrypto ECDSA over the message bytes;
 * - streams, whose memory must stay bounded: the message is hashed as it passes, incrementally,
 *   by the WebAssembly core (SHA-384 / SHA-256), and @noble/curves signs or verifies that digest
 *   (WebCrypto has no prehashed ECDSA; the guide prefers noble where WebCrypto lacks an
 *   algorithm, and big-number code is never hand-written here).
 * Key pairs come from WebCrypto in both paths. @noble/curves also decompresses the public key and
 * converts between DER and WebCrypto's r || s signatures. Verification accepts high-S signatures,
 * as the SDKs do.
 */
import { p256, p384 } from "@noble/curves/nist.js";
import { Sha256, Sha384 } from "../../crypto/hash.ts";
import type { AlgorithmSuite } from "./suites.ts";

type SignatureSpec = NonNullable<AlgorithmSuite["signature"]>;

/** The longest DER ECDSA P-384 signature: SEQUENCE of two INTEGERs of up to 49 bytes. */
export const MAX_DER_SIGNATURE = 2 + 2 * (2 + 49);

const owned = (b: Uint8Array) => b as Uint8Array<ArrayBuffer>;

function curveOf(spec: SignatureSpec) {
  return spec.curve === "P-384" ? p384 : p256;
}

function fromBase64Url(text: string): Uint8Array {
  const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
  return Uint8Array.from(atob(base64 + "=".repeat((4 - (base64.length % 4)) % 4)), (c) => c.charCodeAt(0));
}

function toBase64(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

function fromBase64(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) return undefined;
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

/** Collects the signed bytes: chunk references (whole mode) or an incremental core hash (stream mode). */
class SignedBytes {
  #chunks: Uint8Array[] | undefined;
  #hash: Sha256 | Sha384 | undefined;
  constructor(spec: SignatureSpec, streaming: boolean) {
    if (streaming) this.#hash = spec.hash === "SHA-384" ? new Sha384() : new Sha256();
    else this.#chunks = [];
  }
  update(bytes: Uint8Array): void {
    if (this.#hash) this.#hash.update(bytes);
    else this.#chunks!.push(bytes);
  }
  /** The digest (stream mode) or the whole message (whole mode). */
  finish(): { digest: Uint8Array } | { message: Uint8Array } {
    if (this.#hash) return { digest: this.#hash.digest() };
    const chunks = this.#chunks!;
    this.#chunks = [];
    if (chunks.length === 1) return { message: chunks[0]! };
    // A message read from one buffer arrives as consecutive views of it: sign or verify that
    // view instead of copying the whole message.
    const first = chunks[0];
    let end = first?.byteOffset ?? 0;
    let contiguous = first !== undefined;
    for (const c of chunks) {
      contiguous &&= c.buffer === first!.buffer && c.byteOffset === end;
      end += c.length;
    }
    if (contiguous) return { message: new Uint8Array(first!.buffer, first!.byteOffset, end - first!.byteOffset) };
    const message = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
    let at = 0;
    for (const c of chunks) {
      message.set(c, at);
      at += c.length;
    }
    return { message };
  }
  destroy(): void {
    this.#hash?.destroy();
    this.#chunks = undefined;
  }
}

/** Signs one message being written. */
export class MessageSigner {
  readonly #spec: SignatureSpec;
  readonly #key: CryptoKey;
  #d: Uint8Array | undefined;
  readonly #signed: SignedBytes;
  /** The compressed public key, base64, for the encryption context. */
  readonly publicKey: string;

  private constructor(spec: SignatureSpec, key: CryptoKey, d: Uint8Array | undefined, publicKey: string, streaming: boolean) {
    this.#spec = spec;
    this.#key = key;
    this.#d = d;
    this.publicKey = publicKey;
    this.#signed = new SignedBytes(spec, streaming);
  }

  /** A fresh key pair from WebCrypto; `streaming` chooses the path (see the module comment). */
  static async create(spec: SignatureSpec, streaming: boolean): Promise<MessageSigner> {
    const pair = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: spec.curve }, true, ["sign", "verify"])) as CryptoKeyPair;
    const jwk = (await crypto.subtle.exportKey("jwk", pair.privateKey)) as JsonWebKey;
    const x = fromBase64Url(jwk.x!);
    const y = fromBase64Url(jwk.y!);
    const compressed = new Uint8Array(1 + x.length);
    compressed[0] = 0x02 | (y[y.length - 1]! & 1);
    compressed.set(x, 1);
    const d = streaming ? fromBase64Url(jwk.d!) : undefined;
    jwk.d = "";
    return new MessageSigner(spec, pair.privateKey, d, toBase64(compressed), streaming);
  }

  update(bytes: Uint8Array): void {
    this.#signed.update(bytes);
  }

  /**
   * The footer: u16 signature length || DER signature. The private key is forgotten. A whole-mode
   * caller that holds the message (header and body) in one array may pass it as `message`, which
   * is then signed instead of what update() collected (the same bytes, without a copy).
   */
  async footer(message?: Uint8Array): Promise<Uint8Array> {
    const collected = this.#signed.finish();
    const signed = message !== undefined && "message" in collected ? { message } : collected;
    let der: Uint8Array;
    const curve = curveOf(this.#spec);
    if ("digest" in signed) {
      der = curve.sign(signed.digest, this.#d!, { prehash: false, format: "der" });
      this.#d!.fill(0);
      this.#d = undefined;
    } else {
      const raw = new Uint8Array(await crypto.subtle.sign({ name: "ECDSA", hash: this.#spec.hash }, this.#key, owned(signed.message)));
      der = curve.Signature.fromBytes(raw, "compact").toBytes("der");
    }
    const footer = new Uint8Array(2 + der.length);
    footer[0] = der.length >>> 8;
    footer[1] = der.length & 0xff;
    footer.set(der, 2);
    return footer;
  }

  destroy(): void {
    this.#d?.fill(0);
    this.#d = undefined;
    this.#signed.destroy();
  }
}

/** Verifies one message being read. */
export class MessageVerifier {
  readonly #spec: SignatureSpec;
  readonly #publicKey: Uint8Array;
  readonly #signed: SignedBytes;

  private constructor(spec: SignatureSpec, publicKey: Uint8Array, streaming: boolean) {
    this.#spec = spec;
    this.#publicKey = publicKey;
    this.#signed = new SignedBytes(spec, streaming);
  }

  /** Undefined when `publicKey` (base64 from the context) is not a valid point on the suite's curve. */
  static create(spec: SignatureSpec, publicKey: string | undefined, streaming: boolean): MessageVerifier | undefined {
    const bytes = publicKey === undefined ? undefined : fromBase64(publicKey);
    if (bytes === undefined || bytes.length !== spec.publicKeyLength) return undefined;
    try {
      curveOf(spec).Point.fromBytes(bytes).assertValidity();
    } catch {
      return undefined;
    }
    return new MessageVerifier(spec, bytes, streaming);
  }

  update(bytes: Uint8Array): void {
    this.#signed.update(bytes);
  }

  /** True only if `der` is a valid signature over everything passed to update(). */
  async verify(der: Uint8Array): Promise<boolean> {
    const signed = this.#signed.finish();
    const curve = curveOf(this.#spec);
    try {
      if ("digest" in signed) {
        return curve.verify(der, signed.digest, this.#publicKey, { prehash: false, format: "der", lowS: false });
      }
      const raw = curve.Signature.fromBytes(der, "der").toBytes("compact");
      const point = curve.Point.fromBytes(this.#publicKey).toBytes(false);
      const key = await crypto.subtle.importKey("raw", owned(point), { name: "ECDSA", namedCurve: this.#spec.curve }, false, ["verify"]);
      return await crypto.subtle.verify({ name: "ECDSA", hash: this.#spec.hash }, key, owned(raw), owned(signed.message));
    } catch {
      return false;
    }
  }

  destroy(): void {
    this.#signed.destroy();
  }
}
