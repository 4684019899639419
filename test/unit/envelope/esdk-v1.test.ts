/**
 * Version 1 AWS Encryption SDK messages — non-framed and framed, without key derivation, with
 * HKDF-SHA256, and signed with ECDSA P-384 — built here with node:crypto by the byte tables of the
 * specification (data-format/message-header.md, message-body.md, message-footer.md), independently
 * of src/envelope/esdk/, then read by the envelope client. The official JavaScript SDK (see
 * test/e2e/envelope-interop.test.ts) writes framed messages only; older SDKs (Python, Java, C) also
 * wrote non-framed ones, which these cover. The data keys are wrapped by the in-process KMS.
 */
import { createCipheriv, generateKeyPairSync, hkdfSync, randomBytes, sign, type CipherGCM } from "node:crypto";
import { describe, expect, it } from "vitest";
import { EnvelopeClient } from "../../../src/envelope/index.ts";
import { inProcessKms } from "./in-process-kms.ts";
import { collect, chunked, expectBytes, expectInvalid } from "./support.ts";

const utf8 = (s: string) => Buffer.from(s, "utf8");
const u16 = (n: number) => Buffer.from([n >> 8, n & 0xff]);
const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};
const u64 = (n: number) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
};
const prefixed = (b: Buffer) => Buffer.concat([u16(b.length), b]);

function seal(key: Buffer, iv: Buffer, plaintext: Buffer, aad: Buffer): Buffer {
  const cipher = createCipheriv(`aes-${key.length * 8}-gcm`, key, iv) as CipherGCM;
  cipher.setAAD(aad);
  return Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
}

interface V1Options {
  suiteId: number;
  keyLength: 16 | 32;
  kdf: "none" | "sha256" | "sha384";
  framed: boolean;
  signed?: boolean;
}

/** A v1 message per the specification, with its data key wrapped by `kms` under `keyId`. */
async function v1Message(
  kms: ReturnType<typeof inProcessKms>,
  keyId: string,
  plaintext: Buffer,
  context: Record<string, string>,
  o: V1Options,
) {
  const ctx = { ...context };
  let privateKey: ReturnType<typeof generateKeyPairSync>["privateKey"] | undefined;
  if (o.signed) {
    const pair = generateKeyPairSync("ec", { namedCurve: "secp384r1" });
    privateKey = pair.privateKey;
    const jwk = pair.publicKey.export({ format: "jwk" });
    const x = Buffer.from(jwk.x!, "base64url");
    const y = Buffer.from(jwk.y!, "base64url");
    ctx["aws-crypto-public-key"] = Buffer.concat([Buffer.from([2 | (y[y.length - 1]! & 1)]), x]).toString("base64");
  }
  const dataKey = randomBytes(o.keyLength);
  const wrapped = await kms.encrypt!({ KeyId: keyId, Plaintext: new Uint8Array(dataKey), EncryptionContext: ctx });
  const messageId = randomBytes(16);
  const suite = u16(o.suiteId);
  const key =
    o.kdf === "none" ? dataKey : Buffer.from(hkdfSync(o.kdf, dataKey, Buffer.alloc(0), Buffer.concat([suite, messageId]), o.keyLength));
  const pairs = Object.keys(ctx)
    .sort((a, b) => Buffer.compare(utf8(a), utf8(b)))
    .map((k) => Buffer.concat([prefixed(utf8(k)), prefixed(utf8(ctx[k]!))]));
  const aad = pairs.length ? Buffer.concat([u16(pairs.length), ...pairs]) : Buffer.alloc(0);
  const edk = Buffer.concat([prefixed(utf8("aws-kms")), prefixed(utf8(keyId)), prefixed(Buffer.from(wrapped.CiphertextBlob!))]);
  const frameLength = o.framed ? 64 : 0;
  const body = Buffer.concat([
    Buffer.from([1, 0x80]),
    suite,
    messageId,
    prefixed(aad),
    u16(1),
    edk,
    Buffer.from([o.framed ? 2 : 1]),
    u32(0),
    Buffer.from([12]),
    u32(frameLength),
  ]);
  const headerIv = Buffer.alloc(12);
  const header = Buffer.concat([body, headerIv, seal(key, headerIv, Buffer.alloc(0), body)]);
  const parts: Buffer[] = [header];
  const bodyAad = (content: string, seq: number, len: number) => Buffer.concat([messageId, utf8(content), u32(seq), u64(len)]);
  if (!o.framed) {
    const iv = randomBytes(12);
    const sealed = seal(key, iv, plaintext, bodyAad("AWSKMSEncryptionClient Single Block", 1, plaintext.length));
    parts.push(iv, u64(plaintext.length), sealed);
  } else {
    let seq = 1;
    let at = 0;
    for (; plaintext.length - at > frameLength; at += frameLength, seq++) {
      const iv = Buffer.concat([Buffer.alloc(8), u32(seq)]);
      parts.push(
        u32(seq),
        iv,
        seal(key, iv, plaintext.subarray(at, at + frameLength), bodyAad("AWSKMSEncryptionClient Frame", seq, frameLength)),
      );
    }
    const rest = plaintext.subarray(at);
    const iv = Buffer.concat([Buffer.alloc(8), u32(seq)]);
    parts.push(
      u32(0xffffffff),
      u32(seq),
      iv,
      u32(rest.length),
      seal(key, iv, rest, bodyAad("AWSKMSEncryptionClient Final Frame", seq, rest.length)),
    );
  }
  if (privateKey) {
    const signature = sign("sha384", Buffer.concat(parts), privateKey);
    parts.push(prefixed(signature));
  }
  return new Uint8Array(Buffer.concat(parts));
}

