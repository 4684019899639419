/**
 * GetParametersForImport, ImportKeyMaterial and DeleteImportedKeyMaterial (the guide's "Importing
 * Key Material" and "Deleting Imported Key Material"). The wrapping key pair, the import token and
 * the unwrapping all live in the key's own Durable Object (worker/key-object.ts, with
 * src/keys/import-wrapping.ts and src/keys/import-token.ts); this layer checks the parameters AWS
 * checks before it looks at the key: wrapping spec and algorithm, expiration model and ValidTo.
 *
 * Supported: WrappingKeySpec RSA_2048 with RSAES_OAEP_SHA_256, RSAES_OAEP_SHA_1 or
 * RSAES_PKCS1_V1_5, symmetric (SYMMETRIC_DEFAULT) keys, and rotation of imported material
 * (ImportType, KeyMaterialId, KeyMaterialDescription; src/keys/key-actor.ts `installMaterial`). The
 * newer RSA_AES_KEY_WRAP_* algorithms and larger wrapping keys answer UnsupportedOperationException
 * rather than being ignored.
 */
import { isWrappingAlgorithm } from "../keys/import-wrapping.ts";
import { KmsError } from "../protocol/errors.ts";
import { audit, keyCall, keyObject, resolveKeyArn, settle, type Handler } from "./context.ts";

/** AWS accepts a ValidTo at most 365 days ahead. */
const MAX_VALID_TO_MS = 365 * 24 * 60 * 60 * 1000;

function unsupported(message: string): KmsError {
  return new KmsError("UnsupportedOperationException", message);
}

function invalid(message: string): KmsError {
  return new KmsError("ValidationException", message);
}

/** @throws ValidationException for a KeyMaterialId with ImportType NEW_KEY_MATERIAL (AWS: "You cannot specify a key material ID with ImportType set to NEW_KEY_MATERIAL"). */
function checkImportType(request: { KeyMaterialId?: string; ImportType?: string }): void {
  if (request.KeyMaterialId !== undefined && request.ImportType === "NEW_KEY_MATERIAL") {
    throw invalid("You cannot specify a KeyMaterialId when ImportType is NEW_KEY_MATERIAL.");
  }
}

export const GetParametersForImport: Handler<"GetParametersForImport"> = async (ctx, request) => {
  if (request.WrappingKeySpec !== "RSA_2048") {
    throw unsupported(`WrappingKeySpec ${request.WrappingKeySpec} is not supported by EdgeKMS; use RSA_2048.`);
  }
  const algorithm = request.WrappingAlgorithm;
  if (!isWrappingAlgorithm(algorithm)) {
    throw unsupported(
      `WrappingAlgorithm ${algorithm} is not supported by EdgeKMS; use RSAES_OAEP_SHA_256, RSAES_OAEP_SHA_1 or RSAES_PKCS1_V1_5.`,
    );
  }
  const arn = await resolveKeyArn(ctx, request.KeyId);
  const parameters = await settle(ctx, keyObject(ctx, arn).getParametersForImport(keyCall(ctx, arn), algorithm, audit(ctx)));
  return {
    KeyId: parameters.keyArn,
    PublicKey: parameters.publicKey,
    ImportToken: parameters.importToken,
    ParametersValidTo: parameters.parametersValidTo,
  };
};

export const ImportKeyMaterial: Handler<"ImportKeyMaterial"> = async (ctx, request) => {
  checkImportType(request);
  const expirationModel = request.ExpirationModel ?? "KEY_MATERIAL_EXPIRES";
  let validTo: number | undefined;
  if (expirationModel === "KEY_MATERIAL_EXPIRES") {
    if (request.ValidTo === undefined) throw invalid("A validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES");
    validTo = request.ValidTo.getTime();
    const now = Date.now();
    if (!(validTo > now)) throw invalid("The validTo date must be in the future.");
    if (validTo > now + MAX_VALID_TO_MS) throw invalid("The validTo date must be no more than 365 days in the future.");
  } else if (request.ValidTo !== undefined) {
    throw invalid("A validTo date must not be set if the ExpirationModel is KEY_MATERIAL_DOES_NOT_EXPIRE");
  }
  const arn = await resolveKeyArn(ctx, request.KeyId);
  const imported = await settle(
    ctx,
    keyObject(ctx, arn).importKeyMaterial(
      keyCall(ctx, arn),
      {
        importToken: request.ImportToken,
        encryptedKeyMaterial: request.EncryptedKeyMaterial,
        expirationModel,
        validTo,
        ...(request.ImportType === undefined ? {} : { importType: request.ImportType }),
        ...(request.KeyMaterialId === undefined ? {} : { keyMaterialId: request.KeyMaterialId }),
        ...(request.KeyMaterialDescription === undefined ? {} : { description: request.KeyMaterialDescription }),
      },
      audit(ctx),
    ),
  );
  return { KeyId: imported.keyArn, KeyMaterialId: imported.keyMaterialId };
};

export const DeleteImportedKeyMaterial: Handler<"DeleteImportedKeyMaterial"> = async (ctx, request) => {
  const arn = await resolveKeyArn(ctx, request.KeyId);
  const deleted = await settle(ctx, keyObject(ctx, arn).deleteImportedMaterial(keyCall(ctx, arn), request.KeyMaterialId, audit(ctx)));
  return deleted.keyMaterialId === undefined ? { KeyId: deleted.keyArn } : { KeyId: deleted.keyArn, KeyMaterialId: deleted.keyMaterialId };
};
