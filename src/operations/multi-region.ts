/**
 * Multi-Region key operations: ReplicateKey and UpdatePrimaryRegion (API reference; the guide's
 * "Multi-Region keys in AWS KMS"). CreateKey's MultiRegion is in keys.ts; what each key of a set
 * shares and how changes reach the others is in src/keys/multi-region.ts.
 *
 * ReplicateKey runs across two Regions of this deployment: the primary checks kms:ReplicateKey and
 * hands over its shared state with every backing key sealed for the replica's ARN; the replica is
 * created in its Region's key object and registered in its Region's key list (its quota, and a
 * CreateKey record in that Region's trail, as AWS records one); then the primary lists it and
 * synchronises the set. A failure after the replica exists removes it again.
 */
import { keyArn, parseKeyArn } from "../arn.ts";
import { KmsError } from "../protocol/errors.ts";
import type { Tag } from "../protocol/shapes.ts";
import { checkNewKeyPolicy, requireIamPermission } from "../service/access.ts";
import type { CallFacts } from "../service/caller.ts";
import { unwrap } from "../service/rpc.ts";
import { audit, keyCall, keyObject, resolveKeyArn, settle, type Handler, type OperationContext } from "./context.ts";
import { defaultKeyPolicy } from "./keys.ts";
import { validateTags } from "./tags.ts";

/** @throws ValidationException for a Region this deployment does not serve, or the key's own. */
function otherServedRegion(ctx: OperationContext, region: string, own: string, member: string): string {
  if (!ctx.settings.regions.includes(region)) {
    throw new KmsError(
      "ValidationException",
      `${member} ${region} is not a Region this deployment serves: ${ctx.settings.regions.join(", ")}.`,
    );
  }
  if (region === own) throw new KmsError("ValidationException", `${member} ${region} is the Region of the key itself.`);
  return region;
}

export const ReplicateKey: Handler<"ReplicateKey"> = async (ctx, request) => {
  const primaryArn = await resolveKeyArn(ctx, request.KeyId);
  const primary = parseKeyArn(primaryArn)!;
  const region = otherServedRegion(ctx, request.ReplicaRegion, primary.region, "ReplicaRegion");
  const tags: Tag[] = request.Tags ?? [];
  validateTags(tags);
  const replicaArn = keyArn(region, primary.account, primary.keyId);
  // kms:ReplicateKey on the primary (its key policy), kms:CreateKey — and kms:TagResource for
  // tags — in an IAM policy for the replica Region.
  const facts: CallFacts = {
    bypassPolicyLockoutSafetyCheck: request.BypassPolicyLockoutSafetyCheck === true,
    extra: { "kms:ReplicaRegion": region },
    ...(tags.length === 0 ? {} : { requestTags: Object.fromEntries(tags.map((t) => [t.TagKey, t.TagValue])) }),
  };
  const call = keyCall(ctx, primaryArn, facts);
  // The call's record names both keys (its resources).
  ctx.touchedKeys.add(replicaArn);
  const primaryKey = keyObject(ctx, primaryArn);
  const source = await settle(ctx, primaryKey.exportReplica(call, replicaArn));
  requireIamPermission({ ...ctx.caller, region }, "kms:CreateKey", "*", {
    extra: { "kms:KeySpec": source.keySpec, "kms:KeyUsage": source.keyUsage },
  });
  if (tags.length > 0) requireIamPermission({ ...ctx.caller, region }, "kms:TagResource", "*", facts);
  const policy = request.Policy ?? defaultKeyPolicy(ctx.caller.accountId);
  if (request.Policy !== undefined) checkNewKeyPolicy(ctx.caller, facts, replicaArn, tags, request.Policy);

  const replica = keyObject(ctx, replicaArn);
  const metadata = await unwrap(
    replica.createReplica({
      arn: replicaArn,
      keyId: primary.keyId,
      accountId: primary.account,
      description: request.Description ?? "",
      policy,
      tags,
      source,
    }),
  );
  const response = { ReplicaKeyMetadata: metadata, ReplicaPolicy: policy, ReplicaTags: tags };
  const directory = ctx.ports.accounts(primary.account, region);
  try {
    // The replica Region's key list and key quota; its trail records a CreateKey, as AWS's does.
    const createKeyRecord = { ...audit(ctx), eventName: "CreateKey", region, keyArns: [replicaArn], eventId: crypto.randomUUID() };
    await unwrap(directory.addKey({ keyId: primary.keyId, keyArn: replicaArn }, ctx.settings.keysPerAccount, createKeyRecord, response));
  } catch (err) {
    await replica.destroy();
    throw err;
  }
  try {
    await settle(ctx, primaryKey.addReplica(call, replicaArn, response, audit(ctx)));
  } catch (err) {
    await directory.removeKey(primary.keyId);
    await replica.destroy();
    throw err;
  }
  return response;
};

export const UpdatePrimaryRegion: Handler<"UpdatePrimaryRegion"> = async (ctx, request) => {
  const primaryArn = await resolveKeyArn(ctx, request.KeyId);
  const primary = parseKeyArn(primaryArn)!;
  const region = otherServedRegion(ctx, request.PrimaryRegion, primary.region, "PrimaryRegion");
  const newPrimaryArn = keyArn(region, primary.account, primary.keyId);
  const facts: CallFacts = { extra: { "kms:PrimaryRegion": region } };
  // kms:UpdatePrimaryRegion on both keys: the replica to promote first (it changes nothing), then
  // the primary, which makes the change and records the call.
  if (!primary.keyId.startsWith("mrk-")) throw new KmsError("UnsupportedOperationException", `${primaryArn} is not a multi-Region key.`);
  await settle(ctx, keyObject(ctx, newPrimaryArn).checkPrimaryUpdate(keyCall(ctx, newPrimaryArn, facts), primaryArn)).catch(
    (err: unknown) => {
      // A Region without a replica: AWS's NotFoundException.
      if (err instanceof KmsError && err.type === "NotFoundException") {
        throw new KmsError("NotFoundException", `${primaryArn} has no replica key in ${region}.`);
      }
      throw err;
    },
  );
  await settle(ctx, keyObject(ctx, primaryArn).updatePrimaryRegion(keyCall(ctx, primaryArn, facts), newPrimaryArn, audit(ctx)));
  return {};
};
