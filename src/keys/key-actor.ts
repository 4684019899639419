/**
 * Everything that happens to one KMS key, whatever the runtime: creation, state changes, rotation,
 * scheduled deletion, imported material, tags, the key policy, grants and the cryptographic
 * operations, and the key's deadlines. A Durable Object (worker/key-object.ts) or the Deno runtime
 * holds one KeyActor per key and gives it its ports (src/store/port.ts): a transactional record
 * store, a wake-up call, the retiring-grant index, the account directory and the audit sink.
 *
 * Every operation checks, in AWS's order, that the key exists, that the caller may act on it and
 * that its state allows the operation (KeyRecords.guard), and only then changes anything, in one
 * transaction — so a refused call changes nothing. Work that must await something slow (RSA key
 * generation and unwrapping, another object's index) happens between transactions, and the final
 * transaction checks again what it relies on.
 *
 * Audit outbox (src/audit/outbox.ts): when the worker passes an AuditDraft, this actor is the last
 * stop of the call. It writes the call's CloudTrail record in the same transaction as the
 * operation's change (or, for a refusal, in one of its own) and answers `recorded: true`; the
 * record reaches the log later from `wake`. A key that does not exist writes nothing (no storage
 * for made-up key ARNs): the worker records that refusal itself.
 *
 * Security: backing keys are stored sealed under the root key (src/keys/backing-key.ts) and
 * unsealed only for the duration of one call, then wiped. Plaintexts cross this boundary only
 * because the caller sent or asked for them (data keys); audit records never contain them.
 */
import { openCiphertext, readCiphertextHeader, sealCiphertext } from "../crypto/envelope.ts";
import { encodeEncryptionContext, type EncryptionContext } from "../crypto/encryption-context.ts";
import { addToOutbox, auditEntry, forwardOutbox, outboxPending, type AuditDraft, type AuditSink } from "../audit/outbox.ts";
import { keyEvent } from "../audit/events.ts";
import { issueGrantToken } from "../grants/token.ts";
import {
  grantNotFound,
  indexEntry,
  listItem,
  mayRetire,
  prepareGrant,
  type GrantLimits,
  type GrantListItem,
  type NewGrant,
  type RetirableGrantIndex,
} from "../grants/store.ts";
import { accessDenied, keyNotFound, KmsError } from "../protocol/errors.ts";
import type { KeyMetadata, Tag } from "../protocol/shapes.ts";
import { checkNewKeyPolicy, iamAllows } from "../service/access.ts";
import type { KeyCall } from "../service/caller.ts";
import { decodeMarker, encodeMarker } from "../service/markers.ts";
import type { RpcResult } from "../service/rpc.ts";
import type { RecordStore, WakeUps } from "../store/port.ts";
import { newBackingKey, sealBackingKey, unsealBackingKey, wipe } from "./backing-key.ts";
import {
  issueImportToken,
  materialFingerprint,
  newTokenId,
  openImportToken,
  publicKeyHash,
  sealWrappingKey,
  unsealWrappingKey,
  type ImportTokenClaims,
} from "./import-token.ts";
import { generateWrappingKeyPair, unwrapKeyMaterial, type WrappingAlgorithm } from "./import-wrapping.ts";
import { assertKeyStateAllows, type KeyState } from "./key-state.ts";
import { externalOnly, KeyRecords, metadataOf, type ExpirationModel, type KeyRecord, type Tombstone } from "./key-records.ts";
import { bytesEqual } from "../bytes.ts";

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

/** ScheduleKeyDeletion's result. */
export interface ScheduledDeletion {
  keyArn: string;
  deletionDate: Date;
  pendingWindowInDays: number;
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

/** Kinds of use that put a plaintext under the key; each is guarded like the operation named. */
export type EncryptingOperation = "Encrypt" | "GenerateDataKey" | "GenerateDataKeyWithoutPlaintext" | "ReEncrypt";

export type AliasCheck = "CreateAlias" | "DeleteAlias" | "UpdateAliasTarget" | "UpdateAliasSource";

/** A call's result, and (`recorded: true`) whether this actor wrote the call's audit record. */
export type KeyResult<T> = RpcResult<T> & { recorded?: true };

export interface KeySettings {
  rotationPeriodMs: number;
  /** Length of one "day" of a deletion pending window (tests shorten it). */
  deletionDayMs: number;
  importParametersValidMs: number;
  grantLimits: GrantLimits;
  /** How long after a call its audit record waits before it is forwarded (batching). */
  auditForwardDelayMs: number;
}

export interface KeyActorPorts {
  store: RecordStore;
  wakeUps: WakeUps;
  rootKey(): Uint8Array;
  settings(): KeySettings;
  retirableGrants: RetirableGrantIndex;
  /** The account directory's half of a deletion: forget the key and every alias naming it (idempotent). */
  forgetKey(tombstone: Tombstone): Promise<void>;
  audit: AuditSink;
}

const DAY_MS = 24 * 60 * 60 * 1000;
/** Delay before a wake-up retries work that failed (forwarding, the registry step of a deletion). */
const RETRY_MS = 5_000;

function invalidCiphertext(): KmsError {
  return new KmsError("InvalidCiphertextException", "The ciphertext is invalid for this key and encryption context.");
}

function invalidImportToken(): KmsError {
  return new KmsError("InvalidImportTokenException", "The import token is invalid for this KMS key.");
}

/** The call with the encryption context the key will use, so that policies see exactly that one. */
function withEncryptionContext(call: KeyCall, context: EncryptionContext): KeyCall {
  return { ...call, facts: { ...call.facts, encryptionContext: context } };
}

/** Automatic rotation is not available for keys with imported material, whatever their state. */
function refuseExternal(record: KeyRecord): void {
  if (record.origin === "EXTERNAL") {
    throw new KmsError("UnsupportedOperationException", `${record.arn} origin is EXTERNAL which is not valid for this operation.`);
  }
}

export class KeyActor {
  constructor(private readonly ports: KeyActorPorts) {}

