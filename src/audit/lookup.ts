/**
 * CloudTrail's LookupEvents (API 2013-11-01) over the EdgeKMS audit trail: parsing and checking
 * the request, the paging token, and shaping the response — everything but storage, which is the
 * AuditLog Durable Object's (worker/audit-log.ts).
 *
 * Spec: CloudTrail API Reference, LookupEvents. One lookup attribute per call (EventId,
 * EventName, ReadOnly, Username, ResourceType, ResourceName, EventSource, AccessKeyId), StartTime
 * and EndTime as epoch seconds (default: the retention period up to now), MaxResults 1-50 (default
 * 50), events newest first, and a NextToken that is valid only with the same parameters.
 * Errors: InvalidLookupAttributesException, InvalidTimeRangeException,
 * InvalidMaxResultsException, InvalidNextTokenException, InvalidEventCategoryException.
 *
 * ResourceName matches a resource's ARN, and for keys also the bare key ID (the guide's
 * "Determining Past Usage" starts from a key ID).
 */
import { KmsError } from "../protocol/errors.ts";

export const LOOKUP_ATTRIBUTE_KEYS = [
  "EventId",
  "EventName",
  "ReadOnly",
  "Username",
  "ResourceType",
  "ResourceName",
  "EventSource",
  "AccessKeyId",
] as const;

export type LookupAttributeKey = (typeof LOOKUP_ATTRIBUTE_KEYS)[number];

export interface LookupQuery {
  attribute?: { key: LookupAttributeKey; value: string };
  /** Inclusive window in epoch milliseconds. */
  startMs: number;
  endMs: number;
  maxResults: number;
  /** Resume strictly after this position (event time, then event ID, both descending). */
  after?: { timeMs: number; eventId: string };
  /** "insight" asks for Insights events, of which EdgeKMS has none. */
  insightOnly: boolean;
}

/** The index columns of one stored event (what LookupEvents filters and reports on). */
export interface StoredEvent {
  seq: number;
  eventId: string;
  eventName: string;
  eventTimeMs: number;
  eventSource: string;
  readOnly: boolean;
  accessKeyId: string;
  username: string;
  resources: { type: string; name: string }[];
  /** The CloudTrail record as JSON. */
  record: string;
}

const MAX_RESULTS = 50;

const badAttributes = (message: string) => new KmsError("InvalidLookupAttributesException", message);

function epochMs(value: unknown, name: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new KmsError("ValidationException", `${name} must be a timestamp in epoch seconds.`);
  }
  return Math.round(value * 1000);
}

interface TokenBody {
  t: number;
  /** The event ID of the last event returned (ties in time are ordered by event ID). */
  i: string;
  /** The parameters the token belongs to, compared on reuse. */
  p: string;
  /** The resolved end of the window, so later pages do not move with the clock. */
  e: number;
}

function parametersOf(body: Record<string, unknown>): string {
  return JSON.stringify([body.LookupAttributes ?? null, body.StartTime ?? null, body.EndTime ?? null, body.EventCategory ?? null]);
}

export function encodeNextToken(last: { timeMs: number; eventId: string }, body: Record<string, unknown>, endMs: number): string {
  const token: TokenBody = { t: last.timeMs, i: last.eventId, p: parametersOf(body), e: endMs };
  return btoa(JSON.stringify(token));
}

function decodeNextToken(token: unknown, body: Record<string, unknown>): TokenBody {
  const invalid = () => new KmsError("InvalidNextTokenException", "Invalid NextToken.");
  if (typeof token !== "string") throw invalid();
  let decoded: unknown;
  try {
    decoded = JSON.parse(atob(token));
  } catch {
    throw invalid();
  }
  const t = decoded as Partial<TokenBody> | null;
  if (
    t === null ||
    typeof t !== "object" ||
    !Number.isInteger(t.t) ||
    typeof t.i !== "string" ||
    !Number.isInteger(t.e) ||
    typeof t.p !== "string"
  ) {
    throw invalid();
  }
  // AWS: a token is valid only with the parameters of the call that returned it.
  if (t.p !== parametersOf(body)) throw invalid();
  return t as TokenBody;
}

