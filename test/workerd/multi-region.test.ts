/**
 * Multi-Region keys inside workerd, on the key objects (src/keys/multi-region.ts): the material a
 * primary hands to a replica is sealed for the replica's ARN alone; synchronisations are applied
 * once and only when newer; a replica refuses to rotate; a primary waiting in
 * PendingReplicaDeletion starts its waiting period when its last replica has left, once; a set
 * with imported material hands over no material at all, only the set's fingerprint key sealed for
 * the replica, and each key keeps its own imports and expiration.
 */
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { newMultiRegionKeyId } from "../../src/keys/key-id.ts";
import { unsealBackingKey, decodeRootKey } from "../../src/keys/backing-key.ts";
import { ringOf } from "../../src/keys/root-key-ring.ts";
import { withFingerprintKey } from "../../src/keys/import-token.ts";
import type { MultiRegionMessage } from "../../src/keys/multi-region.ts";
import { defaultKeyPolicy } from "../../src/operations/keys.ts";
import type { KeyRecord } from "../../src/keys/key-records.ts";
import type { KeyObject } from "../../worker/key-object.ts";
import { ACCOUNT, rootCaller } from "./key-fixtures.ts";

const utf8 = (s: string) => new TextEncoder().encode(s);

function value<T>(result: { ok: true; value: T } | { ok: false; type: string; message: string }): T {
  if (!result.ok) throw new Error(`${result.type}: ${result.message}`);
  return result.value;
}

/** A primary in us-east-1 and its replica in us-west-2, made through the objects' RPC surface as ReplicateKey makes them. */
async function keySet(origin: "AWS_KMS" | "EXTERNAL" = "AWS_KMS") {
  const keyId = newMultiRegionKeyId(ringOf(decodeRootKey(env.ROOT_KEY)), ACCOUNT);
  const primaryArn = `arn:aws:kms:us-east-1:${ACCOUNT}:key/${keyId}`;
  const replicaArn = `arn:aws:kms:us-west-2:${ACCOUNT}:key/${keyId}`;
  const primary = env.KEYS.get(env.KEYS.idFromName(primaryArn));
  const replica = env.KEYS.get(env.KEYS.idFromName(replicaArn));
  const policy = defaultKeyPolicy(ACCOUNT);
  value(
    await primary.create({
      keyId,
      arn: primaryArn,
      accountId: ACCOUNT,
      description: "",
      origin,
      policy,
      tags: [],
      multiRegion: true,
    }),
  );
  const primaryCall = { ...rootCaller, keyArn: primaryArn };
  const source = value(await primary.exportReplica(primaryCall, replicaArn));
  value(await replica.createReplica({ arn: replicaArn, keyId, accountId: ACCOUNT, description: "", policy, tags: [], source }));
  value(await primary.addReplica(primaryCall, replicaArn, {}));
  return { keyId, primaryArn, replicaArn, primary, replica, primaryCall, replicaCall: { ...rootCaller, keyArn: replicaArn }, source };
}

async function wrapOaep(spki: Uint8Array, material: Uint8Array): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey("spki", spki, { name: "RSA-OAEP", hash: "SHA-256" }, false, ["encrypt"]);
  return new Uint8Array(await crypto.subtle.encrypt({ name: "RSA-OAEP" }, key, material));
}

/** GetParametersForImport and ImportKeyMaterial on one key object. */
async function importInto(
  stub: DurableObjectStub<KeyObject>,
  call: typeof rootCaller & { keyArn: string },
  material: Uint8Array,
  validTo?: number,
) {
  const params = value(await stub.getParametersForImport(call, "RSAES_OAEP_SHA_256"));
  return stub.importKeyMaterial(call, {
    importToken: params.importToken,
    encryptedKeyMaterial: await wrapOaep(params.publicKey, material),
    ...(validTo === undefined
      ? { expirationModel: "KEY_MATERIAL_DOES_NOT_EXPIRE" as const }
      : { expirationModel: "KEY_MATERIAL_EXPIRES" as const, validTo }),
  });
}

