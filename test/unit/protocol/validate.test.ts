import { describe, expect, it } from "vitest";
import { dataKeyLength, hasSchema, parseRequest } from "../../../src/protocol/validate.ts";
import { KmsError } from "../../../src/protocol/errors.ts";
import type { ValidatedOperation } from "../../../src/protocol/shapes.ts";

const KEY = "1234abcd-12ab-34cd-56ef-1234567890ab";
const b64 = (n: number) => Buffer.alloc(n, 7).toString("base64");

function failure(op: ValidatedOperation, body: unknown): KmsError {
  try {
    parseRequest(op, body);
  } catch (e) {
    if (e instanceof KmsError) return e;
    throw e;
  }
  throw new Error("expected parseRequest to throw");
}

describe("parseRequest: accepted requests", () => {
  it("decodes blobs to bytes and keeps AWS's member names", () => {
    const req = parseRequest("Encrypt", {
      KeyId: KEY,
      Plaintext: "aGVsbG8=",
      EncryptionContext: { purpose: "test" },
      GrantTokens: ["t"],
    });
    expect(req.KeyId).toBe(KEY);
    expect(req.Plaintext).toEqual(new TextEncoder().encode("hello"));
    expect(req.EncryptionContext).toEqual({ purpose: "test" });
    expect(req.GrantTokens).toEqual(["t"]);
  });

  it("ignores unknown members and treats null as absent", () => {
    const req = parseRequest("ListKeys", { Limit: null, Bogus: 1, Marker: "m" });
    expect(req).toEqual({ Marker: "m" });
  });

  it("accepts an empty request for an operation with only optional members", () => {
    expect(parseRequest("ListKeys", {})).toEqual({});
  });

  it("decodes a timestamp in epoch seconds to a Date", () => {
    const req = parseRequest("ImportKeyMaterial", {
      KeyId: KEY,
      ImportToken: b64(10),
      EncryptedKeyMaterial: b64(10),
      ValidTo: 1700000000.5,
    });
    expect(req.ValidTo).toEqual(new Date(1700000000500));
  });

  it("keeps an encryption-context key named __proto__ as an ordinary member", () => {
    const body = JSON.parse(`{"KeyId":"${KEY}","Plaintext":"AA==","EncryptionContext":{"__proto__":"x"}}`);
    const req = parseRequest("Encrypt", body);
    expect(Object.keys(req.EncryptionContext!)).toEqual(["__proto__"]);
    expect(Object.getPrototypeOf(req.EncryptionContext)).toBe(Object.prototype);
  });

  it("accepts the boundary values of every ranged member", () => {
    expect(() => parseRequest("Encrypt", { KeyId: "k".repeat(2048), Plaintext: b64(4096) })).not.toThrow();
    expect(() => parseRequest("Decrypt", { CiphertextBlob: b64(6144) })).not.toThrow();
    expect(() => parseRequest("GenerateRandom", { NumberOfBytes: 1024 })).not.toThrow();
    expect(() => parseRequest("ListKeys", { Limit: 1000, Marker: "\u00ff".repeat(1024) })).not.toThrow();
    expect(() => parseRequest("ScheduleKeyDeletion", { KeyId: KEY, PendingWindowInDays: 365 })).not.toThrow();
    expect(() => parseRequest("UpdateKeyDescription", { KeyId: KEY, Description: "" })).not.toThrow();
    expect(() => parseRequest("TagResource", { KeyId: KEY, Tags: [{ TagKey: "k".repeat(128), TagValue: "" }] })).not.toThrow();
  });
});

