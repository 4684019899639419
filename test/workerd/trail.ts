/**
 * An account's audit trail as LookupEvents reads it (every shard, worker/audit.ts), once it has
 * settled: records leave the objects' outboxes a moment after each call is answered, so the trail
 * is read when two reads a moment apart agree.
 */
import { env } from "cloudflare:test";
import { parseLookupRequest } from "../../src/audit/lookup.ts";
import type { Env } from "../../worker/config.ts";
import { lookupAll } from "../../worker/audit.ts";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type TrailRecord = Record<string, any>;

async function read(accountId: string): Promise<TrailRecord[]> {
  const page = await lookupAll(
    env as unknown as Env,
    accountId,
    "us-east-1",
    parseLookupRequest({ StartTime: 0, MaxResults: 50 }, new Date(), 86_400_000),
  );
  return page.events.map((e) => JSON.parse(e.record) as TrailRecord);
}

export async function settledRecords(accountId: string, timeoutMs = 10_000): Promise<TrailRecord[]> {
  const deadline = Date.now() + timeoutMs;
  let before = await read(accountId);
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 300));
    const after = await read(accountId);
    if (JSON.stringify(after.map((r) => r.eventID)) === JSON.stringify(before.map((r) => r.eventID)) || Date.now() > deadline) return after;
    before = after;
  }
}
