/**
 * The Deno KV adapters on their own, over in-memory KVs: the record store keeps the storage
 * port's contract (src/store/port.ts) — listings by prefix, `after`, `reverse` and `limit` over
 * stored and buffered writes, all-or-nothing commits, no lost update between concurrent
 * transactions, also when a transaction starts from this process's snapshot of a store and another
 * handle changed it meanwhile; concurrent calls on one key that write only its outbox and last
 * usage never conflict — and wake-up messages are run, re-queued or dropped as their time and the
 * owner's stored wake-up say, one wake per owner at a time — and the audit log stores each record
 * once however often it is delivered, counts every call, and finds records by each lookup
 * attribute, EventSource (which has no index) included. Run by test/e2e/deno-runtime.test.ts
 * with `deno test`.
 */
import { auditEntry, type OutboxEntry } from "../src/audit/outbox.ts";
import type { Principal } from "../src/auth/identities.ts";
import { isUnorderedKey } from "../src/keys/key-records.ts";
import { KvAuditLog } from "./kv-audit-log.ts";
import { KvRecordStore } from "./kv-record-store.ts";
import { KvWakeUps, onDelivery, SerialWakes, type WakeMessage } from "./kv-wake-ups.ts";

function assertEquals(actual: unknown, expected: unknown, message: string): void {
  const [a, e] = [JSON.stringify(actual), JSON.stringify(expected)];
  if (a !== e) throw new Error(`assertion failed: ${message}: expected ${e}, got ${a}`);
}

const options = { sanitizeOps: false, sanitizeResources: false };

Deno.test({
  name: "lists by prefix, after, reverse and limit, over stored and buffered writes alike",
  ...options,
  async fn() {
    const kv = await Deno.openKv(":memory:");
    try {
      const store = new KvRecordStore(kv, ["test"]);
      await store.transact(async (tx) => {
        for (const k of ["a:1", "a:2", "a:3", "a:30", "b:1", "a"]) tx.put(k, k);
      });
      await store.transact(async (tx) => {
        tx.delete("a:2");
        tx.put("a:25", "a:25");
        const keys = async (o?: Parameters<typeof tx.list>[1]) => (await tx.list<string>("a:", o)).map(([k]) => k);
        assertEquals(await keys(), ["a:1", "a:25", "a:3", "a:30"], "prefix, with buffered writes");
        assertEquals(await keys({ after: "25" }), ["a:3", "a:30"], "after");
        assertEquals(await keys({ reverse: true, limit: 2 }), ["a:30", "a:3"], "reverse with limit");
        assertEquals(await keys({ reverse: true, after: "3" }), ["a:25", "a:1"], "reverse after (strictly before)");
        assertEquals(await keys({ limit: 2 }), ["a:1", "a:25"], "limit");
        assertEquals(await tx.get("a:2"), undefined, "a buffered delete hides the stored entry");
      });
      const all = await store.transact((tx) => tx.list<string>(""));
      assertEquals(
        all.map(([k]) => k),
        ["a", "a:1", "a:25", "a:3", "a:30", "b:1"],
        "committed",
      );
      const failed = await store
        .transact(async (tx) => {
          tx.put("c", 1);
          throw new Error("refused");
        })
        .catch((err: Error) => err.message);
      assertEquals([failed, await store.transact((tx) => tx.get("c"))], ["refused", undefined], "a body that throws writes nothing");
    } finally {
      kv.close();
    }
  },
});

Deno.test({
  name: "concurrent read-modify-write transactions on two KV handles lose no update",
  ...options,
  async fn() {
    // A scratch folder is the program's argument (deno test ... -- <folder>).
    const path = `${Deno.args[0] ?? "/tmp"}/edgekms-kv-${crypto.randomUUID()}.sqlite3`;
    const [kv1, kv2] = [await Deno.openKv(path), await Deno.openKv(path)];
    try {
      const stores = [new KvRecordStore(kv1, ["counter"]), new KvRecordStore(kv2, ["counter"])];
      await Promise.all(
        Array.from({ length: 60 }, (_, i) =>
          stores[i % 2]!.transact(async (tx) => {
            const n = (await tx.get<number>("n")) ?? 0;
            // Something else in between, as a real body reads several records.
            await tx.list("x");
            tx.put("n", n + 1);
          }),
        ),
      );
      assertEquals(await stores[0]!.transact((tx) => tx.get("n")), 60, "every increment is there");
    } finally {
      kv1.close();
      kv2.close();
      await Deno.remove(path).catch(() => undefined);
    }
  },
});

Deno.test({
  name: "transactions committed together (group commit on one handle) lose no update and keep every append",
  ...options,
  async fn() {
    const kv = await Deno.openKv(":memory:");
    try {
      const unversioned = (key: string) => key.startsWith("outbox:");
      const stores = [new KvRecordStore(kv, ["a"], { unversioned }), new KvRecordStore(kv, ["b"], { unversioned })];
      await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          stores[i % 2]!.transact(async (tx) => {
            const n = (await tx.get<number>("n")) ?? 0;
            if (i % 4 < 2) tx.put("n", n + 1);
            else tx.put(`outbox:${i}`, n);
          }),
        ),
      );
      for (const store of stores) {
        const [n, appended] = await store.transact(async (tx) => [await tx.get("n"), (await tx.list("outbox:")).length]);
        assertEquals([n, appended], [50, 50], "every increment and every append");
      }
    } finally {
      kv.close();
    }
  },
});

