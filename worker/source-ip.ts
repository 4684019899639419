/**
 * The caller's address, for the `aws:SourceIp` condition key and the audit trail.
 *
 * On Cloudflare the edge sets CF-Connecting-IP to the address the request came from (and a
 * client cannot supply its own); everywhere else — `wrangler dev`, miniflare, a test harness, a
 * proxy in front of a self-hosted workerd — the header is whatever the client sent (miniflare adds
 * it only when it is absent). The worker cannot tell the two apart (miniflare also provides
 * `request.cf`), so the deployment says so: TRUST_CF_CONNECTING_IP = "true" in the deployed
 * configuration. Without it, policies see aws:SourceIp as absent, as AWS's absent keys behave
 * (IpAddress never matches, NotIpAddress always does, ...IfExists operators pass).
 *
 * The audit record keeps the reported address either way (it says what the request claimed);
 * only authorization depends on trust. A header that is not an IP address is ignored.
 */
import type { Env } from "./config.ts";

export interface SourceAddress {
  /** The address the request reports, if it is one. */
  sourceIp?: string;
  /** Whether policies may use it as aws:SourceIp. */
  sourceIpTrusted: boolean;
}

const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
const IPV6 = /^[0-9A-Fa-f:.]{2,45}$/;

function ipAddress(value: string | null): string | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (IPV4.test(text)) return text;
  if (text.includes(":") && IPV6.test(text)) return text;
  return undefined;
}

export function sourceAddress(request: Request, env: Pick<Env, "TRUST_CF_CONNECTING_IP">): SourceAddress {
  const sourceIp = ipAddress(request.headers.get("CF-Connecting-IP"));
  const sourceIpTrusted = sourceIp !== undefined && env.TRUST_CF_CONNECTING_IP === "true";
  return sourceIp === undefined ? { sourceIpTrusted } : { sourceIp, sourceIpTrusted };
}

/** The aws:SourceIp a policy may see for `request`: the trusted address, or undefined (absent). */
export function policySourceIp(request: Request, env: Pick<Env, "TRUST_CF_CONNECTING_IP">): string | undefined {
  const address = sourceAddress(request, env);
  return address.sourceIpTrusted ? address.sourceIp : undefined;
}
