/**
 * Key management operations: CreateKey, DescribeKey, ListKeys, EnableKey, DisableKey,
 * UpdateKeyDescription and rotation (EnableKeyRotation with its RotationPeriodInDays,
 * DisableKeyRotation, GetKeyRotationStatus, RotateKeyOnDemand, ListKeyRotations). The guide's
 * chapters "Creating Keys", "Viewing Keys", "Enabling and Disabling Keys" and "Rotating Customer
 * Master Keys", and today's API reference for on-demand rotation.
 */
import { keyArn } from "../arn.ts";
import { newKeyId, newMultiRegionKeyId } from "../keys/key-id.ts";
import { KmsError } from "../protocol/errors.ts";
import type { Tag } from "../protocol/shapes.ts";
import { unwrap } from "../service/rpc.ts";
import { audit, keyCall, keyObject, registryOf, resolveKeyArn, settle, type Handler, type OperationContext } from "./context.ts";
import { validateTags } from "./tags.ts";
import { isHmacSpec, isSupportedKeySpec, KEY_SPEC_USAGES } from "../keys/key-specs.ts";
import { checkNewKeyPolicy, requireIamPermission } from "../service/access.ts";
import type { CallFacts } from "../service/caller.ts";

/** The guide's default key policy: the owning account's root may do everything with the key. */
export function defaultKeyPolicy(accountId: string): string {
  return JSON.stringify(
    {
      Version: "2012-10-17",
      Id: "key-default-1",
      Statement: [
        {
          Sid: "Enable IAM User Permissions",
          Effect: "Allow",
          Principal: { AWS: `arn:aws:iam::${accountId}:root` },
          Action: "kms:*",
          Resource: "*",
        },
      ],
    },
    null,
    2,
  );
}

function unsupported(message: string): KmsError {
  return new KmsError("UnsupportedOperationException", message);
}

export const CreateKey: Handler<"CreateKey"> = async (ctx, request) => {
  const keySpec = request.KeySpec ?? request.CustomerMasterKeySpec ?? "SYMMETRIC_DEFAULT";
  if (request.KeySpec !== undefined && request.CustomerMasterKeySpec !== undefined) {
    throw new KmsError("ValidationException", "You cannot specify KeySpec and CustomerMasterKeySpec in the same request.");
  }
  if (!isSupportedKeySpec(keySpec)) throw unsupported(`KeySpec ${keySpec} is not supported by EdgeKMS.`);
  const keyUsage = request.KeyUsage ?? "ENCRYPT_DECRYPT";
  if (KEY_SPEC_USAGES[keySpec][keyUsage] === undefined) {
    throw new KmsError("ValidationException", `KeyUsage ${keyUsage} is not compatible with KeySpec ${keySpec}`);
  }
  const origin = request.Origin ?? "AWS_KMS";
  if (origin !== "AWS_KMS" && origin !== "EXTERNAL") throw unsupported(`Origin ${origin} is not supported by EdgeKMS.`);
  if (origin === "EXTERNAL" && keySpec !== "SYMMETRIC_DEFAULT" && !isHmacSpec(keySpec)) {
    throw unsupported(
      `Imported key material (Origin EXTERNAL) for KeySpec ${keySpec} is not supported by EdgeKMS: only symmetric encryption and HMAC keys take imported material.`,
    );
  }
  if (request.CustomKeyStoreId !== undefined || request.XksKeyId !== undefined) {
    throw unsupported("Custom key stores are not supported by EdgeKMS.");
  }
  const multiRegion = request.MultiRegion === true;
  const tags: Tag[] = request.Tags ?? [];
  validateTags(tags);
  // IAM-only permissions (guide, permissions reference): kms:CreateKey, and kms:TagResource when
  // the request carries tags; then the new policy's validity and the lockout safety check.
  const facts: CallFacts = {
    bypassPolicyLockoutSafetyCheck: request.BypassPolicyLockoutSafetyCheck === true,
    extra: { "kms:KeySpec": keySpec, "kms:KeyUsage": keyUsage, "kms:MultiRegion": String(multiRegion) },
    ...(tags.length === 0 ? {} : { requestTags: Object.fromEntries(tags.map((t) => [t.TagKey, t.TagValue])) }),
  };
  requireIamPermission(ctx.caller, "kms:CreateKey", "*", facts);
  if (tags.length > 0) requireIamPermission(ctx.caller, "kms:TagResource", "*", facts);

  const keyId = multiRegion
    ? newMultiRegionKeyId(ctx.ports.rootKeys(), ctx.caller.accountId)
    : newKeyId(ctx.ports.rootKeys(), ctx.caller.accountId, ctx.region);
  const arn = keyArn(ctx.region, ctx.caller.accountId, keyId);
  const policy = request.Policy ?? defaultKeyPolicy(ctx.caller.accountId);
  if (request.Policy !== undefined) checkNewKeyPolicy(ctx.caller, facts, arn, tags, request.Policy);
  const key = keyObject(ctx, arn);
  // The key object is written first: until the registry lists it, nobody knows its random ID, so
  // a failure between the two steps leaves nothing a client can see.
  const metadata = await unwrap(
    key.create({
      keyId,
      arn,
      accountId: ctx.caller.accountId,
      description: request.Description ?? "",
      origin,
      policy,
      tags,
      keySpec,
      keyUsage,
      multiRegion,
    }),
  );
  const response = { KeyMetadata: metadata };
  try {
    await settle(ctx, registryOf(ctx).addKey({ keyId, keyArn: arn }, ctx.settings.keysPerAccount, audit(ctx), response));
  } catch (err) {
    await key.destroy();
    throw err;
  }
  return response;
};