  private get store(): RecordStore {
    return this.ports.store;
  }

  private get settings(): KeySettings {
    return this.ports.settings();
  }

  private readonly keys = { rootKey: () => this.ports.rootKey() };

  // ---- transactions and the audit outbox ---------------------------------------------------------

  /** A transaction over this key's records. */
  private tx<T>(body: (keys: KeyRecords) => Promise<T>): Promise<T> {
    return this.store.transact((tx) => body(new KeyRecords(tx)));
  }

  /**
   * Runs one call. `run` does its work and ends with `commit`, whose transaction also holds the
   * call's audit record when there is a draft. A KmsError from anywhere is answered as a refusal,
   * recorded in a transaction of its own when the key exists.
   */
  private async call<T>(
    call: KeyCall,
    audit: AuditDraft | undefined,
    run: (commit: <U>(body: (keys: KeyRecords) => Promise<U>, response?: (value: U) => unknown) => Promise<U>) => Promise<T>,
  ): Promise<KeyResult<T>> {
    let recorded: boolean = false;
    const commit = async <U,>(body: (keys: KeyRecords) => Promise<U>, response?: (value: U) => unknown): Promise<U> => {
      const value = await this.store.transact(async (tx) => {
        const keys = new KeyRecords(tx);
        const result = await body(keys);
        if (audit !== undefined) addToOutbox(tx, auditEntry(audit, { response: response?.(result) ?? null }, [call.keyArn]));
        return result;
      });
      if (audit !== undefined) {
        recorded = true;
        await this.forwardSoon();
      }
      return value;
    };
    try {
      const value = await run(commit);
      return recorded ? { ok: true, value, recorded } : { ok: true, value };
    } catch (err) {
      if (!(err instanceof KmsError)) throw err;
      if (audit !== undefined && !recorded) recorded = await this.recordRefusal(call, audit, err);
      const refusal = { ok: false as const, type: err.type, message: err.message };
      return recorded ? { ...refusal, recorded } : refusal;
    }
  }

  /** Writes a refusal's record, unless the key does not exist here (then nothing is stored). */
  private async recordRefusal(call: KeyCall, audit: AuditDraft, error: KmsError): Promise<boolean> {
    const written = await this.store.transact(async (tx) => {
      if ((await new KeyRecords(tx).record()) === undefined) return false;
      addToOutbox(tx, auditEntry(audit, { error }, [call.keyArn]));
      return true;
    });
    if (written) await this.forwardSoon();
    return written;
  }

  private async forwardSoon(): Promise<void> {
    await this.ports.wakeUps.wakeBy(Date.now() + this.settings.auditForwardDelayMs);
  }

  /** Sets the wake-up to the earliest stored deadline, or soon when the outbox holds records. */
  private async rescheduleWakeUp(extra: number[] = []): Promise<void> {
    const deadlines = await this.tx(async (keys) => {
      const stored = await keys.deadlines();
      if (await outboxPending(keys.tx)) stored.push(Date.now() + this.settings.auditForwardDelayMs);
      return stored;
    });
    deadlines.push(...extra);
    await this.ports.wakeUps.wakeAt(deadlines.length === 0 ? undefined : Math.max(Date.now(), Math.min(...deadlines)));
  }

  // ---- lifecycle ---------------------------------------------------------------------------------

