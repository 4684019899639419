/**
 * The v1 ciphertext blob inside workerd, where it is deployed: round trips, tampering, and the
 * byte layout checked against workerd's own WebCrypto (HKDF-SHA256 + AES-256-GCM with AAD =
 * header || context). The exhaustive cases run in the Node unit tier (test/unit/crypto/).
 */
import { describe, expect, it } from "vitest";
import { encodeEncryptionContext } from "../../src/crypto/encryption-context.ts";
import { openCiphertext, readCiphertextHeader, sealCiphertext } from "../../src/crypto/envelope.ts";
import { ioBuffer } from "../../src/crypto/wasm.ts";

const ARN = "arn:aws:kms:eu-west-1:111122223333:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
const HEADER = { keyArn: ARN, backingKeyVersion: 5 };
const CONTEXT = encodeEncryptionContext({ tenant: "acme", purpose: "workerd test" });

const random = (length: number) => crypto.getRandomValues(new Uint8Array(length));

const concat = (a: Uint8Array, b: Uint8Array) => {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
};

async function subtleOpen(backingKey: Uint8Array, blob: Uint8Array, context: Uint8Array): Promise<Uint8Array> {
  const l = blob[1]!;
  const ikm = await crypto.subtle.importKey("raw", backingKey, "HKDF", false, ["deriveBits"]);
  const info = new TextEncoder().encode("EdgeKMS ciphertext v1");
  const salt = blob.slice(6 + l, 22 + l);
  const bits = await crypto.subtle.deriveBits({ name: "HKDF", hash: "SHA-256", salt, info }, ikm, 256);
  const key = await crypto.subtle.importKey("raw", bits, "AES-GCM", false, ["decrypt"]);
  const plaintext = await crypto.subtle.decrypt(
    { name: "AES-GCM", iv: blob.slice(22 + l, 34 + l), additionalData: concat(blob.slice(0, 34 + l), context) },
    key,
    blob.slice(34 + l),
  );
  return new Uint8Array(plaintext);
}

describe("ciphertext blob inside workerd", () => {
  it("opens what it sealed, for empty and non-empty contexts and plaintexts up to 4096 bytes", () => {
    const backingKey = random(32);
    for (const context of [encodeEncryptionContext({}), CONTEXT]) {
      for (const length of [1, 15, 16, 17, 1024, 4096]) {
        const plaintext = random(length);
        const blob = sealCiphertext(backingKey, HEADER, context, plaintext);
        expect(readCiphertextHeader(blob)).toEqual(HEADER);
        expect(openCiphertext(backingKey, blob, context), `length ${length}`).toEqual(plaintext);
      }
    }
    expect(ioBuffer().every((b) => b === 0)).toBe(true);
  });

  it("refuses a blob with any bit of its tag or header flipped, or under another key or context", () => {
    const backingKey = random(32);
    const blob = sealCiphertext(backingKey, HEADER, CONTEXT, random(32));
    const headerLength = 34 + blob[1]!;
    for (const bit of [0, 9, 8 * 2 + 3, 8 * (headerLength - 1), 8 * headerLength, blob.length * 8 - 1]) {
      const tampered = blob.slice();
      tampered[bit >> 3]! ^= 1 << (bit & 7);
      expect(openCiphertext(backingKey, tampered, CONTEXT), `bit ${bit}`).toBeUndefined();
    }
    expect(openCiphertext(random(32), blob, CONTEXT)).toBeUndefined();
    expect(openCiphertext(backingKey, blob, encodeEncryptionContext({ tenant: "acme" }))).toBeUndefined();
    expect(openCiphertext(backingKey, blob.subarray(0, blob.length - 1), CONTEXT)).toBeUndefined();
    expect(ioBuffer().every((b) => b === 0)).toBe(true);
  });

  it("seals blobs that workerd's WebCrypto opens by the byte table", async () => {
    const backingKey = random(32);
    for (const length of [1, 33, 4096]) {
      const plaintext = random(length);
      const blob = sealCiphertext(backingKey, HEADER, CONTEXT, plaintext);
      expect(await subtleOpen(backingKey, blob, CONTEXT), `length ${length}`).toEqual(plaintext);
    }
  });
});
