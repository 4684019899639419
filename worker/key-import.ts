/**
 * Imported key material for one key object (the guide's "Importing Key Material"):
 * GetParametersForImport, ImportKeyMaterial, DeleteImportedKeyMaterial and the removal of material
 * at its expiry. RSA unwrapping and the import token are runtime-neutral, in src/keys/.
 *
 * Security: a wrapping private key is stored only sealed under the root key and answers at most one
 * decryption (its token is spent first, whatever the outcome), so it cannot serve as an oracle.
 * Imported material is kept only as a sealed backing key and a keyed fingerprint.
 */
import { KmsError } from "../src/protocol/errors.ts";
import { sealBackingKey, wipe } from "../src/keys/backing-key.ts";
import {
  issueImportToken,
  materialFingerprint,
  newTokenId,
  openImportToken,
  publicKeyHash,
  sealWrappingKey,
  unsealWrappingKey,
  type ImportTokenClaims,
} from "../src/keys/import-token.ts";
import { generateWrappingKeyPair, unwrapKeyMaterial, type WrappingAlgorithm } from "../src/keys/import-wrapping.ts";
import { bytesEqual } from "../src/bytes.ts";
import type { KeyCall } from "./caller.ts";
import { externalOnly, type ExpirationModel, type KeyRecord, type KeyStore } from "./key-store.ts";

/** GetParametersForImport's result. */
export interface ImportParameters {
  keyArn: string;
  publicKey: Uint8Array;
  importToken: Uint8Array;
  parametersValidTo: Date;
}

/** ImportKeyMaterial's input, checked by the handler (ExpirationModel and ValidTo consistent). */
export interface NewKeyMaterial {
  importToken: Uint8Array;
  encryptedKeyMaterial: Uint8Array;
  expirationModel: ExpirationModel;
  validTo?: number;
}

function invalidImportToken(): KmsError {
  return new KmsError("InvalidImportTokenException", "The import token is invalid for this KMS key.");
}

/**
 * A fresh RSA-2048 wrapping key pair and an import token bound to this key, the pair and the
 * algorithm; the private key is kept sealed under the root key until it is used or expires.
 */
export async function getParametersForImport(store: KeyStore, call: KeyCall, algorithm: WrappingAlgorithm): Promise<ImportParameters> {
  externalOnly(store.guard(call, "GetParametersForImport", "kms:GetParametersForImport"));
  const pair = await generateWrappingKeyPair();
  try {
    // Key generation let other calls run: check the key again before storing anything.
    const record = externalOnly(store.guard(call, "GetParametersForImport", "kms:GetParametersForImport"));
    const rootKey = store.rootKey();
    const claims: ImportTokenClaims = {
      tokenId: newTokenId(),
      validTo: Date.now() + store.settings.importParametersValidMs,
      algorithm,
      publicKeyHash: publicKeyHash(pair.publicKey),
    };
    store.putPendingImport(claims.tokenId, { ...claims, ...sealWrappingKey(rootKey, record.arn, claims.tokenId, pair.privateKey) });
    await store.scheduleAlarm();
    return {
      keyArn: record.arn,
      publicKey: pair.publicKey,
      importToken: issueImportToken(rootKey, record.arn, claims),
      parametersValidTo: new Date(claims.validTo),
    };
  } finally {
    wipe(pair.privateKey);
  }
}

/**
 * Unwraps and installs imported material as backing-key version 1. The token is checked in AWS's
 * order (authentic and for this key, then not expired, then not used) and spent before its
 * private key decrypts anything.
 */
export async function importKeyMaterial(store: KeyStore, call: KeyCall, input: NewKeyMaterial): Promise<void> {
  const before = externalOnly(store.guard(call, "ImportKeyMaterial", "kms:ImportKeyMaterial"));
  const rootKey = store.rootKey();
  const claims = openImportToken(rootKey, before.arn, input.importToken);
  if (claims === undefined) throw invalidImportToken();
  if (claims.validTo <= Date.now()) {
    throw new KmsError(
      "ExpiredImportTokenException",
      "The import token is expired. Use GetParametersForImport to get a new import token and public key.",
    );
  }
  const pending = store.pendingImport(claims.tokenId);
  if (pending === undefined || pending.algorithm !== claims.algorithm || !bytesEqual(pending.publicKeyHash, claims.publicKeyHash)) {
    throw invalidImportToken();
  }
  store.deletePendingImport(claims.tokenId);
  const privateKey = unsealWrappingKey(rootKey, before.arn, claims.tokenId, pending);
  let material: Uint8Array | undefined;
  try {
    material = await unwrapKeyMaterial(claims.algorithm, privateKey, input.encryptedKeyMaterial);
  } finally {
    wipe(privateKey);
  }
  try {
    // Unwrapping let other calls run: the key may have been scheduled for deletion meanwhile.
    const record = externalOnly(store.guard(call, "ImportKeyMaterial", "kms:ImportKeyMaterial"));
    // Undefined: OAEP failed, or a PKCS #1 v1.5 blob was malformed or badly padded (import-wrapping.ts).
    if (material === undefined || material.length !== 32) {
      throw new KmsError("InvalidCiphertextException", "KMS could not decrypt the encrypted (wrapped) key material.");
    }
    const fingerprint = materialFingerprint(rootKey, record.arn, material);
    if (record.materialFingerprint !== undefined && !bytesEqual(record.materialFingerprint, fingerprint)) {
      throw new KmsError(
        "IncorrectKeyMaterialException",
        "The key material is not the same key material that was previously imported into this KMS key.",
      );
    }
    const sealed = sealBackingKey(rootKey, record.arn, 1, material, Date.now());
    store.transaction(() => {
      store.putVersion(1, sealed);
      store.update(record, {
        currentVersion: 1,
        keyState: record.keyState === "PendingImport" ? "Enabled" : record.keyState,
        expirationModel: input.expirationModel,
        validTo: input.expirationModel === "KEY_MATERIAL_EXPIRES" ? input.validTo : undefined,
        materialFingerprint: fingerprint,
      });
    });
  } finally {
    if (material !== undefined) wipe(material);
  }
  await store.scheduleAlarm();
}

/** Deletes the material now (as its expiry would); the key stays, PendingImport. */
export async function deleteImportedMaterial(store: KeyStore, call: KeyCall): Promise<void> {
  removeMaterial(store, externalOnly(store.guard(call, "DeleteImportedKeyMaterial", "kms:DeleteImportedKeyMaterial")));
  await store.scheduleAlarm();
}

/**
 * Wipes every backing key and the expiration; the key goes to PendingImport unless it is pending
 * deletion (then CancelKeyDeletion will find it without material and return it to PendingImport).
 */
export function removeMaterial(store: KeyStore, record: KeyRecord): void {
  store.transaction(() => {
    store.deleteVersions();
    store.update(record, {
      currentVersion: 0,
      keyState: record.keyState === "PendingDeletion" ? "PendingDeletion" : "PendingImport",
      expirationModel: undefined,
      validTo: undefined,
    });
  });
}
