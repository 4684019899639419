/**
 * The cryptographic operations: Encrypt, Decrypt, ReEncrypt, GenerateDataKey,
 * GenerateDataKeyWithoutPlaintext and GenerateRandom (the guide's "Envelope Encryption" and the API
 * reference). Sealing and opening happen in the key's own Durable Object; this layer resolves
 * which key, checks the algorithm and data-key parameters, and shapes AWS's responses.
 */
import { readCiphertextHeader } from "../crypto/envelope.ts";
import { KmsError } from "../protocol/errors.ts";
import { keyArn, parseKeyArn } from "../arn.ts";
import type { RequestShapes } from "../protocol/shapes.ts";
import { dataKeyLength } from "../protocol/validate.ts";
import { requireIamPermission } from "../service/access.ts";
import type { CallFacts } from "../service/caller.ts";
import { unwrap } from "../service/rpc.ts";
import { assertKeyMayExist, audit, keyCall, keyObject, resolveKeyArn, settle, type Handler, type OperationContext } from "./context.ts";

const SYMMETRIC_DEFAULT = "SYMMETRIC_DEFAULT";

/** RSAES_OAEP_SHA_1 and RSAES_OAEP_SHA_256 name an RSA key's public-key encryption (the key object checks the key). */
function isRsaAlgorithm(algorithm: string | undefined): algorithm is "RSAES_OAEP_SHA_1" | "RSAES_OAEP_SHA_256" {
  return algorithm === "RSAES_OAEP_SHA_1" || algorithm === "RSAES_OAEP_SHA_256";
}

/** AWS: "An encryption context is supported only on operations with symmetric encryption KMS keys." */
function refuseContextForRsa(context: Record<string, string> | undefined): void {
  if (context !== undefined && Object.keys(context).length > 0) {
    throw new KmsError("ValidationException", "EncryptionContext is supported only with symmetric encryption KMS keys.");
  }
}

function rsaFacts(algorithm: string, grantTokens: string[] | undefined, extra: CallFacts = {}): CallFacts {
  return { ...extra, extra: { "kms:EncryptionAlgorithm": algorithm }, ...(grantTokens === undefined ? {} : { grantTokens }) };
}

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

export function unsupportedRecipient(): KmsError {
  return new KmsError("UnsupportedOperationException", "Recipient (Nitro Enclaves attestation) is not supported by EdgeKMS.");
}

/**
 * Which key a ciphertext blob names, checked against the KeyId parameter when one is given.
 * @throws InvalidCiphertextException for a blob with no readable header, IncorrectKeyException
 * when KeyId names another key.
 */
async function sourceKeyArn(ctx: OperationContext, blob: Uint8Array, keyId: string | undefined): Promise<string> {
  const header = readCiphertextHeader(blob);
  if (header === undefined || parseKeyArn(header.keyArn) === undefined) {
    // A dry run with IGNORE_CIPHERTEXT tests permissions on the key the request names, whatever the blob.
    if (ctx.dryRun?.ignoreCiphertext === true && keyId !== undefined) return resolveKeyArn(ctx, keyId);
    throw invalidCiphertext();
  }
  // A multi-Region key's blob from another Region opens with the key of its set in this one.
  const arn = relatedKeyHere(ctx, header.keyArn);
  // A blob naming a key that cannot exist is just invalid, and no store is asked about it.
  await assertKeyMayExist(ctx, arn).catch(() => {
    throw invalidCiphertext();
  });
  if (keyId !== undefined) {
    const named = await resolveKeyArn(ctx, keyId);
    if (named !== arn) {
      throw new KmsError("IncorrectKeyException", "The key ID in the request does not identify a CMK that can perform this operation.");
    }
  }
  return arn;
}

/** For a multi-Region key's ARN in another Region, the ARN of its set's key in the request's Region. */
function relatedKeyHere(ctx: OperationContext, arn: string): string {
  const key = parseKeyArn(arn);
  if (key === undefined || key.region === ctx.region || !key.keyId.startsWith("mrk-")) return arn;
  return keyArn(ctx.region, key.account, key.keyId);
}

