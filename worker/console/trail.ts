/**
 * Reads a key's recent audit records for the Key usage page through CloudTrail's LookupEvents
 * (worker/cloudtrail.ts), the endpoint any CloudTrail client uses: the console signs the request
 * with the signed-in credential (SigV4, service "cloudtrail"), so the same permission check
 * (cloudtrail:LookupEvents) and the same account scoping apply as for `aws cloudtrail
 * lookup-events`, and the console does not depend on how the trail is stored.
 *
 * Records may reach LookupEvents a moment after the call they describe; the page says so and
 * offers a refresh rather than assuming the newest call is already there.
 */
import { SignatureV4 } from "@smithy/signature-v4";
import type { LookupEvent } from "../../src/audit/lookup.ts";
import { Sha256 } from "../../src/auth/sigv4.ts";
import { cloudTrailRequest } from "../cloudtrail.ts";
import type { KmsRuntime } from "../runtime.ts";
import type { ApiError, Result } from "./kms.ts";
import { consoleIdentities, type Session } from "./session.ts";

const TARGET = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents";
/** At most this many pages of 50 events are read for one usage page. */
const MAX_PAGES = 10;

/** LookupEvents' event with EventTime in epoch seconds, as on the wire. */
type WireEvent = Omit<LookupEvent, "EventTime"> & { EventTime: number };

async function lookupPage(
  runtime: KmsRuntime,
  session: Session,
  origin: string,
  region: string,
  body: Record<string, unknown>,
): Promise<Result<{ Events: WireEvent[]; NextToken?: string }>> {
  const url = new URL("/", origin);
  const payload = JSON.stringify(body);
  const { credential } = session;
  const signer = new SignatureV4({
    credentials: {
      accessKeyId: credential.accessKeyId,
      secretAccessKey: credential.secretAccessKey,
      ...(credential.sessionToken === undefined ? {} : { sessionToken: credential.sessionToken }),
    },
    region,
    service: "cloudtrail",
    sha256: Sha256,
  });
  const signed = await signer.sign({
    method: "POST",
    protocol: url.protocol,
    hostname: url.hostname,
    port: url.port === "" ? undefined : Number(url.port),
    path: "/",
    headers: { host: url.host, "content-type": "application/x-amz-json-1.1", "x-amz-target": TARGET },
    body: payload,
  });
  const request = new Request(url, { method: "POST", headers: signed.headers as Record<string, string>, body: payload });
  try {
    const response = await cloudTrailRequest(runtime, request, crypto.randomUUID(), consoleIdentities(runtime.vars));
    return { ok: true, value: (await response.json()) as { Events: WireEvent[]; NextToken?: string } };
  } catch (err) {
    const e = err as { type?: unknown; message?: unknown };
    if (typeof e.type === "string") return { ok: false, error: { type: e.type, message: String(e.message ?? "") } satisfies ApiError };
    throw err;
  }
}

export interface TrailEvent {
  eventId: string;
  eventName: string;
  eventTime: Date;
  username: string;
  errorCode?: string;
  sourceIp?: string;
  readOnly: boolean;
  viaConsole: boolean;
}

/**
 * The key's audit records between `startMs` and now, newest first (at most MAX_PAGES × 50).
 * @returns the API refusal (e.g. AccessDeniedException without cloudtrail:LookupEvents).
 */
export async function keyTrail(
  runtime: KmsRuntime,
  session: Session,
  origin: string,
  /** The console's Region: the credential scope, so LookupEvents reads that Region's trail. */
  region: string,
  keyArn: string,
  startMs: number,
): Promise<Result<TrailEvent[]>> {
  const events: TrailEvent[] = [];
  const base = {
    LookupAttributes: [{ AttributeKey: "ResourceName", AttributeValue: keyArn }],
    StartTime: Math.floor(startMs / 1000),
    MaxResults: 50,
  };
  let token: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const result = await lookupPage(runtime, session, origin, region, token === undefined ? base : { ...base, NextToken: token });
    if (!result.ok) return result;
    for (const e of result.value.Events) events.push(trailEvent(e));
    token = result.value.NextToken;
    if (token === undefined) break;
  }
  return { ok: true, value: events };
}

function trailEvent(e: WireEvent): TrailEvent {
  let record: { errorCode?: unknown; sourceIPAddress?: unknown; userIdentity?: { invokedBy?: unknown } } = {};
  try {
    record = JSON.parse(e.CloudTrailEvent) as typeof record;
  } catch {
    // An unreadable record still counts as a call; its details stay blank.
  }
  const out: TrailEvent = {
    eventId: e.EventId,
    eventName: e.EventName,
    eventTime: new Date(e.EventTime * 1000),
    username: e.Username ?? "",
    readOnly: e.ReadOnly === "true",
    viaConsole: record.userIdentity?.invokedBy === "console",
  };
  if (typeof record.errorCode === "string") out.errorCode = record.errorCode;
  if (typeof record.sourceIPAddress === "string") out.sourceIp = record.sourceIPAddress;
  return out;
}
