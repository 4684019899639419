/**
 * The operation registry: every TrentService operation EdgeKMS implements, by name. A known
 * operation missing here is answered UnsupportedOperationException by the app, never a fake success.
 */
import type { ValidatedOperation } from "../protocol/shapes.ts";
import type { Handler } from "./context.ts";
import * as aliases from "./aliases.ts";
import * as asymmetric from "./asymmetric.ts";
import * as crypto from "./crypto.ts";
import * as grants from "./grants.ts";
import * as importing from "./import.ts";
import * as keys from "./keys.ts";
import * as lifecycle from "./lifecycle.ts";
import * as multiRegion from "./multi-region.ts";
import * as policies from "./policies.ts";
import * as tags from "./tags.ts";

type Registry = { [Op in ValidatedOperation]?: Handler<Op> };

export const HANDLERS: Registry = {
  CreateKey: keys.CreateKey,
  DescribeKey: keys.DescribeKey,
  ListKeys: keys.ListKeys,
  EnableKey: keys.EnableKey,
  DisableKey: keys.DisableKey,
  UpdateKeyDescription: keys.UpdateKeyDescription,
  EnableKeyRotation: keys.EnableKeyRotation,
  DisableKeyRotation: keys.DisableKeyRotation,
  GetKeyRotationStatus: keys.GetKeyRotationStatus,
  RotateKeyOnDemand: keys.RotateKeyOnDemand,
  ListKeyRotations: keys.ListKeyRotations,
  GetKeyLastUsage: keys.GetKeyLastUsage,
  ScheduleKeyDeletion: lifecycle.ScheduleKeyDeletion,
  CancelKeyDeletion: lifecycle.CancelKeyDeletion,
  ReplicateKey: multiRegion.ReplicateKey,
  UpdatePrimaryRegion: multiRegion.UpdatePrimaryRegion,
  GetParametersForImport: importing.GetParametersForImport,
  ImportKeyMaterial: importing.ImportKeyMaterial,
  DeleteImportedKeyMaterial: importing.DeleteImportedKeyMaterial,
  CreateAlias: aliases.CreateAlias,
  UpdateAlias: aliases.UpdateAlias,
  DeleteAlias: aliases.DeleteAlias,
  ListAliases: aliases.ListAliases,
  Encrypt: crypto.Encrypt,
  Decrypt: crypto.Decrypt,
  ReEncrypt: crypto.ReEncrypt,
  GenerateDataKey: crypto.GenerateDataKey,
  GenerateDataKeyWithoutPlaintext: crypto.GenerateDataKeyWithoutPlaintext,
  GenerateRandom: crypto.GenerateRandom,
  TagResource: tags.TagResource,
  UntagResource: tags.UntagResource,
  ListResourceTags: tags.ListResourceTags,
  GetKeyPolicy: policies.GetKeyPolicy,
  PutKeyPolicy: policies.PutKeyPolicy,
  ListKeyPolicies: policies.ListKeyPolicies,
  CreateGrant: grants.CreateGrant,
  ListGrants: grants.ListGrants,
  ListRetirableGrants: grants.ListRetirableGrants,
  RetireGrant: grants.RetireGrant,
  RevokeGrant: grants.RevokeGrant,
  GetPublicKey: asymmetric.GetPublicKey,
  Sign: asymmetric.Sign,
  Verify: asymmetric.Verify,
  GenerateMac: asymmetric.GenerateMac,
  VerifyMac: asymmetric.VerifyMac,
  DeriveSharedSecret: asymmetric.DeriveSharedSecret,
  Encapsulate: asymmetric.Encapsulate,
  Decapsulate: asymmetric.Decapsulate,
  GenerateDataKeyPair: asymmetric.GenerateDataKeyPair,
  GenerateDataKeyPairWithoutPlaintext: asymmetric.GenerateDataKeyPairWithoutPlaintext,
};
