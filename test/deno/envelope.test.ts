/**
 * The envelope-encryption client (src/envelope/) in Deno against a REAL local EdgeKMS worker over
 * HTTP: src/envelope/aws-sdk.ts over the official @aws-sdk/client-kms, which Deno resolves from the
 * repository's node_modules (test/deno/deno.json: nodeModulesDir "manual", so nothing is fetched).
 * Run by test/e2e/deno.test.ts, which starts the worker, as
 *
 *   deno test --config test/deno/deno.json --allow-net=127.0.0.1:<port> --allow-env
 *     --allow-sys=osRelease test/deno/envelope.test.ts -- <worker url>
 *
 * (the SDK reads its AWS_* settings from the environment and the OS release for its User-Agent;
 * the credentials are the README's test identities, given explicitly). Covers round trips whole and streamed (0 B,
 * frame boundaries, a few MiB) with both ciphers, messages of one cipher opened by the other,
 * tamper detection locally (frames, header, truncation, appended data, encryption context) and at
 * KMS (a changed encrypted data key), and KMS errors passing through by name — for EdgeKMS's
 * earlier format (edgekms-v1) — and, for the AWS Encryption SDK format written by default, round
 * trips of both suites EdgeKMS writes and the shared tamper cases of test/common/esdk-tamper.ts.
 */
import { CreateAliasCommand, CreateKeyCommand, KMSClient } from "@aws-sdk/client-kms";
import { awsSdkTransport } from "../../src/envelope/aws-sdk.ts";
import { EnvelopeClient, webCryptoCipher, type EnvelopeClientOptions, type KmsTransport } from "../../src/envelope/index.ts";
import { assert, assertEquals, concat, Deno, flip, random, randomInt, report, sameBytes, thrown } from "./support.ts";
import { runEsdkTamperCases } from "../common/esdk-tamper.ts";
import { inProcessKms } from "../unit/envelope/in-process-kms.ts";

const endpoint = Deno.args[0];
assert(endpoint?.startsWith("http://127.0.0.1:"), "usage: deno test ... envelope.test.ts -- http://127.0.0.1:<port>");

function kmsClient(identity = "test"): KMSClient {
  return new KMSClient({
    endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: identity, secretAccessKey: identity },
    maxAttempts: 1,
  });
}

/** The SDK transport, with a record of which KMS calls failed and how (names only). */
function recorded(identity = "test"): KmsTransport & { failures: string[]; calls: number } {
  const inner = awsSdkTransport(kmsClient(identity));
  const log = { failures: [] as string[], calls: 0 };
  const wrap = async <T>(call: () => Promise<T>): Promise<T> => {
    log.calls++;
    try {
      return await call();
    } catch (err) {
      log.failures.push((err as Error).name);
      throw err;
    }
  };
  return Object.assign(log, {
    generateDataKey: (input: Parameters<KmsTransport["generateDataKey"]>[0]) => wrap(() => inner.generateDataKey(input)),
    decrypt: (input: Parameters<KmsTransport["decrypt"]>[0]) => wrap(() => inner.decrypt(input)),
  });
}

const admin = kmsClient();
const keyArn = (await admin.send(new CreateKeyCommand({ Description: "deno envelope test" }))).KeyMetadata!.Arn!;
await admin.send(new CreateAliasCommand({ AliasName: "alias/deno-envelope", TargetKeyId: keyArn }));

const context = { runtime: "deno", purpose: "e2e" };
const FRAME = 4096;

function envelope(options: Partial<EnvelopeClientOptions> = {}, kms: KmsTransport = recorded()): EnvelopeClient {
  return new EnvelopeClient({ format: "edgekms-v1", kms, keyId: "alias/deno-envelope", frameSize: FRAME, ...options });
}

/** A readable stream of `data` in random chunks of 1 byte to 3 frames. */
function chunked(data: Uint8Array): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (at >= data.length) return controller.close();
      const n = 1 + randomInt(3 * FRAME);
      controller.enqueue(data.slice(at, at + n));
      at += n;
    },
  });
}

