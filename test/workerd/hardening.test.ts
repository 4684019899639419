/**
 * Hostile requests against the whole HTTP app inside workerd (issue 11): oversized and deeply
 * nested bodies, bodies that are not UTF-8, oversized and ill-formed encryption contexts, forged
 * signatures with made-up operation names, an untrusted CF-Connecting-IP, a deployment without
 * identities, and request quotas. Requests are signed with SigV4 as the official clients sign
 * them and sent through `app.request` with the environment each case needs; every case uses its
 * own account (its own identity configuration), so audit logs and rate buckets never mix.
 */
import { env } from "cloudflare:test";
import { SignatureV4 } from "@smithy/signature-v4";
import { describe, expect, it } from "vitest";
import { settledRecords } from "./trail.ts";
import { Sha256 } from "../../src/auth/sigv4.ts";
import { MAX_REQUEST_BYTES } from "../../src/protocol/body.ts";
import { app } from "../../worker/app.ts";
import type { Env } from "../../worker/config.ts";
import { bindingPrincipal } from "../../worker/entrypoint.ts";
import { REFUSAL_RECORD_BURST } from "../../worker/refusal-records.ts";

let accounts = 0;

/** A fresh account with a root credential and its identity configuration. */
function account() {
  const id = `5${String(Date.now() % 1e9).padStart(9, "0")}${String(accounts++).padStart(2, "0")}`;
  const accessKeyId = `ROOT${id}`;
  const identities = JSON.stringify({
    credentials: [{ accessKeyId, secretAccessKey: `secret-${id}`, principal: { type: "Root", accountId: id } }],
  });
  return { id, accessKeyId, secret: `secret-${id}`, vars: { EDGEKMS_IDENTITIES: identities } as Partial<Env> };
}

interface Send {
  as: ReturnType<typeof account>;
  vars?: Partial<Env>;
  secret?: string;
  headers?: Record<string, string>;
  /** Sent instead of the signed body (the signature covers `body`). */
  sentBody?: BodyInit;
}

async function send(target: string, body: string | Uint8Array, o: Send): Promise<Response> {
  const headers: Record<string, string> = {
    host: "kms.test",
    "content-type": "application/x-amz-json-1.1",
    "x-amz-target": target,
    ...o.headers,
  };
  const signer = new SignatureV4({
    credentials: { accessKeyId: o.as.accessKeyId, secretAccessKey: o.secret ?? o.as.secret },
    region: "us-east-1",
    service: "kms",
    sha256: Sha256,
  });
  const signed = await signer.sign({ method: "POST", protocol: "http:", hostname: "kms.test", path: "/", headers, body });
  const init = { method: "POST", headers: signed.headers, body: o.sentBody ?? body, duplex: "half" } as RequestInit;
  return app.request("http://kms.test/", init, { ...env, ...o.as.vars, ...o.vars });
}

async function error(response: Response): Promise<{ status: number; type: string; message: string }> {
  const body = (await response.json()) as { __type: string; message: string };
  return { status: response.status, type: body.__type, message: body.message };
}

async function recordsOf(accountId: string) {
  return settledRecords(accountId);
}

