/**
 * AWS KMS request quotas: how many requests per second each account may make in a Region, per
 * operation, with the cryptographic operations on symmetric keys sharing one quota.
 *
 * Spec: AWS KMS Developer Guide, "Request quotas" (the per-operation table of the awsdocs guide,
 * requests-per-second.md; the 2017 guide's "Limits" has the older values). Defaults below are
 * AWS's defaults; AWS raises the shared symmetric quota to 10,000 or more in some Regions and
 * accepts quota increases, which here is configuration:
 *
 *   REQUEST_QUOTAS unset or "aws"   AWS's defaults
 *   REQUEST_QUOTAS = "off"          no throttling (local testing)
 *   REQUEST_QUOTAS = '{"CryptographicOperationsSymmetric": 20000, "CreateKey": 1}'
 *                                   AWS's defaults with these quotas replaced (requests per
 *                                   second, > 0, fractions allowed)
 *
 * Quota names are the operation names, and CryptographicOperationsSymmetric for the shared one.
 * Operations AWS lists no quota for (and those EdgeKMS does not implement) are not throttled.
 * AWS throttles the account that makes a request, also when it uses another account's key.
 */
import type { OperationName } from "../protocol/operations.ts";

export const SHARED_SYMMETRIC_QUOTA = "CryptographicOperationsSymmetric";

/** The operations that share the symmetric cryptographic quota (EdgeKMS's keys are all symmetric). */
export const SYMMETRIC_CRYPTOGRAPHIC_OPERATIONS: readonly OperationName[] = [
  "Decrypt",
  "Encrypt",
  "GenerateDataKey",
  "GenerateDataKeyWithoutPlaintext",
  "GenerateRandom",
  "ReEncrypt",
];

/** AWS's default quotas, requests per second. */
export const AWS_DEFAULT_QUOTAS: Readonly<Record<string, number>> = {
  [SHARED_SYMMETRIC_QUOTA]: 5500,
  CancelKeyDeletion: 5,
  ConnectCustomKeyStore: 5,
  CreateAlias: 5,
  CreateCustomKeyStore: 5,
  CreateGrant: 50,
  CreateKey: 5,
  DeleteAlias: 5,
  DeleteCustomKeyStore: 5,
  DeleteImportedKeyMaterial: 5,
  DescribeCustomKeyStores: 5,
  DescribeKey: 100,
  DisableKey: 5,
  DisableKeyRotation: 5,
  DisconnectCustomKeyStore: 5,
  EnableKey: 5,
  EnableKeyRotation: 5,
  GetKeyPolicy: 30,
  GetKeyRotationStatus: 30,
  GetParametersForImport: 0.25,
  GetPublicKey: 5,
  ImportKeyMaterial: 5,
  ListAliases: 100,
  ListGrants: 100,
  ListKeyPolicies: 100,
  ListKeys: 100,
  ListResourceTags: 100,
  ListRetirableGrants: 5,
  PutKeyPolicy: 5,
  RetireGrant: 15,
  RevokeGrant: 15,
  ScheduleKeyDeletion: 5,
  TagResource: 5,
  UntagResource: 5,
  UpdateAlias: 5,
  UpdateCustomKeyStore: 5,
  UpdateKeyDescription: 5,
};

export interface Quota {
  name: string;
  perSecond: number;
}

export interface RequestQuotas {
  /** The quota `operation` counts against, or undefined when it is not throttled. */
  quotaFor(operation: OperationName): Quota | undefined;
}

const SHARED = new Set<string>(SYMMETRIC_CRYPTOGRAPHIC_OPERATIONS);

export class QuotaConfigError extends Error {
  constructor(message: string) {
    super(`REQUEST_QUOTAS: ${message}`);
    this.name = "QuotaConfigError";
  }
}

/**
 * Reads the REQUEST_QUOTAS setting (see the module comment).
 * @throws QuotaConfigError naming the problem: not JSON, an unknown quota name, a rate that is not
 * a positive number.
 */
export function parseRequestQuotas(setting: string | undefined): RequestQuotas {
  const text = setting?.trim() ?? "";
  if (text === "off") return { quotaFor: () => undefined };
  const quotas: Record<string, number> = { ...AWS_DEFAULT_QUOTAS };
  if (text !== "" && text !== "aws") {
    let overrides: unknown;
    try {
      overrides = JSON.parse(text);
    } catch {
      throw new QuotaConfigError('must be "aws", "off" or a JSON object of quota names and requests per second');
    }
    if (overrides === null || typeof overrides !== "object" || Array.isArray(overrides)) {
      throw new QuotaConfigError("must be a JSON object of quota names and requests per second");
    }
    for (const [name, rate] of Object.entries(overrides)) {
      if (!Object.hasOwn(AWS_DEFAULT_QUOTAS, name)) throw new QuotaConfigError(`${name} is not a quota name`);
      if (typeof rate !== "number" || !Number.isFinite(rate) || rate <= 0) {
        throw new QuotaConfigError(`${name} must be a positive number of requests per second`);
      }
      quotas[name] = rate;
    }
  }
  return {
    quotaFor(operation) {
      const name = SHARED.has(operation) ? SHARED_SYMMETRIC_QUOTA : operation;
      const perSecond = Object.hasOwn(quotas, name) ? quotas[name] : undefined;
      return perSecond === undefined ? undefined : { name, perSecond };
    },
  };
}
