/**
 * One key's records in its store (src/store/port.ts): the KeyRecord, sealed backing-key versions,
 * pending import parameters, the tombstone, the grants and the audit outbox — and the one check
 * every operation starts with (exists → authorized → key state allows it).
 *
 * Storage layout (keys of the key's own store): `key` the KeyRecord; `version:<n, 10 digits>` the
 * sealed backing keys; `material:<n, 10 digits>` what ListKeyRotations shows of each (its
 * KeyMaterialId, when and how it became current); `lastUsage` the last successful cryptographic
 * call (GetKeyLastUsage); `import:<token ID>` pending GetParametersForImport; `deleted` the
 * tombstone; grants as src/grants/store.ts lays them out; `outbox:` as src/audit/outbox.ts does;
 * `mrk-out:` the multi-Region outbox (src/keys/multi-region.ts).
 *
 * Security: backing keys are stored only sealed under the root key (src/keys/backing-key.ts).
 */
import { keyNotFound, KmsError } from "../protocol/errors.ts";
import { assertKeyStateAllows, UPDATING_REFUSES, type KeyState, type KeyStateGuardedOperation } from "./key-state.ts";
import type { SealedBackingKey } from "./backing-key.ts";
import type { RootKeyRing } from "./root-key-ring.ts";
import type { FingerprintKey, ImportTokenClaims, SealedWrappingKey } from "./import-token.ts";
import type { KeyMetadata, Tag } from "../protocol/shapes.ts";
import type { KeyUsageType } from "../protocol/enums.ts";
import { algorithmsOf, customerMasterKeySpecOf, type SupportedKeySpec } from "./key-specs.ts";
import { authorizeOnKey } from "../service/access.ts";
import type { KeyCall } from "../service/caller.ts";
import { KeyGrants, tokenOpener } from "../grants/store.ts";
import { isOutboxKey } from "../audit/outbox.ts";
import type { RecordTx } from "../store/port.ts";
import { sha256 } from "../crypto/hash.ts";
import { isMultiRegionOutboxKey, isReplica, multiRegionConfiguration, type MultiRegionRole } from "./multi-region.ts";

export type ExpirationModel = "KEY_MATERIAL_EXPIRES" | "KEY_MATERIAL_DOES_NOT_EXPIRE";

/** What the key object stores about its key; KeyMetadata is derived from it. */
export interface KeyRecord {
  keyId: string;
  arn: string;
  accountId: string;
  creationDate: number;
  description: string;
  /** Absent in records written before other key specs existed: SYMMETRIC_DEFAULT. */
  keySpec?: SupportedKeySpec;
  keyUsage: KeyUsageType;
  /** Asymmetric keys: the SubjectPublicKeyInfo (public, so stored in clear). */
  publicKey?: Uint8Array;
  origin: "AWS_KMS" | "EXTERNAL";
  keyState: KeyState;
  policy: string;
  tags: Tag[];
  rotationEnabled: boolean;
  nextRotation?: number;
  /** EnableKeyRotation's RotationPeriodInDays (AWS's default, 365, when absent). */
  rotationPeriodInDays?: number;
  /** RotateKeyOnDemand calls accepted so far (AWS allows ROTATE_ON_DEMAND_LIMIT per key). */
  onDemandRotations?: number;
  /** When an accepted on-demand rotation started; cleared when the wake-up completes it. */
  onDemandRotationStartDate?: number;
  /** The current backing-key version; 0 while an EXTERNAL key has no current material. */
  currentVersion: number;
  /** The current material's KeyMaterialId (kept while an EXTERNAL key waits for it to be reimported). */
  currentKeyMaterialId?: string;
  deletionDate?: number;
  pendingWindowInDays?: number;
  /** Imported material (EXTERNAL keys): how it expires while the key has it. */
  expirationModel?: ExpirationModel;
  validTo?: number;
  /**
   * Keyed fingerprint (src/keys/import-token.ts) of the material this key was first given; kept
   * after the material expires or is deleted so that only the same material can come back.
   */
  materialFingerprint?: Uint8Array;
  /** Multi-Region keys only: the key's set as it knows it (src/keys/multi-region.ts). */
  multiRegion?: MultiRegionRole;
  /** A former primary until its new primary has the change (UpdatePrimaryRegion): shown as KeyState Updating. */
  updating?: true;
  /**
   * The key's own fingerprint key, sealed (src/keys/material-fingerprints.ts); absent in records
   * from before, whose fingerprints are under a root key's subkey until re-sealing gives them one.
   */
  fingerprintKey?: FingerprintKey;
}

