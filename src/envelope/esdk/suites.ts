/**
 * The AWS Encryption SDK's algorithm suites for AWS KMS data keys
 * (aws-encryption-sdk-specification, framework/algorithm-suites.md), and its commitment policies
 * (client-apis/client.md). Every suite uses AES-GCM with 12-byte IVs and 16-byte tags; they differ
 * in data-key length, key derivation, key commitment and signature:
 *
 *   ID      message  AES   KDF                    commitment        signature
 *   0x0014  v1       128   none (data key as is)  —                 —
 *   0x0046  v1       192   none                   —                 —
 *   0x0078  v1       256   none                   —                 —
 *   0x0114  v1       128   HKDF-SHA256            —                 —
 *   0x0146  v1       192   HKDF-SHA256            —                 —
 *   0x0178  v1       256   HKDF-SHA256            —                 —
 *   0x0214  v1       128   HKDF-SHA256            —                 ECDSA P-256, SHA-256
 *   0x0346  v1       192   HKDF-SHA384            —                 ECDSA P-384, SHA-384
 *   0x0378  v1       256   HKDF-SHA384            —                 ECDSA P-384, SHA-384
 *   0x0478  v2       256   HKDF-SHA512            HKDF-SHA512, 32B  —
 *   0x0578  v2       256   HKDF-SHA512            HKDF-SHA512, 32B  ECDSA P-384, SHA-384
 *
 * EdgeKMS writes the two committing suites (0x0478 by default) and reads all of them, subject to
 * the commitment policy. The non-committing suites are deprecated by AWS: a message under them can
 * be opened with another data key than the one its writer used (no key commitment).
 */

export type KdfHash = "none" | "SHA-256" | "SHA-384" | "SHA-512";

export interface AlgorithmSuite {
  readonly id: number;
  readonly name: string;
  /** Message format version the suite is written in. */
  readonly messageVersion: 1 | 2;
  /** AES key length in bytes, which is also the data key length. */
  readonly keyLength: 16 | 24 | 32;
  readonly kdf: KdfHash;
  readonly committing: boolean;
  readonly signature: { curve: "P-256" | "P-384"; hash: "SHA-256" | "SHA-384"; publicKeyLength: number } | undefined;
}

const P256 = { curve: "P-256", hash: "SHA-256", publicKeyLength: 33 } as const;
const P384 = { curve: "P-384", hash: "SHA-384", publicKeyLength: 49 } as const;

function suite(
  id: number,
  name: string,
  messageVersion: 1 | 2,
  keyLength: 16 | 24 | 32,
  kdf: KdfHash,
  signature?: AlgorithmSuite["signature"],
): AlgorithmSuite {
  return Object.freeze({ id, name, messageVersion, keyLength, kdf, committing: messageVersion === 2, signature });
}

/** Every suite, by the name the AWS Encryption SDKs give it. */
export const ALGORITHM_SUITES = {
  ALG_AES128_GCM_IV12_TAG16: suite(0x0014, "ALG_AES128_GCM_IV12_TAG16", 1, 16, "none"),
  ALG_AES192_GCM_IV12_TAG16: suite(0x0046, "ALG_AES192_GCM_IV12_TAG16", 1, 24, "none"),
  ALG_AES256_GCM_IV12_TAG16: suite(0x0078, "ALG_AES256_GCM_IV12_TAG16", 1, 32, "none"),
  ALG_AES128_GCM_IV12_TAG16_HKDF_SHA256: suite(0x0114, "ALG_AES128_GCM_IV12_TAG16_HKDF_SHA256", 1, 16, "SHA-256"),
  ALG_AES192_GCM_IV12_TAG16_HKDF_SHA256: suite(0x0146, "ALG_AES192_GCM_IV12_TAG16_HKDF_SHA256", 1, 24, "SHA-256"),
  ALG_AES256_GCM_IV12_TAG16_HKDF_SHA256: suite(0x0178, "ALG_AES256_GCM_IV12_TAG16_HKDF_SHA256", 1, 32, "SHA-256"),
  ALG_AES128_GCM_IV12_TAG16_HKDF_SHA256_ECDSA_P256: suite(
    0x0214,
    "ALG_AES128_GCM_IV12_TAG16_HKDF_SHA256_ECDSA_P256",
    1,
    16,
    "SHA-256",
    P256,
  ),
  ALG_AES192_GCM_IV12_TAG16_HKDF_SHA384_ECDSA_P384: suite(
    0x0346,
    "ALG_AES192_GCM_IV12_TAG16_HKDF_SHA384_ECDSA_P384",
    1,
    24,
    "SHA-384",
    P384,
  ),
  ALG_AES256_GCM_IV12_TAG16_HKDF_SHA384_ECDSA_P384: suite(
    0x0378,
    "ALG_AES256_GCM_IV12_TAG16_HKDF_SHA384_ECDSA_P384",
    1,
    32,
    "SHA-384",
    P384,
  ),
  ALG_AES256_GCM_HKDF_SHA512_COMMIT_KEY: suite(0x0478, "ALG_AES256_GCM_HKDF_SHA512_COMMIT_KEY", 2, 32, "SHA-512"),
  ALG_AES256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384: suite(
    0x0578,
    "ALG_AES256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384",
    2,
    32,
    "SHA-512",
    P384,
  ),
} as const;

export type AlgorithmSuiteName = keyof typeof ALGORITHM_SUITES;

/** The suites EdgeKMS writes. */
export const WRITABLE_SUITES: readonly AlgorithmSuiteName[] = [
  "ALG_AES256_GCM_HKDF_SHA512_COMMIT_KEY",
  "ALG_AES256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384",
];

export const DEFAULT_SUITE: AlgorithmSuiteName = "ALG_AES256_GCM_HKDF_SHA512_COMMIT_KEY";

const BY_ID = new Map<number, AlgorithmSuite>(Object.values(ALGORITHM_SUITES).map((s) => [s.id, s]));

/** The suite with this ID, or undefined for an ID no AWS Encryption SDK defines for KMS keys. */
export function suiteById(id: number): AlgorithmSuite | undefined {
  return BY_ID.get(id);
}

/**
 * The Encryption SDK's commitment policies. REQUIRE_ENCRYPT_REQUIRE_DECRYPT (the default) writes
 * and reads only committing suites; REQUIRE_ENCRYPT_ALLOW_DECRYPT also reads the older ones.
 * FORBID_ENCRYPT_ALLOW_DECRYPT (which would write non-committing messages for readers older
 * than SDK 1.7/2.0) is not offered: EdgeKMS never writes a non-committing message.
 */
export type CommitmentPolicy = "REQUIRE_ENCRYPT_REQUIRE_DECRYPT" | "REQUIRE_ENCRYPT_ALLOW_DECRYPT";

export const DEFAULT_COMMITMENT_POLICY: CommitmentPolicy = "REQUIRE_ENCRYPT_REQUIRE_DECRYPT";

/** The key under which a signed message's encryption context carries the ECDSA public key. */
export const PUBLIC_KEY_CONTEXT_KEY = "aws-crypto-public-key";
