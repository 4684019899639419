/**
 * The envelope client's KMS transport over HTTP, through the official AWS SDK: pass a KMSClient
 * pointed at EdgeKMS (or at AWS KMS; the format only needs GenerateDataKey and Decrypt).
 *
 *   const kms = awsSdkTransport(new KMSClient({ endpoint: "https://kms.example.com", region, credentials }));
 *
 * SDK errors already carry the AWS error name in `name`, so they pass through unchanged.
 */
import { DecryptCommand, EncryptCommand, GenerateDataKeyCommand, type KMSClient } from "@aws-sdk/client-kms";
import type { KmsTransport } from "./transport.ts";

export function awsSdkTransport(client: KMSClient): KmsTransport {
  return {
    async generateDataKey(input) {
      const out = await client.send(new GenerateDataKeyCommand(input));
      return { KeyId: out.KeyId, Plaintext: out.Plaintext, CiphertextBlob: out.CiphertextBlob };
    },
    async decrypt(input) {
      const out = await client.send(new DecryptCommand(input));
      return { KeyId: out.KeyId, Plaintext: out.Plaintext };
    },
    async encrypt(input) {
      const out = await client.send(new EncryptCommand(input));
      return { KeyId: out.KeyId, CiphertextBlob: out.CiphertextBlob };
    },
  };
}
