/**
 * The storage and guard of one key object: its KeyRecord, sealed backing-key versions, pending
 * import parameters, tombstone and grants, all in the Durable Object's own storage, and the one
 * check every operation starts with (exists → authorized → key state allows it).
 *
 * KeyObject (key-object.ts) is the RPC surface; it and the lifecycle and import modules
 * (key-lifecycle.ts, key-import.ts) work through this class, so that no helper needs to be a
 * public (and therefore RPC-callable) method of the Durable Object.
 *
 * Security: backing keys are stored only sealed under the root key (src/keys/backing-key.ts).
 */
import { keyNotFound, KmsError } from "../src/protocol/errors.ts";
import { assertKeyStateAllows, type KeyState, type KeyStateGuardedOperation } from "../src/keys/key-state.ts";
import { decodeRootKey, type SealedBackingKey } from "../src/keys/backing-key.ts";
import type { ImportTokenClaims, SealedWrappingKey } from "../src/keys/import-token.ts";
import type { KeyMetadata, Tag } from "../src/protocol/shapes.ts";
import { authorizeOnKey } from "../src/service/access.ts";
import type { KeyCall } from "../src/service/caller.ts";
import { settings, type Env, type Settings } from "./config.ts";
import { KeyGrants, tokenOpener } from "./key-grants.ts";

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
}

const RECORD = "key";
const TOMBSTONE = "deleted";
const IMPORT_PREFIX = "import:";
const VERSION_PREFIX = "version:";

function versionKey(version: number): string {
  return VERSION_PREFIX + String(version).padStart(10, "0");
}

export class KeyStore {
  readonly grants: KeyGrants;

  constructor(
    readonly ctx: DurableObjectState,
    readonly env: Env,
  ) {
    this.grants = new KeyGrants(ctx.storage.sql);
  }

  /**
   * The stored record, read afresh each time (a synchronous read of the object's own SQLite):
   * no in-memory copy can drift from storage, e.g. after a transaction that rolled back.
   */
  get record(): KeyRecord | undefined {
    return this.ctx.storage.kv.get<KeyRecord>(RECORD);
  }

  get settings(): Settings {
    return settings(this.env);
  }

  rootKey(): Uint8Array {
    return decodeRootKey(this.env.ROOT_KEY);
  }

  /**
   * The key must exist, the caller must be allowed to act on it, and its state must allow the
   * operation, checked in that order as AWS KMS does.
   */
  guard(
    call: KeyCall,
    operation: KeyStateGuardedOperation,
    action: string,
    /** A check that outranks the key state (e.g. rotation is refused for EXTERNAL keys in any state). */
    beforeState?: (record: KeyRecord) => void,
  ): KeyRecord {
    const record = this.record;
    if (record === undefined) throw keyNotFound(call.keyArn);
    authorizeOnKey({
      caller: call,
      ...(call.facts === undefined ? {} : { facts: call.facts }),
      action,
      keyArn: record.arn,
      keyPolicy: record.policy,
      keyTags: record.tags,
      grants: (context) => this.grants.applicable(context, call.facts, record.arn, tokenOpener(() => this.rootKey())),
    });
    beforeState?.(record);
    assertKeyStateAllows(operation, record.keyState, record.arn);
    return record;
  }

  save(record: KeyRecord): void {
    this.ctx.storage.kv.put(RECORD, record);
  }

  update(record: KeyRecord, changes: Partial<KeyRecord>): void {
    this.save({ ...record, ...changes });
  }

  transaction<T>(run: () => T): T {
    return this.ctx.storage.transactionSync(run);
  }

  version(version: number): SealedBackingKey | undefined {
    return this.ctx.storage.kv.get<SealedBackingKey>(versionKey(version));
  }

  putVersion(version: number, sealed: SealedBackingKey): void {
    this.ctx.storage.kv.put(versionKey(version), sealed);
  }

  deleteVersions(): void {
    for (const [key] of [...this.ctx.storage.kv.list({ prefix: VERSION_PREFIX })]) this.ctx.storage.kv.delete(key);
  }

  pendingImports(): [string, PendingImportParameters][] {
    return [...this.ctx.storage.kv.list<PendingImportParameters>({ prefix: IMPORT_PREFIX })].map(
      ([key, value]) => [key.slice(IMPORT_PREFIX.length), value],
    );
  }

  pendingImport(tokenId: string): PendingImportParameters | undefined {
    return this.ctx.storage.kv.get<PendingImportParameters>(IMPORT_PREFIX + tokenId);
  }

  putPendingImport(tokenId: string, pending: PendingImportParameters): void {
    this.ctx.storage.kv.put(IMPORT_PREFIX + tokenId, pending);
  }

  deletePendingImport(tokenId: string): void {
    this.ctx.storage.kv.delete(IMPORT_PREFIX + tokenId);
  }

  tombstone(): Tombstone | undefined {
    return this.ctx.storage.kv.get<Tombstone>(TOMBSTONE);
  }

  /**
   * Removes every stored value and leaves a tombstone, in one transaction: from here on every
   * method answers NotFound.
   */
  bury(record: KeyRecord): Tombstone {
    const tombstone: Tombstone = { keyId: record.keyId, arn: record.arn, accountId: record.accountId };
    this.transaction(() => {
      for (const [key] of [...this.ctx.storage.kv.list()]) this.ctx.storage.kv.delete(key);
      this.ctx.storage.kv.put(TOMBSTONE, tombstone);
    });
    return tombstone;
  }

  /** Forgets everything, the alarm included. */
  async erase(): Promise<void> {
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
  }

  /** One alarm for the object: the earliest of every stored deadline. */
  async scheduleAlarm(): Promise<void> {
    const record = this.record;
    const deadlines: number[] = [];
    if (record?.rotationEnabled && record.nextRotation !== undefined && record.keyState === "Enabled") {
      deadlines.push(record.nextRotation);
    }
    if (record?.keyState === "PendingDeletion" && record.deletionDate !== undefined) deadlines.push(record.deletionDate);
    if (record !== undefined && record.currentVersion > 0 && record.validTo !== undefined) deadlines.push(record.validTo);
    for (const [, pending] of this.pendingImports()) deadlines.push(pending.validTo);
    if (deadlines.length === 0) {
      await this.ctx.storage.deleteAlarm();
    } else {
      await this.ctx.storage.setAlarm(Math.min(...deadlines));
    }
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
