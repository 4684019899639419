/**
 * The AWS KMS keyring of the AWS Encryption SDK, as the envelope client uses it
 * (aws-encryption-sdk-specification framework/aws-kms/aws-kms-keyring.md): on encrypt,
 * GenerateDataKey under the first key and Encrypt of that data key under each additional key, each
 * with the message's whole encryption context (the signing public key included), giving encrypted
 * data keys with provider ID "aws-kms" and the key ARN KMS answered with as provider info; on
 * decrypt, Decrypt of each "aws-kms" encrypted data key in turn with its provider info as KeyId,
 * accepting the result only when KMS reports that same key, until one opens the header.
 *
 * Data-key caching (./cache.ts) applies to unsigned suites on encrypt (a signed message's context
 * holds its own fresh public key, which KMS binds the data key to, so it can never reuse one) and
 * to every suite on decrypt.
 */
import type { EncryptionContext } from "../../crypto/encryption-context.ts";
import { DataKeyCache } from "../cache.ts";
import type { KmsTransport } from "../transport.ts";
import { encodeDataKey, KMS_PROVIDER_ID, type ParsedHeader } from "./header.ts";
import { openHeader } from "./message.ts";
import type { BodyCipher } from "./keys.ts";
import type { AlgorithmSuite } from "./suites.ts";

const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** KMS requests omit an empty context, as the AWS SDKs do. */
function kmsContext(context: EncryptionContext): EncryptionContext | undefined {
  return Object.keys(context).length === 0 ? undefined : context;
}

export interface KeyringSetup {
  kms: KmsTransport;
  cache: DataKeyCache | undefined;
}

export interface GeneratedKey {
  /** The plaintext data key: the caller wipes it. */
  dataKey: Uint8Array;
  /** Header entries (encodeDataKey). */
  encodedDataKeys: Uint8Array[];
}

/** A data key for a new message under `keyIds` (the first generates it), from the cache when allowed. */
export async function generateDataKey(
  setup: KeyringSetup,
  suite: AlgorithmSuite,
  keyIds: readonly string[],
  context: EncryptionContext,
  length: number | undefined,
): Promise<GeneratedKey> {
  const cache = suite.signature ? undefined : setup.cache;
  const cacheId = DataKeyCache.encryptionId(["aws-encryption-sdk", suite.name, ...keyIds], context);
  const cached = cache?.takeForEncryption(cacheId, length);
  if (cached !== undefined) return { dataKey: cached.dataKey, encodedDataKeys: cached.encryptedDataKeys };
  const generated = await setup.kms.generateDataKey({ KeyId: keyIds[0]!, KeySpec: "AES_256", EncryptionContext: kmsContext(context) });
  if (!(generated.Plaintext instanceof Uint8Array) || !(generated.CiphertextBlob instanceof Uint8Array)) {
    generated.Plaintext?.fill?.(0);
    throw new TypeError("GenerateDataKey returned no data key");
  }
  const dataKey = generated.Plaintext;
  try {
    if (dataKey.length !== suite.keyLength) throw new TypeError("GenerateDataKey returned a data key of the wrong length");
    if (typeof generated.KeyId !== "string") throw new TypeError("GenerateDataKey returned no KeyId");
    const encodedDataKeys = [
      encodeDataKey({ providerId: KMS_PROVIDER_ID, providerInfo: utf8.encode(generated.KeyId), ciphertext: generated.CiphertextBlob }),
    ];
    for (const extra of keyIds.slice(1)) {
      if (setup.kms.encrypt === undefined) throw new TypeError("additionalKeyIds need a kms transport with encrypt");
      const wrapped = await setup.kms.encrypt({ KeyId: extra, Plaintext: dataKey, EncryptionContext: kmsContext(context) });
      if (!(wrapped.CiphertextBlob instanceof Uint8Array) || typeof wrapped.KeyId !== "string")
        throw new TypeError("Encrypt returned no ciphertext");
      encodedDataKeys.push(
        encodeDataKey({ providerId: KMS_PROVIDER_ID, providerInfo: utf8.encode(wrapped.KeyId), ciphertext: wrapped.CiphertextBlob }),
      );
    }
    cache?.putForEncryption(cacheId, { dataKey, encryptedDataKeys: encodedDataKeys, keyId: generated.KeyId }, length);
    return { dataKey, encodedDataKeys };
  } catch (err) {
    dataKey.fill(0);
    throw err;
  }
}

/**
 * Opens a parsed header with the first "aws-kms" encrypted data key that KMS decrypts, returning
 * the body cipher and the key ARN. Throws the first KMS error when none decrypts, or `invalid()`
 * when a data key decrypts but does not open the header (a wrong commitment or header tag).
 */
export async function unlockHeader(
  setup: KeyringSetup,
  header: ParsedHeader,
  invalid: () => Error,
): Promise<{ cipher: BodyCipher; keyId: string }> {
  const context = header.encryptionContext;
  let firstError: unknown;
  for (const edk of header.encryptedDataKeys) {
    if (edk.providerId !== KMS_PROVIDER_ID) continue;
    let providerInfo: string;
    try {
      providerInfo = strictUtf8.decode(edk.providerInfo);
    } catch {
      continue;
    }
    const cacheId = DataKeyCache.decryptionId(edk.ciphertext, context);
    let dataKey: Uint8Array;
    let keyId: string;
    const cached = setup.cache?.takeForDecryption(cacheId);
    const fromCache = cached !== undefined;
    if (cached !== undefined) {
      ({ dataKey, keyId } = cached);
    } else {
      try {
        const opened = await setup.kms.decrypt({
          CiphertextBlob: edk.ciphertext,
          EncryptionContext: kmsContext(context),
          KeyId: providerInfo,
        });
        if (!(opened.Plaintext instanceof Uint8Array)) throw new TypeError("Decrypt returned no plaintext");
        dataKey = opened.Plaintext;
        // The keyring accepts a data key only from the key the message names.
        if (opened.KeyId !== providerInfo) {
          dataKey.fill(0);
          throw invalid();
        }
        keyId = providerInfo;
      } catch (err) {
        firstError ??= err;
        continue;
      }
    }
    try {
      const cipher = await openHeader(header, dataKey);
      if (cipher === undefined) throw invalid();
      if (!fromCache) setup.cache?.putForDecryption(cacheId, { dataKey, keyId });
      return { cipher, keyId };
    } finally {
      dataKey.fill(0);
    }
  }
  throw firstError ?? invalid();
}
