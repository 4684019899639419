/**
 * What the HTTP app (worker/http-app.ts) needs from a runtime: its variables, the service's ports
 * (src/service/ports.ts) and the audit log's read side. Cloudflare provides it from Durable
 * Objects (worker/cloudflare-runtime.ts), Deno from Deno KV (deno/runtime.ts); the app, the
 * operations and every rule are the same. A leaf module of types: no platform types here.
 */
import type { KeyEvent } from "../src/audit/events.ts";
import type { LookupQuery, StoredEvent } from "../src/audit/lookup.ts";
import type { RequestStats } from "../src/audit/metrics.ts";
import type { ServicePorts } from "../src/service/ports.ts";
import type { Vars } from "./vars.ts";

export interface LookupPage {
  events: StoredEvent[];
  /** Set when more events match: the position the next page resumes after. */
  last?: { timeMs: number; eventId: string };
}

/** The read side of an account's audit trail (LookupEvents, /metrics, /key-events). */
export interface AuditReader {
  lookup(accountId: string, region: string, query: LookupQuery): Promise<LookupPage>;
  requestStats(accountId: string, region: string): Promise<RequestStats[]>;
  keyEvents(accountId: string, region: string, limit: number): Promise<KeyEvent[]>;
}

export interface KmsRuntime {
  vars: Vars;
  ports: ServicePorts;
  audit: AuditReader;
}
