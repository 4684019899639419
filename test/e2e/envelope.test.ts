/**
 * The envelope client over HTTP (src/envelope/aws-sdk.ts over @aws-sdk/client-kms) against a real
 * local EdgeKMS: round trips whole and streamed, with both ciphers (the WebAssembly core runs in a
 * child process through scripts/run-ts.mjs, since this tier's Node environment loads no
 * WebAssembly), the encryption context, authorization (alice, charlie, another account), several
 * KMS keys per message with one of them disabled, and data-key caching saving KMS calls.
 */
import { spawnSync } from "node:child_process";
import { CreateAliasCommand, CreateKeyCommand, DisableKeyCommand, EnableKeyCommand, PutKeyPolicyCommand } from "@aws-sdk/client-kms";
import { beforeAll, describe, expect, it } from "vitest";
import { awsSdkTransport } from "../../src/envelope/aws-sdk.ts";
import { webCryptoCipher } from "../../src/envelope/cipher.ts";
import { EnvelopeClient } from "../../src/envelope/client.ts";
import type { KmsTransport } from "../../src/envelope/transport.ts";
import { useLocalWorker, type Identity } from "./support.ts";

const worker = useLocalWorker();
let first: string;
let second: string;

beforeAll(async () => {
  const kms = worker.client();
  first = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!.Arn!;
  second = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!.Arn!;
  await kms.send(new CreateAliasCommand({ AliasName: "alias/envelope", TargetKeyId: first }));
});

function envelope(identity: Identity = "test", options: Partial<ConstructorParameters<typeof EnvelopeClient>[0]> = {}) {
  return new EnvelopeClient({
    kms: awsSdkTransport(worker.client(identity)),
    keyId: "alias/envelope",
    cipher: webCryptoCipher,
    ...options,
  });
}

const random = (n: number) => {
  const out = new Uint8Array(n);
  for (let at = 0; at < n; at += 65536) crypto.getRandomValues(out.subarray(at, Math.min(n, at + 65536)));
  return out;
};
const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));
const context = { purpose: "e2e" };

