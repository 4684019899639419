/**
 * KeyObject: one Durable Object per KMS key (named by its key ARN) — the Cloudflare adapter of
 * the runtime-neutral KeyActor (src/keys/key-actor.ts), which holds every rule. This file only
 * maps the actor's ports onto the platform:
 * - its record store onto the object's own SQLite storage (durable-record-store.ts);
 * - its wake-up onto the object's one alarm (cached, so a busy key sets it once, not per call);
 * - the retiring-grant index and the deletion's registry step onto the AccountRegistry objects;
 * - its audit sink onto the account's AuditLog shards (audit.ts).
 *
 * Each public method is the RPC surface of one family of operations and takes an optional
 * AuditDraft: when present, the call's CloudTrail record is written here, in the operation's own
 * transaction (the audit outbox), and the result says so (`recorded`).
 *
 * Security: key material never leaves this object except as the caller's own plaintexts and data
 * keys; backing keys are sealed under the root key at rest.
 */
import { DurableObject } from "cloudflare:workers";
import { parseKeyArn } from "../src/arn.ts";
import type { AuditDraft } from "../src/audit/outbox.ts";
import type { EncryptionContext } from "../src/crypto/encryption-context.ts";
import type { SigningInput } from "../src/keys/key-pair-operations.ts";
import type { EncryptionAlgorithmSpec, MacAlgorithmSpec } from "../src/protocol/enums.ts";
import { grantLimits, principalAccount, type NewGrant, type RetirableGrantIndex } from "../src/grants/store.ts";
import { configuredRing } from "../src/keys/root-key-ring.ts";
import type { WrappingAlgorithm } from "../src/keys/import-wrapping.ts";
import {
  KeyActor,
  type AliasCheck,
  type EncryptingOperation,
  type KeySettings,
  type NewKey,
  type NewKeyMaterial,
  type NewReplica,
  type SeedDefinition,
} from "../src/keys/key-actor.ts";
import type { MultiRegionMessage } from "../src/keys/multi-region.ts";
import type { Tombstone } from "../src/keys/key-records.ts";
import type { Tag } from "../src/protocol/shapes.ts";
import type { KeyCall } from "../src/service/caller.ts";
import { AlarmClock } from "./alarm-clock.ts";
import { auditSink } from "./audit.ts";
import { settings, type Env } from "./config.ts";
import { DurableRecordStore } from "./durable-record-store.ts";
import { migrateLegacyGrants } from "./legacy-grants.ts";
import { nodeRsaPrimitives } from "./node-rsa.ts";

export type { ImportParameters, NewKey, NewKeyMaterial, ScheduledDeletion, EncryptingOperation } from "../src/keys/key-actor.ts";

function keySettings(env: Env): KeySettings {
  const s = settings(env);
  return {
    rotationPeriodMs: s.rotationPeriodMs,
    deletionDayMs: s.deletionDayMs,
    importParametersValidMs: s.importParametersValidMs,
    grantLimits: grantLimits(env),
    auditForwardDelayMs: s.auditForwardDelayMs,
  };
}

function registry(env: Env, accountId: string, region: string) {
  return env.ACCOUNTS.get(env.ACCOUNTS.idFromName(`${accountId}:${region}`));
}

/** The registry that indexes grants of `retiringPrincipal` on `keyArn`: the principal's account's. */
function indexRegistry(env: Env, keyArn: string, retiringPrincipal: string) {
  const key = parseKeyArn(keyArn);
  if (key === undefined) throw new Error("grant index: not a key ARN");
  return registry(env, principalAccount(retiringPrincipal) ?? key.account, key.region);
}

function retirableGrantIndex(env: Env): RetirableGrantIndex {
  return {
    add: (entry) => indexRegistry(env, entry.KeyId, entry.RetiringPrincipal).indexRetirableGrant(entry),
    remove: (principal, keyArn, grantId) => indexRegistry(env, keyArn, principal).unindexRetirableGrant(principal, keyArn, grantId),
    forgetKey: async (keyArn, principals) => {
      const registries = new Map(principals.map((p) => [indexRegistry(env, keyArn, p).id.toString(), indexRegistry(env, keyArn, p)]));
      for (const r of registries.values()) await r.forgetRetirableGrantsOfKey(keyArn);
    },
  };
}

