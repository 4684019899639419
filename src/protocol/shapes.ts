/**
 * Request and response types of the TrentService operations EdgeKMS implements, named and shaped
 * after the KMS service model (API 2014-11-01) so that handlers read like the API reference.
 *
 * Conventions: members keep AWS's PascalCase wire names; blobs are `Uint8Array` and timestamps are
 * `Date` on both sides (validate.ts decodes requests, wire.ts encodes responses). Request types
 * are what `parseRequest` returns after validation; response types are what handlers return to
 * `jsonResponse`. Members EdgeKMS does not act on (custom key stores, Nitro enclave recipients,
 * dry runs) are still typed so that handlers can refuse them explicitly.
 */
import type {
  AlgorithmSpec,
  CustomerMasterKeySpec,
  DataKeySpec,
  DataKeyPairSpec,
  DryRunModifierType,
  IncludeKeyMaterial,
  EncapsulationAlgorithmSpec,
  EncryptionAlgorithmSpec,
  ExpirationModelType,
  GrantOperation,
  ImportType,
  KeyAgreementAlgorithmSpec,
  KeyEncryptionMechanism,
  KeyManagerType,
  KeySpec,
  KeyState,
  KeyUsageType,
  MacAlgorithmSpec,
  MessageType,
  MultiRegionKeyType,
  OriginType,
  SigningAlgorithmSpec,
  WrappingKeySpec,
} from "./enums.ts";

export type EncryptionContextType = Record<string, string>;

export interface Tag {
  TagKey: string;
  TagValue: string;
}

export interface RecipientInfo {
  KeyEncryptionAlgorithm?: KeyEncryptionMechanism;
  AttestationDocument?: Uint8Array;
}

export interface GrantConstraints {
  EncryptionContextSubset?: EncryptionContextType;
  EncryptionContextEquals?: EncryptionContextType;
}

export interface MultiRegionKey {
  Arn?: string;
  Region?: string;
}

export interface MultiRegionConfiguration {
  MultiRegionKeyType?: MultiRegionKeyType;
  PrimaryKey?: MultiRegionKey;
  ReplicaKeys?: MultiRegionKey[];
}

export interface KeyMetadata {
  AWSAccountId?: string;
  KeyId: string;
  Arn?: string;
  CreationDate?: Date;
  Enabled?: boolean;
  Description?: string;
  KeyUsage?: KeyUsageType;
  KeyState?: KeyState;
  DeletionDate?: Date;
  ValidTo?: Date;
  Origin?: OriginType;
  CustomKeyStoreId?: string;
  CloudHsmClusterId?: string;
  ExpirationModel?: ExpirationModelType;
  KeyManager?: KeyManagerType;
  CustomerMasterKeySpec?: CustomerMasterKeySpec;
  KeySpec?: KeySpec;
  EncryptionAlgorithms?: EncryptionAlgorithmSpec[];
  SigningAlgorithms?: SigningAlgorithmSpec[];
  KeyAgreementAlgorithms?: KeyAgreementAlgorithmSpec[];
  EncapsulationAlgorithms?: EncapsulationAlgorithmSpec[];
  MultiRegion?: boolean;
  MultiRegionConfiguration?: MultiRegionConfiguration;
  PendingDeletionWindowInDays?: number;
  MacAlgorithms?: MacAlgorithmSpec[];
  CurrentKeyMaterialId?: string;
}

// ---- Keys ------------------------------------------------------------------------------------------

export interface CreateKeyRequest {
  Policy?: string;
  Description?: string;
  KeyUsage?: KeyUsageType;
  CustomerMasterKeySpec?: CustomerMasterKeySpec;
  KeySpec?: KeySpec;
  Origin?: OriginType;
  CustomKeyStoreId?: string;
  BypassPolicyLockoutSafetyCheck?: boolean;
  Tags?: Tag[];
  MultiRegion?: boolean;
  XksKeyId?: string;
}
export interface CreateKeyResponse {
  KeyMetadata: KeyMetadata;
}

export interface DescribeKeyRequest {
  KeyId: string;
  GrantTokens?: string[];
}
export interface DescribeKeyResponse {
  KeyMetadata: KeyMetadata;
}

export interface KeyListEntry {
  KeyId: string;
  KeyArn: string;
}
export interface ListKeysRequest {
  Limit?: number;
  Marker?: string;
}
export interface ListKeysResponse {
  Keys: KeyListEntry[];
  NextMarker?: string;
  Truncated: boolean;
}

