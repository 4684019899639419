import { createHash, createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { SignatureV4 } from "@smithy/signature-v4";
import { KMSClient, EncryptCommand, ListKeysCommand } from "@aws-sdk/client-kms";
import type { HttpRequest as SmithyRequest, SourceData } from "@smithy/types";
import { claimedAccessKeyId, Sha256, verifyRequest, type ReceivedRequest, type VerifyOptions } from "../../../src/auth/sigv4.ts";
import { loadIdentities } from "../../../src/auth/identities.ts";
import { KmsError } from "../../../src/protocol/errors.ts";

const identities = loadIdentities(undefined);
const HOST = "kms.us-east-1.amazonaws.com";
const BODY = '{"KeyId":"alias/test","Plaintext":"aGVsbG8="}';
const SIGNED_AT = new Date("2024-05-22T11:51:59Z");

/** An independent SHA-256/HMAC (node:crypto) so signing does not share code with verification. */
class NodeSha256 {
  private readonly h: ReturnType<typeof createHash> | ReturnType<typeof createHmac>;
  constructor(secret?: SourceData) {
    const key =
      secret === undefined || typeof secret === "string"
        ? secret
        : ArrayBuffer.isView(secret)
          ? new Uint8Array(secret.buffer, secret.byteOffset, secret.byteLength)
          : new Uint8Array(secret);
    this.h = key === undefined ? createHash("sha256") : createHmac("sha256", key);
  }
  update(data: Uint8Array) {
    this.h.update(data);
  }
  async digest() {
    return new Uint8Array(this.h.digest());
  }
  reset() {}
}

interface SignOptions {
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
  region?: string;
  service?: string;
  at?: Date;
  body?: string;
  extraHeaders?: Record<string, string>;
}

async function signed(o: SignOptions = {}): Promise<ReceivedRequest> {
  const signer = new SignatureV4({
    credentials: {
      accessKeyId: o.accessKeyId ?? "alice",
      secretAccessKey: o.secretAccessKey ?? "alice",
      ...(o.sessionToken === undefined ? {} : { sessionToken: o.sessionToken }),
    },
    region: o.region ?? "us-east-1",
    service: o.service ?? "kms",
    sha256: NodeSha256,
  });
  const body = o.body ?? BODY;
  const req = await signer.sign(
    {
      method: "POST",
      protocol: "https:",
      hostname: HOST,
      path: "/",
      query: {},
      headers: {
        host: HOST,
        "content-type": "application/x-amz-json-1.1",
        "x-amz-target": "TrentService.Encrypt",
        ...o.extraHeaders,
      },
      body,
    },
    { signingDate: o.at ?? SIGNED_AT },
  );
  return { method: "POST", url: `https://${HOST}/`, headers: req.headers, body: new TextEncoder().encode(body) };
}

function opts(over: Partial<VerifyOptions> = {}): VerifyOptions {
  return { regions: ["us-east-1"], service: "kms", now: SIGNED_AT, lookup: (id) => identities.credential(id), ...over };
}

async function failure(p: Promise<unknown>): Promise<KmsError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof KmsError) return e;
    throw e;
  }
  throw new Error("expected a KmsError");
}

function withHeaders(req: ReceivedRequest, change: Record<string, string | undefined>): ReceivedRequest {
  const headers = { ...(req.headers as Record<string, string>) };
  for (const [k, v] of Object.entries(change)) {
    for (const existing of Object.keys(headers)) if (existing.toLowerCase() === k.toLowerCase()) delete headers[existing];
    if (v !== undefined) headers[k] = v;
  }
  return { ...req, headers };
}