export class KeyObject extends DurableObject<Env> {
  private readonly actor: KeyActor;
  private readonly clock: AlarmClock;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    void ctx.blockConcurrencyWhile(async () => migrateLegacyGrants(ctx.storage));
    this.clock = new AlarmClock(ctx.storage);
    this.actor = new KeyActor({
      store: new DurableRecordStore(ctx.storage),
      wakeUps: this.clock,
      rootKeys: () => configuredRing(env.ROOT_KEY, env.ROOT_KEY_PREVIOUS),
      settings: () => keySettings(env),
      retirableGrants: retirableGrantIndex(env),
      forgetKey: async (t: Tombstone) => {
        const key = parseKeyArn(t.arn);
        if (key !== undefined) await registry(env, key.account, key.region).removeKey(t.keyId);
      },
      audit: auditSink(env, ctx.id.toString()),
      peers: (arn) => env.KEYS.get(env.KEYS.idFromName(arn)),
      rsa: nodeRsaPrimitives,
    });
  }

  override async alarm(): Promise<void> {
    this.clock.consumed();
    await this.actor.wake();
  }

  // ---- the RPC surface ----------------------------------------------------------------------------

  create(init: NewKey) {
    return this.actor.create(init);
  }

  destroy() {
    return this.actor.destroy();
  }

  resealRootKey(verifyOnly?: boolean) {
    return this.actor.resealRootKey(verifyOnly);
  }

  exportBackup() {
    return this.actor.exportBackup();
  }

  restoreBackup(arn: string, entries: [string, unknown][]) {
    return this.actor.restoreBackup(arn, entries);
  }

  seedStatus(arn: string, expected: SeedDefinition) {
    return this.actor.seedStatus(arn, expected);
  }

  exportReplica(call: KeyCall, replicaArn: string) {
    return this.actor.exportReplica(call, replicaArn);
  }

  createReplica(init: NewReplica) {
    return this.actor.createReplica(init);
  }

  addReplica(call: KeyCall, replicaArn: string, response: unknown, audit?: AuditDraft) {
    return this.actor.addReplica(call, replicaArn, response, audit);
  }

  checkPrimaryUpdate(call: KeyCall, primaryArn: string) {
    return this.actor.checkPrimaryUpdate(call, primaryArn);
  }

  updatePrimaryRegion(call: KeyCall, newPrimaryArn: string, audit?: AuditDraft) {
    return this.actor.updatePrimaryRegion(call, newPrimaryArn, audit);
  }

  receiveMultiRegion(message: MultiRegionMessage) {
    return this.actor.receiveMultiRegion(message);
  }

  describe(call: KeyCall, audit?: AuditDraft) {
    return this.actor.describe(call, audit);
  }

  checkAliasTarget(call: KeyCall, operation: AliasCheck) {
    return this.actor.checkAliasTarget(call, operation);
  }

  setEnabled(call: KeyCall, enabled: boolean, audit?: AuditDraft) {
    return this.actor.setEnabled(call, enabled, audit);
  }

  updateDescription(call: KeyCall, description: string, audit?: AuditDraft) {
    return this.actor.updateDescription(call, description, audit);
  }

  scheduleDeletion(call: KeyCall, pendingWindowInDays: number, audit?: AuditDraft) {
    return this.actor.scheduleDeletion(call, pendingWindowInDays, audit);
  }

  cancelDeletion(call: KeyCall, audit?: AuditDraft) {
    return this.actor.cancelDeletion(call, audit);
  }

  getParametersForImport(call: KeyCall, algorithm: WrappingAlgorithm, audit?: AuditDraft) {
    return this.actor.getParametersForImport(call, algorithm, audit);
  }

  importKeyMaterial(call: KeyCall, input: NewKeyMaterial, audit?: AuditDraft) {
    return this.actor.importKeyMaterial(call, input, audit);
  }

  deleteImportedMaterial(call: KeyCall, keyMaterialId?: string, audit?: AuditDraft) {
    return this.actor.deleteImportedMaterial(call, keyMaterialId, audit);
  }

  setRotation(call: KeyCall, enabled: boolean, periodInDays?: number, audit?: AuditDraft) {
    return this.actor.setRotation(call, enabled, periodInDays, audit);
  }

  rotationStatus(call: KeyCall, audit?: AuditDraft) {
    return this.actor.rotationStatus(call, audit);
  }

  rotateOnDemand(call: KeyCall, audit?: AuditDraft) {
    return this.actor.rotateOnDemand(call, audit);
  }

  listRotations(
    call: KeyCall,
    include: "ALL_KEY_MATERIAL" | "ROTATIONS_ONLY",
    limit: number,
    marker: string | undefined,
    audit?: AuditDraft,
  ) {
    return this.actor.listRotations(call, include, limit, marker, audit);
  }

  lastUsage(call: KeyCall, audit?: AuditDraft) {
    return this.actor.lastUsage(call, audit);
  }

  metricsSnapshot() {
    return this.actor.metricsSnapshot();
  }

  backingKeyVersions() {
    return this.actor.backingKeyVersions();
  }

  encrypt(call: KeyCall, operation: EncryptingOperation, plaintext: Uint8Array, context: EncryptionContext, audit?: AuditDraft) {
    return this.actor.encrypt(call, operation, plaintext, context, audit);
  }

  generateDataKey(
    call: KeyCall,
    operation: "GenerateDataKey" | "GenerateDataKeyWithoutPlaintext",
    length: number,
    context: EncryptionContext,
    audit?: AuditDraft,
  ) {
    return this.actor.generateDataKey(call, operation, length, context, audit);
  }

  decrypt(call: KeyCall, operation: "Decrypt" | "ReEncrypt", blob: Uint8Array, context: EncryptionContext, audit?: AuditDraft) {
    return this.actor.decrypt(call, operation, blob, context, audit);
  }

  tag(call: KeyCall, tags: Tag[], audit?: AuditDraft) {
    return this.actor.tag(call, tags, audit);
  }

  untag(call: KeyCall, tagKeys: string[], audit?: AuditDraft) {
    return this.actor.untag(call, tagKeys, audit);
  }

  listTags(call: KeyCall, limit: number, marker: string | undefined, audit?: AuditDraft) {
    return this.actor.listTags(call, limit, marker, audit);
  }

  getPolicy(call: KeyCall, policyName = "default", audit?: AuditDraft) {
    return this.actor.getPolicy(call, policyName, audit);
  }

  putPolicy(call: KeyCall, policy: string, audit?: AuditDraft) {
    return this.actor.putPolicy(call, policy, audit);
  }

  listPolicies(call: KeyCall, audit?: AuditDraft) {
    return this.actor.listPolicies(call, audit);
  }

  createGrant(call: KeyCall, input: NewGrant, audit?: AuditDraft) {
    return this.actor.createGrant(call, input, audit);
  }

  listGrants(call: KeyCall, filter: { grantId?: string; grantee?: string }, limit: number, marker: string | undefined, audit?: AuditDraft) {
    return this.actor.listGrants(call, filter, limit, marker, audit);
  }

  retireGrant(call: KeyCall, grantId: string, audit?: AuditDraft) {
    return this.actor.retireGrant(call, grantId, audit);
  }

  revokeGrant(call: KeyCall, grantId: string, audit?: AuditDraft) {
    return this.actor.revokeGrant(call, grantId, audit);
  }

  // ---- asymmetric and HMAC keys -------------------------------------------------------------------

  getPublicKey(call: KeyCall, audit?: AuditDraft) {
    return this.actor.getPublicKey(call, audit);
  }

  sign(call: KeyCall, input: SigningInput, audit?: AuditDraft) {
    return this.actor.sign(call, input, audit);
  }

  verify(call: KeyCall, input: SigningInput, signature: Uint8Array, audit?: AuditDraft) {
    return this.actor.verify(call, input, signature, audit);
  }

  generateMac(call: KeyCall, algorithm: MacAlgorithmSpec, message: Uint8Array, audit?: AuditDraft) {
    return this.actor.generateMac(call, algorithm, message, audit);
  }

  verifyMac(call: KeyCall, algorithm: MacAlgorithmSpec, message: Uint8Array, mac: Uint8Array, audit?: AuditDraft) {
    return this.actor.verifyMac(call, algorithm, message, mac, audit);
  }

  encryptAsymmetric(
    call: KeyCall,
    operation: "Encrypt" | "ReEncrypt",
    algorithm: EncryptionAlgorithmSpec,
    plaintext: Uint8Array,
    audit?: AuditDraft,
  ) {
    return this.actor.encryptAsymmetric(call, operation, algorithm, plaintext, audit);
  }

  decryptAsymmetric(
    call: KeyCall,
    operation: "Decrypt" | "ReEncrypt",
    algorithm: EncryptionAlgorithmSpec,
    ciphertext: Uint8Array,
    audit?: AuditDraft,
  ) {
    return this.actor.decryptAsymmetric(call, operation, algorithm, ciphertext, audit);
  }

  deriveSharedSecret(call: KeyCall, algorithm: string, peerPublicKey: Uint8Array, audit?: AuditDraft) {
    return this.actor.deriveSharedSecret(call, algorithm, peerPublicKey, audit);
  }

  encapsulate(call: KeyCall, algorithm: string, audit?: AuditDraft) {
    return this.actor.encapsulate(call, algorithm, audit);
  }

  decapsulate(call: KeyCall, algorithm: string, ciphertext: Uint8Array, audit?: AuditDraft) {
    return this.actor.decapsulate(call, algorithm, ciphertext, audit);
  }

  generateDataKeyPair(
    call: KeyCall,
    operation: "GenerateDataKeyPair" | "GenerateDataKeyPairWithoutPlaintext",
    keyPairSpec: string,
    context: EncryptionContext,
    audit?: AuditDraft,
  ) {
    return this.actor.generateDataKeyPair(call, operation, keyPairSpec, context, audit);
  }
}
