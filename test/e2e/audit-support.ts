/**
 * Helpers for the audit-trail end-to-end tests: official @aws-sdk/client-cloudtrail clients for
 * the local worker, paging through LookupEvents, and an identity configuration that adds an
 * auditor (an IAM user allowed cloudtrail:LookupEvents) to the README's default identities.
 */
import { CloudTrailClient, LookupEventsCommand, type Event, type LookupEventsCommandInput } from "@aws-sdk/client-cloudtrail";
import { DEFAULT_IDENTITIES_CONFIG } from "../../src/auth/identities.ts";
import { REGION } from "./support.ts";

export const AUDITOR_POLICY = {
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Action: "cloudtrail:LookupEvents", Resource: "*" }],
};

/** The default identities plus `auditor` (cloudtrail:LookupEvents only) in account 111122223333. */
export const IDENTITIES_WITH_AUDITOR = JSON.stringify({
  ...DEFAULT_IDENTITIES_CONFIG,
  credentials: [
    ...DEFAULT_IDENTITIES_CONFIG.credentials,
    {
      accessKeyId: "auditor",
      secretAccessKey: "auditor",
      principal: { type: "IAMUser", accountId: "111122223333", userName: "auditor", policies: [AUDITOR_POLICY] },
    },
  ],
});

export function cloudTrailClient(url: string, identity: string, region = REGION): CloudTrailClient {
  return new CloudTrailClient({
    endpoint: url,
    region,
    credentials: { accessKeyId: identity, secretAccessKey: identity },
    maxAttempts: 1,
  });
}

/**
 * Waits until the caller's trail has settled: records reach LookupEvents from the objects'
 * outboxes a moment after each call is answered (README, "Audit trail"), so a test reads the
 * trail once two reads of its newest events, a moment apart, agree.
 */
export async function waitForTrail(client: CloudTrailClient, timeoutMs = 15_000): Promise<void> {
  const newest = async () =>
    ((await client.send(new LookupEventsCommand({ StartTime: new Date(0), MaxResults: 50 }))).Events ?? []).map((e) => e.EventId).join();
  const deadline = Date.now() + timeoutMs;
  let before = await newest();
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 400));
    const after = await newest();
    if (after === before || Date.now() > deadline) return;
    before = after;
  }
}

/** Every event LookupEvents returns for `input`, following NextToken, once the trail has settled. */
export async function lookupAll(client: CloudTrailClient, input: LookupEventsCommandInput = {}): Promise<Event[]> {
  await waitForTrail(client);
  const events: Event[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(new LookupEventsCommand({ ...input, NextToken: token }));
    events.push(...(page.Events ?? []));
    token = page.NextToken;
  } while (token !== undefined);
  return events;
}

/** A CloudTrail record as the tests read it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type TrailRecord = Record<string, any>;

export function recordOf(event: Event): TrailRecord {
  return JSON.parse(event.CloudTrailEvent!) as TrailRecord;
}

/** The records of `events` by requestID (each must occur once). */
export function byRequestId(events: Event[]): Map<string, TrailRecord> {
  const out = new Map<string, TrailRecord>();
  for (const e of events) {
    const r = recordOf(e);
    if (out.has(r.requestID)) throw new Error(`two records for request ${r.requestID}`);
    out.set(r.requestID, r);
  }
  return out;
}
