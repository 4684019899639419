/**
 * The cryptographic operations: Encrypt, Decrypt, ReEncrypt, GenerateDataKey,
 * GenerateDataKeyWithoutPlaintext and GenerateRandom (the guide's "Envelope Encryption" and the API
 * reference). Sealing and opening happen in the key's own Durable Object; this layer resolves
 * which key, checks the algorithm and data-key parameters, and shapes AWS's responses.
 */
import { readCiphertextHeader } from "../../src/crypto/envelope.ts";
import { KmsError } from "../../src/protocol/errors.ts";
import { parseKeyArn } from "../../src/arn.ts";
import { dataKeyLength } from "../../src/protocol/validate.ts";
import { requireIamPermission } from "../../src/service/access.ts";
import type { CallFacts } from "../../src/service/caller.ts";
import { unwrap } from "../../src/service/rpc.ts";
import { audit, keyCall, keyObject, resolveKeyArn, settle, type Handler, type OperationContext } from "./context.ts";

const SYMMETRIC_DEFAULT = "SYMMETRIC_DEFAULT";

function checkAlgorithm(algorithm: string | undefined, keyArn: string): void {
  if (algorithm !== undefined && algorithm !== SYMMETRIC_DEFAULT) {
    throw new KmsError(
      "InvalidKeyUsageException",
      `You cannot use the encryption algorithm ${algorithm} with ${keyArn}. Its encryption algorithms are [SYMMETRIC_DEFAULT].`,
    );
  }
}

function invalidCiphertext(): KmsError {
  return new KmsError("InvalidCiphertextException", "The ciphertext is invalid for this key and encryption context.");
}

function unsupportedRecipient(): KmsError {
  return new KmsError("UnsupportedOperationException", "Recipient (Nitro Enclaves attestation) is not supported by EdgeKMS.");
}

function refuseDryRun(dryRun: boolean | undefined): void {
  if (dryRun === true) throw new KmsError("UnsupportedOperationException", "DryRun is not supported by EdgeKMS.");
}

/**
 * Which key a ciphertext blob names, checked against the KeyId parameter when one is given.
 * @throws InvalidCiphertextException for a blob with no readable header, IncorrectKeyException
 * when KeyId names another key.
 */
async function sourceKeyArn(ctx: OperationContext, blob: Uint8Array, keyId: string | undefined): Promise<string> {
  const header = readCiphertextHeader(blob);
  if (header === undefined || parseKeyArn(header.keyArn) === undefined) throw invalidCiphertext();
  if (keyId !== undefined) {
    const named = await resolveKeyArn(ctx, keyId);
    if (named !== header.keyArn) {
      throw new KmsError(
        "IncorrectKeyException",
        "The key ID in the request does not identify a CMK that can perform this operation.",
      );
    }
  }
  return header.keyArn;
}

/** The condition-key facts of a cryptographic request: its encryption context and grant tokens. */
function cryptoFacts(context: Record<string, string> | undefined, grantTokens: string[] | undefined, extra: CallFacts = {}): CallFacts {
  return {
    ...extra,
    encryptionContext: context ?? {},
    ...(grantTokens === undefined ? {} : { grantTokens }),
  };
}

/**
 * Opens a blob in its key's object (which records a Decrypt); a blob naming a key that does not
 * exist is just invalid.
 */
async function open(
  ctx: OperationContext,
  operation: "Decrypt" | "ReEncrypt",
  arn: string,
  blob: Uint8Array,
  context: Record<string, string> | undefined,
  facts: CallFacts,
) {
  try {
    const call = keyCall(ctx, arn, facts);
    const stub = keyObject(ctx, arn);
    if (operation === "ReEncrypt") return await unwrap(stub.decrypt(call, operation, blob, context ?? {}));
    return await settle(ctx, stub.decrypt(call, operation, blob, context ?? {}, audit(ctx)));
  } catch (err) {
    if (err instanceof KmsError && err.type === "NotFoundException") throw invalidCiphertext();
    throw err;
  }
}

export const Encrypt: Handler<"Encrypt"> = async (ctx, request) => {
  refuseDryRun(request.DryRun);
  const arn = await resolveKeyArn(ctx, request.KeyId);
  checkAlgorithm(request.EncryptionAlgorithm, arn);
  const sealed = await settle(
    ctx,
    keyObject(ctx, arn).encrypt(
      keyCall(ctx, arn, cryptoFacts(request.EncryptionContext, request.GrantTokens)),
      "Encrypt",
      request.Plaintext,
      request.EncryptionContext ?? {},
      audit(ctx),
    ),
  );
  return { CiphertextBlob: sealed.ciphertext, KeyId: sealed.keyArn, EncryptionAlgorithm: SYMMETRIC_DEFAULT };
};

