/**
 * Multi-Region keys: a set of keys with one `mrk-` key ID, one in each of several Regions of one
 * account — a primary and its replicas — that share their key material and the properties AWS
 * calls shared (key spec, key usage, origin, automatic rotation), while each keeps its own policy,
 * grants, aliases, tags, description, enabled state and deletion (AWS KMS Developer Guide,
 * "Multi-Region keys in AWS KMS").
 *
 * Each key of a set holds its own copy of the shared properties and of every backing-key version,
 * sealed under the root key for its own ARN, plus its view of the set (`MultiRegionRole`). The
 * primary is the source: whatever changes a shared property there (a rotation, EnableKeyRotation,
 * a new replica, UpdatePrimaryRegion) writes, in the same transaction, one synchronisation message
 * per other member into the key's multi-Region outbox; a replica's deletion writes a "left" message
 * to each other member. The outbox is forwarded right after ReplicateKey's, UpdatePrimaryRegion's
 * and a rotation's commit, and otherwise (and after a failure) by the key's wake-up — at least
 * once: a message is deleted only after its receiver committed it. That is the pattern of the
 * audit outbox, so a change is never lost between two objects, and the cryptographic hot path
 * never waits for another Region.
 *
 * Messages are idempotent: a synchronisation carries the full shared state with a sequence number
 * that grows with every change the set's primary makes (UpdatePrimaryRegion hands the number on),
 * and a receiver applies only a number newer than the last it applied, so a repeated or late
 * message changes nothing. "left" only removes a member.
 *
 * Imported key material (Origin EXTERNAL) is the exception to sharing material: AWS "does not
 * copy or synchronize the key material from a primary key with imported key material to its
 * replica keys. You must import the same key material into related primary and replica keys"
 * ("Importing key material into multi-Region keys"). So for such a set the synchronisation carries
 * no backing key at all — only what lets each key recognise the set's material when it is imported
 * into it: the set's one fingerprint key (sealed for the receiver's ARN, as backing keys are for
 * other sets), the material fingerprint and the list of materials (version and KeyMaterialId). The
 * fingerprints are over the set's identity rather than one key's ARN
 * (src/keys/material-fingerprints.ts, `fingerprintSubject`), so the same material has the same
 * fingerprint and KeyMaterialId in every Region, and keeps the primary's version number, so a
 * ciphertext names the same backing-key version everywhere. Whether a key holds each material,
 * and until when (ExpirationModel, ValidTo), stays each key's own, as does its key state.
 *
 * Rotating such a set's material follows ImportKeyMaterial's and RotateKeyOnDemand's API
 * reference: new material is imported into the primary (NEW_KEY_MATERIAL), reaches the replicas
 * as a listed material they do not hold, and is imported into each of them (EXISTING_KEY_MATERIAL);
 * each replica tells the primary whether it holds it ("imported" messages, from the replica's own
 * outbox), and the primary shows it PENDING_MULTI_REGION_IMPORT_AND_ROTATION until every replica
 * does, then PENDING_ROTATION. RotateKeyOnDemand on the primary then makes it current, and the
 * synchronisation makes it current in every replica. Material pending rotation that the primary
 * deletes (or that expires there) is forgotten by the whole set; a replica deleting its own copy
 * changes only itself.
 *
 * Security: backing keys cross between keys only sealed, each copy bound to its receiver's ARN; no
 * plaintext key material is ever stored or sent, and imported material is never sent at all.
 */
import { parseKeyArn } from "../arn.ts";
import type { MultiRegionConfiguration } from "../protocol/shapes.ts";
import type { RecordStore, RecordTx } from "../store/port.ts";
import { sealBackingKey, unsealBackingKey, wipe, type SealedBackingKey } from "./backing-key.ts";
import { sealFingerprintKey, withFingerprintKey, type FingerprintKey } from "./import-token.ts";
import type { KeyMaterialRecord, KeyRecord, KeyRecords } from "./key-records.ts";
import type { RootKeyRing } from "./root-key-ring.ts";