  /** Creates the key; its first backing key is generated here unless the origin is EXTERNAL. */
  async create(init: NewKey): Promise<KeyResult<KeyMetadata>> {
    return this.call({ keyArn: init.arn } as KeyCall, undefined, (commit) =>
      commit(async (keys) => {
        if ((await keys.record()) !== undefined || (await keys.tombstone()) !== undefined) throw new Error("key store already holds a key");
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
        if (!external) keys.putVersion(1, newBackingKey(this.ports.rootKey(), init.arn, 1, now));
        keys.save(record);
        return metadataOf(record);
      }),
    );
  }

  /** Removes every trace of the key (used when its registration is refused, e.g. by a limit). */
  async destroy(): Promise<void> {
    await this.store.transact(async (tx) => {
      for (const [key] of await tx.list("")) tx.delete(key);
    });
    await this.ports.wakeUps.wakeAt(undefined);
  }

  async describe(call: KeyCall, audit?: AuditDraft): Promise<KeyResult<KeyMetadata>> {
    return this.call(call, audit, (commit) =>
      commit(async (keys) => metadataOf(await keys.guard(call, "DescribeKey", "kms:DescribeKey", this.keys))),
    );
  }

  /** Checks that the caller may use the key for an alias operation and that its state allows it. */
  async checkAliasTarget(call: KeyCall, operation: AliasCheck): Promise<KeyResult<KeyMetadata>> {
    const action = operation.startsWith("UpdateAlias") ? "kms:UpdateAlias" : `kms:${operation}`;
    return this.call(call, undefined, (commit) => commit(async (keys) => metadataOf(await keys.guard(call, operation, action, this.keys))));
  }

  async setEnabled(call: KeyCall, enabled: boolean, audit?: AuditDraft): Promise<KeyResult<null>> {
    const operation = enabled ? "EnableKey" : "DisableKey";
    const result = await this.call(call, audit, (commit) =>
      commit(async (keys) => {
        const record = await keys.guard(call, operation, `kms:${operation}`, this.keys);
        keys.update(record, { keyState: enabled ? "Enabled" : "Disabled" });
        return null;
      }),
    );
    // Rotation deadlines count only while the key is Enabled: re-derive the wake-up.
    if (result.ok) await this.rescheduleWakeUp();
    return result;
  }

  async updateDescription(call: KeyCall, description: string, audit?: AuditDraft): Promise<KeyResult<null>> {
    return this.call(call, audit, (commit) =>
      commit(async (keys) => {
        keys.update(await keys.guard(call, "UpdateKeyDescription", "kms:UpdateKeyDescription", this.keys), { description });
        return null;
      }),
    );
  }

  // ---- scheduled deletion (the guide's "Deleting Customer Master Keys") --------------------------

  /**
   * Puts the key in PendingDeletion for `pendingWindowInDays` "days"; `wake` deletes it at
   * DeletionDate, in two idempotent steps: the key's records are buried (one transaction: all
   * removed, a tombstone left, every operation answers NotFound), then the account directory
   * forgets the key and its aliases, the grant index forgets its grants, and the tombstone goes.
   * A CancelKeyDeletion runs either before the first step or finds no key: nothing in between.
   */
  async scheduleDeletion(call: KeyCall, pendingWindowInDays: number, audit?: AuditDraft): Promise<KeyResult<ScheduledDeletion>> {
    const result = await this.call(call, audit, (commit) =>
      commit(
        async (keys): Promise<ScheduledDeletion> => {
          const record = await keys.guard(call, "ScheduleKeyDeletion", "kms:ScheduleKeyDeletion", this.keys);
          const deletionDate = Date.now() + pendingWindowInDays * this.settings.deletionDayMs;
          keys.update(record, { keyState: "PendingDeletion", deletionDate, pendingWindowInDays });
          return { keyArn: record.arn, deletionDate: new Date(deletionDate), pendingWindowInDays };
        },
        (s) => ({ KeyId: s.keyArn, DeletionDate: s.deletionDate, KeyState: "PendingDeletion", PendingWindowInDays: s.pendingWindowInDays }),
      ),
    );
    if (result.ok) await this.rescheduleWakeUp();
    return result;
  }

  /**
   * Takes the key out of PendingDeletion: to Disabled, or to PendingImport for an EXTERNAL key whose
   * material expired or was deleted meanwhile. Returns the key ARN.
   */
  async cancelDeletion(call: KeyCall, audit?: AuditDraft): Promise<KeyResult<string>> {
    const result = await this.call(call, audit, (commit) =>
      commit(
        async (keys) => {
          const record = await keys.guard(call, "CancelKeyDeletion", "kms:CancelKeyDeletion", this.keys);
          const keyState: KeyState = record.origin === "EXTERNAL" && record.currentVersion === 0 ? "PendingImport" : "Disabled";
          keys.update(record, { keyState, deletionDate: undefined, pendingWindowInDays: undefined });
          return record.arn;
        },
        (arn) => ({ KeyId: arn }),
      ),
    );
    if (result.ok) await this.rescheduleWakeUp();
    return result;
  }

