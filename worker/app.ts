/**
 * The Hono app: one POST route that speaks AWS JSON 1.1 for TrentService. For each request it
 * authenticates the SigV4 signature, names the operation from X-Amz-Target and parses the body,
 * then runs the operation (dispatch.ts); every failure goes through one onError that answers with
 * AWS's error shape.
 */
import { Hono } from "hono";
import { loadIdentities, type Identities } from "../src/auth/identities.ts";
import { verifyRequest } from "../src/auth/sigv4.ts";
import { errorResponse, jsonResponse, KmsError } from "../src/protocol/errors.ts";
import { parseBody } from "../src/protocol/json.ts";
import { parseTarget } from "../src/protocol/operations.ts";
import type { Caller } from "./caller.ts";
import { settings, type Env } from "./config.ts";
import { runOperation } from "./dispatch.ts";

type AppEnv = { Bindings: Env; Variables: { requestId: string } };

let identitiesCache: { source: string | undefined; identities: Identities } | undefined;

/** Identities are parsed once per isolate (and again only if the configuration changes). */
function identities(env: Env): Identities {
  if (identitiesCache === undefined || identitiesCache.source !== env.EDGEKMS_IDENTITIES) {
    identitiesCache = { source: env.EDGEKMS_IDENTITIES, identities: loadIdentities(env.EDGEKMS_IDENTITIES) };
  }
  return identitiesCache.identities;
}

export const app = new Hono<AppEnv>();

app.use(async (c, next) => {
  c.set("requestId", crypto.randomUUID());
  await next();
});

app.post("/", async (c) => {
  const requestId = c.get("requestId");
  const config = settings(c.env);
  const body = new Uint8Array(await c.req.arrayBuffer());
  const verified = await verifyRequest(
    { method: c.req.method, url: c.req.url, headers: c.req.raw.headers, body },
    { region: config.region, service: "kms", now: new Date(), lookup: (id) => identities(c.env).credential(id) },
  );
  const operation = parseTarget(c.req.header("X-Amz-Target") ?? null);
  const caller: Caller = {
    accountId: verified.accountId,
    principalArn: verified.arn,
    principal: verified.principal,
    accessKeyId: verified.accessKeyId,
    sourceIp: c.req.header("CF-Connecting-IP") ?? "127.0.0.1",
    userAgent: c.req.header("User-Agent"),
    secureTransport: new URL(c.req.url).protocol === "https:",
    via: "http",
  };
  const result = await runOperation(c.env, caller, operation, parseBody(new TextDecoder().decode(body)), requestId);
  return jsonResponse(result, requestId);
});

app.all("*", (c) => {
  throw new KmsError("UnknownOperationException", `${c.req.method} ${new URL(c.req.url).pathname} is not an operation.`);
});

app.onError((err, c) =>
  errorResponse(err, c.get("requestId") ?? crypto.randomUUID(), {
    onUnexpected: (e) => console.error("unexpected error", e instanceof Error ? `${e.name}: ${e.stack}` : "non-error thrown"),
  }),
);