describe("parseRequest: ValidationException with AWS's wording", () => {
  it.each<[ValidatedOperation, unknown, string]>([
    [
      "DescribeKey",
      { KeyId: "" },
      "1 validation error detected: Value '' at 'keyId' failed to satisfy constraint: Member must have length greater than or equal to 1",
    ],
    ["DescribeKey", {}, "1 validation error detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null"],
    [
      "DescribeKey",
      { KeyId: "k".repeat(2049) },
      `1 validation error detected: Value '${"k".repeat(2049)}' at 'keyId' failed to satisfy constraint: Member must have length less than or equal to 2048`,
    ],
    [
      "Encrypt",
      { KeyId: KEY, Plaintext: b64(4097) },
      "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length less than or equal to 4096",
    ],
    [
      "Encrypt",
      { KeyId: KEY, Plaintext: "" },
      "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length greater than or equal to 1",
    ],
    [
      "Decrypt",
      { CiphertextBlob: b64(6145) },
      "1 validation error detected: Value at 'ciphertextBlob' failed to satisfy constraint: Member must have length less than or equal to 6144",
    ],
    [
      "GenerateRandom",
      { NumberOfBytes: 2000 },
      "1 validation error detected: Value '2000' at 'numberOfBytes' failed to satisfy constraint: Member must have value less than or equal to 1024",
    ],
    [
      "GenerateRandom",
      { NumberOfBytes: 0 },
      "1 validation error detected: Value '0' at 'numberOfBytes' failed to satisfy constraint: Member must have value greater than or equal to 1",
    ],
    [
      "GenerateDataKey",
      { KeyId: KEY, KeySpec: "AES-256" },
      "1 validation error detected: Value 'AES-256' at 'keySpec' failed to satisfy constraint: Member must satisfy enum value set: [AES_256, AES_128]",
    ],
    [
      "CreateAlias",
      { AliasName: "alias/bad name", TargetKeyId: KEY },
      "1 validation error detected: Value 'alias/bad name' at 'aliasName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$",
    ],
    [
      "ListKeys",
      { Limit: 1001 },
      "1 validation error detected: Value '1001' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 1000",
    ],
    [
      "ListKeys",
      { Marker: "\u0100" },
      "1 validation error detected: Value '\u0100' at 'marker' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\u0020-\\u00FF]*",
    ],
    [
      "ScheduleKeyDeletion",
      { KeyId: KEY, PendingWindowInDays: 366 },
      "1 validation error detected: Value '366' at 'pendingWindowInDays' failed to satisfy constraint: Member must have value less than or equal to 365",
    ],
    [
      "UpdateKeyDescription",
      { KeyId: KEY, Description: "d".repeat(8193) },
      `1 validation error detected: Value '${"d".repeat(8193)}' at 'description' failed to satisfy constraint: Member must have length less than or equal to 8192`,
    ],
    [
      "GetKeyPolicy",
      { KeyId: KEY, PolicyName: "not-default" },
      "1 validation error detected: Value 'not-default' at 'policyName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w]+",
    ],
    [
      "PutKeyPolicy",
      { KeyId: KEY, Policy: "" },
      "2 validation errors detected: Value '' at 'policy' failed to satisfy constraint: Member must have length greater than or equal to 1; Value '' at 'policy' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\u0009\\u000A\\u000D\\u0020-\\u00FF]+",
    ],
    [
      "DescribeKey",
      { KeyId: KEY, GrantTokens: Array.from({ length: 11 }, () => "t") },
      "1 validation error detected: Value '[t, t, t, t, t, t, t, t, t, t, t]' at 'grantTokens' failed to satisfy constraint: Member must have length less than or equal to 10",
    ],
    [
      "DescribeKey",
      { KeyId: KEY, GrantTokens: ["ok", ""] },
      "1 validation error detected: Value '' at 'grantTokens.2.member' failed to satisfy constraint: Member must have length greater than or equal to 1",
    ],
    [
      "TagResource",
      { KeyId: KEY, Tags: [{ TagKey: "k".repeat(129), TagValue: "v" }, { TagKey: "ok" }] },
      `2 validation errors detected: Value '${"k".repeat(129)}' at 'tags.1.member.tagKey' failed to satisfy constraint: Member must have length less than or equal to 128; Value null at 'tags.2.member.tagValue' failed to satisfy constraint: Member must not be null`,
    ],
    [
      "CreateGrant",
      { KeyId: KEY, GranteePrincipal: "arn:aws:iam::111122223333:user/a", Operations: ["Encrypt", "Explode"] },
      "1 validation error detected: Value 'Explode' at 'operations.2.member' failed to satisfy constraint: Member must satisfy enum value set: [Decrypt, Encrypt, GenerateDataKey, GenerateDataKeyWithoutPlaintext, ReEncryptFrom, ReEncryptTo, Sign, Verify, GetPublicKey, CreateGrant, RetireGrant, DescribeKey, GenerateDataKeyPair, GenerateDataKeyPairWithoutPlaintext, GenerateMac, VerifyMac, DeriveSharedSecret, Decapsulate, Encapsulate]",
    ],
    [
      "ListRetirableGrants",
      { RetiringPrincipal: "short" },
      "1 validation error detected: Value 'short' at 'retiringPrincipal' failed to satisfy constraint: Member must have length greater than or equal to 20",
    ],
    [
      "EnableKeyRotation",
      { KeyId: KEY, RotationPeriodInDays: 89 },
      "1 validation error detected: Value '89' at 'rotationPeriodInDays' failed to satisfy constraint: Member must have value greater than or equal to 90",
    ],
    [
      "EnableKeyRotation",
      { KeyId: KEY, RotationPeriodInDays: 2561 },
      "1 validation error detected: Value '2561' at 'rotationPeriodInDays' failed to satisfy constraint: Member must have value less than or equal to 2560",
    ],
    ["RotateKeyOnDemand", {}, "1 validation error detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null"],
    ["GetKeyLastUsage", {}, "1 validation error detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null"],
    [
      "ListKeyRotations",
      { KeyId: KEY, IncludeKeyMaterial: "SOME", Limit: 0 },
      "2 validation errors detected: Value 'SOME' at 'includeKeyMaterial' failed to satisfy constraint: Member must satisfy enum value set: [ALL_KEY_MATERIAL, ROTATIONS_ONLY]; " +
        "Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1",
    ],
    [
      "ImportKeyMaterial",
      { KeyId: KEY, ImportToken: "AA==", EncryptedKeyMaterial: "AA==", ImportType: "SOME", KeyMaterialId: "xyz" },
      "3 validation errors detected: Value 'SOME' at 'importType' failed to satisfy constraint: Member must satisfy enum value set: [NEW_KEY_MATERIAL, EXISTING_KEY_MATERIAL]; " +
        "Value 'xyz' at 'keyMaterialId' failed to satisfy constraint: Member must have length greater than or equal to 64; " +
        "Value 'xyz' at 'keyMaterialId' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-f0-9]+$",
    ],
    [
      "GetParametersForImport",
      { KeyId: KEY, WrappingAlgorithm: "RSAES_OAEP_SHA_256" },
      "1 validation error detected: Value null at 'wrappingKeySpec' failed to satisfy constraint: Member must not be null",
    ],
  ])("%s %j", (op, body, message) => {
    const err = failure(op, body);
    expect(err.type).toBe("ValidationException");
    expect(err.status).toBe(400);
    expect(err.message).toBe(message);
  });

  it("collects every violation, in the model's member order, into one message", () => {
    const err = failure("Encrypt", { Plaintext: "", EncryptionAlgorithm: "ROT13" });
    expect(err.message).toBe(
      "3 validation errors detected: " +
        "Value null at 'keyId' failed to satisfy constraint: Member must not be null; " +
        "Value at 'plaintext' failed to satisfy constraint: Member must have length greater than or equal to 1; " +
        "Value 'ROT13' at 'encryptionAlgorithm' failed to satisfy constraint: Member must satisfy enum value set: [SYMMETRIC_DEFAULT, RSAES_OAEP_SHA_1, RSAES_OAEP_SHA_256, SM2PKE]",
    );
  });

  it("never echoes a plaintext, even one too long", () => {
    const secret = Buffer.from("top secret ".repeat(400));
    const err = failure("Encrypt", { KeyId: KEY, Plaintext: secret.toString("base64") });
    expect(err.message).not.toContain("top secret");
    expect(err.message).not.toContain(secret.toString("base64").slice(0, 16));
  });
});

