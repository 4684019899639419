/**
 * What each KeySpec is for: the key usages CreateKey accepts with it, and the algorithms each usage
 * offers (DescribeKey, GetPublicKey, and the "is this algorithm valid for this key" checks of every
 * cryptographic operation). One table, so the metadata a client reads and the checks it meets
 * cannot disagree.
 *
 * Spec: the KMS Developer Guide's "Key spec reference" (symmetric, RSA, elliptic curve, HMAC,
 * ML-DSA and ML-KEM key specs) and the CreateKey/Sign/Encrypt documentation in
 * @aws-sdk/client-kms. SM2 (China Regions only) is not offered. Limits: RSAES-OAEP plaintext of
 * at most k − 2·hLen − 2 bytes (RFC 8017 §7.1.1), and a DIGEST message must be exactly the
 * algorithm's digest length.
 */
import type {
  CustomerMasterKeySpec,
  EncryptionAlgorithmSpec,
  KeySpec,
  KeyUsageType,
  MacAlgorithmSpec,
  SigningAlgorithmSpec,
} from "../protocol/enums.ts";
import { CUSTOMER_MASTER_KEY_SPECS } from "../protocol/enums.ts";

export type SupportedKeySpec = Exclude<KeySpec, "SM2">;
export type KeyAgreementAlgorithm = "ECDH";
export type EncapsulationAlgorithm = "ML_KEM";

/** The algorithms one key offers (only the lists that apply to its usage are present). */
export interface KeyAlgorithms {
  EncryptionAlgorithms?: EncryptionAlgorithmSpec[];
  SigningAlgorithms?: SigningAlgorithmSpec[];
  MacAlgorithms?: MacAlgorithmSpec[];
  KeyAgreementAlgorithms?: KeyAgreementAlgorithm[];
  EncapsulationAlgorithms?: EncapsulationAlgorithm[];
}

const RSA_SIGNING: SigningAlgorithmSpec[] = [
  "RSASSA_PKCS1_V1_5_SHA_256",
  "RSASSA_PKCS1_V1_5_SHA_384",
  "RSASSA_PKCS1_V1_5_SHA_512",
  "RSASSA_PSS_SHA_256",
  "RSASSA_PSS_SHA_384",
  "RSASSA_PSS_SHA_512",
];
const RSA_ENCRYPTION: EncryptionAlgorithmSpec[] = ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"];

type UsageTable = Partial<Record<KeyUsageType, KeyAlgorithms>>;

const rsa: UsageTable = { ENCRYPT_DECRYPT: { EncryptionAlgorithms: RSA_ENCRYPTION }, SIGN_VERIFY: { SigningAlgorithms: RSA_SIGNING } };
const nist = (signing: SigningAlgorithmSpec): UsageTable => ({
  SIGN_VERIFY: { SigningAlgorithms: [signing] },
  KEY_AGREEMENT: { KeyAgreementAlgorithms: ["ECDH"] },
});
const mac = (algorithm: MacAlgorithmSpec): UsageTable => ({ GENERATE_VERIFY_MAC: { MacAlgorithms: [algorithm] } });
const mlDsa: UsageTable = { SIGN_VERIFY: { SigningAlgorithms: ["ML_DSA_SHAKE_256"] } };
const mlKem: UsageTable = { ENCAPSULATE_DECAPSULATE: { EncapsulationAlgorithms: ["ML_KEM"] } };

/** Usages per key spec; the first is never a default (CreateKey requires KeyUsage for these specs). */
export const KEY_SPEC_USAGES: Readonly<Record<SupportedKeySpec, UsageTable>> = {
  SYMMETRIC_DEFAULT: { ENCRYPT_DECRYPT: { EncryptionAlgorithms: ["SYMMETRIC_DEFAULT"] } },
  RSA_2048: rsa,
  RSA_3072: rsa,
  RSA_4096: rsa,
  ECC_NIST_P256: nist("ECDSA_SHA_256"),
  ECC_NIST_P384: nist("ECDSA_SHA_384"),
  ECC_NIST_P521: nist("ECDSA_SHA_512"),
  ECC_SECG_P256K1: { SIGN_VERIFY: { SigningAlgorithms: ["ECDSA_SHA_256"] } },
  ECC_NIST_EDWARDS25519: { SIGN_VERIFY: { SigningAlgorithms: ["ED25519_SHA_512", "ED25519_PH_SHA_512"] } },
  HMAC_224: mac("HMAC_SHA_224"),
  HMAC_256: mac("HMAC_SHA_256"),
  HMAC_384: mac("HMAC_SHA_384"),
  HMAC_512: mac("HMAC_SHA_512"),
  ML_DSA_44: mlDsa,
  ML_DSA_65: mlDsa,
  ML_DSA_87: mlDsa,
  ML_KEM_512: mlKem,
  ML_KEM_768: mlKem,
  ML_KEM_1024: mlKem,
};

