/**
 * Importing key material as a client does it (the guide's "Importing Key Material", steps 2–4):
 * GetParametersForImport, wrapping with node:crypto's publicEncrypt under the algorithm asked
 * for, ImportKeyMaterial. Shared by the e2e files that import material.
 */
import {
  GetParametersForImportCommand,
  ImportKeyMaterialCommand,
  type AlgorithmSpec,
  type ImportKeyMaterialCommandInput,
  type KMSClient,
} from "@aws-sdk/client-kms";
import { constants, createPublicKey, publicEncrypt } from "node:crypto";

/** `material` wrapped under the DER SubjectPublicKeyInfo `publicKey` with `algorithm`. */
export function wrap(publicKey: Uint8Array, material: Uint8Array, algorithm: AlgorithmSpec): Uint8Array {
  const key = createPublicKey({ key: Buffer.from(publicKey), format: "der", type: "spki" });
  if (algorithm === "RSAES_PKCS1_V1_5") return publicEncrypt({ key, padding: constants.RSA_PKCS1_PADDING }, material);
  const oaepHash = algorithm === "RSAES_OAEP_SHA_1" ? "sha1" : "sha256";
  return publicEncrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash }, material);
}

export async function parameters(kms: KMSClient, keyId: string, algorithm: AlgorithmSpec = "RSAES_OAEP_SHA_256") {
  return kms.send(new GetParametersForImportCommand({ KeyId: keyId, WrappingAlgorithm: algorithm, WrappingKeySpec: "RSA_2048" }));
}

/** GetParametersForImport, wrap, ImportKeyMaterial (not expiring unless validTo is given; `extra` adds to the request). */
export async function importMaterial(
  kms: KMSClient,
  keyId: string,
  material: Uint8Array,
  validTo?: Date,
  algorithm: AlgorithmSpec = "RSAES_OAEP_SHA_256",
  extra: Partial<ImportKeyMaterialCommandInput> = {},
) {
  const p = await parameters(kms, keyId, algorithm);
  return kms.send(
    new ImportKeyMaterialCommand({
      KeyId: keyId,
      ImportToken: p.ImportToken,
      EncryptedKeyMaterial: wrap(p.PublicKey!, material, algorithm),
      ...(validTo ? { ExpirationModel: "KEY_MATERIAL_EXPIRES", ValidTo: validTo } : { ExpirationModel: "KEY_MATERIAL_DOES_NOT_EXPIRE" }),
      ...extra,
    }),
  );
}
