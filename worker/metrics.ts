/**
 * The operator endpoints, both behind the METRICS_TOKEN bearer token (a Worker secret; `npm start`
 * generates one into .dev.vars; without it both answer 404, as if absent):
 *
 * - GET /metrics — Prometheus text (src/audit/metrics.ts) for every account of the identity
 *   configuration: request counters and latency from each account's AuditLog, keys by state and
 *   the AWS/KMS SecondsUntilKeyMaterialExpiration gauge from the keys themselves.
 * - GET /key-events?account=<id>[&limit=n] — the key events (rotation, material expiry, deletion)
 *   of an account's keys, newest first, as the guide's CloudWatch Events JSON.
 *
 * Cost: a scrape reads one AuditLog per account and asks each key object for its state and
 * ValidTo (one small RPC per key, in parallel batches), so it is O(keys); it reads nothing secret.
 * Scrape every minute or less often; AWS publishes its KMS metrics per minute as well.
 */
import { prometheusText, type AccountMetrics, type KeyStatus } from "../src/audit/metrics.ts";
import { unwrap } from "../src/service/rpc.ts";
import { settingsFrom } from "../src/service/settings.ts";
import { stringsEqual } from "../src/bytes.ts";
import type { KmsRuntime } from "./runtime.ts";
import type { Vars } from "./vars.ts";

const KEY_BATCH = 50;

/** Constant-time comparison of the presented bearer token with the configured one. */
function authorized(env: Vars, request: Request): boolean {
  const expected = env.METRICS_TOKEN;
  const header = request.headers.get("Authorization") ?? "";
  if (expected === undefined || expected === "" || !header.startsWith("Bearer ")) return false;
  return stringsEqual(header.slice("Bearer ".length), expected);
}

/** The refusal for a request without the right token (or any, when no token is configured). */
function refusal(env: Vars): Response | undefined {
  if (env.METRICS_TOKEN === undefined || env.METRICS_TOKEN === "") return new Response("Not Found\n", { status: 404 });
  return new Response("Unauthorized\n", { status: 401, headers: { "WWW-Authenticate": 'Bearer realm="edgekms"' } });
}

async function keyStatuses(runtime: KmsRuntime, accountId: string, region: string): Promise<KeyStatus[]> {
  const registry = runtime.ports.accounts(accountId, region);
  const entries: { keyId: string; keyArn: string }[] = [];
  let marker: string | undefined;
  do {
    const page = await unwrap(registry.listKeys(1000, marker));
    entries.push(...page.items);
    marker = page.nextMarker;
  } while (marker !== undefined);
  const out: KeyStatus[] = [];
  for (let i = 0; i < entries.length; i += KEY_BATCH) {
    const batch = entries.slice(i, i + KEY_BATCH);
    const snapshots = await Promise.all(batch.map((e) => runtime.ports.keys(e.keyArn).metricsSnapshot()));
    snapshots.forEach((s, j) => {
      if (s !== undefined) out.push({ keyId: batch[j]!.keyId, ...s });
    });
  }
  return out;
}

function regionsOf(env: Vars): readonly string[] {
  return settingsFrom(env as Record<string, string | undefined>).regions;
}

export async function metricsResponse(runtime: KmsRuntime, request: Request, accountIds: readonly string[]): Promise<Response> {
  const env = runtime.vars;
  if (!authorized(env, request)) return refusal(env)!;
  // One series per account and Region served.
  const accounts: AccountMetrics[] = await Promise.all(
    accountIds.flatMap((accountId) =>
      regionsOf(env).map(async (region) => ({
        accountId,
        region,
        requests: await runtime.audit.requestStats(accountId, region),
        keys: await keyStatuses(runtime, accountId, region),
      })),
    ),
  );
  return new Response(prometheusText(accounts, Date.now()), {
    headers: { "Content-Type": "text/plain; version=0.0.4; charset=utf-8" },
  });
}

export async function keyEventsResponse(runtime: KmsRuntime, request: Request): Promise<Response> {
  const env = runtime.vars;
  if (!authorized(env, request)) return refusal(env)!;
  const url = new URL(request.url);
  const account = url.searchParams.get("account") ?? "";
  if (!/^\d{12}$/.test(account)) return Response.json({ message: "account must be a 12-digit account ID" }, { status: 400 });
  const limit = Math.min(1000, Math.max(1, Number(url.searchParams.get("limit") ?? "100") || 100));
  const regions = regionsOf(env);
  const region = url.searchParams.get("region") ?? regions[0]!;
  if (!regions.includes(region)) return Response.json({ message: "region must be one this deployment serves" }, { status: 400 });
  const events = await runtime.audit.keyEvents(account, region, limit);
  return Response.json({ Events: events });
}
