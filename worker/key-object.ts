/**
 * KeyObject: one Durable Object per KMS key (named by its key ARN). It holds the key's metadata,
 * sealed backing-key versions, policy, tags and grants, and one alarm for every deadline
 * (rotation, scheduled deletion, imported-material expiry, unused import parameters).
 * Cryptographic operations run here, next to the backing keys, so key material never leaves this
 * object; only plaintexts the caller sent or asked for (data keys) cross the RPC boundary.
 *
 * Every public method is the RPC surface for one family of operations. Each one first checks that
 * the key exists, then that the caller may act on it, then the key-state table (KeyStore.guard),
 * and only then changes anything, inside one synchronous storage transaction, so a refused call
 * changes nothing. Storage and the guard are in key-store.ts; deletion in key-lifecycle.ts;
 * imported material in key-import.ts; grants in key-grants.ts.
 *
 * Security: backing keys are stored sealed under the root key (src/keys/backing-key.ts) and
 * unsealed only for the duration of one call, then wiped.
 */
import { DurableObject } from "cloudflare:workers";
import { accessDenied, keyNotFound, KmsError } from "../src/protocol/errors.ts";
import { assertKeyStateAllows, type KeyState } from "../src/keys/key-state.ts";
import { newBackingKey, unsealBackingKey, wipe } from "../src/keys/backing-key.ts";
import { openCiphertext, readCiphertextHeader, sealCiphertext } from "../src/crypto/envelope.ts";
import { encodeEncryptionContext, type EncryptionContext } from "../src/crypto/encryption-context.ts";
import type { WrappingAlgorithm } from "../src/keys/import-wrapping.ts";
import type { KeyMetadata, Tag } from "../src/protocol/shapes.ts";
import { issueGrantToken } from "../src/grants/token.ts";
import type { Env } from "./config.ts";
import { rpcResult, type RpcResult } from "../src/service/rpc.ts";
import { decodeMarker, encodeMarker } from "../src/service/markers.ts";
import type { KeyCall } from "../src/service/caller.ts";
import { emitKeyEvent, keyEvent as cloudWatchKeyEvent } from "./key-events.ts";
import { checkNewKeyPolicy, iamAllows } from "../src/service/access.ts";
import { grantLimits, grantNotFound, listItem, mayRetire, prepareGrant, type GrantListItem, type NewGrant } from "./key-grants.ts";
import { KeyStore, metadataOf, type KeyRecord } from "./key-store.ts";
import { cancelDeletion, finishDeletion, recordKeyEvent, scheduleDeletion, type ScheduledDeletion } from "./key-lifecycle.ts";
import {
  deleteImportedMaterial,
  getParametersForImport,
  importKeyMaterial,
  removeMaterial,
  type ImportParameters,
  type NewKeyMaterial,
} from "./key-import.ts";

export type { ImportParameters, NewKeyMaterial } from "./key-import.ts";
export type { ScheduledDeletion } from "./key-lifecycle.ts";

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

export interface TagPage {
  Tags: Tag[];
  Truncated: boolean;
  NextMarker?: string;
}

/** Kinds of use that put a plaintext under the key; each is guarded like the operation named. */
export type EncryptingOperation = "Encrypt" | "GenerateDataKey" | "GenerateDataKeyWithoutPlaintext" | "ReEncrypt";

const DAY_MS = 24 * 60 * 60 * 1000;

