import { CreateKeyCommand, ListResourceTagsCommand, TagResourceCommand, UntagResourceCommand } from "@aws-sdk/client-kms";
import { describe, expect, it } from "vitest";
import { awsError, useLocalWorker } from "./support.ts";

const worker = useLocalWorker();

describe("TagResource, UntagResource and ListResourceTags", () => {
  it("tags at creation, adds and overwrites tags, removes them, and pages the list", async () => {
    const kms = worker.client();
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({ Tags: [{ TagKey: "team", TagValue: "payments" }] }));
    const keyId = KeyMetadata!.KeyId!;
    await kms.send(
      new TagResourceCommand({
        KeyId: keyId,
        Tags: [
          { TagKey: "team", TagValue: "billing" },
          { TagKey: "env", TagValue: "" },
          { TagKey: "cost", TagValue: "42" },
        ],
      }),
    );
    await kms.send(new UntagResourceCommand({ KeyId: keyId, TagKeys: ["cost", "not-there"] }));
    const all = await kms.send(new ListResourceTagsCommand({ KeyId: keyId }));
    expect(all.Tags).toEqual([
      { TagKey: "team", TagValue: "billing" },
      { TagKey: "env", TagValue: "" },
    ]);
    expect(all.Truncated).toBe(false);
    const first = await kms.send(new ListResourceTagsCommand({ KeyId: keyId, Limit: 1 }));
    expect(first.Tags).toHaveLength(1);
    expect(first.Truncated).toBe(true);
    const second = await kms.send(new ListResourceTagsCommand({ KeyId: keyId, Limit: 1, Marker: first.NextMarker }));
    expect(second.Tags).toEqual([{ TagKey: "env", TagValue: "" }]);
    expect(second.Truncated).toBe(false);
  });

  it("refuses aws: tag keys, too long keys and values, and more than 50 tags, changing nothing", async () => {
    const kms = worker.client();
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({}));
    const keyId = KeyMetadata!.KeyId!;
    const reserved = await awsError(kms.send(new TagResourceCommand({ KeyId: keyId, Tags: [{ TagKey: "aws:x", TagValue: "y" }] })));
    expect(reserved.name).toBe("TagException");
    const longKey = await awsError(kms.send(new TagResourceCommand({ KeyId: keyId, Tags: [{ TagKey: "k".repeat(129), TagValue: "v" }] })));
    expect(longKey.name).toBe("ValidationException");
    const longValue = await awsError(
      kms.send(new TagResourceCommand({ KeyId: keyId, Tags: [{ TagKey: "k", TagValue: "v".repeat(257) }] })),
    );
    expect(longValue.name).toBe("ValidationException");
    const fifty = Array.from({ length: 50 }, (_, i) => ({ TagKey: `t${i}`, TagValue: "v" }));
    await kms.send(new TagResourceCommand({ KeyId: keyId, Tags: fifty }));
    const tooMany = await awsError(kms.send(new TagResourceCommand({ KeyId: keyId, Tags: [{ TagKey: "one-more", TagValue: "v" }] })));
    expect(tooMany.name).toBe("TagException");
    const listed = await kms.send(new ListResourceTagsCommand({ KeyId: keyId }));
    expect(listed.Tags).toHaveLength(50);
    expect(listed.Tags!.map((t) => t.TagKey)).not.toContain("aws:x");
    const createReserved = await awsError(kms.send(new CreateKeyCommand({ Tags: [{ TagKey: "aws:k", TagValue: "v" }] })));
    expect(createReserved.name).toBe("TagException");
  });
});
