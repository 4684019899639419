/**
 * Re-sealing one key object under the current root key (KeyActor.resealRootKey) inside workerd:
 * records sealed under the retired root key of the test configuration (ROOT_KEY_PREVIOUS) — with
 * and without the root-key identifier that records carry now, and a material fingerprint from
 * before keys had their own fingerprint key — are moved under ROOT_KEY in one call, idempotently;
 * verifying counts what is left; the key encrypts, decrypts and matches its seed definition
 * throughout.
 */
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { sealBackingKey, unsealBackingKey, type SealedBackingKey } from "../../src/keys/backing-key.ts";
import { fingerprintUnder, materialFingerprint, withFingerprintKey } from "../../src/keys/import-token.ts";
import type { KeyRecord } from "../../src/keys/key-records.ts";
import { decodeRootKey, ringOf, rootKeyIdOf, rootKeyRing } from "../../src/keys/root-key-ring.ts";
import { defaultKeyPolicy } from "../../src/operations/keys.ts";
import type { KeyObject } from "../../worker/key-object.ts";
import { ACCOUNT, REGION, rootCaller } from "./key-fixtures.ts";

const OLD = decodeRootKey(env.ROOT_KEY_PREVIOUS);
const MATERIAL = Uint8Array.from({ length: 32 }, (_, i) => 3 * i + 1);

describe("re-sealing a key object", () => {
  it("moves every record sealed under the retired root key under the current one, once", async () => {
    const keyId = crypto.randomUUID();
    const arn = `arn:aws:kms:${REGION}:${ACCOUNT}:key/${keyId}`;
    const stub = env.KEYS.get(env.KEYS.idFromName(arn));
    const init = {
      keyId,
      arn,
      accountId: ACCOUNT,
      description: "",
      origin: "AWS_KMS" as const,
      policy: defaultKeyPolicy(ACCOUNT),
      tags: [],
    };
    expect((await stub.create({ ...init, material: MATERIAL })).ok).toBe(true);
    const call = { ...rootCaller, keyArn: arn };
    const blob = await stub.encrypt(call, "Encrypt", new TextEncoder().encode("before"), {});
    if (!blob.ok) throw new Error("encrypt failed");

    // State as an older deployment under the retired root key left it: version 1 sealed without
    // an identifier, version 2 with one, and the fingerprint under the root key's own subkey.
    await runInDurableObject(stub, async (_instance: KeyObject, state) => {
      const { rootKeyId: _, ...legacy } = sealBackingKey(ringOf(OLD), arn, 1, MATERIAL, 1);
      state.storage.kv.put("version:0000000001", legacy);
      state.storage.kv.put("version:0000000002", sealBackingKey(ringOf(OLD), arn, 2, MATERIAL, 2));
      const { fingerprintKey: __, ...record } = state.storage.kv.get<KeyRecord>("key")!;
      state.storage.kv.put("key", { ...record, materialFingerprint: materialFingerprint(OLD, arn, MATERIAL) });
    });
    const seedDefinition = {
      description: "",
      origin: "AWS_KMS" as const,
      policy: init.policy,
      tags: [],
      enabled: true,
      rotation: false,
      grants: [],
      material: MATERIAL,
    };
    expect(await stub.seedStatus(arn, seedDefinition)).toEqual({ status: "same" });

    expect(await stub.resealRootKey(true)).toEqual({ resealed: 0, remaining: 3 });
    expect(await stub.resealRootKey()).toEqual({ resealed: 2, remaining: 0 });
    expect(await stub.resealRootKey(true)).toEqual({ resealed: 0, remaining: 0 });
    expect(await stub.resealRootKey()).toEqual({ resealed: 0, remaining: 0 });

    const current = rootKeyRing(env.ROOT_KEY);
    await runInDurableObject(stub, async (_instance: KeyObject, state) => {
      for (const name of ["version:0000000001", "version:0000000002"]) {
        const sealed = state.storage.kv.get<SealedBackingKey>(name)!;
        expect(sealed.rootKeyId).toBe(rootKeyIdOf(decodeRootKey(env.ROOT_KEY)));
        expect(unsealBackingKey(current, arn, sealed)).toEqual(MATERIAL);
      }
      // The fingerprint key is now the retired key's fingerprint subkey, sealed under the current
      // root key: the stored fingerprint (and every KeyMaterialId derived from it) is unchanged.
      const record = state.storage.kv.get<KeyRecord>("key")!;
      expect(record.fingerprintKey?.rootKeyId).toBe(current.currentId);
      expect(withFingerprintKey(current, arn, record.fingerprintKey!, (k) => fingerprintUnder(k, arn, MATERIAL))).toEqual(
        record.materialFingerprint,
      );
    });
    expect(await stub.seedStatus(arn, seedDefinition)).toEqual({ status: "same" });
    const opened = await stub.decrypt(call, "Decrypt", blob.value.ciphertext, {});
    expect(opened.ok && new TextDecoder().decode(opened.value.plaintext)).toBe("before");
  });
});
