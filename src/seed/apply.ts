/**
 * Applies a seed file (src/seed/seed-file.ts) for one caller, idempotently and authorized like any
 * caller: a key already there with the same definition is left alone; a key, alias or grant that
 * differs is reported with its entry and nothing at all is applied; otherwise the missing keys are
 * created with their fixed IDs and material, then everything else — disabling, rotation, aliases,
 * grants — goes through the ordinary operations (src/service/dispatch.ts), so key policies, IAM
 * policies and the audit trail apply as to any request. Running it again after an interruption
 * finishes the job.
 *
 * Authorization: the caller creates keys in its own account only, with kms:CreateKey (and
 * kms:TagResource for tags) from its IAM policies, as CreateKey requires.
 */
import { keyArn } from "../arn.ts";
import type { AuditDraft } from "../audit/outbox.ts";
import { normaliseConstraints } from "../grants/rules.ts";
import type { NewGrant } from "../grants/store.ts";
import { publicKeyOfPrivate } from "../keys/asymmetric/key-pairs.ts";
import type { SeedDefinition } from "../keys/key-actor.ts";
import { isAsymmetricSpec } from "../keys/key-specs.ts";
import { defaultKeyPolicy } from "../operations/keys.ts";
import { validateTags } from "../operations/tags.ts";
import { parsePolicy } from "../policy/index.ts";
import { KmsError } from "../protocol/errors.ts";
import { requireIamPermission } from "../service/access.ts";
import type { Caller } from "../service/caller.ts";
import { runOperation } from "../service/dispatch.ts";
import type { ServicePorts } from "../service/ports.ts";
import { unwrap } from "../service/rpc.ts";
import type { Settings } from "../service/settings.ts";
import type { SeedKey } from "./seed-file.ts";

export interface SeedOutcome {
  created: string[];
  unchanged: string[];
}

function definitionOf(key: SeedKey, accountId: string): SeedDefinition {
  const grants: NewGrant[] = key.grants.map((g) => {
    const constraints = normaliseConstraints(g.constraints);
    return {
      name: g.name,
      granteePrincipal: g.granteePrincipal,
      operations: [...new Set(g.operations)],
      ...(g.retiringPrincipal === undefined ? {} : { retiringPrincipal: g.retiringPrincipal }),
      ...(constraints === undefined ? {} : { constraints }),
    };
  });
  return {
    description: key.description,
    origin: key.origin,
    keySpec: key.keySpec,
    keyUsage: key.keyUsage,
    policy: key.policy ?? defaultKeyPolicy(accountId),
    tags: key.tags,
    enabled: key.enabled,
    rotation: key.rotation,
    ...(key.material === undefined ? {} : { material: key.material }),
    grants,
  };
}

function conflict(key: SeedKey, what: string): KmsError {
  return new KmsError(
    "ValidationException",
    `Seed ${key.entry} (key ${key.keyId}) conflicts with what exists: ${what} differs. Nothing was applied.`,
  );
}

/**
 * @throws ValidationException for an invalid entry or a conflict (nothing applied then);
 * AccessDeniedException when the caller may not create keys; the operations' own errors.
 */
export async function applySeed(
  ports: ServicePorts,
  config: Settings,
  caller: Caller,
  keys: SeedKey[],
  requestId: string,
): Promise<SeedOutcome> {
  const accountId = caller.accountId;
  for (const key of keys) {
    if ((key.account ?? accountId) !== accountId) {
      throw new KmsError(
        "AccessDeniedException",
        `Seed ${key.entry}: keys of account ${key.account} are seeded by that account's principals.`,
      );
    }
    validateTags(key.tags);
    if (key.policy !== undefined) parsePolicy(key.policy, "key");
    if (key.material !== undefined && isAsymmetricSpec(key.keySpec)) {
      try {
        await publicKeyOfPrivate(key.keySpec, key.material);
      } catch {
        throw new KmsError(
          "ValidationException",
          `Seed ${key.entry}: material must be base64 of a private key of ${key.keySpec} (PKCS #8 DER).`,
        );
      }
    }
  }
  requireIamPermission(caller, "kms:CreateKey", "*");
  if (keys.some((k) => k.tags.length > 0)) requireIamPermission(caller, "kms:TagResource", "*");

  // Plan: find every difference before anything changes.
  const plan: { key: SeedKey; arn: string; definition: SeedDefinition; absent: boolean }[] = [];
  for (const key of keys) {
    const arn = keyArn(config.region, accountId, key.keyId);
    const definition = definitionOf(key, accountId);
    const status = await ports.keys(arn).seedStatus(arn, definition);
    if (status.status === "conflict") throw conflict(key, status.difference);
    for (const alias of key.aliases) {
      const target = await ports.accounts(accountId, config.region).resolveAlias(alias);
      if (target !== undefined && target !== key.keyId) throw conflict(key, `alias ${alias} (it names ${target})`);
    }
    plan.push({ key, arn, definition, absent: status.status === "absent" });
  }

  const outcome: SeedOutcome = { created: [], unchanged: [] };
  const run = (operation: Parameters<typeof runOperation>[3], body: object) =>
    runOperation(ports, config, caller, operation, body, `${requestId}-${crypto.randomUUID().slice(0, 8)}`);
  for (const { key, arn, definition, absent } of plan) {
    if (absent) {
      const actor = ports.keys(arn);
      const init = {
        keyId: key.keyId,
        arn,
        accountId,
        description: key.description,
        origin: key.origin,
        policy: definition.policy,
        tags: key.tags,
        keySpec: key.keySpec,
        keyUsage: key.keyUsage,
      };
      const metadata = await unwrap(actor.create(key.material === undefined ? init : { ...init, material: key.material }));
      const draft: AuditDraft = {
        identity: caller,
        eventName: "CreateKey",
        request: {
          Description: key.description,
          Origin: key.origin,
          KeySpec: key.keySpec,
          KeyUsage: key.keyUsage,
          Tags: key.tags,
          ...(key.policy === undefined ? {} : { Policy: key.policy }),
        },
        requestId: `${requestId}-${key.keyId.slice(0, 8)}`,
        startedAt: Date.now(),
        region: config.region,
        keyArns: [arn],
      };
      try {
        await unwrap(
          ports
            .accounts(accountId, config.region)
            .addKey({ keyId: key.keyId, keyArn: arn }, config.keysPerAccount, draft, { KeyMetadata: metadata }),
        );
      } catch (err) {
        await actor.destroy();
        throw err;
      }
      // Rotation first: a disabled key refuses EnableKeyRotation.
      if (key.rotation) await run("EnableKeyRotation", { KeyId: arn });
      if (!key.enabled) await run("DisableKey", { KeyId: arn });
      outcome.created.push(key.keyId);
    } else {
      outcome.unchanged.push(key.keyId);
    }
    for (const alias of key.aliases) {
      if ((await ports.accounts(accountId, config.region).resolveAlias(alias)) === undefined)
        await run("CreateAlias", { AliasName: alias, TargetKeyId: key.keyId });
    }
    // CreateGrant with a Name and the same parameters answers the existing grant: idempotent.
    for (const g of key.grants) {
      await run("CreateGrant", {
        KeyId: arn,
        Name: g.name,
        GranteePrincipal: g.granteePrincipal,
        Operations: g.operations,
        ...(g.retiringPrincipal === undefined ? {} : { RetiringPrincipal: g.retiringPrincipal }),
        ...(g.constraints === undefined ? {} : { Constraints: g.constraints }),
      });
    }
  }
  return outcome;
}
