/**
 * KeyObject: one Durable Object per KMS key (named by its key ARN). It holds the key's metadata,
 * its sealed backing-key versions, policy and tags, and its alarm (rotation). Cryptographic
 * operations run here, next to the backing keys, so key material never leaves this object; only
 * plaintexts the caller sent or asked for (data keys) cross the RPC boundary.
 *
 * Every public method is the RPC surface for one family of operations. Each one first checks that
 * the key exists, then that the caller may act on it, then the key-state table, and only then
 * changes anything, inside one synchronous storage transaction, so a refused call changes nothing.
 *
 * Security: backing keys are stored sealed under the root key (src/keys/backing-key.ts) and
 * unsealed only for the duration of one call, then wiped.
 */
import { DurableObject } from "cloudflare:workers";
import { accessDenied, keyNotFound, KmsError } from "../src/protocol/errors.ts";
import { assertKeyStateAllows, type KeyState, type KeyStateGuardedOperation } from "../src/keys/key-state.ts";
import {
  decodeRootKey,
  newBackingKey,
  type SealedBackingKey,
  unsealBackingKey,
  wipe,
} from "../src/keys/backing-key.ts";
import { openCiphertext, readCiphertextHeader, sealCiphertext } from "../src/crypto/envelope.ts";
import { encodeEncryptionContext, type EncryptionContext } from "../src/crypto/encryption-context.ts";
import { settings, type Env } from "./config.ts";
import { rpcResult, type RpcResult } from "./rpc.ts";
import { parseKeyArn } from "../src/arn.ts";
import { decodeMarker, encodeMarker } from "./markers.ts";
import type { KeyCall } from "./caller.ts";
import type { KeyMetadata, Tag } from "../src/protocol/shapes.ts";

/** What the key object stores about its key; KeyMetadata is derived from it. */
interface KeyRecord {
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
}

export interface NewKey {
  keyId: string;
  arn: string;
  accountId: string;
  description: string;
  origin: "AWS_KMS" | "EXTERNAL";
  policy: string;
  tags: Tag[];
}

export interface RotationStatus {
  KeyRotationEnabled: boolean;
  RotationPeriodInDays?: number;
  NextRotationDate?: Date;
}

/** ScheduleKeyDeletion's result. */
export interface ScheduledDeletion {
  keyArn: string;
  deletionDate: Date;
  pendingWindowInDays: number;
}

/**
 * What remains of a key between the moment it is deleted (every method answers NotFound) and the
 * moment the account registry has forgotten it and its aliases.
 */
interface Tombstone {
  keyId: string;
  arn: string;
  accountId: string;
}

export interface TagPage {
  Tags: Tag[];
  Truncated: boolean;
  NextMarker?: string;
}

/** Kinds of use that put a plaintext under the key; each is guarded like the operation named. */
export type EncryptingOperation = "Encrypt" | "GenerateDataKey" | "GenerateDataKeyWithoutPlaintext" | "ReEncrypt";

const RECORD = "key";
const TOMBSTONE = "deleted";
const VERSION_PREFIX = "version:";

function versionKey(version: number): string {
  return VERSION_PREFIX + String(version).padStart(10, "0");
}

const DAY_MS = 24 * 60 * 60 * 1000;
/** Delay before the alarm retries the account-registry step of a deletion that failed. */
const DELETION_RETRY_MS = 10_000;