describe("Sha256 over WebCrypto", () => {
  it("agrees with node:crypto for SHA-256 and HMAC-SHA-256 over chunked input", async () => {
    const chunks = ["", "abc", "x".repeat(1000)].map((s) => new TextEncoder().encode(s));
    const h = new Sha256();
    const m = new Sha256("key");
    for (const c of chunks) {
      h.update(c);
      m.update(c);
    }
    const all = Buffer.concat(chunks);
    expect(Buffer.from(await h.digest()).toString("hex")).toBe(createHash("sha256").update(all).digest("hex"));
    expect(Buffer.from(await m.digest()).toString("hex")).toBe(createHmac("sha256", "key").update(all).digest("hex"));
  });

  it("forgets its input on reset", async () => {
    const h = new Sha256();
    h.update(new Uint8Array([1]));
    h.reset();
    expect(Buffer.from(await h.digest()).toString("hex")).toBe(createHash("sha256").digest("hex"));
  });
});

describe("verifyRequest: accepted signatures", () => {
  it("accepts a request signed by the SigV4 signer and names the caller", async () => {
    const caller = await verifyRequest(await signed(), opts());
    expect(caller.accessKeyId).toBe("alice");
    expect(caller.accountId).toBe("111122223333");
    expect(caller.arn).toBe("arn:aws:iam::111122223333:user/alice");
    expect(caller.principal.type).toBe("IAMUser");
  });

  it("accepts a request within 5 minutes either side of now", async () => {
    const req = await signed();
    await expect(verifyRequest(req, opts({ now: new Date(SIGNED_AT.getTime() + 5 * 60_000) }))).resolves.toBeDefined();
    await expect(verifyRequest(req, opts({ now: new Date(SIGNED_AT.getTime() - 5 * 60_000) }))).resolves.toBeDefined();
  });

  it("accepts a Headers object as workerd passes it", async () => {
    const req = await signed();
    const headers = new Headers(req.headers as Record<string, string>);
    await expect(verifyRequest({ ...req, headers }, opts())).resolves.toBeDefined();
  });

  it.each([
    ["ListKeys", () => new ListKeysCommand({ Limit: 5 })],
    ["Encrypt", () => new EncryptCommand({ KeyId: "alias/x", Plaintext: new Uint8Array([1, 2, 3]) })],
  ])("accepts what @aws-sdk/client-kms sends for %s", async (_name, command) => {
    const captured: SmithyRequest[] = [];
    const client = new KMSClient({
      region: "us-east-1",
      endpoint: "http://127.0.0.1:8787",
      credentials: { accessKeyId: "bob", secretAccessKey: "bob" },
      maxAttempts: 1,
      requestHandler: {
        handle: async (request: SmithyRequest) => {
          captured.push(request);
          throw new Error("captured");
        },
      },
    });
    await expect(client.send(command() as never)).rejects.toThrow("captured");
    const sent = captured[0]!;
    const body = typeof sent.body === "string" ? new TextEncoder().encode(sent.body) : (sent.body as Uint8Array);
    const url = `${sent.protocol}//${sent.hostname}${sent.port ? `:${sent.port}` : ""}${sent.path}`;
    const caller = await verifyRequest({ method: sent.method, url, headers: sent.headers, body }, opts({ now: new Date() }));
    expect(caller.arn).toBe("arn:aws:iam::111122223333:user/bob");
  });

  it.each([
    ["a query with repeated and escaped parameters", "/", { b: "x y/z", a: ["2", "1"], "c*": "~" }],
    ["a path with dot segments, spaces and non-ASCII", "/a/./b/../c d/é/", {}],
    ["an empty query value", "/path", { flag: "" }],
  ])("agrees with the SDK's signer on %s and untidy headers", async (_name, path, query: Record<string, string | string[]>) => {
    const signer = new SignatureV4({
      credentials: { accessKeyId: "alice", secretAccessKey: "alice" },
      region: "us-east-1",
      service: "kms",
      sha256: NodeSha256,
    });
    const headers = {
      host: HOST,
      "Content-Type": "application/x-amz-json-1.1",
      "X-Custom": "  two   spaces\tand a tab  ",
      "x-amz-target": "TrentService.Encrypt",
    };
    const req = await signer.sign(
      { method: "POST", protocol: "https:", hostname: HOST, path, query, headers, body: BODY },
      { signingDate: SIGNED_AT },
    );
    const search = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) for (const one of Array.isArray(v) ? v : [v]) search.append(k, one);
    const url = `https://${HOST}${encodeURI(path)}${search.size > 0 ? `?${search.toString().replace(/\+/g, "%20")}` : ""}`;
    const received = { method: "POST", url, headers: req.headers, body: new TextEncoder().encode(BODY) };
    await expect(verifyRequest(received, opts())).resolves.toMatchObject({ accessKeyId: "alice" });
    // And the same request with any signed part changed does not verify.
    await expect(verifyRequest({ ...received, headers: { ...req.headers, "x-custom": "other" } }, opts())).rejects.toThrow(KmsError);
    await expect(verifyRequest({ ...received, url: `${url}${url.includes("?") ? "&" : "?"}extra=1` }, opts())).rejects.toThrow(KmsError);
  });

  it("derives a fresh signing key for another day and for a changed secret (the signing-key cache is per credential)", async () => {
    const credential = { ...identities.credential("alice")! };
    const lookup = () => credential;
    await expect(verifyRequest(await signed(), opts({ lookup }))).resolves.toBeDefined();
    const nextDay = new Date(SIGNED_AT.getTime() + 86_400_000);
    await expect(verifyRequest(await signed({ at: nextDay }), opts({ lookup, now: nextDay }))).resolves.toBeDefined();
    // A reloaded configuration is a new credential object: the old secret's keys do not apply to it.
    const rotated = { ...credential, secretAccessKey: "rotated" };
    const err = await failure(verifyRequest(await signed(), opts({ lookup: () => rotated })));
    expect(err.type).toBe("InvalidSignatureException");
    await expect(verifyRequest(await signed({ secretAccessKey: "rotated" }), opts({ lookup: () => rotated }))).resolves.toBeDefined();
  });

  it("accepts temporary credentials when the session token matches", async () => {
    const temp = loadIdentities(
      JSON.stringify({
        credentials: [
          {
            accessKeyId: "ASIATEMP",
            secretAccessKey: "s3cr3t",
            sessionToken: "token-1",
            principal: { type: "AssumedRole", accountId: "111122223333", roleName: "deployer", sessionName: "ci" },
          },
        ],
      }),
    );
    const req = await signed({ accessKeyId: "ASIATEMP", secretAccessKey: "s3cr3t", sessionToken: "token-1" });
    const caller = await verifyRequest(req, opts({ lookup: (id) => temp.credential(id) }));
    expect(caller.arn).toBe("arn:aws:sts::111122223333:assumed-role/deployer/ci");

    const wrongToken = await signed({ accessKeyId: "ASIATEMP", secretAccessKey: "s3cr3t", sessionToken: "token-2" });
    const err = await failure(verifyRequest(wrongToken, opts({ lookup: (id) => temp.credential(id) })));
    expect(err.type).toBe("UnrecognizedClientException");
    const noToken = await signed({ accessKeyId: "ASIATEMP", secretAccessKey: "s3cr3t" });
    expect((await failure(verifyRequest(noToken, opts({ lookup: (id) => temp.credential(id) })))).type).toBe("UnrecognizedClientException");
  });
});

