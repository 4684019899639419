/**
 * Asymmetric keys with the real AWS CLI and OpenSSL against a local worker: the CLI signs a file
 * and `openssl dgst -verify` accepts the signature with the public key from get-public-key (ECDSA
 * and RSA-PSS); the CLI signs a SHA-256 digest OpenSSL computed (`--message-type DIGEST`, RSA-PSS
 * and PKCS #1 v1.5), which `openssl dgst` accepts over the file and `openssl pkeyutl` over the
 * digest; in the other direction OpenSSL encrypts a file to an RSA key's public key and the CLI
 * decrypts it. Skipped with a note where the AWS CLI is not installed (the SDK suite covers the
 * operations).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { awsCli, hasAwsCli } from "./aws-cli-support.ts";
import { useLocalWorker } from "./support.ts";

if (!hasAwsCli) console.warn("aws CLI not installed: skipping the asymmetric AWS CLI tests (apt-get install awscli)");

const worker = useLocalWorker();
const aws = (...args: string[]) => JSON.parse(awsCli(worker.url, ...args));
const openssl = (...args: string[]) => execFileSync("openssl", args, { encoding: "utf8" });

/** A fresh key of `spec` and `usage`, with its public key written as PEM in `dir`. */
function keyWithPublicPem(dir: string, spec: string, usage: string): { keyId: string; pem: string } {
  const keyId: string = aws("kms", "create-key", "--key-spec", spec, "--key-usage", usage).KeyMetadata.KeyId;
  const der = join(dir, `${spec}.der`);
  writeFileSync(der, Buffer.from(aws("kms", "get-public-key", "--key-id", keyId).PublicKey, "base64"));
  const pem = join(dir, `${spec}.pem`);
  openssl("pkey", "-pubin", "-inform", "DER", "-in", der, "-out", pem);
  return { keyId, pem };
}

describe.skipIf(!hasAwsCli)("the AWS CLI with asymmetric keys and OpenSSL", () => {
  it("signs a file with ECDSA_SHA_256 and RSASSA_PSS_SHA_256; openssl dgst -verify accepts both and refuses a changed file", () => {
    const dir = mkdtempSync(join(tmpdir(), "edgekms-cli-sign-"));
    const file = join(dir, "release.tar");
    writeFileSync(file, "release 1.0\n".repeat(100));
    const changed = join(dir, "changed.tar");
    writeFileSync(changed, "release 1.1\n".repeat(100));
    for (const [spec, algorithm, sigopts] of [
      ["ECC_NIST_P256", "ECDSA_SHA_256", []],
      ["RSA_2048", "RSASSA_PSS_SHA_256", ["-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:32"]],
    ] as const) {
      const { keyId, pem } = keyWithPublicPem(dir, spec, "SIGN_VERIFY");
      const signed = aws(
        "kms",
        "sign",
        "--key-id",
        keyId,
        "--message",
        `fileb://${file}`,
        "--message-type",
        "RAW",
        "--signing-algorithm",
        algorithm,
      );
      const signature = join(dir, `${spec}.sig`);
      writeFileSync(signature, Buffer.from(signed.Signature, "base64"));
      expect(openssl("dgst", "-sha256", ...sigopts, "-verify", pem, "-signature", signature, file)).toContain("Verified OK");
      expect(() => openssl("dgst", "-sha256", ...sigopts, "-verify", pem, "-signature", signature, changed)).toThrow();
      const verified = aws(
        "kms",
        "verify",
        "--key-id",
        keyId,
        "--message",
        `fileb://${file}`,
        "--signature",
        `fileb://${signature}`,
        "--signing-algorithm",
        algorithm,
      );
      expect(verified.SignatureValid).toBe(true);
    }
  });

  it("signs a SHA-256 digest with --message-type DIGEST (RSA-PSS and PKCS #1 v1.5); openssl dgst accepts it over the file, openssl pkeyutl over the digest, and the CLI as a DIGEST", () => {
    const dir = mkdtempSync(join(tmpdir(), "edgekms-cli-digest-"));
    const file = join(dir, "release.tar");
    writeFileSync(file, "release 2.0\n".repeat(100));
    const digest = join(dir, "release.sha256");
    openssl("dgst", "-sha256", "-binary", "-out", digest, file);
    const { keyId, pem } = keyWithPublicPem(dir, "RSA_2048", "SIGN_VERIFY");
    for (const [algorithm, options] of [
      ["RSASSA_PSS_SHA_256", ["rsa_padding_mode:pss", "rsa_pss_saltlen:32"]],
      ["RSASSA_PKCS1_V1_5_SHA_256", ["rsa_padding_mode:pkcs1"]],
    ] as const) {
      const signed = aws(
        "kms",
        "sign",
        "--key-id",
        keyId,
        "--message",
        `fileb://${digest}`,
        "--message-type",
        "DIGEST",
        "--signing-algorithm",
        algorithm,
      );
      const signature = join(dir, `${algorithm}.sig`);
      writeFileSync(signature, Buffer.from(signed.Signature, "base64"));
      const sigopts = options.flatMap((o) => ["-sigopt", o]);
      expect(openssl("dgst", "-sha256", ...sigopts, "-verify", pem, "-signature", signature, file)).toContain("Verified OK");
      const pkeyopts = ["digest:sha256", ...options].flatMap((o) => ["-pkeyopt", o]);
      expect(openssl("pkeyutl", "-verify", "-pubin", "-inkey", pem, "-in", digest, "-sigfile", signature, ...pkeyopts)).toContain(
        "Signature Verified Successfully",
      );
      const verified = aws(
        "kms",
        "verify",
        "--key-id",
        keyId,
        "--message",
        `fileb://${digest}`,
        "--message-type",
        "DIGEST",
        "--signature",
        `fileb://${signature}`,
        "--signing-algorithm",
        algorithm,
      );
      expect(verified.SignatureValid).toBe(true);
    }
  });

  it("decrypts a file OpenSSL encrypted to an RSA key's public key (RSAES_OAEP_SHA_256)", () => {
    const dir = mkdtempSync(join(tmpdir(), "edgekms-cli-oaep-"));
    const { keyId, pem } = keyWithPublicPem(dir, "RSA_3072", "ENCRYPT_DECRYPT");
    const secret = join(dir, "secret.txt");
    writeFileSync(secret, "meet at noon\n");
    const encrypted = join(dir, "secret.enc");
    openssl(
      "pkeyutl",
      "-encrypt",
      "-pubin",
      "-inkey",
      pem,
      "-in",
      secret,
      "-out",
      encrypted,
      "-pkeyopt",
      "rsa_padding_mode:oaep",
      "-pkeyopt",
      "rsa_oaep_md:sha256",
      "-pkeyopt",
      "rsa_mgf1_md:sha256",
    );
    const decrypted = aws(
      "kms",
      "decrypt",
      "--key-id",
      keyId,
      "--ciphertext-blob",
      `fileb://${encrypted}`,
      "--encryption-algorithm",
      "RSAES_OAEP_SHA_256",
    );
    expect(Buffer.from(decrypted.Plaintext, "base64").toString()).toBe(readFileSync(secret, "utf8"));
  });
});
