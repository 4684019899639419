/**
 * One key's records in its store (src/store/port.ts): the KeyRecord, sealed backing-key versions,
 * pending import parameters, the tombstone, the grants and the audit outbox — and the one check
 * every operation starts with (exists → authorized → key state allows it).
 *
 * Storage layout (keys of the key's own store): `key` the KeyRecord; `version:<n, 10 digits>` the
 * sealed backing keys; `import:<token ID>` pending GetParametersForImport; `deleted` the
 * tombstone; grants as src/grants/store.ts lays them out; `outbox:` as src/audit/outbox.ts does.
 *
 * Security: backing keys are stored only sealed under the root key (src/keys/backing-key.ts).
 */
import { keyNotFound, KmsError } from "../protocol/errors.ts";
import { assertKeyStateAllows, type KeyState, type KeyStateGuardedOperation } from "./key-state.ts";
import type { SealedBackingKey } from "./backing-key.ts";
import type { ImportTokenClaims, SealedWrappingKey } from "./import-token.ts";
import type { KeyMetadata, Tag } from "../protocol/shapes.ts";
import { authorizeOnKey } from "../service/access.ts";
import type { KeyCall } from "../service/caller.ts";
import { KeyGrants, tokenOpener } from "../grants/store.ts";
import { isOutboxKey } from "../audit/outbox.ts";
import type { RecordTx } from "../store/port.ts";

export type ExpirationModel = "KEY_MATERIAL_EXPIRES" | "KEY_MATERIAL_DOES_NOT_EXPIRE";

/** What the key object stores about its key; KeyMetadata is derived from it. */
export interface KeyRecord {
  keyId: string;
  arn: string;
  accountId: string;
  creationDate: number;
  description: string;
  keyUsage: "ENCRYPT_DECRYPT";
  origin: "AWS_KMS" | "EXTERNAL";
  keyState: KeyState;
  policy: string;
  tags: Tag[];
  rotationEnabled: boolean;
  nextRotation?: number;
  /** Newest backing-key version; 0 while an EXTERNAL key has no material. */
  currentVersion: number;
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

function versionKey(version: number): string {
  return VERSION_PREFIX + String(version).padStart(10, "0");
}

/** The grant-token opener and the rules a guard needs besides the stored records. */
export interface GuardContext {
  rootKey(): Uint8Array;
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
    await authorizeOnKey({
      caller: call,
      ...(call.facts === undefined ? {} : { facts: call.facts }),
      action,
      keyArn: record.arn,
      keyPolicy: record.policy,
      keyTags: record.tags,
      grants: (context) => this.grants.applicable(context, call.facts, record.arn, tokenOpener(() => keys.rootKey())),
    });
    beforeState?.(record);
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
    for (const [key] of await this.tx.list("")) if (!isOutboxKey(key)) this.tx.delete(key);
    this.tx.put(TOMBSTONE, tombstone);
    return tombstone;
  }

  /** Every deadline the key's records hold (its wake-up is the earliest). */
  async deadlines(): Promise<number[]> {
    const record = await this.record();
    const deadlines: number[] = [];
    if (record?.rotationEnabled && record.nextRotation !== undefined && record.keyState === "Enabled") deadlines.push(record.nextRotation);
    if (record?.keyState === "PendingDeletion" && record.deletionDate !== undefined) deadlines.push(record.deletionDate);
    if (record !== undefined && record.currentVersion > 0 && record.validTo !== undefined) deadlines.push(record.validTo);
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

export function metadataOf(record: KeyRecord): KeyMetadata {
  const metadata: KeyMetadata = {
    AWSAccountId: record.accountId,
    KeyId: record.keyId,
    Arn: record.arn,
    CreationDate: new Date(record.creationDate),
    Enabled: record.keyState === "Enabled",
    Description: record.description,
    KeyUsage: record.keyUsage,
    KeyState: record.keyState,
    Origin: record.origin,
    KeyManager: "CUSTOMER",
    CustomerMasterKeySpec: "SYMMETRIC_DEFAULT",
    KeySpec: "SYMMETRIC_DEFAULT",
    EncryptionAlgorithms: ["SYMMETRIC_DEFAULT"],
    MultiRegion: false,
  };
  if (record.deletionDate !== undefined) metadata.DeletionDate = new Date(record.deletionDate);
  if (record.pendingWindowInDays !== undefined) metadata.PendingDeletionWindowInDays = record.pendingWindowInDays;
  if (record.origin === "EXTERNAL" && record.expirationModel !== undefined) {
    metadata.ExpirationModel = record.expirationModel;
    if (record.validTo !== undefined) metadata.ValidTo = new Date(record.validTo);
  }
  return metadata;
}
