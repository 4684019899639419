/**
 * AES-256-GCM rows for bench/core.bench.ts: one operation is an encrypt of `size` bytes followed
 * by a decrypt of the result (so MB/s counts `size` bytes per encrypt+decrypt pair, i.e. half the
 * bytes actually pushed through the cipher). 12-byte IV, 16-byte AAD, 16-byte tag.
 *
 * Implementations: the WebAssembly core (src/crypto/aes-gcm.ts), node:crypto createCipheriv
 * (OpenSSL with AES-NI), WebCrypto crypto.subtle (OpenSSL in Node; the key is imported once,
 * outside the timing) and @noble/ciphers gcm (pure JS, T-table AES — not constant-time). Before
 * timing, each case checks that all synchronous implementations produce the same ciphertext; the
 * WebCrypto operation checks its first result too.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { gcm as nobleGcm } from "@noble/ciphers/aes.js";
import { aesGcmDecrypt, aesGcmEncrypt } from "../src/crypto/aes-gcm.ts";
import type { BenchCase } from "./bench-case.ts";

const SIZES = [32, 1024, 4096, 1024 * 1024];

function nodeEncrypt(key: Uint8Array, iv: Uint8Array, pt: Uint8Array, aad: Uint8Array): Uint8Array {
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(aad);
  return Buffer.concat([cipher.update(pt), cipher.final(), cipher.getAuthTag()]);
}

function nodeDecrypt(key: Uint8Array, iv: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Uint8Array {
  const decipher = createDecipheriv("aes-256-gcm", key, iv);
  decipher.setAAD(aad);
  decipher.setAuthTag(sealed.subarray(sealed.length - 16));
  return Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - 16)), decipher.final()]);
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}

export function aesGcmCases(): BenchCase[] {
  return SIZES.map((size) => {
    const key = new Uint8Array(randomBytes(32));
    const iv = new Uint8Array(randomBytes(12));
    const aad = new Uint8Array(randomBytes(16));
    const pt = new Uint8Array(randomBytes(size));
    const expected = nodeEncrypt(key, iv, pt, aad);
    const checks: [string, Uint8Array][] = [
      ["wasm core", aesGcmEncrypt(key, iv, pt, aad)],
      ["noble", nobleGcm(key, iv, aad).encrypt(pt)],
    ];
    for (const [name, got] of checks) {
      if (!same(got, expected)) throw new Error(`AES-256-GCM ${size} B: ${name} disagrees with node:crypto`);
    }
    const webKey = crypto.subtle.importKey("raw", key, "AES-GCM", false, ["encrypt", "decrypt"]);
    const params = { name: "AES-GCM", iv, additionalData: aad, tagLength: 128 };
    let webChecked = false;
    const fail = (name: string) => {
      throw new Error(`AES-256-GCM ${size} B: ${name} round trip failed`);
    };
    return {
      name: "AES-256-GCM enc+dec",
      size,
      impls: {
        "wasm core": () => {
          const out = aesGcmDecrypt(key, iv, aesGcmEncrypt(key, iv, pt, aad), aad);
          if (out.length !== size) fail("wasm core");
        },
        "node:crypto": () => {
          const out = nodeDecrypt(key, iv, nodeEncrypt(key, iv, pt, aad), aad);
          if (out.length !== size) fail("node:crypto");
        },
        WebCrypto: async () => {
          const k = await webKey;
          const sealed = new Uint8Array(await crypto.subtle.encrypt(params, k, pt));
          if (!webChecked) {
            if (!same(sealed, expected)) fail("WebCrypto");
            webChecked = true;
          }
          const out = await crypto.subtle.decrypt(params, k, sealed);
          if (out.byteLength !== size) fail("WebCrypto");
        },
        noble: () => {
          const out = nobleGcm(key, iv, aad).decrypt(nobleGcm(key, iv, aad).encrypt(pt));
          if (out.length !== size) fail("noble");
        },
      },
    };
  });
}