  // ---- imported key material (the guide's "Importing Key Material") ------------------------------

  /**
   * A fresh RSA-2048 wrapping key pair and an import token bound to this key, the pair and the
   * algorithm; the private key is kept sealed under the root key until it is used or expires.
   */
  async getParametersForImport(call: KeyCall, algorithm: WrappingAlgorithm, audit?: AuditDraft): Promise<KeyResult<ImportParameters>> {
    const guard = (keys: KeyRecords) => keys.guard(call, "GetParametersForImport", "kms:GetParametersForImport", this.keys).then(externalOnly);
    const result = await this.call(call, audit, async (commit) => {
      await this.tx(guard);
      const pair = await generateWrappingKeyPair();
      try {
        return await commit(
          async (keys) => {
            // Key generation let other calls run: check the key again before storing anything.
            const record = await guard(keys);
            const rootKey = this.ports.rootKey();
            const claims: ImportTokenClaims = {
              tokenId: newTokenId(),
              validTo: Date.now() + this.settings.importParametersValidMs,
              algorithm,
              publicKeyHash: publicKeyHash(pair.publicKey),
            };
            keys.putPendingImport(claims.tokenId, { ...claims, ...sealWrappingKey(rootKey, record.arn, claims.tokenId, pair.privateKey) });
            return {
              keyArn: record.arn,
              publicKey: pair.publicKey,
              importToken: issueImportToken(rootKey, record.arn, claims),
              parametersValidTo: new Date(claims.validTo),
            };
          },
          (p) => ({ KeyId: p.keyArn, ParametersValidTo: p.parametersValidTo }),
        );
      } finally {
        wipe(pair.privateKey);
      }
    });
    if (result.ok) await this.rescheduleWakeUp();
    return result;
  }

  /**
   * Unwraps and installs imported material as backing-key version 1. The token is checked in AWS's
   * order (authentic and for this key, then not expired, then not used) and spent — in a committed
   * transaction — before its private key decrypts anything, so each wrapping key decrypts at most once.
   */
  async importKeyMaterial(call: KeyCall, input: NewKeyMaterial, audit?: AuditDraft): Promise<KeyResult<null>> {
    const guard = (keys: KeyRecords) => keys.guard(call, "ImportKeyMaterial", "kms:ImportKeyMaterial", this.keys).then(externalOnly);
    const result = await this.call(call, audit, async (commit) => {
      const spent = await this.tx(async (keys) => {
        const before = await guard(keys);
        const rootKey = this.ports.rootKey();
        const claims = openImportToken(rootKey, before.arn, input.importToken);
        if (claims === undefined) throw invalidImportToken();
        if (claims.validTo <= Date.now()) {
          throw new KmsError(
            "ExpiredImportTokenException",
            "The import token is expired. Use GetParametersForImport to get a new import token and public key.",
          );
        }
        const pending = await keys.pendingImport(claims.tokenId);
        if (pending === undefined || pending.algorithm !== claims.algorithm || !bytesEqual(pending.publicKeyHash, claims.publicKeyHash)) {
          throw invalidImportToken();
        }
        keys.deletePendingImport(claims.tokenId);
        return { arn: before.arn, claims, pending };
      });
      const rootKey = this.ports.rootKey();
      const privateKey = unsealWrappingKey(rootKey, spent.arn, spent.claims.tokenId, spent.pending);
      let material: Uint8Array | undefined;
      try {
        material = await unwrapKeyMaterial(spent.claims.algorithm, privateKey, input.encryptedKeyMaterial);
      } finally {
        wipe(privateKey);
      }
      try {
        const installed = material;
        return await commit(async (keys) => {
          // Unwrapping let other calls run: the key may have been scheduled for deletion meanwhile.
          const record = await guard(keys);
          // Undefined: OAEP failed, or a PKCS #1 v1.5 blob was malformed or badly padded (import-wrapping.ts).
          if (installed === undefined || installed.length !== 32) {
            throw new KmsError("InvalidCiphertextException", "KMS could not decrypt the encrypted (wrapped) key material.");
          }
          const fingerprint = materialFingerprint(rootKey, record.arn, installed);
          if (record.materialFingerprint !== undefined && !bytesEqual(record.materialFingerprint, fingerprint)) {
            throw new KmsError(
              "IncorrectKeyMaterialException",
              "The key material is not the same key material that was previously imported into this KMS key.",
            );
          }
          keys.putVersion(1, sealBackingKey(rootKey, record.arn, 1, installed, Date.now()));
          keys.update(record, {
            currentVersion: 1,
            keyState: record.keyState === "PendingImport" ? "Enabled" : record.keyState,
            expirationModel: input.expirationModel,
            validTo: input.expirationModel === "KEY_MATERIAL_EXPIRES" ? input.validTo : undefined,
            materialFingerprint: fingerprint,
          });
          return null;
        });
      } finally {
        if (material !== undefined) wipe(material);
      }
    });
    await this.rescheduleWakeUp();
    return result;
  }