/** A multi-Region key's view of its set. */
export interface MultiRegionRole {
  primaryArn: string;
  /** Every replica of the set (this key too, when it is one). */
  replicaArns: string[];
  /** The newest synchronisation this key sent (as the primary) or applied. */
  syncSeq: number;
}

/** The shared properties, as the primary sends them to one member of its set. */
export interface SharedState {
  seq: number;
  primaryArn: string;
  replicaArns: string[];
  rotationEnabled: boolean;
  rotationPeriodInDays?: number;
  nextRotation?: number;
  onDemandRotations?: number;
  currentVersion: number;
  currentKeyMaterialId?: string;
  /** Every backing-key version, sealed for the receiving key's ARN, with what ListKeyRotations shows of it (none for imported material). */
  versions: { sealed: SealedBackingKey; material?: KeyMaterialRecord }[];
  /** A set with imported material (EXTERNAL): what each key needs to recognise the material imported into it. */
  imported?: ImportedMaterialState;
}

/** The imported-material part of a set's shared state: never the material itself. */
export interface ImportedMaterialState {
  /** The set's fingerprint key, sealed for the receiving key's ARN. */
  fingerprintKey: FingerprintKey;
  materialFingerprint?: Uint8Array;
  /** The set's materials as the primary lists them, without its own import state and expiration. */
  materials: KeyMaterialRecord[];
}

export type MultiRegionMessage =
  | { kind: "sync"; id: string; state: SharedState }
  | { kind: "left"; id: string; arn: string }
  /** From a replica to its primary: whether it now holds the imported material `keyMaterialId`. */
  | { kind: "imported"; id: string; arn: string; keyMaterialId: string; imported: boolean };

/** What a key needs to reach another key of its set. */
export type MultiRegionPeers = (keyArn: string) => { receiveMultiRegion(message: MultiRegionMessage): Promise<unknown> };

const OUTBOX = "mrk-out:";

export function isMultiRegionOutboxKey(key: string): boolean {
  return key.startsWith(OUTBOX);
}

export function isReplica(record: KeyRecord): boolean {
  return record.multiRegion !== undefined && record.multiRegion.primaryArn !== record.arn;
}

export function isPrimary(record: KeyRecord): boolean {
  return record.multiRegion !== undefined && record.multiRegion.primaryArn === record.arn;
}

function regionOf(arn: string): string {
  return parseKeyArn(arn)?.region ?? "";
}

/** DescribeKey's MultiRegionConfiguration. */
export function multiRegionConfiguration(role: MultiRegionRole, self: string): MultiRegionConfiguration {
  return {
    MultiRegionKeyType: role.primaryArn === self ? "PRIMARY" : "REPLICA",
    PrimaryKey: { Arn: role.primaryArn, Region: regionOf(role.primaryArn) },
    ReplicaKeys: role.replicaArns.map((arn) => ({ Arn: arn, Region: regionOf(arn) })),
  };
}

/**
 * True when a ciphertext whose header names `named` may be opened by `record`: its own blobs, and
 * for a multi-Region key those of any key of its set (same partition, account and key ID).
 */
export function opensCiphertextOf(record: KeyRecord, named: string): boolean {
  if (named === record.arn) return true;
  if (record.multiRegion === undefined) return false;
  const a = parseKeyArn(named);
  const b = parseKeyArn(record.arn);
  return (
    a !== undefined && b !== undefined && a.account === b.account && a.keyId === b.keyId && named.split(":")[1] === record.arn.split(":")[1]
  );
}

/** The other members of the record's set. */
export function otherMembers(record: KeyRecord): string[] {
  const role = record.multiRegion;
  if (role === undefined) return [];
  return [role.primaryArn, ...role.replicaArns].filter((arn, i, all) => arn !== record.arn && all.indexOf(arn) === i);
}

