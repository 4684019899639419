/**
 * The README's AWS CLI walk-through, run with the real AWS CLI (Debian's `awscli`, which .ci/run
 * installs) and boto3 against a local worker. Where neither is installed, these tests are skipped
 * with a note: the SDK suites cover the same operations.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { AWS_CLI_ENV, awsCli, awsCliFailure, hasAwsCli } from "./aws-cli-support.ts";
import { useLocalWorker } from "./support.ts";

const hasBoto3 = spawnSync("python3", ["-c", "import boto3"]).status === 0;
if (!hasAwsCli) console.warn("aws CLI not installed: skipping the AWS CLI walk-through (apt-get install awscli)");
if (!hasBoto3) console.warn("boto3 not installed: skipping the boto3 walk-through (apt-get install python3-boto3)");

const worker = useLocalWorker();

function aws(...args: string[]): string {
  return awsCli(worker.url, ...args);
}

describe.skipIf(!hasAwsCli)("the AWS CLI", () => {
  it("creates a key and an alias, encrypts a file, decrypts it, and lists keys and aliases", () => {
    const dir = mkdtempSync(join(tmpdir(), "edgekms-cli-"));
    const created = JSON.parse(aws("kms", "create-key", "--description", "orders"));
    expect(created.KeyMetadata.KeyState).toBe("Enabled");
    const keyId: string = created.KeyMetadata.KeyId;
    aws("kms", "create-alias", "--alias-name", "alias/orders", "--target-key-id", keyId);
    writeFileSync(join(dir, "secret.txt"), "attack at dawn\n");
    const encrypted = JSON.parse(aws("kms", "encrypt", "--key-id", "alias/orders", "--plaintext", `fileb://${join(dir, "secret.txt")}`));
    expect(encrypted.KeyId).toBe(created.KeyMetadata.Arn);
    writeFileSync(join(dir, "secret.enc"), Buffer.from(encrypted.CiphertextBlob, "base64"));
    const decrypted = JSON.parse(aws("kms", "decrypt", "--ciphertext-blob", `fileb://${join(dir, "secret.enc")}`));
    expect(Buffer.from(decrypted.Plaintext, "base64").toString()).toBe("attack at dawn\n");
    expect(readFileSync(join(dir, "secret.txt"), "utf8")).toBe("attack at dawn\n");
    const keys = JSON.parse(aws("kms", "list-keys"));
    expect(keys.Keys.map((k: { KeyId: string }) => k.KeyId)).toContain(keyId);
    const aliases = JSON.parse(aws("kms", "list-aliases", "--key-id", keyId));
    expect(aliases.Aliases.map((a: { AliasName: string }) => a.AliasName)).toEqual(["alias/orders"]);
  });

  it("reports AWS's error name for a request AWS refuses", () => {
    const result = awsCliFailure(worker.url, "kms", "describe-key", "--key-id", "alias/missing");
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain("(NotFoundException) when calling the DescribeKey operation");
  });
});

describe.skipIf(!hasBoto3)("boto3", () => {
  it("runs an envelope-encryption round trip with GenerateDataKey and Decrypt", () => {
    const script = `
import boto3, json, sys
kms = boto3.client("kms", endpoint_url=sys.argv[1], region_name="us-east-1",
                   aws_access_key_id="test", aws_secret_access_key="test")
key = kms.create_key(Description="boto3")["KeyMetadata"]
dk = kms.generate_data_key(KeyId=key["KeyId"], KeySpec="AES_256", EncryptionContext={"app": "boto3"})
back = kms.decrypt(CiphertextBlob=dk["CiphertextBlob"], EncryptionContext={"app": "boto3"})
try:
    kms.decrypt(CiphertextBlob=dk["CiphertextBlob"])
    wrong = "no error"
except kms.exceptions.InvalidCiphertextException:
    wrong = "InvalidCiphertextException"
print(json.dumps({"same": back["Plaintext"] == dk["Plaintext"], "len": len(dk["Plaintext"]),
                  "keyId": back["KeyId"] == key["Arn"], "wrong": wrong}))
`;
    const out = execFileSync("python3", ["-c", script, worker.url], {
      env: { ...process.env, ...AWS_CLI_ENV },
      encoding: "utf8",
    });
    expect(JSON.parse(out.trim())).toEqual({ same: true, len: 32, keyId: true, wrong: "InvalidCiphertextException" });
  });
});
