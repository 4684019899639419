/**
 * Deployment settings read from the runtime's configuration variables (wrangler.toml [vars] and
 * secrets on Cloudflare, the environment on Deno), with AWS KMS's defaults. Periods and limits are
 * configurable so tests can run rotation in seconds and reach limits with a handful of keys; the
 * API itself keeps AWS's bounds.
 */

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

export function settingsFrom(env: Readonly<Record<string, string | undefined>>): Settings {
  return {
    region: env.KMS_REGION || "us-east-1",
    rotationPeriodMs: positiveNumber(env.ROTATION_PERIOD_SECONDS, YEAR_SECONDS, "ROTATION_PERIOD_SECONDS") * 1000,
    keysPerAccount: positiveNumber(env.KEYS_PER_ACCOUNT, 1000, "KEYS_PER_ACCOUNT"),
    aliasesPerAccount: positiveNumber(env.ALIASES_PER_ACCOUNT, 1100, "ALIASES_PER_ACCOUNT"),
    auditRetentionMs: positiveNumber(env.AUDIT_RETENTION_DAYS, 90, "AUDIT_RETENTION_DAYS") * 24 * 60 * 60 * 1000,
    deletionDayMs: positiveNumber(env.DELETION_DAY_SECONDS, DAY_SECONDS, "DELETION_DAY_SECONDS") * 1000,
    importParametersValidMs: positiveNumber(env.IMPORT_PARAMETERS_VALID_SECONDS, DAY_SECONDS, "IMPORT_PARAMETERS_VALID_SECONDS") * 1000,
    auditForwardDelayMs: positiveNumber(env.AUDIT_FORWARD_DELAY_MS, DEFAULT_AUDIT_FORWARD_DELAY_MS, "AUDIT_FORWARD_DELAY_MS"),
  };
}