export interface EnableKeyRequest {
  KeyId: string;
}
export interface DisableKeyRequest {
  KeyId: string;
}
export interface UpdateKeyDescriptionRequest {
  KeyId: string;
  Description: string;
}

export interface EnableKeyRotationRequest {
  KeyId: string;
  RotationPeriodInDays?: number;
}
export interface DisableKeyRotationRequest {
  KeyId: string;
}
export interface GetKeyRotationStatusRequest {
  KeyId: string;
}
export interface GetKeyRotationStatusResponse {
  KeyRotationEnabled: boolean;
  KeyId?: string;
  RotationPeriodInDays?: number;
  NextRotationDate?: Date;
  OnDemandRotationStartDate?: Date;
}

export interface RotateKeyOnDemandRequest {
  KeyId: string;
}
export interface RotateKeyOnDemandResponse {
  KeyId?: string;
}
export interface ListKeyRotationsRequest {
  KeyId: string;
  IncludeKeyMaterial?: IncludeKeyMaterial;
  Limit?: number;
  Marker?: string;
}

export interface GetKeyLastUsageRequest {
  KeyId: string;
}

export interface ScheduleKeyDeletionRequest {
  KeyId: string;
  PendingWindowInDays?: number;
}
export interface ScheduleKeyDeletionResponse {
  KeyId: string;
  DeletionDate?: Date;
  KeyState?: KeyState;
  PendingWindowInDays?: number;
}
export interface ReplicateKeyRequest {
  KeyId: string;
  ReplicaRegion: string;
  Policy?: string;
  BypassPolicyLockoutSafetyCheck?: boolean;
  Description?: string;
  Tags?: Tag[];
}
export interface UpdatePrimaryRegionRequest {
  KeyId: string;
  PrimaryRegion: string;
}
export interface CancelKeyDeletionRequest {
  KeyId: string;
}
export interface CancelKeyDeletionResponse {
  KeyId: string;
}

// ---- Aliases ---------------------------------------------------------------------------------------

export interface CreateAliasRequest {
  AliasName: string;
  TargetKeyId: string;
}
export interface UpdateAliasRequest {
  AliasName: string;
  TargetKeyId: string;
}
export interface DeleteAliasRequest {
  AliasName: string;
}
export interface AliasListEntry {
  AliasName: string;
  AliasArn: string;
  TargetKeyId?: string;
  CreationDate?: Date;
  LastUpdatedDate?: Date;
}
export interface ListAliasesRequest {
  KeyId?: string;
  Limit?: number;
  Marker?: string;
}
export interface ListAliasesResponse {
  Aliases: AliasListEntry[];
  NextMarker?: string;
  Truncated: boolean;
}

// ---- Cryptographic operations ------------------------------------------------------------------------

export interface EncryptRequest {
  KeyId: string;
  Plaintext: Uint8Array;
  EncryptionContext?: EncryptionContextType;
  GrantTokens?: string[];
  EncryptionAlgorithm?: EncryptionAlgorithmSpec;
  DryRun?: boolean;
}
export interface EncryptResponse {
  CiphertextBlob: Uint8Array;
  KeyId: string;
  EncryptionAlgorithm: EncryptionAlgorithmSpec;
}

export interface DecryptRequest {
  CiphertextBlob: Uint8Array;
  EncryptionContext?: EncryptionContextType;
  GrantTokens?: string[];
  KeyId?: string;
  EncryptionAlgorithm?: EncryptionAlgorithmSpec;
  Recipient?: RecipientInfo;
  DryRun?: boolean;
  DryRunModifiers?: DryRunModifierType[];
}
export interface DecryptResponse {
  KeyId: string;
  Plaintext?: Uint8Array;
  EncryptionAlgorithm: EncryptionAlgorithmSpec;
  CiphertextForRecipient?: Uint8Array;
  KeyMaterialId?: string;
}

export interface ReEncryptRequest {
  CiphertextBlob: Uint8Array;
  SourceEncryptionContext?: EncryptionContextType;
  SourceKeyId?: string;
  DestinationKeyId: string;
  DestinationEncryptionContext?: EncryptionContextType;
  SourceEncryptionAlgorithm?: EncryptionAlgorithmSpec;
  DestinationEncryptionAlgorithm?: EncryptionAlgorithmSpec;
  GrantTokens?: string[];
  DryRun?: boolean;
  DryRunModifiers?: DryRunModifierType[];
}
export interface ReEncryptResponse {
  CiphertextBlob: Uint8Array;
  SourceKeyId: string;
  KeyId: string;
  SourceEncryptionAlgorithm: EncryptionAlgorithmSpec;
  DestinationEncryptionAlgorithm: EncryptionAlgorithmSpec;
  SourceKeyMaterialId?: string;
  DestinationKeyMaterialId?: string;
}