describe("parseRequest: SerializationException for wrong JSON types", () => {
  it.each<[ValidatedOperation, unknown, string]>([
    ["DescribeKey", { KeyId: 5 }, "class com.amazon.coral.value.json.numbers.TruncatingBigNumber can not be converted to an String"],
    ["DescribeKey", { KeyId: true }, "class java.lang.Boolean can not be converted to an String"],
    ["DescribeKey", { KeyId: ["a"] }, "Start of list found where not expected"],
    ["DescribeKey", { KeyId: { a: 1 } }, "Start of structure or map found where not expected."],
    ["GenerateRandom", { NumberOfBytes: "32" }, "class java.lang.String can not be converted to an Integer"],
    [
      "Encrypt",
      { KeyId: KEY, Plaintext: 12 },
      "class com.amazon.coral.value.json.numbers.TruncatingBigNumber can not be converted to a Blob",
    ],
    [
      "Encrypt",
      { KeyId: KEY, Plaintext: "c2VjcmV0" + "x" },
      "Value at 'plaintext' can not be converted to a Blob: Base64 encoded length is expected a multiple of 4 bytes but found: 9",
    ],
    [
      "Encrypt",
      { KeyId: KEY, Plaintext: "c2Vj!mV0" },
      "Value at 'plaintext' can not be converted to a Blob: Invalid Base64 character: '!'",
    ],
    ["DescribeKey", { KeyId: KEY, GrantTokens: "t" }, "Expected list or null"],
    ["Encrypt", { KeyId: KEY, Plaintext: "AA==", EncryptionContext: "x" }, "Expected map or null"],
    [
      "Encrypt",
      { KeyId: KEY, Plaintext: "AA==", EncryptionContext: { a: 1 } },
      "class com.amazon.coral.value.json.numbers.TruncatingBigNumber can not be converted to an String",
    ],
    ["CreateKey", { MultiRegion: "yes" }, "class java.lang.String can not be converted to an Boolean"],
    ["TagResource", { KeyId: KEY, Tags: ["k=v"] }, "class java.lang.String can not be converted to a Structure"],
  ])("%s %j", (op, body, message) => {
    const err = failure(op, body);
    expect(err.type).toBe("SerializationException");
    expect(err.message).toBe(message);
  });

  it("reports a type error before any constraint violation", () => {
    expect(failure("Encrypt", { Plaintext: 1 }).type).toBe("SerializationException");
  });
});

