/**
 * The Prometheus text of GET /metrics (src/audit/metrics.ts): the AWS/KMS
 * SecondsUntilKeyMaterialExpiration gauge as the guide defines it, request counters, a cumulative
 * latency histogram, keys by state, and label escaping.
 */
import { describe, expect, it } from "vitest";
import { bucketIndex, LATENCY_BUCKETS_MS, prometheusText } from "../../../src/audit/metrics.ts";

const NOW = 1_700_000_000_000;

describe("metrics text", () => {
  it("reports seconds until imported material expires only for keys set to expire, never below zero", () => {
    const text = prometheusText(
      [
        {
          accountId: "111122223333",
          region: "us-east-1",
          requests: [],
          keys: [
            { keyId: "k-expiring", keyState: "Enabled", validTo: NOW + 864_000_500 },
            { keyId: "k-expired", keyState: "PendingImport", validTo: NOW - 5_000 },
            { keyId: "k-plain", keyState: "Enabled" },
          ],
        },
      ],
      NOW,
    );
    expect(text).toContain(
      'aws_kms_seconds_until_key_material_expiration{account="111122223333",region="us-east-1",KeyId="k-expiring"} 864000\n',
    );
    expect(text).toContain(
      'aws_kms_seconds_until_key_material_expiration{account="111122223333",region="us-east-1",KeyId="k-expired"} 0\n',
    );
    expect(text).not.toContain('KeyId="k-plain"');
    expect(text).toContain('edgekms_keys{account="111122223333",region="us-east-1",state="Enabled"} 2\n');
    expect(text).toContain('edgekms_keys{account="111122223333",region="us-east-1",state="PendingImport"} 1\n');
    expect(text).toContain('edgekms_keys{account="111122223333",region="us-east-1",state="Disabled"} 0\n');
  });

  it("writes counters and a cumulative histogram whose +Inf bucket equals the count", () => {
    const buckets = new Array(LATENCY_BUCKETS_MS.length + 1).fill(0);
    buckets[bucketIndex(3)] += 2;
    buckets[bucketIndex(40)] += 1;
    buckets[bucketIndex(60_000)] += 1;
    const text = prometheusText(
      [{ accountId: "1", region: "r", requests: [{ operation: "Encrypt", error: "", count: 4, sumMs: 60_046, buckets }], keys: [] }],
      NOW,
    );
    const base = 'account="1",region="r",operation="Encrypt",error=""';
    expect(text).toContain(`edgekms_requests_total{${base}} 4\n`);
    expect(text).toContain(`edgekms_request_duration_seconds_bucket{${base},le="0.005"} 2\n`);
    expect(text).toContain(`edgekms_request_duration_seconds_bucket{${base},le="0.025"} 2\n`);
    expect(text).toContain(`edgekms_request_duration_seconds_bucket{${base},le="0.05"} 3\n`);
    expect(text).toContain(`edgekms_request_duration_seconds_bucket{${base},le="10"} 3\n`);
    expect(text).toContain(`edgekms_request_duration_seconds_bucket{${base},le="+Inf"} 4\n`);
    expect(text).toContain(`edgekms_request_duration_seconds_sum{${base}} 60.046\n`);
    expect(text).toContain(`edgekms_request_duration_seconds_count{${base}} 4\n`);
    for (const name of [
      "aws_kms_seconds_until_key_material_expiration",
      "edgekms_requests_total",
      "edgekms_request_duration_seconds",
      "edgekms_keys",
    ]) {
      expect(text).toMatch(new RegExp(`^# TYPE ${name} `, "m"));
    }
  });

  it("escapes label values", () => {
    const text = prometheusText(
      [{ accountId: "1", region: "r", requests: [{ operation: 'a"b\\c\nd', error: "", count: 1, sumMs: 1, buckets: [1] }], keys: [] }],
      NOW,
    );
    expect(text).toContain('operation="a\\"b\\\\c\\nd"');
  });

  it("puts a latency in the first bucket whose bound is not below it", () => {
    expect(bucketIndex(0)).toBe(0);
    expect(bucketIndex(5)).toBe(0);
    expect(bucketIndex(5.01)).toBe(1);
    expect(bucketIndex(10_001)).toBe(LATENCY_BUCKETS_MS.length);
  });
});
