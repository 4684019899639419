/**
 * Key backups (issue 15): `npm run backup -- export` writes a key's sealed state — never its
 * plaintext material — and `restore` puts it into a fresh deployment with the same root key,
 * where a ciphertext made before the export decrypts and the key's alias, tags and grants are
 * back; restoring again changes nothing; a key that differs, or a deployment whose root keys do
 * not open the backup, is refused and nothing changes.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  CreateAliasCommand,
  CreateGrantCommand,
  CreateKeyCommand,
  DecryptCommand,
  DescribeKeyCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  ListGrantsCommand,
  ListResourceTagsCommand,
  TagResourceCommand,
} from "@aws-sdk/client-kms";
import { afterAll, describe, expect, it } from "vitest";
import { BACKUP_EXPORT_TARGET, BACKUP_RESTORE_TARGET, type KeyBackup } from "../../src/admin/backup.ts";
import { callExtension, DEV_ROOTS } from "../../src/admin/client.ts";
import type { LocalWorker } from "./local-worker.ts";
import { startRuntime } from "./runtime.ts";
import { awsError, kmsClient, utf8 } from "./support.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
const dirs: string[] = [];
const workers: LocalWorker[] = [];
async function fresh(vars: Record<string, string> = {}): Promise<LocalWorker> {
  const dir = mkdtempSync(join(tmpdir(), "edgekms-backup-"));
  dirs.push(dir);
  const worker = await startRuntime({ persistDir: dir, vars });
  workers.push(worker);
  return worker;
}
afterAll(async () => {
  for (const w of workers) await w.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function backupTool(url: string, ...args: string[]) {
  const run = spawnSync(process.execPath, ["scripts/run-ts.mjs", "scripts/backup.ts", ...args, "--endpoint", url, "--local"], {
    cwd: root,
    encoding: "utf8",
    timeout: 60_000,
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

const restore = (url: string, backup: KeyBackup) =>
  callExtension<{ KeyId: string; Status: string }>(url, "us-east-1", DEV_ROOTS["111122223333"]!, BACKUP_RESTORE_TARGET, { Backup: backup });

describe("key backups", () => {
  let arn = "";
  let blob: Uint8Array;
  let dataKey: Uint8Array;
  let backup: KeyBackup;
  let target: LocalWorker;

  it("export a key's sealed state, never its material", async () => {
    const source = await fresh();
    const kms = kmsClient(source.url);
    arn = (await kms.send(new CreateKeyCommand({ Description: "backed up", Tags: [{ TagKey: "team", TagValue: "orders" }] }))).KeyMetadata!
      .Arn!;
    await kms.send(new CreateAliasCommand({ AliasName: "alias/backed-up", TargetKeyId: arn }));
    await kms.send(
      new CreateGrantCommand({ KeyId: arn, Name: "app", GranteePrincipal: "arn:aws:iam::111122223333:user/bob", Operations: ["Decrypt"] }),
    );
    blob = (await kms.send(new EncryptCommand({ KeyId: arn, Plaintext: utf8("made before the export") }))).CiphertextBlob!;
    const generated = await kms.send(new GenerateDataKeyCommand({ KeyId: arn, KeySpec: "AES_256" }));
    dataKey = generated.Plaintext!;

    // Exporting is an operator's action: kms:* in an IAM policy does not grant edgekms:ExportKeyBackup.
    const bob = { accessKeyId: "bob", secretAccessKey: "bob" };
    expect((await awsError(callExtension(source.url, "us-east-1", bob, BACKUP_EXPORT_TARGET, { KeyId: arn }))).name).toBe(
      "AccessDeniedException",
    );
    const madeUp = `arn:aws:kms:us-east-1:111122223333:key/${crypto.randomUUID()}`;
    expect(
      (await awsError(callExtension(source.url, "us-east-1", DEV_ROOTS["111122223333"]!, BACKUP_EXPORT_TARGET, { KeyId: madeUp }))).name,
    ).toBe("NotFoundException");
    const exported = backupTool(source.url, "export", "--key", arn);
    expect(exported.status, exported.stderr).toBe(0);
    backup = JSON.parse(exported.stdout) as KeyBackup;
    expect(backup).toMatchObject({ Format: "edgekms-key-backup-v1", KeyArn: arn, Aliases: ["alias/backed-up"] });
    expect(backup.RootKeyIds).toHaveLength(1);
    const names = backup.Entries.map(([name]) => name);
    expect(names).toContain("key");
    expect(names).toContain("version:0000000001");
    expect(names.some((n) => n.startsWith("outbox:"))).toBe(false);
    // The data key is under the backing key; neither appears in the clear (the backing key is sealed).
    expect(exported.stdout).not.toContain(Buffer.from(dataKey).toString("base64"));
  });

  it("restore into fresh state with the same root key: old ciphertexts decrypt, alias, tags and grants are back", async () => {
    target = await fresh();
    const file = join(dirs[0]!, "key.json");
    writeFileSync(file, JSON.stringify(backup));
    const restored = backupTool(target.url, "restore", "--file", file);
    expect(restored.status, restored.stderr).toBe(0);
    expect(restored.stderr).toContain("Restored");

    const kms = kmsClient(target.url);
    expect(new TextDecoder().decode((await kms.send(new DecryptCommand({ CiphertextBlob: blob }))).Plaintext)).toBe(
      "made before the export",
    );
    expect((await kms.send(new DescribeKeyCommand({ KeyId: "alias/backed-up" }))).KeyMetadata).toMatchObject({
      Arn: arn,
      Description: "backed up",
    });
    expect((await kms.send(new ListResourceTagsCommand({ KeyId: arn }))).Tags).toEqual([{ TagKey: "team", TagValue: "orders" }]);
    expect((await kms.send(new ListGrantsCommand({ KeyId: arn }))).Grants?.map((g) => g.Name)).toEqual(["app"]);
    // Restoring the same backup again changes nothing.
    expect((await restore(target.url, backup)).Status).toBe("Unchanged");
  });

  it("refuses a key that exists with different state, and changes nothing", async () => {
    const kms = kmsClient(target.url);
    await kms.send(new TagResourceCommand({ KeyId: arn, Tags: [{ TagKey: "since", TagValue: "restore" }] }));
    const refused = await awsError(restore(target.url, backup));
    expect(refused.name).toBe("ValidationException");
    expect(refused.message).toMatch(/different state .*Nothing was restored/);
    expect((await kms.send(new ListResourceTagsCommand({ KeyId: arn }))).Tags).toHaveLength(2);
  });

  it("refuses a tampered backup, and one no configured root key opens, creating nothing", async () => {
    const other = await fresh({ ROOT_KEY: Buffer.from("a-different-root-key-of-32-bytes").toString("base64") });
    // A tampered backup is refused before anything is read or written.
    const tampered = {
      ...backup,
      Entries: backup.Entries.map(([name, value]) => [name, name === "key" ? { ...(value as object), keyState: "Bogus" } : value]),
    } as KeyBackup;
    expect((await awsError(restore(other.url, tampered))).message).toBe("The key backup is not valid: entry key is malformed.");
    const extra = { ...backup, Entries: [...backup.Entries, ["lastUsage", {}]] } as KeyBackup;
    expect((await awsError(restore(other.url, extra))).message).toContain('entry "lastUsage" is not one of a key\'s records');
    const refused = await awsError(restore(other.url, backup));
    expect(refused.name).toBe("ValidationException");
    expect(refused.message).toMatch(/does not open under the configured root keys.*Nothing was restored/);
    expect((await awsError(kmsClient(other.url).send(new DescribeKeyCommand({ KeyId: "alias/backed-up" })))).name).toBe(
      "NotFoundException",
    );
  });
});