/** The shared state of `record` for `target`: every version resealed for the target's ARN. */
export async function sharedStateFor(
  keys: KeyRecords,
  record: KeyRecord,
  rootKeys: RootKeyRing,
  target: string,
  seq: number,
): Promise<SharedState> {
  const role = record.multiRegion!;
  const versions: SharedState["versions"] = [];
  const imported = record.origin === "EXTERNAL" ? await importedStateFor(keys, record, rootKeys, target) : undefined;
  for (let v = 1; imported === undefined && v <= record.currentVersion; v++) {
    const stored = await keys.version(v);
    if (stored === undefined) continue;
    const secret = unsealBackingKey(rootKeys, record.arn, stored);
    try {
      const material = await keys.material(v);
      versions.push({
        sealed: sealBackingKey(rootKeys, target, v, secret, stored.createdAt),
        ...(material === undefined ? {} : { material }),
      });
    } finally {
      wipe(secret);
    }
  }
  return {
    seq,
    primaryArn: role.primaryArn,
    replicaArns: role.replicaArns,
    rotationEnabled: record.rotationEnabled,
    ...(record.rotationPeriodInDays === undefined ? {} : { rotationPeriodInDays: record.rotationPeriodInDays }),
    ...(record.nextRotation === undefined ? {} : { nextRotation: record.nextRotation }),
    ...(record.onDemandRotations === undefined ? {} : { onDemandRotations: record.onDemandRotations }),
    currentVersion: record.currentVersion,
    ...(record.currentKeyMaterialId === undefined ? {} : { currentKeyMaterialId: record.currentKeyMaterialId }),
    versions,
    ...(imported === undefined ? {} : { imported }),
  };
}

/** What one key of the set shows of a material whatever the others did with it: no import state, no expiration. */
function sharedMaterial(m: KeyMaterialRecord): KeyMaterialRecord {
  return {
    version: m.version,
    keyMaterialId: m.keyMaterialId,
    ...(m.rotationDate === undefined ? {} : { rotationDate: m.rotationDate }),
    ...(m.rotationType === undefined ? {} : { rotationType: m.rotationType }),
    ...(m.pendingRotation === undefined ? {} : { pendingRotation: m.pendingRotation }),
    ...(m.importedBy === undefined ? {} : { importedBy: m.importedBy }),
  };
}

/** What is a key's own in a material record: whether it holds it, until when, and its description. */
function ownPart(m: KeyMaterialRecord | undefined): Partial<KeyMaterialRecord> {
  if (m === undefined) return { imported: false };
  return {
    imported: m.imported === true,
    ...(m.description === undefined ? {} : { description: m.description }),
    ...(m.expirationModel === undefined ? {} : { expirationModel: m.expirationModel }),
    ...(m.validTo === undefined ? {} : { validTo: m.validTo }),
  };
}

/**
 * The imported-material state of `record` for `target`: the set's fingerprint key resealed for the
 * target's ARN, the fingerprint and the material list.
 * @throws Error when the key has no fingerprint key (every multi-Region EXTERNAL key gets one at creation).
 */
async function importedStateFor(
  keys: KeyRecords,
  record: KeyRecord,
  rootKeys: RootKeyRing,
  target: string,
): Promise<ImportedMaterialState> {
  if (record.fingerprintKey === undefined) throw new Error("a multi-Region key with imported material has no fingerprint key");
  return {
    fingerprintKey: withFingerprintKey(rootKeys, record.arn, record.fingerprintKey, (key) => sealFingerprintKey(rootKeys, target, key)),
    ...(record.materialFingerprint === undefined ? {} : { materialFingerprint: record.materialFingerprint }),
    materials: (await keys.materials()).map(sharedMaterial),
  };
}

/**
 * Brings a key's list of the set's imported materials up to the primary's: materials it does not
 * list yet are added (PENDING_IMPORT until imported into this key), the shared part of the others
 * (rotation date and type, pending rotation) follows the primary, and material pending rotation
 * the primary no longer lists is forgotten. Returns this key's materials and its current one — the
 * set's current material, when this key holds it.
 */