async function createKey(as: ReturnType<typeof account>, policy?: object): Promise<string> {
  const response = await send("TrentService.CreateKey", JSON.stringify(policy === undefined ? {} : { Policy: JSON.stringify(policy) }), {
    as,
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { KeyMetadata: { Arn: string } }).KeyMetadata.Arn;
}

describe("item 1: encryption context size", () => {
  it("answers a 70,000-character context with ValidationException, not a 500, and records no context", async () => {
    const as = account();
    const keyArn = await createKey(as);
    const body = JSON.stringify({ KeyId: keyArn, Plaintext: btoa("hello"), EncryptionContext: { big: "x".repeat(70_000) } });
    const failure = await error(await send("TrentService.Encrypt", body, { as }));
    expect(failure).toEqual({
      status: 400,
      type: "ValidationException",
      message:
        "1 validation error detected: Value at 'encryptionContext' failed to satisfy constraint: Member must have a total length of keys and values less than or equal to 8192",
    });
    const record = (await recordsOf(as.id)).find((r) => r.eventName === "Encrypt")!;
    expect(record).toMatchObject({ errorCode: "ValidationException", requestParameters: null });
    expect(JSON.stringify(record)).not.toContain("xxxxxxxx");
  });

  it("accepts a context of 8,192 characters and refuses 8,193 in Encrypt and Decrypt alike", async () => {
    const as = account();
    const keyArn = await createKey(as);
    const fits = { k: "v".repeat(8191) };
    const encrypted = await send(
      "TrentService.Encrypt",
      JSON.stringify({ KeyId: keyArn, Plaintext: btoa("hi"), EncryptionContext: fits }),
      { as },
    );
    expect(encrypted.status).toBe(200);
    const { CiphertextBlob } = (await encrypted.json()) as { CiphertextBlob: string };
    const decrypted = await send("TrentService.Decrypt", JSON.stringify({ CiphertextBlob, EncryptionContext: fits }), { as });
    expect(decrypted.status).toBe(200);
    const over = { k: "v".repeat(8192) };
    expect(
      (await error(await send("TrentService.Decrypt", JSON.stringify({ CiphertextBlob, EncryptionContext: over }), { as }))).type,
    ).toBe("ValidationException");
  });
});

describe("item 2: nesting", () => {
  it("answers a context nested 50,000 objects or 100,000 lists deep with SerializationException and records it without parameters", async () => {
    const as = account();
    const objects = `{"a":`.repeat(50_000) + `"b"` + "}".repeat(50_000);
    const lists = "[".repeat(100_000) + "]".repeat(100_000);
    for (const context of [objects, lists]) {
      const body = `{"KeyId":"alias/x","Plaintext":"aGk=","EncryptionContext":${context}}`;
      const response = await send("TrentService.Encrypt", body, { as });
      expect(await error(response)).toEqual({
        status: 400,
        type: "SerializationException",
        message: "The request body nests JSON deeper than 32 levels.",
      });
    }
    const records = await recordsOf(as.id);
    expect(records).toHaveLength(2);
    for (const record of records)
      expect(record).toMatchObject({ eventName: "Encrypt", errorCode: "SerializationException", requestParameters: null });
  });
});

describe("item 3: request size", () => {
  it("refuses a declared 100 MB body with 413 before reading a byte or checking the signature", async () => {
    const as = account();
    let pulled = 0;
    const stream = new ReadableStream<Uint8Array>(
      {
        pull(controller) {
          pulled++;
          controller.enqueue(new Uint8Array(65536));
        },
      },
      { highWaterMark: 0 },
    );
    const response = await send("TrentService.Encrypt", "{}", {
      as,
      secret: "wrong",
      headers: { "content-length": String(100 * 1024 * 1024) },
      sentBody: stream,
    });
    expect(await error(response)).toEqual({
      status: 413,
      type: "RequestEntityTooLargeException",
      message: `Request body is larger than the ${MAX_REQUEST_BYTES}-byte limit of this service.`,
    });
    expect(pulled).toBe(0);
  });

  it("refuses a chunked body once it passes the limit, reading no more than that", async () => {
    const as = account();
    let pulled = 0;
    const stream = new ReadableStream<Uint8Array>(
      {
        pull(controller) {
          pulled++;
          if (pulled > 1600) return controller.close(); // 100 MiB offered in all
          controller.enqueue(new Uint8Array(65536).fill(0x20));
        },
      },
      { highWaterMark: 0 },
    );
    const response = await send("TrentService.Encrypt", "{}", { as, sentBody: stream });
    expect((await error(response)).status).toBe(413);
    expect(pulled * 65536).toBeLessThanOrEqual(MAX_REQUEST_BYTES + 2 * 65536);
  });

  it("lets the largest legitimate request through to be answered on its merits", async () => {
    // A Decrypt with the largest Recipient attestation document (262,144 bytes), ten grant tokens
    // of 8,192 characters and an 8,192-character context: about 440 KiB of JSON.
    const as = account();
    const b64 = (n: number) => btoa(String.fromCharCode(...new Uint8Array(n).fill(65)));
    const body = JSON.stringify({
      CiphertextBlob: b64(6144),
      EncryptionContext: { k: "v".repeat(8191) },
      GrantTokens: Array.from({ length: 10 }, () => "g".repeat(8192)),
      Recipient: { KeyEncryptionAlgorithm: "RSAES_OAEP_SHA_256", AttestationDocument: btoa("A".repeat(262_144)) },
    });
    expect(body.length).toBeGreaterThan(400 * 1024);
    const failure = await error(await send("TrentService.Decrypt", body, { as }));
    expect(failure.status).toBe(400);
    expect(failure.type).not.toBe("RequestEntityTooLargeException");
  });
});

describe("item 5: refusals before authentication", () => {
  it("records forged requests under event names from the fixed list only, and labels metrics likewise", async () => {
    const as = account();
    for (const target of ["TrentService.Evil1", "TrentService.Evil2", "Nonsense", "TrentService.Decrypt"]) {
      const response = await send(target, "{}", { as, secret: "wrong" });
      expect((await error(response)).type).toBe("InvalidSignatureException");
    }
    const names = (await recordsOf(as.id)).map((r) => r.eventName).sort();
    expect(names).toEqual(["Decrypt", "UnknownOperation", "UnknownOperation", "UnknownOperation"]);
    const metrics = await app.request(
      "http://kms.test/metrics",
      { headers: { Authorization: "Bearer t" } },
      { ...env, ...as.vars, METRICS_TOKEN: "t" },
    );
    const text = await metrics.text();
    expect(text).toContain(`operation="UnknownOperation"`);
    expect(text).not.toContain("Evil");
  });

  it("bounds how many forged requests per access key reach the audit trail", async () => {
    const as = account();
    const attempts = REFUSAL_RECORD_BURST + 30;
    for (let i = 0; i < attempts; i++) {
      const response = await send("TrentService.ListKeys", "{}", { as, secret: "wrong" });
      expect(response.status).toBe(400);
    }
    const records = await recordsOf(as.id);
    expect(records.length).toBeGreaterThanOrEqual(REFUSAL_RECORD_BURST);
    // The burst, plus what the bucket refilled (1/s) while the test ran.
    expect(records.length).toBeLessThan(REFUSAL_RECORD_BURST + 10);
  });
});

describe("item 7: ill-formed input", () => {
  it("refuses a body that is not UTF-8 with SerializationException instead of replacing bytes", async () => {
    const as = account();
    const body = new Uint8Array([...new TextEncoder().encode('{"Description":"'), 0xff, 0xfe, ...new TextEncoder().encode('"}')]);
    const failure = await error(await send("TrentService.CreateKey", body, { as }));
    expect(failure).toEqual({ status: 400, type: "SerializationException", message: "The request body is not valid UTF-8." });
  });

  it("refuses context values with lone surrogates, so \\uD800, \\uDFFF and \\uFFFD no longer open the same blob", async () => {
    const as = account();
    const keyArn = await createKey(as);
    const encrypted = await send(
      "TrentService.Encrypt",
      JSON.stringify({ KeyId: keyArn, Plaintext: btoa("hi"), EncryptionContext: { t: "\uFFFD" } }),
      { as },
    );
    expect(encrypted.status).toBe(200);
    const { CiphertextBlob } = (await encrypted.json()) as { CiphertextBlob: string };
    for (const escaped of ["\\uD800", "\\uDFFF"]) {
      const body = `{"CiphertextBlob":"${CiphertextBlob}","EncryptionContext":{"t":"${escaped}"}}`;
      const failure = await error(await send("TrentService.Decrypt", body, { as }));
      expect(failure.type).toBe("ValidationException");
      expect(failure.message).toContain("well-formed Unicode");
    }
  });
});

describe("item 9: aws:SourceIp", () => {
  const encrypt = (keyArn: string, as: ReturnType<typeof account>, vars: Partial<Env>, ip?: string) =>
    send("TrentService.Encrypt", JSON.stringify({ KeyId: keyArn, Plaintext: btoa("hi") }), {
      as,
      vars,
      ...(ip === undefined ? {} : { headers: { "CF-Connecting-IP": ip } }),
    });

  it("ignores a CF-Connecting-IP the deployment does not trust: IpAddress conditions do not match", async () => {
    const as = account();
    // The key policy admits Encrypt only from 203.0.113.0/24.
    const keyArn = await createKey(as);
    const onlyFromRange = {
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: { AWS: `arn:aws:iam::${as.id}:root` },
          Action: "kms:Encrypt",
          Resource: "*",
          Condition: { IpAddress: { "aws:SourceIp": "203.0.113.0/24" } },
        },
      ],
    };
    const put = { KeyId: keyArn, PolicyName: "default", BypassPolicyLockoutSafetyCheck: true, Policy: JSON.stringify(onlyFromRange) };
    expect((await send("TrentService.PutKeyPolicy", JSON.stringify(put), { as })).status).toBe(200);
    const forged = await encrypt(keyArn, as, {}, "203.0.113.7");
    expect((await error(forged)).type).toBe("AccessDeniedException");
    const trusted = await encrypt(keyArn, as, { TRUST_CF_CONNECTING_IP: "true" }, "203.0.113.7");
    expect(trusted.status).toBe(200);
    const trustedElsewhere = await encrypt(keyArn, as, { TRUST_CF_CONNECTING_IP: "true" }, "198.51.100.1");
    expect((await error(trustedElsewhere)).type).toBe("AccessDeniedException");
  });

  it("treats an untrusted address as absent for NotIpAddress too: a Deny outside the range applies", async () => {
    const as = account();
    const keyArn = await createKey(as, {
      Version: "2012-10-17",
      Statement: [
        { Effect: "Allow", Principal: { AWS: `arn:aws:iam::${as.id}:root` }, Action: "kms:*", Resource: "*" },
        {
          Effect: "Deny",
          Principal: { AWS: "*" },
          Action: "kms:Encrypt",
          Resource: "*",
          Condition: { NotIpAddress: { "aws:SourceIp": "203.0.113.0/24" } },
        },
      ],
    });
    expect((await error(await encrypt(keyArn, as, {}, "203.0.113.7"))).type).toBe("AccessDeniedException");
    expect((await encrypt(keyArn, as, { TRUST_CF_CONNECTING_IP: "true" }, "203.0.113.7")).status).toBe(200);
  });

  it("keeps the reported address in the audit record either way", async () => {
    const as = account();
    const response = await send("TrentService.ListKeys", "{}", { as, headers: { "CF-Connecting-IP": "192.0.2.44" } });
    expect(response.status).toBe(200);
    const record = (await recordsOf(as.id)).find((r) => r.eventName === "ListKeys")!;
    expect(record.sourceIPAddress).toBe("192.0.2.44");
  });
});

