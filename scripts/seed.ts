/**
 * `npm run seed`: applies a seed file (src/seed/seed-file.ts) to an EdgeKMS endpoint.
 *
 *   npm run seed                                   # the local service, edgekms.seed.json
 *   npm run seed -- --file path/to/seed.json --endpoint https://kms.example.com --region us-east-1
 *
 * Against the local service (the default endpoint, or --local) each account's entries are sent as
 * that account's development root (README "Using it"); against any other endpoint as the AWS
 * credentials in the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN),
 * whose account must own every entry. The file path may also come from EDGEKMS_SEED.
 */
import { existsSync, readFileSync } from "node:fs";
import { DEV_ROOTS, environmentCredentials } from "../src/admin/client.ts";
import { applySeedAt, keysByAccount, type SeedCredentials } from "../src/seed/client.ts";

function option(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const file = option("file") ?? process.env.EDGEKMS_SEED ?? "edgekms.seed.json";
const endpoint = option("endpoint") ?? `http://127.0.0.1:${process.env.PORT ?? "8787"}`;
const region = option("region") ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? "us-east-1";
const local = process.argv.includes("--local") || option("endpoint") === undefined;

if (!existsSync(file)) {
  console.error(`seed: no seed file at ${file}`);
  process.exit(process.argv.includes("--if-present") ? 0 : 2);
}
const document = JSON.parse(readFileSync(file, "utf8")) as { keys?: unknown[] };
const environment: SeedCredentials | undefined = environmentCredentials(process.env);

let failed = false;
for (const [account, keys] of keysByAccount(document, "111122223333")) {
  const credentials = local ? DEV_ROOTS[account] : environment;
  if (credentials === undefined) {
    console.error(
      `seed ${file}: no credentials for account ${account}${local ? " (no development identity)" : " (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)"}`,
    );
    failed = true;
    continue;
  }
  try {
    const result = await applySeedAt(endpoint, region, credentials, { keys });
    console.log(`seed ${file}: account ${account}: ${result.Created.length} created, ${result.Unchanged.length} unchanged`);
  } catch (err) {
    console.error(`seed ${file}: account ${account}: ${(err as Error).name}: ${(err as Error).message}`);
    failed = true;
  }
}
process.exit(failed ? 1 : 0);
