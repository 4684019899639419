/**
 * The runtime the HTTP app (worker/http-app.ts) runs on in a Worker: keys and accounts are
 * Durable Objects (worker/dispatch.ts), the audit trail the sharded AuditLog objects
 * (worker/audit.ts).
 */
import type { KeyEvent } from "../src/audit/events.ts";
import type { Env } from "./config.ts";
import { auditLogOf, lookupAll, requestStatsAll } from "./audit.ts";
import { durablePorts } from "./dispatch.ts";
import type { KmsRuntime } from "./runtime.ts";

export function cloudflareRuntime(env: Env): KmsRuntime {
  return {
    vars: env,
    ports: durablePorts(env),
    audit: {
      lookup: (accountId, region, query) => lookupAll(env, accountId, region, query),
      requestStats: (accountId, region) => requestStatsAll(env, accountId, region),
      keyEvents: async (accountId, region, limit) => (await auditLogOf(env, accountId, region).keyEvents(limit)) as unknown as KeyEvent[],
    },
  };
}
