/**
 * What only the Deno runtime has to prove (the rest of the e2e suite runs on it unchanged, as the
 * e2e-deno project): its entry points typecheck with Deno's checker; the in-process library
 * works; two `deno serve` processes on one KV file never break a limit, never create an alias
 * twice and never lose a write (optimistic commits, retried on conflict and on "database is
 * locked"); and a server killed with SIGKILL under load loses nothing it acknowledged —
 * keys, aliases, tags, grants, ciphertexts, audit records — while a deletion that fell due while
 * it was down still happens, once, after the restart.
 */
import {
  CancelKeyDeletionCommand,
  CreateAliasCommand,
  CreateGrantCommand,
  CreateKeyCommand,
  DecryptCommand,
  DescribeKeyCommand,
  EncryptCommand,
  GetKeyPolicyCommand,
  type KMSClient,
  ListAliasesCommand,
  ListGrantsCommand,
  ListKeysCommand,
  ListResourceTagsCommand,
  PutKeyPolicyCommand,
  ScheduleKeyDeletionCommand,
  TagResourceCommand,
  paginateListAliases,
  paginateListGrants,
  paginateListResourceTags,
} from "@aws-sdk/client-kms";
import { LookupEventsCommand } from "@aws-sdk/client-cloudtrail";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { cloudTrailClient } from "./audit-support.ts";
import { startDenoServer, type DenoServer } from "./deno-server.ts";
import { ACCOUNT, kmsClient, type Identity } from "./support.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
const dirs: string[] = [];
const servers: DenoServer[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "edgekms-deno-e2e-"));
  dirs.push(dir);
  return dir;
}

async function server(options: Parameters<typeof startDenoServer>[0]): Promise<DenoServer> {
  const s = await startDenoServer(options);
  servers.push(s);
  return s;
}

function deno(args: string[]): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(join(root, "node_modules/.bin/deno"), args, {
      cwd: root,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        DENO_DIR: join(tmpdir(), "edgekms-deno-serve-cache"),
        DENO_NO_UPDATE_CHECK: "1",
        NO_COLOR: "1",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    child.once("error", reject);
    child.once("close", (status) => resolve({ status, output }));
  });
}

/** Each promise's outcome: the value, or the AWS error's name. */
async function outcomes<T>(calls: Promise<T>[]): Promise<({ ok: true; value: T } | { ok: false; error: string })[]> {
  return Promise.all(
    calls.map((p) =>
      p.then(
        (value) => ({ ok: true as const, value }),
        (err: Error) => ({ ok: false as const, error: err.name }),
      ),
    ),
  );
}

/** `n` clients alternating between the servers' URLs. */
function across(urls: string[], identity: Identity = "test"): (i: number) => KMSClient {
  const clients = urls.map((url) => kmsClient(url, identity));
  return (i) => clients[i % clients.length]!;
}