  /** Deletes the material now (as its expiry would); the key stays, PendingImport. */
  async deleteImportedMaterial(call: KeyCall, audit?: AuditDraft): Promise<KeyResult<null>> {
    const result = await this.call(call, audit, (commit) =>
      commit(async (keys) => {
        await removeMaterial(keys, externalOnly(await keys.guard(call, "DeleteImportedKeyMaterial", "kms:DeleteImportedKeyMaterial", this.keys)));
        return null;
      }),
    );
    if (result.ok) await this.rescheduleWakeUp();
    return result;
  }

  // ---- rotation ----------------------------------------------------------------------------------

  async setRotation(call: KeyCall, enabled: boolean, audit?: AuditDraft): Promise<KeyResult<null>> {
    const operation = enabled ? "EnableKeyRotation" : "DisableKeyRotation";
    const result = await this.call(call, audit, (commit) =>
      commit(async (keys) => {
        const record = await keys.guard(call, operation, `kms:${operation}`, this.keys, refuseExternal);
        if (enabled) {
          const nextRotation = record.rotationEnabled && record.nextRotation ? record.nextRotation : Date.now() + this.settings.rotationPeriodMs;
          keys.update(record, { rotationEnabled: true, nextRotation });
        } else {
          keys.update(record, { rotationEnabled: false, nextRotation: undefined });
        }
        return null;
      }),
    );
    if (result.ok) await this.rescheduleWakeUp();
    return result;
  }

  async rotationStatus(call: KeyCall, audit?: AuditDraft): Promise<KeyResult<RotationStatus>> {
    return this.call(call, audit, (commit) =>
      commit(async (keys): Promise<RotationStatus> => {
        const record = await keys.guard(call, "GetKeyRotationStatus", "kms:GetKeyRotationStatus", this.keys, refuseExternal);
        if (!record.rotationEnabled) return { KeyRotationEnabled: false };
        return {
          KeyRotationEnabled: true,
          RotationPeriodInDays: Math.max(1, Math.round(this.settings.rotationPeriodMs / DAY_MS)),
          ...(record.nextRotation === undefined ? {} : { NextRotationDate: new Date(record.nextRotation) }),
        };
      }),
    );
  }

  /**
   * State and imported-material expiry for GET /metrics (the operator's endpoint, not an API call:
   * no caller, nothing secret). Undefined when the key does not exist.
   */
  async metricsSnapshot(): Promise<{ keyState: KeyState; validTo?: number } | undefined> {
    const record = await this.tx((keys) => keys.record());
    if (record === undefined) return undefined;
    const validTo = metadataOf(record).ValidTo;
    return validTo === undefined ? { keyState: record.keyState } : { keyState: record.keyState, validTo: validTo.getTime() };
  }

  /** The number of backing-key versions; rotation adds one and never removes any. */
  async backingKeyVersions(): Promise<number> {
    return (await this.tx((keys) => keys.record()))?.currentVersion ?? 0;
  }

  // ---- deadlines ---------------------------------------------------------------------------------

  /**
   * The key's wake-up: forwards the audit outbox, then acts on every deadline that has passed —
   * deletion, imported-material expiry, unused import parameters, rotation — and sets the next
   * wake-up. Idempotent: it re-reads everything and acts only on passed deadlines.
   */
  async wake(): Promise<void> {
    const retry: number[] = [];
    const now = Date.now();
    try {
      if (!(await forwardOutbox(this.store, this.ports.audit))) retry.push(now);
    } catch (err) {
      console.error("audit outbox: forwarding failed; retrying", (err as Error)?.name);
      retry.push(now + RETRY_MS);
    }

    const tombstone = await this.tx(async (keys) => {
      const pending = await keys.record();
      if (pending?.keyState === "PendingDeletion" && pending.deletionDate !== undefined && pending.deletionDate <= now) {
        return keys.bury(pending);
      }
      return keys.tombstone();
    });
    if (tombstone !== undefined) {
      if (await this.finishDeletion(tombstone)) return;
      retry.push(now + RETRY_MS);
      return this.ports.wakeUps.wakeAt(Math.min(...retry));
    }

    const expired = await this.tx(async (keys) => {
      const record = await keys.record();
      for (const [tokenId, parameters] of await keys.pendingImports()) {
        if (parameters.validTo <= now) keys.deletePendingImport(tokenId);
      }
      if (record !== undefined && record.currentVersion > 0 && record.validTo !== undefined && record.validTo <= now) {
        await removeMaterial(keys, record);
        return record.arn;
      }
      return undefined;
    });
    if (expired !== undefined) await this.recordKeyEvent("KMS Imported Key Material Expiration", expired);

    const rotated = await this.tx(async (keys) => {
      const record = await keys.record();
      if (!record?.rotationEnabled || record.nextRotation === undefined || record.nextRotation > now || record.keyState !== "Enabled") {
        return undefined;
      }
      const version = record.currentVersion + 1;
      let next = record.nextRotation;
      while (next <= now) next += this.settings.rotationPeriodMs;
      keys.putVersion(version, newBackingKey(this.ports.rootKey(), record.arn, version, now));
      keys.update(record, { currentVersion: version, nextRotation: next });
      return record.arn;
    });
    if (rotated !== undefined) await this.recordKeyEvent("KMS CMK Rotation", rotated, new Date(now));
    await this.rescheduleWakeUp(retry);
  }