export class KeyObject extends DurableObject<Env> {
  private record: KeyRecord | undefined;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.record = ctx.storage.kv.get<KeyRecord>(RECORD);
  }

  // ---- lifecycle ---------------------------------------------------------------------------------

  /** Creates the key; its first backing key is generated here unless the origin is EXTERNAL. */
  async create(init: NewKey): Promise<RpcResult<KeyMetadata>> {
    return rpcResult(() => {
      if (this.record !== undefined) throw new Error("key object already holds a key");
      const now = Date.now();
      const external = init.origin === "EXTERNAL";
      const record: KeyRecord = {
        keyId: init.keyId,
        arn: init.arn,
        accountId: init.accountId,
        creationDate: now,
        description: init.description,
        keyUsage: "ENCRYPT_DECRYPT",
        origin: init.origin,
        keyState: external ? "PendingImport" : "Enabled",
        policy: init.policy,
        tags: init.tags,
        rotationEnabled: false,
        currentVersion: external ? 0 : 1,
      };
      this.ctx.storage.transactionSync(() => {
        if (!external) {
          this.ctx.storage.kv.put(versionKey(1), newBackingKey(this.rootKey(), init.arn, 1, now));
        }
        this.save(record);
      });
      return metadataOf(record);
    });
  }

  /** Removes every trace of the key (used when its registration is refused, e.g. by a limit). */
  async destroy(): Promise<void> {
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    this.record = undefined;
  }

  async describe(call: KeyCall): Promise<RpcResult<KeyMetadata>> {
    return rpcResult(() => metadataOf(this.guard(call, "DescribeKey", "kms:DescribeKey")));
  }

  /**
   * Checks that the caller may use the key for an alias operation, and the key state the operation
   * needs; returns the key's metadata.
   */
  async checkAliasTarget(
    call: KeyCall,
    operation: "CreateAlias" | "DeleteAlias" | "UpdateAliasTarget" | "UpdateAliasSource",
  ): Promise<RpcResult<KeyMetadata>> {
    const action = operation.startsWith("UpdateAlias") ? "kms:UpdateAlias" : `kms:${operation}`;
    return rpcResult(() => metadataOf(this.guard(call, operation, action)));
  }

  async setEnabled(call: KeyCall, enabled: boolean): Promise<RpcResult<null>> {
    const operation = enabled ? "EnableKey" : "DisableKey";
    return rpcResult(async () => {
      const record = this.guard(call, operation, `kms:${operation}`);
      this.update(record, { keyState: enabled ? "Enabled" : "Disabled" });
      // Rotation deadlines count only while the key is Enabled: re-derive the alarm.
      await this.scheduleAlarm();
      return null;
    });
  }

  async updateDescription(call: KeyCall, description: string): Promise<RpcResult<null>> {
    return rpcResult(() => {
      const record = this.guard(call, "UpdateKeyDescription", "kms:UpdateKeyDescription");
      this.update(record, { description });
      return null;
    });
  }

  // ---- scheduled deletion (guide: "Deleting Customer Master Keys") -------------------------------

  /**
   * Puts the key in PendingDeletion for `pendingWindowInDays` "days" (each DELETION_DAY_SECONDS
   * long; AWS's 7–30 bounds are checked by the handler). The alarm deletes it at DeletionDate.
   */
  async scheduleDeletion(call: KeyCall, pendingWindowInDays: number): Promise<RpcResult<ScheduledDeletion>> {
    return rpcResult(async () => {
      const record = this.guard(call, "ScheduleKeyDeletion", "kms:ScheduleKeyDeletion");
      const deletionDate = Date.now() + pendingWindowInDays * settings(this.env).deletionDayMs;
      this.update(record, { keyState: "PendingDeletion", deletionDate, pendingWindowInDays });
      await this.scheduleAlarm();
      return { keyArn: record.arn, deletionDate: new Date(deletionDate), pendingWindowInDays };
    });
  }

  /**
   * Takes the key out of PendingDeletion: to Disabled, or to PendingImport for an EXTERNAL key whose
   * material expired or was deleted meanwhile. Returns the key ARN.
   */
  async cancelDeletion(call: KeyCall): Promise<RpcResult<string>> {
    return rpcResult(async () => {
      const record = this.guard(call, "CancelKeyDeletion", "kms:CancelKeyDeletion");
      const keyState: KeyState = record.origin === "EXTERNAL" && record.currentVersion === 0 ? "PendingImport" : "Disabled";
      this.update(record, { keyState, deletionDate: undefined, pendingWindowInDays: undefined });
      await this.scheduleAlarm();
      return record.arn;
    });
  }

  /**
   * Step 1 of a deletion, in one transaction: every stored value (backing keys, metadata, policy,
   * tags, grants, import parameters) is removed and a tombstone left, so from here on every method
   * answers NotFound. A CancelKeyDeletion that runs before this finds the key Disabled and this
   * never runs; one that runs after finds no key. There is no state in between.
   */
  private markDeleted(record: KeyRecord): void {
    this.ctx.storage.transactionSync(() => {
      const keys = [...this.ctx.storage.kv.list()].map(([key]) => key);
      for (const key of keys) this.ctx.storage.kv.delete(key);
      const tombstone: Tombstone = { keyId: record.keyId, arn: record.arn, accountId: record.accountId };
      this.ctx.storage.kv.put(TOMBSTONE, tombstone);
      this.record = undefined;
    });
  }

  /**
   * Step 2: the account registry forgets the key and every alias pointing at it (idempotent), then
   * the tombstone goes. If the registry cannot be reached, the alarm retries this step later.
   */
  private async finishDeletion(tombstone: Tombstone): Promise<void> {
    const parsed = parseKeyArn(tombstone.arn);
    if (parsed !== undefined) {
      try {
        const registry = this.env.ACCOUNTS.get(this.env.ACCOUNTS.idFromName(`${parsed.account}:${parsed.region}`));
        await registry.removeKey(tombstone.keyId);
      } catch (err) {
        console.error("key deletion: account registry step failed; retrying", (err as Error)?.name);
        await this.ctx.storage.setAlarm(Date.now() + DELETION_RETRY_MS);
        return;
      }
    }
    this.keyEvent("KMS CMK Deletion", tombstone);
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
  }

  // ---- rotation ----------------------------------------------------------------------------------

  async setRotation(call: KeyCall, enabled: boolean): Promise<RpcResult<null>> {
    const operation = enabled ? "EnableKeyRotation" : "DisableKeyRotation";
    return rpcResult(async () => {
      const record = this.guard(call, operation, `kms:${operation}`);
      if (enabled) {
        const nextRotation = record.rotationEnabled && record.nextRotation ? record.nextRotation : Date.now() + this.period();
        this.update(record, { rotationEnabled: true, nextRotation });
      } else {
        this.update(record, { rotationEnabled: false, nextRotation: undefined });
      }
      await this.scheduleAlarm();
      return null;
    });
  }

  async rotationStatus(call: KeyCall): Promise<RpcResult<RotationStatus>> {
    return rpcResult(() => {
      const record = this.guard(call, "GetKeyRotationStatus", "kms:GetKeyRotationStatus");
      if (!record.rotationEnabled) return { KeyRotationEnabled: false };
      return {
        KeyRotationEnabled: true,
        RotationPeriodInDays: Math.max(1, Math.round(this.period() / DAY_MS)),
        NextRotationDate: record.nextRotation === undefined ? undefined : new Date(record.nextRotation),
      };
    });
  }

  /** The number of backing-key versions; rotation adds one and never removes any. */
  async backingKeyVersions(): Promise<number> {
    return this.record?.currentVersion ?? 0;
  }

  override async alarm(): Promise<void> {
    const now = Date.now();
    // Alarms may fire late, early after a restart, or twice: act only on deadlines that have passed.
    if (this.record?.keyState === "PendingDeletion" && this.record.deletionDate !== undefined && this.record.deletionDate <= now) {
      this.markDeleted(this.record);
    }
    const tombstone = this.ctx.storage.kv.get<Tombstone>(TOMBSTONE);
    if (tombstone !== undefined) return this.finishDeletion(tombstone);
    const record = this.record;
    if (record === undefined) return;
    if (record.rotationEnabled && record.nextRotation !== undefined && record.nextRotation <= now) {
      if (record.keyState === "Enabled") this.rotate(record, now);
    }
    await this.scheduleAlarm();
  }

  private rotate(record: KeyRecord, now: number): void {
    const version = record.currentVersion + 1;
    let next = record.nextRotation ?? now;
    while (next <= now) next += this.period();
    this.ctx.storage.transactionSync(() => {
      this.ctx.storage.kv.put(versionKey(version), newBackingKey(this.rootKey(), record.arn, version, now));
      this.update(record, { currentVersion: version, nextRotation: next });
    });
  }

  private async scheduleAlarm(): Promise<void> {
    const record = this.record;
    const deadlines: number[] = [];
    if (record?.rotationEnabled && record.nextRotation !== undefined && record.keyState === "Enabled") {
      deadlines.push(record.nextRotation);
    }
    if (record?.keyState === "PendingDeletion" && record.deletionDate !== undefined) deadlines.push(record.deletionDate);
    if (deadlines.length === 0) {
      await this.ctx.storage.deleteAlarm();
    } else {
      await this.ctx.storage.setAlarm(Math.min(...deadlines));
    }
  }

  // ---- cryptographic operations ------------------------------------------------------------------

  /** Seals `plaintext` under the newest backing key, bound to the encryption context. */
  async encrypt(
    call: KeyCall,
    operation: EncryptingOperation,
    plaintext: Uint8Array,
    context: EncryptionContext,
  ): Promise<RpcResult<{ keyArn: string; ciphertext: Uint8Array }>> {
    return rpcResult(() => {
      const action = operation === "ReEncrypt" ? "kms:ReEncryptTo" : `kms:${operation}`;
      const record = this.guard(call, operation, action);
      return { keyArn: record.arn, ciphertext: this.seal(record, plaintext, context) };
    });
  }

  /** Generates a data key of `length` bytes and returns it with its sealed copy. */
  async generateDataKey(
    call: KeyCall,
    operation: "GenerateDataKey" | "GenerateDataKeyWithoutPlaintext",
    length: number,
    context: EncryptionContext,
  ): Promise<RpcResult<{ keyArn: string; ciphertext: Uint8Array; plaintext?: Uint8Array }>> {
    return rpcResult(() => {
      const record = this.guard(call, operation, `kms:${operation}`);
      const dataKey = crypto.getRandomValues(new Uint8Array(length));
      const ciphertext = this.seal(record, dataKey, context);
      if (operation === "GenerateDataKey") return { keyArn: record.arn, ciphertext, plaintext: dataKey };
      wipe(dataKey);
      return { keyArn: record.arn, ciphertext };
    });
  }

  /**
   * Opens a ciphertext blob sealed under this key. Every failure to open — a flipped bit, another
   * key's blob, another encryption context, an unknown version — is the same InvalidCiphertextException.
   */
  async decrypt(
    call: KeyCall,
    operation: "Decrypt" | "ReEncrypt",
    blob: Uint8Array,
    context: EncryptionContext,
  ): Promise<RpcResult<{ keyArn: string; plaintext: Uint8Array }>> {
    return rpcResult(() => {
      const action = operation === "ReEncrypt" ? "kms:ReEncryptFrom" : "kms:Decrypt";
      const record = this.guard(call, operation, action);
      const header = readCiphertextHeader(blob);
      if (header === undefined || header.keyArn !== record.arn) throw invalidCiphertext();
      const stored = this.ctx.storage.kv.get<SealedBackingKey>(versionKey(header.backingKeyVersion));
      if (stored === undefined) throw invalidCiphertext();
      const backingKey = unsealBackingKey(this.rootKey(), record.arn, stored);
      try {
        const plaintext = openCiphertext(backingKey, blob, encodeEncryptionContext(context));
        if (plaintext === undefined) throw invalidCiphertext();
        return { keyArn: record.arn, plaintext };
      } finally {
        wipe(backingKey);
      }
    });
  }

  private seal(record: KeyRecord, plaintext: Uint8Array, context: EncryptionContext): Uint8Array {
    const stored = this.ctx.storage.kv.get<SealedBackingKey>(versionKey(record.currentVersion));
    if (stored === undefined) throw new Error("backing key version missing");
    const backingKey = unsealBackingKey(this.rootKey(), record.arn, stored);
    try {
      return sealCiphertext(
        backingKey,
        { keyArn: record.arn, backingKeyVersion: record.currentVersion },
        encodeEncryptionContext(context),
        plaintext,
      );
    } finally {
      wipe(backingKey);
    }
  }

  // ---- tags and policy ---------------------------------------------------------------------------

  async tag(call: KeyCall, tags: Tag[]): Promise<RpcResult<null>> {
    return rpcResult(() => {
      const record = this.guard(call, "TagResource", "kms:TagResource");
      const merged = new Map(record.tags.map((t) => [t.TagKey, t.TagValue]));
      for (const t of tags) merged.set(t.TagKey, t.TagValue);
      if (merged.size > 50) throw new KmsError("TagException", "Tag limit exceeded: a key can have at most 50 tags.");
      this.update(record, { tags: [...merged].map(([TagKey, TagValue]) => ({ TagKey, TagValue })) });
      return null;
    });
  }

  async untag(call: KeyCall, tagKeys: string[]): Promise<RpcResult<null>> {
    return rpcResult(() => {
      const record = this.guard(call, "UntagResource", "kms:UntagResource");
      const removed = new Set(tagKeys);
      this.update(record, { tags: record.tags.filter((t) => !removed.has(t.TagKey)) });
      return null;
    });
  }

  async listTags(call: KeyCall, limit: number, marker: string | undefined): Promise<RpcResult<TagPage>> {
    return rpcResult(() => {
      const record = this.guard(call, "ListResourceTags", "kms:ListResourceTags");
      const start = marker === undefined ? 0 : decodeMarker(marker, "tags");
      const page = record.tags.slice(start, start + limit);
      const end = start + page.length;
      if (end < record.tags.length) return { Tags: page, Truncated: true, NextMarker: encodeMarker("tags", end) };
      return { Tags: page, Truncated: false };
    });
  }

  async getPolicy(call: KeyCall): Promise<RpcResult<string>> {
    return rpcResult(() => this.guard(call, "GetKeyPolicy", "kms:GetKeyPolicy").policy);
  }

  async putPolicy(call: KeyCall, policy: string): Promise<RpcResult<null>> {
    return rpcResult(() => {
      const record = this.guard(call, "PutKeyPolicy", "kms:PutKeyPolicy");
      this.update(record, { policy });
      return null;
    });
  }

  async listPolicies(call: KeyCall): Promise<RpcResult<string[]>> {
    return rpcResult(() => {
      this.guard(call, "ListKeyPolicies", "kms:ListKeyPolicies");
      return ["default"];
    });
  }

  // ---- guards and storage ------------------------------------------------------------------------

  /**
   * The key must exist, the caller must be allowed to act on it, and its state must allow the
   * operation, checked in that order as AWS KMS does.
   */
  private guard(call: KeyCall, operation: KeyStateGuardedOperation, action: string): KeyRecord {
    const record = this.record;
    if (record === undefined) throw keyNotFound(call.keyArn);
    // Until the policy engine lands, a principal may act on the keys of its own account only.
    if (call.accountId !== record.accountId) {
      throw accessDenied(
        call.principalArn,
        action,
        record.arn,
        `because no resource-based policy allows the ${action} action`,
      );
    }
    assertKeyStateAllows(operation, record.keyState, record.arn);
    return record;
  }

  private update(record: KeyRecord, changes: Partial<KeyRecord>): void {
    this.save({ ...record, ...changes });
  }

  private save(record: KeyRecord): void {
    this.ctx.storage.kv.put(RECORD, record);
    this.record = record;
  }

  /**
   * Lifecycle events in the shape of the guide's "AWS KMS Events" (CloudWatch Events). Until the
   * audit module exports an emitter, they go to the worker log as one JSON line each; they carry
   * identifiers only, never key material.
   */
  private keyEvent(detailType: "KMS CMK Deletion" | "KMS Imported Key Material Expiration", key: Tombstone): void {
    const event = {
      version: "0",
      id: crypto.randomUUID(),
      "detail-type": detailType,
      source: "aws.kms",
      account: key.accountId,
      time: new Date().toISOString().replace(/\.\d{3}Z$/, "Z"),
      region: parseKeyArn(key.arn)?.region ?? "",
      resources: [key.arn],
      detail: { "key-id": key.keyId },
    };
    console.log(JSON.stringify(event));
  }

  private rootKey(): Uint8Array {
    return decodeRootKey(this.env.ROOT_KEY);
  }

  private period(): number {
    return settings(this.env).rotationPeriodMs;
  }
}

function invalidCiphertext(): KmsError {
  return new KmsError("InvalidCiphertextException", "The ciphertext is invalid for this key and encryption context.");
}

function metadataOf(record: KeyRecord): KeyMetadata {
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
  return metadata;
}