Deno.test({
  name: "a transaction that starts from this process's snapshot runs again on another handle's newer values, refusals too",
  ...options,
  async fn() {
    const path = `${Deno.args[0] ?? "/tmp"}/edgekms-kv-${crypto.randomUUID()}.sqlite3`;
    const [kv1, kv2] = [await Deno.openKv(path), await Deno.openKv(path)];
    try {
      const [mine, theirs] = [new KvRecordStore(kv1, ["key"]), new KvRecordStore(kv2, ["key"])];
      await mine.transact(async (tx) => tx.put("record", { n: 1, enabled: false }));
      // Read (and committed) here: the store's snapshot in kv1's process now holds the record.
      assertEquals(await mine.transact((tx) => tx.get("record")), { n: 1, enabled: false }, "read once");
      await theirs.transact(async (tx) => tx.put("record", { n: 10, enabled: true }));
      const seen: unknown[] = [];
      await mine.transact(async (tx) => {
        const record = (await tx.get<{ n: number; enabled: boolean }>("record"))!;
        seen.push(record.n);
        // Decided on the stale snapshot this refusal would be wrong: it is validated, then retried.
        if (!record.enabled) throw new Error("refused: disabled");
        tx.put("record", { ...record, n: record.n + 1 });
      });
      assertEquals(seen, [1, 10], "the stale snapshot's attempt, then a fresh one");
      assertEquals(await theirs.transact((tx) => tx.get("record")), { n: 11, enabled: true }, "no update lost");
    } finally {
      kv1.close();
      kv2.close();
      await Deno.remove(path).catch(() => undefined);
    }
  },
});

Deno.test({
  name: "what a transaction gets from the snapshot is its own copy",
  ...options,
  async fn() {
    const kv = await Deno.openKv(":memory:");
    try {
      const store = new KvRecordStore(kv, ["key"]);
      await store.transact(async (tx) => tx.put("record", { tags: ["a"] }));
      for (let i = 0; i < 3; i++) {
        await store.transact(async (tx) => {
          const record = (await tx.get<{ tags: string[] }>("record"))!;
          assertEquals(record.tags, ["a"], `attempt ${i}: unchanged by the previous one`);
          record.tags.push("changed, never written");
        });
      }
    } finally {
      kv.close();
    }
  },
});

Deno.test({
  name: "concurrent calls on one key that write only its outbox and last usage never conflict",
  ...options,
  async fn() {
    const kv = await Deno.openKv(":memory:");
    try {
      let commits = 0;
      const atomic = kv.atomic.bind(kv);
      kv.atomic = () => {
        const op = atomic();
        const commit = op.commit.bind(op);
        op.commit = () => (commits++, commit());
        return op;
      };
      const store = new KvRecordStore(kv, ["key", "k"], { unversioned: isUnorderedKey });
      await store.transact(async (tx) => tx.put("key", { keyState: "Enabled" }));
      commits = 0;
      await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          store.transact(async (tx) => {
            await tx.get("key");
            // One at a time would commit each alone: a tick lets the next ones read first.
            await new Promise((r) => setTimeout(r, 1));
            tx.put("lastUsage", { i });
            tx.put(`outbox:${String(i).padStart(15, "0")}:e${i}`, { i });
          }),
        ),
      );
      assertEquals(commits <= 40, true, `no transaction ran twice (${commits} commits for 40)`);
      const appended = await store.transact((tx) => tx.list("outbox:"));
      assertEquals(appended.length, 40, "every record");
    } finally {
      kv.close();
    }
  },
});

Deno.test({
  name: "wakes of one owner run one at a time, and those asked for meanwhile run once more after",
  ...options,
  async fn() {
    const wakes = new SerialWakes();
    let running = 0;
    let most = 0;
    let runs = 0;
    const work = async () => {
      running++;
      most = Math.max(most, running);
      runs++;
      await new Promise((r) => setTimeout(r, 5));
      running--;
    };
    await Promise.all([wakes.run("key\nk", work), wakes.run("key\nk", work), wakes.run("key\nk", work), wakes.run("key\nother", work)]);
    assertEquals([most, runs], [2, 3], "two owners at once at most, and k twice (its first run, then one for both requests)");
    const failing = wakes.run("key\nk", async () => {
      throw new Error("forwarding failed");
    });
    assertEquals(await failing.catch((err: Error) => err.message), "forwarding failed", "a failure reaches the caller");
    await wakes.run("key\nk", work);
    assertEquals(runs, 4, "and the next wake runs");
  },
});

