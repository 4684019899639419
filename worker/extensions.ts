/**
 * EdgeKMS's own operations beside TrentService: POST / with an X-Amz-Target of the
 * `EdgeKMS_20261130` prefix, signed with SigV4 for the service `kms` like any KMS request, a JSON
 * body, an AWS-shaped answer or error. Each is authorized like any caller's request (the handler
 * says with which IAM action):
 * - `ApplySeed` (src/seed/): keys with chosen IDs and material, for `npm run seed` and `npm start`;
 *   answers `{ Created: [...], Unchanged: [...] }`;
 * - `ResealKeys` (src/admin/reseal.ts): root-key rotation's walk, for `npm run rotate-root-key`;
 * - `ExportKeyBackup`, `RestoreKeyBackup` (src/admin/backup.ts): a key's sealed state, for `npm run backup`.
 * They are not TrentService operations (AWS KMS has none of them), so they are not audited as such.
 */
import type { Identities } from "../src/auth/identities.ts";
import { verifyRequest } from "../src/auth/sigv4.ts";
import { jsonResponse, KmsError } from "../src/protocol/errors.ts";
import { parseBody } from "../src/protocol/json.ts";
import { applySeed } from "../src/seed/apply.ts";
import { parseSeed } from "../src/seed/seed-file.ts";
import type { Caller } from "../src/service/caller.ts";
import { SEED_TARGET } from "../src/seed/client.ts";
import { settingsFrom, type Settings } from "../src/service/settings.ts";
import type { ServicePorts } from "../src/service/ports.ts";
import { RESEAL_TARGET, resealKeys } from "../src/admin/reseal.ts";
import { BACKUP_EXPORT_TARGET, BACKUP_RESTORE_TARGET, exportKeyBackup, restoreKeyBackup } from "../src/admin/backup.ts";
import type { KmsRuntime } from "./runtime.ts";

type Extension = (
  ports: ServicePorts,
  config: Settings,
  caller: Caller,
  body: Record<string, unknown>,
  requestId: string,
) => Promise<object>;

const EXTENSIONS: Record<string, Extension> = {
  [SEED_TARGET]: async (ports, config, caller, body, requestId) => {
    const outcome = await applySeed(ports, config, caller, parseSeed(body), requestId);
    return { Created: outcome.created, Unchanged: outcome.unchanged };
  },
  [RESEAL_TARGET]: (ports, config, caller, body) => resealKeys(ports, config, caller, body),
  [BACKUP_EXPORT_TARGET]: (ports, config, caller, body) => exportKeyBackup(ports, config, caller, body),
  [BACKUP_RESTORE_TARGET]: (ports, config, caller, body) => restoreKeyBackup(ports, config, caller, body),
};

export function isExtensionTarget(target: string | null): boolean {
  return target !== null && Object.hasOwn(EXTENSIONS, target);
}

/** @throws KmsError (authentication, validation, the extension's own refusals) */
export async function extensionRequest(
  runtime: KmsRuntime,
  request: Request,
  body: Uint8Array,
  requestId: string,
  identities: Identities,
  via: Omit<Caller, "accountId" | "principalArn" | "principal" | "accessKeyId">,
): Promise<Response> {
  const extension = EXTENSIONS[request.headers.get("X-Amz-Target") ?? ""];
  if (extension === undefined) throw new KmsError("UnknownOperationException", "Unknown operation.");
  const config = settingsFrom(runtime.vars as Record<string, string | undefined>);
  const verified = await verifyRequest(
    { method: request.method, url: request.url, headers: request.headers, body },
    { regions: config.regions, service: "kms", now: new Date(), lookup: (id) => identities.credential(id) },
  );
  const caller: Caller = {
    accountId: verified.accountId,
    principalArn: verified.arn,
    principal: verified.principal,
    accessKeyId: verified.accessKeyId,
    region: verified.region,
    ...via,
  };
  // An extension works in the Region the request is signed for, as every operation does.
  const signed = { ...config, region: verified.region };
  return jsonResponse(await extension(runtime.ports, signed, caller, parseBody(body), requestId), requestId);
}
