import {
  CreateAliasCommand,
  CreateKeyCommand,
  DeleteAliasCommand,
  DescribeKeyCommand,
  EncryptCommand,
  ListAliasesCommand,
  UpdateAliasCommand,
} from "@aws-sdk/client-kms";
import { describe, expect, it } from "vitest";
import { ACCOUNT, awsError, REGION, useLocalWorker, utf8 } from "./support.ts";

const worker = useLocalWorker({ ALIASES_PER_ACCOUNT: "8" });

async function newKey(identity: "test" | "external" = "test") {
  const { KeyMetadata } = await worker.client(identity).send(new CreateKeyCommand({}));
  return { KeyId: KeyMetadata!.KeyId!, Arn: KeyMetadata!.Arn! };
}

describe("CreateAlias, UpdateAlias and DeleteAlias", () => {
  it("creates an alias usable wherever a key ID is, points it elsewhere, and deletes it", async () => {
    const kms = worker.client();
    const a = await newKey();
    const b = await newKey();
    await kms.send(new CreateAliasCommand({ AliasName: "alias/app-key", TargetKeyId: a.Arn }));
    const enc = await kms.send(new EncryptCommand({ KeyId: "alias/app-key", Plaintext: utf8("x") }));
    expect(enc.KeyId).toBe(a.Arn);
    await kms.send(new UpdateAliasCommand({ AliasName: "alias/app-key", TargetKeyId: b.KeyId }));
    const moved = await kms.send(new DescribeKeyCommand({ KeyId: "alias/app-key" }));
    expect(moved.KeyMetadata!.Arn).toBe(b.Arn);
    await kms.send(new DeleteAliasCommand({ AliasName: "alias/app-key" }));
    const gone = await awsError(kms.send(new DescribeKeyCommand({ KeyId: "alias/app-key" })));
    expect(gone.name).toBe("NotFoundException");
  });

  it("refuses a duplicate alias name with AlreadyExistsException", async () => {
    const kms = worker.client();
    const a = await newKey();
    await kms.send(new CreateAliasCommand({ AliasName: "alias/unique", TargetKeyId: a.KeyId }));
    const err = await awsError(kms.send(new CreateAliasCommand({ AliasName: "alias/unique", TargetKeyId: a.KeyId })));
    expect(err.name).toBe("AlreadyExistsException");
  });

  it("refuses names without the alias/ prefix, with bad characters, or under alias/aws/", async () => {
    const kms = worker.client();
    const a = await newKey();
    const noPrefix = await awsError(kms.send(new CreateAliasCommand({ AliasName: "my-key", TargetKeyId: a.KeyId })));
    expect(noPrefix.name).toBe("ValidationException");
    expect(noPrefix.message).toContain('Alias must start with the prefix "alias/"');
    const badChars = await awsError(kms.send(new CreateAliasCommand({ AliasName: "alias/has space", TargetKeyId: a.KeyId })));
    expect(badChars.name).toBe("ValidationException");
    expect(badChars.message).toContain("at 'aliasName' failed to satisfy constraint: Member must satisfy regular expression pattern");
    const reserved = await awsError(kms.send(new CreateAliasCommand({ AliasName: "alias/aws/s3", TargetKeyId: a.KeyId })));
    expect(reserved.name).toBe("NotAuthorizedException");
    const tooLong = await awsError(kms.send(new CreateAliasCommand({ AliasName: `alias/${"a".repeat(251)}`, TargetKeyId: a.KeyId })));
    expect(tooLong.name).toBe("ValidationException");
  });

  it("refuses an alias for an unknown key, for another alias, and for another account's key", async () => {
    const kms = worker.client();
    const unknown = await awsError(
      kms.send(new CreateAliasCommand({ AliasName: "alias/orphan", TargetKeyId: "11111111-2222-4333-8444-555555555555" })),
    );
    expect(unknown.name).toBe("NotFoundException");
    const a = await newKey();
    await kms.send(new CreateAliasCommand({ AliasName: "alias/first", TargetKeyId: a.KeyId }));
    const toAlias = await awsError(kms.send(new CreateAliasCommand({ AliasName: "alias/second", TargetKeyId: "alias/first" })));
    expect(toAlias.name).toBe("ValidationException");
    const other = await newKey("external");
    const crossAccount = await awsError(kms.send(new CreateAliasCommand({ AliasName: "alias/theirs", TargetKeyId: other.Arn })));
    expect(crossAccount.name).toBe("NotFoundException");
    const listed = await kms.send(new ListAliasesCommand({}));
    expect(listed.Aliases!.map((x) => x.AliasName)).not.toContain("alias/theirs");
  });

  it("answers NotFoundException when deleting or updating an alias that does not exist", async () => {
    const kms = worker.client();
    const a = await newKey();
    const del = await awsError(kms.send(new DeleteAliasCommand({ AliasName: "alias/never" })));
    expect(del.name).toBe("NotFoundException");
    const upd = await awsError(kms.send(new UpdateAliasCommand({ AliasName: "alias/never", TargetKeyId: a.KeyId })));
    expect(upd.name).toBe("NotFoundException");
  });
});

describe("ListAliases", () => {
  it("lists aliases with their ARNs and dates, filters by key, and pages", async () => {
    const kms = worker.client("external");
    const a = await newKey("external");
    const b = await newKey("external");
    for (const name of ["alias/p1", "alias/p2", "alias/p3"]) {
      await kms.send(new CreateAliasCommand({ AliasName: name, TargetKeyId: a.KeyId }));
    }
    await kms.send(new CreateAliasCommand({ AliasName: "alias/q1", TargetKeyId: b.KeyId }));
    const forA = await kms.send(new ListAliasesCommand({ KeyId: a.Arn }));
    expect(forA.Aliases!.map((x) => x.AliasName)).toEqual(["alias/p1", "alias/p2", "alias/p3"]);
    const entry = forA.Aliases![0]!;
    expect(entry.AliasArn).toBe(`arn:aws:kms:${REGION}:444455556666:alias/p1`);
    expect(entry.TargetKeyId).toBe(a.KeyId);
    expect(entry.CreationDate).toBeInstanceOf(Date);
    expect(entry.LastUpdatedDate).toBeInstanceOf(Date);
    const names: string[] = [];
    let marker: string | undefined;
    do {
      const page = await kms.send(new ListAliasesCommand({ Limit: 3, Marker: marker }));
      names.push(...page.Aliases!.map((x) => x.AliasName!));
      expect(page.Truncated).toBe(page.NextMarker !== undefined);
      marker = page.NextMarker;
    } while (marker);
    expect(names).toEqual(["alias/p1", "alias/p2", "alias/p3", "alias/q1"]);
  });

  it("refuses an alias beyond the account's alias limit", async () => {
    const kms = worker.client();
    const a = await newKey();
    const existing = (await kms.send(new ListAliasesCommand({}))).Aliases!.length;
    for (let i = existing; i < 8; i++) await kms.send(new CreateAliasCommand({ AliasName: `alias/fill-${i}`, TargetKeyId: a.KeyId }));
    const err = await awsError(kms.send(new CreateAliasCommand({ AliasName: "alias/one-too-many", TargetKeyId: a.KeyId })));
    expect(err.name).toBe("LimitExceededException");
    expect(ACCOUNT).toBe("111122223333");
  });
});
