/**
 * Deployment settings read from the worker's environment (wrangler.toml [vars] and secrets), with
 * AWS KMS's defaults. Periods and limits are configurable so tests can run rotation in seconds and
 * reach limits with a handful of keys; the API itself keeps AWS's bounds.
 */

export interface Env {
  KMS_REGION?: string;
  /** Service root key: base64 of 32 random bytes (a Worker secret; `npm start` generates one). */
  ROOT_KEY?: string;
  /** JSON identity configuration (see src/auth/identities.ts); without it every request is refused. */
  EDGEKMS_IDENTITIES?: string;
  /** "true": use the public development identities when EDGEKMS_IDENTITIES is unset (local runs only). */
  EDGEKMS_DEV_IDENTITIES?: string;
  /** "true" where Cloudflare's edge sets CF-Connecting-IP (deployed); otherwise aws:SourceIp is absent. */
  TRUST_CF_CONNECTING_IP?: string;
  /** Request quotas: unset or "aws" for AWS's defaults, "off", or JSON overrides (src/quotas/request-quotas.ts). */
  REQUEST_QUOTAS?: string;
  ROTATION_PERIOD_SECONDS?: string;
  KEYS_PER_ACCOUNT?: string;
  ALIASES_PER_ACCOUNT?: string;
  GRANTS_PER_KEY?: string;
  GRANTS_PER_GRANTEE_PER_KEY?: string;
  /** Length of one "day" of a deletion pending window, in seconds (tests shorten it). */
  DELETION_DAY_SECONDS?: string;
  /** How long GetParametersForImport's public key and import token stay valid, in seconds. */
  IMPORT_PARAMETERS_VALID_SECONDS?: string;
  KEYS: DurableObjectNamespace<import("./key-object.ts").KeyObject>;
  ACCOUNTS: DurableObjectNamespace<import("./account-registry.ts").AccountRegistry>;
  /** The audit trail: one AuditLog Durable Object per account and region (worker/audit-log.ts). */
  AUDIT: DurableObjectNamespace<import("./audit-log.ts").AuditLog>;
  /** Days audit records and key events are kept (default 90; fractions allowed for tests). */
  AUDIT_RETENTION_DAYS?: string;
  /** Bearer token for GET /metrics and GET /key-events (a secret; unset disables both). */
  METRICS_TOKEN?: string;
  /** Milliseconds a call's audit record waits in its object's outbox before forwarding (default 200). */
  AUDIT_FORWARD_DELAY_MS?: string;
  /** Optional Cloudflare Queue receiving the key events (rotation, material expiry, deletion). */
  KEY_EVENTS_QUEUE?: Queue<import("../src/audit/events.ts").KeyEvent>;
}

export type { Settings } from "../src/service/settings.ts";
import { settingsFrom, type Settings } from "../src/service/settings.ts";

/** The deployment's settings (src/service/settings.ts) from the worker's environment. */
export function settings(env: Env): Settings {
  return settingsFrom(env as unknown as Record<string, string | undefined>);
}
