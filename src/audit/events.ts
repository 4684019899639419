/**
 * The three AWS KMS events of the guide's "AWS KMS Events" (CloudWatch Events / EventBridge), in
 * its JSON shape: "KMS CMK Rotation", "KMS Imported Key Material Expiration" and "KMS CMK
 * Deletion", each `{version, id, detail-type, source: "aws.kms", account, time, region,
 * resources: [key ARN], detail: {"key-id"}}`.
 *
 * Each event also has a CloudTrail record, as AWS logs the same happenings as service events
 * (eventType `AwsServiceEvent`, userIdentity `{accountId, invokedBy: "kms.amazonaws.com"}`) named
 * RotateKey, DeleteExpiredKeyMaterial and DeleteKey, so LookupEvents finds them too.
 *
 * Runtime-neutral; delivery (durable record, optional Cloudflare Queue) is worker/key-events.ts.
 * Events carry key identifiers and times only, never key material.
 */
import { EVENT_SOURCE, EVENT_VERSION, formatEventTime, type CloudTrailRecord } from "./record.ts";

export type KeyEventType = "KMS CMK Rotation" | "KMS Imported Key Material Expiration" | "KMS CMK Deletion";

export interface KeyEvent {
  version: "0";
  id: string;
  "detail-type": KeyEventType;
  source: "aws.kms";
  account: string;
  time: string;
  region: string;
  resources: [string];
  detail: { "key-id": string };
}

/** The CloudTrail eventName AWS gives the service event behind each CloudWatch event. */
export const SERVICE_EVENT_NAME: Readonly<Record<KeyEventType, string>> = {
  "KMS CMK Rotation": "RotateKey",
  "KMS Imported Key Material Expiration": "DeleteExpiredKeyMaterial",
  "KMS CMK Deletion": "DeleteKey",
};

/**
 * The event for `type` on the key `keyArn` (arn:aws:kms:<region>:<account>:key/<id>) at `time`.
 * @throws Error when keyArn is not a key ARN (a caller bug, never user input).
 */
export function keyEvent(type: KeyEventType, keyArn: string, time: Date, id: string = crypto.randomUUID()): KeyEvent {
  const m = /^arn:aws:kms:([a-z0-9-]+):(\d{12}):key\/(.+)$/.exec(keyArn);
  if (m === null) throw new Error("keyEvent needs a key ARN");
  return {
    version: "0",
    id,
    "detail-type": type,
    source: "aws.kms",
    account: m[2]!,
    time: formatEventTime(time),
    region: m[1]!,
    resources: [keyArn],
    detail: { "key-id": m[3]! },
  };
}

/** The CloudTrail service-event record of a key event (its eventID is the event's id). */
export function serviceEventRecord(event: KeyEvent): CloudTrailRecord {
  const keyArn = event.resources[0];
  return {
    eventVersion: EVENT_VERSION,
    userIdentity: { accountId: event.account, invokedBy: "kms.amazonaws.com" },
    eventTime: event.time,
    eventSource: EVENT_SOURCE,
    eventName: SERVICE_EVENT_NAME[event["detail-type"]],
    awsRegion: event.region,
    sourceIPAddress: "kms.amazonaws.com",
    userAgent: "kms.amazonaws.com",
    requestParameters: null,
    responseElements: null,
    requestID: event.id,
    eventID: event.id,
    readOnly: false,
    resources: [{ ARN: keyArn, accountId: event.account, type: "AWS::KMS::Key" }],
    eventType: "AwsServiceEvent",
    managementEvent: true,
    recipientAccountId: event.account,
    eventCategory: "Management",
    serviceEventDetails: { keyId: event.detail["key-id"] },
  };
}

/**
 * An event ID that is the same however often the event is produced: for events that can happen
 * only once (a key's deletion, its rotation to one version), so that two runs of an idempotent
 * deadline handler — at-least-once delivery on Deno KV's queue — record the event once. A UUID
 * (version 8, RFC 9562) from the SHA-256 of the parts.
 */
export async function stableEventId(...parts: string[]): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(parts.join("\n"))));
  digest[6] = (digest[6]! & 0x0f) | 0x80;
  digest[8] = (digest[8]! & 0x3f) | 0x80;
  const hex = Array.from(digest.subarray(0, 16), (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