export function isSupportedKeySpec(spec: string): spec is SupportedKeySpec {
  return Object.hasOwn(KEY_SPEC_USAGES, spec);
}

export function isHmacSpec(spec: string): boolean {
  return spec.startsWith("HMAC_");
}

/** Asymmetric: a key pair, with a public key that GetPublicKey returns. */
export function isAsymmetricSpec(spec: string): boolean {
  return spec !== "SYMMETRIC_DEFAULT" && !isHmacSpec(spec);
}

/** The algorithms a key of `spec` and `usage` offers; empty for a combination that is not valid. */
export function algorithmsOf(spec: string, usage: string): KeyAlgorithms {
  if (!isSupportedKeySpec(spec)) return {};
  return KEY_SPEC_USAGES[spec][usage as KeyUsageType] ?? {};
}

/** The deprecated CustomerMasterKeySpec twin, for the specs that had one. */
export function customerMasterKeySpecOf(spec: string): CustomerMasterKeySpec | undefined {
  return (CUSTOMER_MASTER_KEY_SPECS as readonly string[]).includes(spec) ? (spec as CustomerMasterKeySpec) : undefined;
}

/** RSA modulus size in bits, for the RSA specs. */
export function rsaModulusBits(spec: string): number | undefined {
  return { RSA_2048: 2048, RSA_3072: 3072, RSA_4096: 4096 }[spec];
}

/** The digest (and signing-hash) length of each signing algorithm, for MessageType DIGEST. */
export const DIGEST_LENGTH: Readonly<Partial<Record<SigningAlgorithmSpec, number>>> = {
  RSASSA_PSS_SHA_256: 32,
  RSASSA_PSS_SHA_384: 48,
  RSASSA_PSS_SHA_512: 64,
  RSASSA_PKCS1_V1_5_SHA_256: 32,
  RSASSA_PKCS1_V1_5_SHA_384: 48,
  RSASSA_PKCS1_V1_5_SHA_512: 64,
  ECDSA_SHA_256: 32,
  ECDSA_SHA_384: 48,
  ECDSA_SHA_512: 64,
  ED25519_PH_SHA_512: 64,
};

/** The largest plaintext RSAES-OAEP takes with this key (RFC 8017 §7.1.1: k − 2·hLen − 2). */
export function oaepPlaintextLimit(spec: string, algorithm: "RSAES_OAEP_SHA_1" | "RSAES_OAEP_SHA_256"): number {
  const k = (rsaModulusBits(spec) ?? 0) / 8;
  const hLen = algorithm === "RSAES_OAEP_SHA_1" ? 20 : 32;
  return k - 2 * hLen - 2;
}

/** HMAC key length in bytes (AWS: the key is as long as the hash output). */
export function hmacKeyLength(spec: string): number {
  return { HMAC_224: 28, HMAC_256: 32, HMAC_384: 48, HMAC_512: 64 }[spec] ?? 0;
}

/**
 * Whether imported key material of `length` bytes fits a key of `spec`: 32 bytes for
 * SYMMETRIC_DEFAULT; for HMAC keys AWS's ranges (HMAC_224 28–64, HMAC_256 32–64, HMAC_384 48–128,
 * HMAC_512 64–128 bytes). No other spec takes imported material in EdgeKMS.
 */
export function importedMaterialFits(spec: string, length: number): boolean {
  const range = (
    { SYMMETRIC_DEFAULT: [32, 32], HMAC_224: [28, 64], HMAC_256: [32, 64], HMAC_384: [48, 128], HMAC_512: [64, 128] } as Record<
      string,
      [number, number]
    >
  )[spec];
  return range !== undefined && length >= range[0] && length <= range[1];
}