Deno.test({
  name: "a wake-up message runs when due, is queued again when the 30-day cap cut it short, and is dropped when replaced",
  ...options,
  async fn() {
    const kv = await Deno.openKv(":memory:");
    try {
      const now = Date.now();
      const year = now + 365 * 24 * 60 * 60 * 1000;
      const wakeUps = new KvWakeUps(kv, "key", "arn:aws:kms:us-east-1:111122223333:key/k");
      await wakeUps.wakeAt(year);
      const message: WakeMessage = { edgekms: "wake", kind: "key", id: "arn:aws:kms:us-east-1:111122223333:key/k", at: year };
      assertEquals(await onDelivery(kv, message, now + 30 * 24 * 60 * 60 * 1000), "requeued", "delivered early by the cap");
      assertEquals(await onDelivery(kv, { ...message, at: now - 1 }, now), "wake", "due");
      await wakeUps.wakeAt(now + 60_000);
      assertEquals(await onDelivery(kv, message, now), "stale", "replaced by a nearer wake-up");
      await wakeUps.wakeAt(undefined);
      assertEquals(await onDelivery(kv, { ...message, at: now + 60_000 }, now), "stale", "cleared");
    } finally {
      kv.close();
    }
  },
});

Deno.test({
  name: "the audit log stores each record once however often it is delivered, counts every call once, and finds records by every lookup attribute",
  ...options,
  async fn() {
    const kv = await Deno.openKv(":memory:");
    const log = new KvAuditLog(kv, "us-east-1", () => 7 * 86_400_000);
    const account = "111122223333";
    const alice: Principal = {
      type: "IAMUser",
      accountId: account,
      arn: `arn:aws:iam::${account}:user/alice`,
      principalId: "AIDAALICE",
      userName: "alice",
      policies: [],
    };
    const keyArn = `arn:aws:kms:us-east-1:${account}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
    const now = Date.now();
    const entry = (i: number, eventName: string): OutboxEntry =>
      auditEntry(
        {
          identity: { accountId: account, principal: alice, accessKeyId: "AKIDALICE", via: "http" },
          eventName,
          request: { KeyId: keyArn },
          requestId: crypto.randomUUID(),
          startedAt: now - 1000 + i,
          region: "us-east-1",
          keyArns: [keyArn],
        },
        { response: {} },
        [],
        now - 1000 + i + 2,
      );
    const encrypts = Array.from({ length: 50 }, (_, i) => entry(i, "Encrypt"));
    const describe = entry(60, "DescribeKey");
    await log.append(encrypts.slice(0, 30));
    // A repeated delivery, overlapping the first and adding new records: only the new are stored.
    await log.append([...encrypts, describe]);
    await log.append([describe]);

    const query = (attribute?: { key: string; value: string }) =>
      log.lookup(account, "us-east-1", {
        ...(attribute ? { attribute } : {}),
        startMs: now - 60_000,
        endMs: now + 60_000,
        maxResults: 50,
        insightOnly: false,
      } as never);
    const all = await query();
    assertEquals(all.events.length, 50, "a page of the trail");
    assertEquals(all.last !== undefined, true, "a further page");
    const ids = new Set<string>();
    for (let page = all; ; ) {
      for (const e of page.events) ids.add(e.eventId);
      if (page.last === undefined) break;
      page = await log.lookup(account, "us-east-1", {
        startMs: now - 60_000,
        endMs: now + 60_000,
        maxResults: 50,
        insightOnly: false,
        after: page.last,
      });
    }
    assertEquals(ids.size, 51, "every record once");
    assertEquals((await query({ key: "EventSource", value: "kms.amazonaws.com" })).events.length, 50, "EventSource, the trail's own");
    assertEquals((await query({ key: "EventSource", value: "s3.amazonaws.com" })).events.length, 0, "EventSource, another");
    assertEquals(
      (await query({ key: "EventName", value: "DescribeKey" })).events.map((e) => e.eventId),
      [describe.record.eventID],
      "EventName",
    );
    assertEquals((await query({ key: "ReadOnly", value: "true" })).events.length, 50, "ReadOnly");
    assertEquals((await query({ key: "Username", value: "alice" })).events.length, 50, "Username");
    assertEquals((await query({ key: "AccessKeyId", value: "AKIDALICE" })).events.length, 50, "AccessKeyId");
    assertEquals((await query({ key: "ResourceName", value: keyArn.split("/")[1]! })).events.length, 50, "ResourceName, bare key ID");
    assertEquals((await query({ key: "ResourceType", value: "AWS::KMS::Key" })).events.length, 50, "ResourceType");

    const stats = await log.requestStats(account, "us-east-1");
    const encryptStats = stats.find((s) => s.operation === "Encrypt")!;
    assertEquals(
      [encryptStats.count, encryptStats.buckets.reduce((a, b) => a + b, 0), encryptStats.sumMs],
      [50, 50, 100],
      "Encrypt counted once per call",
    );
    assertEquals(stats.find((s) => s.operation === "DescribeKey")!.count, 1, "DescribeKey counted once");
    kv.close();
  },
});
