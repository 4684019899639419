/**
 * CreateGrant, ListGrants, ListRetirableGrants, RetireGrant and RevokeGrant (guide: "Using
 * Grants", "Grant Tokens", "Examining Grants"; KMS API Reference for the parameters). Grants live
 * in their key's object (worker/key-grants.ts); this layer checks parameters, resolves keys and
 * grant tokens, and shapes AWS's responses.
 */
import { parseArn } from "../arn.ts";
import { constraintType, isValidGrantPrincipal, normaliseConstraints, validateGrantParameters } from "../grants/rules.ts";
import { isGrantId, openGrantToken } from "../grants/token.ts";
import type { RootKeyRing } from "../keys/root-key-ring.ts";
import { KmsError } from "../protocol/errors.ts";
import { requireIamPermission } from "../service/access.ts";
import type { CallFacts } from "../service/caller.ts";
import { invalidGrantToken } from "../grants/store.ts";
import { audit, keyCall, keyObject, registryOf, resolveKeyArn, settle, type Handler, type OperationContext } from "./context.ts";

/** ListGrants and ListRetirableGrants: Limit 1–100, default 50 (KMS API Reference). */
const MAX_GRANT_LIST_LIMIT = 100;
const DEFAULT_GRANT_LIST_LIMIT = 50;

/** @throws ValidationException in AWS's constraint wording for a Limit over 100. */
function listLimit(limit: number | undefined): number {
  if (limit !== undefined && limit > MAX_GRANT_LIST_LIMIT) {
    throw new KmsError(
      "ValidationException",
      `1 validation error detected: Value '${limit}' at 'limit' failed to satisfy constraint: Member must have value less than or equal to ${MAX_GRANT_LIST_LIMIT}`,
    );
  }
  return limit ?? DEFAULT_GRANT_LIST_LIMIT;
}

/** @throws InvalidGrantIdException for a grant ID that cannot be one of ours. */
function checkGrantId(grantId: string): void {
  if (!isGrantId(grantId)) throw new KmsError("InvalidGrantIdException", `Invalid grant ID: ${grantId}`);
}

function rootKeys(ctx: OperationContext): RootKeyRing {
  return ctx.ports.rootKeys();
}

export const CreateGrant: Handler<"CreateGrant"> = async (ctx, request) => {
  const arn = await resolveKeyArn(ctx, request.KeyId);
  const operations = [...new Set(request.Operations)];
  const constraints = normaliseConstraints(request.Constraints);
  validateGrantParameters({
    granteePrincipal: request.GranteePrincipal,
    ...(request.RetiringPrincipal === undefined ? {} : { retiringPrincipal: request.RetiringPrincipal }),
    operations,
    constraints,
  });
  const type = constraintType(constraints);
  const facts: CallFacts = {
    grantOperations: operations,
    grantIsForAWSResource: false,
    newGrant: constraints === undefined ? { operations } : { operations, constraints },
    ...(type === undefined ? {} : { grantConstraintType: type }),
    ...(request.GrantTokens === undefined ? {} : { grantTokens: request.GrantTokens }),
  };
  const created = await settle(
    ctx,
    keyObject(ctx, arn).createGrant(
      keyCall(ctx, arn, facts),
      {
        granteePrincipal: request.GranteePrincipal,
        operations,
        ...(request.Name === undefined ? {} : { name: request.Name }),
        ...(request.RetiringPrincipal === undefined ? {} : { retiringPrincipal: request.RetiringPrincipal }),
        ...(constraints === undefined ? {} : { constraints }),
      },
      audit(ctx),
    ),
  );
  return { GrantId: created.grantId, GrantToken: created.grantToken };
};

export const ListGrants: Handler<"ListGrants"> = async (ctx, request) => {
  const limit = listLimit(request.Limit);
  if (request.GrantId !== undefined) checkGrantId(request.GrantId);
  const arn = await resolveKeyArn(ctx, request.KeyId);
  const page = await settle(
    ctx,
    keyObject(ctx, arn).listGrants(
      keyCall(ctx, arn),
      {
        ...(request.GrantId === undefined ? {} : { grantId: request.GrantId }),
        ...(request.GranteePrincipal === undefined ? {} : { grantee: request.GranteePrincipal }),
      },
      limit,
      request.Marker,
      audit(ctx),
    ),
  );
  return page.nextMarker === undefined
    ? { Grants: page.grants, Truncated: false }
    : { Grants: page.grants, Truncated: true, NextMarker: page.nextMarker };
};

/**
 * The grants whose retiring principal is the given one, on any key in any account (this region).
 * The index lives in the registry of the retiring principal's account, so a caller lists grants
 * retirable by principals of its own account — AWS: "Enter a principal in your AWS account".
 */
export const ListRetirableGrants: Handler<"ListRetirableGrants"> = async (ctx, request) => {
  requireIamPermission(ctx.caller, "kms:ListRetirableGrants", "*");
  const limit = listLimit(request.Limit);
  const principal = request.RetiringPrincipal;
  if (!isValidGrantPrincipal(principal) || parseArn(principal) === undefined) {
    throw new KmsError("InvalidArnException", `${principal} is not a valid ARN.`);
  }
  const page = await settle(ctx, registryOf(ctx).listRetirableGrants(principal, limit, request.Marker, audit(ctx)));
  const grants = page.items.map((e) => ({ ...e, CreationDate: new Date(e.CreationDate) }));
  return page.nextMarker === undefined
    ? { Grants: grants, Truncated: false }
    : { Grants: grants, Truncated: true, NextMarker: page.nextMarker };
};

export const RetireGrant: Handler<"RetireGrant"> = async (ctx, request) => {
  let arn: string;
  let grantId: string;
  if (request.GrantToken !== undefined) {
    const claims = openGrantToken(rootKeys(ctx), request.GrantToken);
    if (claims === undefined) throw invalidGrantToken();
    if (request.GrantId !== undefined && request.GrantId !== claims.grantId) {
      throw new KmsError("ValidationException", "The GrantId does not match the grant named by the GrantToken.");
    }
    arn = claims.keyArn;
    grantId = claims.grantId;
  } else {
    if (request.KeyId === undefined || request.GrantId === undefined) {
      throw new KmsError("ValidationException", "Either GrantToken, or both KeyId and GrantId, must be specified.");
    }
    checkGrantId(request.GrantId);
    arn = await resolveKeyArn(ctx, request.KeyId);
    grantId = request.GrantId;
  }
  await settle(ctx, keyObject(ctx, arn).retireGrant(keyCall(ctx, arn), grantId, audit(ctx)));
  return {};
};

export const RevokeGrant: Handler<"RevokeGrant"> = async (ctx, request) => {
  checkGrantId(request.GrantId);
  const arn = await resolveKeyArn(ctx, request.KeyId);
  await settle(ctx, keyObject(ctx, arn).revokeGrant(keyCall(ctx, arn), request.GrantId, audit(ctx)));
  return {};
};
