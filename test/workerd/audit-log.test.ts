/**
 * AuditLog inside workerd: appends are idempotent by event ID and indexed for every lookup
 * attribute; retention is enforced by the alarm (fired deterministically here) and only for what
 * is past it; key events reach the KEY_EVENTS_QUEUE queue, and a failed send is retried by the
 * alarm. The queue binding is replaced, inside the object, by a recorder with the Queue `send`
 * signature: wrangler.toml binds no queue, and miniflare offers no way to read a producer's
 * messages without a consumer worker.
 */
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { keyEvent, serviceEventRecord, type KeyEvent } from "../../src/audit/events.ts";
import { parseLookupRequest } from "../../src/audit/lookup.ts";
import { buildRecord } from "../../src/audit/record.ts";
import type { AuditLog } from "../../worker/audit-log.ts";

const DAY = 24 * 60 * 60 * 1000;
const RETENTION = 90 * DAY;

function freshLog() {
  const account = String(100000000000 + Math.floor(Math.random() * 899999999999));
  return { account, stub: env.AUDIT.get(env.AUDIT.idFromName(`${account}:us-east-1`)) };
}

function record(account: string, eventName: string, time: Date, eventId: string = crypto.randomUUID()) {
  return buildRecord({
    identity: {
      accountId: account,
      principal: { type: "Root", accountId: account, arn: `arn:aws:iam::${account}:root`, principalId: account, policies: [] },
      accessKeyId: "AKID",
      via: "http",
    },
    eventName,
    request: { KeyId: "1234abcd-12ab-34cd-56ef-1234567890ab" },
    keyArns: [`arn:aws:kms:us-east-1:${account}:key/1234abcd-12ab-34cd-56ef-1234567890ab`],
    requestId: crypto.randomUUID(),
    eventId,
    eventTime: time,
    region: "us-east-1",
  });
}

async function lookupAll(stub: DurableObjectStub<AuditLog>, body: Record<string, unknown> = {}) {
  return (await stub.lookup(parseLookupRequest({ StartTime: 0, ...body }, new Date(), RETENTION))).events;
}

describe("AuditLog", () => {
  it("stores an event once however often it is appended, and finds it by key ID and ARN", async () => {
    const { account, stub } = freshLog();
    const r = record(account, "Encrypt", new Date());
    await stub.append(r, Date.now());
    await stub.append(r, Date.now());
    expect(await lookupAll(stub)).toHaveLength(1);
    const byId = await lookupAll(stub, {
      LookupAttributes: [{ AttributeKey: "ResourceName", AttributeValue: "1234abcd-12ab-34cd-56ef-1234567890ab" }],
    });
    const byArn = await lookupAll(stub, { LookupAttributes: [{ AttributeKey: "ResourceName", AttributeValue: r.resources[0]!.ARN }] });
    expect(byId.map((e) => e.eventId)).toEqual([r.eventID]);
    expect(byArn.map((e) => e.eventId)).toEqual([r.eventID]);
  });

  it("deletes only what is past retention when its alarm fires, and re-arms for the oldest remaining entry", async () => {
    const { account, stub } = freshLog();
    const now = Date.now();
    const old = record(account, "DisableKey", new Date(now - RETENTION - DAY));
    const recent = record(account, "EnableKey", new Date(now - DAY));
    await stub.append(recent, now - DAY);
    expect(await runInDurableObject(stub, (_o: AuditLog, state) => state.storage.getAlarm())).toBe(now - DAY + RETENTION);
    // An entry already past retention pulls the alarm forward to its own deadline (due at once).
    await stub.append(old, now - RETENTION - DAY);

    await runDurableObjectAlarm(stub);
    expect((await lookupAll(stub)).map((e) => e.eventName)).toEqual(["EnableKey"]);
    const leftovers = await runInDurableObject(
      stub,
      (_o: AuditLog, state) => state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM event_resources").one().n,
    );
    expect(leftovers).toBe(2); // the recent event's key, by ARN and by key ID
    const rearmed = await runInDurableObject(stub, (_o: AuditLog, state) => state.storage.getAlarm());
    expect(rearmed).toBe(now - DAY + RETENTION);

    // Firing again early changes nothing (idempotent).
    await runInDurableObject(stub, (o: AuditLog) => o.alarm());
    expect((await lookupAll(stub)).map((e) => e.eventName)).toEqual(["EnableKey"]);
  });

  it("counts the calls it is told about by operation and error", async () => {
    const { account, stub } = freshLog();
    await stub.append(record(account, "Encrypt", new Date()), Date.now(), { operation: "Encrypt", error: "", durationMs: 3 });
    await stub.append(record(account, "Encrypt", new Date()), Date.now(), { operation: "Encrypt", error: "", durationMs: 30 });
    await stub.append(record(account, "Encrypt", new Date()), Date.now(), {
      operation: "Encrypt",
      error: "DisabledException",
      durationMs: 1,
    });
    await stub.append(record(account, "Encrypt", new Date()), Date.now()); // another account's copy: not counted here
    const stats = await stub.requestStats();
    expect(stats.map((s) => [s.operation, s.error, s.count, s.sumMs])).toEqual([
      ["Encrypt", "", 2, 33],
      ["Encrypt", "DisabledException", 1, 1],
    ]);
    expect(stats[0]!.buckets.reduce((a, b) => a + b, 0)).toBe(2);
  });

  it("records key events, sends them to the queue, and retries a failed send from its alarm", async () => {
    const { account, stub } = freshLog();
    const sent: KeyEvent[] = [];
    let failing = true;
    const queue = {
      async send(body: KeyEvent) {
        if (failing) throw new Error("queue unavailable");
        sent.push(body);
      },
    };
    const arn = `arn:aws:kms:us-east-1:${account}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
    const event = keyEvent("KMS CMK Rotation", arn, new Date());
    await runInDurableObject(stub, async (o: AuditLog) => {
      (o as unknown as { env: object }).env = { ...env, KEY_EVENTS_QUEUE: queue };
      await o.appendKeyEvent(event, serviceEventRecord(event));
    });
    expect(sent).toEqual([]);
    expect(await stub.keyEvents(10)).toEqual([event]);
    const retryAt = await runInDurableObject(stub, (_o: AuditLog, state) => state.storage.getAlarm());
    expect(retryAt).not.toBeNull();
    expect(retryAt!).toBeLessThan(Date.now() + 60_000);

    failing = false;
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(sent).toEqual([event]);
    // Delivered once: a later alarm sends nothing again, and the event stays listed.
    await runInDurableObject(stub, (o: AuditLog) => o.alarm());
    expect(sent).toHaveLength(1);
    const rotations = await lookupAll(stub, { LookupAttributes: [{ AttributeKey: "EventName", AttributeValue: "RotateKey" }] });
    expect(rotations.map((e) => e.eventId)).toEqual([event.id]);
  });
});
