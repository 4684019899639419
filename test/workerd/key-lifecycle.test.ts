/**
 * KeyObject scheduled deletion inside workerd: the alarm deletes the key at DeletionDate (key
 * object first, then the account registry with its aliases), is idempotent however often it
 * fires, and a cancel racing it leaves either a deleted key or a Disabled one, never half of each.
 * Alarms are fired deterministically with runDurableObjectAlarm; "time passing" is simulated by
 * moving the stored DeletionDate into the past through runInDurableObject.
 */
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { KeyObject } from "../../worker/key-object.ts";
import { ACCOUNT, createKey, REGION } from "./key-fixtures.ts";

const registry = () => env.ACCOUNTS.get(env.ACCOUNTS.idFromName(`${ACCOUNT}:${REGION}`));

/** A key in its object and listed in the account registry, as CreateKey leaves it. */
async function newKey(origin: "AWS_KMS" | "EXTERNAL" = "AWS_KMS") {
  const key = await createKey(origin);
  expect((await registry().addKey({ keyId: key.keyId, keyArn: key.arn }, 1000)).ok).toBe(true);
  return key;
}

/**
 * Moves the stored DeletionDate into the past, as if the window had elapsed. The alarm itself is
 * left pending in the future (an alarm set in the past would fire on its own) so that the test
 * fires it with runDurableObjectAlarm.
 */
async function elapse(stub: DurableObjectStub<KeyObject>) {
  await runInDurableObject(stub, async (_instance: KeyObject, state) => {
    const record = state.storage.kv.get<Record<string, unknown>>("key")!;
    state.storage.kv.put("key", { ...record, deletionDate: Date.now() - 1 });
    await state.storage.setAlarm(Date.now() + 3_600_000);
  });
}

async function listedKeyIds(): Promise<string[]> {
  const page = await registry().listKeys(1000, undefined);
  if (!page.ok) throw new Error(page.message);
  return page.value.items.map((k) => k.keyId);
}

