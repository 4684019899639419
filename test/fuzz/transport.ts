/**
 * The fuzzer's HTTP side: builds AWS JSON 1.1 requests signed with SigV4 (the AWS SDK's own signer,
 * @smithy/signature-v4, as the service verifies with), lets a mutator change any part before or
 * after signing, and sends them over a keep-alive node:http connection with a per-request timeout,
 * so that a request that never answers is recorded as a hang instead of stalling the run.
 *
 * node:http rather than fetch: fetch normalises what the fuzzer wants to send as is — repeated
 * headers, a Host that is not the URL's, a Content-Length that does not match the body.
 */
import { Agent, request as httpRequest } from "node:http";
import { SignatureV4 } from "@smithy/signature-v4";
import { Sha256 } from "../../src/auth/sigv4.ts";

export const REGION = "us-east-1";
export const KMS_TARGET_PREFIX = "TrentService.";
export const JSON_CONTENT_TYPE = "application/x-amz-json-1.1";

/** Header name → one value, or several (sent as repeated headers); undefined drops it. */
export type Headers = Record<string, string | string[] | undefined>;

export interface RawRequest {
  method: string;
  path: string;
  headers: Headers;
  body: Uint8Array;
}

export interface Outcome {
  status: number;
  /** The error's __type (prefix before '#' removed), when the body says one. */
  type?: string;
  message?: string;
  /** The parsed JSON body, when it is JSON. */
  json?: unknown;
  ms: number;
  /** The request did not complete within the timeout. */
  timedOut?: boolean;
  /** The connection failed (reset, refused) before a response. */
  networkError?: string;
}

export interface SignParts {
  accessKeyId: string;
  secretAccessKey: string;
  target: string;
  body: Uint8Array;
  /** Extra or replacement headers, signed along (a value of undefined removes the header before signing). */
  headers?: Headers;
  signingDate?: Date;
  region?: string;
  service?: string;
}

const utf8 = new TextEncoder();

export class Transport {
  readonly #url: URL;
  // A connection per request: under load the local runtime may close an idle keep-alive
  // connection just as a request is written on it (a dropped connection that says nothing about
  // the request), which a reused socket would report as a network error.
  readonly #agent = new Agent({ keepAlive: false, maxSockets: 4 });
  readonly #timeoutMs: number;

  constructor(url: string, timeoutMs = 15_000) {
    this.#url = new URL(url);
    this.#timeoutMs = timeoutMs;
  }

  get host(): string {
    return this.#url.host;
  }

  /** A signed POST / request for `target` (e.g. "TrentService.Encrypt"). */
  async sign(parts: SignParts): Promise<RawRequest> {
    const headers: Record<string, string> = {
      host: this.#url.host,
      "content-type": JSON_CONTENT_TYPE,
      "x-amz-target": parts.target,
    };
    for (const [k, v] of Object.entries(parts.headers ?? {})) {
      if (v === undefined) delete headers[k.toLowerCase()];
      else headers[k.toLowerCase()] = Array.isArray(v) ? v.join(",") : v;
    }
    const signer = new SignatureV4({
      credentials: { accessKeyId: parts.accessKeyId, secretAccessKey: parts.secretAccessKey },
      region: parts.region ?? REGION,
      service: parts.service ?? "kms",
      sha256: Sha256,
    });
    const signed = await signer.sign(
      {
        method: "POST",
        protocol: this.#url.protocol,
        hostname: this.#url.hostname,
        port: Number(this.#url.port),
        path: "/",
        query: {},
        headers,
        body: parts.body,
      },
      parts.signingDate === undefined ? {} : { signingDate: parts.signingDate },
    );
    return { method: "POST", path: "/", headers: { ...signed.headers }, body: parts.body };
  }

  /** Requests sent so far (fuzz requests and state reads alike). */
  sent = 0;

  /** Sends a request as it is, within the timeout. Never throws. */
  send(req: RawRequest): Promise<Outcome> {
    this.sent++;
    const started = performance.now();
    return new Promise<Outcome>((resolve) => {
      let settled = false;
      const done = (o: Omit<Outcome, "ms">) => {
        if (settled) return;
        settled = true;
        resolve({ ...o, ms: performance.now() - started });
      };
      const headers: Record<string, string | string[]> = {};
      for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = v;
      if (!Object.keys(headers).some((k) => k.toLowerCase() === "content-length")) headers["content-length"] = String(req.body.length);
      const r = httpRequest(
        { agent: this.#agent, host: this.#url.hostname, port: this.#url.port, method: req.method, path: req.path, headers, setHost: false },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("error", (e) => done({ status: 0, networkError: e.message }));
          res.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            let json: unknown;
            try {
              json = text === "" ? undefined : JSON.parse(text);
            } catch {
              json = undefined;
            }
            const body = json as { __type?: unknown; message?: unknown; Message?: unknown } | undefined;
            const rawType = typeof body?.__type === "string" ? body.__type : (res.headers["x-amzn-errortype"] as string | undefined);
            const message = typeof body?.message === "string" ? body.message : typeof body?.Message === "string" ? body.Message : undefined;
            done({
              status: res.statusCode ?? 0,
              ...(rawType === undefined ? {} : { type: rawType.split("#").pop()!.split(":")[0]! }),
              ...(message === undefined ? {} : { message }),
              ...(json === undefined ? {} : { json }),
            });
          });
        },
      );
      r.setTimeout(this.#timeoutMs, () => {
        done({ status: 0, timedOut: true });
        r.destroy();
      });
      r.on("error", (e) => done({ status: 0, networkError: e.message }));
      // A server may answer (413, or a refusal of the headers) before the body is written; the
      // rest of the write then fails after the request let go of its socket, where no one listens.
      // Such a late error changes no outcome: the request's own listener reports every earlier one.
      r.on("socket", (socket) => socket.on("error", () => {}));
      r.end(req.body);
    });
  }

  /**
   * A well-formed call (set-up, state digests): signed JSON, returns the outcome. Throws when
   * `expectOk` and the call did not succeed.
   */
  async call(identity: string, operation: string, input: object, expectOk = true, prefix = KMS_TARGET_PREFIX): Promise<Outcome> {
    const req = await this.sign({
      accessKeyId: identity,
      secretAccessKey: identity,
      target: prefix + operation,
      body: utf8.encode(JSON.stringify(input)),
    });
    const out = await this.send(req);
    if (expectOk && out.status !== 200)
      throw new Error(`${operation} as ${identity} failed: ${out.status} ${out.type ?? ""} ${out.message ?? ""}`);
    return out;
  }

  close(): void {
    this.#agent.destroy();
  }
}
