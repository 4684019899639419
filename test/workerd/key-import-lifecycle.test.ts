/**
 * Imported key material in the KeyObject inside workerd: what it stores (neither the material nor
 * the wrapping private key in the clear), and the alarm that expires material at ValidTo and
 * discards unused import parameters once they expire. Alarms are fired with runDurableObjectAlarm
 * after moving stored deadlines into the past through runInDurableObject.
 */
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { KeyObject } from "../../worker/key-object.ts";
import { ACCOUNT, createKey } from "./key-fixtures.ts";

async function wrapOaep(spki: Uint8Array, material: Uint8Array): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey("spki", spki, { name: "RSA-OAEP", hash: "SHA-256" }, false, ["encrypt"]);
  return new Uint8Array(await crypto.subtle.encrypt({ name: "RSA-OAEP" }, key, material));
}

function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

/** Every stored value, flattened to byte strings. */
function dump(state: DurableObjectState): Uint8Array[] {
  const out: Uint8Array[] = [];
  const visit = (value: unknown): void => {
    if (value instanceof Uint8Array) out.push(value);
    else if (typeof value === "string") out.push(new TextEncoder().encode(value));
    else if (value !== null && typeof value === "object") for (const inner of Object.values(value)) visit(inner);
  };
  for (const [key, value] of state.storage.kv.list()) {
    visit(key);
    visit(value);
  }
  return out;
}

