/**
 * What the envelope client needs from KMS: GenerateDataKey and Decrypt (and Encrypt, only to wrap
 * the data key under additional keys). Requests and results use AWS's member names and types
 * (blobs as Uint8Array), so a KmsBinding service-binding stub fits as it is and
 * @aws-sdk/client-kms needs only a thin adapter (./aws-sdk.ts); see ./binding.ts for the binding.
 *
 * Errors a transport throws should carry the AWS error name in `name` (AccessDeniedException,
 * NotFoundException, ...); the client passes them on unchanged.
 *
 * Security: GenerateDataKey and Decrypt return a plaintext data key. The client wipes the array it
 * receives as soon as it has derived the message key, so a transport must hand over an array that
 * nothing else uses.
 */
import type { EncryptionContext } from "../crypto/encryption-context.ts";

export interface GenerateDataKeyInput {
  KeyId: string;
  KeySpec: "AES_256";
  EncryptionContext?: EncryptionContext;
}
export interface GenerateDataKeyOutput {
  KeyId?: string;
  Plaintext?: Uint8Array;
  CiphertextBlob?: Uint8Array;
}

export interface DecryptInput {
  CiphertextBlob: Uint8Array;
  EncryptionContext?: EncryptionContext;
  /** The key the blob must be under (AWS Encryption SDK messages name it; KMS refuses another). */
  KeyId?: string;
}
export interface DecryptOutput {
  KeyId?: string;
  Plaintext?: Uint8Array;
}

export interface EncryptInput {
  KeyId: string;
  Plaintext: Uint8Array;
  EncryptionContext?: EncryptionContext;
}
export interface EncryptOutput {
  KeyId?: string;
  CiphertextBlob?: Uint8Array;
}

export interface KmsTransport {
  generateDataKey(input: GenerateDataKeyInput): Promise<GenerateDataKeyOutput>;
  decrypt(input: DecryptInput): Promise<DecryptOutput>;
  /** Optional: needed only to encrypt a message under more than one KMS key. */
  encrypt?(input: EncryptInput): Promise<EncryptOutput>;
}
