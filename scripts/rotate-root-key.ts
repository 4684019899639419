/**
 * `npm run rotate-root-key`: re-seals every key under the current root key while the service
 * serves (README "Root-key rotation"), through `EdgeKMS_20261130.ResealKeys` (src/admin/reseal.ts),
 * then verifies that nothing is left under a previous root key.
 *
 *   npm run rotate-root-key                              # the local service, its development accounts
 *   npm run rotate-root-key -- --endpoint https://kms.example.com --region us-east-1   # AWS_* credentials' account
 *   npm run rotate-root-key -- --verify                  # only count what is still under a previous key
 *
 * Resumable: after each page it saves the walk's position in the cursor file (--cursor, default
 * .edgekms/rotate-root-key.json, git-ignored) and a new run starts there; re-sealing a key twice is
 * harmless, so an interruption at any moment costs nothing. The verify walk always starts from the
 * beginning. Exit status: 0 when nothing remains under a previous root key, 1 otherwise.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { callExtension, DEV_ROOTS, environmentCredentials, type Credentials } from "../src/admin/client.ts";
import { RESEAL_TARGET, type ResealKeysResponse } from "../src/admin/reseal.ts";

function option(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const endpoint = option("endpoint") ?? `http://127.0.0.1:${process.env.PORT ?? "8787"}`;
const region = option("region") ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? "us-east-1";
const local = option("endpoint") === undefined || process.argv.includes("--local");
const cursorFile = option("cursor") ?? ".edgekms/rotate-root-key.json";
const limit = Number(option("limit") ?? "20");
/** Stop after this many pages (tests interrupt a walk with it; the cursor keeps the position). */
const maxPages = Number(option("max-pages") ?? "Infinity");
const verifyOnly = process.argv.includes("--verify");

const accounts: [string, Credentials][] = local
  ? Object.entries(DEV_ROOTS)
  : (() => {
      const credentials = environmentCredentials(process.env);
      if (credentials === undefined) {
        console.error("rotate-root-key: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (an identity with edgekms:ResealKeys)");
        process.exit(2);
      }
      return [["the credentials' account", credentials]];
    })();

type Cursor = { endpoint: string; account: string; marker?: string };

function readCursor(): Cursor | undefined {
  if (!existsSync(cursorFile)) return undefined;
  const cursor = JSON.parse(readFileSync(cursorFile, "utf8")) as Cursor;
  return cursor.endpoint === endpoint ? cursor : undefined;
}

function saveCursor(cursor: Cursor | undefined): void {
  if (cursor === undefined) {
    rmSync(cursorFile, { force: true });
    return;
  }
  mkdirSync(dirname(cursorFile), { recursive: true });
  writeFileSync(cursorFile, JSON.stringify(cursor));
}

/** Walks every account's keys; returns the records left under a previous key, or undefined when interrupted. */
async function walk(verify: boolean): Promise<number | undefined> {
  let resume = verify ? undefined : readCursor();
  let started = resume === undefined;
  let remaining = 0;
  let pages = 0;
  for (const [account, credentials] of accounts) {
    if (!started && resume?.account !== account) continue;
    started = true;
    let marker = resume?.marker;
    resume = undefined;
    let keys = 0;
    let resealed = 0;
    do {
      if (pages >= maxPages) {
        console.log(`rotate-root-key: stopped after ${pages} pages; run again to resume`);
        return undefined;
      }
      const page = await callExtension<ResealKeysResponse>(endpoint, region, credentials, RESEAL_TARGET, {
        Limit: limit,
        ...(marker === undefined ? {} : { Marker: marker }),
        ...(verify ? { VerifyOnly: true } : {}),
      });
      pages++;
      keys += page.Keys;
      resealed += page.Resealed;
      remaining += page.Remaining;
      for (const arn of page.KeysRemaining) console.log(`  ${arn}: records still under a previous root key`);
      marker = page.NextMarker;
      if (!verify) saveCursor(marker === undefined ? { endpoint, account: nextAccount(account) ?? "" } : { endpoint, account, marker });
      console.log(
        `rotate-root-key: ${verify ? "verified" : "re-sealed"} account ${account}: ${keys} keys${verify ? "" : `, ${resealed} records re-sealed`} (root key ${page.RootKeyId})`,
      );
    } while (marker !== undefined);
  }
  if (!verify) saveCursor(undefined);
  return remaining;
}

function nextAccount(account: string): string | undefined {
  const i = accounts.findIndex(([a]) => a === account);
  return accounts[i + 1]?.[0];
}

try {
  if (!verifyOnly) {
    const done = await walk(false);
    if (done === undefined) process.exit(1);
  }
  const remaining = await walk(true);
  console.log(
    remaining === 0
      ? "rotate-root-key: every record is under the current root key; previous keys may be removed from ROOT_KEY_PREVIOUS"
      : `rotate-root-key: ${remaining} records are still under a previous root key`,
  );
  process.exit(remaining === 0 ? 0 : 1);
} catch (err) {
  console.error(`rotate-root-key: ${(err as Error).name}: ${(err as Error).message}`);
  process.exit(1);
}
