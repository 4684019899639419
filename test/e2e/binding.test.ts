/**
 * The KmsBinding service-binding entrypoint (worker/entrypoint.ts) and the example consumer
 * (examples/consumer), end to end: the binding probe (fixtures/binding-probe), the consumer and
 * EdgeKMS run together in one local wrangler/miniflare session, and every call crosses a real
 * service binding. Keys are set up over HTTP with the AWS SDK through the probe, so each test can
 * compare the binding with the JSON API on the same keys: same results, same validation, same
 * authorization and key-state errors (same AWS name and message).
 */
import {
  CreateAliasCommand,
  CreateKeyCommand,
  DecryptCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  EnableKeyCommand,
  EncryptCommand,
  GetPublicKeyCommand,
  VerifyMacCommand,
} from "@aws-sdk/client-kms";
import { createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, verify as nodeVerify } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { awsSdkTransport } from "../../src/envelope/aws-sdk.ts";
import { webCryptoCipher } from "../../src/envelope/cipher.ts";
import { EnvelopeClient } from "../../src/envelope/client.ts";
import { parseHeader } from "../../src/envelope/format.ts";
import { cloudTrailClient, lookupAll, recordOf } from "./audit-support.ts";
import { useWorkers } from "./multi-worker.ts";
import { awsError, kmsClient, utf8, type Identity } from "./support.ts";

const workers = useWorkers(["test/e2e/fixtures/binding-probe/wrangler.toml", "examples/consumer/wrangler.toml", "wrangler.toml"]);
const client = (identity: Identity = "test") => kmsClient(workers.url, identity);

let key: { KeyId: string; Arn: string };
let other: { KeyId: string; Arn: string };

beforeAll(async () => {
  const kms = client();
  const a = await kms.send(new CreateKeyCommand({ Description: "binding tests" }));
  const b = await kms.send(new CreateKeyCommand({}));
  key = { KeyId: a.KeyMetadata!.KeyId!, Arn: a.KeyMetadata!.Arn! };
  other = { KeyId: b.KeyMetadata!.KeyId!, Arn: b.KeyMetadata!.Arn! };
  // The key the example consumer is configured to use (examples/consumer/wrangler.toml).
  await kms.send(new CreateAliasCommand({ AliasName: "alias/edgekms-consumer", TargetKeyId: key.KeyId }));
});

// ---- The probe's JSON encoding of RPC arguments and results ------------------------------------------

type Wire = unknown;
const bytes = (b: Uint8Array) => ({ $bytes: Buffer.from(b).toString("base64") });
const unbytes = (w: Wire) => new Uint8Array(Buffer.from((w as { $bytes: string }).$bytes, "base64"));

interface RpcError {
  name: string;
  message: string;
  constructor: string;
  restored: { name: string; message: string };
}

async function rpc(binding: string, method: string, ...args: unknown[]): Promise<{ value?: Record<string, Wire>; error?: RpcError }> {
  const response = await fetch(`${workers.url}/rpc/${binding}/${method}`, { method: "POST", body: JSON.stringify(args) });
  expect(response.status).toBe(200);
  return (await response.json()) as { value?: Record<string, Wire>; error?: RpcError };
}

async function rpcValue(binding: string, method: string, ...args: unknown[]): Promise<Record<string, Wire>> {
  const { value, error } = await rpc(binding, method, ...args);
  if (error !== undefined) throw new Error(`expected success, got ${error.restored.name}: ${error.restored.message}`);
  return value!;
}

/** The AWS error a binding call failed with, as restoreBindingError gives it to the caller. */
async function rpcError(binding: string, method: string, ...args: unknown[]): Promise<{ name: string; message: string }> {
  const { error } = await rpc(binding, method, ...args);
  if (error === undefined) throw new Error("expected the call to fail, but it succeeded");
  return error.restored;
}

