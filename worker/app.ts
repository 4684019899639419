/**
 * The Hono app: one POST route that speaks AWS JSON 1.1 for TrentService. For each request it
 * authenticates the SigV4 signature, names the operation from X-Amz-Target and parses the body,
 * then runs the operation (dispatch.ts); every failure goes through one onError that answers with
 * AWS's error shape.
 *
 * Every KMS request from a known principal leaves exactly one audit record (audit.ts): dispatch
 * records the calls it runs, this file the ones refused before dispatch. The same route answers
 * CloudTrail's LookupEvents over that trail (cloudtrail.ts); GET /metrics and GET /key-events are
 * the operator's endpoints (metrics.ts). /console is the web console (console/index.ts).
 */
import { Hono } from "hono";
import { loadIdentities, type Identities } from "../src/auth/identities.ts";
import { claimedAccessKeyId, verifyRequest } from "../src/auth/sigv4.ts";
import { errorResponse, jsonResponse, KmsError } from "../src/protocol/errors.ts";
import { parseBody } from "../src/protocol/json.ts";
import { parseTarget, TARGET_PREFIX, type OperationName } from "../src/protocol/operations.ts";
import type { Caller } from "./caller.ts";
import { settings, type Env } from "./config.ts";
import { runOperation } from "./dispatch.ts";
import { recordCall } from "./audit.ts";
import { cloudTrailRequest, isCloudTrailTarget } from "./cloudtrail.ts";
import { keyEventsResponse, metricsResponse } from "./metrics.ts";
import { consoleApp } from "./console/index.ts";

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
  const target = c.req.header("X-Amz-Target") ?? null;
  if (isCloudTrailTarget(target)) return cloudTrailRequest(c.env, c.req.raw, requestId, identities(c.env));
  const startedAt = Date.now();
  const config = settings(c.env);
  const body = new Uint8Array(await c.req.arrayBuffer());
  const request = {
    sourceIp: c.req.header("CF-Connecting-IP") ?? "127.0.0.1",
    userAgent: c.req.header("User-Agent"),
    secureTransport: new URL(c.req.url).protocol === "https:",
    via: "http" as const,
  };
  let caller: Caller | undefined;
  let operation: OperationName;
  let parsed: Record<string, unknown>;
  try {
    const verified = await verifyRequest(
      { method: c.req.method, url: c.req.url, headers: c.req.raw.headers, body },
      { region: config.region, service: "kms", now: new Date(), lookup: (id) => identities(c.env).credential(id) },
    );
    caller = {
      accountId: verified.accountId,
      principalArn: verified.arn,
      principal: verified.principal,
      accessKeyId: verified.accessKeyId,
      ...request,
    };
    operation = parseTarget(target);
    parsed = parseBody(new TextDecoder().decode(body));
  } catch (err) {
    // Refused before dispatch (authentication, unknown operation, unparseable body): recorded in
    // the account of the principal when it is known — authenticated, or named by a recognised
    // access key whose signature failed. A request from nobody we know has no account to go to.
    const accessKeyId = caller?.accessKeyId ?? claimedAccessKeyId(c.req.header("Authorization"));
    const principal = caller?.principal ?? (accessKeyId === undefined ? undefined : identities(c.env).credential(accessKeyId)?.principal);
    if (principal !== undefined) {
      await recordCall(c.env, {
        identity: { accountId: principal.accountId, principal, accessKeyId, ...request },
        eventName: attemptedOperation(target),
        request: null,
        error: err,
        keyArns: [],
        requestId,
        startedAt,
      });
    }
    throw err;
  }
  const result = await runOperation(c.env, caller, operation, parsed, requestId);
  return jsonResponse(result, requestId);
});

/** The eventName of a request refused before dispatch: what its X-Amz-Target named, if sensible. */
function attemptedOperation(target: string | null): string {
  const name = target?.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : "";
  return /^[A-Za-z0-9]{1,64}$/.test(name) ? name : "UnknownOperation";
}

app.get("/metrics", (c) => metricsResponse(c.env, c.req.raw, identities(c.env).accounts.map((a) => a.accountId)));

app.get("/key-events", (c) => keyEventsResponse(c.env, c.req.raw));

app.route("/console", consoleApp);

app.all("*", (c) => {
  throw new KmsError("UnknownOperationException", `${c.req.method} ${new URL(c.req.url).pathname} is not an operation.`);
});

app.onError((err, c) =>
  errorResponse(err, c.get("requestId") ?? crypto.randomUUID(), {
    onUnexpected: (e) => console.error("unexpected error", e instanceof Error ? `${e.name}: ${e.stack}` : "non-error thrown"),
  }),
);
