/**
 * Backups of one key's sealed state (README "Backups"): `EdgeKMS_20261130.ExportKeyBackup`
 * answers a document holding the key's stored entries — its record (metadata, policy, tags,
 * rotation and deletion state), its backing keys and imported or seeded material as sealed under
 * the root key, its material list and its grants — and the aliases naming it;
 * `EdgeKMS_20261130.RestoreKeyBackup` puts such a document back, into a deployment whose
 * ROOT_KEY or ROOT_KEY_PREVIOUS holds the root key that sealed it, in the same account and Region
 * (the seals are bound to the key ARN). `npm run backup` (scripts/backup.ts) drives both.
 *
 * Restoring is all or nothing: a key that exists with exactly the backup's state is left alone
 * (`Unchanged`); a key that exists with anything different, a deleted one, an alias that names
 * another key, or material that no configured root key opens is refused and nothing changes.
 *
 * Authorization: IAM actions `edgekms:ExportKeyBackup` and `edgekms:RestoreKeyBackup` on the key
 * ARN, in the caller's own account (EdgeKMS's own actions: `kms:*` does not grant them; the
 * account's root has them), plus kms:CreateAlias for the aliases a restore creates.
 *
 * Security: a backup never holds plaintext key material — only what storage holds, sealed under a
 * root key — but it is as sensitive as the storage itself: anyone with it and the root key has the key.
 */
import { parseKeyArn } from "../arn.ts";
import { isIssuedKeyId } from "../keys/key-id.ts";
import { KmsError } from "../protocol/errors.ts";
import { requireIamPermission } from "../service/access.ts";
import type { Caller } from "../service/caller.ts";
import { runOperation } from "../service/dispatch.ts";
import type { ServicePorts } from "../service/ports.ts";
import { unwrap } from "../service/rpc.ts";
import type { Settings } from "../service/settings.ts";

export const BACKUP_EXPORT_TARGET = "EdgeKMS_20261130.ExportKeyBackup";
export const BACKUP_RESTORE_TARGET = "EdgeKMS_20261130.RestoreKeyBackup";
export const BACKUP_FORMAT = "edgekms-key-backup-v1";

/** A backup document: JSON, with bytes as `{ "$bytes": "<base64>" }`. */
export interface KeyBackup {
  Format: typeof BACKUP_FORMAT;
  KeyArn: string;
  ExportedAt: string;
  /** The root keys the sealed entries name (identifiers, root-key-ring.ts). */
  RootKeyIds: string[];
  Aliases: string[];
  Entries: [string, unknown][];
}

function toJsonValue(value: unknown): unknown {
  if (value instanceof Uint8Array) {
    let text = "";
    for (const b of value) text += String.fromCharCode(b);
    return { $bytes: btoa(text) };
  }
  if (Array.isArray(value)) return value.map(toJsonValue);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, toJsonValue(v)]));
  }
  return value;
}

function fromJsonValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(fromJsonValue);
  if (value !== null && typeof value === "object") {
    const object = value as Record<string, unknown>;
    const keys = Object.keys(object);
    if (keys.length === 1 && keys[0] === "$bytes") {
      if (typeof object.$bytes !== "string") throw invalidBackup("bytes must be base64");
      try {
        return Uint8Array.from(atob(object.$bytes), (c) => c.charCodeAt(0));
      } catch {
        throw invalidBackup("bytes must be base64");
      }
    }
    return Object.fromEntries(Object.entries(object).map(([k, v]) => [k, fromJsonValue(v)]));
  }
  return value;
}

function invalidBackup(why: string): KmsError {
  return new KmsError("ValidationException", `The key backup is not valid: ${why}.`);
}

