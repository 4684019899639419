/**
 * Writing AWS Encryption SDK messages (aws-encryption-sdk-specification client-apis/encrypt.md,
 * data-format/message.md), whole or as a stream: the envelope client (../client.ts) calls
 * beginAwsMessage with its settings, then encryptAwsMessage or awsEncryptStream.
 *
 * beginAwsMessage creates the signing key pair (signed suites) and adds its public key to the
 * context, gets the data key from KMS or the cache (./kms.ts), draws the 32-byte message ID,
 * derives the message key and the key commitment (wiping the data key at once), and seals the
 * version 2 header. Frames are then sealed in order by ./message.ts's EsdkWriter; a whole message
 * is written straight into one array, a stream emits the frames each input chunk completes.
 */
import type { EncryptionContext } from "../../crypto/encryption-context.ts";
import type { DataKeyCache } from "../cache.ts";
import type { KmsTransport } from "../transport.ts";
import type { DerivedKey } from "./keys.ts";
import { encodeHeaderBodyV2 } from "./header.ts";
import { bodyCipher, deriveKey } from "./keys.ts";
import { generateDataKey } from "./kms.ts";
import { EsdkWriter, finalFrameSize, regularFrameSize } from "./message.ts";
import { MAX_DER_SIGNATURE, MessageSigner } from "./signature.ts";
import { ALGORITHM_SUITES, PUBLIC_KEY_CONTEXT_KEY, type AlgorithmSuiteName } from "./suites.ts";

export interface AwsMessageSettings {
  kms: KmsTransport;
  cache: DataKeyCache | undefined;
  /** The KMS key that generates the data key, then any that also wrap it. */
  keyIds: string[];
  suite: AlgorithmSuiteName;
  frameSize: number;
}

/** A message whose header is sealed, ready for its frames. */
export interface AwsEncryptionSetup {
  header: Uint8Array;
  writer: EsdkWriter;
  frameSize: number;
  signed: boolean;
}

/**
 * Starts a message of `length` plaintext bytes (undefined: unknown, for the cache's byte limit).
 * `streaming` selects the signature path (see ./signature.ts).
 * @throws TypeError when the context uses the reserved public-key entry; KMS errors pass through.
 */
export async function beginAwsMessage(
  settings: AwsMessageSettings,
  encryptionContext: EncryptionContext,
  length: number | undefined,
  streaming: boolean,
): Promise<AwsEncryptionSetup> {
  let context = encryptionContext;
  if (Object.hasOwn(context, PUBLIC_KEY_CONTEXT_KEY))
    throw new TypeError(`the encryption context key ${PUBLIC_KEY_CONTEXT_KEY} is reserved`);
  const suite = ALGORITHM_SUITES[settings.suite];
  const signer = suite.signature ? await MessageSigner.create(suite.signature, streaming) : undefined;
  if (signer) context = { ...context, [PUBLIC_KEY_CONTEXT_KEY]: signer.publicKey };
  try {
    const { dataKey, encodedDataKeys } = await generateDataKey(settings, suite, settings.keyIds, context, length);
    const messageId = crypto.getRandomValues(new Uint8Array(32));
    let derived: DerivedKey;
    try {
      derived = deriveKey(suite, dataKey, messageId);
    } finally {
      dataKey.fill(0);
    }
    const writer = new EsdkWriter(messageId, bodyCipher(derived.key), signer);
    try {
      const body = encodeHeaderBodyV2({
        suite,
        messageId,
        encryptionContext: context,
        encodedDataKeys,
        frameLength: settings.frameSize,
        commitment: derived.commitment!,
      });
      return { header: await writer.header(body), writer, frameSize: settings.frameSize, signed: signer !== undefined };
    } catch (err) {
      writer.destroy();
      throw err;
    }
  } catch (err) {
    signer?.destroy();
    throw err;
  }
}

