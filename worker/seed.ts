/**
 * The seeding endpoint (src/seed/): POST / with X-Amz-Target `EdgeKMS_20261130.ApplySeed`, signed
 * with SigV4 for the service `kms` like any KMS request, the seed document as its body. It is
 * EdgeKMS's own extension (AWS KMS cannot create a key with a chosen ID or material), used by
 * `npm start` and `npm run seed` (scripts/seed.mjs). The answer is `{ Created: [...], Unchanged: [...] }`
 * (key IDs), or an AWS-shaped error naming the seed entry.
 */
import type { Identities } from "../src/auth/identities.ts";
import { verifyRequest } from "../src/auth/sigv4.ts";
import { jsonResponse } from "../src/protocol/errors.ts";
import { parseBody } from "../src/protocol/json.ts";
import { applySeed } from "../src/seed/apply.ts";
import { parseSeed } from "../src/seed/seed-file.ts";
import type { Caller } from "../src/service/caller.ts";
import { SEED_TARGET } from "../src/seed/client.ts";
import { settingsFrom } from "../src/service/settings.ts";
import type { KmsRuntime } from "./runtime.ts";

export { SEED_TARGET };

export async function seedRequest(
  runtime: KmsRuntime,
  request: Request,
  body: Uint8Array,
  requestId: string,
  identities: Identities,
  via: Omit<Caller, "accountId" | "principalArn" | "principal" | "accessKeyId">,
): Promise<Response> {
  const config = settingsFrom(runtime.vars as Record<string, string | undefined>);
  const verified = await verifyRequest(
    { method: request.method, url: request.url, headers: request.headers, body },
    { regions: config.regions, service: "kms", now: new Date(), lookup: (id) => identities.credential(id) },
  );
  const caller: Caller = {
    accountId: verified.accountId,
    principalArn: verified.arn,
    principal: verified.principal,
    accessKeyId: verified.accessKeyId,
    region: verified.region,
    ...via,
  };
  const outcome = await applySeed(runtime.ports, { ...config, region: verified.region }, caller, parseSeed(parseBody(body)), requestId);
  return jsonResponse({ Created: outcome.created, Unchanged: outcome.unchanged }, requestId);
}
