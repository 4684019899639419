/**
 * The seeding client: sends a seed document to an EdgeKMS endpoint as each account's caller,
 * signed with SigV4 like any KMS request (worker/seed.ts answers it). Used by `npm run seed`
 * (scripts/seed.ts), by `npm start` for the local seed file, and by the tests.
 */
import { SignatureV4 } from "@smithy/signature-v4";
import { Sha256 } from "../auth/sigv4.ts";

export const SEED_TARGET = "EdgeKMS_20261130.ApplySeed";

export interface SeedCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface SeedResult {
  Created: string[];
  Unchanged: string[];
}

/**
 * Applies `document` (its `keys` for one account) at `endpoint` as `credentials`.
 * @throws Error whose name is the AWS error (`ValidationException` for a conflict, naming the entry)
 */
export async function applySeedAt(endpoint: string, region: string, credentials: SeedCredentials, document: unknown): Promise<SeedResult> {
  const url = new URL(endpoint);
  const body = JSON.stringify(document);
  const signer = new SignatureV4({ service: "kms", region, credentials, sha256: Sha256 });
  const signed = await signer.sign({
    method: "POST",
    protocol: url.protocol,
    hostname: url.hostname,
    ...(url.port === "" ? {} : { port: Number(url.port) }),
    path: "/",
    headers: { host: url.host, "content-type": "application/x-amz-json-1.1", "x-amz-target": SEED_TARGET },
    body,
  });
  const response = await fetch(new URL("/", url), { method: "POST", headers: signed.headers as Record<string, string>, body });
  const answer = (await response.json()) as Record<string, unknown>;
  if (!response.ok) {
    const err = new Error(String(answer.message ?? answer.Message ?? response.statusText));
    err.name = String(answer.__type ?? "SeedError");
    throw err;
  }
  return answer as unknown as SeedResult;
}

/** The seed document's keys grouped by account (entries without one belong to `defaultAccount`). */
export function keysByAccount(document: { keys?: unknown[] }, defaultAccount: string): Map<string, unknown[]> {
  const out = new Map<string, unknown[]>();
  for (const key of document.keys ?? []) {
    const account = (key as { account?: string }).account ?? defaultAccount;
    out.set(account, [...(out.get(account) ?? []), key]);
  }
  return out;
}
