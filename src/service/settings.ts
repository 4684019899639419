/**
 * Deployment settings read from the runtime's configuration variables (wrangler.toml [vars] and
 * secrets on Cloudflare, the environment on Deno), with AWS KMS's defaults. Periods and limits are
 * configurable so tests can run rotation in seconds and reach limits with a handful of keys; the
 * API itself keeps AWS's bounds.
 *
 * Regions: one deployment serves a list of Regions (KMS_REGIONS, comma-separated); each request's
 * SigV4 credential scope chooses one of them (a service binding's or the Deno library's caller
 * names one, or gets the default). Keys, aliases, key lists and quotas are per Region. KMS_REGION
 * names the default Region (the first of the list when unset); a deployment that sets only
 * KMS_REGION serves that one Region, as before the list existed.
 */
import { isRegion } from "../arn.ts";

export interface Settings {
  /** The default Region: for callers that name none (service bindings, the Deno library, the console). */
  region: string;
  /** Every Region this deployment serves, the default first. */
  regions: readonly string[];
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

/** The Regions a deployment serves when it configures none (the local default). */
export const DEFAULT_REGIONS: readonly string[] = ["us-east-1", "us-west-2"];

function regionsFrom(env: Readonly<Record<string, string | undefined>>): string[] {
  const listed = env.KMS_REGIONS?.trim()
    ? env.KMS_REGIONS.split(",")
        .map((r) => r.trim())
        .filter((r) => r !== "")
    : env.KMS_REGION
      ? [env.KMS_REGION]
      : [...DEFAULT_REGIONS];
  const first = env.KMS_REGION || listed[0]!;
  const regions = [first, ...listed.filter((r) => r !== first)];
  for (const r of regions)
    if (!isRegion(r)) throw new Error(`configuration KMS_REGIONS: ${JSON.stringify(r)} is not a Region name such as us-east-1`);
  return regions;
}

export function settingsFrom(env: Readonly<Record<string, string | undefined>>): Settings {
  const regions = regionsFrom(env);
  return {
    region: regions[0]!,
    regions,
    rotationPeriodMs: positiveNumber(env.ROTATION_PERIOD_SECONDS, YEAR_SECONDS, "ROTATION_PERIOD_SECONDS") * 1000,
    keysPerAccount: positiveNumber(env.KEYS_PER_ACCOUNT, 1000, "KEYS_PER_ACCOUNT"),
    aliasesPerAccount: positiveNumber(env.ALIASES_PER_ACCOUNT, 1100, "ALIASES_PER_ACCOUNT"),
    auditRetentionMs: positiveNumber(env.AUDIT_RETENTION_DAYS, 90, "AUDIT_RETENTION_DAYS") * 24 * 60 * 60 * 1000,
    deletionDayMs: positiveNumber(env.DELETION_DAY_SECONDS, DAY_SECONDS, "DELETION_DAY_SECONDS") * 1000,
    importParametersValidMs: positiveNumber(env.IMPORT_PARAMETERS_VALID_SECONDS, DAY_SECONDS, "IMPORT_PARAMETERS_VALID_SECONDS") * 1000,
    auditForwardDelayMs: positiveNumber(env.AUDIT_FORWARD_DELAY_MS, DEFAULT_AUDIT_FORWARD_DELAY_MS, "AUDIT_FORWARD_DELAY_MS"),
  };
}