const CASES: [string, V1Options][] = [
  ["non-framed, AES-256, HKDF-SHA256 (0x0178)", { suiteId: 0x0178, keyLength: 32, kdf: "sha256", framed: false }],
  ["non-framed, AES-128, no KDF (0x0014)", { suiteId: 0x0014, keyLength: 16, kdf: "none", framed: false }],
  ["framed, AES-128, HKDF-SHA256 (0x0114)", { suiteId: 0x0114, keyLength: 16, kdf: "sha256", framed: true }],
  [
    "non-framed, AES-256, HKDF-SHA384, ECDSA P-384 (0x0378)",
    { suiteId: 0x0378, keyLength: 32, kdf: "sha384", framed: false, signed: true },
  ],
  ["framed, AES-256, HKDF-SHA384, ECDSA P-384 (0x0378)", { suiteId: 0x0378, keyLength: 32, kdf: "sha384", framed: true, signed: true }],
];

describe.each(CASES)("a version 1 message, %s", (_name, options) => {
  it("opens whole and streamed under REQUIRE_ENCRYPT_ALLOW_DECRYPT, and is refused under the default policy", async () => {
    const kms = inProcessKms();
    const keyId = kms.createKey();
    for (const size of [0, 1, 64, 65, 1000]) {
      const data = randomBytes(size);
      const message = await v1Message(kms, keyId, data, { tenant: "t1" }, options);
      const allow = new EnvelopeClient({ kms, commitmentPolicy: "REQUIRE_ENCRYPT_ALLOW_DECRYPT" });
      const whole = await allow.decrypt(message, { encryptionContext: { tenant: "t1" } });
      expectBytes(whole.plaintext, data);
      expect(whole.frameSize).toBe(options.framed ? 64 : 0);
      expectBytes(await collect(chunked(message, [7, 100]).pipeThrough(allow.decryptStream())), data);
      await expectInvalid(new EnvelopeClient({ kms }).decrypt(message));
      await expectInvalid(allow.decrypt(message, { encryptionContext: { tenant: "t2" } }));
    }
  });

  it("refuses every truncation and a flipped bit in every byte", async () => {
    const kms = inProcessKms();
    const keyId = kms.createKey();
    const message = await v1Message(kms, keyId, randomBytes(150), {}, options);
    const allow = new EnvelopeClient({ kms, commitmentPolicy: "REQUIRE_ENCRYPT_ALLOW_DECRYPT" });
    for (let length = 0; length < message.length; length++) await expectInvalid(allow.decrypt(message.subarray(0, length)));
    for (let at = 0; at < message.length; at++) {
      const flipped = message.slice();
      flipped[at]! ^= 1 << (at % 8);
      await expect(allow.decrypt(flipped)).rejects.toMatchObject({
        name: expect.stringMatching(/InvalidCiphertextException|IncorrectKeyException|NotFoundException/),
      });
    }
  });
});
