/**
 * Seeding (issue 15): a seed file brings up fixed keys — IDs, material, description, tags, state,
 * rotation — with their aliases and grants, in two accounts, idempotently; a conflicting
 * definition is reported with its entry and nothing is applied; and a ciphertext made under a
 * seeded key (committed here as a fixture, and one made by a first service) decrypts in a
 * service started on fresh state and seeded again.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  DecryptCommand,
  DescribeKeyCommand,
  EncryptCommand,
  GetKeyRotationStatusCommand,
  ListAliasesCommand,
  ListGrantsCommand,
  ListResourceTagsCommand,
} from "@aws-sdk/client-kms";
import { afterAll, describe, expect, it } from "vitest";
import { applySeedAt, keysByAccount } from "../../src/seed/client.ts";
import { startLocalWorker, type LocalWorker } from "./local-worker.ts";
import { awsError, kmsClient, utf8 } from "./support.ts";

const fixtures = fileURLToPath(new URL("./fixtures/seed/", import.meta.url));
const seed = JSON.parse(readFileSync(join(fixtures, "seed.json"), "utf8")) as { keys: Record<string, unknown>[] };
const committed = Uint8Array.from(atob(readFileSync(join(fixtures, "ciphertext.b64"), "utf8").trim()), (c) => c.charCodeAt(0));
const ROOTS = {
  "111122223333": { accessKeyId: "test", secretAccessKey: "test" },
  "444455556666": { accessKeyId: "external", secretAccessKey: "external" },
};
const ORDERS = "0f1e2d3c-4b5a-4697-8877-665544332211";

const dirs: string[] = [];
const workers: LocalWorker[] = [];
async function freshWorker(): Promise<LocalWorker> {
  const dir = mkdtempSync(join(tmpdir(), "edgekms-seed-"));
  dirs.push(dir);
  const worker = await startLocalWorker({ persistDir: dir });
  workers.push(worker);
  return worker;
}
afterAll(async () => {
  for (const w of workers) await w.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function applyAll(url: string, document: { keys: Record<string, unknown>[] }) {
  const results = [];
  for (const [account, keys] of keysByAccount(document, "111122223333")) {
    results.push(await applySeedAt(url, "us-east-1", ROOTS[account as keyof typeof ROOTS], { keys }));
  }
  return results;
}

describe("a seed file", () => {
  let madeByFirst: Uint8Array;

  it("brings up fixed keys, aliases and grants, and decrypts a committed ciphertext", async () => {
    const worker = await freshWorker();
    expect(await applyAll(worker.url, seed)).toEqual([
      { Created: [ORDERS, "11111111-2222-4333-8444-555555555555"], Unchanged: [] },
      { Created: ["99999999-8888-4777-8666-555544443333"], Unchanged: [] },
    ]);
    const kms = kmsClient(worker.url);
    const { KeyMetadata } = await kms.send(new DescribeKeyCommand({ KeyId: "alias/seeded-orders" }));
    expect(KeyMetadata).toMatchObject({ KeyId: ORDERS, Description: "seeded orders key", KeyState: "Enabled", Origin: "AWS_KMS" });
    expect((await kms.send(new ListResourceTagsCommand({ KeyId: ORDERS }))).Tags).toEqual([{ TagKey: "team", TagValue: "orders" }]);
    expect((await kms.send(new ListGrantsCommand({ KeyId: ORDERS }))).Grants!.map((g) => g.Name)).toEqual(["bob-uses-orders"]);
    const disabled = await kms.send(new DescribeKeyCommand({ KeyId: "11111111-2222-4333-8444-555555555555" }));
    expect(disabled.KeyMetadata!.KeyState).toBe("Disabled");
    expect((await kms.send(new GetKeyRotationStatusCommand({ KeyId: "11111111-2222-4333-8444-555555555555" }))).KeyRotationEnabled).toBe(
      true,
    );
    const external = await kmsClient(worker.url, "external").send(
      new DescribeKeyCommand({ KeyId: "99999999-8888-4777-8666-555544443333" }),
    );
    expect(external.KeyMetadata).toMatchObject({
      Origin: "EXTERNAL",
      KeyState: "Enabled",
      ExpirationModel: "KEY_MATERIAL_DOES_NOT_EXPIRE",
    });

    const opened = await kms.send(new DecryptCommand({ CiphertextBlob: committed, EncryptionContext: { fixture: "seed" } }));
    expect(new TextDecoder().decode(opened.Plaintext)).toBe("made before the restart");
    // The grant works for bob, as the seed file says.
    madeByFirst = (
      await kmsClient(worker.url, "bob").send(new EncryptCommand({ KeyId: ORDERS, Plaintext: utf8("from the first service") }))
    ).CiphertextBlob!;
  });

  it("is applied again without change, and refuses a conflicting definition whole", async () => {
    const worker = workers[0]!;
    expect(await applyAll(worker.url, seed)).toEqual([
      { Created: [], Unchanged: [ORDERS, "11111111-2222-4333-8444-555555555555"] },
      { Created: [], Unchanged: ["99999999-8888-4777-8666-555544443333"] },
    ]);
    const extra = { keyId: "22222222-3333-4444-8555-666666666666", description: "would be new" };
    const changed = { keys: [extra, { ...seed.keys[0], description: "another description" }] };
    const refused = await applySeedAt(worker.url, "us-east-1", ROOTS["111122223333"], changed).catch((e: Error) => e);
    expect(refused).toMatchObject({ name: "ValidationException" });
    expect((refused as Error).message).toContain(`keys[1] (key ${ORDERS})`);
    expect((refused as Error).message).toContain("description differs");
    expect((await awsError(kmsClient(worker.url).send(new DescribeKeyCommand({ KeyId: extra.keyId })))).name).toBe("NotFoundException");
    const otherMaterial = { keys: [{ ...seed.keys[0], material: btoa("x".repeat(32)) }] };
    expect(await applySeedAt(worker.url, "us-east-1", ROOTS["111122223333"], otherMaterial).catch((e: Error) => e.message)).toContain(
      "key material differs",
    );
    // A principal without kms:CreateKey in its IAM policies cannot seed.
    const denied = await applySeedAt(worker.url, "us-east-1", { accessKeyId: "alice", secretAccessKey: "alice" }, { keys: [extra] }).catch(
      (e: Error) => e,
    );
    expect(denied).toMatchObject({ name: "AccessDeniedException" });
  });

  it("gives a service on fresh state the same keys: ciphertexts of the first one decrypt there", async () => {
    const worker = await freshWorker();
    await applyAll(worker.url, seed);
    const kms = kmsClient(worker.url);
    const opened = await kms.send(new DecryptCommand({ CiphertextBlob: madeByFirst }));
    expect(new TextDecoder().decode(opened.Plaintext)).toBe("from the first service");
    expect((await kms.send(new ListAliasesCommand({ KeyId: ORDERS }))).Aliases!.map((a) => a.AliasName)).toEqual(["alias/seeded-orders"]);
  });
});
