/**
 * Issue 11, item 4: looking up a key or an account that does not exist creates no storage. A
 * Durable Object's database appears the first time anything looks at it, so requests naming
 * made-up keys, key ARNs, ciphertext blobs, aliases and accounts must be answered without
 * addressing any key object or account registry (src/keys/key-id.ts, src/operations/context.ts).
 * Only the caller's own audit trail grows, by one record per refused call.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import {
  CreateAliasCommand,
  CreateKeyCommand,
  DecryptCommand,
  DescribeKeyCommand,
  EncryptCommand,
  ListAliasesCommand,
  ListGrantsCommand,
} from "@aws-sdk/client-kms";
import { describe, expect, it } from "vitest";
import { awsError, useLocalWorker, utf8 } from "./support.ts";

const worker = useLocalWorker();

/** The Durable Object databases of one class in the worker's state folder. */
function databases(className: "KeyObject" | "AccountRegistry"): string[] {
  const dir = join(worker.persistDir, "v3", "do", `edgekms-${className}`);
  try {
    return readdirSync(dir).filter((f) => f.endsWith(".sqlite"));
  } catch {
    return [];
  }
}

describe("requests naming what does not exist", () => {
  it("create no key object and no account registry, and answer as AWS does", async () => {
    const kms = worker.client("bob");
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({}));
    const { CiphertextBlob } = await kms.send(new EncryptCommand({ KeyId: KeyMetadata!.KeyId!, Plaintext: utf8("x") }));
    const keys = databases("KeyObject");
    const registries = databases("AccountRegistry");
    expect(keys.length).toBeGreaterThan(0);

    // A ciphertext blob whose header names a made-up key of the same account.
    const text = new TextDecoder("latin1").decode(CiphertextBlob!);
    const forged = CiphertextBlob!.slice();
    forged.set(utf8(crypto.randomUUID()), text.indexOf(KeyMetadata!.KeyId!));
    const strangers = [
      () => kms.send(new DescribeKeyCommand({ KeyId: crypto.randomUUID() })),
      () => kms.send(new EncryptCommand({ KeyId: `arn:aws:kms:us-east-1:111122223333:key/${crypto.randomUUID()}`, Plaintext: utf8("x") })),
      () => kms.send(new ListGrantsCommand({ KeyId: `arn:aws:kms:us-east-1:999988887777:key/${crypto.randomUUID()}` })),
      () => kms.send(new EncryptCommand({ KeyId: "arn:aws:kms:us-east-1:999988887777:alias/anything", Plaintext: utf8("x") })),
      () => kms.send(new CreateAliasCommand({ AliasName: "alias/nowhere", TargetKeyId: crypto.randomUUID() })),
      () => kms.send(new ListAliasesCommand({ KeyId: crypto.randomUUID() })),
      () => kms.send(new DecryptCommand({ CiphertextBlob: forged })),
    ];
    const answers = [];
    for (const call of strangers) answers.push((await awsError(call())).name);
    expect(answers).toEqual([
      "NotFoundException",
      "NotFoundException",
      "NotFoundException",
      "NotFoundException",
      "NotFoundException",
      "NotFoundException",
      "InvalidCiphertextException",
    ]);
    expect(databases("KeyObject").sort()).toEqual(keys.sort());
    expect(databases("AccountRegistry").sort()).toEqual(registries.sort());
  });
});