export interface GenerateDataKeyRequest {
  KeyId: string;
  EncryptionContext?: EncryptionContextType;
  NumberOfBytes?: number;
  KeySpec?: DataKeySpec;
  GrantTokens?: string[];
  Recipient?: RecipientInfo;
  DryRun?: boolean;
}
export interface GenerateDataKeyResponse {
  CiphertextBlob: Uint8Array;
  Plaintext?: Uint8Array;
  KeyId: string;
  CiphertextForRecipient?: Uint8Array;
  KeyMaterialId?: string;
}

export interface GenerateDataKeyWithoutPlaintextRequest {
  KeyId: string;
  EncryptionContext?: EncryptionContextType;
  KeySpec?: DataKeySpec;
  NumberOfBytes?: number;
  GrantTokens?: string[];
  DryRun?: boolean;
}
export interface GenerateDataKeyWithoutPlaintextResponse {
  CiphertextBlob: Uint8Array;
  KeyId: string;
  KeyMaterialId?: string;
}

export interface GenerateRandomRequest {
  NumberOfBytes?: number;
  CustomKeyStoreId?: string;
  Recipient?: RecipientInfo;
}
export interface GenerateRandomResponse {
  Plaintext?: Uint8Array;
  CiphertextForRecipient?: Uint8Array;
}

// ---- Asymmetric and HMAC keys -------------------------------------------------------------------

export interface GetPublicKeyRequest {
  KeyId: string;
  GrantTokens?: string[];
}
export interface GetPublicKeyResponse {
  KeyId: string;
  PublicKey: Uint8Array;
  CustomerMasterKeySpec?: CustomerMasterKeySpec;
  KeySpec: KeySpec;
  KeyUsage: KeyUsageType;
  EncryptionAlgorithms?: EncryptionAlgorithmSpec[];
  SigningAlgorithms?: SigningAlgorithmSpec[];
  KeyAgreementAlgorithms?: KeyAgreementAlgorithmSpec[];
  EncapsulationAlgorithms?: EncapsulationAlgorithmSpec[];
}

export interface SignRequest {
  KeyId: string;
  Message: Uint8Array;
  MessageType?: MessageType;
  GrantTokens?: string[];
  SigningAlgorithm: SigningAlgorithmSpec;
  DryRun?: boolean;
}
export interface SignResponse {
  KeyId: string;
  Signature: Uint8Array;
  SigningAlgorithm: SigningAlgorithmSpec;
}

export interface VerifyRequest {
  KeyId: string;
  Message: Uint8Array;
  MessageType?: MessageType;
  Signature: Uint8Array;
  SigningAlgorithm: SigningAlgorithmSpec;
  GrantTokens?: string[];
  DryRun?: boolean;
}
export interface VerifyResponse {
  KeyId: string;
  SignatureValid: boolean;
  SigningAlgorithm: SigningAlgorithmSpec;
}

export interface GenerateMacRequest {
  Message: Uint8Array;
  KeyId: string;
  MacAlgorithm: MacAlgorithmSpec;
  GrantTokens?: string[];
  DryRun?: boolean;
}
export interface GenerateMacResponse {
  Mac: Uint8Array;
  MacAlgorithm: MacAlgorithmSpec;
  KeyId: string;
}

export interface VerifyMacRequest {
  Message: Uint8Array;
  KeyId: string;
  MacAlgorithm: MacAlgorithmSpec;
  Mac: Uint8Array;
  GrantTokens?: string[];
  DryRun?: boolean;
}
export interface VerifyMacResponse {
  KeyId: string;
  MacValid: boolean;
  MacAlgorithm: MacAlgorithmSpec;
}

export interface DeriveSharedSecretRequest {
  KeyId: string;
  KeyAgreementAlgorithm: KeyAgreementAlgorithmSpec;
  PublicKey: Uint8Array;
  GrantTokens?: string[];
  DryRun?: boolean;
  Recipient?: RecipientInfo;
}
export interface DeriveSharedSecretResponse {
  KeyId: string;
  SharedSecret: Uint8Array;
  KeyAgreementAlgorithm: KeyAgreementAlgorithmSpec;
  KeyOrigin: OriginType;
}

