/**
 * Seeding (issue 15): a seed file brings up fixed keys — IDs, material, description, tags, state,
 * rotation — with their aliases and grants, in two accounts, idempotently; a conflicting
 * definition is reported with its entry and nothing is applied; and a ciphertext made under a
 * seeded key (committed here as a fixture, and one made by a first service) decrypts in a
 * service started on fresh state and seeded again. Every key type seeds: an HMAC key with fixed
 * material (its MACs are node:crypto's HMAC under that material), an ECDSA key pair from a fixed
 * PKCS #8 private key (its public key is node:crypto's, its signatures verify there), and an
 * Ed25519 key generated because the file gives no material; a MAC and a signature made by the
 * first service verify in the second.
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
import { createHmac, createPrivateKey, createPublicKey, verify as verifySignature } from "node:crypto";
import { GenerateMacCommand, GetPublicKeyCommand, SignCommand, VerifyCommand, VerifyMacCommand } from "@aws-sdk/client-kms";
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
const MAC_KEY = "33333333-4444-4555-8666-777777777777";
const SIGNING_KEY = "44444444-5555-4666-8777-888888888888";
const GENERATED_KEY = "55555555-6666-4777-8888-999999999999";
const material = (keyId: string) => Buffer.from(String(seed.keys.find((k) => k.keyId === keyId)!.material), "base64");
const signed = utf8("signed by a seeded key");

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
  let macByFirst: Uint8Array;
  let signatureByFirst: Uint8Array;

  it("brings up fixed keys, aliases and grants, and decrypts a committed ciphertext", async () => {
    const worker = await freshWorker();
    expect(await applyAll(worker.url, seed)).toEqual([
      { Created: [ORDERS, "11111111-2222-4333-8444-555555555555", MAC_KEY, SIGNING_KEY, GENERATED_KEY], Unchanged: [] },
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
    // An HMAC key and a key pair seeded from fixed material, and a key pair generated.
    macByFirst = (await kms.send(new GenerateMacCommand({ KeyId: "alias/seeded-mac", MacAlgorithm: "HMAC_SHA_256", Message: signed })))
      .Mac!;
    expect(Buffer.from(macByFirst).toString("hex")).toBe(createHmac("sha256", material(MAC_KEY)).update(signed).digest("hex"));
    const fixedPrivate = createPrivateKey({ key: material(SIGNING_KEY), format: "der", type: "pkcs8" });
    const { PublicKey, KeySpec, KeyUsage } = await kms.send(new GetPublicKeyCommand({ KeyId: SIGNING_KEY }));
    expect({ KeySpec, KeyUsage }).toEqual({ KeySpec: "ECC_NIST_P256", KeyUsage: "SIGN_VERIFY" });
    expect(Buffer.from(PublicKey!).toString("base64")).toBe(
      createPublicKey(fixedPrivate).export({ type: "spki", format: "der" }).toString("base64"),
    );
    signatureByFirst = (
      await kms.send(new SignCommand({ KeyId: SIGNING_KEY, Message: signed, MessageType: "RAW", SigningAlgorithm: "ECDSA_SHA_256" }))
    ).Signature!;
    expect(verifySignature("sha256", signed, createPublicKey(fixedPrivate), signatureByFirst)).toBe(true);
    expect((await kms.send(new DescribeKeyCommand({ KeyId: GENERATED_KEY }))).KeyMetadata?.KeySpec).toBe("ECC_NIST_EDWARDS25519");
    // The grant works for bob, as the seed file says.
    madeByFirst = (
      await kmsClient(worker.url, "bob").send(new EncryptCommand({ KeyId: ORDERS, Plaintext: utf8("from the first service") }))
    ).CiphertextBlob!;
  });

  it("is applied again without change, and refuses a conflicting definition whole", async () => {
    const worker = workers[0]!;
    expect(await applyAll(worker.url, seed)).toEqual([
      { Created: [], Unchanged: [ORDERS, "11111111-2222-4333-8444-555555555555", MAC_KEY, SIGNING_KEY, GENERATED_KEY] },
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
    // The MAC and the signature the first service made verify here: the same material.
    const mac = await kms.send(
      new VerifyMacCommand({ KeyId: "alias/seeded-mac", MacAlgorithm: "HMAC_SHA_256", Message: signed, Mac: macByFirst }),
    );
    expect(mac.MacValid).toBe(true);
    const signature = await kms.send(
      new VerifyCommand({
        KeyId: SIGNING_KEY,
        Message: signed,
        MessageType: "RAW",
        SigningAlgorithm: "ECDSA_SHA_256",
        Signature: signatureByFirst,
      }),
    );
    expect(signature.SignatureValid).toBe(true);
  });

  it("refuses a key pair whose material is not a private key of its spec, naming the entry", async () => {
    const bad = {
      keys: [
        {
          keyId: "66666666-7777-4888-8999-aaaaaaaaaaaa",
          keySpec: "ECC_NIST_P384",
          keyUsage: "SIGN_VERIFY",
          material: material(SIGNING_KEY).toString("base64"),
        },
      ],
    };
    const refused = await applySeedAt(workers[0]!.url, "us-east-1", ROOTS["111122223333"], bad).catch((e: Error) => e);
    expect(refused).toMatchObject({ name: "ValidationException" });
    expect((refused as Error).message).toBe("Seed keys[0]: material must be base64 of a private key of ECC_NIST_P384 (PKCS #8 DER).");
  });
});