export async function applyImportedMaterials(
  keys: KeyRecords,
  state: ImportedMaterialState,
  currentKeyMaterialId?: string,
): Promise<{ materials: KeyMaterialRecord[]; current?: KeyMaterialRecord }> {
  const own = new Map((await keys.materials()).map((m) => [m.version, m]));
  const listed = new Set(state.materials.map((m) => m.version));
  for (const [version, m] of own) {
    if (!listed.has(version) && m.pendingRotation === true) {
      keys.deleteVersion(version);
      keys.deleteMaterial(version);
      own.delete(version);
    }
  }
  for (const m of state.materials) {
    const merged: KeyMaterialRecord = { ...sharedMaterial(m), ...ownPart(own.get(m.version)) };
    keys.putMaterial(merged);
    own.set(m.version, merged);
  }
  const materials = [...own.values()];
  const current = materials.find((m) => m.keyMaterialId === currentKeyMaterialId && m.imported === true);
  if (current === undefined || (await keys.version(current.version)) === undefined) return { materials };
  return { materials, current };
}

/** Tells the primary, in the caller's transaction, whether this replica now holds imported material `keyMaterialId`. */
export function queueImported(tx: RecordTx, record: KeyRecord, keyMaterialId: string, imported: boolean): void {
  if (record.multiRegion === undefined) return;
  const message: MultiRegionMessage = { kind: "imported", id: crypto.randomUUID(), arn: record.arn, keyMaterialId, imported };
  tx.put(`${OUTBOX}${record.multiRegion.primaryArn}\nimported ${keyMaterialId}`, message);
}

/** True while some replica of the primary `record` does not hold the material pending rotation `m`. */
export function awaitsReplicaImport(record: KeyRecord, m: KeyMaterialRecord): boolean {
  if (m.pendingRotation !== true || !isPrimary(record)) return false;
  return record.multiRegion!.replicaArns.some((arn) => !(m.importedBy ?? []).includes(arn));
}

/**
 * Writes a synchronisation of `record`'s shared state to every other member of its set, under a
 * new sequence number, in the caller's transaction. Returns the record as saved.
 */
export async function queueSync(keys: KeyRecords, record: KeyRecord, rootKeys: RootKeyRing): Promise<KeyRecord> {
  const role = record.multiRegion;
  if (role === undefined) return record;
  const seq = role.syncSeq + 1;
  const updated = keys.update(record, { multiRegion: { ...role, syncSeq: seq } });
  for (const target of otherMembers(updated)) {
    const state = await sharedStateFor(keys, updated, rootKeys, target, seq);
    keys.tx.put(`${OUTBOX}${target}\nsync`, { kind: "sync", id: crypto.randomUUID(), state } satisfies MultiRegionMessage);
  }
  return updated;
}

/** Writes "left" messages to every other member of the deleted key's set (in the burial's transaction). */
export function queueLeft(tx: RecordTx, record: KeyRecord): void {
  for (const target of otherMembers(record)) {
    tx.put(`${OUTBOX}${target}\nleft`, { kind: "left", id: crypto.randomUUID(), arn: record.arn } satisfies MultiRegionMessage);
  }
}

/**
 * Applies a synchronisation newer than the last one applied: the set, the rotation settings and
 * every backing-key version — or, for imported material, the set's fingerprint key and material
 * list, leaving this key's own imports, expiration and key state alone. Returns the record as
 * saved, or undefined when the message is stale.
 */
