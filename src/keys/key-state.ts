/**
 * Which key states each operation accepts: the guide's table "How Key State Affects Use of a
 * Customer Master Key", restored in shared/guide/KEY-STATES.md, kept as data so that one guard
 * turns it into AWS's errors.
 */
import { KmsError } from "../protocol/errors.ts";

/**
 * Multi-Region keys add two states (API reference, ReplicateKey and ScheduleKeyDeletion):
 * - PendingReplicaDeletion: a primary scheduled for deletion while it still has replicas; it
 *   answers every operation as PendingDeletion does (its column), CancelKeyDeletion included.
 * - Creating: a new replica until its primary's first synchronisation reaches it; "you can manage
 *   the key, but you cannot yet use it in cryptographic operations": every operation the Disabled
 *   column refuses as a use of the key (D), and EnableKey and DisableKey, answer
 *   KMSInvalidStateException; the rest as for an Enabled key.
 * (Updating, UpdatePrimaryRegion's transient state, is shown over the key's own state: see
 * UPDATING_REFUSES.)
 */
export type KeyState = "Enabled" | "Disabled" | "PendingDeletion" | "PendingImport" | "PendingReplicaDeletion" | "Creating";

/**
 * ok: allowed. D: DisabledException. P: pending deletion. I: pending import. N: not pending
 * deletion. X: UnsupportedOperationException (rotation with imported material).
 */
type Rule = "ok" | "D" | "P" | "I" | "N" | "X" | "C";
type Row = readonly [enabled: Rule, disabled: Rule, pendingDeletion: Rule, pendingImport: Rule];

const USE: Row = ["ok", "D", "P", "I"];
const MANAGE: Row = ["ok", "ok", "P", "ok"];
const ANY: Row = ["ok", "ok", "ok", "ok"];
const TOGGLE: Row = ["ok", "ok", "P", "I"];
const ROTATION: Row = ["ok", "D", "P", "X"];

export const KEY_STATE_RULES = {
  CancelKeyDeletion: ["N", "N", "ok", "N"],
  CreateAlias: MANAGE,
  CreateGrant: USE,
  Decrypt: USE,
  DeleteAlias: ANY,
  DeleteImportedKeyMaterial: ["ok", "ok", "ok", "ok"],
  DescribeKey: ANY,
  DisableKey: TOGGLE,
  DisableKeyRotation: ROTATION,
  EnableKey: TOGGLE,
  EnableKeyRotation: ROTATION,
  Encrypt: USE,
  GenerateDataKey: USE,
  GenerateDataKeyWithoutPlaintext: USE,
  GetKeyPolicy: ANY,
  GetKeyLastUsage: ANY,
  ListKeyPolicies: ANY,
  PutKeyPolicy: ANY,
  GetKeyRotationStatus: ["ok", "ok", "ok", "X"],
  GetParametersForImport: ["ok", "ok", "P", "ok"],
  ImportKeyMaterial: ["ok", "ok", "P", "ok"],
  ListGrants: ANY,
  ListKeyRotations: ANY,
  RotateKeyOnDemand: ROTATION,
  RetireGrant: ANY,
  RevokeGrant: ANY,
  ListResourceTags: ANY,
  ReEncrypt: USE,
  ScheduleKeyDeletion: MANAGE,
  // Multi-Region keys: on the primary (ReplicateKey, UpdatePrimaryRegion) and the replica promoted.
  ReplicateKey: MANAGE,
  UpdatePrimaryRegion: MANAGE,
  TagResource: MANAGE,
  UntagResource: MANAGE,
  UpdateAliasTarget: MANAGE,
  UpdateAliasSource: ANY,
  UpdateKeyDescription: MANAGE,
  // Operations of asymmetric and HMAC keys (today's API): used like Encrypt.
  GetPublicKey: USE,
  Sign: USE,
  Verify: USE,
  GenerateMac: USE,
  VerifyMac: USE,
  DeriveSharedSecret: USE,
  Encapsulate: USE,
  Decapsulate: USE,
  GenerateDataKeyPair: USE,
  GenerateDataKeyPairWithoutPlaintext: USE,
} as const satisfies Record<string, Row>;

export type KeyStateGuardedOperation = keyof typeof KEY_STATE_RULES;

const COLUMN: Record<Exclude<KeyState, "Creating">, 0 | 1 | 2 | 3> = {
  Enabled: 0,
  Disabled: 1,
  PendingDeletion: 2,
  PendingImport: 3,
  PendingReplicaDeletion: 2,
};

/**
 * While UpdatePrimaryRegion is under way the old primary shows Updating: "you can use the keys in
 * cryptographic operations, but you cannot replicate the new primary or perform certain management
 * operations, such as enabling or disabling these keys".
 */
export const UPDATING_REFUSES: ReadonlySet<KeyStateGuardedOperation> = new Set([
  "EnableKey",
  "DisableKey",
  "ReplicateKey",
  "UpdatePrimaryRegion",
]);

function creatingRule(operation: KeyStateGuardedOperation): Rule {
  const row = KEY_STATE_RULES[operation];
  return row[1] === "D" || operation === "EnableKey" || operation === "DisableKey" ? "C" : row[0];
}

/** @throws KmsError DisabledException, KMSInvalidStateException or UnsupportedOperationException. */
export function assertKeyStateAllows(operation: KeyStateGuardedOperation, state: KeyState, keyArn: string): void {
  const rule: Rule = state === "Creating" ? creatingRule(operation) : KEY_STATE_RULES[operation][COLUMN[state]];
  switch (rule) {
    case "ok":
      return;
    case "D":
      throw new KmsError("DisabledException", `${keyArn} is disabled.`);
    case "P":
      throw new KmsError("KMSInvalidStateException", `${keyArn} is pending deletion.`);
    case "I":
      throw new KmsError("KMSInvalidStateException", `${keyArn} is pending import.`);
    case "N":
      throw new KmsError("KMSInvalidStateException", `${keyArn} is not pending deletion.`);
    case "X":
      throw new KmsError("UnsupportedOperationException", `${keyArn} origin is EXTERNAL which is not valid for this operation.`);
    case "C":
      throw new KmsError("KMSInvalidStateException", `${keyArn} is being created.`);
  }
}
