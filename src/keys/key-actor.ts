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
import { keyEvent, stableEventId } from "../audit/events.ts";
import { issueGrantToken } from "../grants/token.ts";
import {
  grantNotFound,
  indexEntry,
  listItem,
  mayRetire,
  prepareGrant,
  sameGrantParameters,
  type GrantLimits,
  type GrantListItem,
  type NewGrant,
  type RetirableGrantIndex,
} from "../grants/store.ts";
import { accessDenied, dryRunSucceeded, keyNotFound, KmsError } from "../protocol/errors.ts";
import { KEY_LAST_USAGE_TRACKING_OPERATIONS } from "../protocol/enums.ts";
import type { KeyMetadata, Tag } from "../protocol/shapes.ts";
import { checkNewKeyPolicy, iamAllows } from "../service/access.ts";
import type { KeyCall } from "../service/caller.ts";
import { decodeMarker, encodeMarker } from "../service/markers.ts";
import type { RpcResult } from "../service/rpc.ts";
import type { RecordStore, WakeUps } from "../store/port.ts";
import {
  isResealed,
  newBackingKey,
  resealBackingKey,
  sealBackingKey,
  unsealBackingKey,
  wipe,
  type SealedBackingKey,
} from "./backing-key.ts";
import { fingerprintCandidates, resealFingerprintKey, withOwnFingerprintKey } from "./material-fingerprints.ts";
import type { RootKeyRing } from "./root-key-ring.ts";
import {
  issueImportToken,
  newFingerprintKey,
  newTokenId,
  openImportToken,
  publicKeyHash,
  sealWrappingKey,
  unsealWrappingKey,
  type ImportTokenClaims,
} from "./import-token.ts";
import { generateWrappingKeyPair, unwrapKeyMaterial, type WrappingAlgorithm } from "./import-wrapping.ts";
import { assertKeyStateAllows, type KeyState } from "./key-state.ts";
import {
  externalOnly,
  isBackedUp,
  KeyRecords,
  keySpecOf,
  metadataOf,
  importedMaterialId,
  newKeyMaterialId,
  type ExpirationModel,
  type KeyMaterialRecord,
  type KeyRecord,
  type RotationType,
  type Tombstone,
} from "./key-records.ts";
import { bytesEqual } from "../bytes.ts";
import type { EncryptionAlgorithmSpec, KeyUsageType, MacAlgorithmSpec } from "../protocol/enums.ts";
import type { GetPublicKeyResponse } from "../protocol/shapes.ts";
import { generateKeyPair, publicKeyOfPrivate, type RsaPrimitives } from "./asymmetric/key-pairs.ts";
import * as pairs from "./key-pair-operations.ts";
import { hmacKeyLength, importedMaterialFits, isAsymmetricSpec, isHmacSpec, type SupportedKeySpec } from "./key-specs.ts";
import { checkGrantOperations, requireSymmetricEncryption } from "./key-usage.ts";
import type { KeyStateGuardedOperation } from "./key-state.ts";
import {
  applyImportedMaterials,
  applySync,
  awaitsReplicaImport,
  forwardMultiRegion,
  isPrimary,
  isReplica,
  multiRegionPending,
  opensCiphertextOf,
  otherMembers,
  queueImported,
  queueLeft,
  queueSync,
  sharedStateFor,
  type MultiRegionMessage,
  type MultiRegionPeers,
  type SharedState,
} from "./multi-region.ts";

export interface NewKey {
  keyId: string;
  arn: string;
  accountId: string;
  description: string;
  origin: "AWS_KMS" | "EXTERNAL";
  policy: string;
  tags: Tag[];
  /** Fixed key material (seeding, src/seed/): its first backing key, for either origin. */
  material?: Uint8Array;
  /** Absent: SYMMETRIC_DEFAULT / ENCRYPT_DECRYPT. */
  keySpec?: SupportedKeySpec;
  keyUsage?: KeyUsageType;
  /** A multi-Region primary key (CreateKey's MultiRegion). */
  multiRegion?: boolean;
}

/** What a multi-Region primary hands to ReplicateKey for its new replica (no secret in clear). */
export interface ReplicaSource {
  keySpec: SupportedKeySpec;
  keyUsage: KeyUsageType;
  origin: "AWS_KMS" | "EXTERNAL";
  publicKey?: Uint8Array;
  state: SharedState;
}

/** ReplicateKey's new replica: its own properties and its primary's shared ones. */
export interface NewReplica {
  arn: string;
  keyId: string;
  accountId: string;
  description: string;
  policy: string;
  tags: Tag[];
  source: ReplicaSource;
}

/** A seed file's definition of a key, as the key compares it with what it is. */
export interface SeedDefinition {
  description: string;
  origin: "AWS_KMS" | "EXTERNAL";
  /** Absent: SYMMETRIC_DEFAULT / ENCRYPT_DECRYPT. */
  keySpec?: SupportedKeySpec;
  keyUsage?: KeyUsageType;
  policy: string;
  tags: Tag[];
  enabled: boolean;
  rotation: boolean;
  material?: Uint8Array;
  grants: NewGrant[];
}

/** What re-sealing a key did (or, verifying, found): records moved under the current root key, and records still under another. */
export interface ResealReport {
  resealed: number;
  remaining: number;
}

/** What restoring a backup found: an empty store (restored), the same key (unchanged), or a key that differs. */
export type RestoreOutcome =
  | { status: "restored" }
  | { status: "unchanged" }
  | { status: "conflict"; difference: string }
  | { status: "invalid"; reason: string };