describe("item 10: no identities, no access", () => {
  it("refuses every request with UnrecognizedClientException when EDGEKMS_IDENTITIES is unset and there is no opt-in", async () => {
    const dev = { accessKeyId: "test", secret: "test", id: "111122223333", vars: {} as Partial<Env> };
    const vars = { EDGEKMS_IDENTITIES: undefined, EDGEKMS_DEV_IDENTITIES: undefined };
    for (const target of ["TrentService.ListKeys", "TrentService.GenerateRandom", "CloudTrail_20131101.LookupEvents"]) {
      const failure = await error(await send(target, "{}", { as: dev, vars }));
      expect(failure.status).toBe(400);
      expect(failure.type).toBe("UnrecognizedClientException");
      expect(failure.message).toContain("no identity configuration");
    }
    // With the opt-in, the development identities work.
    expect(
      (await send("TrentService.ListKeys", "{}", { as: dev, vars: { EDGEKMS_IDENTITIES: undefined, EDGEKMS_DEV_IDENTITIES: "true" } }))
        .status,
    ).toBe(200);
  });

  it("refuses service-binding calls the same way", () => {
    expect(() =>
      bindingPrincipal({ ...env, EDGEKMS_IDENTITIES: undefined, EDGEKMS_DEV_IDENTITIES: undefined }, { accessKeyId: "test" }),
    ).toThrow(/no identity configuration/);
  });
});

