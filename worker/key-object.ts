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
  sealBackingKey,
  type SealedBackingKey,
  unsealBackingKey,
  wipe,
} from "../src/keys/backing-key.ts";
import { openCiphertext, readCiphertextHeader, sealCiphertext } from "../src/crypto/envelope.ts";
import { encodeEncryptionContext, type EncryptionContext } from "../src/crypto/encryption-context.ts";
import { settings, type Env } from "./config.ts";
import { rpcResult, type RpcResult } from "./rpc.ts";
import { parseKeyArn } from "../src/arn.ts";
import {
  bytesEqual,
  issueImportToken,
  materialFingerprint,
  newTokenId,
  openImportToken,
  publicKeyHash,
  sealWrappingKey,
  unsealWrappingKey,
  type ImportTokenClaims,
  type SealedWrappingKey,
} from "../src/keys/import-token.ts";
import { generateWrappingKeyPair, unwrapKeyMaterial, type WrappingAlgorithm } from "../src/keys/import-wrapping.ts";
import { decodeMarker, encodeMarker } from "./markers.ts";
import type { KeyCall } from "./caller.ts";
import { emitKeyEvent, keyEvent as cloudWatchKeyEvent } from "./key-events.ts";
import type { KeyMetadata, Tag } from "../src/protocol/shapes.ts";
// ---- access control and grants (issue 4) ----
import { authorizeOnKey, checkNewKeyPolicy, iamAllows } from "./access.ts";
import {
  grantLimits,
  grantNotFound,
  KeyGrants,
  listItem,
  mayRetire,
  prepareGrant,
  tokenOpener,
  type GrantListItem,
  type NewGrant,
} from "./key-grants.ts";
import { issueGrantToken } from "../src/grants/token.ts";

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
  /** Imported material (EXTERNAL keys): how it expires while the key has it. */
  expirationModel?: ExpirationModel;
  validTo?: number;
  /**
   * Keyed fingerprint (src/keys/import-token.ts) of the material this key was first given; kept
   * after the material expires or is deleted so that only the same material can come back.
   */
  materialFingerprint?: Uint8Array;
}

type ExpirationModel = "KEY_MATERIAL_EXPIRES" | "KEY_MATERIAL_DOES_NOT_EXPIRE";

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

/** GetParametersForImport's result. */
export interface ImportParameters {
  keyArn: string;
  publicKey: Uint8Array;
  importToken: Uint8Array;
  parametersValidTo: Date;
}

/** ImportKeyMaterial's input, checked by the handler (ExpirationModel and ValidTo consistent). */
export interface NewKeyMaterial {
  importToken: Uint8Array;
  encryptedKeyMaterial: Uint8Array;
  expirationModel: ExpirationModel;
  validTo?: number;
}

/** An outstanding GetParametersForImport: the sealed wrapping private key and its token's claims. */
type PendingImportParameters = ImportTokenClaims & SealedWrappingKey;

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
const IMPORT_PREFIX = "import:";
const VERSION_PREFIX = "version:";

function versionKey(version: number): string {
  return VERSION_PREFIX + String(version).padStart(10, "0");
}

const DAY_MS = 24 * 60 * 60 * 1000;
/** Delay before the alarm retries the account-registry step of a deletion that failed. */
const DELETION_RETRY_MS = 10_000;

