/**
 * The seed file: keys a team wants to find the same on every fresh start — fixed key IDs and
 * aliases their configuration names, fixed key material so ciphertexts committed as fixtures keep
 * decrypting — with their description, origin, enabled state, rotation, key policy, tags, aliases
 * and grants. JSON:
 *
 *   { "keys": [ { "account": "111122223333", "keyId": "<uuid>", "material": "<base64, 32 bytes>",
 *                 "description": "orders", "origin": "AWS_KMS", "enabled": true, "rotation": false,
 *                 "policy": { ...key policy... }, "tags": { "team": "orders" },
 *                 "aliases": ["alias/orders"],
 *                 "grants": [ { "name": "app", "granteePrincipal": "arn:aws:iam::111122223333:user/bob",
 *                               "operations": ["Encrypt", "Decrypt"] } ] } ] }
 *
 * Only `keyId` is required (with `material` absent the key gets fresh material, so its ciphertexts
 * are not reproducible). Every key spec EdgeKMS supports can be seeded (`keySpec`, `keyUsage` as
 * CreateKey takes them; `keyUsage` may be left out where the spec has one usage): `material` is
 * 32 bytes for SYMMETRIC_DEFAULT, the HMAC key for HMAC_* (as ImportKeyMaterial takes it), and for
 * asymmetric specs the private key as PKCS #8 DER — the public key is computed from it
 * (src/keys/asymmetric/key-pairs.ts `publicKeyOfPrivate`, checked when the file is applied).
 *
 * Security: the seed file holds key material in the clear — it is its owner's secret, like a key
 * backup, and is never committed by this repository (the default path is git-ignored). The
 * service seals seeded material under the root key like any other.
 */
import { isKeyId } from "../arn.ts";
import { KmsError } from "../protocol/errors.ts";
import type { KeyUsageType } from "../protocol/enums.ts";
import type { Tag } from "../protocol/shapes.ts";
import { importedMaterialFits, isHmacSpec, isSupportedKeySpec, KEY_SPEC_USAGES, type SupportedKeySpec } from "../keys/key-specs.ts";

export interface SeedGrant {
  name: string;
  granteePrincipal: string;
  retiringPrincipal?: string;
  operations: string[];
  constraints?: { EncryptionContextSubset?: Record<string, string>; EncryptionContextEquals?: Record<string, string> };
}

export interface SeedKey {
  /** Where the entry stands in the file, for messages: "keys[3]". */
  entry: string;
  account?: string;
  keyId: string;
  description: string;
  origin: "AWS_KMS" | "EXTERNAL";
  keySpec: SupportedKeySpec;
  keyUsage: KeyUsageType;
  material?: Uint8Array;
  enabled: boolean;
  rotation: boolean;
  /** The key policy as text; undefined for the default key policy. */
  policy?: string;
  tags: Tag[];
  aliases: string[];
  grants: SeedGrant[];
}

