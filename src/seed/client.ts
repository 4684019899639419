/**
 * The seeding client: sends a seed document to an EdgeKMS endpoint as each account's caller,
 * signed with SigV4 like any KMS request (worker/extensions.ts answers it). Used by `npm run seed`
 * (scripts/seed.ts), by `npm start` for the local seed file, and by the tests.
 */
import { callExtension, type Credentials } from "../admin/client.ts";

export const SEED_TARGET = "EdgeKMS_20261130.ApplySeed";

export type SeedCredentials = Credentials;

export interface SeedResult {
  Created: string[];
  Unchanged: string[];
}

/**
 * Applies `document` (its `keys` for one account) at `endpoint` as `credentials`.
 * @throws Error whose name is the AWS error (`ValidationException` for a conflict, naming the entry)
 */
export function applySeedAt(endpoint: string, region: string, credentials: SeedCredentials, document: unknown): Promise<SeedResult> {
  return callExtension<SeedResult>(endpoint, region, credentials, SEED_TARGET, document);
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
