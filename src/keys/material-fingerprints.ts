/**
 * Each key's material fingerprints (src/keys/import-token.ts, "Material fingerprints") through its
 * own fingerprint key, so that fingerprints — and the KeyMaterialIds derived from them — survive a
 * root-key rotation. A key gets its fingerprint key the first time it needs one: a random one for a
 * key that has no fingerprint yet; for a key fingerprinted before keys had their own (under a root
 * key's "materialFingerprint" subkey), that subkey, once it is known which configured root key made
 * the fingerprints: the one under which a material the key still holds has its stored fingerprint
 * or KeyMaterialId.
 *
 * A multi-Region key's fingerprints are the set's, not the key's: its fingerprint key is shared by
 * every key of the set (handed over sealed, src/keys/multi-region.ts) and the fingerprint is over
 * the set's identity (`fingerprintSubject`), so material imported into a replica is recognised as
 * the primary's and gets the same KeyMaterialId, as AWS derives it "based on the KMS key ID and
 * the imported key material" — and a multi-Region key's ID is the same in every Region.
 *
 * Security: fingerprint keys and unsealed materials are wiped after each use.
 */
import { bytesEqual } from "../bytes.ts";
import { unsealBackingKey, wipe } from "./backing-key.ts";
import { fingerprintUnder, materialFingerprint, newFingerprintKey, sealFingerprintKey, withFingerprintKey } from "./import-token.ts";
import { importedMaterialId, type KeyRecord, type KeyRecords } from "./key-records.ts";
import { withSubkey } from "./root-key.ts";
import type { RootKeyRing } from "./root-key-ring.ts";

/**
 * What a fingerprint is bound to: the key's ARN, or for a multi-Region key the set's identity, its
 * ARN without a Region (`arn:aws:kms::<account>:key/mrk-…`). No fingerprint of a multi-Region key
 * was ever made under its ARN: seeded keys are never multi-Region, and multi-Region keys took no
 * imported material before the set shared its fingerprints.
 */
export function fingerprintSubject(record: Pick<KeyRecord, "arn" | "multiRegion">): string {
  if (record.multiRegion === undefined) return record.arn;
  const parts = record.arn.split(":");
  parts[3] = "";
  return parts.join(":");
}

/**
 * The fingerprints `material` may have in this key: one under the key's own fingerprint key, or,
 * for a key that has none yet, one under each configured root key (current first).
 */
export function fingerprintCandidates(rootKeys: RootKeyRing, record: KeyRecord, material: Uint8Array): Uint8Array[] {
  if (record.fingerprintKey !== undefined) {
    const subject = fingerprintSubject(record);
    return [withFingerprintKey(rootKeys, record.arn, record.fingerprintKey, (key) => fingerprintUnder(key, subject, material))];
  }
  return rootKeys.ids.map((id) => rootKeys.withId(id, (rootKey) => materialFingerprint(rootKey, fingerprintSubject(record), material)));
}

/**
 * The configured root key whose "materialFingerprint" subkey made this key's fingerprints (a key
 * from before fingerprint keys), or undefined when no material it still holds tells.
 */
async function legacyFingerprintRoot(keys: KeyRecords, rootKeys: RootKeyRing, record: KeyRecord): Promise<string | undefined> {
  const materials = await keys.materials();
  const versions = materials.length > 0 ? materials : [{ version: 1, keyMaterialId: undefined }];
  for (const m of versions) {
    const sealed = await keys.version(m.version);
    if (sealed === undefined) continue;
    let secret: Uint8Array;
    try {
      secret = unsealBackingKey(rootKeys, record.arn, sealed);
    } catch {
      continue;
    }
    try {
      const id = rootKeys.firstOf((rootKey, id) => {
        const fp = materialFingerprint(rootKey, fingerprintSubject(record), secret);
        const known =
          (record.materialFingerprint !== undefined && bytesEqual(fp, record.materialFingerprint)) ||
          importedMaterialId(fp) === m.keyMaterialId;
        return known ? id : undefined;
      });
      if (id !== undefined) return id;
    } finally {
      wipe(secret);
    }
  }
  return undefined;
}

/**
 * The record with a fingerprint key, saved in this transaction when it gets one — unless it has
 * fingerprints whose root key cannot be told (then it is returned unchanged, and its fingerprints
 * are matched under every configured root key).
 */
export async function withOwnFingerprintKey(keys: KeyRecords, rootKeys: RootKeyRing, record: KeyRecord): Promise<KeyRecord> {
  if (record.fingerprintKey !== undefined) return record;
  if (record.materialFingerprint === undefined) return keys.update(record, { fingerprintKey: newFingerprintKey(rootKeys, record.arn) });
  const id = await legacyFingerprintRoot(keys, rootKeys, record);
  if (id === undefined) return record;
  const fingerprintKey = rootKeys.withId(id, (rootKey) =>
    withSubkey(rootKey, "materialFingerprint", (subkey) => sealFingerprintKey(rootKeys, record.arn, subkey)),
  );
  return keys.update(record, { fingerprintKey });
}

/** The key's fingerprint key sealed again under the current root key (for re-sealing). */
export function resealFingerprintKey(rootKeys: RootKeyRing, record: KeyRecord): KeyRecord["fingerprintKey"] {
  if (record.fingerprintKey === undefined) return undefined;
  return withFingerprintKey(rootKeys, record.arn, record.fingerprintKey, (key) => sealFingerprintKey(rootKeys, record.arn, key));
}