describe("over HTTP with the AWS SDK", () => {
  it("round-trips messages at frame boundaries, whole and streamed", async () => {
    const client = envelope("test", { frameSize: 1000 });
    for (const size of [0, 1, 999, 1000, 1001, 10_000, 1 << 20]) {
      const data = random(size);
      const sealed = await client.encrypt(data, { encryptionContext: context });
      const opened = await client.decrypt(sealed, { encryptionContext: context });
      expect(same(opened.plaintext, data)).toBe(true);
      expect(opened.keyId).toBe(first);
      const streamed = await new Response(
        new Response(data).body!.pipeThrough(client.encryptStream({ encryptionContext: context })),
      ).arrayBuffer();
      const back = await new Response(new Response(streamed).body!.pipeThrough(client.decryptStream())).arrayBuffer();
      expect(same(new Uint8Array(back), data)).toBe(true);
    }
  });

  it("the WebAssembly core's messages (child process) and WebCrypto's open each other over the same KMS", () => {
    const run = spawnSync("node", ["scripts/run-ts.mjs", "test/e2e/fixtures/envelope-wasm-client.ts", worker.url, first], {
      cwd: new URL("../..", import.meta.url),
      encoding: "utf8",
      timeout: 60_000,
    });
    const line = run.stdout.trim().split("\n").at(-1)!;
    const result = JSON.parse(line) as { ok: number[]; message?: string; sample?: string };
    expect(result.message).toBeUndefined();
    expect(result.ok).toEqual([0, 1, 4095, 4096, 4097, 1 << 20]);
    return envelope()
      .decrypt(new Uint8Array(Buffer.from(result.sample!, "base64")), { encryptionContext: { from: "wasm" } })
      .then(({ plaintext }) => expect(new TextDecoder().decode(plaintext)).toBe("from the wasm core"));
  }, 90_000);

  it("the encryption context binds: another context is refused, and so is a rewritten one at KMS", async () => {
    const sealed = await envelope().encrypt(random(100), { encryptionContext: context });
    await expect(envelope().decrypt(sealed, { encryptionContext: { purpose: "other" } })).rejects.toMatchObject({
      name: "InvalidCiphertextException",
    });
    const forged = sealed.slice();
    forged[forged.indexOf("e".charCodeAt(0), 76)] = "f".charCodeAt(0); // one context byte changed, same length
    // The header's tag would catch it too; KMS refuses the data key first (its context changed).
    await expect(envelope().decrypt(forged)).rejects.toMatchObject({ name: "InvalidCiphertextException" });
  });

  it("authorization applies to the data key: alice (no policy) cannot encrypt, charlie (deny) cannot decrypt, another account cannot use the key", async () => {
    const sealed = await envelope("bob").encrypt(random(10));
    await expect(envelope("alice").encrypt(random(10))).rejects.toMatchObject({ name: "AccessDeniedException" });
    await expect(envelope("charlie").decrypt(sealed)).rejects.toMatchObject({ name: "AccessDeniedException" });
    const external = envelope("external", { keyId: first });
    await expect(external.encrypt(random(10))).rejects.toMatchObject({ name: "AccessDeniedException" });
    await expect(external.decrypt(sealed)).rejects.toMatchObject({ name: "AccessDeniedException" });
  });

  it("a message under two keys still opens when one key is disabled, by either key", async () => {
    const client = envelope("test", { keyId: first, additionalKeyIds: [second] });
    const data = random(5000);
    const sealed = await client.encrypt(data);
    for (const disabled of [first, second]) {
      await worker.client().send(new DisableKeyCommand({ KeyId: disabled }));
      try {
        const opened = await client.decrypt(sealed);
        expect(same(opened.plaintext, data)).toBe(true);
        expect(opened.keyId).toBe(disabled === first ? second : first);
      } finally {
        await worker.client().send(new EnableKeyCommand({ KeyId: disabled }));
      }
    }
  });

  it("with caching on, ten messages cost one GenerateDataKey and one Decrypt", async () => {
    const calls = { generateDataKey: 0, decrypt: 0 };
    const inner = awsSdkTransport(worker.client());
    const counting: KmsTransport = {
      generateDataKey: (input) => (calls.generateDataKey++, inner.generateDataKey(input)),
      decrypt: (input) => (calls.decrypt++, inner.decrypt(input)),
    };
    const client = new EnvelopeClient({
      kms: counting,
      keyId: first,
      cipher: webCryptoCipher,
      cache: { maxAgeMs: 60_000, maxMessages: 10 },
    });
    const data = random(1000);
    const messages = [];
    for (let i = 0; i < 10; i++) messages.push(await client.encrypt(data, { encryptionContext: context }));
    for (const m of messages) expect(same((await client.decrypt(m, { encryptionContext: context })).plaintext, data)).toBe(true);
    expect(calls).toEqual({ generateDataKey: 1, decrypt: 1 });
    await client.encrypt(data, { encryptionContext: context });
    expect(calls.generateDataKey).toBe(2);
  });

  it("a key policy that stops allowing decryption stops the envelope client too", async () => {
    const kms = worker.client();
    const key = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!.Arn!;
    const client = envelope("test", { keyId: key });
    const sealed = await client.encrypt(random(10));
    const policy = {
      Version: "2012-10-17",
      Statement: [
        { Sid: "Admin", Effect: "Allow", Principal: { AWS: "arn:aws:iam::111122223333:root" }, Action: "kms:*", Resource: "*" },
        { Sid: "NoDecrypt", Effect: "Deny", Principal: { AWS: "*" }, Action: "kms:Decrypt", Resource: "*" },
      ],
    };
    await kms.send(new PutKeyPolicyCommand({ KeyId: key, PolicyName: "default", Policy: JSON.stringify(policy) }));
    await expect(client.decrypt(sealed)).rejects.toMatchObject({ name: "AccessDeniedException" });
  });
});