/**
 * Checks a LookupEvents request body and turns it into a query.
 * @throws KmsError with CloudTrail's error types for every invalid parameter.
 */
export function parseLookupRequest(body: Record<string, unknown>, now: Date, retentionMs: number): LookupQuery {
  let attribute: LookupQuery["attribute"];
  const attributes = body.LookupAttributes;
  if (attributes !== undefined && attributes !== null) {
    if (!Array.isArray(attributes)) throw badAttributes("LookupAttributes must be a list.");
    if (attributes.length > 1) throw badAttributes("You can specify only one lookup attribute.");
    const only = attributes[0] as { AttributeKey?: unknown; AttributeValue?: unknown } | undefined;
    if (only !== undefined) {
      const key = only.AttributeKey;
      if (typeof key !== "string" || !(LOOKUP_ATTRIBUTE_KEYS as readonly string[]).includes(key)) {
        throw badAttributes(`Invalid AttributeKey: ${String(key).slice(0, 64)}. Valid keys are ${LOOKUP_ATTRIBUTE_KEYS.join(", ")}.`);
      }
      const value = only.AttributeValue;
      if (typeof value !== "string" || value.length < 1 || value.length > 2000) {
        throw badAttributes("AttributeValue must be 1 to 2000 characters long.");
      }
      if (key === "ReadOnly" && value !== "true" && value !== "false") {
        throw badAttributes("The ReadOnly lookup attribute takes the value true or false.");
      }
      attribute = { key: key as LookupAttributeKey, value };
    }
  }

  let insightOnly = false;
  if (body.EventCategory !== undefined && body.EventCategory !== null) {
    if (body.EventCategory !== "insight") {
      throw new KmsError("InvalidEventCategoryException", "EventCategory must be insight.");
    }
    insightOnly = true;
  }

  let maxResults = MAX_RESULTS;
  if (body.MaxResults !== undefined && body.MaxResults !== null) {
    const n = body.MaxResults;
    if (typeof n !== "number" || !Number.isInteger(n) || n < 1 || n > MAX_RESULTS) {
      throw new KmsError("InvalidMaxResultsException", `MaxResults must be between 1 and ${MAX_RESULTS}.`);
    }
    maxResults = n;
  }

  const token = body.NextToken === undefined || body.NextToken === null ? undefined : decodeNextToken(body.NextToken, body);
  const nowMs = now.getTime();
  const startMs = epochMs(body.StartTime, "StartTime") ?? nowMs - retentionMs;
  const endMs = token?.e ?? epochMs(body.EndTime, "EndTime") ?? nowMs;
  if (startMs > endMs) throw new KmsError("InvalidTimeRangeException", "Start time must be before end time.");

  const query: LookupQuery = { startMs, endMs, maxResults, insightOnly };
  if (attribute !== undefined) query.attribute = attribute;
  if (token !== undefined) query.after = { timeMs: token.t, eventId: token.i };
  return query;
}

/** One event of the LookupEvents response (timestamps as Date; the wire layer makes them seconds). */
export interface LookupEvent {
  EventId: string;
  EventName: string;
  ReadOnly: string;
  AccessKeyId?: string;
  EventTime: Date;
  EventSource: string;
  Username?: string;
  Resources: { ResourceType: string; ResourceName: string }[];
  CloudTrailEvent: string;
}

export function lookupEvent(stored: StoredEvent): LookupEvent {
  const out: LookupEvent = {
    EventId: stored.eventId,
    EventName: stored.eventName,
    ReadOnly: String(stored.readOnly),
    EventTime: new Date(stored.eventTimeMs),
    EventSource: stored.eventSource,
    // The key-ID aliases of ResourceName are for lookups only; responses list ARNs.
    Resources: stored.resources.filter((r) => r.name.startsWith("arn:")).map((r) => ({ ResourceType: r.type, ResourceName: r.name })),
    CloudTrailEvent: stored.record,
  };
  if (stored.accessKeyId !== "") out.AccessKeyId = stored.accessKeyId;
  if (stored.username !== "") out.Username = stored.username;
  return out;
}