export async function applySync(keys: KeyRecords, record: KeyRecord, state: SharedState): Promise<KeyRecord | undefined> {
  if (record.multiRegion === undefined || state.seq <= record.multiRegion.syncSeq) return undefined;
  for (const { sealed, material } of state.versions) {
    keys.putVersion(sealed.version, sealed);
    if (material !== undefined) keys.putMaterial(material);
  }
  const imported = state.imported;
  if (imported !== undefined) return keys.update(record, await importedSync(keys, record, state, imported));
  return keys.update(record, {
    // A new replica is Creating until this, its first synchronisation from the primary.
    ...(record.keyState === "Creating" ? { keyState: "Enabled" as const } : {}),
    multiRegion: { primaryArn: state.primaryArn, replicaArns: state.replicaArns, syncSeq: state.seq },
    rotationEnabled: state.rotationEnabled,
    rotationPeriodInDays: state.rotationPeriodInDays,
    nextRotation: state.nextRotation,
    onDemandRotations: state.onDemandRotations,
    currentVersion: state.currentVersion,
    currentKeyMaterialId: state.currentKeyMaterialId,
  });
}

/**
 * The record's changes for a synchronisation of a set with imported material: the set, the set's
 * fingerprint key and current material; this key's current version, expiration and key state
 * follow from whether it holds that material (a rotation to material it does not hold, or no
 * longer holds, leaves it PendingImport, as an expiry would).
 */
async function importedSync(
  keys: KeyRecords,
  record: KeyRecord,
  state: SharedState,
  imported: ImportedMaterialState,
): Promise<Partial<KeyRecord>> {
  const { materials, current } = await applyImportedMaterials(keys, imported, state.currentKeyMaterialId);
  const held = current !== undefined;
  // After a change of primary the new one must learn which material pending rotation this key
  // holds: said again on every synchronisation (idempotent, one message per material).
  if (state.primaryArn !== record.arn) {
    const role = { primaryArn: state.primaryArn, replicaArns: state.replicaArns, syncSeq: state.seq };
    for (const m of materials) {
      if (m.pendingRotation === true && m.imported === true)
        queueImported(keys.tx, { ...record, multiRegion: role }, m.keyMaterialId, true);
    }
  }
  let keyState = record.keyState;
  // A new replica is Creating until its first synchronisation; then, like any key of the set,
  // usable only while it holds the current material.
  if (keyState === "Creating") keyState = held ? "Enabled" : "PendingImport";
  else if (!held && (keyState === "Enabled" || keyState === "Disabled")) keyState = "PendingImport";
  else if (held && keyState === "PendingImport") keyState = "Enabled";
  return {
    keyState,
    multiRegion: { primaryArn: state.primaryArn, replicaArns: state.replicaArns, syncSeq: state.seq },
    onDemandRotations: state.onDemandRotations,
    currentVersion: current?.version ?? 0,
    currentKeyMaterialId: state.currentKeyMaterialId,
    expirationModel: current?.expirationModel,
    validTo: current?.validTo,
    fingerprintKey: imported.fingerprintKey,
    ...(imported.materialFingerprint === undefined ? {} : { materialFingerprint: imported.materialFingerprint }),
  };
}

/** True when the store's multi-Region outbox holds undelivered messages. */
export async function multiRegionPending(tx: RecordTx): Promise<boolean> {
  return (await tx.list(OUTBOX, { limit: 1 })).length > 0;
}

/**
 * Delivers the multi-Region outbox: each message to its key, deleted once that key answered (and
 * only if it was not replaced meanwhile). Returns true when the outbox is empty.
 * @throws nothing: a failed delivery stays for the next try.
 */
export async function forwardMultiRegion(store: RecordStore, peers: MultiRegionPeers): Promise<boolean> {
  const pending = await store.transact((tx) => tx.list<MultiRegionMessage>(OUTBOX));
  let delivered = true;
  for (const [key, message] of pending) {
    const target = key.slice(OUTBOX.length, key.lastIndexOf("\n"));
    try {
      await peers(target).receiveMultiRegion(message);
    } catch (err) {
      console.error("multi-Region message not delivered; retrying", (err as Error)?.name);
      delivered = false;
      continue;
    }
    await store.transact(async (tx) => {
      if ((await tx.get<MultiRegionMessage>(key))?.id === message.id) tx.delete(key);
    });
  }
  return delivered;
}