export const DescribeKey: Handler<"DescribeKey"> = async (ctx, request) => {
  const arn = await resolveKeyArn(ctx, request.KeyId);
  const facts = request.GrantTokens === undefined ? undefined : { grantTokens: request.GrantTokens };
  return { KeyMetadata: await settle(ctx, keyObject(ctx, arn).describe(keyCall(ctx, arn, facts), audit(ctx))) };
};

export const ListKeys: Handler<"ListKeys"> = async (ctx, request) => {
  requireIamPermission(ctx.caller, "kms:ListKeys", "*");
  const page = await settle(ctx, registryOf(ctx).listKeys(request.Limit ?? 100, request.Marker, audit(ctx)));
  const response: { Keys: { KeyId: string; KeyArn: string }[]; Truncated: boolean; NextMarker?: string } = {
    Keys: page.items.map((k) => ({ KeyId: k.keyId, KeyArn: k.keyArn })),
    Truncated: page.nextMarker !== undefined,
  };
  if (page.nextMarker !== undefined) response.NextMarker = page.nextMarker;
  return response;
};

async function withKey<T>(ctx: OperationContext, keyId: string, run: (arn: string) => Promise<T>): Promise<T> {
  return run(await resolveKeyArn(ctx, keyId));
}

export const EnableKey: Handler<"EnableKey"> = (ctx, request) =>
  withKey(ctx, request.KeyId, async (arn) => {
    await settle(ctx, keyObject(ctx, arn).setEnabled(keyCall(ctx, arn), true, audit(ctx)));
    return {};
  });

export const DisableKey: Handler<"DisableKey"> = (ctx, request) =>
  withKey(ctx, request.KeyId, async (arn) => {
    await settle(ctx, keyObject(ctx, arn).setEnabled(keyCall(ctx, arn), false, audit(ctx)));
    return {};
  });

export const UpdateKeyDescription: Handler<"UpdateKeyDescription"> = (ctx, request) =>
  withKey(ctx, request.KeyId, async (arn) => {
    await settle(ctx, keyObject(ctx, arn).updateDescription(keyCall(ctx, arn), request.Description, audit(ctx)));
    return {};
  });

export const EnableKeyRotation: Handler<"EnableKeyRotation"> = (ctx, request) =>
  withKey(ctx, request.KeyId, async (arn) => {
    const days = request.RotationPeriodInDays;
    // kms:RotationPeriodInDays constrains the value a request sets (present only when it sets one).
    const facts = days === undefined ? undefined : { extra: { "kms:RotationPeriodInDays": String(days) } };
    await settle(ctx, keyObject(ctx, arn).setRotation(keyCall(ctx, arn, facts), true, days, audit(ctx)));
    return {};
  });

export const DisableKeyRotation: Handler<"DisableKeyRotation"> = (ctx, request) =>
  withKey(ctx, request.KeyId, async (arn) => {
    await settle(ctx, keyObject(ctx, arn).setRotation(keyCall(ctx, arn), false, undefined, audit(ctx)));
    return {};
  });

export const RotateKeyOnDemand: Handler<"RotateKeyOnDemand"> = (ctx, request) =>
  withKey(ctx, request.KeyId, async (arn) => ({
    KeyId: await settle(ctx, keyObject(ctx, arn).rotateOnDemand(keyCall(ctx, arn), audit(ctx))),
  }));

/** GetKeyLastUsage: by key ID or key ARN ("Alias names are not supported"). */
export const GetKeyLastUsage: Handler<"GetKeyLastUsage"> = async (ctx, request) => {
  if (/^alias\/|^arn:[^:]*:kms:[^:]*:[^:]*:alias\//.test(request.KeyId)) {
    throw new KmsError("NotFoundException", `Alias names are not supported by GetKeyLastUsage: ${request.KeyId}`);
  }
  const arn = await resolveKeyArn(ctx, request.KeyId);
  return settle(ctx, keyObject(ctx, arn).lastUsage(keyCall(ctx, arn), audit(ctx)));
};

export const ListKeyRotations: Handler<"ListKeyRotations"> = (ctx, request) =>
  withKey(ctx, request.KeyId, async (arn) => {
    const include = request.IncludeKeyMaterial ?? "ROTATIONS_ONLY";
    return settle(ctx, keyObject(ctx, arn).listRotations(keyCall(ctx, arn), include, request.Limit ?? 100, request.Marker, audit(ctx)));
  });

export const GetKeyRotationStatus: Handler<"GetKeyRotationStatus"> = (ctx, request) =>
  withKey(ctx, request.KeyId, async (arn) => {
    const status = await settle(ctx, keyObject(ctx, arn).rotationStatus(keyCall(ctx, arn), audit(ctx)));
    return { KeyId: arn, ...status };
  });
