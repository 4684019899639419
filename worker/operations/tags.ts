/**
 * TagResource, UntagResource and ListResourceTags (the guide's "Tagging Keys"): at most 50 tags
 * a key, keys 1–128 and values 0–256 characters (lengths are checked by request validation), and
 * the `aws:` prefix reserved for AWS.
 */
import { KmsError } from "../../src/protocol/errors.ts";
import type { Tag } from "../../src/protocol/shapes.ts";
import { audit, keyCall, keyObject, resolveKeyArn, settle, type Handler } from "./context.ts";

export const MAX_TAGS_PER_KEY = 50;

/** @throws TagException for reserved keys, duplicates in one request, or more than 50 tags. */
export function validateTags(tags: Tag[]): void {
  const seen = new Set<string>();
  for (const tag of tags) {
    if (tag.TagKey.toLowerCase().startsWith("aws:")) {
      throw new KmsError("TagException", `Tag key ${tag.TagKey} is reserved: tag keys must not begin with aws:`);
    }
    if (seen.has(tag.TagKey)) throw new KmsError("TagException", `Duplicate tag key ${tag.TagKey} in the request.`);
    seen.add(tag.TagKey);
  }
  if (tags.length > MAX_TAGS_PER_KEY) {
    throw new KmsError("TagException", `Tag limit exceeded: a key can have at most ${MAX_TAGS_PER_KEY} tags.`);
  }
}

export const TagResource: Handler<"TagResource"> = async (ctx, request) => {
  validateTags(request.Tags);
  const arn = await resolveKeyArn(ctx, request.KeyId);
  const requestTags = Object.fromEntries(request.Tags.map((t) => [t.TagKey, t.TagValue]));
  await settle(ctx, keyObject(ctx, arn).tag(keyCall(ctx, arn, { requestTags }), request.Tags, audit(ctx)));
  return {};
};

export const UntagResource: Handler<"UntagResource"> = async (ctx, request) => {
  for (const key of request.TagKeys) {
    if (key.toLowerCase().startsWith("aws:")) {
      throw new KmsError("TagException", `Tag key ${key} is reserved: tag keys must not begin with aws:`);
    }
  }
  const arn = await resolveKeyArn(ctx, request.KeyId);
  await settle(ctx, keyObject(ctx, arn).untag(keyCall(ctx, arn, { tagKeys: request.TagKeys }), request.TagKeys, audit(ctx)));
  return {};
};

export const ListResourceTags: Handler<"ListResourceTags"> = async (ctx, request) => {
  const arn = await resolveKeyArn(ctx, request.KeyId);
  return settle(ctx, keyObject(ctx, arn).listTags(keyCall(ctx, arn), request.Limit ?? MAX_TAGS_PER_KEY, request.Marker, audit(ctx)));
};
