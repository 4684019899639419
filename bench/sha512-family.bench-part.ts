/**
 * Cases for `npm run bench:core`: SHA-224, SHA-384, SHA-512, HMAC over each (32-byte keys) and
 * HKDF-SHA512 (sized by IKM, 32-byte salt, 16-byte info, 32 bytes of output, as the HKDF-SHA256
 * rows) through the wasm core, against node:crypto (the reference), WebCrypto where it has the
 * algorithm (not SHA-224) and noble. Each case checks once, before timing, that all agree.
 */
import { createHash, createHmac, hkdfSync, randomBytes } from "node:crypto";
import { hkdf as nobleHkdf } from "@noble/hashes/hkdf.js";
import { hmac as nobleHmac } from "@noble/hashes/hmac.js";
import { sha224 as nobleSha224, sha384 as nobleSha384, sha512 as nobleSha512 } from "@noble/hashes/sha2.js";
import { hkdfSha512, hmacSha224, hmacSha384, hmacSha512, sha224, sha384, sha512 } from "../src/crypto/hash.ts";
import type { BenchCase } from "./bench-case.ts";

const KiB = 1024;
const MiB = 1024 * KiB;

const hex = (bytes: ArrayBuffer | Uint8Array) => Buffer.from(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)).toString("hex");

function agree(name: string, size: number, outputs: string[]): void {
  if (new Set(outputs).size !== 1) throw new Error(`${name} ${size} B: implementations disagree`);
}

const HASHES = [
  { name: "SHA-224", node: "sha224", web: undefined, core: sha224, mac: hmacSha224, noble: nobleSha224 },
  { name: "SHA-384", node: "sha384", web: "SHA-384", core: sha384, mac: hmacSha384, noble: nobleSha384 },
  { name: "SHA-512", node: "sha512", web: "SHA-512", core: sha512, mac: hmacSha512, noble: nobleSha512 },
] as const;

export async function sha512FamilyCases(): Promise<BenchCase[]> {
  const cases: BenchCase[] = [];
  for (const h of HASHES) {
    for (const size of [32, KiB, MiB]) {
      const data = new Uint8Array(randomBytes(size));
      const outputs = [hex(h.core(data)), createHash(h.node).update(data).digest("hex"), hex(h.noble(data))];
      if (h.web) outputs.push(hex(await crypto.subtle.digest(h.web, data)));
      agree(h.name, size, outputs);
      const web = h.web;
      cases.push({
        name: h.name,
        size,
        impls: {
          "wasm core": () => void h.core(data),
          "node:crypto": () => void createHash(h.node).update(data).digest(),
          ...(web ? { WebCrypto: async () => void (await crypto.subtle.digest(web, data)) } : {}),
          noble: () => void h.noble(data),
        },
      });
    }
  }
  for (const h of HASHES) {
    for (const size of [32, KiB, MiB]) {
      const key = new Uint8Array(randomBytes(32));
      const data = new Uint8Array(randomBytes(size));
      const outputs = [hex(h.mac(key, data)), createHmac(h.node, key).update(data).digest("hex"), hex(nobleHmac(h.noble, key, data))];
      const web = h.web;
      const webKey = web ? await crypto.subtle.importKey("raw", key, { name: "HMAC", hash: web }, false, ["sign"]) : undefined;
      if (webKey) outputs.push(hex(await crypto.subtle.sign("HMAC", webKey, data)));
      agree(`HMAC-${h.name}`, size, outputs);
      cases.push({
        name: `HMAC-${h.name.replace("-", "")}`,
        size,
        impls: {
          "wasm core": () => void h.mac(key, data),
          "node:crypto": () => void createHmac(h.node, key).update(data).digest(),
          ...(webKey ? { WebCrypto: async () => void (await crypto.subtle.sign("HMAC", webKey, data)) } : {}),
          noble: () => void nobleHmac(h.noble, key, data),
        },
      });
    }
  }
  for (const size of [32, KiB, MiB]) {
    const ikm = new Uint8Array(randomBytes(size));
    const salt = new Uint8Array(randomBytes(32));
    const info = new Uint8Array(randomBytes(16));
    const webKey = await crypto.subtle.importKey("raw", ikm, "HKDF", false, ["deriveBits"]);
    const params = { name: "HKDF", hash: "SHA-512", salt, info };
    agree("HKDF-SHA512", size, [
      hex(hkdfSha512(ikm, salt, info, 32)),
      hex(hkdfSync("sha512", ikm, salt, info, 32)),
      hex(await crypto.subtle.deriveBits(params, webKey, 256)),
      hex(nobleHkdf(nobleSha512, ikm, salt, info, 32)),
    ]);
    cases.push({
      name: "HKDF-SHA512",
      size,
      impls: {
        "wasm core": () => void hkdfSha512(ikm, salt, info, 32),
        "node:crypto": () => void hkdfSync("sha512", ikm, salt, info, 32),
        WebCrypto: async () => void (await crypto.subtle.deriveBits(params, webKey, 256)),
        noble: () => void nobleHkdf(nobleSha512, ikm, salt, info, 32),
      },
    });
  }
  return cases;
}
