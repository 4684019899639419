/**
 * CreateAlias, UpdateAlias, DeleteAlias and ListAliases (the guide's "Working with Aliases").
 * Aliases live in the account registry; the key they name is checked in its own key object first
 * (existence, permission, key state), so an alias is never created for a key the caller could not
 * use, nor pointed at a key pending deletion.
 */
import { aliasArn, isKeyId, keyArn, parseKeyArn } from "../arn.ts";
import { aliasNotFound, KmsError } from "../protocol/errors.ts";
import { requireIamPermission } from "../service/access.ts";
import { unwrap } from "../service/rpc.ts";
import {
  assertKeyMayExist,
  audit,
  forgetAlias,
  keyCall,
  keyObject,
  registryOf,
  resolveKeyArn,
  settle,
  type Handler,
  type OperationContext,
} from "./context.ts";

/** @throws ValidationException or NotAuthorizedException as AWS does for names it refuses. */
function checkAliasName(aliasName: string): void {
  if (!aliasName.startsWith("alias/") || aliasName.length === "alias/".length) {
    throw new KmsError(
      "ValidationException",
      'Alias must start with the prefix "alias/". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html',
    );
  }
  if (aliasName.startsWith("alias/aws/")) {
    throw new KmsError("NotAuthorizedException", "Cannot create, update or delete an alias with the reserved prefix alias/aws/.");
  }
}

/**
 * An alias's target must be a key ID or key ARN in the caller's account and region, not another
 * alias.
 */
function targetKeyArn(ctx: OperationContext, targetKeyId: string): string {
  if (isKeyId(targetKeyId)) return keyArn(ctx.region, ctx.caller.accountId, targetKeyId);
  const parsed = parseKeyArn(targetKeyId);
  if (parsed !== undefined && parsed.account === ctx.caller.accountId && parsed.region === ctx.region) {
    return targetKeyId;
  }
  if (targetKeyId.startsWith("alias/") || targetKeyId.includes(":alias/")) {
    throw new KmsError("ValidationException", "Aliases must refer to keys. Use a key ID or key ARN as TargetKeyId.");
  }
  throw new KmsError("NotFoundException", `Invalid keyId ${targetKeyId}`);
}

function keyIdOf(arn: string): string {
  return arn.slice(arn.lastIndexOf("/") + 1);
}

export const CreateAlias: Handler<"CreateAlias"> = async (ctx, request) => {
  checkAliasName(request.AliasName);
  const arn = aliasArn(ctx.region, ctx.caller.accountId, request.AliasName);
  // Two resources, two permissions (permissions reference): the alias (IAM), then the key.
  requireIamPermission(ctx.caller, "kms:CreateAlias", arn);
  const target = targetKeyArn(ctx, request.TargetKeyId);
  await assertKeyMayExist(ctx, target);
  await unwrap(keyObject(ctx, target).checkAliasTarget(keyCall(ctx, target), "CreateAlias"));
  forgetAlias(ctx, request.AliasName);
  await settle(ctx, registryOf(ctx).createAlias(request.AliasName, keyIdOf(target), ctx.settings.aliasesPerAccount, arn, audit(ctx)));
  return {};
};

export const UpdateAlias: Handler<"UpdateAlias"> = async (ctx, request) => {
  checkAliasName(request.AliasName);
  const arn = aliasArn(ctx.region, ctx.caller.accountId, request.AliasName);
  // Three resources: the alias (IAM), the key it points to now and the new target key.
  requireIamPermission(ctx.caller, "kms:UpdateAlias", arn);
  const newTarget = targetKeyArn(ctx, request.TargetKeyId);
  const registry = registryOf(ctx);
  const currentId = await registry.resolveAlias(request.AliasName);
  if (currentId === undefined) throw aliasNotFound(arn);
  const current = keyArn(ctx.region, ctx.caller.accountId, currentId);
  await unwrap(keyObject(ctx, current).checkAliasTarget(keyCall(ctx, current), "UpdateAliasSource"));
  await assertKeyMayExist(ctx, newTarget);
  await unwrap(keyObject(ctx, newTarget).checkAliasTarget(keyCall(ctx, newTarget), "UpdateAliasTarget"));
  forgetAlias(ctx, request.AliasName);
  await settle(ctx, registry.updateAlias(request.AliasName, keyIdOf(newTarget), currentId, arn, audit(ctx)));
  return {};
};

export const DeleteAlias: Handler<"DeleteAlias"> = async (ctx, request) => {
  checkAliasName(request.AliasName);
  const registry = registryOf(ctx);
  const arn = aliasArn(ctx.region, ctx.caller.accountId, request.AliasName);
  requireIamPermission(ctx.caller, "kms:DeleteAlias", arn);
  const currentId = await registry.resolveAlias(request.AliasName);
  if (currentId === undefined) throw aliasNotFound(arn);
  const current = keyArn(ctx.region, ctx.caller.accountId, currentId);
  await unwrap(keyObject(ctx, current).checkAliasTarget(keyCall(ctx, current), "DeleteAlias"));
  forgetAlias(ctx, request.AliasName);
  await settle(ctx, registry.deleteAlias(request.AliasName, currentId, arn, audit(ctx)));
  return {};
};

export const ListAliases: Handler<"ListAliases"> = async (ctx, request) => {
  requireIamPermission(ctx.caller, "kms:ListAliases", "*");
  let filterKeyArn: string | undefined;
  if (request.KeyId !== undefined) {
    // Listing another account's aliases is not possible: AWS lists only the caller's, and a key
    // the caller's account does not hold is NotFoundException.
    filterKeyArn = await resolveKeyArn(ctx, request.KeyId);
  }
  const filterKeyId = filterKeyArn === undefined ? undefined : keyIdOf(filterKeyArn);
  const page = await settle(ctx, registryOf(ctx).listAliases(filterKeyId, filterKeyArn, request.Limit ?? 100, request.Marker, audit(ctx)));
  const response: { Aliases: object[]; Truncated: boolean; NextMarker?: string } = {
    Aliases: page.items.map((a) => ({
      AliasName: a.aliasName,
      AliasArn: aliasArn(ctx.region, ctx.caller.accountId, a.aliasName),
      TargetKeyId: a.targetKeyId,
      CreationDate: new Date(a.creationDate),
      LastUpdatedDate: new Date(a.lastUpdatedDate),
    })),
    Truncated: page.nextMarker !== undefined,
  };
  if (page.nextMarker !== undefined) response.NextMarker = page.nextMarker;
  return response;
};