  /**
   * The second step of a deletion: the grants' index entries, the account directory's entry and
   * aliases, the outbox, then the tombstone. Returns false when a step failed (retried later).
   */
  private async finishDeletion(tombstone: Tombstone): Promise<boolean> {
    try {
      await this.ports.retirableGrants.forgetKey(tombstone.arn, tombstone.retiringPrincipals ?? []);
      await this.ports.forgetKey(tombstone);
      if (!(await forwardOutbox(this.store, this.ports.audit))) return false;
    } catch (err) {
      console.error("key deletion: second step failed; retrying", (err as Error)?.name);
      return false;
    }
    await this.recordKeyEvent("KMS CMK Deletion", tombstone.arn);
    await this.destroy();
    return true;
  }

  /**
   * Records one of the guide's key events. An audit outage must not hold back a deletion, an
   * expiry or a rotation, so a failure is logged (by error name only) and the step stands.
   */
  private async recordKeyEvent(type: "KMS CMK Rotation" | "KMS CMK Deletion" | "KMS Imported Key Material Expiration", arn: string, time = new Date()) {
    try {
      await this.ports.audit.keyEvent(keyEvent(type, arn, time));
    } catch (err) {
      console.error("key event not recorded", type, (err as Error)?.name);
    }
  }

  // ---- cryptographic operations ------------------------------------------------------------------

  /** Seals `plaintext` under the newest backing key, bound to the encryption context. */
  async encrypt(
    call: KeyCall,
    operation: EncryptingOperation,
    plaintext: Uint8Array,
    context: EncryptionContext,
    audit?: AuditDraft,
  ): Promise<KeyResult<{ keyArn: string; ciphertext: Uint8Array }>> {
    const action = operation === "ReEncrypt" ? "kms:ReEncryptTo" : `kms:${operation}`;
    return this.call(call, audit, (commit) =>
      commit(async (keys) => {
        const record = await keys.guard(withEncryptionContext(call, context), operation, action, this.keys);
        return { keyArn: record.arn, ciphertext: await this.seal(keys, record, plaintext, context) };
      }),
    );
  }

  /** Generates a data key of `length` bytes and returns it with its sealed copy. */
  async generateDataKey(
    call: KeyCall,
    operation: "GenerateDataKey" | "GenerateDataKeyWithoutPlaintext",
    length: number,
    context: EncryptionContext,
    audit?: AuditDraft,
  ): Promise<KeyResult<{ keyArn: string; ciphertext: Uint8Array; plaintext?: Uint8Array }>> {
    return this.call(call, audit, (commit) =>
      commit(async (keys) => {
        const record = await keys.guard(withEncryptionContext(call, context), operation, `kms:${operation}`, this.keys);
        const dataKey = crypto.getRandomValues(new Uint8Array(length));
        const ciphertext = await this.seal(keys, record, dataKey, context);
        if (operation === "GenerateDataKey") return { keyArn: record.arn, ciphertext, plaintext: dataKey };
        wipe(dataKey);
        return { keyArn: record.arn, ciphertext };
      }),
    );
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
    audit?: AuditDraft,
  ): Promise<KeyResult<{ keyArn: string; plaintext: Uint8Array }>> {
    const action = operation === "ReEncrypt" ? "kms:ReEncryptFrom" : "kms:Decrypt";
    return this.call(call, audit, (commit) =>
      commit(async (keys) => {
        const record = await keys.guard(withEncryptionContext(call, context), operation, action, this.keys);
        const header = readCiphertextHeader(blob);
        if (header === undefined || header.keyArn !== record.arn) throw invalidCiphertext();
        const stored = await keys.version(header.backingKeyVersion);
        if (stored === undefined) throw invalidCiphertext();
        const backingKey = unsealBackingKey(this.ports.rootKey(), record.arn, stored);
        try {
          const plaintext = openCiphertext(backingKey, blob, encodeEncryptionContext(context));
          if (plaintext === undefined) throw invalidCiphertext();
          return { keyArn: record.arn, plaintext };
        } finally {
          wipe(backingKey);
        }
      }),
    );
  }

