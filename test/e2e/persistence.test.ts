/**
 * State survives a restart of the local worker on the same folder, and what it writes there holds
 * no plaintext, data key or backing key in the clear.
 */
import {
  CreateAliasCommand,
  CreateKeyCommand,
  DecryptCommand,
  DescribeKeyCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  ListAliasesCommand,
  ListKeysCommand,
  ListResourceTagsCommand,
} from "@aws-sdk/client-kms";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { useLocalWorker } from "./support.ts";

const worker = useLocalWorker();

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

describe("persistence", () => {
  it("keeps keys, aliases, tags and decryptability across a restart, and stores no secret in the clear", async () => {
    let kms = worker.client();
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({ Description: "durable", Tags: [{ TagKey: "keep", TagValue: "me" }] }));
    await kms.send(new CreateAliasCommand({ AliasName: "alias/durable", TargetKeyId: KeyMetadata!.KeyId }));
    const plaintext = crypto.getRandomValues(new Uint8Array(64));
    const enc = await kms.send(new EncryptCommand({ KeyId: "alias/durable", Plaintext: plaintext }));
    const dataKey = await kms.send(new GenerateDataKeyCommand({ KeyId: KeyMetadata!.KeyId, KeySpec: "AES_256" }));

    await worker.restart();
    kms = worker.client();

    const described = await kms.send(new DescribeKeyCommand({ KeyId: "alias/durable" }));
    expect(described.KeyMetadata).toMatchObject({ KeyId: KeyMetadata!.KeyId, Description: "durable", KeyState: "Enabled" });
    const keys = await kms.send(new ListKeysCommand({}));
    expect(keys.Keys!.map((k) => k.KeyId)).toContain(KeyMetadata!.KeyId);
    const aliases = await kms.send(new ListAliasesCommand({}));
    expect(aliases.Aliases!.map((a) => a.AliasName)).toContain("alias/durable");
    const tags = await kms.send(new ListResourceTagsCommand({ KeyId: KeyMetadata!.KeyId }));
    expect(tags.Tags).toEqual([{ TagKey: "keep", TagValue: "me" }]);
    const dec = await kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob }));
    expect(Buffer.from(dec.Plaintext!).equals(Buffer.from(plaintext))).toBe(true);
    const decKey = await kms.send(new DecryptCommand({ CiphertextBlob: dataKey.CiphertextBlob }));
    expect(Buffer.from(decKey.Plaintext!).equals(Buffer.from(dataKey.Plaintext!))).toBe(true);

    const files = filesUnder(worker.persistDir);
    expect(files.length).toBeGreaterThan(0);
    const secrets = [Buffer.from(plaintext), Buffer.from(dataKey.Plaintext!)];
    for (const file of files) {
      const bytes = readFileSync(file);
      for (const secret of secrets) expect(bytes.indexOf(secret)).toBe(-1);
    }
    // The ciphertext itself is not stored either: the service keeps keys, not messages.
    expect(files.some((f) => readFileSync(f).indexOf(Buffer.from(enc.CiphertextBlob!)) !== -1)).toBe(false);
  }, 60_000);
});
