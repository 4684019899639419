/**
 * LookupEvents request checking and paging tokens (src/audit/lookup.ts): CloudTrail's errors for
 * every invalid parameter, its defaults, and tokens that are valid only with the parameters of the
 * call that returned them.
 */
import { describe, expect, it } from "vitest";
import { encodeNextToken, lookupEvent, parseLookupRequest } from "../../../src/audit/lookup.ts";
import { KmsError } from "../../../src/protocol/errors.ts";

const NOW = new Date("2026-01-10T12:00:00Z");
const DAY = 24 * 60 * 60 * 1000;

function errorOf(body: Record<string, unknown>): string {
  try {
    parseLookupRequest(body, NOW, 90 * DAY);
  } catch (err) {
    if (err instanceof KmsError) return err.type;
    throw err;
  }
  return "no error";
}

describe("LookupEvents requests", () => {
  it("defaults to the retention period up to now, 50 results and no attribute", () => {
    expect(parseLookupRequest({}, NOW, 90 * DAY)).toEqual({
      startMs: NOW.getTime() - 90 * DAY,
      endMs: NOW.getTime(),
      maxResults: 50,
      insightOnly: false,
    });
  });

  it("reads one attribute, the time window in epoch seconds and MaxResults", () => {
    const q = parseLookupRequest(
      { LookupAttributes: [{ AttributeKey: "ResourceName", AttributeValue: "k" }], StartTime: 1000, EndTime: 2000.5, MaxResults: 7 },
      NOW,
      DAY,
    );
    expect(q).toEqual({
      attribute: { key: "ResourceName", value: "k" },
      startMs: 1_000_000,
      endMs: 2_000_500,
      maxResults: 7,
      insightOnly: false,
    });
  });

  it.each([
    [
      {
        LookupAttributes: [
          { AttributeKey: "EventName", AttributeValue: "a" },
          { AttributeKey: "Username", AttributeValue: "b" },
        ],
      },
      "InvalidLookupAttributesException",
    ],
    [{ LookupAttributes: [{ AttributeKey: "Colour", AttributeValue: "a" }] }, "InvalidLookupAttributesException"],
    [{ LookupAttributes: [{ AttributeKey: "EventName", AttributeValue: "" }] }, "InvalidLookupAttributesException"],
    [{ LookupAttributes: [{ AttributeKey: "EventName", AttributeValue: "x".repeat(2001) }] }, "InvalidLookupAttributesException"],
    [{ LookupAttributes: [{ AttributeKey: "ReadOnly", AttributeValue: "yes" }] }, "InvalidLookupAttributesException"],
    [{ LookupAttributes: "EventName" }, "InvalidLookupAttributesException"],
    [{ MaxResults: 0 }, "InvalidMaxResultsException"],
    [{ MaxResults: 51 }, "InvalidMaxResultsException"],
    [{ MaxResults: 2.5 }, "InvalidMaxResultsException"],
    [{ StartTime: 2000, EndTime: 1000 }, "InvalidTimeRangeException"],
    [{ StartTime: "yesterday" }, "ValidationException"],
    [{ EventCategory: "management" }, "InvalidEventCategoryException"],
    [{ NextToken: "%%%" }, "InvalidNextTokenException"],
    [{ NextToken: btoa(JSON.stringify({ t: 1 })) }, "InvalidNextTokenException"],
    [{ NextToken: 5 }, "InvalidNextTokenException"],
  ])("refuses %j with %s", (body, type) => {
    expect(errorOf(body as Record<string, unknown>)).toBe(type);
  });

  it("accepts a token only with the parameters it was issued for, and keeps that call's window end", () => {
    const body = { LookupAttributes: [{ AttributeKey: "EventName", AttributeValue: "Encrypt" }], MaxResults: 2 };
    const end = NOW.getTime() - 1000;
    const token = encodeNextToken({ timeMs: 5000, eventId: "e9" }, body, end);
    const next = parseLookupRequest({ ...body, NextToken: token }, new Date(NOW.getTime() + 60_000), 90 * DAY);
    expect(next.after).toEqual({ timeMs: 5000, eventId: "e9" });
    expect(next.endMs).toBe(end);
    // MaxResults may change between pages; the filter and window may not.
    expect(errorOf({ ...body, MaxResults: 5, NextToken: token })).toBe("no error");
    expect(errorOf({ LookupAttributes: [{ AttributeKey: "EventName", AttributeValue: "Decrypt" }], NextToken: token })).toBe(
      "InvalidNextTokenException",
    );
    expect(errorOf({ ...body, StartTime: 1, NextToken: token })).toBe("InvalidNextTokenException");
  });

  it("asks for nothing but Insights events when EventCategory is insight", () => {
    expect(parseLookupRequest({ EventCategory: "insight" }, NOW, DAY).insightOnly).toBe(true);
  });
});

describe("LookupEvents responses", () => {
  it("report ReadOnly as a string, omit empty identity fields and list ARNs only", () => {
    const event = lookupEvent({
      seq: 1,
      eventId: "e",
      eventName: "RotateKey",
      eventTimeMs: 1_700_000_000_000,
      eventSource: "kms.amazonaws.com",
      readOnly: false,
      accessKeyId: "",
      username: "",
      resources: [
        { type: "AWS::KMS::Key", name: "arn:aws:kms:us-east-1:111122223333:key/k" },
        { type: "AWS::KMS::Key", name: "k" },
      ],
      record: "{}",
    });
    expect(event).toEqual({
      EventId: "e",
      EventName: "RotateKey",
      ReadOnly: "false",
      EventTime: new Date(1_700_000_000_000),
      EventSource: "kms.amazonaws.com",
      Resources: [{ ResourceType: "AWS::KMS::Key", ResourceName: "arn:aws:kms:us-east-1:111122223333:key/k" }],
      CloudTrailEvent: "{}",
    });
  });
});