/** JSON with bytes spelled as base64 and object members in one order, to compare stored entries. */
function canonicalJson(value: unknown): string {
  if (value instanceof Uint8Array) return JSON.stringify({ $bytes: btoa(String.fromCharCode(...value)) });
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const members = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${members.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** What a seed entry finds: no key yet, the key as defined, or a key that differs (and where). */
export type SeedStatus = { status: "absent" } | { status: "same" } | { status: "conflict"; difference: string };

export interface RotationStatus {
  KeyRotationEnabled: boolean;
  RotationPeriodInDays?: number;
  NextRotationDate?: Date;
  OnDemandRotationStartDate?: Date;
}

/** GetKeyLastUsage's response. */
export interface KeyLastUsage {
  KeyId: string;
  KeyLastUsage: { Operation?: string; Timestamp?: Date; CloudTrailEventId?: string; KmsRequestId?: string };
  TrackingStartDate: Date;
  KeyCreationDate: Date;
}

/** One entry of ListKeyRotations (RotationsListEntry). */
export interface RotationEntry {
  KeyId: string;
  KeyMaterialId: string;
  KeyMaterialState: "CURRENT" | "NON_CURRENT" | "PENDING_ROTATION" | "PENDING_MULTI_REGION_IMPORT_AND_ROTATION";
  KeyMaterialDescription?: string;
  ImportState?: "IMPORTED" | "PENDING_IMPORT";
  ExpirationModel?: ExpirationModel;
  ValidTo?: Date;
  RotationDate?: Date;
  RotationType?: RotationType;
}

export interface RotationPage {
  Rotations: RotationEntry[];
  Truncated: boolean;
  NextMarker?: string;
}

/** AWS: "You can perform on-demand key rotation a maximum of 25 times per KMS key." */
export const ON_DEMAND_ROTATION_LIMIT = 25;
/** EnableKeyRotation's RotationPeriodInDays when the request has none. */
export const DEFAULT_ROTATION_PERIOD_IN_DAYS = 365;
/** AWS refuses an on-demand rotation while an automatic one is due within 20 minutes (ConflictException). */
const AUTOMATIC_ROTATION_GUARD_MS = 20 * 60 * 1000;

export interface TagPage {
  Tags: Tag[];
  Truncated: boolean;
  NextMarker?: string;
}

/** ScheduleKeyDeletion's result. */
export interface ScheduledDeletion {
  keyArn: string;
  keyState: "PendingDeletion" | "PendingReplicaDeletion";
  /** Absent while a multi-Region primary waits for its replicas' deletion. */
  deletionDate?: Date;
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
  /** NEW_KEY_MATERIAL (the first material, or one for an on-demand rotation) or EXISTING_KEY_MATERIAL (a reimport). */
  importType?: "NEW_KEY_MATERIAL" | "EXISTING_KEY_MATERIAL";
  /** For a reimport: the material it must be. */
  keyMaterialId?: string;
  description?: string;
}

/** ImportKeyMaterial's and DeleteImportedKeyMaterial's result. */
export interface MaterialResult {
  keyArn: string;
  keyMaterialId?: string;
}

/** Kinds of use that put a plaintext under the key; each is guarded like the operation named. */
export type EncryptingOperation = "Encrypt" | "GenerateDataKey" | "GenerateDataKeyWithoutPlaintext" | "ReEncrypt";

export type AliasCheck = "CreateAlias" | "DeleteAlias" | "UpdateAliasTarget" | "UpdateAliasSource";

/** A call's result, and (`recorded: true`) whether this actor wrote the call's audit record. */
export type KeyResult<T> = RpcResult<T> & { recorded?: true };

export interface KeySettings {
  /**
   * Length of the default 365-day rotation period (tests shorten it); a key's RotationPeriodInDays
   * scales it, so one rotation "day" is rotationPeriodMs / 365.
   */
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
  /** The configured root keys (src/keys/root-key-ring.ts). */
  rootKeys(): RootKeyRing;
  settings(): KeySettings;
  retirableGrants: RetirableGrantIndex;
  /** The account directory's half of a deletion: forget the key and every alias naming it (idempotent). */
  forgetKey(tombstone: Tombstone): Promise<void>;
  audit: AuditSink;
  /** The other keys of a multi-Region key's set. */
  peers: MultiRegionPeers;
  /** The platform's RSA primitives, for RSA signatures over a precomputed digest (src/keys/asymmetric/rsa-digest.ts). */
  rsa: RsaPrimitives;
}

const DAY_MS = 24 * 60 * 60 * 1000;
const TRACKED_USAGE: ReadonlySet<string> = new Set(KEY_LAST_USAGE_TRACKING_OPERATIONS);
/**
 * When this deployment began recording last usage (GetKeyLastUsage's TrackingStartDate is the later
 * of this and the key's creation).
 */
export const LAST_USAGE_TRACKING_START = Date.UTC(2026, 10, 30);

/** Thrown inside a dry run's transaction so that the store discards its writes. */
const DISCARD = Symbol("dry run: discard the transaction");
/** Delay before a wake-up retries work that failed (forwarding, the registry step of a deletion). */
const RETRY_MS = 5_000;

function invalidCiphertext(): KmsError {
  return new KmsError("InvalidCiphertextException", "The ciphertext is invalid for this key and encryption context.");
}

function alreadyReplicated(replicaArn: string): KmsError {
  return new KmsError("AlreadyExistsException", `Replica key ${replicaArn} already exists.`);
}

function invalidImportToken(): KmsError {
  return new KmsError("InvalidImportTokenException", "The import token is invalid for this KMS key.");
}

/** The call with the encryption context the key will use, so that policies see exactly that one. */
function withEncryptionContext(call: KeyCall, context: EncryptionContext): KeyCall {
  return { ...call, facts: { ...call.facts, encryptionContext: context } };
}

/** Neither automatic nor on-demand rotation is available for asymmetric and HMAC keys, whatever their state. */
function refuseNonSymmetric(record: KeyRecord): void {
  if (keySpecOf(record) !== "SYMMETRIC_DEFAULT") {
    throw new KmsError(
      "UnsupportedOperationException",
      `${record.arn} key spec is ${keySpecOf(record)}: only symmetric encryption KMS keys support key rotation.`,
    );
  }
}

/**
 * Automatic rotation is not available for keys with imported material, whatever their state, nor
 * for asymmetric and HMAC keys.
 */
function refuseExternal(record: KeyRecord): void {
  refuseNonSymmetric(record);
  if (record.origin === "EXTERNAL") {
    throw new KmsError("UnsupportedOperationException", `${record.arn} origin is EXTERNAL which is not valid for this operation.`);
  }
}

/** Rotation is the primary's: a replica refuses to set or start it (before its key state is checked). */
function refuseReplica(then?: (record: KeyRecord) => void): (record: KeyRecord) => void {
  return (record) => {
    if (isReplica(record)) {
      throw new KmsError(
        "UnsupportedOperationException",
        `${record.arn} is a multi-Region replica key: rotation is managed on its primary key, ${record.multiRegion!.primaryArn}.`,
      );
    }
    then?.(record);
  };
}

export class KeyActor {
  constructor(private readonly ports: KeyActorPorts) {}

  private get store(): RecordStore {
    return this.ports.store;
  }

  private get settings(): KeySettings {
    return this.ports.settings();
  }

  private readonly keys = { rootKeys: () => this.ports.rootKeys() };

  // ---- transactions and the audit outbox ---------------------------------------------------------

  /** A transaction over this key's records. */
  private tx<T>(body: (keys: KeyRecords) => Promise<T>): Promise<T> {
    return this.store.transact((tx) => body(new KeyRecords(tx)));
  }

  /**
   * Runs one call. `run` does its work and ends with `commit`, whose transaction also holds the
   * call's audit record when there is a draft. A KmsError from anywhere is answered as a refusal,
   * recorded in a transaction of its own when the key exists. For a dry run (`call.dryRun`),
   * `commit` runs its body and discards every write, and the call is answered — and recorded, as
   * AWS records dry runs — as DryRunOperationException; work before `commit` that reaches beyond
   * this key's store must check `call.dryRun` itself.
   */
  private async call<T>(
    call: KeyCall,
    audit: AuditDraft | undefined,
    run: (commit: <U>(body: (keys: KeyRecords) => Promise<U>, response?: (value: U) => unknown) => Promise<U>) => Promise<T>,
  ): Promise<KeyResult<T>> {
    let recorded: boolean = false;
    const commit = async <U>(body: (keys: KeyRecords) => Promise<U>, response?: (value: U) => unknown): Promise<U> => {
      if (call.dryRun !== undefined) {
        // A dry run: the operation's own transaction runs in full, then is abandoned (no write
        // survives); a refusal from it is the real answer, otherwise DryRunOperationException.
        await this.store
          .transact(async (tx) => {
            await body(new KeyRecords(tx));
            throw DISCARD;
          })
          .catch((err: unknown) => {
            if (err !== DISCARD) throw err;
          });
        throw dryRunSucceeded();
      }
      const value = await this.store.transact(async (tx) => {
        const keys = new KeyRecords(tx);
        const result = await body(keys);
        // GetKeyLastUsage: a successful cryptographic call leaves its trace in the same commit
        // (no extra round trip; a blind write, so no contention between concurrent calls).
        if (call.trace !== undefined && TRACKED_USAGE.has(call.trace.eventName)) {
          keys.putLastUsage({
            operation: call.trace.eventName,
            timestamp: call.trace.startedAt,
            cloudTrailEventId: call.trace.eventId,
            kmsRequestId: call.trace.requestId,
          });
        }
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
      if (await multiRegionPending(keys.tx)) stored.push(Date.now() + RETRY_MS);
      return stored;
    });
    deadlines.push(...extra);
    await this.ports.wakeUps.wakeAt(deadlines.length === 0 ? undefined : Math.max(Date.now(), Math.min(...deadlines)));
  }

  // ---- lifecycle ---------------------------------------------------------------------------------

  /**
   * Creates the key. Its first backing key — or, for other key specs, its HMAC key or key pair — is
   * generated here (before the transaction: key-pair generation is slow) unless the origin is EXTERNAL.
   */
  async create(init: NewKey): Promise<KeyResult<KeyMetadata>> {
    return this.call({ keyArn: init.arn } as KeyCall, undefined, async (commit) => {
      const keySpec = init.keySpec ?? "SYMMETRIC_DEFAULT";
      const external = init.origin === "EXTERNAL" && init.material === undefined;
      const generated =
        external || keySpec === "SYMMETRIC_DEFAULT" || init.material !== undefined ? undefined : await newKeyMaterial(keySpec);
      // A seeded key pair (src/seed/): its public key is computed from the given private key.
      const publicKey =
        generated?.publicKey ??
        (init.material !== undefined && isAsymmetricSpec(keySpec) ? await publicKeyOfPrivate(keySpec, init.material) : undefined);
      try {
        return await commit(async (keys) => {
          if ((await keys.record()) !== undefined || (await keys.tombstone()) !== undefined)
            throw new Error("key store already holds a key");
          const now = Date.now();
          const rootKeys = this.ports.rootKeys();
          const record: KeyRecord = {
            keyId: init.keyId,
            arn: init.arn,
            accountId: init.accountId,
            creationDate: now,
            description: init.description,
            ...(keySpec === "SYMMETRIC_DEFAULT" ? {} : { keySpec }),
            keyUsage: init.keyUsage ?? "ENCRYPT_DECRYPT",
            ...(publicKey === undefined ? {} : { publicKey }),
            origin: init.origin,
            keyState: external ? "PendingImport" : "Enabled",
            policy: init.policy,
            tags: init.tags,
            rotationEnabled: false,
            currentVersion: external ? 0 : 1,
            ...(init.multiRegion === true ? { multiRegion: { primaryArn: init.arn, replicaArns: [], syncSeq: 0 } } : {}),
          };
          // A multi-Region set with imported material shares one fingerprint key from the start, so
          // that its replicas recognise the material imported into them (src/keys/multi-region.ts).
          if (external && init.multiRegion === true) record.fingerprintKey = newFingerprintKey(rootKeys, init.arn);
          if (init.material !== undefined) {
            // Seeded material (src/seed/): for an EXTERNAL key it is imported material that does not expire.
            record.fingerprintKey = newFingerprintKey(rootKeys, init.arn);
            const fingerprint = fingerprintCandidates(rootKeys, record, init.material)[0]!;
            const imported = init.origin === "EXTERNAL";
            keys.putVersion(1, sealBackingKey(rootKeys, init.arn, 1, init.material, now));
            record.materialFingerprint = fingerprint;
            record.currentKeyMaterialId = imported ? importedMaterialId(fingerprint) : newKeyMaterialId();
            if (imported) record.expirationModel = "KEY_MATERIAL_DOES_NOT_EXPIRE";
            keys.putMaterial({
              version: 1,
              keyMaterialId: record.currentKeyMaterialId,
              ...(imported ? { imported: true, expirationModel: "KEY_MATERIAL_DOES_NOT_EXPIRE" as const } : {}),
            });
          } else if (!external) {
            keys.putVersion(
              1,
              generated === undefined
                ? newBackingKey(rootKeys, init.arn, 1, now)
                : sealBackingKey(rootKeys, init.arn, 1, generated.secret, now),
            );
            record.currentKeyMaterialId = newKeyMaterialId();
            keys.putMaterial({ version: 1, keyMaterialId: record.currentKeyMaterialId });
          }
          keys.save(record);
          return metadataOf(record);
        });
      } finally {
        generated?.secret.fill(0);
      }
    });
  }

  /**
   * Compares a seed file's definition with the key as it is (src/seed/apply.ts). Material is
   * compared by its keyed fingerprint; a key seeded without fixed material matches any.
   */
  async seedStatus(_arn: string, expected: SeedDefinition): Promise<SeedStatus> {
    return this.tx(async (keys): Promise<SeedStatus> => {
      const record = await keys.record();
      if (record === undefined)
        return (await keys.tombstone()) === undefined ? { status: "absent" } : { status: "conflict", difference: "the key was deleted" };
      const tagText = (tags: Tag[]) => JSON.stringify([...tags].sort((a, b) => (a.TagKey < b.TagKey ? -1 : 1)));
      const differences: [boolean, string][] = [
        [record.description !== expected.description, "description"],
        [record.origin !== expected.origin, "origin"],
        [keySpecOf(record) !== (expected.keySpec ?? "SYMMETRIC_DEFAULT"), "key spec"],
        [record.keyUsage !== (expected.keyUsage ?? "ENCRYPT_DECRYPT"), "key usage"],
        [record.policy !== expected.policy, "policy"],
        [tagText(record.tags) !== tagText(expected.tags), "tags"],
        [(record.keyState === "Enabled") !== expected.enabled, "enabled state"],
        [record.rotationEnabled !== expected.rotation, "rotation"],
      ];
      if (expected.material !== undefined) {
        const stored = record.materialFingerprint;
        const candidates = fingerprintCandidates(this.ports.rootKeys(), record, expected.material);
        differences.push([stored === undefined || !candidates.some((fp) => bytesEqual(stored, fp)), "key material"]);
      }
      for (const g of expected.grants) {
        const named = g.name === undefined ? [] : await keys.grants.withName(g.name);
        differences.push([named.length > 0 && !named.some((existing) => sameGrantParameters(g, existing)), `grant ${g.name}`]);
      }
      const found = differences.find(([differs]) => differs);
      return found === undefined ? { status: "same" } : { status: "conflict", difference: found[1] };
    });
  }

  /**
   * Re-seals under the current root key everything of this key that another root key sealed: its
   * backing-key versions, the wrapping keys of pending imports and its fingerprint key (a key from
   * before fingerprint keys gets one, material-fingerprints.ts). One transaction, so a key is never
   * half re-sealed; idempotent, so an interrupted walk over all keys simply runs again. It serves
   * while it runs: other calls on the key wait for, or retry after, this transaction. With
   * `verifyOnly` it changes nothing and only counts what is still under another root key.
   * A record no configured root key opens is left as it is and counted as remaining.
   */
  async resealRootKey(verifyOnly = false): Promise<ResealReport> {
    return this.tx(async (keys): Promise<ResealReport> => {
      const report: ResealReport = { resealed: 0, remaining: 0 };
      let record = await keys.record();
      if (record === undefined) return report;
      const rootKeys = this.ports.rootKeys();
      const step = (current: boolean, reseal: () => void) => {
        if (current) return;
        if (verifyOnly) {
          report.remaining++;
          return;
        }
        try {
          reseal();
          report.resealed++;
        } catch {
          report.remaining++;
        }
      };
      for (const sealed of await keys.versions()) {
        step(isResealed(rootKeys, sealed), () => keys.putVersion(sealed.version, resealBackingKey(rootKeys, record!.arn, sealed)));
      }
      for (const [tokenId, pending] of await keys.pendingImports()) {
        step(pending.rootKeyId === rootKeys.currentId, () => {
          const privateKey = unsealWrappingKey(rootKeys, record!.arn, tokenId, pending);
          try {
            keys.putPendingImport(tokenId, { ...pending, ...sealWrappingKey(rootKeys, record!.arn, tokenId, privateKey) });
          } finally {
            wipe(privateKey);
          }
        });
      }
      if (record.fingerprintKey === undefined && record.materialFingerprint !== undefined) {
        // Fingerprints from before fingerprint keys: under whichever root key was current then.
        if (verifyOnly) report.remaining++;
        else {
          record = await withOwnFingerprintKey(keys, rootKeys, record);
          if (record.fingerprintKey === undefined) report.remaining++;
        }
      }
      const fingerprintKey = record.fingerprintKey;
      if (fingerprintKey !== undefined) {
        const current = record;
        step(fingerprintKey.rootKeyId === rootKeys.currentId, () => {
          keys.update(current, { fingerprintKey: resealFingerprintKey(rootKeys, current) });
        });
      }
      return report;
    });
  }

  /**
   * The key's stored entries for a backup (key-records.ts `isBackedUp`): its record, sealed
   * backing keys, materials, grants. Key material stays sealed under the root key. Undefined when
   * the key does not exist (or is deleted).
   */
  async exportBackup(): Promise<[string, unknown][] | undefined> {
    return this.tx(async (keys) => {
      if ((await keys.record()) === undefined) return undefined;
      return (await keys.tx.list<unknown>("")).filter(([name]) => isBackedUp(name));
    });
  }

  /**
   * Restores a backup's entries into this key's store, in one transaction: into an empty store;
   * a key that exists with exactly these entries is left alone ("unchanged"); one that differs, or
   * a deleted key, is refused and nothing changes. Every sealed backing key must open under a
   * configured root key (ROOT_KEY or ROOT_KEY_PREVIOUS). Refusals are answers (`invalid`,
   * `conflict`), not throws, so that they cross the RPC boundary intact.
   */
  async restoreBackup(arn: string, entries: [string, unknown][]): Promise<RestoreOutcome> {
    const restored = await this.tx(async (keys): Promise<RestoreOutcome> => {
      const record = entries.find(([name]) => name === "key")?.[1] as KeyRecord | undefined;
      if (record === undefined || record.arn !== arn || entries.some(([name]) => !isBackedUp(name))) {
        return { status: "invalid", reason: `it is not a backup of ${arn}` };
      }
      if ((await keys.tombstone()) !== undefined) return { status: "conflict", difference: "the key was deleted here" };
      const existing = (await keys.tx.list<unknown>("")).filter(([name]) => isBackedUp(name));
      if (existing.length > 0) {
        const canonical = (list: [string, unknown][]) => new Map(list.map(([name, value]) => [name, canonicalJson(value)]));
        const want = canonical(entries);
        const have = canonical(existing);
        const differing = [...new Set([...want.keys(), ...have.keys()])].find((name) => want.get(name) !== have.get(name));
        return differing === undefined ? { status: "unchanged" } : { status: "conflict", difference: `entry ${differing} differs` };
      }
      const rootKeys = this.ports.rootKeys();
      for (const [, value] of entries.filter(([name]) => name.startsWith("version:"))) {
        try {
          wipe(unsealBackingKey(rootKeys, arn, value as SealedBackingKey));
        } catch {
          const id = (value as SealedBackingKey).rootKeyId;
          return {
            status: "invalid",
            reason: `its key material does not open under the configured root keys${id === undefined ? "" : ` (it names root key ${id})`}`,
          };
        }
      }
      for (const [name, value] of entries) keys.tx.put(name, value);
      return { status: "restored" };
    });
    if (restored.status === "restored") {
      const grants = await this.tx((keys) => keys.grants.all());
      for (const g of grants) {
        const entry = indexEntry(arn, g);
        if (entry !== undefined) await this.ports.retirableGrants.add(entry);
      }
      await this.rescheduleWakeUp();
    }
    return restored;
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
          // A multi-Region primary with replicas waits for them (PendingReplicaDeletion); its
          // waiting period starts when the last one is gone (receiveMultiRegion).
          if (isPrimary(record) && record.multiRegion!.replicaArns.length > 0) {
            keys.update(record, { keyState: "PendingReplicaDeletion", pendingWindowInDays });
            return { keyArn: record.arn, keyState: "PendingReplicaDeletion" as const, pendingWindowInDays };
          }
          const deletionDate = Date.now() + pendingWindowInDays * this.settings.deletionDayMs;
          keys.update(record, { keyState: "PendingDeletion", deletionDate, pendingWindowInDays });
          return { keyArn: record.arn, keyState: "PendingDeletion" as const, deletionDate: new Date(deletionDate), pendingWindowInDays };
        },
        (s) => ({
          KeyId: s.keyArn,
          ...(s.deletionDate === undefined ? {} : { DeletionDate: s.deletionDate }),
          KeyState: s.keyState,
          PendingWindowInDays: s.pendingWindowInDays,
        }),
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

  // ---- multi-Region keys (src/keys/multi-region.ts) -----------------------------------------------

  /** @throws UnsupportedOperationException unless the key is a multi-Region primary key. */
  private static primaryOnly(record: KeyRecord): void {
    if (record.multiRegion === undefined) {
      throw new KmsError("UnsupportedOperationException", `${record.arn} is not a multi-Region key.`);
    }
    if (!isPrimary(record)) {
      throw new KmsError(
        "UnsupportedOperationException",
        `${record.arn} is not a multi-Region primary key: its primary key is ${record.multiRegion.primaryArn}.`,
      );
    }
  }

  /**
   * ReplicateKey's first step on the primary: checks kms:ReplicateKey, the key state and that the
   * Region has no replica yet, and hands over the shared state for `replicaArn` — every backing key
   * sealed for the replica's ARN, never in clear. Changes nothing (addReplica records the replica).
   */
  async exportReplica(call: KeyCall, replicaArn: string): Promise<KeyResult<ReplicaSource>> {
    return this.call(call, undefined, (commit) =>
      commit(async (keys): Promise<ReplicaSource> => {
        const record = await keys.guard(call, "ReplicateKey", "kms:ReplicateKey", this.keys, KeyActor.primaryOnly);
        const role = record.multiRegion!;
        if (role.replicaArns.includes(replicaArn)) throw alreadyReplicated(replicaArn);
        const state = await sharedStateFor(
          keys,
          { ...record, multiRegion: { ...role, replicaArns: [...role.replicaArns, replicaArn] } },
          this.ports.rootKeys(),
          replicaArn,
          role.syncSeq,
        );
        return {
          keySpec: keySpecOf(record),
          keyUsage: record.keyUsage,
          origin: record.origin,
          ...(record.publicKey === undefined ? {} : { publicKey: record.publicKey }),
          state,
        };
      }),
    );
  }

  /** Creates this key as a replica (ReplicateKey, in the replica's Region). @throws AlreadyExistsException */
  async createReplica(init: NewReplica): Promise<KeyResult<KeyMetadata>> {
    return this.call({ keyArn: init.arn } as KeyCall, undefined, (commit) =>
      commit(async (keys) => {
        if ((await keys.record()) !== undefined || (await keys.tombstone()) !== undefined) throw alreadyReplicated(init.arn);
        const { source } = init;
        const { state } = source;
        for (const { sealed, material } of state.versions) {
          keys.putVersion(sealed.version, sealed);
          if (material !== undefined) keys.putMaterial(material);
        }
        // Imported material: the replica is created with none, and lists the set's as PENDING_IMPORT.
        if (state.imported !== undefined) await applyImportedMaterials(keys, state.imported);
        const record: KeyRecord = {
          keyId: init.keyId,
          arn: init.arn,
          accountId: init.accountId,
          creationDate: Date.now(),
          description: init.description,
          ...(source.keySpec === "SYMMETRIC_DEFAULT" ? {} : { keySpec: source.keySpec }),
          keyUsage: source.keyUsage,
          ...(source.publicKey === undefined ? {} : { publicKey: source.publicKey }),
          origin: source.origin,
          // Until addReplica's synchronisation arrives (src/keys/multi-region.ts, applySync).
          keyState: "Creating",
          policy: init.policy,
          tags: init.tags,
          rotationEnabled: state.rotationEnabled,
          ...(state.rotationPeriodInDays === undefined ? {} : { rotationPeriodInDays: state.rotationPeriodInDays }),
          ...(state.nextRotation === undefined ? {} : { nextRotation: state.nextRotation }),
          currentVersion: state.imported === undefined ? state.currentVersion : 0,
          ...(state.currentKeyMaterialId === undefined ? {} : { currentKeyMaterialId: state.currentKeyMaterialId }),
          multiRegion: { primaryArn: state.primaryArn, replicaArns: state.replicaArns, syncSeq: state.seq },
          ...(state.imported === undefined
            ? {}
            : {
                fingerprintKey: state.imported.fingerprintKey,
                ...(state.imported.materialFingerprint === undefined ? {} : { materialFingerprint: state.imported.materialFingerprint }),
              }),
        };
        keys.save(record);
        return metadataOf(record);
      }),
    );
  }

  /**
   * ReplicateKey's last step on the primary: checks again, lists the replica and synchronises the
   * whole set (the new replica then has every rotation made since exportReplica). Records the call.
   */
  async addReplica(call: KeyCall, replicaArn: string, response: unknown, audit?: AuditDraft): Promise<KeyResult<null>> {
    const result = await this.call(call, audit, (commit) =>
      commit(
        async (keys) => {
          const record = await keys.guard(call, "ReplicateKey", "kms:ReplicateKey", this.keys, KeyActor.primaryOnly);
          const role = record.multiRegion!;
          if (role.replicaArns.includes(replicaArn)) throw alreadyReplicated(replicaArn);
          await queueSync(
            keys,
            keys.update(record, { multiRegion: { ...role, replicaArns: [...role.replicaArns, replicaArn] } }),
            this.ports.rootKeys(),
          );
          return null;
        },
        () => response,
      ),
    );
    if (result.ok) await this.deliverMultiRegion();
    return result;
  }

  /** UpdatePrimaryRegion's check on the replica to be promoted: kms:UpdatePrimaryRegion and its key state. */
  async checkPrimaryUpdate(call: KeyCall, primaryArn: string): Promise<KeyResult<null>> {
    return this.call(call, undefined, (commit) =>
      commit(async (keys) => {
        const record = await keys.guard(call, "UpdatePrimaryRegion", "kms:UpdatePrimaryRegion", this.keys);
        if (!isReplica(record) || record.multiRegion!.primaryArn !== primaryArn) {
          throw new KmsError("UnsupportedOperationException", `${record.arn} is not a replica of ${primaryArn}.`);
        }
        return null;
      }),
    );
  }

  /**
   * UpdatePrimaryRegion on the current primary: the replica `newPrimaryArn` becomes the primary and
   * this key one of its replicas; every member learns it from the synchronisation written here.
   */
  async updatePrimaryRegion(call: KeyCall, newPrimaryArn: string, audit?: AuditDraft): Promise<KeyResult<null>> {
    const result = await this.call(call, audit, (commit) =>
      commit(async (keys) => {
        const record = await keys.guard(call, "UpdatePrimaryRegion", "kms:UpdatePrimaryRegion", this.keys, KeyActor.primaryOnly);
        const role = record.multiRegion!;
        if (!role.replicaArns.includes(newPrimaryArn)) {
          throw new KmsError("NotFoundException", `${record.arn} has no replica key ${newPrimaryArn}.`);
        }
        const replicaArns = [...role.replicaArns.filter((arn) => arn !== newPrimaryArn), record.arn];
        // Imported material pending rotation that this key holds: the new primary counts it as a
        // replica's (the list travels with the synchronisation below).
        for (const m of await keys.materials()) {
          if (m.pendingRotation === true && m.imported === true && !(m.importedBy ?? []).includes(record.arn)) {
            keys.putMaterial({ ...m, importedBy: [...(m.importedBy ?? []), record.arn] });
          }
        }
        await queueSync(
          keys,
          // Updating until the new primary has the change (endUpdate).
          keys.update(record, { multiRegion: { ...role, primaryArn: newPrimaryArn, replicaArns }, updating: true }),
          this.ports.rootKeys(),
        );
        return null;
      }),
    );
    if (result.ok) {
      await this.deliverMultiRegion();
      // As a replica this key no longer rotates by itself.
      await this.rescheduleWakeUp();
    }
    return result;
  }

  /**
   * A message from another key of this key's set (src/keys/multi-region.ts): idempotent, and
   * answered once committed so that the sender may delete it. A key that no longer exists ignores it.
   */
  async receiveMultiRegion(message: MultiRegionMessage): Promise<void> {
    const changed = await this.tx(async (keys) => {
      const record = await keys.record();
      if (record?.multiRegion === undefined) return false;
      if (message.kind === "sync") return (await applySync(keys, record, message.state)) !== undefined;
      if (message.kind === "imported") {
        // Only the primary keeps count; material it no longer has pending needs none.
        if (!isPrimary(record)) return false;
        const material = (await keys.materials()).find((m) => m.keyMaterialId === message.keyMaterialId && m.pendingRotation === true);
        if (material === undefined) return false;
        const others = (material.importedBy ?? []).filter((arn) => arn !== message.arn);
        keys.putMaterial({ ...material, importedBy: message.imported ? [...others, message.arn] : others });
        return true;
      }
      const role = record.multiRegion;
      if (!role.replicaArns.includes(message.arn)) return false;
      let updated = keys.update(record, { multiRegion: { ...role, replicaArns: role.replicaArns.filter((arn) => arn !== message.arn) } });
      if (!isPrimary(updated)) return true;
      // The primary tells the rest of the set, and ends its wait when its last replica is gone.
      updated = await queueSync(keys, updated, this.ports.rootKeys());
      if (updated.keyState === "PendingReplicaDeletion" && updated.multiRegion!.replicaArns.length === 0) {
        const deletionDate = Date.now() + (updated.pendingWindowInDays ?? 30) * this.settings.deletionDayMs;
        keys.update(updated, { keyState: "PendingDeletion", deletionDate });
      }
      return true;
    });
    if (changed) await this.rescheduleWakeUp([Date.now() + this.settings.auditForwardDelayMs]);
  }

  /** Delivers the multi-Region outbox now (best effort: what fails stays for the wake-up). */
  private async deliverMultiRegion(): Promise<void> {
    if (await forwardMultiRegion(this.store, this.ports.peers)) await this.endUpdate();
    else await this.rescheduleWakeUp();
  }

  /** A former primary leaves Updating once every message of the change was delivered. */
  private async endUpdate(): Promise<void> {
    await this.tx(async (keys) => {
      const record = await keys.record();
      if (record?.updating === true && !(await multiRegionPending(keys.tx))) keys.update(record, { updating: undefined });
    });
  }

  // ---- imported key material (the guide's "Importing Key Material") ------------------------------

  /**
   * A fresh RSA-2048 wrapping key pair and an import token bound to this key, the pair and the
   * algorithm; the private key is kept sealed under the root key until it is used or expires.
   */
  async getParametersForImport(call: KeyCall, algorithm: WrappingAlgorithm, audit?: AuditDraft): Promise<KeyResult<ImportParameters>> {
    const guard = (keys: KeyRecords) =>
      keys.guard(call, "GetParametersForImport", "kms:GetParametersForImport", this.keys).then(externalOnly);
    const result = await this.call(call, audit, async (commit) => {
      await this.tx(guard);
      const pair = await generateWrappingKeyPair();
      try {
        return await commit(
          async (keys) => {
            // Key generation let other calls run: check the key again before storing anything.
            const record = await guard(keys);
            const rootKeys = this.ports.rootKeys();
            const claims: ImportTokenClaims = {
              tokenId: newTokenId(),
              validTo: Date.now() + this.settings.importParametersValidMs,
              algorithm,
              publicKeyHash: publicKeyHash(pair.publicKey),
            };
            keys.putPendingImport(claims.tokenId, { ...claims, ...sealWrappingKey(rootKeys, record.arn, claims.tokenId, pair.privateKey) });
            return {
              keyArn: record.arn,
              publicKey: pair.publicKey,
              importToken: issueImportToken(rootKeys, record.arn, claims),
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
  async importKeyMaterial(call: KeyCall, input: NewKeyMaterial, audit?: AuditDraft): Promise<KeyResult<MaterialResult>> {
    const guard = (keys: KeyRecords) => keys.guard(call, "ImportKeyMaterial", "kms:ImportKeyMaterial", this.keys).then(externalOnly);
    const result = await this.call(call, audit, async (commit) => {
      const spent = await this.tx(async (keys) => {
        const before = await guard(keys);
        const rootKeys = this.ports.rootKeys();
        const claims = openImportToken(rootKeys, before.arn, input.importToken);
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
      const rootKeys = this.ports.rootKeys();
      const privateKey = unsealWrappingKey(rootKeys, spent.arn, spent.claims.tokenId, spent.pending);
      let material: Uint8Array | undefined;
      try {
        material = await unwrapKeyMaterial(spent.claims.algorithm, privateKey, input.encryptedKeyMaterial);
      } finally {
        wipe(privateKey);
      }
      try {
        const installed = material;
        return await commit(
          async (keys): Promise<MaterialResult> => {
            // Unwrapping let other calls run: the key may have been scheduled for deletion meanwhile.
            const record = await guard(keys);
            // Undefined: OAEP failed, or a PKCS #1 v1.5 blob was malformed or badly padded (import-wrapping.ts).
            if (installed === undefined || !importedMaterialFits(keySpecOf(record), installed.length)) {
              throw new KmsError("InvalidCiphertextException", "KMS could not decrypt the encrypted (wrapped) key material.");
            }
            const installedResult = await installMaterial(keys, record, rootKeys, installed, input, Date.now());
            // A multi-Region primary's replicas learn of new material (never the material itself); a
            // replica tells its primary when it holds material pending rotation.
            const saved = await keys.record();
            if (saved !== undefined && isPrimary(saved) && otherMembers(saved).length > 0) await queueSync(keys, saved, rootKeys);
            if (saved !== undefined && isReplica(saved)) {
              const m = (await keys.materials()).find((x) => x.keyMaterialId === installedResult.keyMaterialId);
              if (m?.pendingRotation === true) queueImported(keys.tx, saved, m.keyMaterialId, true);
            }
            return installedResult;
          },
          (r) => ({ KeyId: r.keyArn, KeyMaterialId: r.keyMaterialId }),
        );
      } finally {
        if (material !== undefined) wipe(material);
      }
    });
    if (result.ok) await this.deliverMultiRegion();
    await this.rescheduleWakeUp();
    return result;
  }

  /**
   * DeleteImportedKeyMaterial: one material (the current one unless `keyMaterialId` names another)
   * is deleted now, as its expiry would delete it. Material pending rotation is forgotten outright;
   * other material stays listed (PENDING_IMPORT) and can be reimported. Deleting the current material
   * puts the key in PendingImport.
   */
  async deleteImportedMaterial(call: KeyCall, keyMaterialId?: string, audit?: AuditDraft): Promise<KeyResult<MaterialResult>> {
    const result = await this.call(call, audit, (commit) =>
      commit(
        async (keys): Promise<MaterialResult> => {
          const record = externalOnly(await keys.guard(call, "DeleteImportedKeyMaterial", "kms:DeleteImportedKeyMaterial", this.keys));
          const materials = await keys.materials();
          const wanted = keyMaterialId ?? record.currentKeyMaterialId;
          const target = materials.find((m) => m.keyMaterialId === wanted);
          if (keyMaterialId !== undefined && target === undefined) {
            throw new KmsError("NotFoundException", `Key material ${keyMaterialId} is not associated with ${record.arn}.`);
          }
          if (target === undefined) {
            // No material records (no material yet, or imported before materials were listed).
            await removeMaterial(keys, record);
            return { keyArn: record.arn };
          }
          await forgetMaterial(keys, record, target, this.ports.rootKeys());
          return { keyArn: record.arn, keyMaterialId: target.keyMaterialId };
        },
        (r) => ({ KeyId: r.keyArn, ...(r.keyMaterialId === undefined ? {} : { KeyMaterialId: r.keyMaterialId }) }),
      ),
    );
    if (result.ok) {
      await this.deliverMultiRegion();
      await this.rescheduleWakeUp();
    }
    return result;
  }

  // ---- rotation ----------------------------------------------------------------------------------

  /** One rotation "day": the configured default period over its 365 days (tests shorten it). */
  private get rotationDayMs(): number {
    return this.settings.rotationPeriodMs / DEFAULT_ROTATION_PERIOD_IN_DAYS;
  }

  private rotationPeriodMs(record: KeyRecord): number {
    return (record.rotationPeriodInDays ?? DEFAULT_ROTATION_PERIOD_IN_DAYS) * this.rotationDayMs;
  }

  /**
   * EnableKeyRotation (with its RotationPeriodInDays, 365 when absent) and DisableKeyRotation.
   * Enabling a disabled key's rotation schedules the first rotation one period from now; changing
   * an enabled key's period keeps the start of the current cycle and moves the next date to one new
   * period after it (never into the past).
   */
  async setRotation(call: KeyCall, enabled: boolean, periodInDays?: number, audit?: AuditDraft): Promise<KeyResult<null>> {
    const operation = enabled ? "EnableKeyRotation" : "DisableKeyRotation";
    const result = await this.call(call, audit, (commit) =>
      commit(async (keys) => {
        const record = await keys.guard(call, operation, `kms:${operation}`, this.keys, refuseReplica(refuseExternal));
        if (!enabled) {
          await queueSync(
            keys,
            keys.update(record, { rotationEnabled: false, nextRotation: undefined, rotationPeriodInDays: undefined }),
            this.ports.rootKeys(),
          );
          return null;
        }
        const now = Date.now();
        const days = periodInDays ?? DEFAULT_ROTATION_PERIOD_IN_DAYS;
        const period = days * this.rotationDayMs;
        let nextRotation = now + period;
        if (record.rotationEnabled && record.nextRotation !== undefined) {
          const cycleStart = record.nextRotation - this.rotationPeriodMs(record);
          nextRotation = Math.max(now, cycleStart + period);
        }
        await queueSync(
          keys,
          keys.update(record, { rotationEnabled: true, nextRotation, rotationPeriodInDays: days }),
          this.ports.rootKeys(),
        );
        return null;
      }),
    );
    if (result.ok) await this.rescheduleWakeUp([Date.now() + this.settings.auditForwardDelayMs]);
    return result;
  }

  async rotationStatus(call: KeyCall, audit?: AuditDraft): Promise<KeyResult<RotationStatus>> {
    return this.call(call, audit, (commit) =>
      commit(async (keys): Promise<RotationStatus> => {
        const record = await keys.guard(call, "GetKeyRotationStatus", "kms:GetKeyRotationStatus", this.keys, refuseExternal);
        // AWS: "While a KMS key is pending deletion, its key rotation status is false" (and comes back on cancel).
        const enabled = record.rotationEnabled && record.keyState !== "PendingDeletion" && record.keyState !== "PendingReplicaDeletion";
        const status: RotationStatus = { KeyRotationEnabled: enabled };
        if (enabled) {
          status.RotationPeriodInDays = record.rotationPeriodInDays ?? DEFAULT_ROTATION_PERIOD_IN_DAYS;
          if (record.nextRotation !== undefined) status.NextRotationDate = new Date(record.nextRotation);
        }
        if (record.onDemandRotationStartDate !== undefined) status.OnDemandRotationStartDate = new Date(record.onDemandRotationStartDate);
        return status;
      }),
    );
  }

  /**
   * RotateKeyOnDemand: accepted here, carried out by the key's wake-up right after (AWS rotates in
   * the background; GetKeyRotationStatus shows OnDemandRotationStartDate until it completes). The
   * automatic schedule is not changed. Returns the key ID (AWS's RotateKeyOnDemandResponse names
   * the key by its ID, not its ARN).
   */
  async rotateOnDemand(call: KeyCall, audit?: AuditDraft): Promise<KeyResult<string>> {
    const result = await this.call(call, audit, (commit) =>
      commit(
        async (keys) => {
          const record = await keys.guard(call, "RotateKeyOnDemand", "kms:RotateKeyOnDemand", this.keys, refuseReplica(refuseNonSymmetric));
          const waiting = (await keys.materials()).find((m) => awaitsReplicaImport(record, m));
          if (record.origin === "EXTERNAL" && waiting !== undefined) {
            const missing = record.multiRegion!.replicaArns.filter((arn) => !(waiting.importedBy ?? []).includes(arn));
            throw new KmsError(
              "KMSInvalidStateException",
              `Key material ${waiting.keyMaterialId} is pending import into replica keys of ${record.arn}: import the same key material into ${missing.join(", ")} first.`,
            );
          }
          // A key with imported material rotates to material imported for it (PENDING_ROTATION).
          if (record.origin === "EXTERNAL" && !(await keys.materials()).some((m) => m.pendingRotation === true && m.imported === true)) {
            throw new KmsError(
              "UnsupportedOperationException",
              `${record.arn} has no imported key material pending rotation: import new key material (ImportType NEW_KEY_MATERIAL) first.`,
            );
          }
          const now = Date.now();
          if (record.onDemandRotationStartDate !== undefined) {
            throw new KmsError("ConflictException", `An on-demand rotation of ${record.arn} is already in progress.`);
          }
          const guardMs = AUTOMATIC_ROTATION_GUARD_MS * (this.rotationDayMs / DAY_MS);
          if (record.rotationEnabled && record.nextRotation !== undefined && record.nextRotation - now < guardMs) {
            throw new KmsError(
              "ConflictException",
              "The request was rejected because an automatic rotation of this key is currently in progress or scheduled to begin within the next 20 minutes.",
            );
          }
          const used = record.onDemandRotations ?? 0;
          if (used >= ON_DEMAND_ROTATION_LIMIT) {
            throw new KmsError(
              "LimitExceededException",
              `${record.arn} has reached the limit of ${ON_DEMAND_ROTATION_LIMIT} on-demand rotations per KMS key.`,
            );
          }
          keys.update(record, { onDemandRotations: used + 1, onDemandRotationStartDate: now });
          return record.keyId;
        },
        (keyId) => ({ KeyId: keyId }),
      ),
    );
    if (result.ok) await this.rescheduleWakeUp();
    return result;
  }

  /**
   * ListKeyRotations: the key's materials in version order — only those that became current by a
   * rotation (ROTATIONS_ONLY, the default), or every one (ALL_KEY_MATERIAL). The marker is the last
   * version listed.
   */
  async listRotations(
    call: KeyCall,
    include: "ALL_KEY_MATERIAL" | "ROTATIONS_ONLY",
    limit: number,
    marker: string | undefined,
    audit?: AuditDraft,
  ): Promise<KeyResult<RotationPage>> {
    return this.call(call, audit, (commit) =>
      commit(async (keys): Promise<RotationPage> => {
        const record = await keys.guard(call, "ListKeyRotations", "kms:ListKeyRotations", this.keys);
        let after = marker === undefined ? 0 : decodeMarker(marker, "rotations");
        const entries: RotationEntry[] = [];
        let lastListed = after;
        let more = false;
        for (;;) {
          const batch = await keys.materials(after, limit + 1);
          for (const material of batch) {
            if (include === "ROTATIONS_ONLY" && material.rotationDate === undefined) continue;
            if (entries.length === limit) {
              more = true;
              break;
            }
            const entry: RotationEntry = {
              KeyId: record.arn,
              KeyMaterialId: material.keyMaterialId,
              KeyMaterialState:
                material.pendingRotation === true
                  ? awaitsReplicaImport(record, material)
                    ? "PENDING_MULTI_REGION_IMPORT_AND_ROTATION"
                    : "PENDING_ROTATION"
                  : material.keyMaterialId === record.currentKeyMaterialId
                    ? "CURRENT"
                    : "NON_CURRENT",
            };
            if (record.origin === "EXTERNAL") {
              if (material.description !== undefined) entry.KeyMaterialDescription = material.description;
              entry.ImportState = material.imported === true ? "IMPORTED" : "PENDING_IMPORT";
              if (material.expirationModel !== undefined) entry.ExpirationModel = material.expirationModel;
              if (material.validTo !== undefined) entry.ValidTo = new Date(material.validTo);
            }
            if (material.rotationDate !== undefined) entry.RotationDate = new Date(material.rotationDate);
            if (material.rotationType !== undefined) entry.RotationType = material.rotationType;
            entries.push(entry);
            lastListed = material.version;
          }
          if (more || batch.length < limit + 1) break;
          after = batch[batch.length - 1]!.version;
        }
        if (!more) return { Rotations: entries, Truncated: false };
        return { Rotations: entries, Truncated: true, NextMarker: encodeMarker("rotations", lastListed) };
      }),
    );
  }

  /**
   * GetKeyLastUsage: the last successful cryptographic call on this key (its operation, time,
   * CloudTrail eventID and request ID), empty when there was none since TrackingStartDate.
   */
  async lastUsage(call: KeyCall, audit?: AuditDraft): Promise<KeyResult<KeyLastUsage>> {
    return this.call(call, audit, (commit) =>
      commit(async (keys): Promise<KeyLastUsage> => {
        const record = await keys.guard(call, "GetKeyLastUsage", "kms:GetKeyLastUsage", this.keys);
        const usage = await keys.lastUsage();
        return {
          KeyId: record.keyId,
          KeyLastUsage:
            usage === undefined
              ? {}
              : {
                  Operation: usage.operation,
                  Timestamp: new Date(usage.timestamp),
                  CloudTrailEventId: usage.cloudTrailEventId,
                  KmsRequestId: usage.kmsRequestId,
                },
          TrackingStartDate: new Date(Math.max(LAST_USAGE_TRACKING_START, record.creationDate)),
          KeyCreationDate: new Date(record.creationDate),
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
    if (await forwardMultiRegion(this.store, this.ports.peers)) await this.endUpdate();
    else retry.push(now + RETRY_MS);

    const tombstone = await this.tx(async (keys) => {
      const pending = await keys.record();
      if (pending?.keyState === "PendingDeletion" && pending.deletionDate !== undefined && pending.deletionDate <= now) {
        const tombstone = await keys.bury(pending);
        // The rest of a multi-Region set forgets this key (a primary waiting for it moves on).
        queueLeft(keys.tx, pending);
        return tombstone;
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
      if (record === undefined) return undefined;
      // The current material expires at the key's ValidTo; other imported material at its own.
      const materials = record.origin === "EXTERNAL" ? await keys.materials() : [];
      const due = materials.filter(
        (m) => m.imported === true && m.keyMaterialId !== record.currentKeyMaterialId && m.validTo !== undefined && m.validTo <= now,
      );
      const currentDue = record.currentVersion > 0 && record.validTo !== undefined && record.validTo <= now;
      if (due.length === 0 && !currentDue) return undefined;
      let current = record;
      for (const m of due) {
        current = await forgetMaterial(keys, current, m, this.ports.rootKeys());
      }
      if (currentDue) {
        const material = materials.find((m) => m.keyMaterialId === record.currentKeyMaterialId);
        if (material === undefined) await removeMaterial(keys, current);
        else dropMaterial(keys, current, material);
      }
      return record.arn;
    });
    if (expired !== undefined) {
      // Expired material pending rotation: the rest of a multi-Region set hears of it.
      if (!(await forwardMultiRegion(this.store, this.ports.peers))) retry.push(now + RETRY_MS);
      await this.recordKeyEvent("KMS Imported Key Material Expiration", expired);
    }

    const rotated = await this.tx(async (keys) => {
      const record = await keys.record();
      if (record === undefined) return undefined;
      const automatic =
        record.rotationEnabled &&
        record.nextRotation !== undefined &&
        record.nextRotation <= now &&
        record.keyState === "Enabled" &&
        !isReplica(record);
      const onDemand = record.onDemandRotationStartDate !== undefined && record.onDemandRotationStartDate <= now;
      if (!automatic && !onDemand) return undefined;
      const changes: Partial<KeyRecord> = {};
      if (automatic) {
        let next = record.nextRotation!;
        while (next <= now) next += this.rotationPeriodMs(record);
        changes.nextRotation = next;
      }
      if (onDemand) changes.onDemandRotationStartDate = undefined;
      // Both due at once (a late wake-up): one new version serves both, as AWS never rotates twice in a row.
      const type: RotationType = onDemand ? "ON_DEMAND" : "AUTOMATIC";
      const updated = keys.update(record, changes);
      if (record.origin !== "EXTERNAL") {
        this.addVersion(keys, updated, now, type);
        // A multi-Region primary's new material reaches its replicas.
        const rotatedRecord = await keys.record();
        if (rotatedRecord !== undefined) await queueSync(keys, rotatedRecord, this.ports.rootKeys());
        return { arn: record.arn, version: record.currentVersion + 1 };
      }
      // Imported material: the material imported for this rotation becomes current (if it is
      // still there: deleting it meanwhile cancels the rotation).
      const pending = (await keys.materials()).find((m) => m.pendingRotation === true && m.imported === true);
      if (pending === undefined) return undefined;
      keys.putMaterial({ ...pending, pendingRotation: undefined, importedBy: undefined, rotationDate: now, rotationType: type });
      const rotatedRecord = keys.update(updated, {
        currentVersion: pending.version,
        currentKeyMaterialId: pending.keyMaterialId,
        expirationModel: pending.expirationModel,
        validTo: pending.validTo,
      });
      // A multi-Region primary's replicas make the same material current.
      if (isPrimary(rotatedRecord)) await queueSync(keys, rotatedRecord, this.ports.rootKeys());
      return { arn: record.arn, version: pending.version };
    });
    if (rotated !== undefined) {
      if (!(await forwardMultiRegion(this.store, this.ports.peers))) retry.push(now + RETRY_MS);
      await this.recordKeyEvent(
        "KMS CMK Rotation",
        rotated.arn,
        new Date(now),
        await stableEventId("rotation", rotated.arn, String(rotated.version)),
      );
    }
    await this.rescheduleWakeUp(retry);
  }

  /** Makes a fresh backing key the key's current version and lists it as a rotation. */
  private addVersion(keys: KeyRecords, record: KeyRecord, now: number, rotationType: RotationType): void {
    const version = record.currentVersion + 1;
    const keyMaterialId = newKeyMaterialId();
    keys.putVersion(version, newBackingKey(this.ports.rootKeys(), record.arn, version, now));
    keys.putMaterial({ version, keyMaterialId, rotationDate: now, rotationType });
    keys.update(record, { currentVersion: version, currentKeyMaterialId: keyMaterialId });
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
      if (!(await forwardMultiRegion(this.store, this.ports.peers))) return false;
    } catch (err) {
      console.error("key deletion: second step failed; retrying", (err as Error)?.name);
      return false;
    }
    // A key is deleted once: a second run of this step (at-least-once wake-ups) records nothing new.
    await this.recordKeyEvent("KMS CMK Deletion", tombstone.arn, new Date(), await stableEventId("deletion", tombstone.arn));
    await this.destroy();
    return true;
  }

  /**
   * Records one of the guide's key events. An audit outage must not hold back a deletion, an
   * expiry or a rotation, so a failure is logged (by error name only) and the step stands.
   */
  private async recordKeyEvent(
    type: "KMS CMK Rotation" | "KMS CMK Deletion" | "KMS Imported Key Material Expiration",
    arn: string,
    time = new Date(),
    id?: string,
  ) {
    try {
      await this.ports.audit.keyEvent(keyEvent(type, arn, time, id));
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
  ): Promise<KeyResult<{ keyArn: string; ciphertext: Uint8Array; keyMaterialId?: string }>> {
    const action = operation === "ReEncrypt" ? "kms:ReEncryptTo" : `kms:${operation}`;
    return this.call(call, audit, (commit) =>
      commit(async (keys) => {
        const record = await keys.guard(withEncryptionContext(call, context), operation, action, this.keys);
        requireSymmetricEncryption(record, operation);
        return { keyArn: record.arn, ciphertext: await this.seal(keys, record, plaintext, context), ...materialIdOf(record) };
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
  ): Promise<KeyResult<{ keyArn: string; ciphertext: Uint8Array; plaintext?: Uint8Array; keyMaterialId?: string }>> {
    return this.call(call, audit, (commit) =>
      commit(async (keys) => {
        const record = await keys.guard(withEncryptionContext(call, context), operation, `kms:${operation}`, this.keys);
        requireSymmetricEncryption(record, operation);
        const dataKey = crypto.getRandomValues(new Uint8Array(length));
        const ciphertext = await this.seal(keys, record, dataKey, context);
        if (operation === "GenerateDataKey") return { keyArn: record.arn, ciphertext, plaintext: dataKey, ...materialIdOf(record) };
        wipe(dataKey);
        return { keyArn: record.arn, ciphertext, ...materialIdOf(record) };
      }),
    );
  }

  /**
   * GenerateDataKeyPair(WithoutPlaintext): checks the caller and the key first, then generates the
   * pair (slow for RSA, so outside the transaction, and only for a caller allowed to ask), then
   * seals its PKCS #8 private key under this key, checking again. The private key is returned only
   * for GenerateDataKeyPair.
   */
  async generateDataKeyPair(
    call: KeyCall,
    operation: "GenerateDataKeyPair" | "GenerateDataKeyPairWithoutPlaintext",
    keyPairSpec: string,
    context: EncryptionContext,
    audit?: AuditDraft,
  ): Promise<KeyResult<{ keyArn: string; ciphertext: Uint8Array; publicKey: Uint8Array; privateKey?: Uint8Array }>> {
    const guarded = withEncryptionContext(call, context);
    const check = async (keys: KeyRecords) => {
      const record = await keys.guard(guarded, operation, `kms:${operation}`, this.keys);
      requireSymmetricEncryption(record, operation);
      return record;
    };
    return this.call(call, audit, async (commit) => {
      await this.tx(check);
      const pair = await generateKeyPair(keyPairSpec);
      try {
        const sealed = await commit(async (keys) => {
          const record = await check(keys);
          return { keyArn: record.arn, ciphertext: await this.seal(keys, record, pair.privateKey, context) };
        });
        if (operation === "GenerateDataKeyPair") return { ...sealed, publicKey: pair.publicKey, privateKey: pair.privateKey };
        wipe(pair.privateKey);
        return { ...sealed, publicKey: pair.publicKey };
      } catch (err) {
        wipe(pair.privateKey);
        throw err;
      }
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
    audit?: AuditDraft,
  ): Promise<KeyResult<{ keyArn: string; plaintext: Uint8Array; keyMaterialId?: string }>> {
    const action = operation === "ReEncrypt" ? "kms:ReEncryptFrom" : "kms:Decrypt";
    return this.call(call, audit, (commit) =>
      commit(async (keys) => {
        const record = await keys.guard(withEncryptionContext(call, context), operation, action, this.keys);
        requireSymmetricEncryption(record, operation);
        // DryRunModifiers IGNORE_CIPHERTEXT: authorization and key state only (the dry run ends in commit).
        if (call.dryRun?.ignoreCiphertext === true) return { keyArn: record.arn, plaintext: new Uint8Array(0) };
        const header = readCiphertextHeader(blob);
        // A multi-Region key opens the blobs of every key of its set (they share its backing keys).
        if (header === undefined || !opensCiphertextOf(record, header.keyArn)) throw invalidCiphertext();
        const stored = await keys.version(header.backingKeyVersion);
        if (stored === undefined) throw invalidCiphertext();
        const backingKey = unsealBackingKey(this.ports.rootKeys(), record.arn, stored);
        try {
          const plaintext = openCiphertext(backingKey, blob, encodeEncryptionContext(context));
          if (plaintext === undefined) throw invalidCiphertext();
          // Decrypt's KeyMaterialId: the material that sealed the blob (one more read in the same transaction).
          const material = await keys.material(header.backingKeyVersion);
          return { keyArn: record.arn, plaintext, ...(material === undefined ? {} : { keyMaterialId: material.keyMaterialId }) };
        } finally {
          wipe(backingKey);
        }
      }),
    );
  }

  private async seal(keys: KeyRecords, record: KeyRecord, plaintext: Uint8Array, context: EncryptionContext): Promise<Uint8Array> {
    const stored = await keys.version(record.currentVersion);
    if (stored === undefined) throw new Error("backing key version missing");
    const backingKey = unsealBackingKey(this.ports.rootKeys(), record.arn, stored);
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

  // ---- asymmetric and HMAC keys (operations in key-pair-operations.ts) ----------------------------

  /**
   * Runs one operation of an asymmetric or HMAC key: the guard and `check` (usage, algorithm,
   * message rules) in a transaction, then `use` outside it — WebCrypto is asynchronous — with the
   * sealed material unsealed only inside `withSecret`, then the guard again and the audit record in
   * the final transaction. A key disabled meanwhile answers as disabled and its result is dropped.
   */
  private async useKey<T>(
    call: KeyCall,
    audit: AuditDraft | undefined,
    operation: KeyStateGuardedOperation,
    check: (record: KeyRecord) => void,
    use: (record: KeyRecord, withSecret: <R>(body: (secret: Uint8Array) => Promise<R> | R) => Promise<R>) => Promise<T>,
    action = `kms:${operation}`,
  ): Promise<KeyResult<T>> {
    return this.call(call, audit, async (commit) => {
      const { record, sealed } = await this.tx(async (keys) => {
        const record = await keys.guard(call, operation, action, this.keys);
        check(record);
        return { record, sealed: await keys.version(record.currentVersion) };
      });
      const withSecret = async <R>(body: (secret: Uint8Array) => Promise<R> | R): Promise<R> => {
        if (sealed === undefined) throw new Error("key material missing");
        const secret = unsealBackingKey(this.ports.rootKeys(), record.arn, sealed);
        try {
          return await body(secret);
        } finally {
          wipe(secret);
        }
      };
      const value = await use(record, withSecret);
      return commit(async (keys) => {
        check(await keys.guard(call, operation, action, this.keys));
        return value;
      });
    });
  }

  async getPublicKey(call: KeyCall, audit?: AuditDraft): Promise<KeyResult<GetPublicKeyResponse>> {
    return this.useKey(call, audit, "GetPublicKey", pairs.checkGetPublicKey, async (record) => pairs.publicKeyOf(record));
  }

  async sign(call: KeyCall, input: pairs.SigningInput, audit?: AuditDraft): Promise<KeyResult<{ keyArn: string; signature: Uint8Array }>> {
    return this.useKey(
      call,
      audit,
      "Sign",
      (record) => pairs.checkSigning(record, "Sign", input),
      async (record, withSecret) => ({
        keyArn: record.arn,
        signature: await withSecret((key) => pairs.sign(record, key, input, this.ports.rsa)),
      }),
    );
  }

  /** Verify with the stored public key. @returns KMSInvalidSignatureException for a signature that is not valid. */
  async verify(
    call: KeyCall,
    input: pairs.SigningInput,
    signature: Uint8Array,
    audit?: AuditDraft,
  ): Promise<KeyResult<{ keyArn: string }>> {
    return this.useKey(
      call,
      audit,
      "Verify",
      (record) => pairs.checkSigning(record, "Verify", input),
      async (record) => (await pairs.verify(record, input, signature, this.ports.rsa)) && { keyArn: record.arn },
    );
  }

  async generateMac(
    call: KeyCall,
    algorithm: MacAlgorithmSpec,
    message: Uint8Array,
    audit?: AuditDraft,
  ): Promise<KeyResult<{ keyArn: string; mac: Uint8Array }>> {
    return this.useKey(
      call,
      audit,
      "GenerateMac",
      (record) => pairs.checkMac(record, "GenerateMac", algorithm),
      async (record, withSecret) => ({ keyArn: record.arn, mac: await withSecret((key) => pairs.generateMac(key, algorithm, message)) }),
    );
  }

  /** @returns KMSInvalidMacException for a MAC that does not match. */
  async verifyMac(
    call: KeyCall,
    algorithm: MacAlgorithmSpec,
    message: Uint8Array,
    mac: Uint8Array,
    audit?: AuditDraft,
  ): Promise<KeyResult<{ keyArn: string }>> {
    return this.useKey(
      call,
      audit,
      "VerifyMac",
      (record) => pairs.checkMac(record, "VerifyMac", algorithm),
      async (record, withSecret) => (await withSecret((key) => pairs.verifyMac(key, algorithm, message, mac))) && { keyArn: record.arn },
    );
  }

  /** Encrypt with an RSA key (RSAES-OAEP, public key) or ReEncrypt's destination half. */
  async encryptAsymmetric(
    call: KeyCall,
    operation: "Encrypt" | "ReEncrypt",
    algorithm: EncryptionAlgorithmSpec,
    plaintext: Uint8Array,
    audit?: AuditDraft,
  ): Promise<KeyResult<{ keyArn: string; ciphertext: Uint8Array }>> {
    const check = (record: KeyRecord) => {
      pairs.checkRsaEncryption(record, operation, algorithm);
      pairs.checkRsaPlaintext(record, algorithm as pairs.RsaEncryptionAlgorithm, plaintext);
    };
    const action = operation === "ReEncrypt" ? "kms:ReEncryptTo" : "kms:Encrypt";
    const encrypt = async (record: KeyRecord) => ({
      keyArn: record.arn,
      ciphertext: await pairs.rsaEncryptWith(record, algorithm as pairs.RsaEncryptionAlgorithm, plaintext),
    });
    return this.useKey(call, audit, operation, check, encrypt, action);
  }

  /** Decrypt with an RSA key (or ReEncrypt's source half). Every failure is InvalidCiphertextException. */
  async decryptAsymmetric(
    call: KeyCall,
    operation: "Decrypt" | "ReEncrypt",
    algorithm: EncryptionAlgorithmSpec,
    ciphertext: Uint8Array,
    audit?: AuditDraft,
  ): Promise<KeyResult<{ keyArn: string; plaintext: Uint8Array }>> {
    const action = operation === "ReEncrypt" ? "kms:ReEncryptFrom" : "kms:Decrypt";
    const check = (record: KeyRecord) => pairs.checkRsaEncryption(record, operation, algorithm);
    const decrypt = async (record: KeyRecord, withSecret: <R>(body: (secret: Uint8Array) => Promise<R> | R) => Promise<R>) => {
      // A dry run with IGNORE_CIPHERTEXT tests permissions, usage and key state, whatever the ciphertext.
      if (call.dryRun?.ignoreCiphertext === true) return { keyArn: record.arn, plaintext: new Uint8Array(0) };
      return {
        keyArn: record.arn,
        plaintext: await withSecret((key) => pairs.rsaDecryptWith(key, algorithm as pairs.RsaEncryptionAlgorithm, ciphertext)),
      };
    };
    return this.useKey(call, audit, operation, check, decrypt, action);
  }

  async deriveSharedSecret(
    call: KeyCall,
    algorithm: string,
    peerPublicKey: Uint8Array,
    audit?: AuditDraft,
  ): Promise<KeyResult<{ keyArn: string; sharedSecret: Uint8Array; origin: KeyRecord["origin"] }>> {
    return this.useKey(
      call,
      audit,
      "DeriveSharedSecret",
      (record) => pairs.checkKeyAgreement(record, algorithm),
      async (record, withSecret) => ({
        keyArn: record.arn,
        origin: record.origin,
        sharedSecret: await withSecret((key) => pairs.deriveWith(record, key, peerPublicKey)),
      }),
    );
  }

  async encapsulate(
    call: KeyCall,
    algorithm: string,
    audit?: AuditDraft,
  ): Promise<KeyResult<{ keyArn: string; sharedSecret: Uint8Array; ciphertext: Uint8Array }>> {
    return this.useKey(
      call,
      audit,
      "Encapsulate",
      (record) => pairs.checkKem(record, "Encapsulate", algorithm),
      async (record) => ({ keyArn: record.arn, ...pairs.encapsulateWith(record) }),
    );
  }

  async decapsulate(
    call: KeyCall,
    algorithm: string,
    ciphertext: Uint8Array,
    audit?: AuditDraft,
  ): Promise<KeyResult<{ keyArn: string; sharedSecret: Uint8Array }>> {
    return this.useKey(
      call,
      audit,
      "Decapsulate",
      (record) => pairs.checkKem(record, "Decapsulate", algorithm),
      async (record, withSecret) => ({
        keyArn: record.arn,
        sharedSecret: await withSecret((key) => pairs.decapsulateWith(record, key, ciphertext)),
      }),
    );
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
        checkGrantOperations(key, input.operations);
        return { key, ...(await prepareGrant(keys.grants, key, input, this.settings.grantLimits, now)) };
      };
      const planned = await this.tx(prepare);
      // A dry run indexes nothing: its grant is never stored.
      const entry = planned.existing || call.dryRun !== undefined ? undefined : indexEntry(planned.key.arn, planned.record);
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
            return {
              grantId: grant.grantId,
              grantToken: issueGrantToken(this.ports.rootKeys(), { keyArn: again.key.arn, grantId: grant.grantId }),
            };
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
      if (grant.retiringPrincipal !== undefined && call.dryRun === undefined)
        await this.ports.retirableGrants.remove(grant.retiringPrincipal, call.keyArn, grant.grantId);
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

/**
 * Deletes one imported material's backing key (expiry or DeleteImportedKeyMaterial); it stays
 * listed as PENDING_IMPORT. When it is the current material the key goes to PendingImport (unless
 * it is pending deletion) until it is reimported.
 */
function dropMaterial(keys: KeyRecords, record: KeyRecord, material: KeyMaterialRecord): KeyRecord {
  keys.deleteVersion(material.version);
  keys.putMaterial({ ...material, imported: false, expirationModel: undefined, validTo: undefined });
  if (material.keyMaterialId !== record.currentKeyMaterialId) return record;
  return keys.update(record, {
    currentVersion: 0,
    keyState: record.keyState === "PendingDeletion" ? "PendingDeletion" : "PendingImport",
    expirationModel: undefined,
    validTo: undefined,
  });
}

/**
 * Deletes material pending rotation (DeleteImportedKeyMaterial, or its expiry) or, when it is not
 * pending, drops it as dropMaterial does. Pending material is the primary's to forget: for a
 * multi-Region primary the whole set forgets it (AWS: "you'll also be deleting the key materials
 * for the replica Region keys"); a replica only drops its own copy, keeps it listed and tells its
 * primary it no longer holds it.
 */
async function forgetMaterial(keys: KeyRecords, record: KeyRecord, material: KeyMaterialRecord, rootKeys: RootKeyRing): Promise<KeyRecord> {
  if (material.pendingRotation !== true) return dropMaterial(keys, record, material);
  if (isReplica(record)) {
    queueImported(keys.tx, record, material.keyMaterialId, false);
    return dropMaterial(keys, record, material);
  }
  keys.deleteVersion(material.version);
  keys.deleteMaterial(material.version);
  return isPrimary(record) && otherMembers(record).length > 0 ? queueSync(keys, record, rootKeys) : record;
}

function incorrectMaterial(): KmsError {
  return new KmsError(
    "IncorrectKeyMaterialException",
    "The key material is not the same key material that was previously imported into this KMS key.",
  );
}

/**
 * Installs unwrapped material (ImportKeyMaterial's last step, inside its transaction). The
 * material's ID is derived from the key and the material, so a reimport is recognised whatever
 * the request says; ImportType defaults to NEW_KEY_MATERIAL for a key that never had material and
 * EXISTING_KEY_MATERIAL afterwards, as AWS's does.
 * - NEW, first material: it becomes the key's current material (PendingImport → Enabled).
 * - NEW, later: it waits as PENDING_ROTATION for RotateKeyOnDemand (one at a time).
 * - EXISTING: it must be material the key already has (and KeyMaterialId, when given, that one);
 *   its backing key comes back, with the new expiration, and the key is usable again when it is the current one.
 * @throws IncorrectKeyMaterialException, ValidationException, KMSInvalidStateException
 */
async function installMaterial(
  keys: KeyRecords,
  record: KeyRecord,
  rootKeys: RootKeyRing,
  installed: Uint8Array,
  input: NewKeyMaterial,
  now: number,
): Promise<MaterialResult> {
  // A replica recognises the set's material only through the set's fingerprint key: never a key of its own.
  if (isReplica(record) && record.fingerprintKey === undefined) {
    throw new KmsError("KMSInvalidStateException", `${record.arn} has not yet received its primary key's import settings; try again.`);
  }
  record = await withOwnFingerprintKey(keys, rootKeys, record);
  // One fingerprint under the key's own fingerprint key; one per configured root key for a key
  // whose fingerprints' root key cannot be told (material-fingerprints.ts).
  const candidates = fingerprintCandidates(rootKeys, record, installed);
  let materials = await keys.materials();
  // A key whose material was imported before materials were listed: its one material is version 1.
  if (materials.length === 0 && record.materialFingerprint !== undefined) {
    const legacy: KeyMaterialRecord = {
      version: 1,
      keyMaterialId: importedMaterialId(record.materialFingerprint),
      imported: record.currentVersion > 0,
      ...(record.expirationModel === undefined ? {} : { expirationModel: record.expirationModel }),
      ...(record.validTo === undefined ? {} : { validTo: record.validTo }),
    };
    materials = [legacy];
    keys.putMaterial(legacy);
    record = keys.update(record, { currentKeyMaterialId: legacy.keyMaterialId });
  }
  // A replica takes only the material its primary has: it cannot be given new material directly.
  const replica = isReplica(record);
  const importType = input.importType ?? (materials.length === 0 && !replica ? "NEW_KEY_MATERIAL" : "EXISTING_KEY_MATERIAL");
  const candidateIds = candidates.map(importedMaterialId);
  const existing = materials.find((m) => candidateIds.includes(m.keyMaterialId));
  if (importType === "NEW_KEY_MATERIAL" && existing === undefined && replica) {
    throw new KmsError(
      "UnsupportedOperationException",
      `${record.arn} is a multi-Region replica key: import new key material into its primary key, ${record.multiRegion!.primaryArn}, then the same key material into the replica (ImportType EXISTING_KEY_MATERIAL).`,
    );
  }
  const fingerprint = existing === undefined ? candidates[0]! : candidates[candidateIds.indexOf(existing.keyMaterialId)]!;
  const keyMaterialId = importedMaterialId(fingerprint);
  const expiry = {
    expirationModel: input.expirationModel,
    validTo: input.expirationModel === "KEY_MATERIAL_EXPIRES" ? input.validTo : undefined,
  };

  if (importType === "EXISTING_KEY_MATERIAL") {
    if (existing === undefined || (input.keyMaterialId !== undefined && input.keyMaterialId !== keyMaterialId)) throw incorrectMaterial();
    keys.putVersion(existing.version, sealBackingKey(rootKeys, record.arn, existing.version, installed, now));
    keys.putMaterial({ ...existing, imported: true, ...expiry, description: input.description ?? existing.description });
    if (keyMaterialId === record.currentKeyMaterialId) {
      keys.update(record, {
        currentVersion: existing.version,
        keyState: record.keyState === "PendingImport" ? "Enabled" : record.keyState,
        ...expiry,
        materialFingerprint: record.materialFingerprint ?? fingerprint,
      });
    }
    return { keyArn: record.arn, keyMaterialId };
  }

  if (existing !== undefined) {
    throw new KmsError(
      "IncorrectKeyMaterialException",
      "This key material was already imported into this KMS key: reimport it with ImportType EXISTING_KEY_MATERIAL.",
    );
  }
  if (materials.length === 0) {
    keys.putVersion(1, sealBackingKey(rootKeys, record.arn, 1, installed, now));
    keys.putMaterial({
      version: 1,
      keyMaterialId,
      imported: true,
      ...expiry,
      ...(input.description === undefined ? {} : { description: input.description }),
    });
    keys.update(record, {
      currentVersion: 1,
      currentKeyMaterialId: keyMaterialId,
      keyState: record.keyState === "PendingImport" ? "Enabled" : record.keyState,
      ...expiry,
      materialFingerprint: fingerprint,
    });
    return { keyArn: record.arn, keyMaterialId };
  }
  if (materials.some((m) => m.pendingRotation === true)) {
    throw new KmsError(
      "KMSInvalidStateException",
      `${record.arn} already has key material pending rotation: rotate to it (RotateKeyOnDemand) or delete it first.`,
    );
  }
  const version = Math.max(...materials.map((m) => m.version)) + 1;
  keys.putVersion(version, sealBackingKey(rootKeys, record.arn, version, installed, now));
  keys.putMaterial({
    version,
    keyMaterialId,
    imported: true,
    pendingRotation: true,
    ...expiry,
    ...(input.description === undefined ? {} : { description: input.description }),
  });
  return { keyArn: record.arn, keyMaterialId };
}

/** The current material's ID for a response's KeyMaterialId (absent for keys from before materials were listed). */
function materialIdOf(record: KeyRecord): { keyMaterialId?: string } {
  return record.currentKeyMaterialId === undefined ? {} : { keyMaterialId: record.currentKeyMaterialId };
}

/** The secret (HMAC key, or PKCS #8 private key with its public key) of a new key of `keySpec`. */
async function newKeyMaterial(keySpec: SupportedKeySpec): Promise<{ secret: Uint8Array; publicKey?: Uint8Array }> {
  if (isHmacSpec(keySpec)) return { secret: crypto.getRandomValues(new Uint8Array(hmacKeyLength(keySpec))) };
  const pair = await generateKeyPair(keySpec);
  return { secret: pair.privateKey, publicKey: pair.publicKey };
}
