/**
 * The WebAssembly crypto core through its binding (src/crypto/) in Deno, run by
 * test/e2e/deno.test.ts as `deno test --config test/deno/deno.json --allow-read=<vectors>` (type
 * checked by Deno too):
 *
 * - AES-GCM against Google Wycheproof v0.9 (testvectors/aes_gcm_test.json), read at run time from
 *   test/vectors/wycheproof/ (copied from Project Wycheproof with its LICENSE), with the same counts as the Node unit test;
 * - AES-GCM, AesGcmStream, SHA-256, HMAC-SHA256 and HKDF-SHA256 against Deno's own WebCrypto
 *   (crypto.subtle, implemented in Deno's Rust runtime, independently of the core);
 * - HMAC-SHA224/384/512 against Wycheproof v0.9 (testvectors/hmac_sha*_test.json, run by
 *   test/common/wycheproof-mac.ts as in the Node and workerd tiers), and SHA-224/384/512,
 *   HMAC-SHA384/512 and HKDF-SHA512 against Deno's WebCrypto (SHA-224, which WebCrypto lacks,
 *   against @noble/hashes from node_modules);
 * - the KMS ciphertext blob: round trips, its byte table checked by opening it with WebCrypto,
 *   and tamper, truncation and wrong-context cases.
 *
 * Deno's WebCrypto takes AES-GCM IVs of 12 and 16 bytes only and refuses empty HMAC keys, so the
 * differential cases stay within those; 16-byte IVs still exercise the core's GHASH-derived J0.
 * Each test prints one `EDGEKMS {...}` line of counts for the e2e test to assert.
 */
import { AesGcmStream, AuthenticationError } from "../../src/crypto/aes-gcm.ts";
import { encodeEncryptionContext } from "../../src/crypto/encryption-context.ts";
import { sha224 as nobleSha224 } from "@noble/hashes/sha2.js";
import {
  aesGcmDecrypt,
  aesGcmEncrypt,
  HmacSha256,
  HmacSha384,
  HmacSha512,
  hkdfSha512,
  hmacSha384,
  hmacSha512,
  Sha224,
  sha224,
  Sha384,
  sha384,
  Sha512,
  sha512,
  hkdfSha256,
  hmacSha256,
  openCiphertext,
  readCiphertextHeader,
  sealCiphertext,
  Sha256,
  sha256,
} from "../../src/crypto/index.ts";
import { EXPECTED_AES_GCM_COUNTS, runAesGcmVectors, type AeadFile } from "../common/wycheproof-aes-gcm.ts";
import { EXPECTED_MAC_COUNTS, runMacVectors, type MacFile, type MacName } from "../common/wycheproof-mac.ts";
import { assert, assertEquals, concat, Deno, flip, hex, owned, random, randomInt, report, sameBytes, thrown } from "./support.ts";

const VECTORS = new URL("../vectors/wycheproof/aes_gcm_test.json", import.meta.url);

Deno.test("AES-GCM matches every valid Wycheproof AES-128/256 vector and rejects every invalid one", async () => {
  const vectors = JSON.parse(await Deno.readTextFile(VECTORS)) as AeadFile;
  // The same checks as the Node and workerd tiers (test/common/wycheproof-aes-gcm.ts).
  const { failures, ...counts } = runAesGcmVectors(vectors);
  assertEquals(failures, [], "every vector behaves as the file says");
  assertEquals(counts, EXPECTED_AES_GCM_COUNTS, "Wycheproof counts");
  assertEquals(counts.valid + counts.invalid + counts.skipped, vectors.numberOfTests, "every vector counted");
  report("wycheproof-aes-gcm", { ...counts, deno: Deno.version.deno });
});