function invalid(entry: string, message: string): KmsError {
  return new KmsError("ValidationException", `Seed ${entry}: ${message}`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function stringMap(value: unknown, entry: string, what: string): Record<string, string> {
  if (!isRecord(value) || !Object.values(value).every((v) => typeof v === "string"))
    throw invalid(entry, `${what} must map strings to strings.`);
  return value as Record<string, string>;
}

function base64Bytes(value: string, entry: string): Uint8Array {
  try {
    return Uint8Array.from(atob(value), (c) => c.charCodeAt(0));
  } catch {
    throw invalid(entry, "material must be base64.");
  }
}

const KNOWN = new Set([
  "account",
  "keyId",
  "description",
  "keySpec",
  "keyUsage",
  "origin",
  "material",
  "enabled",
  "rotation",
  "policy",
  "tags",
  "aliases",
  "grants",
]);

function parseKey(raw: unknown, entry: string): SeedKey {
  if (!isRecord(raw)) throw invalid(entry, "must be an object.");
  for (const name of Object.keys(raw)) if (!KNOWN.has(name)) throw invalid(entry, `unknown member ${JSON.stringify(name)}.`);
  const { account, keyId, description = "", keySpec = "SYMMETRIC_DEFAULT", origin = "AWS_KMS" } = raw;
  if (account !== undefined && (typeof account !== "string" || !/^\d{12}$/.test(account)))
    throw invalid(entry, "account must be a 12-digit account ID.");
  if (typeof keyId !== "string" || !isKeyId(keyId) || keyId.startsWith("mrk-")) throw invalid(entry, "keyId must be a key ID (a UUID).");
  if (typeof description !== "string" || description.length > 8192)
    throw invalid(entry, "description must be a string of at most 8192 characters.");
  if (typeof keySpec !== "string" || !isSupportedKeySpec(keySpec))
    throw invalid(entry, `keySpec ${JSON.stringify(keySpec)} is not supported.`);
  const usages = Object.keys(KEY_SPEC_USAGES[keySpec]);
  const keyUsage = raw.keyUsage ?? (usages.length === 1 ? usages[0] : undefined);
  if (typeof keyUsage !== "string" || !usages.includes(keyUsage)) {
    throw invalid(entry, `keyUsage must be one of ${usages.join(", ")} for keySpec ${keySpec}.`);
  }
  if (origin !== "AWS_KMS" && origin !== "EXTERNAL") throw invalid(entry, "origin must be AWS_KMS or EXTERNAL.");
  if (origin === "EXTERNAL" && keySpec !== "SYMMETRIC_DEFAULT" && !isHmacSpec(keySpec)) {
    throw invalid(entry, "only SYMMETRIC_DEFAULT and HMAC keys can have origin EXTERNAL.");
  }
  const materialRule =
    keySpec === "SYMMETRIC_DEFAULT"
      ? "base64 of 32 bytes"
      : isHmacSpec(keySpec)
        ? `base64 of an HMAC key that ${keySpec} accepts`
        : `base64 of a private key of ${keySpec} (PKCS #8 DER)`;
  let material: Uint8Array | undefined;
  if (raw.material !== undefined) {
    if (typeof raw.material !== "string") throw invalid(entry, `material must be ${materialRule}.`);
    material = base64Bytes(raw.material, entry);
    const fits =
      keySpec === "SYMMETRIC_DEFAULT" || isHmacSpec(keySpec) ? importedMaterialFits(keySpec, material.length) : material.length > 0;
    if (!fits) throw invalid(entry, `material must be ${materialRule}.`);
  } else if (origin === "EXTERNAL") {
    throw invalid(entry, "an EXTERNAL key needs its material.");
  }
  const enabled = raw.enabled ?? true;
  const rotation = raw.rotation ?? false;
  if (typeof enabled !== "boolean" || typeof rotation !== "boolean") throw invalid(entry, "enabled and rotation must be true or false.");
  if (rotation && origin === "EXTERNAL") throw invalid(entry, "automatic rotation is not available for EXTERNAL keys.");
  if (rotation && keySpec !== "SYMMETRIC_DEFAULT") throw invalid(entry, "automatic rotation is available for SYMMETRIC_DEFAULT keys only.");
  let policy: string | undefined;
  if (raw.policy !== undefined) {
    if (typeof raw.policy === "string") policy = raw.policy;
    else if (isRecord(raw.policy)) policy = JSON.stringify(raw.policy, null, 2);
    else throw invalid(entry, "policy must be a key policy document (an object or its JSON text).");
  }
  const tags = Object.entries(raw.tags === undefined ? {} : stringMap(raw.tags, entry, "tags")).map(([TagKey, TagValue]) => ({
    TagKey,
    TagValue,
  }));
  const aliases = raw.aliases ?? [];
  if (!Array.isArray(aliases) || !aliases.every((a) => typeof a === "string"))
    throw invalid(entry, "aliases must be a list of alias names.");
  const grants = (raw.grants ?? []) as unknown;
  if (!Array.isArray(grants)) throw invalid(entry, "grants must be a list.");
  return {
    entry,
    ...(account === undefined ? {} : { account }),
    keyId,
    description,
    origin,
    keySpec,
    keyUsage: keyUsage as KeyUsageType,
    ...(material === undefined ? {} : { material }),
    enabled,
    rotation,
    ...(policy === undefined ? {} : { policy }),
    tags,
    aliases: aliases as string[],
    grants: grants.map((g, i) => parseGrant(g, `${entry}.grants[${i}]`)),
  };
}

function parseGrant(raw: unknown, entry: string): SeedGrant {
  if (!isRecord(raw)) throw invalid(entry, "must be an object.");
  const { name, granteePrincipal, retiringPrincipal, operations, constraints } = raw;
  // A name makes the grant idempotent: CreateGrant with the same name and parameters is the same grant.
  if (typeof name !== "string" || name.length === 0) throw invalid(entry, "a seeded grant needs a name.");
  if (typeof granteePrincipal !== "string") throw invalid(entry, "granteePrincipal must be a principal.");
  if (retiringPrincipal !== undefined && typeof retiringPrincipal !== "string")
    throw invalid(entry, "retiringPrincipal must be a principal.");
  if (!Array.isArray(operations) || !operations.every((o) => typeof o === "string"))
    throw invalid(entry, "operations must be a list of grant operations.");
  const grant: SeedGrant = { name, granteePrincipal, operations: operations as string[] };
  if (retiringPrincipal !== undefined) grant.retiringPrincipal = retiringPrincipal as string;
  if (constraints !== undefined) {
    if (!isRecord(constraints)) throw invalid(entry, "constraints must be an object.");
    const c: SeedGrant["constraints"] = {};
    if (constraints.EncryptionContextSubset !== undefined)
      c.EncryptionContextSubset = stringMap(constraints.EncryptionContextSubset, entry, "EncryptionContextSubset");
    if (constraints.EncryptionContextEquals !== undefined)
      c.EncryptionContextEquals = stringMap(constraints.EncryptionContextEquals, entry, "EncryptionContextEquals");
    grant.constraints = c;
  }
  return grant;
}

/**
 * Parses and checks a seed document.
 * @throws ValidationException naming the entry ("keys[2].grants[0]") and what is wrong with it
 */
export function parseSeed(document: unknown): SeedKey[] {
  if (!isRecord(document) || !Array.isArray(document.keys)) throw invalid("file", 'must be an object with a "keys" list.');
  const keys = document.keys.map((k, i) => parseKey(k, `keys[${i}]`));
  const ids = new Set<string>();
  const aliases = new Set<string>();
  for (const k of keys) {
    const id = `${k.account ?? ""}/${k.keyId}`;
    if (ids.has(id)) throw invalid(k.entry, `key ${k.keyId} is declared twice.`);
    ids.add(id);
    for (const a of k.aliases) {
      const name = `${k.account ?? ""}/${a}`;
      if (aliases.has(name)) throw invalid(k.entry, `alias ${a} is declared twice.`);
      aliases.add(name);
    }
  }
  return keys;
}