export class KeyObject extends DurableObject<Env> {
  private record: KeyRecord | undefined;
  /** The key's grants, in this object's SQLite storage (worker/key-grants.ts). */
  private readonly grants: KeyGrants;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.record = ctx.storage.kv.get<KeyRecord>(RECORD);
    this.grants = new KeyGrants(ctx.storage.sql);
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
        // The key's grants and their retiring-principal index entries go first (issue 4).
        await this.grants.forgetAll(this.env, tombstone.arn);
        const registry = this.env.ACCOUNTS.get(this.env.ACCOUNTS.idFromName(`${parsed.account}:${parsed.region}`));
        await registry.removeKey(tombstone.keyId);
      } catch (err) {
        console.error("key deletion: account registry step failed; retrying", (err as Error)?.name);
        await this.ctx.storage.setAlarm(Date.now() + DELETION_RETRY_MS);
        return;
      }
    }
    await this.keyEvent("KMS CMK Deletion", tombstone);
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
  }

  // ---- imported key material (guide: "Importing Key Material") ----------------------------------

  /**
   * A fresh RSA-2048 wrapping key pair and an import token bound to this key, the pair and the
   * algorithm; the private key is kept sealed under the root key until it is used or expires.
   */
  async getParametersForImport(call: KeyCall, algorithm: WrappingAlgorithm): Promise<RpcResult<ImportParameters>> {
    return rpcResult(async () => {
      externalOnly(this.guard(call, "GetParametersForImport", "kms:GetParametersForImport"));
      const pair = await generateWrappingKeyPair();
      try {
        // Key generation let other calls run: check the key again before storing anything.
        const record = externalOnly(this.guard(call, "GetParametersForImport", "kms:GetParametersForImport"));
        const rootKey = this.rootKey();
        const claims: ImportTokenClaims = {
          tokenId: newTokenId(),
          validTo: Date.now() + settings(this.env).importParametersValidMs,
          algorithm,
          publicKeyHash: publicKeyHash(pair.publicKey),
        };
        const pending: PendingImportParameters = {
          ...claims,
          ...sealWrappingKey(rootKey, record.arn, claims.tokenId, pair.privateKey),
        };
        this.ctx.storage.kv.put(IMPORT_PREFIX + claims.tokenId, pending);
        await this.scheduleAlarm();
        return {
          keyArn: record.arn,
          publicKey: pair.publicKey,
          importToken: issueImportToken(rootKey, record.arn, claims),
          parametersValidTo: new Date(claims.validTo),
        };
      } finally {
        wipe(pair.privateKey);
      }
    });
  }

  /**
   * Unwraps and installs imported material as backing-key version 1. The token is checked in
   * AWS's order (authentic and for this key, then not expired, then not used) and spent before
   * its private key decrypts anything, whatever the outcome: each wrapping key answers at most one
   * decryption, so no caller can use it as an oracle.
   */
  async importKeyMaterial(call: KeyCall, input: NewKeyMaterial): Promise<RpcResult<null>> {
    return rpcResult(async () => {
      const before = externalOnly(this.guard(call, "ImportKeyMaterial", "kms:ImportKeyMaterial"));
      const rootKey = this.rootKey();
      const claims = openImportToken(rootKey, before.arn, input.importToken);
      if (claims === undefined) throw invalidImportToken();
      if (claims.validTo <= Date.now()) {
        throw new KmsError(
          "ExpiredImportTokenException",
          "The import token is expired. Use GetParametersForImport to get a new import token and public key.",
        );
      }
      const slot = IMPORT_PREFIX + claims.tokenId;
      const pending = this.ctx.storage.kv.get<PendingImportParameters>(slot);
      if (pending === undefined || pending.algorithm !== claims.algorithm || !bytesEqual(pending.publicKeyHash, claims.publicKeyHash)) {
        throw invalidImportToken();
      }
      this.ctx.storage.kv.delete(slot);
      const privateKey = unsealWrappingKey(rootKey, before.arn, claims.tokenId, pending);
      let material: Uint8Array | undefined;
      try {
        material = await unwrapKeyMaterial(claims.algorithm, privateKey, input.encryptedKeyMaterial);
      } finally {
        wipe(privateKey);
      }
      try {
        // Unwrapping let other calls run: the key may have been scheduled for deletion meanwhile.
        const record = externalOnly(this.guard(call, "ImportKeyMaterial", "kms:ImportKeyMaterial"));
        // A PKCS #1 blob with bad padding arrives here as a synthetic message (import-wrapping.ts),
        // almost always of the wrong length: it fails exactly like well-padded wrong material.
        if (material === undefined || material.length !== 32) {
          throw new KmsError("InvalidCiphertextException", "KMS could not decrypt the encrypted (wrapped) key material.");
        }
        const fingerprint = materialFingerprint(rootKey, record.arn, material);
        if (record.materialFingerprint !== undefined && !bytesEqual(record.materialFingerprint, fingerprint)) {
          throw new KmsError(
            "IncorrectKeyMaterialException",
            "The key material is not the same key material that was previously imported into this KMS key.",
          );
        }
        const now = Date.now();
        const sealed = sealBackingKey(rootKey, record.arn, 1, material, now);
        this.ctx.storage.transactionSync(() => {
          this.ctx.storage.kv.put(versionKey(1), sealed);
          this.update(record, {
            currentVersion: 1,
            keyState: record.keyState === "PendingImport" ? "Enabled" : record.keyState,
            expirationModel: input.expirationModel,
            validTo: input.expirationModel === "KEY_MATERIAL_EXPIRES" ? input.validTo : undefined,
            materialFingerprint: fingerprint,
          });
        });
      } finally {
        if (material !== undefined) wipe(material);
      }
      await this.scheduleAlarm();
      return null;
    });
  }

  /** Deletes the material now (as its expiry would); the key stays, PendingImport. */
  async deleteImportedMaterial(call: KeyCall): Promise<RpcResult<null>> {
    return rpcResult(async () => {
      const record = externalOnly(this.guard(call, "DeleteImportedKeyMaterial", "kms:DeleteImportedKeyMaterial"));
      this.removeMaterial(record);
      await this.scheduleAlarm();
      return null;
    });
  }

  /**
   * Wipes every backing key and the expiration; the key goes to PendingImport unless it is pending
   * deletion (then CancelKeyDeletion will find it without material and return it to PendingImport).
   */
  private removeMaterial(record: KeyRecord): void {
    this.ctx.storage.transactionSync(() => {
      const versions = [...this.ctx.storage.kv.list({ prefix: VERSION_PREFIX })].map(([key]) => key);
      for (const key of versions) this.ctx.storage.kv.delete(key);
      this.update(record, {
        currentVersion: 0,
        keyState: record.keyState === "PendingDeletion" ? "PendingDeletion" : "PendingImport",
        expirationModel: undefined,
        validTo: undefined,
      });
    });
  }

  private pendingImports(): [string, PendingImportParameters][] {
    return [...this.ctx.storage.kv.list<PendingImportParameters>({ prefix: IMPORT_PREFIX })];
  }

  // ---- rotation ----------------------------------------------------------------------------------

  async setRotation(call: KeyCall, enabled: boolean): Promise<RpcResult<null>> {
    const operation = enabled ? "EnableKeyRotation" : "DisableKeyRotation";
    return rpcResult(async () => {
      const record = this.guard(call, operation, `kms:${operation}`, refuseExternal);
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
      const record = this.guard(call, "GetKeyRotationStatus", "kms:GetKeyRotationStatus", refuseExternal);
      if (!record.rotationEnabled) return { KeyRotationEnabled: false };
      return {
        KeyRotationEnabled: true,
        RotationPeriodInDays: Math.max(1, Math.round(this.period() / DAY_MS)),
        NextRotationDate: record.nextRotation === undefined ? undefined : new Date(record.nextRotation),
      };
    });
  }

  /**
   * State and imported-material expiry for GET /metrics (the operator's endpoint, not an API call:
   * no caller, nothing secret). Undefined when the key does not exist.
   */
  async metricsSnapshot(): Promise<{ keyState: KeyState; validTo?: number } | undefined> {
    const record = this.record;
    if (record === undefined) return undefined;
    const validTo = metadataOf(record).ValidTo;
    return validTo === undefined ? { keyState: record.keyState } : { keyState: record.keyState, validTo: validTo.getTime() };
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
    if (record.currentVersion > 0 && record.validTo !== undefined && record.validTo <= now) {
      this.removeMaterial(record);
      await this.keyEvent("KMS Imported Key Material Expiration", record);
    }
    for (const [slot, pending] of this.pendingImports()) {
      if (pending.validTo <= now) this.ctx.storage.kv.delete(slot);
    }
    if (record.rotationEnabled && record.nextRotation !== undefined && record.nextRotation <= now) {
      if (record.keyState === "Enabled") {
        this.rotate(record, now);
        await emitKeyEvent(this.env, cloudWatchKeyEvent("KMS CMK Rotation", record.arn, new Date(now)));
      }
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
    if (record !== undefined && record.currentVersion > 0 && record.validTo !== undefined) deadlines.push(record.validTo);
    for (const [, pending] of this.pendingImports()) deadlines.push(pending.validTo);
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
      const record = this.guard(withEncryptionContext(call, context), operation, action);
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
      const record = this.guard(withEncryptionContext(call, context), operation, `kms:${operation}`);
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
      const record = this.guard(withEncryptionContext(call, context), operation, action);
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
      checkNewKeyPolicy(call, call.facts ?? {}, record.arn, record.tags, policy);
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

  // ---- grants (issue 4; storage, index and rules in worker/key-grants.ts) -------------------------

  /**
   * CreateGrant: a new grant (or, for a Name with identical parameters, the existing one) and a
   * fresh grant token. The retiring principal's index entry is written before the grant.
   */
  async createGrant(call: KeyCall, input: NewGrant): Promise<RpcResult<{ grantId: string; grantToken: string }>> {
    return rpcResult(() =>
      this.exclusive(async () => {
        const record = this.guard(call, "CreateGrant", "kms:CreateGrant");
        const { record: grant, existing } = prepareGrant(this.grants, record, input, grantLimits(this.env), Date.now());
        if (!existing) {
          await this.grants.index(this.env, record.arn, grant);
          this.grants.insert(grant);
        }
        return { grantId: grant.grantId, grantToken: issueGrantToken(this.rootKey(), { keyArn: record.arn, grantId: grant.grantId }) };
      }),
    );
  }

  /** ListGrants: one page in creation order, optionally only one grant ID or one grantee. */
  async listGrants(
    call: KeyCall,
    filter: { grantId?: string; grantee?: string },
    limit: number,
    marker: string | undefined,
  ): Promise<RpcResult<{ grants: GrantListItem[]; nextMarker?: string }>> {
    return rpcResult(() => {
      const record = this.guard(call, "ListGrants", "kms:ListGrants");
      const page = this.grants.page(filter, limit, marker === undefined ? 0 : decodeMarker(marker, "grants"));
      const grants = page.items.map((g) => listItem(record.arn, g));
      return page.next === undefined ? { grants } : { grants, nextMarker: encodeMarker("grants", page.next) };
    });
  }

  /**
   * RetireGrant: not controlled by policy ("Permission to retire a grant is specified in the
   * grant"): allowed for the grant's retiring principal, its grantee when it allows RetireGrant,
   * and the key's account (see key-grants.ts `mayRetire`).
   */
  async retireGrant(call: KeyCall, grantId: string): Promise<RpcResult<null>> {
    return rpcResult(() =>
      this.exclusive(async () => {
        const record = this.record;
        if (record === undefined) throw keyNotFound(call.keyArn);
        const grant = this.grants.get(grantId);
        if (grant === undefined) throw grantNotFound(grantId, record.arn);
        if (!mayRetire(grant, call.principal, record.accountId, () => iamAllows(call, "kms:RetireGrant", record.arn))) {
          throw accessDenied(call.principalArn, "kms:RetireGrant", record.arn);
        }
        assertKeyStateAllows("RetireGrant", record.keyState, record.arn);
        await this.grants.unindex(this.env, record.arn, grant);
        this.grants.remove(grant.grantId);
        return null;
      }),
    );
  }

  /** RevokeGrant: kms:RevokeGrant on the key. */
  async revokeGrant(call: KeyCall, grantId: string): Promise<RpcResult<null>> {
    return rpcResult(() =>
      this.exclusive(async () => {
        const record = this.guard(call, "RevokeGrant", "kms:RevokeGrant");
        const grant = this.grants.get(grantId);
        if (grant === undefined) throw grantNotFound(grantId, record.arn);
        await this.grants.unindex(this.env, record.arn, grant);
        this.grants.remove(grant.grantId);
        return null;
      }),
    );
  }

  /**
   * Runs a read-check-write that awaits another object (the retiring-principal index) without
   * letting any other call into this object meanwhile. Errors are carried out of
   * blockConcurrencyWhile, which would otherwise reset the object.
   */
  private async exclusive<T>(run: () => Promise<T>): Promise<T> {
    type Outcome = { ok: true; value: T } | { ok: false; error: unknown };
    let outcome = { ok: false, error: new Error("not run") } as Outcome;
    await this.ctx.blockConcurrencyWhile(async () => {
      try {
        outcome = { ok: true, value: await run() };
      } catch (error) {
        outcome = { ok: false, error };
      }
    });
    if (!outcome.ok) throw outcome.error;
    return outcome.value;
  }

  // ---- guards and storage ------------------------------------------------------------------------

  /**
   * The key must exist, the caller must be allowed to act on it, and its state must allow the
   * operation, checked in that order as AWS KMS does.
   */
  private guard(
    call: KeyCall,
    operation: KeyStateGuardedOperation,
    action: string,
    /** A check that outranks the key state (e.g. rotation is refused for EXTERNAL keys in any state). */
    beforeState?: (record: KeyRecord) => void,
  ): KeyRecord {
    const record = this.record;
    if (record === undefined) throw keyNotFound(call.keyArn);
    // Access control (issue 4): key policy, the caller's IAM policies and grants (worker/access.ts).
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

  private update(record: KeyRecord, changes: Partial<KeyRecord>): void {
    this.save({ ...record, ...changes });
  }

  private save(record: KeyRecord): void {
    this.ctx.storage.kv.put(RECORD, record);
    this.record = record;
  }

  /**
   * The guide's "KMS CMK Deletion" and "KMS Imported Key Material Expiration" events, recorded by
   * the audit module (worker/key-events.ts). An audit outage must not hold back a deletion or an
   * expiry, so a failure to record is logged (by error name only) and the lifecycle step stands.
   */
  private async keyEvent(detailType: "KMS CMK Deletion" | "KMS Imported Key Material Expiration", key: Tombstone): Promise<void> {
    try {
      await emitKeyEvent(this.env, cloudWatchKeyEvent(detailType, key.arn, new Date()));
    } catch (err) {
      console.error("key event not recorded", detailType, (err as Error)?.name);
    }
  }

  private rootKey(): Uint8Array {
    return decodeRootKey(this.env.ROOT_KEY);
  }

  private period(): number {
    return settings(this.env).rotationPeriodMs;
  }
}

/** The call with the encryption context the key object will use, so that policies see exactly that one. */
function withEncryptionContext(call: KeyCall, context: EncryptionContext): KeyCall {
  return { ...call, facts: { ...call.facts, encryptionContext: context } };
}

/** @throws UnsupportedOperationException as AWS words it for a key whose origin is not EXTERNAL. */
function externalOnly(record: KeyRecord): KeyRecord {
  if (record.origin !== "EXTERNAL") {
    throw new KmsError("UnsupportedOperationException", `${record.arn} origin is ${record.origin} which is not valid for this operation.`);
  }
  return record;
}

/** Automatic rotation is not available for keys with imported material, whatever their state. */
function refuseExternal(record: KeyRecord): void {
  if (record.origin === "EXTERNAL") {
    throw new KmsError("UnsupportedOperationException", `${record.arn} origin is EXTERNAL which is not valid for this operation.`);
  }
}

function invalidImportToken(): KmsError {
  return new KmsError("InvalidImportTokenException", "The import token is invalid for this KMS key.");
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
  if (record.origin === "EXTERNAL" && record.expirationModel !== undefined) {
    metadata.ExpirationModel = record.expirationModel;
    if (record.validTo !== undefined) metadata.ValidTo = new Date(record.validTo);
  }
  return metadata;
}
