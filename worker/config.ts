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

export interface Settings {
  region: string;
  rotationPeriodMs: number;
  keysPerAccount: number;
  aliasesPerAccount: number;
  auditRetentionMs: number;
  deletionDayMs: number;
  importParametersValidMs: number;
  /** How long a call's audit record waits in its object's outbox before it is forwarded. */
  auditForwardDelayMs: number;
}

const YEAR_SECONDS = 365 * 24 * 60 * 60;
/** Long enough to batch a busy key's records, short enough that LookupEvents sees a call within a second. */
const DEFAULT_AUDIT_FORWARD_DELAY_MS = 200;
const DAY_SECONDS = 24 * 60 * 60;

function positiveNumber(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === "") return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`configuration ${name} must be a positive number`);
  return n;
}

export function settings(env: Env): Settings {
  return {
    region: env.KMS_REGION || "us-east-1",
    rotationPeriodMs: positiveNumber(env.ROTATION_PERIOD_SECONDS, YEAR_SECONDS, "ROTATION_PERIOD_SECONDS") * 1000,
    keysPerAccount: positiveNumber(env.KEYS_PER_ACCOUNT, 1000, "KEYS_PER_ACCOUNT"),
    aliasesPerAccount: positiveNumber(env.ALIASES_PER_ACCOUNT, 1100, "ALIASES_PER_ACCOUNT"),
    auditRetentionMs: positiveNumber(env.AUDIT_RETENTION_DAYS, 90, "AUDIT_RETENTION_DAYS") * 24 * 60 * 60 * 1000,
    deletionDayMs: positiveNumber(env.DELETION_DAY_SECONDS, DAY_SECONDS, "DELETION_DAY_SECONDS") * 1000,
    importParametersValidMs:
      positiveNumber(env.IMPORT_PARAMETERS_VALID_SECONDS, DAY_SECONDS, "IMPORT_PARAMETERS_VALID_SECONDS") * 1000,
    auditForwardDelayMs: positiveNumber(env.AUDIT_FORWARD_DELAY_MS, DEFAULT_AUDIT_FORWARD_DELAY_MS, "AUDIT_FORWARD_DELAY_MS"),
  };
}