export type RotationType = "AUTOMATIC" | "ON_DEMAND";

/** What ListKeyRotations shows of one backing-key version (no secret: the sealed key is elsewhere). */
export interface KeyMaterialRecord {
  version: number;
  /** 64 hex digits, as AWS's KeyMaterialId. */
  keyMaterialId: string;
  /** When a rotation made it current; absent for the key's first material. */
  rotationDate?: number;
  rotationType?: RotationType;
  // Imported material (EXTERNAL keys) only:
  /** False once the material expired or was deleted (ImportState PENDING_IMPORT). */
  imported?: boolean;
  /** Imported for an on-demand rotation that has not happened yet (PENDING_ROTATION). */
  pendingRotation?: boolean;
  description?: string;
  expirationModel?: ExpirationModel;
  validTo?: number;
  /** A multi-Region primary's material pending rotation: the replicas that hold it (src/keys/multi-region.ts). */
  importedBy?: string[];
}

/**
 * The KeyMaterialId of imported material: derived from the key and the material ("KMS assigns a
 * unique identifier to the key material based on the KMS key ID and the imported key material"),
 * through the key's keyed material fingerprint, so it reveals nothing of the material.
 */
export function importedMaterialId(fingerprint: Uint8Array): string {
  const label = new TextEncoder().encode("edgekms key material id v1\0");
  const input = new Uint8Array(label.length + fingerprint.length);
  input.set(label);
  input.set(fingerprint, label.length);
  return Array.from(sha256(input), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** GetKeyLastUsage's KeyLastUsageData as stored: the key's last successful cryptographic call. */
export interface LastUsage {
  operation: string;
  /** The call's eventTime (epoch ms). */
  timestamp: number;
  cloudTrailEventId: string;
  kmsRequestId: string;
}

/** A fresh KeyMaterialId: 32 random bytes in hex (AWS's are 64 hex digits too). */
export function newKeyMaterialId(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(32)), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** An outstanding GetParametersForImport: the sealed wrapping private key and its token's claims. */
export type PendingImportParameters = ImportTokenClaims & SealedWrappingKey;

/**
 * What remains of a key between the moment it is deleted (every method answers NotFound) and the
 * moment the account registry has forgotten it and its aliases.
 */
export interface Tombstone {
  keyId: string;
  arn: string;
  accountId: string;
  /** The retiring principals of the key's grants when it was buried (absent in older tombstones). */
  retiringPrincipals?: string[];
}

const RECORD = "key";
const TOMBSTONE = "deleted";
const IMPORT_PREFIX = "import:";
const VERSION_PREFIX = "version:";
const MATERIAL_PREFIX = "material:";
const LAST_USAGE = "lastUsage";

/**
 * Entries of a key's store that no transaction decides on, so an optimistic store (deno/
 * kv-record-store.ts) need not order transactions by them: the audit outbox (unique keys, each
 * written once) and the last usage (a blind write that GetKeyLastUsage only reports). If writing
 * them ordered transactions, every concurrent Encrypt on one key would conflict with the others.
 */
export function isUnorderedKey(key: string): boolean {
  return key === LAST_USAGE || isOutboxKey(key);
}

function versionKey(version: number): string {
  return VERSION_PREFIX + String(version).padStart(10, "0");
}

function materialKey(version: number): string {
  return MATERIAL_PREFIX + String(version).padStart(10, "0");
}

/** The grant-token opener and the rules a guard needs besides the stored records. */
export interface GuardContext {
  rootKeys(): RootKeyRing;
}

/**
 * Whether a stored entry belongs in a backup of the key (src/admin/backup.ts): everything but the
 * audit outbox (records on their way to the log), the last usage, pending import parameters (they
 * expire within a day; a restored key asks for new ones) and the tombstone.
 */
export function isBackedUp(name: string): boolean {
  return !isOutboxKey(name) && name !== LAST_USAGE && !name.startsWith(IMPORT_PREFIX) && name !== TOMBSTONE;
}

/** One key's records inside one transaction (src/store/port.ts). */
export class KeyRecords {
  readonly grants: KeyGrants;

  constructor(readonly tx: RecordTx) {
    this.grants = new KeyGrants(tx);
  }

  record(): Promise<KeyRecord | undefined> {
    return this.tx.get<KeyRecord>(RECORD);
  }

  /**
   * The key must exist, the caller must be allowed to act on it, and its state must allow the
   * operation, checked in that order as AWS KMS does.
   */
  async guard(
    call: KeyCall,
    operation: KeyStateGuardedOperation,
    action: string,
    keys: GuardContext,
    /** A check that outranks the key state (e.g. rotation is refused for EXTERNAL keys in any state). */
    beforeState?: (record: KeyRecord) => void,
  ): Promise<KeyRecord> {
    const record = await this.record();
    if (record === undefined) throw keyNotFound(call.keyArn);
    // kms:KeySpec, kms:KeyUsage, kms:MultiRegion and kms:MultiRegionKeyType describe the key itself, whatever the request.
    const facts = {
      ...call.facts,
      extra: {
        ...call.facts?.extra,
        "kms:KeySpec": keySpecOf(record),
        "kms:KeyUsage": record.keyUsage,
        "kms:MultiRegion": String(record.multiRegion !== undefined),
        ...(record.multiRegion === undefined ? {} : { "kms:MultiRegionKeyType": isReplica(record) ? "REPLICA" : "PRIMARY" }),
      },
    };
    await authorizeOnKey({
      caller: call,
      facts,
      action,
      keyArn: record.arn,
      keyPolicy: record.policy,
      keyTags: record.tags,
      grants: (context) =>
        this.grants.applicable(
          context,
          call.facts,
          record.arn,
          tokenOpener(() => keys.rootKeys()),
        ),
    });
    beforeState?.(record);
    if (record.updating === true && UPDATING_REFUSES.has(operation)) {
      throw new KmsError("KMSInvalidStateException", `${record.arn} is being updated.`);
    }
    assertKeyStateAllows(operation, record.keyState, record.arn);
    return record;
  }

  save(record: KeyRecord): void {
    this.tx.put(RECORD, record);
  }

  update(record: KeyRecord, changes: Partial<KeyRecord>): KeyRecord {
    const updated = { ...record, ...changes };
    for (const [name, value] of Object.entries(changes)) if (value === undefined) delete (updated as Record<string, unknown>)[name];
    this.save(updated);
    return updated;
  }

  version(version: number): Promise<SealedBackingKey | undefined> {
    return this.tx.get<SealedBackingKey>(versionKey(version));
  }

  putVersion(version: number, sealed: SealedBackingKey): void {
    this.tx.put(versionKey(version), sealed);
  }

  material(version: number): Promise<KeyMaterialRecord | undefined> {
    return this.tx.get<KeyMaterialRecord>(materialKey(version));
  }

  putMaterial(material: KeyMaterialRecord): void {
    this.tx.put(materialKey(material.version), material);
  }

  deleteMaterial(version: number): void {
    this.tx.delete(materialKey(version));
  }

  /** Every sealed backing-key version, in version order. */
  async versions(): Promise<SealedBackingKey[]> {
    return (await this.tx.list<SealedBackingKey>(VERSION_PREFIX)).map(([, sealed]) => sealed);
  }

  deleteVersion(version: number): void {
    this.tx.delete(versionKey(version));
  }

  /** Material records in version order, after version `after` (exclusive), at most `limit`. */
  async materials(after = 0, limit?: number): Promise<KeyMaterialRecord[]> {
    const options = { after: String(after).padStart(10, "0"), ...(limit === undefined ? {} : { limit }) };
    return (await this.tx.list<KeyMaterialRecord>(MATERIAL_PREFIX, options)).map(([, m]) => m);
  }

  lastUsage(): Promise<LastUsage | undefined> {
    return this.tx.get<LastUsage>(LAST_USAGE);
  }

  /**
   * A blind write (the transaction never reads this entry), so concurrent calls on one key never
   * conflict over it in an optimistic store: the last commit wins, which is the last usage. (The
   * store must know it is unordered: `isUnorderedKey`.)
   */
  putLastUsage(usage: LastUsage): void {
    this.tx.put(LAST_USAGE, usage);
  }

  async deleteVersions(): Promise<void> {
    for (const [key] of await this.tx.list(VERSION_PREFIX)) this.tx.delete(key);
  }

  async pendingImports(): Promise<[string, PendingImportParameters][]> {
    return (await this.tx.list<PendingImportParameters>(IMPORT_PREFIX)).map(([key, value]) => [key.slice(IMPORT_PREFIX.length), value]);
  }

  pendingImport(tokenId: string): Promise<PendingImportParameters | undefined> {
    return this.tx.get<PendingImportParameters>(IMPORT_PREFIX + tokenId);
  }

  putPendingImport(tokenId: string, pending: PendingImportParameters): void {
    this.tx.put(IMPORT_PREFIX + tokenId, pending);
  }

  deletePendingImport(tokenId: string): void {
    this.tx.delete(IMPORT_PREFIX + tokenId);
  }

  tombstone(): Promise<Tombstone | undefined> {
    return this.tx.get<Tombstone>(TOMBSTONE);
  }

  /**
   * Removes every stored value but the audit outbox and leaves a tombstone: from here on every
   * operation answers NotFound. The tombstone remembers the grants' retiring principals, whose
   * index entries the second step of the deletion removes.
   */
  async bury(record: KeyRecord): Promise<Tombstone> {
    const retiring = new Set<string>();
    for (const g of await this.grants.all()) if (g.retiringPrincipal !== undefined) retiring.add(g.retiringPrincipal);
    const tombstone: Tombstone = { keyId: record.keyId, arn: record.arn, accountId: record.accountId, retiringPrincipals: [...retiring] };
    for (const [key] of await this.tx.list("")) if (!isOutboxKey(key) && !isMultiRegionOutboxKey(key)) this.tx.delete(key);
    this.tx.put(TOMBSTONE, tombstone);
    return tombstone;
  }

  /** Every deadline the key's records hold (its wake-up is the earliest). */
  async deadlines(): Promise<number[]> {
    const record = await this.record();
    const deadlines: number[] = [];
    // A replica never rotates by itself: its primary's rotations reach it (src/keys/multi-region.ts).
    if (record?.rotationEnabled && record.nextRotation !== undefined && record.keyState === "Enabled" && !isReplica(record)) {
      deadlines.push(record.nextRotation);
    }
    if (record?.onDemandRotationStartDate !== undefined) deadlines.push(record.onDemandRotationStartDate);
    if (record?.keyState === "PendingDeletion" && record.deletionDate !== undefined) deadlines.push(record.deletionDate);
    if (record !== undefined && record.currentVersion > 0 && record.validTo !== undefined) deadlines.push(record.validTo);
    if (record?.origin === "EXTERNAL") {
      for (const m of await this.materials()) if (m.imported === true && m.validTo !== undefined) deadlines.push(m.validTo);
    }
    for (const [, pending] of await this.pendingImports()) deadlines.push(pending.validTo);
    if ((await this.tombstone()) !== undefined) deadlines.push(0);
    return deadlines;
  }
}

/** @throws UnsupportedOperationException as AWS words it for a key whose origin is not EXTERNAL. */
export function externalOnly(record: KeyRecord): KeyRecord {
  if (record.origin !== "EXTERNAL") {
    throw new KmsError("UnsupportedOperationException", `${record.arn} origin is ${record.origin} which is not valid for this operation.`);
  }
  return record;
}

export function keySpecOf(record: KeyRecord): SupportedKeySpec {
  return record.keySpec ?? "SYMMETRIC_DEFAULT";
}

export function metadataOf(record: KeyRecord): KeyMetadata {
  const keySpec = keySpecOf(record);
  const customerMasterKeySpec = customerMasterKeySpecOf(keySpec);
  const metadata: KeyMetadata = {
    AWSAccountId: record.accountId,
    KeyId: record.keyId,
    Arn: record.arn,
    CreationDate: new Date(record.creationDate),
    Enabled: record.keyState === "Enabled",
    Description: record.description,
    KeyUsage: record.keyUsage,
    KeyState: record.updating === true ? "Updating" : record.keyState,
    Origin: record.origin,
    KeyManager: "CUSTOMER",
    ...(customerMasterKeySpec === undefined ? {} : { CustomerMasterKeySpec: customerMasterKeySpec }),
    KeySpec: keySpec,
    ...algorithmsOf(keySpec, record.keyUsage),
    MultiRegion: record.multiRegion !== undefined,
    ...(record.multiRegion === undefined ? {} : { MultiRegionConfiguration: multiRegionConfiguration(record.multiRegion, record.arn) }),
  };
  if (record.currentKeyMaterialId !== undefined) metadata.CurrentKeyMaterialId = record.currentKeyMaterialId;
  if (record.deletionDate !== undefined) metadata.DeletionDate = new Date(record.deletionDate);
  if (record.pendingWindowInDays !== undefined) metadata.PendingDeletionWindowInDays = record.pendingWindowInDays;
  if (record.origin === "EXTERNAL" && record.expirationModel !== undefined) {
    metadata.ExpirationModel = record.expirationModel;
    if (record.validTo !== undefined) metadata.ValidTo = new Date(record.validTo);
  }
  return metadata;
}
