/**
 * The CloudTrail LookupEvents endpoint over the audit trail, on the same worker and route as the
 * KMS API: POST / with X-Amz-Target `com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.
 * LookupEvents` (or `CloudTrail_20131101.LookupEvents`), signed with SigV4 for the service `cloudtrail`, so `@aws-sdk/client-cloudtrail`
 * and `aws cloudtrail lookup-events --endpoint-url ...` work unchanged.
 *
 * Access: a caller sees only its own account's records (those it made and those naming its keys)
 * and needs `cloudtrail:LookupEvents` in its identity policies; account roots have it.
 *
 * LookupEvents calls are not themselves recorded in the KMS trail (their eventSource would be
 * cloudtrail.amazonaws.com; EdgeKMS keeps a KMS trail only).
 */
import { encodeNextToken, lookupEvent, parseLookupRequest } from "../src/audit/lookup.ts";
import type { Identities } from "../src/auth/identities.ts";
import { verifyRequest } from "../src/auth/sigv4.ts";
import { accessDeniedError, authorizeIamOnly, buildContext, parsePolicyObject, type Policy } from "../src/policy/index.ts";
import { jsonResponse, KmsError } from "../src/protocol/errors.ts";
import { parseBody } from "../src/protocol/json.ts";
import { settingsFrom } from "../src/service/settings.ts";
import type { KmsRuntime } from "./runtime.ts";
import { policySourceIp } from "./source-ip.ts";

/**
 * X-Amz-Target prefixes of CloudTrail: the service model's targetPrefix (botocore, the AWS CLI)
 * and the bare service shape name (the Smithy-generated JS SDK v3 sends that one).
 */
const TARGET_PREFIXES = ["com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.", "CloudTrail_20131101."];

export function isCloudTrailTarget(target: string | null): boolean {
  return target !== null && TARGET_PREFIXES.some((p) => target.startsWith(p));
}

/**
 * Answers one CloudTrail API request.
 * @throws KmsError: the SigV4 failures, UnknownOperationException for any CloudTrail operation
 * but LookupEvents, AccessDeniedException, and LookupEvents' own errors (src/audit/lookup.ts).
 */
export async function cloudTrailRequest(
  runtime: KmsRuntime,
  request: Request,
  requestId: string,
  identities: Identities,
): Promise<Response> {
  const env = runtime.vars;
  const config = settingsFrom(env as Record<string, string | undefined>);
  const body = new Uint8Array(await request.arrayBuffer());
  const verified = await verifyRequest(
    { method: request.method, url: request.url, headers: request.headers, body },
    { regions: config.regions, service: "cloudtrail", now: new Date(), lookup: (id) => identities.credential(id) },
  );
  const target = request.headers.get("X-Amz-Target") ?? "";
  if (!TARGET_PREFIXES.some((p) => target === `${p}LookupEvents`)) throw new KmsError("UnknownOperationException", "");

  // IAM-only permission, decided by the policy engine (src/policy): roots have it; users and
  // roles need an Allow for cloudtrail:LookupEvents on "*" and no Deny.
  const context = buildContext({
    action: "cloudtrail:LookupEvents",
    principal: verified.principal,
    sourceIp: policySourceIp(request, env),
    secureTransport: new URL(request.url).protocol === "https:",
  });
  let policies: Policy[];
  try {
    policies = verified.principal.policies.map((doc) => parsePolicyObject(doc, "iam"));
  } catch {
    // A configured policy the engine cannot read grants nothing (fail closed).
    policies = [];
  }
  const auth = authorizeIamOnly(context, policies);
  if (!auth.allowed) throw accessDeniedError(auth, context);

  const parsed = parseBody(body);
  const query = parseLookupRequest(parsed, new Date(), config.auditRetentionMs);
  const page = await runtime.audit.lookup(verified.accountId, verified.region, query);
  const response: { Events: object[]; NextToken?: string } = { Events: page.events.map(lookupEvent) };
  if (page.last !== undefined) response.NextToken = encodeNextToken(page.last, parsed, query.endMs);
  return jsonResponse(response, requestId);
}