/** The whole message for `plaintext`, written into one array (which may be a view of a slightly larger one). */
export async function encryptAwsMessage(setup: AwsEncryptionSetup, plaintext: Uint8Array): Promise<Uint8Array> {
  const { header, writer, frameSize, signed } = setup;
  try {
    const regular = plaintext.length === 0 ? 0 : Math.ceil(plaintext.length / frameSize) - 1;
    const finalLength = plaintext.length - regular * frameSize;
    // The footer's length is known only once signed: room for the longest DER signature.
    const room = signed ? 2 + MAX_DER_SIGNATURE : 0;
    const out = new Uint8Array(header.length + regular * regularFrameSize(frameSize) + finalFrameSize(finalLength) + room);
    out.set(header, 0);
    let at = header.length;
    for (let i = 0; i < regular; i++) {
      const written = writer.frameInto(plaintext.subarray(i * frameSize, (i + 1) * frameSize), false, out, at);
      at += typeof written === "number" ? written : await written;
    }
    at += await writer.frameInto(plaintext.subarray(regular * frameSize), true, out, at);
    const footer = await writer.footer(out.subarray(0, at));
    out.set(footer, at);
    return out.subarray(0, at + footer.length);
  } finally {
    writer.destroy();
  }
}

/** A TransformStream that encrypts the bytes written to it into one message started by `begin`. */
export function awsEncryptStream(
  begin: () => Promise<AwsEncryptionSetup>,
  declared: number | undefined,
): TransformStream<Uint8Array, Uint8Array> {
  let setup: AwsEncryptionSetup | undefined;
  let pending: Uint8Array | undefined;
  let pendingLength = 0;
  let total = 0;
  const fail = (err: unknown): never => {
    setup?.writer.destroy();
    pending?.fill(0);
    throw err;
  };
  return new TransformStream<Uint8Array, Uint8Array>({
    start: async (controller) => {
      setup = await begin();
      pending = new Uint8Array(setup.frameSize);
      controller.enqueue(setup.header);
    },
    transform: async (chunk, controller) => {
      try {
        if (!(chunk instanceof Uint8Array)) throw new TypeError("plaintext chunk must be a Uint8Array");
        total += chunk.length;
        if (declared !== undefined && total > declared) throw new RangeError("the stream carries more bytes than plaintextLength");
        const { writer, frameSize } = setup!;
        // A full frame goes out only once more data follows (the last frame must be the final
        // one), so the frames this chunk completes are those followed by at least one byte;
        // they leave together, sealed into one array.
        const count = Math.max(0, Math.floor((pendingLength + chunk.length - 1) / frameSize));
        let offset = 0;
        if (count > 0) {
          const out = new Uint8Array(count * regularFrameSize(frameSize));
          let at = 0;
          for (let i = 0; i < count; i++) {
            let plain: Uint8Array;
            if (pendingLength > 0) {
              const n = frameSize - pendingLength;
              pending!.set(chunk.subarray(offset, offset + n), pendingLength);
              offset += n;
              pendingLength = 0;
              plain = pending!;
            } else {
              plain = chunk.subarray(offset, offset + frameSize);
              offset += frameSize;
            }
            const written = writer.frameInto(plain, false, out, at);
            at += typeof written === "number" ? written : await written;
          }
          controller.enqueue(out);
        }
        pending!.set(chunk.subarray(offset), pendingLength);
        pendingLength += chunk.length - offset;
      } catch (err) {
        fail(err);
      }
    },
    flush: async (controller) => {
      try {
        if (declared !== undefined && total !== declared) throw new RangeError("the stream carried fewer bytes than plaintextLength");
        controller.enqueue(await setup!.writer.frame(pending!.subarray(0, pendingLength), true));
        const footer = await setup!.writer.footer();
        if (footer.length > 0) controller.enqueue(footer);
        pending!.fill(0);
      } catch (err) {
        fail(err);
      }
    },
  });
}
