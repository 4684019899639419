/**
 * `npm run backup`: exports one key's sealed state to a file, or restores it (README "Backups"),
 * through `EdgeKMS_20261130.ExportKeyBackup` / `RestoreKeyBackup` (src/admin/backup.ts).
 *
 *   npm run backup -- export --key arn:aws:kms:us-east-1:111122223333:key/… > key.json
 *   npm run backup -- restore < key.json          # or: restore --file key.json
 *   ... --endpoint https://kms.example.com --region us-east-1   # as the AWS_* credentials in the environment
 *
 * Against the local service (no --endpoint) it calls as the development root of the key's account.
 */
import { readFileSync } from "node:fs";
import { callExtension, DEV_ROOTS, environmentCredentials, type Credentials } from "../src/admin/client.ts";
import { BACKUP_EXPORT_TARGET, BACKUP_RESTORE_TARGET, type KeyBackup } from "../src/admin/backup.ts";

function option(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const command = process.argv[2];
const endpoint = option("endpoint") ?? `http://127.0.0.1:${process.env.PORT ?? "8787"}`;
const region = option("region") ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? "us-east-1";
const local = option("endpoint") === undefined || process.argv.includes("--local");

function credentialsFor(arn: string): Credentials {
  const account = arn.split(":")[4] ?? "";
  const credentials = local ? DEV_ROOTS[account] : environmentCredentials(process.env);
  if (credentials === undefined) {
    console.error(
      `backup: no credentials for account ${account}${local ? " (no development identity)" : " (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)"}`,
    );
    process.exit(2);
  }
  return credentials;
}

try {
  if (command === "export") {
    const key = option("key");
    if (key === undefined) throw new Error("export needs --key <key ARN>");
    const { Backup } = await callExtension<{ Backup: KeyBackup }>(endpoint, region, credentialsFor(key), BACKUP_EXPORT_TARGET, {
      KeyId: key,
    });
    process.stdout.write(`${JSON.stringify(Backup, null, 2)}\n`);
  } else if (command === "restore") {
    const file = option("file");
    const backup = JSON.parse(readFileSync(file ?? 0, "utf8")) as KeyBackup;
    const result = await callExtension<{ KeyId: string; Status: string }>(
      endpoint,
      region,
      credentialsFor(String(backup.KeyArn)),
      BACKUP_RESTORE_TARGET,
      {
        Backup: backup,
      },
    );
    console.error(`backup: ${result.KeyId}: ${result.Status}`);
  } else {
    console.error("usage: npm run backup -- export --key <key ARN> > key.json | restore [--file key.json] [--endpoint URL --region R]");
    process.exit(2);
  }
} catch (err) {
  console.error(`backup: ${(err as Error).name}: ${(err as Error).message}`);
  process.exit(1);
}