async function collect(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

const SIZES = [0, 1, FRAME - 1, FRAME, FRAME + 1, 3 * FRAME, 3 * 1024 * 1024 + 5];

Deno.test("round-trips 0 B, frame boundaries and 3 MiB, whole and streamed, with the WebAssembly core and with WebCrypto", async () => {
  let roundTrips = 0;
  for (const [name, options] of [
    ["wasm", {}],
    ["webcrypto", { cipher: webCryptoCipher }],
  ] as const) {
    const client = envelope(options);
    for (const size of SIZES) {
      const data = random(size);
      const sealed = await client.encrypt(data, { encryptionContext: context });
      const opened = await client.decrypt(sealed, { encryptionContext: context });
      assert(sameBytes(opened.plaintext, data), `${name}: ${size} bytes round-trip whole`);
      assertEquals(opened.keyId, keyArn, `${name}: KMS names the key that opened the data key`);
      assertEquals(opened.encryptionContext, context, `${name}: the message carries its context`);

      const streamed = await collect(chunked(data).pipeThrough(client.encryptStream({ encryptionContext: context })));
      const decrypting = client.decryptStream({ encryptionContext: context });
      assert(sameBytes(await collect(chunked(streamed).pipeThrough(decrypting)), data), `${name}: ${size} bytes round-trip streamed`);
      assertEquals((await decrypting.info).keyId, keyArn, `${name}: the stream reports the key`);
      assert(sameBytes((await client.decrypt(streamed)).plaintext, data), `${name}: a streamed message opens whole`);
      roundTrips += 2;
    }
  }
  report("envelope-round-trips", { roundTrips, sizes: SIZES });
});

Deno.test("messages sealed by the WebAssembly core open with WebCrypto and the other way round", async () => {
  const [wasm, web] = [envelope(), envelope({ cipher: webCryptoCipher })];
  const data = random(5 * FRAME + 7);
  assert(sameBytes((await web.decrypt(await wasm.encrypt(data))).plaintext, data), "wasm → webcrypto");
  assert(sameBytes((await wasm.decrypt(await web.encrypt(data))).plaintext, data), "webcrypto → wasm");
});

/** Offsets in a message by the byte table of src/envelope/format.ts. */
function layout(message: Uint8Array) {
  const view = new DataView(message.buffer, message.byteOffset, message.byteLength);
  let at = 76 + view.getUint16(74);
  const firstKey = at + 1 + 2; // after N and the first key's u16 length
  at += 1;
  for (let i = 0, n = message[at - 1]!; i < n; i++) at += 2 + view.getUint16(at);
  return { firstKey, headerEnd: at + 16 };
}

/** Decrypts `message` both ways; returns the error names (whole, stream) and whether the stream released anything unverified. */
async function refusal(client: EnvelopeClient, message: Uint8Array, expected = context) {
  const whole = (await thrown(() => client.decrypt(message, { encryptionContext: expected }), "whole decrypt")) as Error;
  const stream = (await thrown(
    () => collect(chunked(message).pipeThrough(client.decryptStream({ encryptionContext: expected }))),
    "stream decrypt",
  )) as Error;
  return [whole.name, stream.name];
}

Deno.test("detects tampering: changed frames and header, truncation, appended data and another context are InvalidCiphertextException", async () => {
  const kms = recorded();
  const client = envelope({}, kms);
  const data = random(4 * FRAME + 100);
  const message = await client.encrypt(data, { encryptionContext: context });
  const { headerEnd } = layout(message);
  const cases: Record<string, Uint8Array> = {
    "a bit of the magic": flip(message, 0),
    "a bit of the message ID": flip(message, 8 * 10),
    "a bit of the frame size": flip(message, 8 * 73),
    "a bit of the header tag": flip(message, 8 * headerEnd - 1),
    "a bit of the first frame": flip(message, 8 * (headerEnd + 20)),
    "a bit of the final frame's tag": flip(message, 8 * message.length - 1),
    "the final frame dropped": message.subarray(0, message.length - (4 + 4 + 4 + 100 + 16)),
    "one byte cut": message.subarray(0, message.length - 1),
    "the header only": message.subarray(0, headerEnd),
    "a byte appended": concat(message, new Uint8Array(1)),
  };
  for (const [what, tampered] of Object.entries(cases)) {
    assertEquals(await refusal(client, tampered), ["InvalidCiphertextException", "InvalidCiphertextException"], what);
  }
  assertEquals(
    await refusal(client, message, { ...context, runtime: "node" }),
    ["InvalidCiphertextException", "InvalidCiphertextException"],
    "another context",
  );
  assertEquals(kms.failures, [], "every one of these was caught by the client, not by KMS");
  assert(sameBytes((await client.decrypt(message, { encryptionContext: context })).plaintext, data), "the untouched message still opens");
  report("envelope-tamper", { cases: Object.keys(cases).length + 1 });
});

Deno.test("a changed encrypted data key is refused by the real EdgeKMS with InvalidCiphertextException, which passes through", async () => {
  const kms = recorded();
  const client = envelope({}, kms);
  const message = await client.encrypt(random(1000), { encryptionContext: context });
  const tampered = flip(message, 8 * (layout(message).firstKey + 40));
  assertEquals(await refusal(client, tampered), ["InvalidCiphertextException", "InvalidCiphertextException"], "changed data key");
  assertEquals(kms.failures, ["InvalidCiphertextException", "InvalidCiphertextException"], "KMS Decrypt refused the data key both times");
  report("envelope-kms-tamper", { kmsRefusals: kms.failures.length });
});

Deno.test("KMS errors pass through by name: an unknown alias is NotFoundException, an identity without a policy AccessDeniedException", async () => {
  const missing = (await thrown(() => envelope({ keyId: "alias/deno-missing" }).encrypt(random(10)), "unknown alias")) as Error;
  assertEquals(missing.name, "NotFoundException", "unknown alias");
  const alice = (await thrown(() => envelope({}, recorded("alice")).encrypt(random(10)), "alice")) as Error;
  assertEquals(alice.name, "AccessDeniedException", "alice has no policy granting kms:GenerateDataKey");
});

Deno.test("AWS Encryption SDK messages (the default format) round-trip against the worker for both suites EdgeKMS writes, whole and streamed", async () => {
  let roundTrips = 0;
  for (const algorithmSuite of ["ALG_AES256_GCM_HKDF_SHA512_COMMIT_KEY", "ALG_AES256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384"] as const) {
    const client = new EnvelopeClient({ kms: recorded(), keyId: "alias/deno-envelope", algorithmSuite });
    for (const size of SIZES) {
      const data = random(size);
      const sealed = await client.encrypt(data, { encryptionContext: context });
      assert(sealed[0] === 0x02, "message format version 2");
      const opened = await client.decrypt(sealed, { encryptionContext: context });
      assert(sameBytes(opened.plaintext, data), `${algorithmSuite}: ${size} bytes round-trip whole`);
      assertEquals(
        [opened.keyId, opened.algorithmSuite, opened.format],
        [keyArn, algorithmSuite, "aws-encryption-sdk"],
        "the message names its key and suite",
      );
      const streamed = await collect(chunked(data).pipeThrough(client.encryptStream({ encryptionContext: context })));
      assert(
        sameBytes(await collect(chunked(streamed).pipeThrough(client.decryptStream({ encryptionContext: context }))), data),
        `${algorithmSuite}: ${size} bytes streamed`,
      );
      roundTrips += 2;
    }
  }
  report("esdk-round-trips", { roundTrips });
});

Deno.test("AWS Encryption SDK messages refuse every truncation, modification, reordering and wrong context (in-process KMS)", async () => {
  const refused: Record<string, number> = {};
  for (const suite of ["ALG_AES256_GCM_HKDF_SHA512_COMMIT_KEY", "ALG_AES256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384"] as const) {
    const run = await runEsdkTamperCases(inProcessKms(), suite);
    assertEquals(run.failures, [], `${suite}: every case behaves`);
    for (const [name, n] of Object.entries(run.refused)) refused[name] = (refused[name] ?? 0) + n;
  }
  report("esdk-tamper", { reorder: refused.reorder, duplicate: refused.duplicate, context: refused.context, streams: refused.streams });
});
