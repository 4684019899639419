/**
 * The Hono app, on any runtime (worker/runtime.ts; worker/app.ts serves it on Cloudflare,
 * deno/main.ts on Deno): one POST route that speaks AWS JSON 1.1 for TrentService. For each request it
 * reads the body (at most 512 KiB, src/protocol/body.ts), authenticates the SigV4 signature,
 * names the operation from X-Amz-Target, counts the call against the account's request quota
 * (throttle.ts) and parses the body, then runs the operation (dispatch.ts); every failure goes
 * through one onError that answers with AWS's error shape. A deployment without identities
 * refuses everything (identity-config.ts).
 *
 * Every call dispatch runs leaves exactly one audit record (audit.ts); refusals before dispatch
 * are recorded here when they name a known principal, at a bounded rate per access key
 * (refusal-records.ts), since anyone who knows an access key ID can cause them. The same route answers
 * CloudTrail's LookupEvents over that trail (cloudtrail.ts); GET /metrics and GET /key-events are
 * the operator's endpoints (metrics.ts).
 */
import { Hono } from "hono";
import { claimedAccessKeyId, verifyRequest } from "../src/auth/sigv4.ts";
import { readLimitedBody } from "../src/protocol/body.ts";
import { errorResponse, jsonResponse, KmsError } from "../src/protocol/errors.ts";
import { parseBody } from "../src/protocol/json.ts";
import { isOperationName, parseTarget, TARGET_PREFIX, type OperationName } from "../src/protocol/operations.ts";
import type { Caller } from "../src/service/caller.ts";
import { runOperation } from "../src/service/dispatch.ts";
import { settingsFrom } from "../src/service/settings.ts";
import { cloudTrailRequest, isCloudTrailTarget } from "./cloudtrail.ts";
import { extensionRequest, isExtensionTarget } from "./extensions.ts";
import { identities } from "./identity-config.ts";
import { keyEventsResponse, metricsResponse } from "./metrics.ts";
import { mayRecordRefusal } from "./refusal-records.ts";
import { sourceAddress } from "./source-ip.ts";
import type { KmsRuntime } from "./runtime.ts";
import { enforceRequestQuota } from "./throttle.ts";

type AppEnv = { Bindings: object | undefined; Variables: { requestId: string; runtime: KmsRuntime } };

/** The longest User-Agent kept for the audit trail (AWS SDK and CLI agents are a few hundred characters). */
export const MAX_USER_AGENT_LENGTH = 1024;

/**
 * The app over a runtime: `runtimeOf` maps the request's platform environment (Hono's `c.env`:
 * the Worker's bindings on Cloudflare, nothing on Deno) to the runtime's ports.
 */
export function createApp(runtimeOf: (env: unknown) => KmsRuntime, mount: (app: Hono<AppEnv>) => void = () => {}): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.use(async (c, next) => {
    c.set("requestId", crypto.randomUUID());
    // Routes mounted on the app (the console) reach the service through the same runtime.
    c.set("runtime", runtimeOf(c.env));
    await next();
  });

  app.post("/", async (c) => {
    const requestId = c.get("requestId");
    const target = c.req.header("X-Amz-Target") ?? null;
    // Without an identity configuration nothing can authenticate: refuse before reading anything.
    const runtime = c.get("runtime");
    const env = runtime.vars;
    const known = identities(env);
    if (isCloudTrailTarget(target)) {
      const body = await readLimitedBody(c.req.raw);
      return cloudTrailRequest(runtime, new Request(c.req.raw, { body: body as Uint8Array<ArrayBuffer> }), requestId, known);
    }
    const startedAt = Date.now();
    const config = settingsFrom(env as Record<string, string | undefined>);
    const request = {
      ...sourceAddress(c.req.raw, env),
      // Recorded in every audit record of the call, so bounded like everything else the caller sends.
      userAgent: c.req.header("User-Agent")?.slice(0, MAX_USER_AGENT_LENGTH),
      secureTransport: new URL(c.req.url).protocol === "https:",
      via: "http" as const,
    };
    let caller: Caller | undefined;
    let operation: OperationName;
    let parsed: Record<string, unknown>;
    if (isExtensionTarget(target)) return extensionRequest(runtime, c.req.raw, await readLimitedBody(c.req.raw), requestId, known, request);
    try {
      // Bounded before SigV4 hashes it: the signature cannot be checked without reading the body.
      const body = await readLimitedBody(c.req.raw);
      const verified = await verifyRequest(
        { method: c.req.method, url: c.req.url, headers: c.req.raw.headers, body },
        { regions: config.regions, service: "kms", now: new Date(), lookup: (id) => known.credential(id) },
      );
      caller = {
        accountId: verified.accountId,
        principalArn: verified.arn,
        principal: verified.principal,
        accessKeyId: verified.accessKeyId,
        region: verified.region,
        ...request,
      };
      operation = parseTarget(target);
      enforceRequestQuota(env, caller.accountId, operation, Date.now(), caller.region);
      parsed = parseBody(body);
    } catch (err) {
      // Refused before dispatch (size, authentication, unknown operation, quota, unparseable body):
      // recorded in the account of the principal when it is known — authenticated, or named by a
      // recognised access key whose signature failed — with no request parameters (nothing here is
      // validated), an event name from the fixed list of operations, and at a bounded rate per
      // access key (refusal-records.ts). A request from nobody we know has no account to go to.
      const accessKeyId = caller?.accessKeyId ?? claimedAccessKeyId(c.req.header("Authorization"));
      const principal = caller?.principal ?? (accessKeyId === undefined ? undefined : known.credential(accessKeyId)?.principal);
      if (principal !== undefined && accessKeyId !== undefined && mayRecordRefusal(accessKeyId)) {
        const identity = { accountId: principal.accountId, principal, accessKeyId, ...request };
        const draft = {
          identity,
          eventName: attemptedOperation(target),
          request: null,
          requestId,
          startedAt,
          region: config.region,
          keyArns: [],
        };
        await runtime.ports.recordCall(draft, { error: err });
      }
      throw err;
    }
    const result = await runOperation(runtime.ports, config, caller, operation, parsed, requestId);
    return jsonResponse(result, requestId);
  });

  app.get("/metrics", (c) => {
    const runtime = c.get("runtime");
    return metricsResponse(
      runtime,
      c.req.raw,
      identities(runtime.vars).accounts.map((a) => a.accountId),
    );
  });

  app.get("/key-events", (c) => keyEventsResponse(runtimeOf(c.env), c.req.raw));

  // The runtime's own routes (the console on Cloudflare), before the catch-all.
  mount(app);

  app.all("*", (c) => {
    throw new KmsError("UnknownOperationException", `${c.req.method} ${new URL(c.req.url).pathname} is not an operation.`);
  });

  app.onError((err, c) =>
    errorResponse(err, c.get("requestId") ?? crypto.randomUUID(), {
      onUnexpected: (e) => console.error("unexpected error", e instanceof Error ? `${e.name}: ${e.stack}` : "non-error thrown"),
    }),
  );

  return app;
}

/**
 * The eventName of a request refused before dispatch: the operation its X-Amz-Target named when
 * that is one of TrentService's, else "UnknownOperation" — never a name the caller made up, since
 * event names become metric labels.
 */
export function attemptedOperation(target: string | null): OperationName | "UnknownOperation" {
  const name = target?.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : "";
  return isOperationName(name) ? name : "UnknownOperation";
}
