/**
 * An in-process KMS for the envelope client's unit tests and the envelope benchmark: it does
 * what EdgeKMS's key objects do for GenerateDataKey, Decrypt and Encrypt — random data keys sealed
 * into real v1 ciphertext blobs (src/crypto/envelope.ts, AAD = canonical encryption context) under
 * per-key backing keys — without a worker, Durable Objects, authorization or audit. A wrong
 * context, another key's blob or a modified blob fails exactly as in EdgeKMS, with
 * InvalidCiphertextException. It counts calls so tests can see when the cache saved one.
 *
 * Not a substitute for the real service: the e2e tests run the client against a local EdgeKMS
 * over HTTP and over a service binding.
 */
import { encodeEncryptionContext } from "../../../src/crypto/encryption-context.ts";
import { openCiphertext, readCiphertextHeader, sealCiphertext } from "../../../src/crypto/envelope.ts";
import { KmsError } from "../../../src/protocol/errors.ts";
import type { KmsTransport } from "../../../src/envelope/transport.ts";

export interface InProcessKms extends KmsTransport {
  calls: { generateDataKey: number; decrypt: number; encrypt: number };
  /** Creates a key and returns its ARN. */
  createKey(): string;
  /** Makes every later call fail with this AWS error (undefined: stop failing). */
  failWith(type: "AccessDeniedException" | "DisabledException" | undefined): void;
}

export function inProcessKms(): InProcessKms {
  const keys = new Map<string, Uint8Array>();
  const calls = { generateDataKey: 0, decrypt: 0, encrypt: 0 };
  let failure: "AccessDeniedException" | "DisabledException" | undefined;
  const keyOf = (keyId: string): [string, Uint8Array] => {
    const backing = keys.get(keyId);
    if (backing === undefined) throw new KmsError("NotFoundException", `Key '${keyId}' does not exist`);
    return [keyId, backing];
  };
  const check = () => {
    if (failure !== undefined) throw new KmsError(failure, "refused by the test");
  };
  const seal = (keyId: string, plaintext: Uint8Array, context: Record<string, string> | undefined) => {
    const [arn, backing] = keyOf(keyId);
    return sealCiphertext(backing, { keyArn: arn, backingKeyVersion: 1 }, encodeEncryptionContext(context), plaintext);
  };
  return {
    calls,
    createKey() {
      const arn = `arn:aws:kms:us-east-1:111122223333:key/${crypto.randomUUID()}`;
      keys.set(arn, crypto.getRandomValues(new Uint8Array(32)));
      return arn;
    },
    failWith(type) {
      failure = type;
    },
    async generateDataKey(input) {
      calls.generateDataKey++;
      check();
      const plaintext = crypto.getRandomValues(new Uint8Array(32));
      return { KeyId: input.KeyId, Plaintext: plaintext, CiphertextBlob: seal(input.KeyId, plaintext, input.EncryptionContext) };
    },
    async encrypt(input) {
      calls.encrypt++;
      check();
      return { KeyId: input.KeyId, CiphertextBlob: seal(input.KeyId, input.Plaintext, input.EncryptionContext) };
    },
    async decrypt(input) {
      calls.decrypt++;
      check();
      const invalid = new KmsError("InvalidCiphertextException", "The ciphertext is invalid for this key and encryption context.");
      const header = readCiphertextHeader(input.CiphertextBlob);
      const backing = header && keys.get(header.keyArn);
      if (header === undefined || backing === undefined) throw invalid;
      if (input.KeyId !== undefined && input.KeyId !== header.keyArn) {
        throw new KmsError("IncorrectKeyException", "The key ID in the request does not identify a CMK that can perform this operation.");
      }
      const plaintext = openCiphertext(backing, input.CiphertextBlob, encodeEncryptionContext(input.EncryptionContext));
      if (plaintext === undefined) throw invalid;
      return { KeyId: header.keyArn, Plaintext: plaintext };
    },
  };
}
