/**
 * The guide's chapters "Importing Key Material" and "Deleting Customer Master Keys" followed step
 * by step with the real AWS CLI against a local worker, using the guide's own OpenSSL commands to
 * decode the public key and token and to generate and wrap the key material (OAEP SHA-1 with
 * `openssl rsautl -oaep` as printed; SHA-256 and PKCS #1 v1.5 with the equivalent `pkeyutl` and
 * `rsautl -pkcs`). Skipped with a note where `aws` or `openssl` is not installed.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { awsCli, awsCliFailure, hasAwsCli } from "./aws-cli-support.ts";
import { useLocalWorker } from "./support.ts";

const hasOpenssl = spawnSync("openssl", ["version"]).status === 0;
if (!hasAwsCli) console.warn("aws CLI not installed: skipping the deletion/import CLI walk-through");
if (!hasOpenssl) console.warn("openssl not installed: skipping the guide's import walk-through");

const worker = useLocalWorker();

function aws(...args: string[]): string {
  return awsCli(worker.url, ...args);
}

function awsFails(...args: string[]): string {
  const result = awsCliFailure(worker.url, ...args);
  expect(result.status).not.toBe(0);
  return result.stderr;
}

function openssl(dir: string, ...args: string[]): void {
  execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
}

/** Step 2 of the guide: download, save base64, decode with `openssl enc -d -base64 -A`. */
function downloadParameters(dir: string, keyId: string, algorithm: string): void {
  const params = JSON.parse(
    aws("kms", "get-parameters-for-import", "--key-id", keyId, "--wrapping-algorithm", algorithm, "--wrapping-key-spec", "RSA_2048"),
  );
  expect(params.KeyId).toMatch(/^arn:aws:kms:us-east-1:111122223333:key\//);
  expect(params.ParametersValidTo).toBeGreaterThan(Date.now() / 1000);
  writeFileSync(join(dir, "PublicKey.b64"), params.PublicKey);
  writeFileSync(join(dir, "ImportToken.b64"), params.ImportToken);
  openssl(dir, "enc", "-d", "-base64", "-A", "-in", "PublicKey.b64", "-out", "PublicKey.bin");
  openssl(dir, "enc", "-d", "-base64", "-A", "-in", "ImportToken.b64", "-out", "ImportToken.bin");
}

/** Step 3 with the padding each wrapping algorithm names. */
function encryptMaterial(dir: string, algorithm: string): void {
  const common = [
    "-in",
    "PlaintextKeyMaterial.bin",
    "-inkey",
    "PublicKey.bin",
    "-keyform",
    "DER",
    "-pubin",
    "-out",
    "EncryptedKeyMaterial.bin",
  ];
  if (algorithm === "RSAES_OAEP_SHA_1") openssl(dir, "rsautl", "-encrypt", "-oaep", ...common);
  else if (algorithm === "RSAES_PKCS1_V1_5") openssl(dir, "rsautl", "-encrypt", "-pkcs", ...common);
  else {
    openssl(
      dir,
      "pkeyutl",
      "-encrypt",
      ...common,
      "-pkeyopt",
      "rsa_padding_mode:oaep",
      "-pkeyopt",
      "rsa_oaep_md:sha256",
      "-pkeyopt",
      "rsa_mgf1_md:sha256",
    );
  }
}

describe.skipIf(!hasAwsCli || !hasOpenssl)("the guide's import chapter with the AWS CLI and OpenSSL", () => {
  it("creates an EXTERNAL key, imports OpenSSL-generated material, deletes it, and reimports it with each wrapping algorithm", () => {
    const dir = mkdtempSync(join(tmpdir(), "edgekms-import-cli-"));
    // Step 1
    const created = JSON.parse(aws("kms", "create-key", "--origin", "EXTERNAL"));
    expect(created.KeyMetadata).toMatchObject({ Origin: "EXTERNAL", KeyState: "PendingImport", Enabled: false });
    const keyId: string = created.KeyMetadata.KeyId;
    // Steps 2–4, as printed in the guide (RSAES_OAEP_SHA_1, material that expires)
    downloadParameters(dir, keyId, "RSAES_OAEP_SHA_1");
    openssl(dir, "rand", "-out", "PlaintextKeyMaterial.bin", "32");
    encryptMaterial(dir, "RSAES_OAEP_SHA_1");
    const validTo = new Date(Date.now() + 3_600_000).toISOString().replace(/\.\d{3}Z$/, "+00:00");
    aws(
      "kms",
      "import-key-material",
      "--key-id",
      keyId,
      "--encrypted-key-material",
      `fileb://${join(dir, "EncryptedKeyMaterial.bin")}`,
      "--import-token",
      `fileb://${join(dir, "ImportToken.bin")}`,
      "--expiration-model",
      "KEY_MATERIAL_EXPIRES",
      "--valid-to",
      validTo,
    );
    const described = JSON.parse(aws("kms", "describe-key", "--key-id", keyId)).KeyMetadata;
    expect(described).toMatchObject({ KeyState: "Enabled", Enabled: true, ExpirationModel: "KEY_MATERIAL_EXPIRES" });
    expect(Math.abs(described.ValidTo * 1000 - Date.parse(validTo))).toBeLessThan(1000);

    writeFileSync(join(dir, "secret.txt"), "imported key, guide style\n");
    const encrypted = JSON.parse(aws("kms", "encrypt", "--key-id", keyId, "--plaintext", `fileb://${join(dir, "secret.txt")}`));
    writeFileSync(join(dir, "secret.enc"), Buffer.from(encrypted.CiphertextBlob, "base64"));

    // "Deleting Imported Key Material", then reimport the same material with the other algorithms.
    for (const algorithm of ["RSAES_OAEP_SHA_256", "RSAES_PKCS1_V1_5"]) {
      aws("kms", "delete-imported-key-material", "--key-id", keyId);
      expect(JSON.parse(aws("kms", "describe-key", "--key-id", keyId)).KeyMetadata.KeyState).toBe("PendingImport");
      expect(awsFails("kms", "decrypt", "--ciphertext-blob", `fileb://${join(dir, "secret.enc")}`)).toContain(
        "(KMSInvalidStateException) when calling the Decrypt operation",
      );
      downloadParameters(dir, keyId, algorithm);
      encryptMaterial(dir, algorithm);
      aws(
        "kms",
        "import-key-material",
        "--key-id",
        keyId,
        "--encrypted-key-material",
        `fileb://${join(dir, "EncryptedKeyMaterial.bin")}`,
        "--import-token",
        `fileb://${join(dir, "ImportToken.bin")}`,
        "--expiration-model",
        "KEY_MATERIAL_DOES_NOT_EXPIRE",
      );
      const decrypted = JSON.parse(aws("kms", "decrypt", "--ciphertext-blob", `fileb://${join(dir, "secret.enc")}`));
      expect(Buffer.from(decrypted.Plaintext, "base64").toString()).toBe(readFileSync(join(dir, "secret.txt"), "utf8"));
    }

    // Different material is refused, and a used token cannot be replayed.
    openssl(dir, "rand", "-out", "PlaintextKeyMaterial.bin", "32");
    downloadParameters(dir, keyId, "RSAES_OAEP_SHA_1");
    encryptMaterial(dir, "RSAES_OAEP_SHA_1");
    const importArgs = [
      "kms",
      "import-key-material",
      "--key-id",
      keyId,
      "--encrypted-key-material",
      `fileb://${join(dir, "EncryptedKeyMaterial.bin")}`,
      "--import-token",
      `fileb://${join(dir, "ImportToken.bin")}`,
      "--expiration-model",
      "KEY_MATERIAL_DOES_NOT_EXPIRE",
    ];
    expect(awsFails(...importArgs)).toContain("(IncorrectKeyMaterialException) when calling the ImportKeyMaterial operation");
    expect(awsFails(...importArgs)).toContain("(InvalidImportTokenException) when calling the ImportKeyMaterial operation");
  }, 120_000);
});

describe.skipIf(!hasAwsCli)("the guide's deletion chapter with the AWS CLI", () => {
  it("schedules deletion with a 10-day window and cancels it", () => {
    const keyId: string = JSON.parse(aws("kms", "create-key")).KeyMetadata.KeyId;
    const scheduled = JSON.parse(aws("kms", "schedule-key-deletion", "--key-id", keyId, "--pending-window-in-days", "10"));
    expect(scheduled.KeyId).toBe(`arn:aws:kms:us-east-1:111122223333:key/${keyId}`);
    expect(scheduled.DeletionDate).toBeGreaterThan(Date.now() / 1000 + 10 * 86400 - 60);
    expect(scheduled).toMatchObject({ KeyState: "PendingDeletion", PendingWindowInDays: 10 });
    expect(awsFails("kms", "encrypt", "--key-id", keyId, "--plaintext", "aGVsbG8=")).toContain(
      `(KMSInvalidStateException) when calling the Encrypt operation: ${scheduled.KeyId} is pending deletion.`,
    );
    const cancelled = JSON.parse(aws("kms", "cancel-key-deletion", "--key-id", keyId));
    expect(cancelled).toEqual({ KeyId: scheduled.KeyId });
    expect(JSON.parse(aws("kms", "describe-key", "--key-id", keyId)).KeyMetadata.KeyState).toBe("Disabled");
    expect(awsFails("kms", "cancel-key-deletion", "--key-id", keyId)).toContain(
      `(KMSInvalidStateException) when calling the CancelKeyDeletion operation: ${scheduled.KeyId} is not pending deletion.`,
    );
    expect(awsFails("kms", "schedule-key-deletion", "--key-id", keyId, "--pending-window-in-days", "5")).toContain(
      "(ValidationException) when calling the ScheduleKeyDeletion operation",
    );
  }, 60_000);
});