export interface GenerateDataKeyPairRequest {
  EncryptionContext?: EncryptionContextType;
  KeyId: string;
  KeyPairSpec: DataKeyPairSpec;
  GrantTokens?: string[];
  Recipient?: RecipientInfo;
  DryRun?: boolean;
}
export interface GenerateDataKeyPairResponse {
  PrivateKeyCiphertextBlob: Uint8Array;
  PrivateKeyPlaintext?: Uint8Array;
  PublicKey: Uint8Array;
  KeyId: string;
  KeyPairSpec: DataKeyPairSpec;
}
export interface GenerateDataKeyPairWithoutPlaintextRequest {
  EncryptionContext?: EncryptionContextType;
  KeyId: string;
  KeyPairSpec: DataKeyPairSpec;
  GrantTokens?: string[];
  DryRun?: boolean;
}
export type GenerateDataKeyPairWithoutPlaintextResponse = Omit<GenerateDataKeyPairResponse, "PrivateKeyPlaintext">;

export interface EncapsulateRequest {
  KeyId: string;
  EncapsulationAlgorithm: EncapsulationAlgorithmSpec;
  GrantTokens?: string[];
  DryRun?: boolean;
}
export interface EncapsulateResponse {
  KeyId: string;
  SharedSecret: Uint8Array;
  SharedSecretCiphertextBlob: Uint8Array;
  EncapsulationAlgorithm: EncapsulationAlgorithmSpec;
}
export interface DecapsulateRequest {
  KeyId: string;
  SharedSecretCiphertextBlob: Uint8Array;
  EncapsulationAlgorithm: EncapsulationAlgorithmSpec;
  GrantTokens?: string[];
  DryRun?: boolean;
}
export interface DecapsulateResponse {
  KeyId: string;
  SharedSecret: Uint8Array;
  EncapsulationAlgorithm: EncapsulationAlgorithmSpec;
}

// ---- Tags ------------------------------------------------------------------------------------------

export interface TagResourceRequest {
  KeyId: string;
  Tags: Tag[];
}
export interface UntagResourceRequest {
  KeyId: string;
  TagKeys: string[];
}
export interface ListResourceTagsRequest {
  KeyId: string;
  Limit?: number;
  Marker?: string;
}
export interface ListResourceTagsResponse {
  Tags: Tag[];
  NextMarker?: string;
  Truncated: boolean;
}

// ---- Key policies ----------------------------------------------------------------------------------

export interface GetKeyPolicyRequest {
  KeyId: string;
  PolicyName?: string;
}
export interface GetKeyPolicyResponse {
  Policy: string;
  PolicyName?: string;
}
export interface PutKeyPolicyRequest {
  KeyId: string;
  PolicyName?: string;
  Policy: string;
  BypassPolicyLockoutSafetyCheck?: boolean;
}
export interface ListKeyPoliciesRequest {
  KeyId: string;
  Limit?: number;
  Marker?: string;
}
export interface ListKeyPoliciesResponse {
  PolicyNames: string[];
  NextMarker?: string;
  Truncated: boolean;
}

// ---- Grants ----------------------------------------------------------------------------------------

export interface CreateGrantRequest {
  KeyId: string;
  GranteePrincipal: string;
  RetiringPrincipal?: string;
  Operations: GrantOperation[];
  Constraints?: GrantConstraints;
  GrantTokens?: string[];
  Name?: string;
  DryRun?: boolean;
}
export interface CreateGrantResponse {
  GrantToken: string;
  GrantId: string;
}
export interface GrantListEntry {
  KeyId: string;
  GrantId: string;
  Name?: string;
  CreationDate: Date;
  GranteePrincipal: string;
  RetiringPrincipal?: string;
  IssuingAccount: string;
  Operations: GrantOperation[];
  Constraints?: GrantConstraints;
}
export interface ListGrantsRequest {
  Limit?: number;
  Marker?: string;
  KeyId: string;
  GrantId?: string;
  GranteePrincipal?: string;
}
export interface ListRetirableGrantsRequest {
  Limit?: number;
  Marker?: string;
  RetiringPrincipal: string;
}
export interface ListGrantsResponse {
  Grants: GrantListEntry[];
  NextMarker?: string;
  Truncated: boolean;
}
export interface RetireGrantRequest {
  GrantToken?: string;
  KeyId?: string;
  GrantId?: string;
  DryRun?: boolean;
}
export interface RevokeGrantRequest {
  KeyId: string;
  GrantId: string;
  DryRun?: boolean;
}

