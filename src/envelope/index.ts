/**
 * The envelope-encryption client: `new EnvelopeClient({ kms, keyId })`, then encrypt/decrypt whole
 * messages or encryptStream/decryptStream for data of any size (./client.ts); the message format
 * is the AWS Encryption SDK's (./esdk/), and EdgeKMS's earlier format (./format.ts) stays readable. Transports: `bindingTransport(env.KMS)` inside a worker with a
 * service binding to EdgeKMS, or `awsSdkTransport(kmsClient)` from "./aws-sdk.ts" over HTTP (kept
 * out of this index so that binding users do not bundle the AWS SDK).
 */
export { ESDK_DEFAULT_FRAME_LENGTH, EnvelopeClient, invalidMessage } from "./client.ts";
export type {
  MessageFormat,
  DecryptOptions,
  DecryptResult,
  DecryptStream,
  EncryptOptions,
  EncryptStreamOptions,
  EnvelopeClientOptions,
  MessageInfo,
} from "./client.ts";
export { DataKeyCache, type DataKeyCacheOptions } from "./cache.ts";
export { wasmCipher, webCryptoCipher, type CipherSuite, type MessageCipher } from "./cipher.ts";
export { bindingTransport, kmsBinding, restoreBindingError } from "./binding.ts";
export type { KmsTransport } from "./transport.ts";
export { DEFAULT_FRAME_SIZE, MAX_FRAME_SIZE, plaintextLength } from "./format.ts";
export { ALGORITHM_SUITES, DEFAULT_COMMITMENT_POLICY, DEFAULT_SUITE, WRITABLE_SUITES } from "./esdk/suites.ts";
export type { AlgorithmSuite, AlgorithmSuiteName, CommitmentPolicy } from "./esdk/suites.ts";