describe("schema table", () => {
  it.each([
    "CreateKey",
    "DescribeKey",
    "ListKeys",
    "EnableKey",
    "DisableKey",
    "UpdateKeyDescription",
    "EnableKeyRotation",
    "DisableKeyRotation",
    "GetKeyRotationStatus",
    "CreateAlias",
    "UpdateAlias",
    "DeleteAlias",
    "ListAliases",
    "Encrypt",
    "Decrypt",
    "ReEncrypt",
    "GenerateDataKey",
    "GenerateDataKeyWithoutPlaintext",
    "GenerateRandom",
    "TagResource",
    "UntagResource",
    "ListResourceTags",
    "ScheduleKeyDeletion",
    "CancelKeyDeletion",
    "GetKeyPolicy",
    "PutKeyPolicy",
    "ListKeyPolicies",
    "CreateGrant",
    "ListGrants",
    "ListRetirableGrants",
    "RetireGrant",
    "RevokeGrant",
    "GetParametersForImport",
    "ImportKeyMaterial",
    "DeleteImportedKeyMaterial",
  ])("has a schema for %s", (op) => {
    expect(hasSchema(op)).toBe(true);
  });

  it("has no schema for operations EdgeKMS does not validate", () => {
    expect(hasSchema("CreateCustomKeyStore")).toBe(false);
    expect(hasSchema("toString")).toBe(false);
  });
});

describe("dataKeyLength", () => {
  it("maps key specs to bytes and passes NumberOfBytes through", () => {
    expect(dataKeyLength({ KeySpec: "AES_256" })).toBe(32);
    expect(dataKeyLength({ KeySpec: "AES_128" })).toBe(16);
    expect(dataKeyLength({ NumberOfBytes: 7 })).toBe(7);
  });

  it.each([{}, { KeySpec: "AES_256", NumberOfBytes: 32 }])("rejects %j as AWS does", (req) => {
    let err: unknown;
    try {
      dataKeyLength(req);
    } catch (e) {
      err = e;
    }
    expect((err as KmsError).type).toBe("ValidationException");
    expect((err as KmsError).message).toBe("Please specify either number of bytes or key spec.");
  });
});

