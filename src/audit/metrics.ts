/**
 * The metrics EdgeKMS exposes at GET /metrics, in the Prometheus text exposition format (0.0.4):
 *
 * - `aws_kms_seconds_until_key_material_expiration{KeyId}` — the guide's AWS/KMS metric
 *   SecondsUntilKeyMaterialExpiration ("Monitoring Customer Master Keys"): seconds until imported
 *   key material expires, only for keys whose material is or was set to expire (ValidTo), never
 *   below 0; the dimension is KeyId, as in CloudWatch.
 * - `edgekms_requests_total{operation,error}` and the histogram
 *   `edgekms_request_duration_seconds{operation,error}` — API calls by operation and error code
 *   (empty for success), as the audit trail counted them.
 * - `edgekms_keys{state}` — keys by key state.
 *
 * Every series also carries `account` and `region`. Pure formatting; collection is the worker's.
 */

/** Upper bounds (milliseconds) of the latency histogram's buckets; +Inf is implicit. */
export const LATENCY_BUCKETS_MS = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000] as const;

/** The bucket a latency falls in (LATENCY_BUCKETS_MS.length for +Inf). */
export function bucketIndex(ms: number): number {
  const i = LATENCY_BUCKETS_MS.findIndex((le) => ms <= le);
  return i < 0 ? LATENCY_BUCKETS_MS.length : i;
}

export interface RequestStats {
  operation: string;
  /** The error code, or "" for successful calls. */
  error: string;
  count: number;
  sumMs: number;
  /** Non-cumulative counts per bucket, LATENCY_BUCKETS_MS.length + 1 entries (the last is +Inf). */
  buckets: number[];
}

export interface KeyStatus {
  keyId: string;
  keyState: string;
  /** Epoch ms when imported key material expires, if it is set to. */
  validTo?: number;
}

export interface AccountMetrics {
  accountId: string;
  region: string;
  requests: RequestStats[];
  keys: KeyStatus[];
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function labels(pairs: Record<string, string>): string {
  return `{${Object.entries(pairs)
    .map(([k, v]) => `${k}="${escapeLabel(v)}"`)
    .join(",")}}`;
}

function seconds(ms: number): string {
  return String(ms / 1000);
}

/** The exposition text for `accounts` at time `nowMs`. */
export function prometheusText(accounts: readonly AccountMetrics[], nowMs: number): string {
  const lines: string[] = [];

  lines.push(
    "# HELP aws_kms_seconds_until_key_material_expiration AWS/KMS SecondsUntilKeyMaterialExpiration: seconds until imported key material expires (dimension KeyId).",
    "# TYPE aws_kms_seconds_until_key_material_expiration gauge",
  );
  for (const a of accounts) {
    for (const k of a.keys) {
      if (k.validTo === undefined) continue;
      const remaining = Math.max(0, Math.floor((k.validTo - nowMs) / 1000));
      lines.push(
        `aws_kms_seconds_until_key_material_expiration${labels({ account: a.accountId, region: a.region, KeyId: k.keyId })} ${remaining}`,
      );
    }
  }

  lines.push(
    '# HELP edgekms_requests_total KMS API calls by operation and error code ("" for success).',
    "# TYPE edgekms_requests_total counter",
  );
  for (const a of accounts) {
    for (const r of a.requests) {
      const l = labels({ account: a.accountId, region: a.region, operation: r.operation, error: r.error });
      lines.push(`edgekms_requests_total${l} ${r.count}`);
    }
  }

  lines.push(
    "# HELP edgekms_request_duration_seconds Time from authentication to the response, by operation and error code.",
    "# TYPE edgekms_request_duration_seconds histogram",
  );
  for (const a of accounts) {
    for (const r of a.requests) {
      const base = { account: a.accountId, region: a.region, operation: r.operation, error: r.error };
      let cumulative = 0;
      LATENCY_BUCKETS_MS.forEach((le, i) => {
        cumulative += r.buckets[i] ?? 0;
        lines.push(`edgekms_request_duration_seconds_bucket${labels({ ...base, le: seconds(le) })} ${cumulative}`);
      });
      lines.push(`edgekms_request_duration_seconds_bucket${labels({ ...base, le: "+Inf" })} ${r.count}`);
      lines.push(`edgekms_request_duration_seconds_sum${labels(base)} ${seconds(r.sumMs)}`);
      lines.push(`edgekms_request_duration_seconds_count${labels(base)} ${r.count}`);
    }
  }

  lines.push("# HELP edgekms_keys KMS keys by key state.", "# TYPE edgekms_keys gauge");
  for (const a of accounts) {
    const byState = new Map<string, number>([
      ["Enabled", 0],
      ["Disabled", 0],
      ["PendingDeletion", 0],
      ["PendingImport", 0],
      ["Unavailable", 0],
    ]);
    for (const k of a.keys) byState.set(k.keyState, (byState.get(k.keyState) ?? 0) + 1);
    for (const [state, n] of byState) {
      lines.push(`edgekms_keys${labels({ account: a.accountId, region: a.region, state })} ${n}`);
    }
  }
  return lines.join("\n") + "\n";
}