/** The key ARN a request names, in the caller's account and this Region. @throws NotFoundException, ValidationException */
function ownKeyArn(config: Settings, caller: Caller, arn: unknown): string {
  if (typeof arn !== "string") throw new KmsError("ValidationException", "KeyId must be a key ARN.");
  const key = parseKeyArn(arn);
  if (key === undefined) throw new KmsError("ValidationException", "KeyId must be a key ARN.");
  if (key.account !== caller.accountId || key.region !== config.region) {
    throw new KmsError("NotFoundException", `Key '${arn}' does not exist`);
  }
  return arn;
}

/** @throws AccessDeniedException, NotFoundException, ValidationException */
export async function exportKeyBackup(
  ports: ServicePorts,
  config: Settings,
  caller: Caller,
  body: Record<string, unknown>,
): Promise<{ Backup: KeyBackup }> {
  const arn = ownKeyArn(config, caller, body.KeyId);
  requireIamPermission(caller, "edgekms:ExportKeyBackup", arn);
  const keyId = parseKeyArn(arn)!.keyId;
  // As for every operation, a made-up key ID addresses no key object (src/operations/context.ts).
  const mayExist =
    isIssuedKeyId(ports.rootKeys(), caller.accountId, config.region, keyId) ||
    (await ports.accounts(caller.accountId, config.region).hasKey(keyId));
  const entries = mayExist ? await ports.keys(arn).exportBackup() : undefined;
  if (entries === undefined) throw new KmsError("NotFoundException", `Key '${arn}' does not exist`);
  const aliases = await unwrap(ports.accounts(caller.accountId, config.region).listAliases(keyId, arn, 100, undefined));
  const rootKeyIds = new Set<string>();
  for (const [, value] of entries) {
    const id =
      (value as { rootKeyId?: unknown }).rootKeyId ?? (value as { fingerprintKey?: { rootKeyId?: unknown } }).fingerprintKey?.rootKeyId;
    if (typeof id === "string") rootKeyIds.add(id);
  }
  return {
    Backup: {
      Format: BACKUP_FORMAT,
      KeyArn: arn,
      ExportedAt: new Date().toISOString(),
      RootKeyIds: [...rootKeyIds],
      Aliases: aliases.items.map((a) => a.aliasName),
      Entries: toJsonValue(entries) as [string, unknown][],
    },
  };
}

/** Entry names a key's store holds and a backup may carry (src/keys/key-records.ts, src/grants/store.ts). */
const ENTRY_NAME =
  /^(key|grants|version:\d{10}|material:\d{10}|grant:[0-9a-f]{64}|grant-order:[\s\S]+|grantee:[\s\S]+|grant-name:[\s\S]+|grantee-count:[\s\S]+)$/;
const KEY_STATES = new Set(["Enabled", "Disabled", "PendingDeletion", "PendingImport"]);

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);
const isBytes = (v: unknown) => v instanceof Uint8Array;

/**
 * Checks that the entries have the shapes the key logic reads, so that a restored key answers
 * like any other (a malformed one would fail on every call).
 * @throws ValidationException naming the first entry that does not fit
 */
function checkEntries(arn: string, entries: [string, unknown][]): void {
  const key = parseKeyArn(arn)!;
  const names = new Set<string>();
  for (const [name, value] of entries) {
    if (!ENTRY_NAME.test(name) || names.has(name)) throw invalidBackup(`entry ${JSON.stringify(name)} is not one of a key's records`);
    names.add(name);
    const bad = () => invalidBackup(`entry ${name} is malformed`);
    if (name === "key") {
      if (!isObject(value)) throw bad();
      const r = value;
      const fits =
        r.arn === arn &&
        r.keyId === key.keyId &&
        r.accountId === key.account &&
        typeof r.creationDate === "number" &&
        typeof r.description === "string" &&
        typeof r.keyUsage === "string" &&
        (r.origin === "AWS_KMS" || r.origin === "EXTERNAL") &&
        KEY_STATES.has(String(r.keyState)) &&
        typeof r.policy === "string" &&
        Array.isArray(r.tags) &&
        r.tags.every((t) => isObject(t) && typeof t.TagKey === "string" && typeof t.TagValue === "string") &&
        typeof r.rotationEnabled === "boolean" &&
        Number.isInteger(r.currentVersion);
      if (!fits) throw bad();
    } else if (name.startsWith("version:")) {
      if (!isObject(value) || !isBytes(value.iv) || !isBytes(value.sealed) || value.version !== Number(name.slice(8))) throw bad();
    } else if (name.startsWith("material:")) {
      if (!isObject(value) || value.version !== Number(name.slice(9)) || typeof value.keyMaterialId !== "string") throw bad();
    }
  }
  if (!names.has("key")) throw invalidBackup("it has no key record");
}