describe("scheduled key deletion in the key object", () => {
  it("keeps the key PendingDeletion, not Enabled, with its DeletionDate and window, and arms an alarm for that date", async () => {
    const { stub, call } = await newKey();
    const before = Date.now();
    const scheduled = await stub.scheduleDeletion(call, 7);
    expect(scheduled.ok).toBe(true);
    const described = await stub.describe(call);
    if (!described.ok) throw new Error(described.message);
    expect(described.value).toMatchObject({ KeyState: "PendingDeletion", Enabled: false, PendingDeletionWindowInDays: 7 });
    const deletionDate = described.value.DeletionDate!.getTime();
    expect(deletionDate).toBeGreaterThanOrEqual(before + 7 * 86_400_000);
    await runInDurableObject(stub, async (_i: KeyObject, state) => {
      expect(await state.storage.getAlarm()).toBe(deletionDate);
    });
  });

  it("does nothing when the alarm fires before DeletionDate, however often", async () => {
    const { keyId, stub, call } = await newKey();
    await stub.scheduleDeletion(call, 30);
    for (let i = 0; i < 3; i++) await runDurableObjectAlarm(stub);
    const described = await stub.describe(call);
    expect(described.ok && described.value.KeyState).toBe("PendingDeletion");
    expect(await listedKeyIds()).toContain(keyId);
  });

  it("deletes the key, its stored values, its registry entry and its aliases when DeletionDate has passed", async () => {
    const { keyId, stub, call } = await newKey();
    const encrypted = await stub.encrypt(call, "Encrypt", new TextEncoder().encode("gone"), {});
    expect(encrypted.ok).toBe(true);
    expect((await registry().createAlias("alias/doomed", keyId, 100, "arn")).ok).toBe(true);
    await stub.scheduleDeletion(call, 7);
    await elapse(stub);
    expect(await runDurableObjectAlarm(stub)).toBe(true);

    for (const result of [await stub.describe(call), await stub.cancelDeletion(call), await stub.setEnabled(call, true)]) {
      expect(result).toEqual({ ok: false, type: "NotFoundException", message: `Key '${call.keyArn}' does not exist` });
    }
    expect(await listedKeyIds()).not.toContain(keyId);
    expect(await registry().resolveAlias("alias/doomed")).toBeUndefined();
    await runInDurableObject(stub, async (_i: KeyObject, state) => {
      expect([...state.storage.kv.list()]).toEqual([]);
      expect(await state.storage.getAlarm()).toBeNull();
    });
    // The guide's "KMS CMK Deletion" event, recorded by the audit module.
    const events = await env.AUDIT.get(env.AUDIT.idFromName(`${ACCOUNT}:${REGION}`)).keyEvents(1000);
    expect(events.filter((e) => e.resources[0] === call.keyArn)).toMatchObject([
      { "detail-type": "KMS CMK Deletion", source: "aws.kms", account: ACCOUNT, region: REGION, detail: { "key-id": keyId } },
    ]);
  });

  it("is idempotent: an alarm firing again after the deletion changes nothing and throws nothing", async () => {
    const { keyId, stub, call } = await newKey();
    await stub.scheduleDeletion(call, 7);
    await elapse(stub);
    await runDurableObjectAlarm(stub);
    await runInDurableObject(stub, async (_i: KeyObject, state) => {
      await state.storage.setAlarm(Date.now() + 3_600_000);
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await runDurableObjectAlarm(stub)).toBe(false);
    expect((await stub.describe(call)).ok).toBe(false);
    expect(await listedKeyIds()).not.toContain(keyId);
  });

  it("finishes a deletion whose registry step did not happen (a crash between the steps) on the next alarm", async () => {
    const { keyId, arn, stub, call } = await newKey();
    expect((await registry().createAlias("alias/half-deleted", keyId, 100, "arn")).ok).toBe(true);
    // The state a crash right after step 1 leaves: a tombstone, the registry still listing the key.
    await runInDurableObject(stub, async (_instance: KeyObject, state) => {
      state.storage.transactionSync(() => {
        for (const [key] of [...state.storage.kv.list()]) state.storage.kv.delete(key);
        state.storage.kv.put("deleted", { keyId, arn, accountId: ACCOUNT });
      });
      await state.storage.setAlarm(Date.now() + 3_600_000);
    });
    expect((await stub.describe(call)).ok).toBe(false);
    expect(await listedKeyIds()).toContain(keyId);
    await runDurableObjectAlarm(stub);
    expect(await listedKeyIds()).not.toContain(keyId);
    expect(await registry().resolveAlias("alias/half-deleted")).toBeUndefined();
  });

  it("cancelled before the alarm: the key is Disabled with no DeletionDate, and the late alarm leaves it alone", async () => {
    const { keyId, stub, call } = await newKey();
    const blob = await stub.encrypt(call, "Encrypt", new TextEncoder().encode("kept"), {});
    if (!blob.ok) throw new Error(blob.message);
    await stub.scheduleDeletion(call, 7);
    await elapse(stub);
    const cancelled = await stub.cancelDeletion(call);
    expect(cancelled).toEqual({ ok: true, value: call.keyArn });
    await runInDurableObject(stub, async (_i: KeyObject, state) => {
      await state.storage.setAlarm(Date.now() + 3_600_000);
    });
    await runDurableObjectAlarm(stub);
    const described = await stub.describe(call);
    if (!described.ok) throw new Error(described.message);
    expect(described.value.KeyState).toBe("Disabled");
    expect(described.value.DeletionDate).toBeUndefined();
    expect(described.value.PendingDeletionWindowInDays).toBeUndefined();
    expect(await listedKeyIds()).toContain(keyId);
    expect((await stub.setEnabled(call, true)).ok).toBe(true);
    const opened = await stub.decrypt(call, "Decrypt", blob.value.ciphertext, {});
    expect(opened.ok && new TextDecoder().decode(opened.value.plaintext)).toBe("kept");
  });

  it("racing: a cancel and the alarm sent together leave either a deleted key or a Disabled one", async () => {
    const outcomes = new Set<string>();
    for (let i = 0; i < 6; i++) {
      const { keyId, stub, call } = await newKey();
      await stub.scheduleDeletion(call, 7);
      await elapse(stub);
      const [cancelled] = await Promise.all([stub.cancelDeletion(call), runDurableObjectAlarm(stub)]);
      const described = await stub.describe(call);
      const listed = (await listedKeyIds()).includes(keyId);
      if (cancelled.ok) {
        expect(described.ok && described.value.KeyState).toBe("Disabled");
        expect(listed).toBe(true);
        outcomes.add("cancelled");
      } else {
        expect(cancelled.type).toBe("NotFoundException");
        expect(described.ok).toBe(false);
        expect(listed).toBe(false);
        outcomes.add("deleted");
      }
    }
    expect(outcomes.size).toBeGreaterThanOrEqual(1);
  });

  it("returns an EXTERNAL key without material to PendingImport when its deletion is cancelled", async () => {
    const { stub, call } = await newKey("EXTERNAL");
    expect((await stub.scheduleDeletion(call, 7)).ok).toBe(true);
    expect((await stub.cancelDeletion(call)).ok).toBe(true);
    const described = await stub.describe(call);
    expect(described.ok && described.value.KeyState).toBe("PendingImport");
  });

  it("refuses CancelKeyDeletion on a key that is not pending deletion, and a second schedule on one that is", async () => {
    const { stub, call } = await newKey();
    expect(await stub.cancelDeletion(call)).toEqual({
      ok: false,
      type: "KMSInvalidStateException",
      message: `${call.keyArn} is not pending deletion.`,
    });
    await stub.scheduleDeletion(call, 10);
    expect(await stub.scheduleDeletion(call, 7)).toEqual({
      ok: false,
      type: "KMSInvalidStateException",
      message: `${call.keyArn} is pending deletion.`,
    });
  });
});
