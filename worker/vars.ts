/**
 * The string configuration variables of a deployment, whatever the runtime: wrangler.toml [vars]
 * and secrets on Cloudflare (worker/config.ts's Env has these and the bindings), the environment
 * on Deno. A leaf module with no platform types, so runtime-neutral modules can name them.
 */
export interface Vars {
  /** The default Region (the first of KMS_REGIONS when unset). */
  KMS_REGION?: string;
  /** The Regions this deployment serves, comma-separated (default us-east-1,us-west-2, or KMS_REGION alone). */
  KMS_REGIONS?: string;
  /** Service root key: base64 of 32 random bytes (a secret; the local launchers generate one). */
  ROOT_KEY?: string;
  /** Retired root keys, comma-separated base64: they still open and verify what they sealed (README "Root-key rotation"). */
  ROOT_KEY_PREVIOUS?: string;
  /** JSON identity configuration (see src/auth/identities.ts); without it every request is refused. */
  EDGEKMS_IDENTITIES?: string;
  /** "true": use the public development identities when EDGEKMS_IDENTITIES is unset (local runs only). */
  EDGEKMS_DEV_IDENTITIES?: string;
  /** "true" where a trusted edge sets CF-Connecting-IP; otherwise aws:SourceIp is absent. */
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
  /** Days audit records and key events are kept (default 90; fractions allowed for tests). */
  AUDIT_RETENTION_DAYS?: string;
  /** Bearer token for GET /metrics and GET /key-events (a secret; unset disables both). */
  METRICS_TOKEN?: string;
  /** Milliseconds a call's audit record waits in its object's outbox before forwarding (default 200). */
  AUDIT_FORWARD_DELAY_MS?: string;
}