describe("item 13: request quotas", () => {
  it("throttles an account past its configured quota with AWS's ThrottlingException", async () => {
    const as = account();
    const vars = { REQUEST_QUOTAS: JSON.stringify({ CryptographicOperationsSymmetric: 3 }) };
    const statuses: number[] = [];
    let throttled: Awaited<ReturnType<typeof error>> | undefined;
    for (let i = 0; i < 6; i++) {
      const response = await send("TrentService.GenerateRandom", JSON.stringify({ NumberOfBytes: 8 }), { as, vars });
      statuses.push(response.status);
      if (response.status !== 200) throttled = await error(response);
    }
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(3);
    expect(statuses.filter((s) => s === 200).length).toBeLessThan(6);
    expect(throttled).toEqual({
      status: 400,
      type: "ThrottlingException",
      message: "You have exceeded the rate at which you may call KMS. Reduce the frequency of your calls.",
    });
  });

  it("counts per account and per quota: another account, or another operation's quota, is not throttled", async () => {
    const [a, b] = [account(), account()];
    const vars = { REQUEST_QUOTAS: JSON.stringify({ CryptographicOperationsSymmetric: 1 }) };
    const random = (as: ReturnType<typeof account>) =>
      send("TrentService.GenerateRandom", JSON.stringify({ NumberOfBytes: 8 }), { as, vars });
    expect((await random(a)).status).toBe(200);
    expect((await random(a)).status).toBe(400);
    expect((await random(b)).status).toBe(200);
    expect((await send("TrentService.ListKeys", "{}", { as: a, vars })).status).toBe(200);
  });

  it("does not throttle when quotas are off", async () => {
    const as = account();
    for (let i = 0; i < 30; i++) {
      const response = await send("TrentService.GenerateRandom", JSON.stringify({ NumberOfBytes: 8 }), {
        as,
        vars: { REQUEST_QUOTAS: "off" },
      });
      expect(response.status).toBe(200);
    }
  });
});

