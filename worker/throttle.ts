/**
 * Request quotas (src/quotas/request-quotas.ts) enforced per account with per-isolate token
 * buckets (src/quotas/token-bucket.ts), for HTTP and service-binding calls alike, after the caller
 * is authenticated and before its request is parsed or run.
 *
 * Exactness: each isolate counts only the requests it serves, so a deployment admits up to the
 * quota times the number of isolates serving an account at once. There is deliberately no
 * per-account singleton (a Durable Object on every data-plane call would be the bottleneck the
 * quota is meant to protect). Throttled calls are not written to the audit trail one by one
 * (pre-dispatch refusals are sampled, see refusal-records.ts).
 */
import { throttled } from "../src/protocol/errors.ts";
import type { OperationName } from "../src/protocol/operations.ts";
import { parseRequestQuotas, type RequestQuotas } from "../src/quotas/request-quotas.ts";
import { BucketSet } from "../src/quotas/token-bucket.ts";
import type { Vars } from "./vars.ts";

const buckets = new BucketSet();
let parsed: { setting: string | undefined; quotas: RequestQuotas } | undefined;

function quotas(env: Pick<Vars, "REQUEST_QUOTAS">): RequestQuotas {
  if (parsed === undefined || parsed.setting !== env.REQUEST_QUOTAS) {
    parsed = { setting: env.REQUEST_QUOTAS, quotas: parseRequestQuotas(env.REQUEST_QUOTAS) };
  }
  return parsed.quotas;
}

/**
 * Counts one request of `accountId` against the quota of `operation`.
 * @throws ThrottlingException when the account's bucket for that quota is empty.
 */
export function enforceRequestQuota(
  env: Pick<Vars, "REQUEST_QUOTAS">,
  accountId: string,
  operation: OperationName,
  now = Date.now(),
  /** AWS's request quotas are per account and Region. */
  region = "",
): void {
  const quota = quotas(env).quotaFor(operation);
  if (quota === undefined) return;
  if (!buckets.take(`${accountId}/${region}/${quota.name}`, quota.perSecond, now)) throw throttled();
}
