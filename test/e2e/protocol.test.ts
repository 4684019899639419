/**
 * The wire protocol and authentication, driven with raw signed HTTP requests so that every
 * malformed case can be sent: AWS JSON 1.1 errors, SigV4 failures, and no input ever yielding a 500.
 */
import { SignatureV4 } from "@smithy/signature-v4";
import { createHash, createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { useLocalWorker } from "./support.ts";

const worker = useLocalWorker();

function bytes(data: string | ArrayBuffer | ArrayBufferView): string | Uint8Array {
  if (typeof data === "string") return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** SHA-256 / HMAC-SHA256 for the signer, from node:crypto (the signer calls `new Sha256(secret?)`). */
class Sha256 {
  private readonly hash;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = secret === undefined ? createHash("sha256") : createHmac("sha256", bytes(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
}

interface SendOptions {
  target?: string;
  body?: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  region?: string;
  service?: string;
  signingDate?: Date;
  unsigned?: boolean;
}

async function send(options: SendOptions = {}): Promise<{ status: number; body: { __type?: string; message?: string }; headers: Headers }> {
  const url = new URL(worker.url);
  const headers: Record<string, string> = {
    host: url.host,
    "content-type": "application/x-amz-json-1.1",
  };
  if (options.target !== undefined) headers["x-amz-target"] = options.target;
  const body = options.body ?? "{}";
  let signedHeaders = headers;
  if (!options.unsigned) {
    const signer = new SignatureV4({
      credentials: { accessKeyId: options.accessKeyId ?? "test", secretAccessKey: options.secretAccessKey ?? "test" },
      region: options.region ?? "us-east-1",
      service: options.service ?? "kms",
      sha256: Sha256,
    });
    const signed = await signer.sign(
      { method: "POST", protocol: "http:", hostname: url.hostname, port: Number(url.port), path: "/", headers, body },
      { signingDate: options.signingDate },
    );
    signedHeaders = signed.headers as Record<string, string>;
  }
  const response = await fetch(worker.url + "/", { method: "POST", headers: signedHeaders, body });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : {}, headers: response.headers };
}

describe("AWS JSON 1.1 protocol", () => {
  it("answers a signed ListKeys with 200, JSON and a request ID", async () => {
    const res = await send({ target: "TrentService.ListKeys" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/x-amz-json-1.1");
    expect(res.headers.get("x-amzn-requestid")).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.body).toMatchObject({ Truncated: false });
  });

  it("answers UnknownOperationException for a missing or unknown target", async () => {
    for (const target of [undefined, "TrentService.MakeCoffee", "DynamoDB_20120810.ListTables"]) {
      const res = await send({ target });
      expect(res.status).toBe(400);
      expect(res.body.__type).toBe("UnknownOperationException");
      expect(res.headers.get("x-amzn-errortype")).toBe("UnknownOperationException");
    }
  });

  it("answers UnsupportedOperationException for an AWS operation EdgeKMS does not implement", async () => {
    const res = await send({
      target: "TrentService.ConnectCustomKeyStore",
      body: JSON.stringify({ CustomKeyStoreId: "cks-1234567890abcdef0" }),
    });
    expect(res.status).toBe(400);
    expect(res.body.__type).toBe("UnsupportedOperationException");
  });

  it("answers SerializationException for a body that is not JSON or a field of the wrong JSON type", async () => {
    const notJson = await send({ target: "TrentService.CreateKey", body: "{not json" });
    expect(notJson.status).toBe(400);
    expect(notJson.body.__type).toBe("SerializationException");
    const wrongType = await send({ target: "TrentService.DescribeKey", body: JSON.stringify({ KeyId: 42 }) });
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.__type).toBe("SerializationException");
    const badBase64 = await send({ target: "TrentService.Decrypt", body: JSON.stringify({ CiphertextBlob: "***" }) });
    expect(badBase64.status).toBe(400);
    expect(badBase64.body.__type).toBe("SerializationException");
  });

  it("answers ValidationException in AWS's words for a missing required member", async () => {
    const res = await send({ target: "TrentService.DescribeKey", body: "{}" });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      __type: "ValidationException",
      message: "1 validation error detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null",
    });
  });

  it("never answers 500, whatever the body", async () => {
    const targets = [
      "CreateKey",
      "DescribeKey",
      "Encrypt",
      "Decrypt",
      "ReEncrypt",
      "GenerateDataKey",
      "CreateAlias",
      "UpdateAlias",
      "ListAliases",
      "TagResource",
      "ListKeys",
      "PutKeyPolicy",
      "GenerateRandom",
    ];
    const values = [null, true, 0, -1, Number.POSITIVE_INFINITY, 2 ** 53, "", "alias/", "x".repeat(3000), [], {}, { a: 1 }, ["x"], "AAAA"];
    const members = [
      "KeyId",
      "Plaintext",
      "CiphertextBlob",
      "EncryptionContext",
      "Limit",
      "Marker",
      "NumberOfBytes",
      "KeySpec",
      "AliasName",
      "TargetKeyId",
      "Tags",
      "Policy",
      "DestinationKeyId",
      "GrantTokens",
    ];
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    const requests: Promise<{ status: number }>[] = [];
    for (let i = 0; i < 150; i++) {
      const body: Record<string, unknown> = {};
      for (let j = next() % 4; j >= 0; j--) body[members[next() % members.length]!] = values[next() % values.length];
      requests.push(send({ target: `TrentService.${targets[next() % targets.length]}`, body: JSON.stringify(body) }));
    }
    const statuses = (await Promise.all(requests)).map((r) => r.status);
    expect(statuses.filter((s) => s >= 500)).toEqual([]);
  });
});

describe("Signature Version 4 authentication", () => {
  it("answers MissingAuthenticationTokenException for an unsigned request", async () => {
    const res = await send({ target: "TrentService.ListKeys", unsigned: true });
    expect(res.status).toBe(400);
    expect(res.body.__type).toBe("MissingAuthenticationTokenException");
  });

  it("answers UnrecognizedClientException for an unknown access key", async () => {
    const res = await send({ target: "TrentService.ListKeys", accessKeyId: "nobody", secretAccessKey: "nobody" });
    expect(res.body.__type).toBe("UnrecognizedClientException");
    expect(res.body.message).toBe("The security token included in the request is invalid.");
  });

  it("answers InvalidSignatureException for a wrong secret", async () => {
    const res = await send({ target: "TrentService.ListKeys", secretAccessKey: "wrong" });
    expect(res.body.__type).toBe("InvalidSignatureException");
  });

  it("answers InvalidSignatureException 'Signature expired' for a request more than 5 minutes old", async () => {
    const res = await send({ target: "TrentService.ListKeys", signingDate: new Date(Date.now() - 6 * 60 * 1000) });
    expect(res.body.__type).toBe("InvalidSignatureException");
    expect(res.body.message).toMatch(/^Signature expired: /);
  });

  it("answers InvalidSignatureException for a credential scoped to another region or service", async () => {
    const region = await send({ target: "TrentService.ListKeys", region: "eu-west-1" });
    expect(region.body.__type).toBe("InvalidSignatureException");
    const service = await send({ target: "TrentService.ListKeys", service: "s3" });
    expect(service.body.__type).toBe("InvalidSignatureException");
  });

  it("refuses a signed request whose body was changed after signing", async () => {
    const url = new URL(worker.url);
    const headers = { host: url.host, "content-type": "application/x-amz-json-1.1", "x-amz-target": "TrentService.CreateKey" };
    const signer = new SignatureV4({
      credentials: { accessKeyId: "test", secretAccessKey: "test" },
      region: "us-east-1",
      service: "kms",
      sha256: Sha256,
    });
    const signed = await signer.sign({
      method: "POST",
      protocol: "http:",
      hostname: url.hostname,
      port: Number(url.port),
      path: "/",
      headers,
      body: '{"Description":"a"}',
    });
    const res = await fetch(worker.url + "/", {
      method: "POST",
      headers: signed.headers as Record<string, string>,
      body: '{"Description":"b"}',
    });
    expect(((await res.json()) as { __type: string }).__type).toBe("InvalidSignatureException");
  });
});
