/**
 * Rotation inside workerd, on the key object: on-demand rotation (accepted by the call, carried out
 * by the alarm, AWS's limit and conflicts), ListKeyRotations and its paging, EnableKeyRotation's
 * RotationPeriodInDays, and old ciphertexts decrypting after every rotation.
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ON_DEMAND_ROTATION_LIMIT } from "../../src/keys/key-actor.ts";
import type { KeyRecord } from "../../src/keys/key-records.ts";
import type { KeyObject } from "../../worker/key-object.ts";
import { createKey } from "./key-fixtures.ts";

const utf8 = (s: string) => new TextEncoder().encode(s);
const DAY_MS = 24 * 60 * 60 * 1000;

function value<T>(result: { ok: true; value: T } | { ok: false; type: string; message: string }): T {
  if (!result.ok) throw new Error(`${result.type}: ${result.message}`);
  return result.value;
}

/**
 * Runs the key's wake-up and waits until the on-demand rotation it carries out is done: workerd
 * may already be running the real alarm, in which case runDurableObjectAlarm finds none to run.
 */
async function completeRotation(stub: Awaited<ReturnType<typeof createKey>>["stub"], versions: number): Promise<void> {
  const deadline = Date.now() + 5_000;
  await runDurableObjectAlarm(stub);
  while ((await stub.backingKeyVersions()) < versions && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}

describe("on-demand rotation", () => {
  it("is accepted at once, completed by the key's wake-up, listed, and leaves old ciphertexts decrypting", async () => {
    const { stub, call, arn, keyId } = await createKey();
    const before = value(await stub.encrypt(call, "Encrypt", utf8("first material"), {}));

    const started = Date.now();
    expect(value(await stub.rotateOnDemand(call))).toBe(keyId);
    // The wake-up is due at once (workerd may already have run it): until it runs, the status
    // shows the rotation in progress.
    const pending = value(await stub.rotationStatus(call));
    expect(pending.KeyRotationEnabled).toBe(false);
    if (pending.OnDemandRotationStartDate !== undefined)
      expect(pending.OnDemandRotationStartDate.getTime()).toBeGreaterThanOrEqual(started);

    await completeRotation(stub, 2);
    expect(await stub.backingKeyVersions()).toBe(2);
    expect(value(await stub.rotationStatus(call)).OnDemandRotationStartDate).toBeUndefined();

    const rotations = value(await stub.listRotations(call, "ROTATIONS_ONLY", 100, undefined));
    expect(rotations.Truncated).toBe(false);
    expect(rotations.Rotations).toHaveLength(1);
    expect(rotations.Rotations[0]).toMatchObject({ KeyId: arn, KeyMaterialState: "CURRENT", RotationType: "ON_DEMAND" });
    expect(rotations.Rotations[0]!.KeyMaterialId).toMatch(/^[0-9a-f]{64}$/);
    expect(rotations.Rotations[0]!.RotationDate!.getTime()).toBeGreaterThanOrEqual(started);

    const all = value(await stub.listRotations(call, "ALL_KEY_MATERIAL", 100, undefined)).Rotations;
    expect(all.map((r) => r.KeyMaterialState)).toEqual(["NON_CURRENT", "CURRENT"]);
    expect(all[0]!.RotationDate).toBeUndefined();
    expect(all[0]!.RotationType).toBeUndefined();
    expect(all[0]!.KeyMaterialId).not.toBe(all[1]!.KeyMaterialId);

    const opened = value(await stub.decrypt(call, "Decrypt", before.ciphertext, {}));
    expect(new TextDecoder().decode(opened.plaintext)).toBe("first material");
  });

  it("answers ConflictException while an on-demand rotation is in progress", async () => {
    const { stub, call } = await createKey();
    const startedAt = Date.now() + DAY_MS;
    // An accepted rotation that has not run yet (its start moved out so that no alarm completes it now).
    await runInDurableObject(stub, async (_o: KeyObject, state) => {
      const record = state.storage.kv.get<KeyRecord>("key")!;
      state.storage.kv.put("key", { ...record, onDemandRotationStartDate: startedAt, onDemandRotations: 1 });
    });
    expect(value(await stub.rotationStatus(call)).OnDemandRotationStartDate!.getTime()).toBe(startedAt);
    expect(await stub.rotateOnDemand(call)).toMatchObject({ ok: false, type: "ConflictException" });
    expect(await stub.backingKeyVersions()).toBe(1);
  });

  it(`refuses the ${ON_DEMAND_ROTATION_LIMIT + 1}th on-demand rotation of a key with LimitExceededException`, async () => {
    const { stub, call } = await createKey();
    for (let i = 0; i < ON_DEMAND_ROTATION_LIMIT; i++) {
      value(await stub.rotateOnDemand(call));
      await completeRotation(stub, i + 2);
    }
    expect(await stub.backingKeyVersions()).toBe(ON_DEMAND_ROTATION_LIMIT + 1);
    const refused = await stub.rotateOnDemand(call);
    expect(refused).toMatchObject({ ok: false, type: "LimitExceededException" });
    await runDurableObjectAlarm(stub);
    expect(await stub.backingKeyVersions()).toBe(ON_DEMAND_ROTATION_LIMIT + 1);
  });

  it("answers ConflictException while an automatic rotation is due within 20 minutes, and keeps the automatic schedule", async () => {
    const { stub, call } = await createKey();
    value(await stub.setRotation(call, true));
    const soon = Date.now() + 10 * 60 * 1000;
    await runInDurableObject(stub, async (_o: KeyObject, state) => {
      const record = state.storage.kv.get<KeyRecord>("key")!;
      state.storage.kv.put("key", { ...record, nextRotation: soon });
    });
    expect(await stub.rotateOnDemand(call)).toMatchObject({ ok: false, type: "ConflictException" });

    const later = Date.now() + 30 * DAY_MS;
    await runInDurableObject(stub, async (_o: KeyObject, state) => {
      const record = state.storage.kv.get<KeyRecord>("key")!;
      state.storage.kv.put("key", { ...record, nextRotation: later });
    });
    value(await stub.rotateOnDemand(call));
    await completeRotation(stub, 2);
    expect(await stub.backingKeyVersions()).toBe(2);
    expect(value(await stub.rotationStatus(call)).NextRotationDate!.getTime()).toBe(later);
  });

  it("refuses keys with imported material, disabled keys and keys pending deletion, changing nothing", async () => {
    const external = await createKey("EXTERNAL");
    expect(await external.stub.rotateOnDemand(external.call)).toMatchObject({ ok: false, type: "UnsupportedOperationException" });

    const { stub, call } = await createKey();
    value(await stub.setEnabled(call, false));
    expect(await stub.rotateOnDemand(call)).toMatchObject({ ok: false, type: "DisabledException" });
    value(await stub.scheduleDeletion(call, 7));
    expect(await stub.rotateOnDemand(call)).toMatchObject({ ok: false, type: "KMSInvalidStateException" });
    expect(value(await stub.rotationStatus(call)).OnDemandRotationStartDate).toBeUndefined();
    expect(await stub.backingKeyVersions()).toBe(1);
  });
});

describe("ListKeyRotations paging", () => {
  it("pages through rotations with Limit and NextMarker, and refuses a made-up marker", async () => {
    const { stub, call } = await createKey();
    for (let i = 0; i < 3; i++) {
      value(await stub.rotateOnDemand(call));
      await completeRotation(stub, i + 2);
    }
    const first = value(await stub.listRotations(call, "ALL_KEY_MATERIAL", 2, undefined));
    expect(first.Truncated).toBe(true);
    expect(first.Rotations).toHaveLength(2);
    const second = value(await stub.listRotations(call, "ALL_KEY_MATERIAL", 2, first.NextMarker));
    expect(second.Truncated).toBe(false);
    expect(second.NextMarker).toBeUndefined();
    const ids = [...first.Rotations, ...second.Rotations].map((r) => r.KeyMaterialId);
    expect(new Set(ids).size).toBe(4);
    expect([...first.Rotations, ...second.Rotations].map((r) => r.KeyMaterialState)).toEqual([
      "NON_CURRENT",
      "NON_CURRENT",
      "NON_CURRENT",
      "CURRENT",
    ]);

    const rotationsOnly = value(await stub.listRotations(call, "ROTATIONS_ONLY", 2, undefined));
    expect(rotationsOnly.Rotations).toHaveLength(2);
    const rest = value(await stub.listRotations(call, "ROTATIONS_ONLY", 2, rotationsOnly.NextMarker));
    expect(rest.Rotations).toHaveLength(1);
    expect(rest.Truncated).toBe(false);

    expect(await stub.listRotations(call, "ALL_KEY_MATERIAL", 2, btoa('["grants",1]'))).toMatchObject({
      ok: false,
      type: "InvalidMarkerException",
    });
  });
});

describe("EnableKeyRotation's RotationPeriodInDays", () => {
  it("is stored per key, reported by GetKeyRotationStatus, and dates the next rotation", async () => {
    const { stub, call } = await createKey();
    const enabledAt = Date.now();
    value(await stub.setRotation(call, true, 90));
    const status = value(await stub.rotationStatus(call));
    expect(status.RotationPeriodInDays).toBe(90);
    const next = status.NextRotationDate!.getTime();
    expect(next).toBeGreaterThanOrEqual(enabledAt + 90 * DAY_MS);
    expect(next).toBeLessThanOrEqual(Date.now() + 90 * DAY_MS);

    // A longer period moves the next date: one new period after the start of the current cycle.
    value(await stub.setRotation(call, true, 180));
    const longer = value(await stub.rotationStatus(call));
    expect(longer.RotationPeriodInDays).toBe(180);
    expect(longer.NextRotationDate!.getTime()).toBe(next + 90 * DAY_MS);

    // Omitted, it is AWS's default of 365 days; disabled, no period is reported.
    value(await stub.setRotation(call, true));
    expect(value(await stub.rotationStatus(call)).RotationPeriodInDays).toBe(365);
    value(await stub.setRotation(call, false));
    const off = value(await stub.rotationStatus(call));
    expect(off).toEqual({ KeyRotationEnabled: false });
  });

  it("is the kms:RotationPeriodInDays condition key a key policy can constrain", async () => {
    const { stub, call } = await createKey();
    const root = `arn:aws:iam::${call.accountId}:root`;
    const policy = {
      Version: "2012-10-17",
      Statement: [
        { Effect: "Allow", Principal: { AWS: root }, Action: "kms:*", Resource: "*" },
        {
          Effect: "Deny",
          Principal: { AWS: root },
          Action: "kms:EnableKeyRotation",
          Resource: "*",
          Condition: { NumericLessThan: { "kms:RotationPeriodInDays": "180" } },
        },
      ],
    };
    value(await stub.putPolicy(call, JSON.stringify(policy)));
    const facts = (days: number) => ({ ...call, facts: { extra: { "kms:RotationPeriodInDays": String(days) } } });
    expect(await stub.setRotation(facts(90), true, 90)).toMatchObject({ ok: false, type: "AccessDeniedException" });
    expect(value(await stub.rotationStatus(call)).KeyRotationEnabled).toBe(false);
    value(await stub.setRotation(facts(365), true, 365));
    expect(value(await stub.rotationStatus(call)).RotationPeriodInDays).toBe(365);
  });

  it("reports rotation as off while the key is pending deletion, and on again once the deletion is cancelled", async () => {
    const { stub, call } = await createKey();
    value(await stub.setRotation(call, true, 100));
    value(await stub.scheduleDeletion(call, 7));
    expect(value(await stub.rotationStatus(call))).toEqual({ KeyRotationEnabled: false });
    value(await stub.cancelDeletion(call));
    expect(value(await stub.rotationStatus(call))).toMatchObject({ KeyRotationEnabled: true, RotationPeriodInDays: 100 });
  });

  it("rotates automatically when the stored period has passed, listing the rotation as AUTOMATIC", async () => {
    const { stub, call } = await createKey();
    value(await stub.setRotation(call, true, 90));
    await runInDurableObject(stub, async (_o: KeyObject, state) => {
      const record = state.storage.kv.get<KeyRecord>("key")!;
      state.storage.kv.put("key", { ...record, nextRotation: Date.now() - 1 });
    });
    await runDurableObjectAlarm(stub);
    expect(await stub.backingKeyVersions()).toBe(2);
    const [rotation] = value(await stub.listRotations(call, "ROTATIONS_ONLY", 100, undefined)).Rotations;
    expect(rotation).toMatchObject({ RotationType: "AUTOMATIC", KeyMaterialState: "CURRENT" });
    const next = value(await stub.rotationStatus(call)).NextRotationDate!.getTime();
    expect(next).toBeGreaterThan(Date.now() + 89 * DAY_MS);
  });
});