function consumer(path: string, body?: Uint8Array | ReadableStream<Uint8Array>): Promise<Response> {
  return fetch(`${workers.url}${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: { "x-probe-target": "consumer" },
    body,
    ...(body instanceof ReadableStream ? { duplex: "half" } : {}),
  } as RequestInit);
}

const random = (n: number) => {
  const out = new Uint8Array(n);
  for (let at = 0; at < n; at += 65536) crypto.getRandomValues(out.subarray(at, Math.min(n, at + 65536)));
  return out;
};
const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

// ---- The entrypoint ---------------------------------------------------------------------------------

describe("KmsBinding methods", () => {
  it("encrypt and decrypt round-trip with AWS member names, blobs as Uint8Array, and interoperate with the JSON API", async () => {
    const plaintext = utf8("over a service binding");
    const context = { purpose: "binding test" };
    const sealed = await rpcValue("KMS_ROOT", "encrypt", { KeyId: key.KeyId, Plaintext: bytes(plaintext), EncryptionContext: context });
    expect(sealed.KeyId).toBe(key.Arn);
    expect(sealed.EncryptionAlgorithm).toBe("SYMMETRIC_DEFAULT");
    const opened = await rpcValue("KMS_ROOT", "decrypt", { CiphertextBlob: sealed.CiphertextBlob, EncryptionContext: context });
    expect(same(unbytes(opened.Plaintext), plaintext)).toBe(true);
    expect(opened.KeyId).toBe(key.Arn);
    // A binding ciphertext opens over HTTP, and an HTTP ciphertext over the binding.
    const overHttp = await client().send(
      new DecryptCommand({ CiphertextBlob: unbytes(sealed.CiphertextBlob), EncryptionContext: context }),
    );
    expect(same(overHttp.Plaintext!, plaintext)).toBe(true);
    const httpSealed = await client().send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: plaintext }));
    const fromHttp = await rpcValue("KMS_ROOT", "decrypt", { CiphertextBlob: bytes(httpSealed.CiphertextBlob!) });
    expect(same(unbytes(fromHttp.Plaintext), plaintext)).toBe(true);
  });

  it("generateDataKey, generateDataKeyWithoutPlaintext, generateRandom and reEncrypt return the API's results", async () => {
    const generated = await rpcValue("KMS_ROOT", "generateDataKey", { KeyId: "alias/edgekms-consumer", KeySpec: "AES_256" });
    expect(unbytes(generated.Plaintext).length).toBe(32);
    expect(generated.KeyId).toBe(key.Arn);
    const check = await client().send(new DecryptCommand({ CiphertextBlob: unbytes(generated.CiphertextBlob) }));
    expect(same(check.Plaintext!, unbytes(generated.Plaintext))).toBe(true);

    const withoutPlaintext = await rpcValue("KMS_ROOT", "generateDataKeyWithoutPlaintext", { KeyId: key.Arn, NumberOfBytes: 16 });
    expect(withoutPlaintext.Plaintext).toBeUndefined();
    expect(unbytes(withoutPlaintext.CiphertextBlob).length).toBeGreaterThan(16);

    const randomBytes = await rpcValue("KMS_ROOT", "generateRandom", { NumberOfBytes: 24 });
    expect(unbytes(randomBytes.Plaintext).length).toBe(24);

    const moved = await rpcValue("KMS_ROOT", "reEncrypt", { CiphertextBlob: generated.CiphertextBlob, DestinationKeyId: other.KeyId });
    expect(moved.SourceKeyId).toBe(key.Arn);
    expect(moved.KeyId).toBe(other.Arn);
    const reopened = await client().send(new DecryptCommand({ CiphertextBlob: unbytes(moved.CiphertextBlob) }));
    expect(same(reopened.Plaintext!, unbytes(generated.Plaintext))).toBe(true);
  });

  it("sign, verify, getPublicKey, generateMac, verifyMac, deriveSharedSecret and generateDataKeyPair work over the binding and agree with node:crypto", async () => {
    const kms = client();
    const signing = (await kms.send(new CreateKeyCommand({ KeySpec: "ECC_NIST_P256", KeyUsage: "SIGN_VERIFY" }))).KeyMetadata!.Arn!;
    const message = utf8("signed over a service binding");
    const signed = await rpcValue("KMS_ROOT", "sign", { KeyId: signing, Message: bytes(message), SigningAlgorithm: "ECDSA_SHA_256" });
    const publicKey = await rpcValue("KMS_ROOT", "getPublicKey", { KeyId: signing });
    expect(publicKey.KeySpec).toBe("ECC_NIST_P256");
    const spki = createPublicKey({ key: Buffer.from(unbytes(publicKey.PublicKey)), format: "der", type: "spki" });
    expect(nodeVerify("sha256", message, spki, Buffer.from(unbytes(signed.Signature)))).toBe(true);
    const verified = await rpcValue("KMS_ROOT", "verify", {
      KeyId: signing,
      Message: bytes(message),
      Signature: signed.Signature,
      SigningAlgorithm: "ECDSA_SHA_256",
    });
    expect(verified.SignatureValid).toBe(true);
    const forged = await rpcError("KMS_ROOT", "verify", {
      KeyId: signing,
      Message: bytes(utf8("other")),
      Signature: signed.Signature,
      SigningAlgorithm: "ECDSA_SHA_256",
    });
    expect(forged.name).toBe("KMSInvalidSignatureException");

    const mac = (await kms.send(new CreateKeyCommand({ KeySpec: "HMAC_256", KeyUsage: "GENERATE_VERIFY_MAC" }))).KeyMetadata!.Arn!;
    const tag = await rpcValue("KMS_ROOT", "generateMac", { KeyId: mac, Message: bytes(message), MacAlgorithm: "HMAC_SHA_256" });
    const overHttp = await kms.send(
      new VerifyMacCommand({ KeyId: mac, Message: message, Mac: unbytes(tag.Mac), MacAlgorithm: "HMAC_SHA_256" }),
    );
    expect(overHttp.MacValid).toBe(true);
    expect(
      (
        await rpcError("KMS_ROOT", "verifyMac", {
          KeyId: mac,
          Message: bytes(message),
          Mac: bytes(new Uint8Array(32)),
          MacAlgorithm: "HMAC_SHA_256",
        })
      ).name,
    ).toBe("KMSInvalidMacException");

    const agreement = (await kms.send(new CreateKeyCommand({ KeySpec: "ECC_NIST_P256", KeyUsage: "KEY_AGREEMENT" }))).KeyMetadata!.Arn!;
    const peer = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
    const derived = await rpcValue("KMS_ROOT", "deriveSharedSecret", {
      KeyId: agreement,
      KeyAgreementAlgorithm: "ECDH",
      PublicKey: bytes(peer.publicKey.export({ format: "der", type: "spki" })),
    });
    const agreementKey = (await kms.send(new GetPublicKeyCommand({ KeyId: agreement }))).PublicKey!;
    const expected = diffieHellman({
      privateKey: peer.privateKey,
      publicKey: createPublicKey({ key: Buffer.from(agreementKey), format: "der", type: "spki" }),
    });
    expect(same(unbytes(derived.SharedSecret), expected)).toBe(true);

    const pair = await rpcValue("KMS_ROOT", "generateDataKeyPair", { KeyId: key.KeyId, KeyPairSpec: "ECC_NIST_P384" });
    const derivedPublic = createPublicKey(
      createPrivateKey({ key: Buffer.from(unbytes(pair.PrivateKeyPlaintext)), format: "der", type: "pkcs8" }),
    );
    expect(same(derivedPublic.export({ format: "der", type: "spki" }), unbytes(pair.PublicKey))).toBe(true);
  });

  it("describeKey returns the same metadata as DescribeKey over HTTP, with dates as Date", async () => {
    const overBinding = (await rpcValue("KMS_ROOT", "describeKey", { KeyId: key.KeyId })).KeyMetadata as Record<string, Wire>;
    const overHttp = (await client().send(new DescribeKeyCommand({ KeyId: key.KeyId }))).KeyMetadata!;
    expect(overBinding.Arn).toBe(overHttp.Arn);
    expect(overBinding.Description).toBe("binding tests");
    expect(overBinding.KeyState).toBe("Enabled");
    expect(overBinding.CreationDate).toEqual({ $date: overHttp.CreationDate!.toISOString() });
  });
});

describe("the same rules as the JSON API", () => {
  it("validation errors are the API's, name and message", async () => {
    const overBinding = await rpcError("KMS_ROOT", "encrypt", { KeyId: "", Plaintext: bytes(utf8("x")) });
    const overHttp = await awsError(client().send(new EncryptCommand({ KeyId: "", Plaintext: utf8("x") })));
    expect(overBinding).toEqual({ name: overHttp.name, message: overHttp.message });
    expect(overBinding.name).toBe("ValidationException");
    const tooLong = await rpcError("KMS_ROOT", "generateRandom", { NumberOfBytes: 1025 });
    expect(tooLong.name).toBe("ValidationException");
  });

  it("a blob given as text instead of bytes is refused, not base64-decoded", async () => {
    const error = await rpcError("KMS_ROOT", "encrypt", { KeyId: key.KeyId, Plaintext: "aGVsbG8=" });
    expect(error.name).toBe("SerializationException");
  });

  it("key-state rules apply: a disabled key refuses the binding with the API's DisabledException", async () => {
    await client().send(new DisableKeyCommand({ KeyId: other.KeyId }));
    try {
      const overBinding = await rpcError("KMS_ROOT", "encrypt", { KeyId: other.KeyId, Plaintext: bytes(utf8("x")) });
      const overHttp = await awsError(client().send(new EncryptCommand({ KeyId: other.KeyId, Plaintext: utf8("x") })));
      expect(overBinding).toEqual({ name: "DisabledException", message: overHttp.message });
    } finally {
      await client().send(new EnableKeyCommand({ KeyId: other.KeyId }));
    }
  });

  it("authorization is the principal's from the binding props: bob's policy allows, alice (no policy) is denied as over HTTP", async () => {
    const plaintext = bytes(utf8("policy"));
    await rpcValue("KMS_BOB", "encrypt", { KeyId: key.KeyId, Plaintext: plaintext });
    const overBinding = await rpcError("KMS_ALICE", "encrypt", { KeyId: key.KeyId, Plaintext: plaintext });
    const overHttp = await awsError(client("alice").send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: utf8("policy") })));
    expect(overBinding).toEqual({ name: overHttp.name, message: overHttp.message });
    expect(overBinding.name).toBe("AccessDeniedException");
    expect(overBinding.message).toContain("arn:aws:iam::111122223333:user/alice");
    const external = await rpcError("KMS_EXTERNAL", "encrypt", { KeyId: key.Arn, Plaintext: plaintext });
    const externalHttp = await awsError(client("external").send(new EncryptCommand({ KeyId: key.Arn, Plaintext: utf8("policy") })));
    expect(external).toEqual({ name: externalHttp.name, message: externalHttp.message });
  });

  it("method arguments cannot choose the principal", async () => {
    const error = await rpcError(
      "KMS_ALICE",
      "encrypt",
      { KeyId: key.KeyId, Plaintext: bytes(utf8("x")), accessKeyId: "test", principalArn: "arn:aws:iam::111122223333:root" },
      { accessKeyId: "test" },
    );
    expect(error.name).toBe("AccessDeniedException");
    expect(error.message).toContain("user/alice");
  });
});

describe("binding configuration", () => {
  it("a binding without props is refused on every method", async () => {
    for (const [method, args] of [
      ["encrypt", { KeyId: key.KeyId, Plaintext: bytes(utf8("x")) }],
      ["generateRandom", { NumberOfBytes: 8 }],
      ["describeKey", { KeyId: key.KeyId }],
    ] as const) {
      const error = await rpcError("KMS_NO_PROPS", method, args);
      expect(error.name).toBe("AccessDeniedException");
      expect(error.message).toContain("no configured principal");
    }
  });

  it("props naming an unknown access key or principal are refused as unrecognized; naming both is refused", async () => {
    for (const binding of ["KMS_UNKNOWN_KEY", "KMS_UNKNOWN_ARN"]) {
      const error = await rpcError(binding, "generateRandom", { NumberOfBytes: 8 });
      expect(error).toEqual({ name: "UnrecognizedClientException", message: "The security token included in the request is invalid." });
    }
    expect((await rpcError("KMS_BOTH", "generateRandom", { NumberOfBytes: 8 })).name).toBe("AccessDeniedException");
  });

  it("props.region names the Region of the binding's calls (default KMS_REGION); one the deployment does not serve is refused", async () => {
    expect((await rpcError("KMS_WEST", "describeKey", { KeyId: key.KeyId })).name).toBe("NotFoundException");
    const { KeyMetadata } = await kmsClient(workers.url, "test", "us-west-2").send(new CreateKeyCommand({ Description: "in us-west-2" }));
    const described = await rpcValue("KMS_WEST", "describeKey", { KeyId: KeyMetadata!.KeyId! });
    expect((described.KeyMetadata as { Arn: string }).Arn).toBe(KeyMetadata!.Arn);
    expect((await rpcError("KMS_ROOT", "describeKey", { KeyId: KeyMetadata!.KeyId! })).name).toBe("NotFoundException");
    expect((await rpcError("KMS_NO_REGION", "generateRandom", { NumberOfBytes: 8 })).name).toBe("ValidationException");
  });

  it("over RPC the error arrives as a plain Error whose message starts with the AWS name; restoreBindingError gives the name back", async () => {
    const { error } = await rpc("KMS_ALICE", "describeKey", { KeyId: key.KeyId });
    expect(error!.name).toBe("Error");
    expect(error!.message).toBe(`AccessDeniedException: ${error!.restored.message}`);
    expect(error!.restored.name).toBe("AccessDeniedException");
  });
});

describe("the audit trail", () => {
  it("records binding calls like HTTP ones, as the binding's principal, marked as invoked by a service binding", async () => {
    const marker = crypto.randomUUID();
    await rpcValue("KMS_BOB", "encrypt", { KeyId: key.KeyId, Plaintext: bytes(utf8("audited")), EncryptionContext: { marker } });
    await rpcError("KMS_ALICE", "encrypt", { KeyId: key.KeyId, Plaintext: bytes(utf8("audited")), EncryptionContext: { marker } });
    const records = (await lookupAll(cloudTrailClient(workers.url, "test"), { StartTime: new Date(0) }))
      .map(recordOf)
      .filter((r) => JSON.stringify(r.requestParameters ?? {}).includes(marker));
    expect(records.length).toBe(2);
    const bob = records.find((r) => r.userIdentity.arn.endsWith("user/bob"))!;
    const alice = records.find((r) => r.userIdentity.arn.endsWith("user/alice"))!;
    expect(bob).toMatchObject({ eventName: "Encrypt", userIdentity: { type: "IAMUser", invokedBy: "service-binding" } });
    expect(bob.userIdentity.accessKeyId).toBeUndefined();
    expect(bob.errorCode).toBeUndefined();
    expect(alice).toMatchObject({ eventName: "Encrypt", userIdentity: { invokedBy: "service-binding" } });
    expect(alice.errorCode).toMatch(/AccessDenied/);
    // Plaintext never reaches the trail.
    expect(JSON.stringify(records)).not.toContain(Buffer.from("audited").toString("base64"));
  });
});

// ---- The example consumer ---------------------------------------------------------------------------

describe("the example consumer", () => {
  it.each([0, 1, 65535, 65536, 65537, 3 * 65536 + 5])("encrypts and decrypts a %i-byte body, whole and streamed", async (size) => {
    const body = random(size);
    const sealed = new Uint8Array(await (await consumer("/encrypt?tenant=a", body)).arrayBuffer());
    expect(sealed.subarray(0, 4)).toEqual(utf8("EKEM"));
    const opened = await consumer("/decrypt?tenant=a", sealed);
    expect(opened.status).toBe(200);
    expect(same(new Uint8Array(await opened.arrayBuffer()), body)).toBe(true);
    const streamedSeal = new Uint8Array(await (await consumer("/encrypt?tenant=a&stream=1", body)).arrayBuffer());
    const streamedOpen = await consumer("/decrypt?tenant=a&stream=1", streamedSeal);
    expect(same(new Uint8Array(await streamedOpen.arrayBuffer()), body)).toBe(true);
  });

  it("streams an 8 MiB request body through the binding in both directions", { timeout: 60_000 }, async () => {
    const body = random(8 * 1024 * 1024);
    const sealed = new Uint8Array(await (await consumer("/encrypt?stream=1", body)).arrayBuffer());
    expect(sealed.length).toBeGreaterThan(body.length);
    const opened = new Uint8Array(await (await consumer("/decrypt?stream=1", sealed)).arrayBuffer());
    expect(same(opened, body)).toBe(true);
  });

  it("a body encrypted for one tenant does not decrypt for another", async () => {
    const sealed = new Uint8Array(await (await consumer("/encrypt?tenant=a", utf8("tenant a"))).arrayBuffer());
    const response = await consumer("/decrypt?tenant=b", sealed);
    expect(response.status).toBe(400);
    expect(((await response.json()) as { name: string }).name).toBe("InvalidCiphertextException");
  });

  it("refuses a tampered or truncated body: whole with an error, streamed with an aborted response", async () => {
    const body = random(200_000);
    const sealed = new Uint8Array(await (await consumer("/encrypt", body)).arrayBuffer());
    const flipped = sealed.slice();
    flipped[flipped.length - 100]! ^= 1;
    const whole = await consumer("/decrypt", flipped);
    expect(whole.status).toBe(400);
    expect(((await whole.json()) as { name: string }).name).toBe("InvalidCiphertextException");
    // Streamed: a cut that leaves a plausible length gets 200 and a body that ends short of its
    // Content-Length (the client's read fails); any other cut is refused up front.
    const header = parseHeader(sealed);
    if (header === "incomplete") throw new Error("no header");
    const atFrameBoundary = header.length + 2 * (65536 + 20);
    let cutShort = 0;
    for (const cut of [atFrameBoundary, sealed.length - 50_000, sealed.length - 1]) {
      const truncated = await consumer("/decrypt?stream=1", sealed.subarray(0, cut));
      if (truncated.status === 200) {
        cutShort++;
        expect(Number(truncated.headers.get("Content-Length"))).toBeGreaterThan(0);
        await expect(truncated.arrayBuffer()).rejects.toThrow();
      } else {
        expect(((await truncated.json()) as { name: string }).name).toBe("InvalidCiphertextException");
      }
    }
    // Two frames at a frame boundary look like a whole message of another length: that one streams.
    expect(cutShort).toBeGreaterThanOrEqual(1);
  });

  it("its messages (WASM core, in workerd) decrypt in Node over HTTP (WebCrypto, awsSdkTransport), and the reverse", async () => {
    // WebCrypto on the Node side: the e2e tier loads no WebAssembly, and this also crosses the two ciphers.
    const envelope = new EnvelopeClient({ kms: awsSdkTransport(client("bob")), keyId: "alias/edgekms-consumer", cipher: webCryptoCipher });
    const context = { app: "edgekms-consumer", tenant: "shared" };
    const body = random(100_000);
    const fromConsumer = new Uint8Array(await (await consumer("/encrypt?tenant=shared", body)).arrayBuffer());
    const opened = await envelope.decrypt(fromConsumer, { encryptionContext: context });
    expect(same(opened.plaintext, body)).toBe(true);
    expect(opened.keyId).toBe(key.Arn);
    const fromNode = await envelope.encrypt(body, { encryptionContext: context });
    const response = await consumer("/decrypt?tenant=shared", fromNode);
    expect(same(new Uint8Array(await response.arrayBuffer()), body)).toBe(true);
  });

  it("reports KMS errors by AWS name: a disabled key stops encryption and decryption", async () => {
    const sealed = new Uint8Array(await (await consumer("/encrypt", utf8("before"))).arrayBuffer());
    await client().send(new DisableKeyCommand({ KeyId: key.KeyId }));
    try {
      for (const response of [await consumer("/encrypt", utf8("x")), await consumer("/decrypt", sealed)]) {
        expect(response.status).toBe(400);
        expect(await response.json()).toEqual({ name: "DisabledException", message: `${key.Arn} is disabled.` });
      }
    } finally {
      await client().send(new EnableKeyCommand({ KeyId: key.KeyId }));
    }
  });

  it("calls describeKey directly through kmsBinding()", async () => {
    const response = await consumer("/key");
    expect(await response.json()).toMatchObject({ Arn: key.Arn, KeyId: key.KeyId });
  });
});
