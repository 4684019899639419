/**
 * What the runtime-neutral operations (src/operations/) need from a runtime: a key's actor, an
 * account's directory, the root key and the audit log's direct path. On Cloudflare each key and
 * each account is a Durable Object reached by RPC (worker/dispatch.ts builds these ports); on
 * Deno they are in-process actors over Deno KV. Either way the same handlers, rules and audit
 * records run.
 */
import type { AuditDraft, CallOutcome } from "../audit/outbox.ts";
import type { RetirableGrantEntry } from "../grants/store.ts";
import type { KeyActor } from "../keys/key-actor.ts";
import type { RootKeyRing } from "../keys/root-key-ring.ts";
import type { RpcResult } from "./rpc.ts";

/** The operations on one key: the KeyActor's public methods (src/keys/key-actor.ts). */
export type KeyApi = Pick<
  KeyActor,
  | "create"
  | "destroy"
  | "describe"
  | "checkAliasTarget"
  | "setEnabled"
  | "updateDescription"
  | "scheduleDeletion"
  | "cancelDeletion"
  | "getParametersForImport"
  | "importKeyMaterial"
  | "deleteImportedMaterial"
  | "setRotation"
  | "rotationStatus"
  | "rotateOnDemand"
  | "listRotations"
  | "lastUsage"
  | "metricsSnapshot"
  | "backingKeyVersions"
  | "encrypt"
  | "generateDataKey"
  | "decrypt"
  | "tag"
  | "untag"
  | "listTags"
  | "getPolicy"
  | "putPolicy"
  | "listPolicies"
  | "createGrant"
  | "listGrants"
  | "retireGrant"
  | "revokeGrant"
  | "seedStatus"
  | "resealRootKey"
  | "exportBackup"
  | "restoreBackup"
  | "getPublicKey"
  | "sign"
  | "verify"
  | "generateMac"
  | "verifyMac"
  | "encryptAsymmetric"
  | "decryptAsymmetric"
  | "deriveSharedSecret"
  | "encapsulate"
  | "decapsulate"
  | "generateDataKeyPair"
  | "exportReplica"
  | "createReplica"
  | "addReplica"
  | "checkPrimaryUpdate"
  | "updatePrimaryRegion"
>;

export interface KeyListEntry {
  keyId: string;
  keyArn: string;
}

export interface AliasEntry {
  aliasName: string;
  targetKeyId: string;
  creationDate: number;
  lastUpdatedDate: number;
}

export interface Page<T> {
  items: T[];
  nextMarker?: string;
}

/** An answer, and whether the account directory wrote the call's audit record. */
export type AccountResult<T> = RpcResult<T> & { recorded?: boolean };

/**
 * One account's directory in one region: its key list (ListKeys, the key limit), its aliases
 * (unique names, the alias limit) and the index of grants whose retiring principal is in the
 * account (ListRetirableGrants). Operations that end a call take its AuditDraft and record it.
 */
export interface AccountApi {
  addKey(entry: KeyListEntry, limit: number, audit?: AuditDraft, response?: unknown): Promise<AccountResult<null>>;
  removeKey(keyId: string): Promise<void>;
  /** True when the account lists the key (for key IDs this service cannot verify by their tag). */
  hasKey(keyId: string): Promise<boolean>;
  listKeys(limit: number, marker: string | undefined, audit?: AuditDraft): Promise<AccountResult<Page<KeyListEntry>>>;
  resolveAlias(aliasName: string): Promise<string | undefined>;
  createAlias(aliasName: string, targetKeyId: string, limit: number, aliasArn: string, audit?: AuditDraft): Promise<AccountResult<null>>;
  updateAlias(
    aliasName: string,
    targetKeyId: string,
    expectedCurrentKeyId: string,
    aliasArn: string,
    audit?: AuditDraft,
  ): Promise<AccountResult<null>>;
  deleteAlias(aliasName: string, expectedKeyId: string, aliasArn: string, audit?: AuditDraft): Promise<AccountResult<null>>;
  listAliases(
    keyId: string | undefined,
    keyArn: string | undefined,
    limit: number,
    marker: string | undefined,
    audit?: AuditDraft,
  ): Promise<AccountResult<Page<AliasEntry>>>;
  listRetirableGrants(
    retiringPrincipal: string,
    limit: number,
    marker: string | undefined,
    audit?: AuditDraft,
  ): Promise<AccountResult<Page<RetirableGrantEntry>>>;
  indexRetirableGrant(entry: RetirableGrantEntry): Promise<void>;
  unindexRetirableGrant(retiringPrincipal: string, keyArn: string, grantId: string): Promise<void>;
  forgetRetirableGrantsOfKey(keyArn: string): Promise<void>;
}

export interface ServicePorts {
  /** The actor of the key with this ARN. */
  keys(keyArn: string): KeyApi;
  /** The directory of this account in one Region (each Region has its own keys and aliases). */
  accounts(accountId: string, region: string): AccountApi;
  /** The configured root keys (ROOT_KEY and ROOT_KEY_PREVIOUS). */
  rootKeys(): RootKeyRing;
  /** True for an account of the identity configuration: only those have keys and aliases. */
  knownAccount(accountId: string): boolean;
  /** Records a call no key or account recorded; resolves when the record is durable. */
  recordCall(draft: AuditDraft, outcome: CallOutcome): Promise<void>;
}
