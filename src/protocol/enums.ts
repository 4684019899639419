/**
 * The enumerations of the KMS service model, each in the model's declaration order — the order in
 * which AWS lists them in "Member must satisfy enum value set: [...]" messages (the SDK's own
 * enums are sorted alphabetically, so they cannot be used for the messages). Newer values that AWS
 * appended to an enum are at the end, as in the model.
 */

export const KEY_USAGE_TYPES = [
  "SIGN_VERIFY",
  "ENCRYPT_DECRYPT",
  "GENERATE_VERIFY_MAC",
  "KEY_AGREEMENT",
  "ENCAPSULATE_DECAPSULATE",
] as const;
export type KeyUsageType = (typeof KEY_USAGE_TYPES)[number];

export const ORIGIN_TYPES = ["AWS_KMS", "EXTERNAL", "AWS_CLOUDHSM", "EXTERNAL_KEY_STORE"] as const;
export type OriginType = (typeof ORIGIN_TYPES)[number];

export const KEY_SPECS = [
  "RSA_2048",
  "RSA_3072",
  "RSA_4096",
  "ECC_NIST_P256",
  "ECC_NIST_P384",
  "ECC_NIST_P521",
  "ECC_SECG_P256K1",
  "SYMMETRIC_DEFAULT",
  "HMAC_224",
  "HMAC_256",
  "HMAC_384",
  "HMAC_512",
  "SM2",
  "ML_DSA_44",
  "ML_DSA_65",
  "ML_DSA_87",
  "ECC_NIST_EDWARDS25519",
  "ML_KEM_512",
  "ML_KEM_768",
  "ML_KEM_1024",
] as const;
export type KeySpec = (typeof KEY_SPECS)[number];

/** Deprecated twin of KeySpec; frozen when AWS renamed it, so it lacks the newer specs. */
export const CUSTOMER_MASTER_KEY_SPECS = [
  "RSA_2048",
  "RSA_3072",
  "RSA_4096",
  "ECC_NIST_P256",
  "ECC_NIST_P384",
  "ECC_NIST_P521",
  "ECC_SECG_P256K1",
  "SYMMETRIC_DEFAULT",
  "HMAC_224",
  "HMAC_256",
  "HMAC_384",
  "HMAC_512",
  "SM2",
] as const;
export type CustomerMasterKeySpec = (typeof CUSTOMER_MASTER_KEY_SPECS)[number];

export const ENCRYPTION_ALGORITHM_SPECS = ["SYMMETRIC_DEFAULT", "RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256", "SM2PKE"] as const;
export type EncryptionAlgorithmSpec = (typeof ENCRYPTION_ALGORITHM_SPECS)[number];

export const SIGNING_ALGORITHM_SPECS = [
  "RSASSA_PSS_SHA_256",
  "RSASSA_PSS_SHA_384",
  "RSASSA_PSS_SHA_512",
  "RSASSA_PKCS1_V1_5_SHA_256",
  "RSASSA_PKCS1_V1_5_SHA_384",
  "RSASSA_PKCS1_V1_5_SHA_512",
  "ECDSA_SHA_256",
  "ECDSA_SHA_384",
  "ECDSA_SHA_512",
  "SM2DSA",
  "ML_DSA_SHAKE_256",
  "ED25519_SHA_512",
  "ED25519_PH_SHA_512",
] as const;
export type SigningAlgorithmSpec = (typeof SIGNING_ALGORITHM_SPECS)[number];

export const MAC_ALGORITHM_SPECS = ["HMAC_SHA_224", "HMAC_SHA_256", "HMAC_SHA_384", "HMAC_SHA_512"] as const;
export type MacAlgorithmSpec = (typeof MAC_ALGORITHM_SPECS)[number];

/** Key pair specs of GenerateDataKeyPair (the model's order; SM2 is China Regions only). */
export const DATA_KEY_PAIR_SPECS = [
  "RSA_2048",
  "RSA_3072",
  "RSA_4096",
  "ECC_NIST_P256",
  "ECC_NIST_P384",
  "ECC_NIST_P521",
  "ECC_SECG_P256K1",
  "SM2",
  "ECC_NIST_EDWARDS25519",
  "ML_KEM_512",
  "ML_KEM_768",
  "ML_KEM_1024",
] as const;
export type DataKeyPairSpec = (typeof DATA_KEY_PAIR_SPECS)[number];