  private async seal(keys: KeyRecords, record: KeyRecord, plaintext: Uint8Array, context: EncryptionContext): Promise<Uint8Array> {
    const stored = await keys.version(record.currentVersion);
    if (stored === undefined) throw new Error("backing key version missing");
    const backingKey = unsealBackingKey(this.ports.rootKey(), record.arn, stored);
    try {
      return sealCiphertext(backingKey, { keyArn: record.arn, backingKeyVersion: record.currentVersion }, encodeEncryptionContext(context), plaintext);
    } finally {
      wipe(backingKey);
    }
  }

  // ---- tags and policy ---------------------------------------------------------------------------

  async tag(call: KeyCall, tags: Tag[], audit?: AuditDraft): Promise<KeyResult<null>> {
    return this.call(call, audit, (commit) =>
      commit(async (keys) => {
        const record = await keys.guard(call, "TagResource", "kms:TagResource", this.keys);
        const merged = new Map(record.tags.map((t) => [t.TagKey, t.TagValue]));
        for (const t of tags) merged.set(t.TagKey, t.TagValue);
        if (merged.size > 50) throw new KmsError("TagException", "Tag limit exceeded: a key can have at most 50 tags.");
        keys.update(record, { tags: [...merged].map(([TagKey, TagValue]) => ({ TagKey, TagValue })) });
        return null;
      }),
    );
  }

  async untag(call: KeyCall, tagKeys: string[], audit?: AuditDraft): Promise<KeyResult<null>> {
    return this.call(call, audit, (commit) =>
      commit(async (keys) => {
        const record = await keys.guard(call, "UntagResource", "kms:UntagResource", this.keys);
        const removed = new Set(tagKeys);
        keys.update(record, { tags: record.tags.filter((t) => !removed.has(t.TagKey)) });
        return null;
      }),
    );
  }

  async listTags(call: KeyCall, limit: number, marker: string | undefined, audit?: AuditDraft): Promise<KeyResult<TagPage>> {
    return this.call(call, audit, (commit) =>
      commit(async (keys): Promise<TagPage> => {
        const record = await keys.guard(call, "ListResourceTags", "kms:ListResourceTags", this.keys);
        const start = marker === undefined ? 0 : decodeMarker(marker, "tags");
        const page = record.tags.slice(start, start + limit);
        const end = start + page.length;
        if (end < record.tags.length) return { Tags: page, Truncated: true, NextMarker: encodeMarker("tags", end) };
        return { Tags: page, Truncated: false };
      }),
    );
  }

  /** GetKeyPolicy: the policy name is checked after access, as AWS does. */
  async getPolicy(call: KeyCall, policyName: string, audit?: AuditDraft): Promise<KeyResult<string>> {
    return this.call(call, audit, (commit) =>
      commit(async (keys) => {
        const { policy } = await keys.guard(call, "GetKeyPolicy", "kms:GetKeyPolicy", this.keys);
        if (policyName !== "default") throw new KmsError("NotFoundException", `No such policy exists: ${policyName}`);
        return policy;
      }),
    );
  }

  async putPolicy(call: KeyCall, policy: string, audit?: AuditDraft): Promise<KeyResult<null>> {
    return this.call(call, audit, (commit) =>
      commit(async (keys) => {
        const record = await keys.guard(call, "PutKeyPolicy", "kms:PutKeyPolicy", this.keys);
        checkNewKeyPolicy(call, call.facts ?? {}, record.arn, record.tags, policy);
        keys.update(record, { policy });
        return null;
      }),
    );
  }

  async listPolicies(call: KeyCall, audit?: AuditDraft): Promise<KeyResult<string[]>> {
    return this.call(call, audit, (commit) =>
      commit(async (keys) => {
        await keys.guard(call, "ListKeyPolicies", "kms:ListKeyPolicies", this.keys);
        return ["default"];
      }),
    );
  }

  // ---- grants (storage, index and rules in src/grants/store.ts) ----------------------------------

