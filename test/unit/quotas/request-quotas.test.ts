import { describe, expect, it } from "vitest";
import { OPERATIONS } from "../../../src/protocol/operations.ts";
import { AWS_DEFAULT_QUOTAS, parseRequestQuotas, QuotaConfigError, SHARED_SYMMETRIC_QUOTA } from "../../../src/quotas/request-quotas.ts";

describe("parseRequestQuotas", () => {
  it("uses AWS's defaults when unset: one shared quota of 5,500/s for the symmetric cryptographic operations", () => {
    for (const setting of [undefined, "", "aws", " aws "]) {
      const quotas = parseRequestQuotas(setting);
      for (const op of [
        "Encrypt",
        "Decrypt",
        "ReEncrypt",
        "GenerateDataKey",
        "GenerateDataKeyWithoutPlaintext",
        "GenerateRandom",
      ] as const) {
        expect(quotas.quotaFor(op)).toEqual({ name: SHARED_SYMMETRIC_QUOTA, perSecond: 5500 });
      }
      expect(quotas.quotaFor("CreateKey")).toEqual({ name: "CreateKey", perSecond: 5 });
      expect(quotas.quotaFor("CreateGrant")).toEqual({ name: "CreateGrant", perSecond: 50 });
      expect(quotas.quotaFor("GetParametersForImport")).toEqual({ name: "GetParametersForImport", perSecond: 0.25 });
    }
  });

  it("names only operations of the API, and leaves operations AWS gives no quota unthrottled", () => {
    for (const name of Object.keys(AWS_DEFAULT_QUOTAS)) {
      if (name !== SHARED_SYMMETRIC_QUOTA) expect(OPERATIONS).toContain(name);
    }
    expect(parseRequestQuotas(undefined).quotaFor("Sign")).toBeUndefined();
  });

  it('turns throttling off with "off"', () => {
    const quotas = parseRequestQuotas("off");
    for (const op of OPERATIONS) expect(quotas.quotaFor(op)).toBeUndefined();
  });

  it("replaces the quotas a JSON object names and keeps the other defaults", () => {
    const quotas = parseRequestQuotas(JSON.stringify({ [SHARED_SYMMETRIC_QUOTA]: 2, CreateKey: 0.5 }));
    expect(quotas.quotaFor("Decrypt")).toEqual({ name: SHARED_SYMMETRIC_QUOTA, perSecond: 2 });
    expect(quotas.quotaFor("CreateKey")).toEqual({ name: "CreateKey", perSecond: 0.5 });
    expect(quotas.quotaFor("CreateAlias")).toEqual({ name: "CreateAlias", perSecond: 5 });
  });

  it.each([
    ["{", 'REQUEST_QUOTAS: must be "aws", "off" or a JSON object of quota names and requests per second'],
    ["[1]", "REQUEST_QUOTAS: must be a JSON object of quota names and requests per second"],
    ['{"Encrypt": 10}', "REQUEST_QUOTAS: Encrypt is not a quota name"],
    ['{"toString": 10}', "REQUEST_QUOTAS: toString is not a quota name"],
    ['{"CreateKey": 0}', "REQUEST_QUOTAS: CreateKey must be a positive number of requests per second"],
    ['{"CreateKey": "5"}', "REQUEST_QUOTAS: CreateKey must be a positive number of requests per second"],
  ])("refuses %j", (setting, message) => {
    expect(() => parseRequestQuotas(setting)).toThrow(QuotaConfigError);
    expect(() => parseRequestQuotas(setting)).toThrow(message);
  });
});