async function subtleSeal(key: Uint8Array, iv: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Promise<Uint8Array> {
  const k = await crypto.subtle.importKey("raw", owned(key), "AES-GCM", false, ["encrypt"]);
  const params = { name: "AES-GCM", iv: owned(iv), additionalData: owned(aad), tagLength: 128 };
  return new Uint8Array(await crypto.subtle.encrypt(params, k, owned(plaintext)));
}

async function subtleOpen(key: Uint8Array, iv: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Promise<Uint8Array> {
  const k = await crypto.subtle.importKey("raw", owned(key), "AES-GCM", false, ["decrypt"]);
  const params = { name: "AES-GCM", iv: owned(iv), additionalData: owned(aad), tagLength: 128 };
  return new Uint8Array(await crypto.subtle.decrypt(params, k, owned(sealed)));
}

Deno.test("AES-GCM agrees with Deno's WebCrypto in both directions for lengths, IVs and AAD around every boundary", async () => {
  const cases: Array<[keySize: number, ivSize: number, length: number, aadSize: number]> = [];
  for (const keySize of [16, 32]) {
    for (const ivSize of [12, 16]) for (let length = 0; length <= 80; length++) cases.push([keySize, ivSize, length, length % 21]);
  }
  for (const length of [16383, 16384, 16385, 65519, 65520, 65535, 65536, 65537, 70_000, 1 << 20])
    cases.push([length % 2 ? 16 : 32, 12, length, randomInt(40)]);
  for (let aadSize = 0; aadSize <= 40; aadSize++) cases.push([16, 12, 33, aadSize]);
  cases.push([32, 12, 1000, 70_000], [32, 16, 0, 65_536 + 17]);

  for (const [keySize, ivSize, length, aadSize] of cases) {
    const [key, iv, pt, aad] = [random(keySize), random(ivSize), random(length), random(aadSize)];
    const label = `key ${keySize}, iv ${ivSize}, length ${length}, aad ${aadSize}`;
    const sealed = aesGcmEncrypt(key, iv, pt, aad);
    assertEquals(hex(sealed), hex(await subtleSeal(key, iv, pt, aad)), `${label}: core seals as WebCrypto does`);
    assert(sameBytes(await subtleOpen(key, iv, sealed, aad), pt), `${label}: WebCrypto opens the core's output`);
    assert(sameBytes(aesGcmDecrypt(key, iv, sealed, aad), pt), `${label}: core opens its own output`);
  }

  // A tag that WebCrypto made but with one bit flipped, and a wrong AAD, must not open in the core.
  const [key, iv, pt, aad] = [random(32), random(12), random(100), random(10)];
  const sealed = await subtleSeal(key, iv, pt, aad);
  for (const bit of [0, 8 * 100, 8 * sealed.length - 1]) {
    assert(
      (await thrown(() => aesGcmDecrypt(key, iv, flip(sealed, bit), aad), `bit ${bit}`)) instanceof AuthenticationError,
      `bit ${bit} flipped is refused`,
    );
  }
  assert(
    (await thrown(() => aesGcmDecrypt(key, iv, sealed, flip(aad, 3)), "aad")) instanceof AuthenticationError,
    "a changed AAD is refused",
  );
  report("aes-gcm-webcrypto", { cases: cases.length });
});

Deno.test("AesGcmStream in random chunks produces WebCrypto's ciphertext and tag and verifies them back", async () => {
  let messages = 0;
  for (const [keySize, ivSize, length] of [
    [32, 12, 200_000],
    [16, 12, 1234],
    [32, 16, 999],
    [16, 12, 0],
  ] as const) {
    const [key, iv, pt, aad] = [random(keySize), random(ivSize), random(length), random(100)];
    const expected = await subtleSeal(key, iv, pt, aad);
    const enc = new AesGcmStream(key, iv).aad(aad.subarray(0, 37)).aad(aad.subarray(37));
    const parts: Uint8Array[] = [];
    for (let at = 0; at < length; ) {
      const n = Math.min(length - at, randomInt(300) === 0 ? 66_000 : randomInt(200));
      parts.push(enc.encrypt(pt.subarray(at, at + n)));
      at += n;
    }
    const ciphertext = concat(...parts);
    const tag = enc.finish();
    assertEquals(hex(ciphertext) + hex(tag), hex(expected), `stream of ${length} bytes`);

    const dec = new AesGcmStream(key, iv).aad(aad);
    const split = Math.min(17, length);
    const plain = concat(dec.decrypt(ciphertext.subarray(0, split)), dec.decrypt(ciphertext.subarray(split)));
    dec.verify(tag);
    assert(sameBytes(plain, pt), `stream of ${length} bytes decrypts`);
    messages++;
  }
  report("aes-gcm-stream", { messages });
});

/** Feeds `data` to an incremental hash in random pieces. */
function inPieces(hash: { update(data: Uint8Array): unknown }, data: Uint8Array): void {
  for (let at = 0; at < data.length; ) {
    const n = Math.min(data.length - at, randomInt(3) === 0 ? 70_000 : randomInt(130));
    hash.update(data.subarray(at, at + n));
    at += n;
  }
}

Deno.test("SHA-256, one-shot and incremental, agrees with WebCrypto's digest around every block and buffer boundary", async () => {
  const lengths = [...Array(201).keys(), 1000, 65535, 65536, 65537, 131_072 + 55, 1 << 20];
  for (const length of lengths) {
    const data = random(length);
    const expected = hex(await crypto.subtle.digest("SHA-256", data));
    assertEquals(hex(sha256(data)), expected, `sha256 of ${length} bytes`);
    const incremental = new Sha256();
    inPieces(incremental, data);
    assertEquals(hex(incremental.digest()), expected, `Sha256 of ${length} bytes in pieces`);
  }
  report("sha256-webcrypto", { lengths: lengths.length });
});

Deno.test("HMAC-SHA256, one-shot and incremental, agrees with WebCrypto for keys shorter than, equal to and longer than a block", async () => {
  const keyLengths = [...Array(100).keys()].map((i) => i + 1).concat([128, 200, 1000]);
  for (const keyLength of keyLengths) {
    const [key, data] = [random(keyLength), random(keyLength % 3 === 0 ? 70_000 + keyLength : keyLength * 3)];
    const k = await crypto.subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    const expected = hex(await crypto.subtle.sign("HMAC", k, data));
    assertEquals(hex(hmacSha256(key, data)), expected, `hmac with a ${keyLength}-byte key`);
    const incremental = new HmacSha256(key);
    inPieces(incremental, data);
    assertEquals(hex(incremental.digest()), expected, `HmacSha256 with a ${keyLength}-byte key in pieces`);
  }
  report("hmac-webcrypto", { keys: keyLengths.length });
});

Deno.test("HKDF-SHA256 agrees with WebCrypto's deriveBits for random inputs up to the 8160-byte maximum and refuses more", async () => {
  const lengths = [1, 16, 31, 32, 33, 42, 64, 100, 255, 4096, 8160];
  let cases = 0;
  for (const length of lengths) {
    for (const [ikmSize, saltSize, infoSize] of [
      [0, 0, 0],
      [22, 13, 10],
      [80, 80, 80],
      [32, 0, 70_000],
    ]) {
      const [ikm, salt, info] = [random(ikmSize!), random(saltSize!), random(infoSize!)];
      const k = await crypto.subtle.importKey("raw", ikm, "HKDF", false, ["deriveBits"]);
      const expected = hex(await crypto.subtle.deriveBits({ name: "HKDF", hash: "SHA-256", salt, info }, k, length * 8));
      assertEquals(
        hex(hkdfSha256(ikm, salt, info, length)),
        expected,
        `hkdf ${length} bytes, ikm ${ikmSize}, salt ${saltSize}, info ${infoSize}`,
      );
      cases++;
    }
  }
  assert(
    (await thrown(() => hkdfSha256(random(32), random(0), random(0), 8161), "8161 bytes")) instanceof RangeError,
    "8161 bytes is refused",
  );
  report("hkdf-webcrypto", { cases });
});

Deno.test("HMAC-SHA224/384/512 match every valid Wycheproof vector and reject every invalid one", async () => {
  const counts: Record<string, unknown> = {};
  for (const bits of [224, 384, 512]) {
    const file = new URL(`../vectors/wycheproof/hmac_sha${bits}_test.json`, import.meta.url);
    const vectors = JSON.parse(await Deno.readTextFile(file)) as MacFile;
    const { failures, ...run } = runMacVectors(vectors);
    assertEquals(failures, [], `${vectors.algorithm}: every vector behaves as the file says`);
    assertEquals(run, EXPECTED_MAC_COUNTS[vectors.algorithm as MacName], `${vectors.algorithm} counts`);
    counts[vectors.algorithm] = run.valid + run.invalid;
  }
  report("wycheproof-hmac-sha2", counts);
});

Deno.test("SHA-224/384/512, HMAC-SHA384/512 and HKDF-SHA512 agree with Deno's WebCrypto (SHA-224: @noble/hashes)", async () => {
  const lengths = [...Array(301).keys(), 65535, 65536, 65537, 1 << 20];
  for (const length of lengths) {
    const data = random(length);
    assertEquals(hex(sha224(data)), hex(nobleSha224(data)), `sha224 of ${length} bytes`);
    for (const [name, oneShot, Incremental] of [
      ["SHA-384", sha384, Sha384],
      ["SHA-512", sha512, Sha512],
    ] as const) {
      const expected = hex(await crypto.subtle.digest(name, data));
      assertEquals(hex(oneShot(data)), expected, `${name} of ${length} bytes`);
      if (length % 37 === 0 || length > 65535) {
        const incremental = new Incremental();
        inPieces(incremental, data);
        assertEquals(hex(incremental.digest()), expected, `${name} of ${length} bytes in pieces`);
      }
    }
    if (length % 37 === 0 || length > 65535) {
      const incremental = new Sha224();
      inPieces(incremental, data);
      assertEquals(hex(incremental.digest()), hex(nobleSha224(data)), `SHA-224 of ${length} bytes in pieces`);
    }
  }
  const keyLengths = [1, 47, 48, 127, 128, 129, 1000, 70_000];
  for (const keyLength of keyLengths) {
    const [key, data] = [random(keyLength), random(keyLength * 3)];
    for (const [hash, oneShot, Incremental] of [
      ["SHA-384", hmacSha384, HmacSha384],
      ["SHA-512", hmacSha512, HmacSha512],
    ] as const) {
      const k = await crypto.subtle.importKey("raw", key, { name: "HMAC", hash }, false, ["sign"]);
      const expected = hex(await crypto.subtle.sign("HMAC", k, data));
      assertEquals(hex(oneShot(key, data)), expected, `HMAC-${hash} with a ${keyLength}-byte key`);
      const incremental = new Incremental(key);
      inPieces(incremental, data);
      assertEquals(hex(incremental.digest()), expected, `HMAC-${hash} with a ${keyLength}-byte key in pieces`);
    }
  }
  let derivations = 0;
  for (const length of [1, 32, 64, 65, 100, 1000, 16320]) {
    for (const [ikmSize, saltSize, infoSize] of [
      [0, 0, 0],
      [32, 32, 11],
      [80, 200, 80],
      [32, 0, 70_000],
    ]) {
      const [ikm, salt, info] = [random(ikmSize!), random(saltSize!), random(infoSize!)];
      const k = await crypto.subtle.importKey("raw", ikm, "HKDF", false, ["deriveBits"]);
      const expected = hex(await crypto.subtle.deriveBits({ name: "HKDF", hash: "SHA-512", salt, info }, k, length * 8));
      assertEquals(
        hex(hkdfSha512(ikm, salt, info, length)),
        expected,
        `hkdf-sha512 ${length} bytes, ikm ${ikmSize}, salt ${saltSize}, info ${infoSize}`,
      );
      derivations++;
    }
  }
  assert(
    (await thrown(() => hkdfSha512(random(32), random(0), random(0), 16321), "16321 bytes")) instanceof RangeError,
    "16321 bytes is refused",
  );
  report("sha512-family-webcrypto", { lengths: lengths.length, keys: keyLengths.length, derivations });
});

const ARN = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const CONTEXT = encodeEncryptionContext({ purpose: "deno test", department: "10103.0" });
const INFO = new TextEncoder().encode("EdgeKMS ciphertext v1");

/** Opens a blob with WebCrypto by the byte table in src/crypto/envelope.ts (AAD = header || context). */
async function subtleOpenBlob(backingKey: Uint8Array, blob: Uint8Array, context: Uint8Array): Promise<Uint8Array> {
  const l = blob[1]!;
  const [header, salt, iv, sealed] = [
    blob.subarray(0, 34 + l),
    blob.subarray(6 + l, 22 + l),
    blob.subarray(22 + l, 34 + l),
    blob.subarray(34 + l),
  ];
  const ikm = await crypto.subtle.importKey("raw", owned(backingKey), "HKDF", false, ["deriveBits"]);
  const messageKey = new Uint8Array(
    await crypto.subtle.deriveBits({ name: "HKDF", hash: "SHA-256", salt: owned(salt), info: INFO }, ikm, 256),
  );
  return subtleOpen(messageKey, iv, sealed, concat(header, context));
}

Deno.test("the ciphertext blob round-trips, opens in WebCrypto by its byte table, and refuses every bit flip, truncation and other context", async () => {
  const backingKey = random(32);
  let roundTrips = 0;
  for (const length of [1, 16, 17, 100, 1024, 4096]) {
    for (const context of [encodeEncryptionContext({}), CONTEXT]) {
      const plaintext = random(length);
      const blob = sealCiphertext(backingKey, { keyArn: ARN, backingKeyVersion: 3 }, context, plaintext);
      assertEquals(readCiphertextHeader(blob), { keyArn: ARN, backingKeyVersion: 3 }, "header routes to the key");
      assert(sameBytes(openCiphertext(backingKey, blob, context)!, plaintext), `blob of ${length} bytes opens`);
      assert(sameBytes(await subtleOpenBlob(backingKey, blob, context), plaintext), `WebCrypto opens the blob of ${length} bytes`);
      roundTrips++;
    }
  }

  const blob = sealCiphertext(backingKey, { keyArn: ARN, backingKeyVersion: 1 }, CONTEXT, random(40));
  let refused = 0;
  for (let bit = 0; bit < blob.length * 8; bit++) {
    assertEquals(openCiphertext(backingKey, flip(blob, bit), CONTEXT), undefined, `bit ${bit} flipped`);
    refused++;
  }
  for (let length = 0; length < blob.length; length++) {
    assertEquals(openCiphertext(backingKey, blob.subarray(0, length), CONTEXT), undefined, `truncated to ${length}`);
    refused++;
  }
  for (const other of [encodeEncryptionContext({}), encodeEncryptionContext({ purpose: "deno test" })]) {
    assertEquals(openCiphertext(backingKey, blob, other), undefined, "another encryption context");
    refused++;
  }
  assertEquals(openCiphertext(random(32), blob, CONTEXT), undefined, "another backing key");
  refused++;
  report("ciphertext-blob", { roundTrips, refused });
});
