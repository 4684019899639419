/**
 * Deployment settings read from the worker's environment (wrangler.toml [vars] and secrets), with
 * AWS KMS's defaults. Periods and limits are configurable so tests can run rotation in seconds and
 * reach limits with a handful of keys; the API itself keeps AWS's bounds.
 */

/** The Worker's environment: the deployment's variables (worker/vars.ts) and its bindings. */
export interface Env extends Vars {
  KEYS: DurableObjectNamespace<import("./key-object.ts").KeyObject>;
  ACCOUNTS: DurableObjectNamespace<import("./account-registry.ts").AccountRegistry>;
  /** The audit trail: 8 AuditLog Durable Object shards per account and region (worker/audit.ts). */
  AUDIT: DurableObjectNamespace<import("./audit-log.ts").AuditLog>;
  /** Optional Cloudflare Queue receiving the key events (rotation, material expiry, deletion). */
  KEY_EVENTS_QUEUE?: Queue<import("../src/audit/events.ts").KeyEvent>;
}

import type { Vars } from "./vars.ts";

export type { Settings } from "../src/service/settings.ts";
import { settingsFrom, type Settings } from "../src/service/settings.ts";

/** The deployment's settings (src/service/settings.ts) from the worker's environment. */
export function settings(env: Env): Settings {
  return settingsFrom(env as unknown as Record<string, string | undefined>);
}