  /**
   * CreateGrant: a new grant (or, for a Name with identical parameters, the existing one) and a
   * fresh grant token. The retiring principal's index entry is written before the grant; if the
   * grant then cannot be stored (a limit reached meanwhile), the entry is taken back.
   */
  async createGrant(call: KeyCall, input: NewGrant, audit?: AuditDraft): Promise<KeyResult<{ grantId: string; grantToken: string }>> {
    const now = Date.now();
    return this.call(call, audit, async (commit) => {
      const prepare = async (keys: KeyRecords) => {
        const key = await keys.guard(call, "CreateGrant", "kms:CreateGrant", this.keys);
        return { key, ...(await prepareGrant(keys.grants, key, input, this.settings.grantLimits, now)) };
      };
      const planned = await this.tx(prepare);
      const entry = planned.existing ? undefined : indexEntry(planned.key.arn, planned.record);
      if (entry !== undefined) await this.ports.retirableGrants.add(entry);
      let stored = false;
      try {
        const created = await commit(
          async (keys) => {
            // The index write let other calls run: check and count again, then store the planned grant.
            const again = await prepare(keys);
            const grant = again.existing ? again.record : planned.record;
            if (!again.existing) await keys.grants.insert(grant);
            stored = !again.existing;
            return { grantId: grant.grantId, grantToken: issueGrantToken(this.ports.rootKey(), { keyArn: again.key.arn, grantId: grant.grantId }) };
          },
          (g) => ({ GrantId: g.grantId }),
        );
        return created;
      } finally {
        if (entry !== undefined && !stored) {
          await this.ports.retirableGrants.remove(entry.RetiringPrincipal, entry.KeyId, entry.GrantId).catch(() => undefined);
        }
      }
    });
  }

  /** ListGrants: one page in creation order, optionally only one grant ID or one grantee. */
  async listGrants(
    call: KeyCall,
    filter: { grantId?: string; grantee?: string },
    limit: number,
    marker: string | undefined,
    audit?: AuditDraft,
  ): Promise<KeyResult<{ grants: GrantListItem[]; nextMarker?: string }>> {
    return this.call(call, audit, (commit) =>
      commit(async (keys) => {
        const record = await keys.guard(call, "ListGrants", "kms:ListGrants", this.keys);
        const page = await keys.grants.page(filter, limit, marker === undefined ? 0 : decodeMarker(marker, "grants"));
        const grants = page.items.map((g) => listItem(record.arn, g));
        return page.next === undefined ? { grants } : { grants, nextMarker: encodeMarker("grants", page.next) };
      }),
    );
  }

  /**
   * RetireGrant: not controlled by policy ("Permission to retire a grant is specified in the
   * grant"): allowed for the grant's retiring principal, its grantee when it allows RetireGrant,
   * and the key's account (src/grants/store.ts `mayRetire`).
   */
  async retireGrant(call: KeyCall, grantId: string, audit?: AuditDraft): Promise<KeyResult<null>> {
    return this.removeGrant(call, grantId, audit, async (keys) => {
      const record = await keys.record();
      if (record === undefined) throw keyNotFound(call.keyArn);
      const grant = await keys.grants.get(grantId);
      if (grant === undefined) throw grantNotFound(grantId, record.arn);
      if (!mayRetire(grant, call.principal, record.accountId, () => iamAllows(call, "kms:RetireGrant", record.arn))) {
        throw accessDenied(call.principalArn, "kms:RetireGrant", record.arn);
      }
      assertKeyStateAllows("RetireGrant", record.keyState, record.arn);
      return grant;
    });
  }

  /** RevokeGrant: kms:RevokeGrant on the key. */
  async revokeGrant(call: KeyCall, grantId: string, audit?: AuditDraft): Promise<KeyResult<null>> {
    return this.removeGrant(call, grantId, audit, async (keys) => {
      const record = await keys.guard(call, "RevokeGrant", "kms:RevokeGrant", this.keys);
      const grant = await keys.grants.get(grantId);
      if (grant === undefined) throw grantNotFound(grantId, record.arn);
      return grant;
    });
  }

  /** Checks, takes the grant out of the retiring principal's index, then removes it. */
  private async removeGrant(
    call: KeyCall,
    grantId: string,
    audit: AuditDraft | undefined,
    check: (keys: KeyRecords) => Promise<import("../grants/store.ts").GrantRecord>,
  ): Promise<KeyResult<null>> {
    return this.call(call, audit, async (commit) => {
      const grant = await this.tx(check);
      if (grant.retiringPrincipal !== undefined) await this.ports.retirableGrants.remove(grant.retiringPrincipal, call.keyArn, grant.grantId);
      return commit(async (keys) => {
        await check(keys);
        await keys.grants.remove(grantId);
        return null;
      });
    });
  }
}

/**
 * Wipes every backing key and the expiration; the key goes to PendingImport unless it is pending
 * deletion (then CancelKeyDeletion will find it without material and return it to PendingImport).
 */
async function removeMaterial(keys: KeyRecords, record: KeyRecord): Promise<void> {
  await keys.deleteVersions();
  keys.update(record, {
    currentVersion: 0,
    keyState: record.keyState === "PendingDeletion" ? "PendingDeletion" : "PendingImport",
    expirationModel: undefined,
    validTo: undefined,
  });
}
