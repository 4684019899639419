/**
 * Root-key rotation's walk (README "Root-key rotation"): `EdgeKMS_20261130.ResealKeys` re-seals a
 * page of the caller's account's keys under the current root key (KeyActor.resealRootKey: one
 * transaction per key, idempotent) and answers where to resume. `npm run rotate-root-key`
 * (scripts/rotate-root-key.ts) drives it page by page, saving the marker so that an interrupted
 * walk resumes, then walks again with `VerifyOnly` to count what is still under a previous key.
 *
 * Authorization: IAM action `edgekms:ResealKeys` on `*` (EdgeKMS's own action: `kms:*` does not
 * grant it; an account's root has it). Keys are listed in the account's directory of each Region
 * the deployment serves, one Region after the other (the marker names the Region), so keys pending
 * deletion and keys of every Region are re-sealed, whichever Region the request is signed for. Nothing here reveals key material or which root key is
 * which beyond their public identifiers.
 */
import { KmsError } from "../protocol/errors.ts";
import { requireIamPermission } from "../service/access.ts";
import type { Caller } from "../service/caller.ts";
import type { ServicePorts } from "../service/ports.ts";
import { unwrap } from "../service/rpc.ts";
import type { Settings } from "../service/settings.ts";

export const RESEAL_TARGET = "EdgeKMS_20261130.ResealKeys";
export const RESEAL_ACTION = "edgekms:ResealKeys";

export interface ResealKeysRequest {
  Marker?: string;
  /** Keys per call, 1–100 (default 20). */
  Limit?: number;
  /** Count what is still under a previous root key; change nothing. */
  VerifyOnly?: boolean;
}

export interface ResealKeysResponse {
  /** The current root key's identifier (root-key-ring.ts). */
  RootKeyId: string;
  /** Keys visited by this call. */
  Keys: number;
  /** Sealed records moved under the current root key by this call. */
  Resealed: number;
  /** Sealed records of the visited keys still under another root key (or that none opens). */
  Remaining: number;
  /** Keys of this page with records remaining. */
  KeysRemaining: string[];
  NextMarker?: string;
}

function parseRequest(body: Record<string, unknown>): ResealKeysRequest {
  const { Marker, Limit, VerifyOnly } = body;
  if (Marker !== undefined && typeof Marker !== "string") throw new KmsError("ValidationException", "Marker must be a string.");
  if (Limit !== undefined && (!Number.isInteger(Limit) || (Limit as number) < 1 || (Limit as number) > 100)) {
    throw new KmsError("ValidationException", "Limit must be an integer from 1 to 100.");
  }
  if (VerifyOnly !== undefined && typeof VerifyOnly !== "boolean")
    throw new KmsError("ValidationException", "VerifyOnly must be a boolean.");
  return body as ResealKeysRequest;
}

/** The walk's position: a Region of the deployment's list and the marker within its directory. */
function parseMarker(marker: string | undefined, regions: readonly string[]): { region: number; inner?: string } {
  if (marker === undefined) return { region: 0 };
  const m = /^(\d{1,3}):(.*)$/s.exec(marker);
  if (m === null || Number(m[1]) >= regions.length)
    throw new KmsError("InvalidMarkerException", "The marker is not one this operation returned.");
  return m[2] === "" ? { region: Number(m[1]) } : { region: Number(m[1]), inner: m[2]! };
}

/** @throws AccessDeniedException without edgekms:ResealKeys; ValidationException, InvalidMarkerException */
export async function resealKeys(
  ports: ServicePorts,
  config: Settings,
  caller: Caller,
  body: Record<string, unknown>,
): Promise<ResealKeysResponse> {
  const request = parseRequest(body);
  requireIamPermission(caller, RESEAL_ACTION, "*");
  const position = parseMarker(request.Marker, config.regions);
  const region = config.regions[position.region]!;
  const page = await unwrap(ports.accounts(caller.accountId, region).listKeys(request.Limit ?? 20, position.inner));
  const response: ResealKeysResponse = {
    RootKeyId: ports.rootKeys().currentId,
    Keys: 0,
    Resealed: 0,
    Remaining: 0,
    KeysRemaining: [],
  };
  for (const entry of page.items) {
    const arn = entry.keyArn;
    const report = await ports.keys(arn).resealRootKey(request.VerifyOnly === true);
    response.Keys++;
    response.Resealed += report.resealed;
    response.Remaining += report.remaining;
    if (report.remaining > 0) response.KeysRemaining.push(arn);
  }
  if (page.nextMarker !== undefined) response.NextMarker = `${position.region}:${page.nextMarker}`;
  else if (position.region + 1 < config.regions.length) response.NextMarker = `${position.region + 1}:`;
  return response;
}