export const Decrypt: Handler<"Decrypt"> = async (ctx, request) => {
  refuseDryRun(request.DryRun);
  if (request.Recipient !== undefined) throw unsupportedRecipient();
  const arn = await sourceKeyArn(ctx, request.CiphertextBlob, request.KeyId);
  checkAlgorithm(request.EncryptionAlgorithm, arn);
  const facts = cryptoFacts(request.EncryptionContext, request.GrantTokens);
  const opened = await open(ctx, "Decrypt", arn, request.CiphertextBlob, request.EncryptionContext, facts);
  return { KeyId: opened.keyArn, Plaintext: opened.plaintext, EncryptionAlgorithm: SYMMETRIC_DEFAULT };
};

export const ReEncrypt: Handler<"ReEncrypt"> = async (ctx, request) => {
  refuseDryRun(request.DryRun);
  const source = await sourceKeyArn(ctx, request.CiphertextBlob, request.SourceKeyId);
  checkAlgorithm(request.SourceEncryptionAlgorithm, source);
  const destination = await resolveKeyArn(ctx, request.DestinationKeyId);
  checkAlgorithm(request.DestinationEncryptionAlgorithm, destination);
  // kms:ReEncryptFrom on the source and kms:ReEncryptTo on the destination (permissions reference).
  const sameKey = { reEncryptOnSameKey: source === destination };
  const sourceFacts = cryptoFacts(request.SourceEncryptionContext, request.GrantTokens, sameKey);
  const opened = await open(ctx, "ReEncrypt", source, request.CiphertextBlob, request.SourceEncryptionContext, sourceFacts);
  try {
    const sealed = await settle(
      ctx,
      keyObject(ctx, destination).encrypt(
        keyCall(ctx, destination, cryptoFacts(request.DestinationEncryptionContext, request.GrantTokens, sameKey)),
        "ReEncrypt",
        opened.plaintext,
        request.DestinationEncryptionContext ?? {},
        audit(ctx),
      ),
    );
    return {
      CiphertextBlob: sealed.ciphertext,
      SourceKeyId: opened.keyArn,
      KeyId: sealed.keyArn,
      SourceEncryptionAlgorithm: SYMMETRIC_DEFAULT,
      DestinationEncryptionAlgorithm: SYMMETRIC_DEFAULT,
    };
  } finally {
    opened.plaintext.fill(0);
  }
};

export const GenerateDataKey: Handler<"GenerateDataKey"> = async (ctx, request) => {
  refuseDryRun(request.DryRun);
  if (request.Recipient !== undefined) throw unsupportedRecipient();
  const length = dataKeyLength(request);
  const arn = await resolveKeyArn(ctx, request.KeyId);
  const generated = await settle(
    ctx,
    keyObject(ctx, arn).generateDataKey(
      keyCall(ctx, arn, cryptoFacts(request.EncryptionContext, request.GrantTokens)),
      "GenerateDataKey",
      length,
      request.EncryptionContext ?? {},
      audit(ctx),
    ),
  );
  return { CiphertextBlob: generated.ciphertext, Plaintext: generated.plaintext, KeyId: generated.keyArn };
};

export const GenerateDataKeyWithoutPlaintext: Handler<"GenerateDataKeyWithoutPlaintext"> = async (ctx, request) => {
  refuseDryRun(request.DryRun);
  const length = dataKeyLength(request);
  const arn = await resolveKeyArn(ctx, request.KeyId);
  const generated = await settle(
    ctx,
    keyObject(ctx, arn).generateDataKey(
      keyCall(ctx, arn, cryptoFacts(request.EncryptionContext, request.GrantTokens)),
      "GenerateDataKeyWithoutPlaintext",
      length,
      request.EncryptionContext ?? {},
      audit(ctx),
    ),
  );
  return { CiphertextBlob: generated.ciphertext, KeyId: generated.keyArn };
};

export const GenerateRandom: Handler<"GenerateRandom"> = async (ctx, request) => {
  requireIamPermission(ctx.caller, "kms:GenerateRandom", "*");
  if (request.CustomKeyStoreId !== undefined) {
    throw new KmsError("UnsupportedOperationException", "Custom key stores are not supported by EdgeKMS.");
  }
  if (request.Recipient !== undefined) throw unsupportedRecipient();
  if (request.NumberOfBytes === undefined) {
    throw new KmsError("ValidationException", "1 validation error detected: Value null at 'numberOfBytes' failed to satisfy constraint: Member must not be null");
  }
  return { Plaintext: crypto.getRandomValues(new Uint8Array(request.NumberOfBytes)) };
};