describe("EdgeKMS on Deno", () => {
  it("passes deno check for the server entry and the in-process library", async () => {
    const run = await deno(["check", "--config", "deno/deno.json", "deno/main.ts", "deno/kms.ts"]);
    expect(run.status, run.output).toBe(0);
  }, 120_000);

  it("runs in-process through createKms, authorized and audited (deno test deno/kms.test.ts)", async () => {
    const run = await deno(["test", "--unstable-kv", "--config", "deno/deno.json", `--allow-read=${root}`, "deno/kms.test.ts"]);
    expect(run.status, run.output).toBe(0);
    expect(run.output).toMatch(/ok \| 3 passed \| 0 failed/);
  }, 120_000);

  it("keeps the storage port's contract and the wake-up rules on Deno KV (deno test deno/kv-adapters.test.ts)", async () => {
    const scratch = tempDir();
    const run = await deno([
      "test",
      "--unstable-kv",
      "--config",
      "deno/deno.json",
      `--allow-read=${root},${scratch}`,
      `--allow-write=${scratch}`,
      "deno/kv-adapters.test.ts",
      "--",
      scratch,
    ]);
    expect(run.status, run.output).toBe(0);
    expect(run.output).toMatch(/ok \| 9 passed \| 0 failed/);
  }, 120_000);

  it("serves the web console: a signed-in user finds a key created through the API in the list of its Region", async () => {
    const s = await server({ persistDir: tempDir() });
    const { KeyMetadata } = await kmsClient(s.url).send(new CreateKeyCommand({ Description: "seen in the console on Deno" }));
    const signIn = await fetch(`${s.url}/console/sign-in`);
    expect(signIn.status).toBe(200);
    const page = await signIn.text();
    expect(page).toContain("Access key ID");
    const csrf = /name="csrf" value="([^"]+)"/.exec(page)![1]!;
    const cookie = signIn.headers
      .getSetCookie()
      .map((c) => c.split(";")[0])
      .join("; ");
    const form = new URLSearchParams({ csrf, accessKeyId: "test", secretAccessKey: "test", next: "/console/keys" });
    const signedIn = await fetch(`${s.url}/console/sign-in`, {
      method: "POST",
      redirect: "manual",
      headers: { cookie, origin: s.url, "content-type": "application/x-www-form-urlencoded" },
      body: form,
    });
    expect(signedIn.status).toBe(303);
    const session = signedIn.headers
      .getSetCookie()
      .map((c) => c.split(";")[0])
      .find((c) => c !== undefined && !c.endsWith("="))!;
    const west = await kmsClient(s.url, "test", "us-west-2").send(new CreateKeyCommand({ Description: "in us-west-2" }));
    const keys = await fetch(`${s.url}/console/keys`, { headers: { cookie: session } });
    expect(keys.status).toBe(200);
    const eastList = await keys.text();
    expect(eastList).toContain(KeyMetadata!.KeyId!);
    expect(eastList).not.toContain(west.KeyMetadata!.KeyId!);
    const westList = await (await fetch(`${s.url}/console/keys?region=us-west-2`, { headers: { cookie: session } })).text();
    expect(westList).toContain(west.KeyMetadata!.KeyId!);
    expect(westList).not.toContain(KeyMetadata!.KeyId!);
    expect((await fetch(`${s.url}/console/keys?region=eu-west-9`, { headers: { cookie: session } })).status).toBe(400);
  }, 90_000);

  describe("two processes racing on one KV file", () => {
    const vars = { ALIASES_PER_ACCOUNT: "8", KEYS_PER_ACCOUNT: "12", GRANTS_PER_KEY: "10", GRANTS_PER_GRANTEE_PER_KEY: "3" };
    let urls: string[] = [];

    it("start on the same KV", async () => {
      const dir = tempDir();
      const kvPath = join(dir, "kv.sqlite3");
      const [a, b] = await Promise.all([server({ persistDir: dir, kvPath, vars }), server({ persistDir: dir, kvPath, vars })]);
      urls = [a!.url, b!.url];
    }, 90_000);

    it("create one key each up to the account's limit, and list exactly the acknowledged ones", async () => {
      const client = across(urls, "external");
      const results = await outcomes(Array.from({ length: 20 }, (_, i) => client(i).send(new CreateKeyCommand({}))));
      const created = results.flatMap((r) => (r.ok ? [r.value.KeyMetadata!.KeyId!] : []));
      expect(created).toHaveLength(12);
      expect(results.filter((r) => !r.ok).map((r) => (r as { error: string }).error)).toEqual(new Array(8).fill("LimitExceededException"));
      const listed = (await client(0).send(new ListKeysCommand({ Limit: 100 }))).Keys!.map((k) => k.KeyId);
      expect(listed.sort()).toEqual(created.sort());
    });

    it("create an alias name once, and never more aliases than the limit", async () => {
      const client = across(urls);
      const key = (await client(0).send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!;
      const same = await outcomes(
        Array.from({ length: 10 }, (_, i) => client(i).send(new CreateAliasCommand({ AliasName: "alias/race", TargetKeyId: key }))),
      );
      expect(same.filter((r) => r.ok)).toHaveLength(1);
      expect(new Set(same.flatMap((r) => (r.ok ? [] : [r.error])))).toEqual(new Set(["AlreadyExistsException"]));
      const names = Array.from({ length: 15 }, (_, i) => `alias/race-${i}`);
      const distinct = await outcomes(names.map((AliasName, i) => client(i).send(new CreateAliasCommand({ AliasName, TargetKeyId: key }))));
      const made = names.filter((_, i) => distinct[i]!.ok);
      expect(made).toHaveLength(7);
      expect(new Set(distinct.flatMap((r) => (r.ok ? [] : [r.error])))).toEqual(new Set(["LimitExceededException"]));
      const listed = (await client(1).send(new ListAliasesCommand({ Limit: 100 }))).Aliases!.map((a) => a.AliasName);
      expect(listed.sort()).toEqual(["alias/race", ...made].sort());
    });

    it("create grants up to the per-key and per-grantee limits, and list exactly the acknowledged ones", async () => {
      const client = across(urls);
      const key = (await client(0).send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!;
      const grantees = Array.from({ length: 5 }, (_, i) => `arn:aws:iam::${ACCOUNT}:user/grantee-${i}`);
      const attempts = grantees.flatMap((g) => [g, g, g, g]);
      const results = await outcomes(
        attempts.map((GranteePrincipal, i) =>
          client(i).send(new CreateGrantCommand({ KeyId: key, GranteePrincipal, Operations: ["Encrypt"] })),
        ),
      );
      const granted = results.flatMap((r) => (r.ok ? [r.value.GrantId!] : []));
      expect(granted).toHaveLength(10);
      expect(new Set(results.flatMap((r) => (r.ok ? [] : [r.error])))).toEqual(new Set(["LimitExceededException"]));
      const perGrantee = new Map<string, number>();
      attempts.forEach((g, i) => results[i]!.ok && perGrantee.set(g, (perGrantee.get(g) ?? 0) + 1));
      for (const n of perGrantee.values()) expect(n).toBeLessThanOrEqual(3);
      const listed = (await client(1).send(new ListGrantsCommand({ KeyId: key, Limit: 100 }))).Grants!.map((g) => g.GrantId);
      expect(listed.sort()).toEqual(granted.sort());
    });

    it("lose no tag and no policy update made at the same time on one key", async () => {
      const client = across(urls);
      const key = (await client(0).send(new CreateKeyCommand({}))).KeyMetadata!;
      const policy = (sid: string) =>
        JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Sid: sid, Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: "kms:*", Resource: "*" }],
        });
      const sids = Array.from({ length: 6 }, (_, i) => `policy${i}`);
      const tags = Array.from({ length: 24 }, (_, i) => `tag-${i}`);
      const results = await outcomes<unknown>([
        ...tags.map((TagKey, i) => client(i).send(new TagResourceCommand({ KeyId: key.KeyId, Tags: [{ TagKey, TagValue: String(i) }] }))),
        ...sids.map((sid, i) =>
          client(i + 1).send(new PutKeyPolicyCommand({ KeyId: key.KeyId, PolicyName: "default", Policy: policy(sid) })),
        ),
      ]);
      expect(results.filter((r) => !r.ok)).toEqual([]);
      const listed = (await client(0).send(new ListResourceTagsCommand({ KeyId: key.KeyId, Limit: 50 }))).Tags!.map((t) => t.TagKey);
      expect(listed.sort()).toEqual([...tags].sort());
      const final = JSON.parse((await client(1).send(new GetKeyPolicyCommand({ KeyId: key.KeyId, PolicyName: "default" }))).Policy!);
      expect(sids).toContain(final.Statement[0].Sid);
    });

    it("schedule a deletion once and cancel it once, however many ask at the same time", async () => {
      const client = across(urls);
      const key = (await client(0).send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!;
      const scheduled = await outcomes(
        Array.from({ length: 6 }, (_, i) => client(i).send(new ScheduleKeyDeletionCommand({ KeyId: key, PendingWindowInDays: 7 }))),
      );
      expect(scheduled.filter((r) => r.ok)).toHaveLength(1);
      expect(new Set(scheduled.flatMap((r) => (r.ok ? [] : [r.error])))).toEqual(new Set(["KMSInvalidStateException"]));
      const cancelled = await outcomes(Array.from({ length: 6 }, (_, i) => client(i).send(new CancelKeyDeletionCommand({ KeyId: key }))));
      expect(cancelled.filter((r) => r.ok)).toHaveLength(1);
      expect(new Set(cancelled.flatMap((r) => (r.ok ? [] : [r.error])))).toEqual(new Set(["KMSInvalidStateException"]));
      expect((await client(1).send(new DescribeKeyCommand({ KeyId: key }))).KeyMetadata!.KeyState).toBe("Disabled");
    });
  });

  it("loses nothing acknowledged when killed with SIGKILL under load, and still runs a deletion that fell due while it was down", async () => {
    const dir = tempDir();
    const vars = { DELETION_DAY_SECONDS: "1", METRICS_TOKEN: "deno-e2e-token" };
    const first = await server({ persistDir: dir, vars });
    const client = kmsClient(first.url);
    const doomed = (await client.send(new CreateKeyCommand({}))).KeyMetadata!.Arn!;
    const busy = (await client.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!;

    const acknowledged = {
      keys: [] as string[],
      aliases: [] as string[],
      tags: [] as string[],
      grants: [] as string[],
      ciphertexts: [] as { blob: Uint8Array; plaintext: string }[],
      requestIds: [] as string[],
    };
    let stop = false;
    let n = 0;
    const worker = async () => {
      while (!stop) {
        const i = n++;
        try {
          switch (i % 5) {
            case 0: {
              const r = await client.send(new CreateKeyCommand({}));
              acknowledged.keys.push(r.KeyMetadata!.KeyId!);
              acknowledged.requestIds.push(r.$metadata.requestId!);
              break;
            }
            case 1: {
              const r = await client.send(new CreateAliasCommand({ AliasName: `alias/load-${i}`, TargetKeyId: busy }));
              acknowledged.aliases.push(`alias/load-${i}`);
              acknowledged.requestIds.push(r.$metadata.requestId!);
              break;
            }
            case 2: {
              if (acknowledged.tags.length >= 40) break;
              const r = await client.send(new TagResourceCommand({ KeyId: busy, Tags: [{ TagKey: `load-${i}`, TagValue: "v" }] }));
              acknowledged.tags.push(`load-${i}`);
              acknowledged.requestIds.push(r.$metadata.requestId!);
              break;
            }
            case 3: {
              const r = await client.send(
                new CreateGrantCommand({
                  KeyId: busy,
                  GranteePrincipal: `arn:aws:iam::${ACCOUNT}:user/load-${i}`,
                  Operations: ["Decrypt"],
                }),
              );
              acknowledged.grants.push(r.GrantId!);
              acknowledged.requestIds.push(r.$metadata.requestId!);
              break;
            }
            default: {
              const plaintext = `load ${i}`;
              const r = await client.send(new EncryptCommand({ KeyId: busy, Plaintext: new TextEncoder().encode(plaintext) }));
              acknowledged.ciphertexts.push({ blob: r.CiphertextBlob!, plaintext });
              acknowledged.requestIds.push(r.$metadata.requestId!);
            }
          }
        } catch {
          // The kill cuts calls off mid-flight: only acknowledged ones count.
        }
      }
    };
    const load = Array.from({ length: 8 }, worker);
    // The deletion falls due 7 "days" (7 s) from now: while the server is down.
    await client.send(new ScheduleKeyDeletionCommand({ KeyId: doomed, PendingWindowInDays: 7 }));
    const scheduledAt = Date.now();
    await new Promise((r) => setTimeout(r, 2500));
    await first.kill();
    stop = true;
    await Promise.all(load);
    expect(acknowledged.requestIds.length).toBeGreaterThan(20);
    await new Promise((r) => setTimeout(r, Math.max(0, scheduledAt + 8000 - Date.now())));

    const second = await server({ persistDir: dir, vars });
    const after = kmsClient(second.url);
    for (const keyId of acknowledged.keys)
      expect((await after.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata!.KeyId).toBe(keyId);
    // Every page: a fast run acknowledges more than one page of each.
    const aliases: string[] = [];
    for await (const page of paginateListAliases({ client: after }, { KeyId: busy, Limit: 100 }))
      aliases.push(...page.Aliases!.map((a) => a.AliasName!));
    expect(aliases).toEqual(expect.arrayContaining(acknowledged.aliases));
    const tags: string[] = [];
    for await (const page of paginateListResourceTags({ client: after }, { KeyId: busy, Limit: 50 }))
      tags.push(...page.Tags!.map((t) => t.TagKey!));
    expect(tags).toEqual(expect.arrayContaining(acknowledged.tags));
    const grants: string[] = [];
    for await (const page of paginateListGrants({ client: after }, { KeyId: busy, Limit: 100 }))
      grants.push(...page.Grants!.map((g) => g.GrantId!));
    expect(grants).toEqual(expect.arrayContaining(acknowledged.grants));
    for (const c of acknowledged.ciphertexts) {
      expect(new TextDecoder().decode((await after.send(new DecryptCommand({ CiphertextBlob: c.blob }))).Plaintext)).toBe(c.plaintext);
    }

    // Every acknowledged call's record reaches the trail (outboxes are forwarded after the restart).
    const trail = cloudTrailClient(second.url, "test");
    const missing = async () => {
      const seen = new Set<string>();
      let token: string | undefined;
      do {
        const page = await trail.send(
          new LookupEventsCommand({ StartTime: new Date(scheduledAt - 60_000), MaxResults: 50, NextToken: token }),
        );
        for (const e of page.Events ?? []) seen.add(JSON.parse(e.CloudTrailEvent!).requestID);
        token = page.NextToken;
      } while (token !== undefined);
      return acknowledged.requestIds.filter((id) => !seen.has(id));
    };
    const deadline = Date.now() + 20_000;
    let left = await missing();
    while (left.length > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      left = await missing();
    }
    expect(left).toEqual([]);

    // The deletion that fell due while the server was down happens, once.
    for (;;) {
      const gone = await after.send(new DescribeKeyCommand({ KeyId: doomed })).then(
        () => false,
        (err: Error) => err.name === "NotFoundException",
      );
      if (gone) break;
      if (Date.now() > deadline + 10_000) throw new Error("the scheduled deletion did not happen after the restart");
      await new Promise((r) => setTimeout(r, 250));
    }
    const events = await fetch(`${second.url}/key-events?account=${ACCOUNT}`, { headers: { Authorization: "Bearer deno-e2e-token" } });
    const deletions = ((await events.json()) as { Events: { "detail-type": string; resources: string[] }[] }).Events.filter(
      (e) => e["detail-type"] === "KMS CMK Deletion" && e.resources[0] === doomed,
    );
    expect(deletions).toHaveLength(1);
  }, 120_000);
});