export const MESSAGE_TYPES = ["RAW", "DIGEST", "EXTERNAL_MU"] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

export const KEY_AGREEMENT_ALGORITHM_SPECS = ["ECDH"] as const;

export const ENCAPSULATION_ALGORITHM_SPECS = ["ML_KEM"] as const;
export type EncapsulationAlgorithmSpec = (typeof ENCAPSULATION_ALGORITHM_SPECS)[number];

export const DATA_KEY_SPECS = ["AES_256", "AES_128"] as const;
export type DataKeySpec = (typeof DATA_KEY_SPECS)[number];

export const GRANT_OPERATIONS = [
  "Decrypt",
  "Encrypt",
  "GenerateDataKey",
  "GenerateDataKeyWithoutPlaintext",
  "ReEncryptFrom",
  "ReEncryptTo",
  "Sign",
  "Verify",
  "GetPublicKey",
  "CreateGrant",
  "RetireGrant",
  "DescribeKey",
  "GenerateDataKeyPair",
  "GenerateDataKeyPairWithoutPlaintext",
  "GenerateMac",
  "VerifyMac",
  "DeriveSharedSecret",
  "Decapsulate",
  "Encapsulate",
] as const;
export type GrantOperation = (typeof GRANT_OPERATIONS)[number];

export const WRAPPING_KEY_SPECS = ["RSA_2048", "RSA_3072", "RSA_4096", "SM2"] as const;
export type WrappingKeySpec = (typeof WRAPPING_KEY_SPECS)[number];

export const ALGORITHM_SPECS = [
  "RSAES_PKCS1_V1_5",
  "RSAES_OAEP_SHA_1",
  "RSAES_OAEP_SHA_256",
  "RSA_AES_KEY_WRAP_SHA_1",
  "RSA_AES_KEY_WRAP_SHA_256",
  "SM2PKE",
] as const;
export type AlgorithmSpec = (typeof ALGORITHM_SPECS)[number];

export const EXPIRATION_MODEL_TYPES = ["KEY_MATERIAL_EXPIRES", "KEY_MATERIAL_DOES_NOT_EXPIRE"] as const;
export type ExpirationModelType = (typeof EXPIRATION_MODEL_TYPES)[number];

export const IMPORT_TYPES = ["NEW_KEY_MATERIAL", "EXISTING_KEY_MATERIAL"] as const;
export type ImportType = (typeof IMPORT_TYPES)[number];

export const KEY_ENCRYPTION_MECHANISMS = ["RSAES_OAEP_SHA_256"] as const;
export type KeyEncryptionMechanism = (typeof KEY_ENCRYPTION_MECHANISMS)[number];

/** The operations GetKeyLastUsage tracks (KeyLastUsageTrackingOperation). */
export const KEY_LAST_USAGE_TRACKING_OPERATIONS = [
  "Decapsulate",
  "Decrypt",
  "DeriveSharedSecret",
  "Encapsulate",
  "Encrypt",
  "GenerateDataKey",
  "GenerateDataKeyPair",
  "GenerateDataKeyPairWithoutPlaintext",
  "GenerateDataKeyWithoutPlaintext",
  "GenerateMac",
  "ReEncrypt",
  "Sign",
  "Verify",
  "VerifyMac",
] as const;

/** ListKeyRotations' IncludeKeyMaterial. */
export const INCLUDE_KEY_MATERIAL = ["ALL_KEY_MATERIAL", "ROTATIONS_ONLY"] as const;
export type IncludeKeyMaterial = (typeof INCLUDE_KEY_MATERIAL)[number];

export const DRY_RUN_MODIFIER_TYPES = ["IGNORE_CIPHERTEXT"] as const;
export type DryRunModifierType = (typeof DRY_RUN_MODIFIER_TYPES)[number];

/** Response-only enumerations (never validated, so their order does not matter). */
export type KeyState =
  | "Creating"
  | "Enabled"
  | "Disabled"
  | "PendingDeletion"
  | "PendingImport"
  | "PendingReplicaDeletion"
  | "Unavailable"
  | "Updating";
export type KeyManagerType = "AWS" | "CUSTOMER";
export type MultiRegionKeyType = "PRIMARY" | "REPLICA";
export type KeyAgreementAlgorithmSpec = "ECDH";
export type RotationType = "AUTOMATIC" | "ON_DEMAND";