describe("item 15: bindings without props", () => {
  it("says that local runs need one multi-config session", () => {
    expect(() => bindingPrincipal(env, undefined)).toThrow(/one multi-config session/);
  });
});

describe("audit records from caller-controlled headers", () => {
  it("keep at most 1,024 characters of a User-Agent", async () => {
    const as = account();
    const response = await send("TrentService.ListKeys", "{}", { as, headers: { "User-Agent": "agent/".repeat(2000) } });
    expect(response.status).toBe(200);
    const record = (await recordsOf(as.id)).find((r) => r.eventName === "ListKeys")!;
    expect(record.userAgent).toHaveLength(1024);
  });
});

describe("CloudTrail LookupEvents", () => {
  it("refuses a body that is not UTF-8 as the KMS API does", async () => {
    const as = account();
    const body = new Uint8Array([...new TextEncoder().encode('{"MaxResults":5,"x":"'), 0xc3, ...new TextEncoder().encode('"}')]);
    const headers: Record<string, string> = {
      host: "kms.test",
      "content-type": "application/x-amz-json-1.1",
      "x-amz-target": "CloudTrail_20131101.LookupEvents",
    };
    const signer = new SignatureV4({
      credentials: { accessKeyId: as.accessKeyId, secretAccessKey: as.secret },
      region: "us-east-1",
      service: "cloudtrail",
      sha256: Sha256,
    });
    const signed = await signer.sign({ method: "POST", protocol: "http:", hostname: "kms.test", path: "/", headers, body });
    const response = await app.request("http://kms.test/", { method: "POST", headers: signed.headers, body }, { ...env, ...as.vars });
    expect(await error(response)).toEqual({ status: 400, type: "SerializationException", message: "The request body is not valid UTF-8." });
  });
});