// ---- Imported key material -------------------------------------------------------------------------

export interface GetParametersForImportRequest {
  KeyId: string;
  WrappingAlgorithm: AlgorithmSpec;
  WrappingKeySpec: WrappingKeySpec;
}
export interface GetParametersForImportResponse {
  KeyId: string;
  ImportToken: Uint8Array;
  PublicKey: Uint8Array;
  ParametersValidTo: Date;
}
export interface ImportKeyMaterialRequest {
  KeyId: string;
  ImportToken: Uint8Array;
  EncryptedKeyMaterial: Uint8Array;
  ValidTo?: Date;
  ExpirationModel?: ExpirationModelType;
  ImportType?: ImportType;
  KeyMaterialDescription?: string;
  KeyMaterialId?: string;
}
export interface ImportKeyMaterialResponse {
  KeyId?: string;
  KeyMaterialId?: string;
}
export interface DeleteImportedKeyMaterialRequest {
  KeyId: string;
  KeyMaterialId?: string;
}
export interface DeleteImportedKeyMaterialResponse {
  KeyId?: string;
  KeyMaterialId?: string;
}

/** Operations with no response members answer `{}`. */
export type EmptyResponse = Record<string, never>;

/** The request type of each operation `parseRequest` validates. */
export interface RequestShapes {
  CreateKey: CreateKeyRequest;
  DescribeKey: DescribeKeyRequest;
  ListKeys: ListKeysRequest;
  EnableKey: EnableKeyRequest;
  DisableKey: DisableKeyRequest;
  UpdateKeyDescription: UpdateKeyDescriptionRequest;
  EnableKeyRotation: EnableKeyRotationRequest;
  DisableKeyRotation: DisableKeyRotationRequest;
  GetKeyRotationStatus: GetKeyRotationStatusRequest;
  RotateKeyOnDemand: RotateKeyOnDemandRequest;
  ListKeyRotations: ListKeyRotationsRequest;
  GetKeyLastUsage: GetKeyLastUsageRequest;
  ScheduleKeyDeletion: ScheduleKeyDeletionRequest;
  CancelKeyDeletion: CancelKeyDeletionRequest;
  ReplicateKey: ReplicateKeyRequest;
  UpdatePrimaryRegion: UpdatePrimaryRegionRequest;
  CreateAlias: CreateAliasRequest;
  UpdateAlias: UpdateAliasRequest;
  DeleteAlias: DeleteAliasRequest;
  ListAliases: ListAliasesRequest;
  Encrypt: EncryptRequest;
  Decrypt: DecryptRequest;
  ReEncrypt: ReEncryptRequest;
  GenerateDataKey: GenerateDataKeyRequest;
  GenerateDataKeyWithoutPlaintext: GenerateDataKeyWithoutPlaintextRequest;
  GenerateRandom: GenerateRandomRequest;
  TagResource: TagResourceRequest;
  UntagResource: UntagResourceRequest;
  ListResourceTags: ListResourceTagsRequest;
  GetKeyPolicy: GetKeyPolicyRequest;
  PutKeyPolicy: PutKeyPolicyRequest;
  ListKeyPolicies: ListKeyPoliciesRequest;
  CreateGrant: CreateGrantRequest;
  ListGrants: ListGrantsRequest;
  ListRetirableGrants: ListRetirableGrantsRequest;
  RetireGrant: RetireGrantRequest;
  RevokeGrant: RevokeGrantRequest;
  GetParametersForImport: GetParametersForImportRequest;
  ImportKeyMaterial: ImportKeyMaterialRequest;
  DeleteImportedKeyMaterial: DeleteImportedKeyMaterialRequest;
  GetPublicKey: GetPublicKeyRequest;
  Sign: SignRequest;
  Verify: VerifyRequest;
  GenerateMac: GenerateMacRequest;
  VerifyMac: VerifyMacRequest;
  DeriveSharedSecret: DeriveSharedSecretRequest;
  GenerateDataKeyPair: GenerateDataKeyPairRequest;
  GenerateDataKeyPairWithoutPlaintext: GenerateDataKeyPairWithoutPlaintextRequest;
  Encapsulate: EncapsulateRequest;
  Decapsulate: DecapsulateRequest;
}

export type ValidatedOperation = keyof RequestShapes;