export class KeyObject extends DurableObject<Env> {
  private readonly store: KeyStore;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.store = new KeyStore(ctx, env);
  }

  // ---- lifecycle ---------------------------------------------------------------------------------

  /** Creates the key; its first backing key is generated here unless the origin is EXTERNAL. */
  async create(init: NewKey): Promise<RpcResult<KeyMetadata>> {
    return rpcResult(() => {
      const store = this.store;
      if (store.record !== undefined) throw new Error("key object already holds a key");
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
      store.transaction(() => {
        if (!external) store.putVersion(1, newBackingKey(store.rootKey(), init.arn, 1, now));
        store.save(record);
      });
      return metadataOf(record);
    });
  }

  /** Removes every trace of the key (used when its registration is refused, e.g. by a limit). */
  async destroy(): Promise<void> {
    await this.store.erase();
  }

  async describe(call: KeyCall): Promise<RpcResult<KeyMetadata>> {
    return rpcResult(() => metadataOf(this.store.guard(call, "DescribeKey", "kms:DescribeKey")));
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
    return rpcResult(() => metadataOf(this.store.guard(call, operation, action)));
  }

  async setEnabled(call: KeyCall, enabled: boolean): Promise<RpcResult<null>> {
    const operation = enabled ? "EnableKey" : "DisableKey";
    return rpcResult(async () => {
      const record = this.store.guard(call, operation, `kms:${operation}`);
      this.store.update(record, { keyState: enabled ? "Enabled" : "Disabled" });
      // Rotation deadlines count only while the key is Enabled: re-derive the alarm.
      await this.store.scheduleAlarm();
      return null;
    });
  }

  async updateDescription(call: KeyCall, description: string): Promise<RpcResult<null>> {
    return rpcResult(() => {
      const record = this.store.guard(call, "UpdateKeyDescription", "kms:UpdateKeyDescription");
      this.store.update(record, { description });
      return null;
    });
  }

  // ---- scheduled deletion (key-lifecycle.ts) -----------------------------------------------------

  async scheduleDeletion(call: KeyCall, pendingWindowInDays: number): Promise<RpcResult<ScheduledDeletion>> {
    return rpcResult(() => scheduleDeletion(this.store, call, pendingWindowInDays));
  }

  async cancelDeletion(call: KeyCall): Promise<RpcResult<string>> {
    return rpcResult(() => cancelDeletion(this.store, call));
  }

  // ---- imported key material (key-import.ts) -----------------------------------------------------

  async getParametersForImport(call: KeyCall, algorithm: WrappingAlgorithm): Promise<RpcResult<ImportParameters>> {
    return rpcResult(() => getParametersForImport(this.store, call, algorithm));
  }

  async importKeyMaterial(call: KeyCall, input: NewKeyMaterial): Promise<RpcResult<null>> {
    return rpcResult(async () => {
      await importKeyMaterial(this.store, call, input);
      return null;
    });
  }

  async deleteImportedMaterial(call: KeyCall): Promise<RpcResult<null>> {
    return rpcResult(async () => {
      await deleteImportedMaterial(this.store, call);
      return null;
    });
  }

  // ---- rotation ----------------------------------------------------------------------------------

  async setRotation(call: KeyCall, enabled: boolean): Promise<RpcResult<null>> {
    const operation = enabled ? "EnableKeyRotation" : "DisableKeyRotation";
    return rpcResult(async () => {
      const record = this.store.guard(call, operation, `kms:${operation}`, refuseExternal);
      if (enabled) {
        const nextRotation = record.rotationEnabled && record.nextRotation ? record.nextRotation : Date.now() + this.period();
        this.store.update(record, { rotationEnabled: true, nextRotation });
      } else {
        this.store.update(record, { rotationEnabled: false, nextRotation: undefined });
      }
      await this.store.scheduleAlarm();
      return null;
    });
  }

  async rotationStatus(call: KeyCall): Promise<RpcResult<RotationStatus>> {
    return rpcResult(() => {
      const record = this.store.guard(call, "GetKeyRotationStatus", "kms:GetKeyRotationStatus", refuseExternal);
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
    const record = this.store.record;
    if (record === undefined) return undefined;
    const validTo = metadataOf(record).ValidTo;
    return validTo === undefined ? { keyState: record.keyState } : { keyState: record.keyState, validTo: validTo.getTime() };
  }

  /** The number of backing-key versions; rotation adds one and never removes any. */
  async backingKeyVersions(): Promise<number> {
    return this.store.record?.currentVersion ?? 0;
  }

  override async alarm(): Promise<void> {
    const store = this.store;
    const now = Date.now();
    // Alarms may fire late, early after a restart, or twice: act only on deadlines that have passed.
    const pending = store.record;
    if (pending?.keyState === "PendingDeletion" && pending.deletionDate !== undefined && pending.deletionDate <= now) {
      store.bury(pending);
    }
    const tombstone = store.tombstone();
    if (tombstone !== undefined) return finishDeletion(store, tombstone);
    const record = store.record;
    if (record === undefined) return;
    if (record.currentVersion > 0 && record.validTo !== undefined && record.validTo <= now) {
      removeMaterial(store, record);
      await recordKeyEvent(store, "KMS Imported Key Material Expiration", record.arn);
    }
    for (const [tokenId, parameters] of store.pendingImports()) {
      if (parameters.validTo <= now) store.deletePendingImport(tokenId);
    }
    const current = store.record;
    if (current?.rotationEnabled && current.nextRotation !== undefined && current.nextRotation <= now && current.keyState === "Enabled") {
      this.rotate(current, now);
      await emitKeyEvent(this.env, cloudWatchKeyEvent("KMS CMK Rotation", current.arn, new Date(now)));
    }
    await store.scheduleAlarm();
  }

  private rotate(record: KeyRecord, now: number): void {
    const version = record.currentVersion + 1;
    let next = record.nextRotation ?? now;
    while (next <= now) next += this.period();
    this.store.transaction(() => {
      this.store.putVersion(version, newBackingKey(this.store.rootKey(), record.arn, version, now));
      this.store.update(record, { currentVersion: version, nextRotation: next });
    });
  }

  private period(): number {
    return this.store.settings.rotationPeriodMs;
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
      const record = this.store.guard(withEncryptionContext(call, context), operation, action);
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
      const record = this.store.guard(withEncryptionContext(call, context), operation, `kms:${operation}`);
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
      const record = this.store.guard(withEncryptionContext(call, context), operation, action);
      const header = readCiphertextHeader(blob);
      if (header === undefined || header.keyArn !== record.arn) throw invalidCiphertext();
      const stored = this.store.version(header.backingKeyVersion);
      if (stored === undefined) throw invalidCiphertext();
      const backingKey = unsealBackingKey(this.store.rootKey(), record.arn, stored);
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
    const stored = this.store.version(record.currentVersion);
    if (stored === undefined) throw new Error("backing key version missing");
    const backingKey = unsealBackingKey(this.store.rootKey(), record.arn, stored);
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
      const record = this.store.guard(call, "TagResource", "kms:TagResource");
      const merged = new Map(record.tags.map((t) => [t.TagKey, t.TagValue]));
      for (const t of tags) merged.set(t.TagKey, t.TagValue);
      if (merged.size > 50) throw new KmsError("TagException", "Tag limit exceeded: a key can have at most 50 tags.");
      this.store.update(record, { tags: [...merged].map(([TagKey, TagValue]) => ({ TagKey, TagValue })) });
      return null;
    });
  }

  async untag(call: KeyCall, tagKeys: string[]): Promise<RpcResult<null>> {
    return rpcResult(() => {
      const record = this.store.guard(call, "UntagResource", "kms:UntagResource");
      const removed = new Set(tagKeys);
      this.store.update(record, { tags: record.tags.filter((t) => !removed.has(t.TagKey)) });
      return null;
    });
  }

  async listTags(call: KeyCall, limit: number, marker: string | undefined): Promise<RpcResult<TagPage>> {
    return rpcResult(() => {
      const record = this.store.guard(call, "ListResourceTags", "kms:ListResourceTags");
      const start = marker === undefined ? 0 : decodeMarker(marker, "tags");
      const page = record.tags.slice(start, start + limit);
      const end = start + page.length;
      if (end < record.tags.length) return { Tags: page, Truncated: true, NextMarker: encodeMarker("tags", end) };
      return { Tags: page, Truncated: false };
    });
  }

  async getPolicy(call: KeyCall): Promise<RpcResult<string>> {
    return rpcResult(() => this.store.guard(call, "GetKeyPolicy", "kms:GetKeyPolicy").policy);
  }

  async putPolicy(call: KeyCall, policy: string): Promise<RpcResult<null>> {
    return rpcResult(() => {
      const record = this.store.guard(call, "PutKeyPolicy", "kms:PutKeyPolicy");
      checkNewKeyPolicy(call, call.facts ?? {}, record.arn, record.tags, policy);
      this.store.update(record, { policy });
      return null;
    });
  }

  async listPolicies(call: KeyCall): Promise<RpcResult<string[]>> {
    return rpcResult(() => {
      this.store.guard(call, "ListKeyPolicies", "kms:ListKeyPolicies");
      return ["default"];
    });
  }

  // ---- grants (storage, index and rules in key-grants.ts) ----------------------------------------

  /**
   * CreateGrant: a new grant (or, for a Name with identical parameters, the existing one) and a
   * fresh grant token. The retiring principal's index entry is written before the grant.
   */
  async createGrant(call: KeyCall, input: NewGrant): Promise<RpcResult<{ grantId: string; grantToken: string }>> {
    return rpcResult(() =>
      this.exclusive(async () => {
        const { grants } = this.store;
        const record = this.store.guard(call, "CreateGrant", "kms:CreateGrant");
        const { record: grant, existing } = prepareGrant(grants, record, input, grantLimits(this.env), Date.now());
        if (!existing) {
          await grants.index(this.env, record.arn, grant);
          grants.insert(grant);
        }
        return { grantId: grant.grantId, grantToken: issueGrantToken(this.store.rootKey(), { keyArn: record.arn, grantId: grant.grantId }) };
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
      const record = this.store.guard(call, "ListGrants", "kms:ListGrants");
      const page = this.store.grants.page(filter, limit, marker === undefined ? 0 : decodeMarker(marker, "grants"));
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
        const { grants, record } = this.store;
        if (record === undefined) throw keyNotFound(call.keyArn);
        const grant = grants.get(grantId);
        if (grant === undefined) throw grantNotFound(grantId, record.arn);
        if (!mayRetire(grant, call.principal, record.accountId, () => iamAllows(call, "kms:RetireGrant", record.arn))) {
          throw accessDenied(call.principalArn, "kms:RetireGrant", record.arn);
        }
        assertKeyStateAllows("RetireGrant", record.keyState, record.arn);
        await grants.unindex(this.env, record.arn, grant);
        grants.remove(grant.grantId);
        return null;
      }),
    );
  }

  /** RevokeGrant: kms:RevokeGrant on the key. */
  async revokeGrant(call: KeyCall, grantId: string): Promise<RpcResult<null>> {
    return rpcResult(() =>
      this.exclusive(async () => {
        const { grants } = this.store;
        const record = this.store.guard(call, "RevokeGrant", "kms:RevokeGrant");
        const grant = grants.get(grantId);
        if (grant === undefined) throw grantNotFound(grantId, record.arn);
        await grants.unindex(this.env, record.arn, grant);
        grants.remove(grant.grantId);
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
}

/** The call with the encryption context the key object will use, so that policies see exactly that one. */
function withEncryptionContext(call: KeyCall, context: EncryptionContext): KeyCall {
  return { ...call, facts: { ...call.facts, encryptionContext: context } };
}

/** Automatic rotation is not available for keys with imported material, whatever their state. */
function refuseExternal(record: KeyRecord): void {
  if (record.origin === "EXTERNAL") {
    throw new KmsError("UnsupportedOperationException", `${record.arn} origin is EXTERNAL which is not valid for this operation.`);
  }
}

function invalidCiphertext(): KmsError {
  return new KmsError("InvalidCiphertextException", "The ciphertext is invalid for this key and encryption context.");
}
