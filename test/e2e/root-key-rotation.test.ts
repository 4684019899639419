/**
 * Root-key rotation (issue 15), on the local runtime: keys of every kind made under one root key
 * keep working after a restart with ROOT_KEY=new and ROOT_KEY_PREVIOUS=old; `npm run
 * rotate-root-key` re-seals them while the service serves, resuming after an interruption, and
 * verifies that nothing is left under the old key; after a restart with only the new key, old
 * ciphertexts decrypt, old signatures and MACs verify, old key IDs resolve, a seeded key is still
 * the one its seed file defines, and made-up key IDs are still NotFound.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
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
  GenerateMacCommand,
  type KMSClient,
  ReplicateKeyCommand,
  SignCommand,
  VerifyCommand,
  VerifyMacCommand,
} from "@aws-sdk/client-kms";
import { afterAll, describe, expect, it } from "vitest";
import { callExtension, DEV_ROOTS } from "../../src/admin/client.ts";
import { RESEAL_TARGET, type ResealKeysResponse } from "../../src/admin/reseal.ts";
import { applySeedAt } from "../../src/seed/client.ts";
import { TEST_ROOT_KEY, type LocalWorker } from "./local-worker.ts";
import { startRuntime } from "./runtime.ts";
import { awsError, kmsClient, utf8 } from "./support.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
const OLD = TEST_ROOT_KEY;
const NEW = Buffer.from("another-test-root-key-32-bytes!!").toString("base64");
const SEEDED = "5eed0000-1111-4222-8333-444455556666";
const seed = {
  keys: [
    {
      keyId: SEEDED,
      description: "seeded before the rotation",
      material: Buffer.from("seeded-material-for-rotation-32b").toString("base64"),
    },
  ],
};

const dir = mkdtempSync(join(tmpdir(), "edgekms-rotation-"));
let worker: LocalWorker | undefined;
afterAll(async () => {
  await worker?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function restartWith(vars: Record<string, string>): Promise<string> {
  await worker?.stop();
  worker = await startRuntime({ persistDir: dir, vars });
  return worker.url;
}

function rotate(url: string, ...args: string[]) {
  const run = spawnSync(
    process.execPath,
    ["scripts/run-ts.mjs", "scripts/rotate-root-key.ts", "--endpoint", url, "--local", "--cursor", join(dir, "cursor.json"), ...args],
    { cwd: root, encoding: "utf8", timeout: 60_000 },
  );
  return { status: run.status, out: `${run.stdout}${run.stderr}` };
}

async function remaining(url: string): Promise<number> {
  let total = 0;
  let marker: string | undefined;
  do {
    const page = await callExtension<ResealKeysResponse>(url, "us-east-1", DEV_ROOTS["111122223333"]!, RESEAL_TARGET, {
      VerifyOnly: true,
      ...(marker === undefined ? {} : { Marker: marker }),
    });
    total += page.Remaining;
    marker = page.NextMarker;
  } while (marker !== undefined);
  return total;
}

describe("root-key rotation", () => {
  const made: {
    symmetric: string[];
    blobs: Uint8Array[];
    hmac: string;
    mac: Uint8Array;
    signing: string;
    signature: Uint8Array;
    grantToken: string;
    seededBlob: Uint8Array;
    /** Keys in the deployment's second Region: a key of its own and a multi-Region replica. */
    westBlobs: Uint8Array[];
  } = {
    symmetric: [],
    blobs: [],
    hmac: "",
    mac: new Uint8Array(),
    signing: "",
    signature: new Uint8Array(),
    grantToken: "",
    seededBlob: new Uint8Array(),
    westBlobs: [],
  };
  const message = utf8("signed before the rotation");

  /** The MAC and the signature made under the old root key still verify. */
  async function expectOldMacAndSignatureValid(kms: KMSClient): Promise<void> {
    const mac = await kms.send(new VerifyMacCommand({ KeyId: made.hmac, MacAlgorithm: "HMAC_SHA_256", Message: message, Mac: made.mac }));
    expect(mac.MacValid).toBe(true);
    const signature = await kms.send(
      new VerifyCommand({
        KeyId: made.signing,
        Message: message,
        MessageType: "RAW",
        SigningAlgorithm: "ECDSA_SHA_256",
        Signature: made.signature,
      }),
    );
    expect(signature.SignatureValid).toBe(true);
  }

  it("keeps every key usable under ROOT_KEY=new with ROOT_KEY_PREVIOUS=old", async () => {
    let kms = kmsClient(await restartWith({ ROOT_KEY: OLD }));
    // Enough symmetric keys that a two-key page leaves the walk unfinished.
    for (let i = 0; i < 4; i++) {
      const { KeyMetadata } = await kms.send(new CreateKeyCommand({ Description: `rotation ${i}` }));
      made.symmetric.push(KeyMetadata!.KeyId!);
      made.blobs.push((await kms.send(new EncryptCommand({ KeyId: KeyMetadata!.KeyId!, Plaintext: utf8(`secret ${i}`) }))).CiphertextBlob!);
    }
    await kms.send(new CreateAliasCommand({ AliasName: "alias/rotation", TargetKeyId: made.symmetric[0] }));
    made.hmac = (await kms.send(new CreateKeyCommand({ KeySpec: "HMAC_256", KeyUsage: "GENERATE_VERIFY_MAC" }))).KeyMetadata!.KeyId!;
    made.mac = (await kms.send(new GenerateMacCommand({ KeyId: made.hmac, MacAlgorithm: "HMAC_SHA_256", Message: message }))).Mac!;
    made.signing = (await kms.send(new CreateKeyCommand({ KeySpec: "ECC_NIST_P256", KeyUsage: "SIGN_VERIFY" }))).KeyMetadata!.KeyId!;
    made.signature = (
      await kms.send(new SignCommand({ KeyId: made.signing, Message: message, MessageType: "RAW", SigningAlgorithm: "ECDSA_SHA_256" }))
    ).Signature!;
    made.grantToken = (
      await kms.send(
        new CreateGrantCommand({
          KeyId: made.symmetric[1],
          GranteePrincipal: "arn:aws:iam::111122223333:user/bob",
          Operations: ["Encrypt"],
        }),
      )
    ).GrantToken!;
    await applySeedAt(worker!.url, "us-east-1", DEV_ROOTS["111122223333"]!, seed);
    made.seededBlob = (await kms.send(new EncryptCommand({ KeyId: SEEDED, Plaintext: utf8("seeded") }))).CiphertextBlob!;
    // The walk covers every Region the deployment serves, multi-Region replicas included.
    const west = kmsClient(worker!.url, "test", "us-west-2");
    const westKey = (await west.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!;
    made.westBlobs.push((await west.send(new EncryptCommand({ KeyId: westKey, Plaintext: utf8("west 0") }))).CiphertextBlob!);
    const mrk = (await kms.send(new CreateKeyCommand({ MultiRegion: true }))).KeyMetadata!.KeyId!;
    await kms.send(new ReplicateKeyCommand({ KeyId: mrk, ReplicaRegion: "us-west-2" }));
    for (let i = 0; i < 100; i++) {
      if ((await west.send(new DescribeKeyCommand({ KeyId: mrk }))).KeyMetadata!.KeyState === "Enabled") break;
      await new Promise((r) => setTimeout(r, 100));
    }
    made.westBlobs.push((await west.send(new EncryptCommand({ KeyId: mrk, Plaintext: utf8("west 1") }))).CiphertextBlob!);

    const url = await restartWith({ ROOT_KEY: NEW, ROOT_KEY_PREVIOUS: OLD });
    kms = kmsClient(url);
    for (const [i, blob] of made.blobs.entries()) {
      expect(new TextDecoder().decode((await kms.send(new DecryptCommand({ CiphertextBlob: blob }))).Plaintext)).toBe(`secret ${i}`);
    }
    await expectOldMacAndSignatureValid(kms);
    // A grant token issued under the old root key still authorizes while that key is listed.
    const bob = kmsClient(url, "bob");
    await bob.send(
      new EncryptCommand({
        KeyId: `arn:aws:kms:us-east-1:111122223333:key/${made.symmetric[1]}`,
        Plaintext: utf8("x"),
        GrantTokens: [made.grantToken],
      }),
    );
    expect(await remaining(url)).toBeGreaterThan(0);
    // Re-sealing is an operator's action: kms:* in an IAM policy does not grant edgekms:ResealKeys.
    const bobCredentials = { accessKeyId: "bob", secretAccessKey: "bob" };
    const denied = await awsError(callExtension(url, "us-east-1", bobCredentials, RESEAL_TARGET, { VerifyOnly: true }));
    expect(denied.name).toBe("AccessDeniedException");
  });

  it("re-seals every key while serving, resumes after an interruption, and verifies nothing is left", async () => {
    const url = worker!.url;
    const interrupted = rotate(url, "--limit", "2", "--max-pages", "1");
    expect(interrupted.status, interrupted.out).toBe(1);
    expect(interrupted.out).toMatch(/stopped after 1 pages/);
    expect(existsSync(join(dir, "cursor.json"))).toBe(true);
    const partly = await remaining(url);
    expect(partly).toBeGreaterThan(0);
    // The service serves meanwhile: a key not yet re-sealed and one already re-sealed both decrypt.
    const kms = kmsClient(url);
    for (const blob of [made.blobs[0]!, made.blobs[3]!]) await kms.send(new DecryptCommand({ CiphertextBlob: blob }));

    const resumed = rotate(url, "--limit", "2");
    expect(resumed.status, resumed.out).toBe(0);
    expect(resumed.out).toMatch(/every record is under the current root key/);
    expect(existsSync(join(dir, "cursor.json"))).toBe(false);
    expect(await remaining(url)).toBe(0);
    // Idempotent: a second run re-seals nothing.
    const again = rotate(url);
    expect(again.status, again.out).toBe(0);
    expect(again.out).not.toMatch(/[1-9]\d* records re-sealed/);
  }, 120_000);

  it("serves every old key with the new root key alone; made-up key IDs stay NotFound", async () => {
    const url = await restartWith({ ROOT_KEY: NEW });
    const kms = kmsClient(url);
    for (const [i, blob] of made.blobs.entries()) {
      expect(new TextDecoder().decode((await kms.send(new DecryptCommand({ CiphertextBlob: blob }))).Plaintext)).toBe(`secret ${i}`);
    }
    expect((await kms.send(new DecryptCommand({ CiphertextBlob: made.seededBlob }))).KeyId).toContain(SEEDED);
    const west = kmsClient(url, "test", "us-west-2");
    for (const [i, blob] of made.westBlobs.entries()) {
      expect(new TextDecoder().decode((await west.send(new DecryptCommand({ CiphertextBlob: blob }))).Plaintext)).toBe(`west ${i}`);
    }
    // The multi-Region replica's ciphertext also opens with its primary in us-east-1.
    expect(new TextDecoder().decode((await kms.send(new DecryptCommand({ CiphertextBlob: made.westBlobs[1]! }))).Plaintext)).toBe("west 1");
    await expectOldMacAndSignatureValid(kms);
    // Key IDs tagged under the old root key still resolve, by ID and through an alias.
    for (const keyId of [...made.symmetric, made.hmac, made.signing]) {
      expect((await kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata?.KeyId).toBe(keyId);
    }
    expect((await kms.send(new DescribeKeyCommand({ KeyId: "alias/rotation" }))).KeyMetadata?.KeyId).toBe(made.symmetric[0]);
    // The seeded key is still the one its seed file defines (its material fingerprint survived).
    expect((await applySeedAt(url, "us-east-1", DEV_ROOTS["111122223333"]!, seed)).Unchanged).toEqual([SEEDED]);
    // New keys and made-up ones.
    const fresh = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!;
    await kms.send(new EncryptCommand({ KeyId: fresh, Plaintext: utf8("new") }));
    const madeUp = await awsError(kms.send(new DescribeKeyCommand({ KeyId: crypto.randomUUID() })));
    expect(madeUp.name).toBe("NotFoundException");
    // The old root key's grant token no longer opens: tokens are not re-sealable (clients ask for new ones).
    const stale = await awsError(
      kmsClient(url, "bob").send(
        new EncryptCommand({
          KeyId: `arn:aws:kms:us-east-1:111122223333:key/${made.symmetric[1]}`,
          Plaintext: utf8("x"),
          GrantTokens: [made.grantToken],
        }),
      ),
    );
    expect(stale.name).toBe("InvalidGrantTokenException");
  });
});