describe("verifyRequest: failures worded as AWS words them", () => {
  it("answers a request with no Authorization header with MissingAuthenticationTokenException", async () => {
    const req = withHeaders(await signed(), { authorization: undefined });
    const err = await failure(verifyRequest(req, opts()));
    expect([err.type, err.message, err.status]).toEqual(["MissingAuthenticationTokenException", "Missing Authentication Token", 400]);
  });

  it("lists every missing parameter of a non-SigV4 Authorization header", async () => {
    const req = withHeaders(await signed(), { authorization: "AWS AKID:c2lnbmF0dXJl" });
    const err = await failure(verifyRequest(req, opts()));
    expect(err.type).toBe("IncompleteSignatureException");
    expect(err.message).toBe(
      "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization=AWS AKID:c2lnbmF0dXJl",
    );
  });

  it("also asks for a date header when there is none", async () => {
    const req = withHeaders(await signed(), { authorization: "Bearer x", "x-amz-date": undefined });
    const err = await failure(verifyRequest(req, opts()));
    expect(err.message).toBe(
      "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=Bearer x",
    );
  });

  it("reports a parameter without an equal sign", async () => {
    const header = "AWS4-HMAC-SHA256 Credential= alice/20240522/us-east-1/kms/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc";
    const err = await failure(verifyRequest(withHeaders(await signed(), { authorization: header }), opts()));
    expect(err.type).toBe("IncompleteSignatureException");
    expect(err.message).toBe(
      `'alice/20240522/us-east-1/kms/aws4_request' not a valid key=value pair (missing equal-sign) in Authorization header: '${header}'.`,
    );
  });

  it("reports a credential without five elements", async () => {
    const header = "AWS4-HMAC-SHA256 Credential=alice/20240522/us-east-1/kms, SignedHeaders=host;x-amz-date, Signature=abc";
    const err = await failure(verifyRequest(withHeaders(await signed(), { authorization: header }), opts()));
    expect(err.type).toBe("IncompleteSignatureException");
    expect(err.message).toBe(
      "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got 'alice/20240522/us-east-1/kms'",
    );
  });

  it("answers an unknown access key with UnrecognizedClientException", async () => {
    const err = await failure(verifyRequest(await signed({ accessKeyId: "nobody", secretAccessKey: "x" }), opts()));
    expect([err.type, err.message]).toEqual(["UnrecognizedClientException", "The security token included in the request is invalid."]);
  });

  it("answers a session token on long-term credentials with UnrecognizedClientException", async () => {
    const err = await failure(verifyRequest(await signed({ sessionToken: "forged" }), opts()));
    expect(err.type).toBe("UnrecognizedClientException");
  });

  const MISMATCH =
    "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

  it("answers a wrong secret key with InvalidSignatureException", async () => {
    const err = await failure(verifyRequest(await signed({ secretAccessKey: "not-alice" }), opts()));
    expect([err.type, err.message]).toEqual(["InvalidSignatureException", MISMATCH]);
  });

  it("detects a body changed after signing", async () => {
    const req = await signed();
    const tampered = { ...req, body: new TextEncoder().encode(BODY.replace("alias/test", "alias/evil")) };
    expect((await failure(verifyRequest(tampered, opts()))).message).toBe(MISMATCH);
  });

  it("does not trust a signed x-amz-content-sha256 that does not match the body", async () => {
    const hash = createHash("sha256").update(BODY).digest("hex");
    const req = await signed({ extraHeaders: { "x-amz-content-sha256": hash } });
    await expect(verifyRequest(req, opts())).resolves.toBeDefined();
    const swapped = { ...req, body: new TextEncoder().encode('{"KeyId":"alias/evil","Plaintext":"aGVsbG8="}') };
    expect((await failure(verifyRequest(swapped, opts()))).message).toBe(MISMATCH);
  });

  it("detects a signed header changed after signing", async () => {
    const req = withHeaders(await signed(), { "x-amz-target": "TrentService.Decrypt" });
    expect((await failure(verifyRequest(req, opts()))).message).toBe(MISMATCH);
  });

  it("rejects a signature that leaves out the Host header", async () => {
    const req = await signed();
    const auth = (req.headers as Record<string, string>).authorization!.replace(
      "SignedHeaders=content-type;host;",
      "SignedHeaders=content-type;",
    );
    const err = await failure(verifyRequest(withHeaders(req, { authorization: auth }), opts()));
    expect([err.type, err.message]).toEqual([
      "IncompleteSignatureException",
      "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
    ]);
  });

  it("says when a signature has expired, with AWS's dates", async () => {
    const err = await failure(verifyRequest(await signed(), opts({ now: new Date("2024-05-22T12:10:19Z") })));
    expect([err.type, err.message]).toEqual([
      "InvalidSignatureException",
      "Signature expired: 20240522T115159Z is now earlier than 20240522T120519Z (20240522T121019Z - 5 min.)",
    ]);
  });

  it("says when a signature is not yet current", async () => {
    const err = await failure(verifyRequest(await signed(), opts({ now: new Date("2024-05-22T11:40:00Z") })));
    expect([err.type, err.message]).toEqual([
      "InvalidSignatureException",
      "Signature not yet current: 20240522T115159Z is still later than 20240522T114500Z (20240522T114000Z + 5 min.)",
    ]);
  });

  it("accepts a credential scoped to any Region the deployment serves, and says which", async () => {
    const verified = await verifyRequest(await signed({ region: "us-west-2" }), opts({ regions: ["us-east-1", "us-west-2"] }));
    expect(verified.region).toBe("us-west-2");
  });

  it("rejects a credential scoped to another region", async () => {
    const err = await failure(verifyRequest(await signed({ region: "eu-west-1" }), opts()));
    expect([err.type, err.message]).toEqual([
      "InvalidSignatureException",
      "Credential should be scoped to a valid region, not 'eu-west-1'. ",
    ]);
  });

  it("rejects a credential scoped to another service", async () => {
    const err = await failure(verifyRequest(await signed({ service: "s3" }), opts()));
    expect([err.type, err.message]).toEqual(["InvalidSignatureException", "Credential should be scoped to correct service: 'kms'. "]);
  });

  it("rejects a credential scope with another terminator", async () => {
    const req = await signed();
    const auth = (req.headers as Record<string, string>).authorization!.replace("/aws4_request", "/aws5_request");
    const err = await failure(verifyRequest(withHeaders(req, { authorization: auth }), opts()));
    expect(err.message).toBe("Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'. ");
  });

  it("rejects a credential scope dated another day than X-Amz-Date", async () => {
    const req = await signed();
    const auth = (req.headers as Record<string, string>).authorization!.replace("/20240522/", "/20240521/");
    const err = await failure(verifyRequest(withHeaders(req, { authorization: auth }), opts()));
    expect([err.type, err.message]).toEqual([
      "InvalidSignatureException",
      "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20240521' != '20240522', from '20240522T115159Z'.",
    ]);
  });

  it("rejects an X-Amz-Date that is not ISO-8601 basic format", async () => {
    const req = withHeaders(await signed(), { "x-amz-date": "2024-05-22T11:51:59Z" });
    const err = await failure(verifyRequest(req, opts()));
    expect(err.type).toBe("IncompleteSignatureException");
    expect(err.message).toBe(
      "Date must be in ISO-8601 'basic format'. Got '2024-05-22T11:51:59Z'. See http://en.wikipedia.org/wiki/ISO_8601",
    );
  });
});

describe("the signing service", () => {
  it("verifies a request signed for cloudtrail when asked for cloudtrail, and refuses it for kms and vice versa", async () => {
    const forCloudTrail = await signed({ service: "cloudtrail" });
    await expect(verifyRequest(forCloudTrail, opts({ service: "cloudtrail" }))).resolves.toMatchObject({ accessKeyId: "alice" });
    expect((await failure(verifyRequest(forCloudTrail, opts({ service: "kms" })))).message).toBe(
      "Credential should be scoped to correct service: 'kms'. ",
    );
    expect((await failure(verifyRequest(await signed(), opts({ service: "cloudtrail" })))).message).toBe(
      "Credential should be scoped to correct service: 'cloudtrail'. ",
    );
  });

  it("reads the claimed access key ID from an Authorization header without verifying it", async () => {
    const req = await signed({ accessKeyId: "bob", secretAccessKey: "wrong" });
    expect(claimedAccessKeyId((req.headers as Record<string, string>).authorization)).toBe("bob");
    expect(claimedAccessKeyId(undefined)).toBeUndefined();
    expect(claimedAccessKeyId("Bearer token")).toBeUndefined();
  });
});
