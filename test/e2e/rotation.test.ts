/**
 * Automatic rotation with the period shortened by configuration (ROTATION_PERIOD_SECONDS), so the
 * Durable Object alarm fires during the test.
 */
import {
  CreateKeyCommand,
  DecryptCommand,
  DisableKeyRotationCommand,
  EnableKeyRotationCommand,
  EncryptCommand,
  GetKeyRotationStatusCommand,
} from "@aws-sdk/client-kms";
import { describe, expect, it } from "vitest";
import { useLocalWorker, utf8 } from "./support.ts";

const PERIOD_SECONDS = 2;
const worker = useLocalWorker({ ROTATION_PERIOD_SECONDS: String(PERIOD_SECONDS) });

/** The backing-key version a blob names (envelope v1: version, ARN length, ARN, u32 BE version). */
function blobVersion(blob: Uint8Array): number {
  const arnLength = blob[1]!;
  return new DataView(blob.buffer, blob.byteOffset).getUint32(2 + arnLength);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("automatic key rotation", () => {
  it("is off by default and reports its status", async () => {
    const kms = worker.client();
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({}));
    const status = await kms.send(new GetKeyRotationStatusCommand({ KeyId: KeyMetadata!.KeyId }));
    expect(status.KeyRotationEnabled).toBe(false);
  });

  it("adds a backing-key version each period, encrypts with the newest, and still decrypts old ciphertexts", async () => {
    const kms = worker.client();
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({}));
    const keyId = KeyMetadata!.KeyId!;
    const old = await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8("version one") }));
    expect(blobVersion(old.CiphertextBlob!)).toBe(1);

    const enabledAt = Date.now();
    await kms.send(new EnableKeyRotationCommand({ KeyId: keyId }));
    const status = await kms.send(new GetKeyRotationStatusCommand({ KeyId: keyId }));
    expect(status.KeyRotationEnabled).toBe(true);
    expect(status.KeyId).toBe(KeyMetadata!.Arn);
    expect(status.NextRotationDate!.getTime()).toBeGreaterThanOrEqual(enabledAt + PERIOD_SECONDS * 1000 - 1500);

    let version = 1;
    const deadline = Date.now() + 20_000;
    while (version < 2 && Date.now() < deadline) {
      await sleep(500);
      const probe = await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8("probe") }));
      version = blobVersion(probe.CiphertextBlob!);
    }
    expect(version).toBeGreaterThanOrEqual(2);

    await kms.send(new DisableKeyRotationCommand({ KeyId: keyId }));
    const fresh = await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8("newest") }));
    const settled = blobVersion(fresh.CiphertextBlob!);
    await sleep(PERIOD_SECONDS * 1000 + 1000);
    const later = await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8("after disable") }));
    expect(blobVersion(later.CiphertextBlob!)).toBe(settled);

    const dec = await kms.send(new DecryptCommand({ CiphertextBlob: old.CiphertextBlob }));
    expect(new TextDecoder().decode(dec.Plaintext)).toBe("version one");
    const decFresh = await kms.send(new DecryptCommand({ CiphertextBlob: fresh.CiphertextBlob }));
    expect(new TextDecoder().decode(decFresh.Plaintext)).toBe("newest");
  }, 40_000);
});