describe("multi-Region keys in their objects", () => {
  it("keep a new replica Creating — managed, never used — until its primary's first synchronisation", async () => {
    const keyId = newMultiRegionKeyId(ringOf(decodeRootKey(env.ROOT_KEY)), ACCOUNT);
    const primaryArn = `arn:aws:kms:us-east-1:${ACCOUNT}:key/${keyId}`;
    const replicaArn = `arn:aws:kms:us-west-2:${ACCOUNT}:key/${keyId}`;
    const primary = env.KEYS.get(env.KEYS.idFromName(primaryArn));
    const replica = env.KEYS.get(env.KEYS.idFromName(replicaArn));
    const policy = defaultKeyPolicy(ACCOUNT);
    value(
      await primary.create({
        keyId,
        arn: primaryArn,
        accountId: ACCOUNT,
        description: "",
        origin: "AWS_KMS",
        policy,
        tags: [],
        multiRegion: true,
      }),
    );
    const primaryCall = { ...rootCaller, keyArn: primaryArn };
    const replicaCall = { ...rootCaller, keyArn: replicaArn };
    const source = value(await primary.exportReplica(primaryCall, replicaArn));
    const created = value(
      await replica.createReplica({ arn: replicaArn, keyId, accountId: ACCOUNT, description: "", policy, tags: [], source }),
    );
    expect(created).toMatchObject({ KeyState: "Creating", Enabled: false });
    const refused = await replica.encrypt(replicaCall, "Encrypt", utf8("too early"), {});
    expect(refused.ok ? "encrypted" : refused.type).toBe("KMSInvalidStateException");
    const toggled = await replica.setEnabled(replicaCall, false);
    expect(toggled.ok ? "disabled" : toggled.type).toBe("KMSInvalidStateException");
    value(await replica.updateDescription(replicaCall, "managed while Creating"));
    // A second replica in the Region is refused, by the primary and by the key object.
    const again = await replica.createReplica({ arn: replicaArn, keyId, accountId: ACCOUNT, description: "", policy, tags: [], source });
    expect(again.ok ? "created" : again.type).toBe("AlreadyExistsException");

    value(await primary.addReplica(primaryCall, replicaArn, {}));
    expect(value(await replica.describe(replicaCall))).toMatchObject({ KeyState: "Enabled", Description: "managed while Creating" });
    const exported = await primary.exportReplica(primaryCall, replicaArn);
    expect(exported.ok ? "exported" : exported.type).toBe("AlreadyExistsException");
    value(await replica.encrypt(replicaCall, "Encrypt", utf8("now"), {}));
  });

  it("hand the replica its material sealed for the replica's ARN only, and decrypt each other's ciphertexts", async () => {
    const { primaryArn, replicaArn, primary, replica, primaryCall, replicaCall, source } = await keySet();
    const rootKey = ringOf(decodeRootKey(env.ROOT_KEY));
    const sealed = source.state.versions[0]!.sealed;
    expect(() => unsealBackingKey(rootKey, primaryArn, sealed)).toThrow();
    expect(unsealBackingKey(rootKey, replicaArn, sealed)).toHaveLength(32);

    const blob = value(await primary.encrypt(primaryCall, "Encrypt", utf8("shared"), { a: "b" })).ciphertext;
    expect(new TextDecoder().decode(value(await replica.decrypt(replicaCall, "Decrypt", blob, { a: "b" })).plaintext)).toBe("shared");
    // A key outside the set does not open it.
    const otherArn = `arn:aws:kms:us-west-2:${ACCOUNT}:key/${crypto.randomUUID()}`;
    const stranger = env.KEYS.get(env.KEYS.idFromName(otherArn));
    value(
      await stranger.create({
        keyId: otherArn.split("/")[1]!,
        arn: otherArn,
        accountId: ACCOUNT,
        description: "",
        origin: "AWS_KMS",
        policy: defaultKeyPolicy(ACCOUNT),
        tags: [],
      }),
    );
    const refused = await stranger.decrypt({ ...rootCaller, keyArn: otherArn }, "Decrypt", blob, { a: "b" });
    expect(refused.ok ? "opened" : refused.type).toBe("InvalidCiphertextException");
  });

  it("apply a synchronisation once, ignore an older one, and refuse rotation on the replica", async () => {
    const { primaryArn, replica, replicaCall, source } = await keySet();
    const described = value(await replica.describe(replicaCall));
    expect(described.MultiRegionConfiguration?.MultiRegionKeyType).toBe("REPLICA");
    // A late copy of the first synchronisation (older than the one addReplica sent) changes nothing.
    const stale: MultiRegionMessage = { kind: "sync", id: crypto.randomUUID(), state: { ...source.state, replicaArns: [] } };
    await replica.receiveMultiRegion(stale);
    await replica.receiveMultiRegion(stale);
    expect(value(await replica.describe(replicaCall)).MultiRegionConfiguration?.ReplicaKeys).toHaveLength(1);
    expect(value(await replica.describe(replicaCall)).MultiRegionConfiguration?.PrimaryKey?.Arn).toBe(primaryArn);
    const rotate = await replica.rotateOnDemand(replicaCall);
    expect(rotate.ok ? "rotated" : rotate.type).toBe("UnsupportedOperationException");
    const enable = await replica.setRotation(replicaCall, true);
    expect(enable.ok ? "enabled" : enable.type).toBe("UnsupportedOperationException");
  });

  it("start a waiting primary's deletion period when its last replica leaves, once", async () => {
    const { replicaArn, primary, primaryCall } = await keySet();
    const scheduled = value(await primary.scheduleDeletion(primaryCall, 7));
    expect(scheduled.keyState).toBe("PendingReplicaDeletion");
    expect(scheduled.deletionDate).toBeUndefined();
    const left: MultiRegionMessage = { kind: "left", id: crypto.randomUUID(), arn: replicaArn };
    await primary.receiveMultiRegion(left);
    const first = value(await primary.describe(primaryCall));
    expect(first.KeyState).toBe("PendingDeletion");
    expect(first.MultiRegionConfiguration?.ReplicaKeys).toEqual([]);
    // Delivered again (at least once): the deletion date stays.
    await primary.receiveMultiRegion(left);
    expect(value(await primary.describe(primaryCall)).DeletionDate).toEqual(first.DeletionDate);
  });

  it("show a former primary as Updating — used, not enabled, disabled or replicated — until its new primary has the change", async () => {
    const { primaryArn, replicaArn, primary, replica, primaryCall, replicaCall, source } = await keySet();
    value(await replica.checkPrimaryUpdate(replicaCall, primaryArn));
    value(await primary.updatePrimaryRegion(primaryCall, replicaArn));
    // Delivered at once here: the roles are swapped and nobody is Updating.
    expect(value(await primary.describe(primaryCall))).toMatchObject({
      KeyState: "Enabled",
      MultiRegionConfiguration: { MultiRegionKeyType: "REPLICA" },
    });
    expect(value(await replica.describe(replicaCall)).MultiRegionConfiguration?.MultiRegionKeyType).toBe("PRIMARY");

    // A change still on its way: the former primary with an undelivered message.
    await runInDurableObject(primary, async (_instance: KeyObject, state) => {
      const record = state.storage.kv.get<KeyRecord>("key")!;
      state.storage.kv.put("key", { ...record, updating: true });
      const late: MultiRegionMessage = { kind: "sync", id: crypto.randomUUID(), state: source.state };
      state.storage.kv.put(`mrk-out:${replicaArn}\nsync`, late);
      await state.storage.setAlarm(Date.now() + 60_000);
    });
    expect(value(await primary.describe(primaryCall))).toMatchObject({ KeyState: "Updating", Enabled: true });
    value(await primary.encrypt(primaryCall, "Encrypt", utf8("still in use"), {}));
    const disable = await primary.setEnabled(primaryCall, false);
    expect(disable.ok ? "disabled" : [disable.type, disable.message]).toEqual([
      "KMSInvalidStateException",
      `${primaryArn} is being updated.`,
    ]);
    // The wake-up delivers it (a stale synchronisation: the new primary ignores it) and ends Updating.
    expect(await runDurableObjectAlarm(primary)).toBe(true);
    expect(value(await primary.describe(primaryCall)).KeyState).toBe("Enabled");
    expect(value(await replica.describe(replicaCall)).MultiRegionConfiguration?.MultiRegionKeyType).toBe("PRIMARY");
  });
  it("with imported material: hand over no material, only the set's fingerprint key sealed for the replica, and keep each key's imports its own", async () => {
    const { primaryArn, replicaArn, primary, replica, primaryCall, replicaCall, source } = await keySet("EXTERNAL");
    const rootKeys = ringOf(decodeRootKey(env.ROOT_KEY));
    expect(source.state.versions).toEqual([]);
    const fingerprintKey = source.state.imported!.fingerprintKey;
    expect(() => withFingerprintKey(rootKeys, primaryArn, fingerprintKey, (k) => k.length)).toThrow();
    expect(withFingerprintKey(rootKeys, replicaArn, fingerprintKey, (k) => k.length)).toBe(32);
    // Replicated before the primary had material: the replica learns of it when the primary gets it.
    expect(value(await replica.describe(replicaCall)).KeyState).toBe("PendingImport");
    const material = crypto.getRandomValues(new Uint8Array(32));
    const { keyMaterialId } = value(await importInto(primary, primaryCall, material));
    expect(value(await replica.listRotations(replicaCall, "ALL_KEY_MATERIAL", 10, undefined)).Rotations).toEqual([
      { KeyId: replicaArn, KeyMaterialId: keyMaterialId, KeyMaterialState: "CURRENT", ImportState: "PENDING_IMPORT" },
    ]);
    expect(value(await replica.describe(replicaCall)).KeyState).toBe("PendingImport");
    await runInDurableObject(replica, async (_i: KeyObject, state) => {
      expect(state.storage.kv.get("version:0000000001")).toBeUndefined();
    });
    const other = await importInto(replica, replicaCall, crypto.getRandomValues(new Uint8Array(32)));
    expect(other.ok ? "imported" : other.type).toBe("IncorrectKeyMaterialException");
    const validTo = Date.now() + 3_600_000;
    expect(value(await importInto(replica, replicaCall, material, validTo)).keyMaterialId).toBe(keyMaterialId);
    const blob = value(await primary.encrypt(primaryCall, "Encrypt", utf8("imported"), {})).ciphertext;
    expect(new TextDecoder().decode(value(await replica.decrypt(replicaCall, "Decrypt", blob, {})).plaintext)).toBe("imported");

    // The primary loses and regains its material (its reimport synchronises the set): the replica keeps its own.
    value(await primary.deleteImportedMaterial(primaryCall));
    expect(value(await primary.describe(primaryCall)).KeyState).toBe("PendingImport");
    expect(value(await replica.describe(replicaCall))).toMatchObject({ KeyState: "Enabled", ValidTo: new Date(validTo) });
    value(await importInto(primary, primaryCall, material));
    expect(value(await replica.describe(replicaCall))).toMatchObject({ KeyState: "Enabled", ExpirationModel: "KEY_MATERIAL_EXPIRES" });
    // Nothing pending rotation: nothing to rotate to.
    const rotation = await primary.rotateOnDemand(primaryCall);
    expect(rotation.ok ? "rotated" : rotation.type).toBe("UnsupportedOperationException");
  });
  it("with imported material pending rotation: the primary counts the replicas that hold it, and its deletion on the primary reaches the set", async () => {
    const { replicaArn, primary, replica, primaryCall, replicaCall } = await keySet("EXTERNAL");
    const first = crypto.getRandomValues(new Uint8Array(32));
    value(await importInto(primary, primaryCall, first));
    value(await importInto(replica, replicaCall, first));
    const next = crypto.getRandomValues(new Uint8Array(32));
    const params = value(await primary.getParametersForImport(primaryCall, "RSAES_OAEP_SHA_256"));
    const { keyMaterialId } = value(
      await primary.importKeyMaterial(primaryCall, {
        importToken: params.importToken,
        encryptedKeyMaterial: await wrapOaep(params.publicKey, next),
        expirationModel: "KEY_MATERIAL_DOES_NOT_EXPIRE",
        importType: "NEW_KEY_MATERIAL",
      }),
    );
    const stateIn = async (stub: typeof primary, call: typeof primaryCall) =>
      value(await stub.listRotations(call, "ALL_KEY_MATERIAL", 10, undefined)).Rotations.find((r) => r.KeyMaterialId === keyMaterialId);
    expect((await stateIn(primary, primaryCall))?.KeyMaterialState).toBe("PENDING_MULTI_REGION_IMPORT_AND_ROTATION");
    // A replica cannot be given new material of its own.
    const own = await importInto(replica, replicaCall, crypto.getRandomValues(new Uint8Array(32)));
    expect(own.ok ? "imported" : own.type).toBe("IncorrectKeyMaterialException");
    value(await importInto(replica, replicaCall, next));
    expect((await stateIn(primary, primaryCall))?.KeyMaterialState).toBe("PENDING_ROTATION");
    // The replica deletes its copy: the primary waits for it again (a repeated message changes nothing).
    value(await replica.deleteImportedMaterial(replicaCall, keyMaterialId));
    const gone: MultiRegionMessage = {
      kind: "imported",
      id: crypto.randomUUID(),
      arn: replicaArn,
      keyMaterialId: keyMaterialId!,
      imported: false,
    };
    await primary.receiveMultiRegion(gone);
    expect((await stateIn(primary, primaryCall))?.KeyMaterialState).toBe("PENDING_MULTI_REGION_IMPORT_AND_ROTATION");
    const early = await primary.rotateOnDemand(primaryCall);
    expect(early.ok ? "rotated" : early.type).toBe("KMSInvalidStateException");
    expect(value(await replica.describe(replicaCall)).KeyState).toBe("Enabled");
    // The primary deletes it: the whole set forgets it.
    value(await primary.deleteImportedMaterial(primaryCall, keyMaterialId));
    expect(await stateIn(replica, replicaCall)).toBeUndefined();
    expect(value(await replica.listRotations(replicaCall, "ALL_KEY_MATERIAL", 10, undefined)).Rotations).toHaveLength(1);
  });
  it("with imported material pending rotation: a change of primary keeps the count, and the new primary rotates the set", async () => {
    const { primaryArn, replicaArn, primary, replica, primaryCall, replicaCall } = await keySet("EXTERNAL");
    const first = crypto.getRandomValues(new Uint8Array(32));
    value(await importInto(primary, primaryCall, first));
    value(await importInto(replica, replicaCall, first));
    const next = crypto.getRandomValues(new Uint8Array(32));
    const params = value(await primary.getParametersForImport(primaryCall, "RSAES_OAEP_SHA_256"));
    const { keyMaterialId } = value(
      await primary.importKeyMaterial(primaryCall, {
        importToken: params.importToken,
        encryptedKeyMaterial: await wrapOaep(params.publicKey, next),
        expirationModel: "KEY_MATERIAL_DOES_NOT_EXPIRE",
        importType: "NEW_KEY_MATERIAL",
      }),
    );
    value(await importInto(replica, replicaCall, next));
    value(await replica.checkPrimaryUpdate(replicaCall, primaryArn));
    value(await primary.updatePrimaryRegion(primaryCall, replicaArn));
    const listed = value(await replica.listRotations(replicaCall, "ALL_KEY_MATERIAL", 10, undefined)).Rotations;
    expect(listed.find((r) => r.KeyMaterialId === keyMaterialId)?.KeyMaterialState).toBe("PENDING_ROTATION");
    value(await replica.rotateOnDemand(replicaCall));
    // Carried out by the new primary's wake-up, due at once (workerd may already have run it).
    await runDurableObjectAlarm(replica);
    const deadline = Date.now() + 5_000;
    while (value(await primary.describe(primaryCall)).CurrentKeyMaterialId !== keyMaterialId && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(value(await replica.describe(replicaCall)).CurrentKeyMaterialId).toBe(keyMaterialId);
    expect(value(await primary.describe(primaryCall))).toMatchObject({ CurrentKeyMaterialId: keyMaterialId, KeyState: "Enabled" });
    const blob = value(await replica.encrypt(replicaCall, "Encrypt", utf8("rotated"), {})).ciphertext;
    expect(new TextDecoder().decode(value(await primary.decrypt(primaryCall, "Decrypt", blob, {})).plaintext)).toBe("rotated");
  });
});