describe("parseRequest: encryption contexts", () => {
  const CIPHERTEXT = b64(64);
  const SIZE = "failed to satisfy constraint: Member must have a total length of keys and values less than or equal to 8192";
  const UNICODE = "failed to satisfy constraint: Member must contain only well-formed Unicode strings (no unpaired surrogates)";
  // Every operation that takes a context, with the member path AWS reports it under.
  const carriers: [ValidatedOperation, (ctx: Record<string, string>) => Record<string, unknown>, string][] = [
    ["Encrypt", (ctx) => ({ KeyId: KEY, Plaintext: b64(4), EncryptionContext: ctx }), "encryptionContext"],
    ["Decrypt", (ctx) => ({ CiphertextBlob: CIPHERTEXT, EncryptionContext: ctx }), "encryptionContext"],
    [
      "ReEncrypt",
      (ctx) => ({ CiphertextBlob: CIPHERTEXT, DestinationKeyId: KEY, SourceEncryptionContext: ctx }),
      "sourceEncryptionContext",
    ],
    [
      "ReEncrypt",
      (ctx) => ({ CiphertextBlob: CIPHERTEXT, DestinationKeyId: KEY, DestinationEncryptionContext: ctx }),
      "destinationEncryptionContext",
    ],
    ["GenerateDataKey", (ctx) => ({ KeyId: KEY, KeySpec: "AES_256", EncryptionContext: ctx }), "encryptionContext"],
    ["GenerateDataKeyWithoutPlaintext", (ctx) => ({ KeyId: KEY, KeySpec: "AES_256", EncryptionContext: ctx }), "encryptionContext"],
    [
      "CreateGrant",
      (ctx) => ({
        KeyId: KEY,
        GranteePrincipal: "arn:aws:iam::111122223333:user/a",
        Operations: ["Decrypt"],
        Constraints: { EncryptionContextSubset: ctx },
      }),
      "constraints.encryptionContextSubset",
    ],
    [
      "CreateGrant",
      (ctx) => ({
        KeyId: KEY,
        GranteePrincipal: "arn:aws:iam::111122223333:user/a",
        Operations: ["Decrypt"],
        Constraints: { EncryptionContextEquals: ctx },
      }),
      "constraints.encryptionContextEquals",
    ],
  ];

  it.each(carriers)("%s accepts a context of exactly 8,192 characters of keys and values (%s)", (op, body) => {
    expect(() => parseRequest(op, body({ k: "v".repeat(8191 - 1), x: "" }))).not.toThrow();
  });

  it.each(carriers)("%s refuses a context over 8,192 characters with ValidationException, without echoing it (%s)", (op, body, path) => {
    for (const ctx of [
      { k: "v".repeat(8192) },
      { big: "x".repeat(70_000) },
      Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`key${i}`, "value"])),
    ]) {
      const err = failure(op, body(ctx));
      expect(err.type).toBe("ValidationException");
      expect(err.message).toBe(`1 validation error detected: Value at '${path}' ${SIZE}`);
    }
  });

  it.each(carriers)("%s refuses lone surrogates in keys and values (%s)", (op, body, path) => {
    const contexts: Record<string, string>[] = [
      { tenant: "\uD800" },
      { tenant: "\uDFFF" },
      { "\uDBFFx": "v" },
      { tenant: "a\uDC00\uD800" },
    ];
    for (const ctx of contexts) {
      const err = failure(op, body(ctx));
      expect(err.type).toBe("ValidationException");
      expect(err.message).toBe(`1 validation error detected: Value at '${path}' ${UNICODE}`);
    }
  });

  it("accepts surrogate pairs and U+FFFD, which are well-formed", () => {
    const req = parseRequest("Encrypt", { KeyId: KEY, Plaintext: b64(4), EncryptionContext: { key: "\u{1F511}", other: "\uFFFD" } });
    expect(req.EncryptionContext).toEqual({ key: "\u{1F511}", other: "\uFFFD" });
  });
});
