/**
 * The envelope client's AWS Encryption SDK messages inside workerd, where it is deployed: round
 * trips of both suites EdgeKMS writes (whole and streamed, the signed one through WebCrypto and
 * @noble/curves) and the shared tamper, truncation, reordering and wrong-context cases of
 * test/common/esdk-tamper.ts, with the in-process KMS of the unit tier (web standards only).
 */
import { describe, expect, it } from "vitest";
import { EnvelopeClient } from "../../src/envelope/client.ts";
import { runEsdkTamperCases } from "../common/esdk-tamper.ts";
import { inProcessKms } from "../unit/envelope/in-process-kms.ts";

const SUITES = ["ALG_AES256_GCM_HKDF_SHA512_COMMIT_KEY", "ALG_AES256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384"] as const;

async function collect(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

describe.each(SUITES)("%s messages inside workerd", (algorithmSuite) => {
  it("round-trip whole and streamed from 0 B to 1 MiB", async () => {
    const kms = inProcessKms();
    const client = new EnvelopeClient({ kms, keyId: kms.createKey(), algorithmSuite });
    for (const size of [0, 1, 4095, 4096, 4097, 1 << 20]) {
      const data = crypto.getRandomValues(new Uint8Array(Math.min(size, 65536)));
      const full = new Uint8Array(size);
      for (let at = 0; at < size; at += data.length) full.set(data.subarray(0, Math.min(data.length, size - at)), at);
      const sealed = await client.encrypt(full, { encryptionContext: { runtime: "workerd" } });
      expect(sealed[0]).toBe(2);
      const opened = await client.decrypt(sealed, { encryptionContext: { runtime: "workerd" } });
      expect(opened.algorithmSuite).toBe(algorithmSuite);
      expect(Buffer.from(opened.plaintext).equals(Buffer.from(full))).toBe(true);
      const streamed = await collect(new Blob([full]).stream().pipeThrough(client.encryptStream()));
      const back = await collect(new Blob([streamed]).stream().pipeThrough(client.decryptStream()));
      expect(Buffer.from(back).equals(Buffer.from(full))).toBe(true);
    }
  });

  it("refuses every truncation, modification, reordering, foreign frame and wrong context with one error", async () => {
    const { failures, refused } = await runEsdkTamperCases(inProcessKms(), algorithmSuite);
    expect(failures).toEqual([]);
    expect([refused.reorder, refused.duplicate, refused.context, refused.streams]).toEqual([4, 4, 3, 3]);
  }, 120_000);
});