describe("imported key material in the key object", () => {
  it("is stored only sealed: no stored value contains the material", async () => {
    const { stub, call } = await createKey("EXTERNAL");
    const params = await stub.getParametersForImport(call, "RSAES_OAEP_SHA_256");
    if (!params.ok) throw new Error(params.message);
    const material = crypto.getRandomValues(new Uint8Array(32));
    const imported = await stub.importKeyMaterial(call, {
      importToken: params.value.importToken,
      encryptedKeyMaterial: await wrapOaep(params.value.publicKey, material),
      expirationModel: "KEY_MATERIAL_DOES_NOT_EXPIRE",
    });
    expect(imported).toMatchObject({
      ok: true,
      value: { keyArn: expect.any(String), keyMaterialId: expect.stringMatching(/^[0-9a-f]{64}$/) },
    });
    await runInDurableObject(stub, async (_i: KeyObject, state) => {
      const values = dump(state);
      expect(values.length).toBeGreaterThan(3);
      for (const bytes of values) expect(contains(bytes, material)).toBe(false);
      expect(state.storage.kv.get("version:0000000001")).toBeDefined();
      // The used wrapping key is gone.
      expect([...state.storage.kv.list({ prefix: "import:" })]).toEqual([]);
    });
  });

  it("expires at ValidTo when the alarm fires: backing keys wiped, PendingImport, the fingerprint kept", async () => {
    const { stub, call } = await createKey("EXTERNAL");
    const params = await stub.getParametersForImport(call, "RSAES_OAEP_SHA_256");
    if (!params.ok) throw new Error(params.message);
    const material = crypto.getRandomValues(new Uint8Array(32));
    const validTo = Date.now() + 3_600_000;
    await stub.importKeyMaterial(call, {
      importToken: params.value.importToken,
      encryptedKeyMaterial: await wrapOaep(params.value.publicKey, material),
      expirationModel: "KEY_MATERIAL_EXPIRES",
      validTo,
    });
    await runInDurableObject(stub, async (_i: KeyObject, state) => {
      expect(await state.storage.getAlarm()).toBe(validTo);
    });
    // Firing early changes nothing.
    await runDurableObjectAlarm(stub);
    const early = await stub.describe(call);
    expect(early.ok && early.value.KeyState).toBe("Enabled");
    await runInDurableObject(stub, async (_instance: KeyObject, state) => {
      const record = state.storage.kv.get<Record<string, unknown>>("key")!;
      state.storage.kv.put("key", { ...record, validTo: Date.now() - 1 });
      await state.storage.setAlarm(Date.now() + 3_600_000);
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const events = await env.AUDIT.get(env.AUDIT.idFromName(`${ACCOUNT}:us-east-1`)).keyEvents(1000);
    expect(events.filter((e) => e.resources[0] === call.keyArn).map((e) => e["detail-type"])).toEqual([
      "KMS Imported Key Material Expiration",
    ]);
    const described = await stub.describe(call);
    if (!described.ok) throw new Error(described.message);
    expect(described.value).toMatchObject({ KeyState: "PendingImport", Enabled: false });
    expect(described.value.ExpirationModel).toBeUndefined();
    expect(described.value.ValidTo).toBeUndefined();
    await runInDurableObject(stub, async (_i: KeyObject, state) => {
      expect([...state.storage.kv.list({ prefix: "version:" })]).toEqual([]);
      const record = state.storage.kv.get<{ materialFingerprint?: Uint8Array }>("key")!;
      expect(record.materialFingerprint?.length).toBe(32);
      expect(await state.storage.getAlarm()).toBeNull();
    });
    // Firing again after expiry is harmless.
    await runInDurableObject(stub, (_i: KeyObject, state) => state.storage.setAlarm(Date.now() + 3_600_000));
    await runDurableObjectAlarm(stub);
    const again = await stub.describe(call);
    expect(again.ok && again.value.KeyState).toBe("PendingImport");
  });

  it("discards unused import parameters when they expire, and the alarm is armed for them", async () => {
    const { stub, call } = await createKey("EXTERNAL");
    const params = await stub.getParametersForImport(call, "RSAES_PKCS1_V1_5");
    if (!params.ok) throw new Error(params.message);
    await runInDurableObject(stub, async (_i: KeyObject, state) => {
      expect(await state.storage.getAlarm()).toBe(params.value.parametersValidTo.getTime());
      const [[slot, pending]] = [...state.storage.kv.list<Record<string, unknown>>({ prefix: "import:" })] as [
        [string, Record<string, unknown>],
      ];
      state.storage.kv.put(slot, { ...pending, validTo: Date.now() - 1 });
      await state.storage.setAlarm(Date.now() + 3_600_000);
    });
    await runDurableObjectAlarm(stub);
    await runInDurableObject(stub, async (_i: KeyObject, state) => {
      expect([...state.storage.kv.list({ prefix: "import:" })]).toEqual([]);
      expect(await state.storage.getAlarm()).toBeNull();
    });
  });
});

describe("several imported materials in the key object", () => {
  async function importInto(
    stub: Awaited<ReturnType<typeof createKey>>["stub"],
    call: Awaited<ReturnType<typeof createKey>>["call"],
    extra: object,
  ) {
    const params = await stub.getParametersForImport(call, "RSAES_OAEP_SHA_256");
    if (!params.ok) throw new Error(params.message);
    const result = await stub.importKeyMaterial(call, {
      importToken: params.value.importToken,
      encryptedKeyMaterial: await wrapOaep(params.value.publicKey, crypto.getRandomValues(new Uint8Array(32))),
      expirationModel: "KEY_MATERIAL_DOES_NOT_EXPIRE",
      ...extra,
    });
    if (!result.ok) throw new Error(result.message);
    return result.value.keyMaterialId!;
  }

  it("expires a non-current material at its own ValidTo, leaving the key usable with its current material", async () => {
    const { stub, call } = await createKey("EXTERNAL");
    const first = await importInto(stub, call, { expirationModel: "KEY_MATERIAL_EXPIRES", validTo: Date.now() + 3_600_000 });
    const old = await stub.encrypt(call, "Encrypt", new TextEncoder().encode("old"), {});
    if (!old.ok) throw new Error(old.message);
    const second = await importInto(stub, call, { importType: "NEW_KEY_MATERIAL" });
    expect((await stub.rotateOnDemand(call)).ok).toBe(true);
    await runDurableObjectAlarm(stub);
    const described = await stub.describe(call);
    expect(described.ok && described.value.CurrentKeyMaterialId).toBe(second);

    // The first material's own deadline passes (moved into the past in storage).
    await runInDurableObject(stub, async (_i: KeyObject, state) => {
      const [key, material] = [...state.storage.kv.list<Record<string, unknown>>({ prefix: "material:" })][0]!;
      expect(material.keyMaterialId).toBe(first);
      state.storage.kv.put(key, { ...material, validTo: Date.now() - 1 });
      await state.storage.setAlarm(Date.now() + 3_600_000);
    });
    await runDurableObjectAlarm(stub);
    const listed = await stub.listRotations(call, "ALL_KEY_MATERIAL", 10, undefined);
    if (!listed.ok) throw new Error(listed.message);
    expect(listed.value.Rotations.map((r) => [r.KeyMaterialId, r.ImportState, r.KeyMaterialState])).toEqual([
      [first, "PENDING_IMPORT", "NON_CURRENT"],
      [second, "IMPORTED", "CURRENT"],
    ]);
    const after = await stub.describe(call);
    expect(after.ok && after.value.KeyState).toBe("Enabled");
    expect(await stub.decrypt(call, "Decrypt", old.value.ciphertext, {})).toMatchObject({ ok: false, type: "InvalidCiphertextException" });
    expect((await stub.encrypt(call, "Encrypt", new TextEncoder().encode("new"), {})).ok).toBe(true);
  });
});