/** The condition-key facts of a cryptographic request: its encryption context and grant tokens. */
function cryptoFacts(context: Record<string, string> | undefined, grantTokens: string[] | undefined, extra: CallFacts = {}): CallFacts {
  return {
    extra: { "kms:EncryptionAlgorithm": SYMMETRIC_DEFAULT },
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

/**
 * ReEncrypt's source half. In a dry run the source key answers DryRunOperationException when the
 * decryption would succeed; the destination half then runs its own dry run on a stand-in plaintext
 * (it is never sealed for real) and gives the call its answer.
 */
async function openSource(
  ctx: OperationContext,
  arn: string,
  blob: Uint8Array,
  context: Record<string, string> | undefined,
  facts: CallFacts,
): Promise<{ keyArn: string; plaintext: Uint8Array; keyMaterialId?: string }> {
  try {
    return await open(ctx, "ReEncrypt", arn, blob, context, facts);
  } catch (err) {
    if (ctx.dryRun !== undefined && err instanceof KmsError && err.type === "DryRunOperationException") {
      return { keyArn: arn, plaintext: new Uint8Array(32) };
    }
    throw err;
  }
}

export const Encrypt: Handler<"Encrypt"> = async (ctx, request) => {
  const arn = await resolveKeyArn(ctx, request.KeyId);
  if (isRsaAlgorithm(request.EncryptionAlgorithm)) {
    refuseContextForRsa(request.EncryptionContext);
    const algorithm = request.EncryptionAlgorithm;
    const call = keyCall(ctx, arn, rsaFacts(algorithm, request.GrantTokens));
    const sealed = await settle(ctx, keyObject(ctx, arn).encryptAsymmetric(call, "Encrypt", algorithm, request.Plaintext, audit(ctx)));
    return { CiphertextBlob: sealed.ciphertext, KeyId: sealed.keyArn, EncryptionAlgorithm: algorithm };
  }
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
  if (request.Recipient !== undefined) throw unsupportedRecipient();
  if (isRsaAlgorithm(request.EncryptionAlgorithm)) {
    const opened = await openWithRsa(
      ctx,
      "Decrypt",
      request.KeyId,
      request.EncryptionAlgorithm,
      request.CiphertextBlob,
      request.EncryptionContext,
      request.GrantTokens,
    );
    return { KeyId: opened.keyArn, Plaintext: opened.plaintext, EncryptionAlgorithm: request.EncryptionAlgorithm };
  }
  const arn = await sourceKeyArn(ctx, request.CiphertextBlob, request.KeyId);
  checkAlgorithm(request.EncryptionAlgorithm, arn);
  const facts = cryptoFacts(request.EncryptionContext, request.GrantTokens);
  const opened = await open(ctx, "Decrypt", arn, request.CiphertextBlob, request.EncryptionContext, facts);
  return {
    KeyId: opened.keyArn,
    Plaintext: opened.plaintext,
    EncryptionAlgorithm: SYMMETRIC_DEFAULT,
    ...(opened.keyMaterialId === undefined ? {} : { KeyMaterialId: opened.keyMaterialId }),
  };
};

export const ReEncrypt: Handler<"ReEncrypt"> = async (ctx, request) => {
  const sourceAlgorithm = request.SourceEncryptionAlgorithm ?? SYMMETRIC_DEFAULT;
  const destinationAlgorithm = request.DestinationEncryptionAlgorithm ?? SYMMETRIC_DEFAULT;
  const rsaSource = isRsaAlgorithm(sourceAlgorithm);
  const source = rsaSource
    ? await rsaSourceKeyArn(ctx, request.SourceKeyId)
    : await sourceKeyArn(ctx, request.CiphertextBlob, request.SourceKeyId);
  if (!rsaSource) checkAlgorithm(request.SourceEncryptionAlgorithm, source);
  const destination = await resolveKeyArn(ctx, request.DestinationKeyId);
  const rsaDestination = isRsaAlgorithm(destinationAlgorithm);
  if (!rsaDestination) checkAlgorithm(request.DestinationEncryptionAlgorithm, destination);
  else refuseContextForRsa(request.DestinationEncryptionContext);
  // kms:ReEncryptFrom on the source and kms:ReEncryptTo on the destination (permissions reference).
  const sameKey = { reEncryptOnSameKey: source === destination };
  const sourceFacts = cryptoFacts(request.SourceEncryptionContext, request.GrantTokens, sameKey);
  const opened = rsaSource
    ? await openWithRsa(
        ctx,
        "ReEncrypt",
        source,
        sourceAlgorithm,
        request.CiphertextBlob,
        request.SourceEncryptionContext,
        request.GrantTokens,
        sameKey,
      )
    : await openSource(ctx, source, request.CiphertextBlob, request.SourceEncryptionContext, sourceFacts);
  try {
    const stub = keyObject(ctx, destination);
    const sealed = rsaDestination
      ? await settle(
          ctx,
          stub.encryptAsymmetric(
            keyCall(ctx, destination, rsaFacts(destinationAlgorithm, request.GrantTokens, sameKey)),
            "ReEncrypt",
            destinationAlgorithm,
            opened.plaintext,
            audit(ctx),
          ),
        )
      : await settle(
          ctx,
          stub.encrypt(
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
      SourceEncryptionAlgorithm: sourceAlgorithm,
      DestinationEncryptionAlgorithm: destinationAlgorithm,
      ...("keyMaterialId" in opened && opened.keyMaterialId !== undefined ? { SourceKeyMaterialId: opened.keyMaterialId } : {}),
      ...("keyMaterialId" in sealed && sealed.keyMaterialId !== undefined ? { DestinationKeyMaterialId: sealed.keyMaterialId } : {}),
    };
  } finally {
    opened.plaintext.fill(0);
  }
};

/** An RSA ciphertext carries no key ID: the request must name the key (AWS: KeyId is required then). */
async function rsaSourceKeyArn(ctx: OperationContext, keyId: string | undefined): Promise<string> {
  if (keyId === undefined) {
    throw new KmsError(
      "ValidationException",
      "KeyId is required when decrypting with an asymmetric KMS key (EncryptionAlgorithm RSAES_OAEP_*).",
    );
  }
  return resolveKeyArn(ctx, keyId);
}

/** Decrypts an RSA ciphertext in its key's object (Decrypt records the call; ReEncrypt's source half does not). */
async function openWithRsa(
  ctx: OperationContext,
  operation: "Decrypt" | "ReEncrypt",
  keyIdOrArn: string | undefined,
  algorithm: "RSAES_OAEP_SHA_1" | "RSAES_OAEP_SHA_256",
  blob: Uint8Array,
  context: Record<string, string> | undefined,
  grantTokens: string[] | undefined,
  extra: CallFacts = {},
): Promise<{ keyArn: string; plaintext: Uint8Array }> {
  refuseContextForRsa(context);
  const arn = operation === "ReEncrypt" ? keyIdOrArn! : await rsaSourceKeyArn(ctx, keyIdOrArn);
  const call = keyCall(ctx, arn, rsaFacts(algorithm, grantTokens, extra));
  const stub = keyObject(ctx, arn);
  if (operation === "ReEncrypt") return unwrap(stub.decryptAsymmetric(call, operation, algorithm, blob));
  return settle(ctx, stub.decryptAsymmetric(call, operation, algorithm, blob, audit(ctx)));
}

/** GenerateDataKey and GenerateDataKeyWithoutPlaintext: the same request, with or without the plaintext. */
async function generateDataKey(
  ctx: OperationContext,
  operation: "GenerateDataKey" | "GenerateDataKeyWithoutPlaintext",
  request: RequestShapes["GenerateDataKeyWithoutPlaintext"],
) {
  const length = dataKeyLength(request);
  const arn = await resolveKeyArn(ctx, request.KeyId);
  const facts = cryptoFacts(request.EncryptionContext, request.GrantTokens);
  const context = request.EncryptionContext ?? {};
  return settle(ctx, keyObject(ctx, arn).generateDataKey(keyCall(ctx, arn, facts), operation, length, context, audit(ctx)));
}

export const GenerateDataKey: Handler<"GenerateDataKey"> = async (ctx, request) => {
  if (request.Recipient !== undefined) throw unsupportedRecipient();
  const generated = await generateDataKey(ctx, "GenerateDataKey", request);
  return {
    CiphertextBlob: generated.ciphertext,
    Plaintext: generated.plaintext,
    KeyId: generated.keyArn,
    ...(generated.keyMaterialId === undefined ? {} : { KeyMaterialId: generated.keyMaterialId }),
  };
};

export const GenerateDataKeyWithoutPlaintext: Handler<"GenerateDataKeyWithoutPlaintext"> = async (ctx, request) => {
  const generated = await generateDataKey(ctx, "GenerateDataKeyWithoutPlaintext", request);
  return {
    CiphertextBlob: generated.ciphertext,
    KeyId: generated.keyArn,
    ...(generated.keyMaterialId === undefined ? {} : { KeyMaterialId: generated.keyMaterialId }),
  };
};

export const GenerateRandom: Handler<"GenerateRandom"> = async (ctx, request) => {
  requireIamPermission(ctx.caller, "kms:GenerateRandom", "*");
  if (request.CustomKeyStoreId !== undefined) {
    throw new KmsError("UnsupportedOperationException", "Custom key stores are not supported by EdgeKMS.");
  }
  if (request.Recipient !== undefined) throw unsupportedRecipient();
  if (request.NumberOfBytes === undefined) {
    throw new KmsError(
      "ValidationException",
      "1 validation error detected: Value null at 'numberOfBytes' failed to satisfy constraint: Member must not be null",
    );
  }
  return { Plaintext: crypto.getRandomValues(new Uint8Array(request.NumberOfBytes)) };
};