function parseBackup(value: unknown): KeyBackup {
  if (value === null || typeof value !== "object") throw invalidBackup("Backup must be an object");
  const backup = value as Record<string, unknown>;
  if (backup.Format !== BACKUP_FORMAT) throw invalidBackup(`Format must be ${BACKUP_FORMAT}`);
  if (typeof backup.KeyArn !== "string") throw invalidBackup("KeyArn must be a key ARN");
  const aliases = backup.Aliases ?? [];
  if (!Array.isArray(aliases) || aliases.some((a) => typeof a !== "string" || !a.startsWith("alias/"))) {
    throw invalidBackup("Aliases must be alias names");
  }
  const entries = backup.Entries;
  if (!Array.isArray(entries) || entries.some((e) => !Array.isArray(e) || e.length !== 2 || typeof e[0] !== "string")) {
    throw invalidBackup("Entries must be [name, value] pairs");
  }
  return {
    Format: BACKUP_FORMAT,
    KeyArn: backup.KeyArn,
    ExportedAt: String(backup.ExportedAt ?? ""),
    RootKeyIds: [],
    Aliases: aliases as string[],
    Entries: fromJsonValue(entries) as [string, unknown][],
  };
}

/** @throws AccessDeniedException, ValidationException (nothing restored then), the aliases' own errors */
export async function restoreKeyBackup(
  ports: ServicePorts,
  config: Settings,
  caller: Caller,
  body: Record<string, unknown>,
): Promise<{ KeyId: string; Status: "Restored" | "Unchanged"; Aliases: string[] }> {
  const backup = parseBackup(body.Backup);
  const arn = ownKeyArn(config, caller, backup.KeyArn);
  requireIamPermission(caller, "edgekms:RestoreKeyBackup", arn);
  checkEntries(arn, backup.Entries);
  const keyId = parseKeyArn(arn)!.keyId;
  const directory = ports.accounts(caller.accountId, config.region);
  // Plan: every refusal before anything changes.
  for (const alias of backup.Aliases) {
    const target = await directory.resolveAlias(alias);
    if (target !== undefined && target !== keyId) {
      throw new KmsError("ValidationException", `Alias ${alias} names another key (${target}) here. Nothing was restored.`);
    }
  }
  const actor = ports.keys(arn);
  const outcome = await actor.restoreBackup(arn, backup.Entries);
  if (outcome.status === "invalid") throw invalidBackup(`${outcome.reason}. Nothing was restored`);
  if (outcome.status === "conflict") {
    throw new KmsError(
      "ValidationException",
      `Key ${arn} exists here with a different state (${outcome.difference}). Nothing was restored.`,
    );
  }
  if (!(await directory.hasKey(keyId))) {
    try {
      await unwrap(directory.addKey({ keyId, keyArn: arn }, config.keysPerAccount));
    } catch (err) {
      if (outcome.status === "restored") await actor.destroy();
      throw err;
    }
  }
  for (const alias of backup.Aliases) {
    if ((await directory.resolveAlias(alias)) !== undefined) continue;
    await runOperation(ports, config, caller, "CreateAlias", { AliasName: alias, TargetKeyId: arn }, crypto.randomUUID());
  }
  return { KeyId: arn, Status: outcome.status === "restored" ? "Restored" : "Unchanged", Aliases: backup.Aliases };
}
