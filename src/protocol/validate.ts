/**
 * Request validation against the KMS service model, with AWS's error wording.
 *
 * Spec: the constraints of the TrentService model (lengths, ranges, patterns, enums, required
 * members) and the two stages AWS's request pipeline (Coral) runs:
 *  1. deserialisation — a member of the wrong JSON type, or a blob that is not base64, stops the
 *     request at once with SerializationException ("class java.lang.String can not be converted to
 *     an Integer", "Start of list found where not expected", ...);
 *  2. validation — every constraint is checked and all violations are reported in one
 *     ValidationException: "2 validation errors detected: Value 'x' at 'keyId' failed to satisfy
 *     constraint: Member must have length ...; Value ...". Member paths are lowerCamelCase, list
 *     items are "<list>.<n>.member" (1-based), nested members are dotted.
 * Unknown members are ignored, as AWS does. Semantic rules that are not model constraints (e.g.
 * GenerateDataKey's "KeySpec or NumberOfBytes") belong to handlers; `dataKeyLength` helps there.
 *
 * Why a hand-written schema table rather than a JSON-schema library: the point of this module is
 * AWS's exact messages (Coral's member paths, constraint sentences, and which values it echoes),
 * which no generic validator produces; the table below is small and reads like the model.
 *
 * Encryption contexts carry two rules of their own (see EncryptionContextType): AWS's limit of
 * 8,192 characters of keys and values, and well-formed strings only. Both are checked here, before
 * any handler canonicalises, authorizes or records a context.
 *
 * Security: blob members (plaintexts, ciphertexts, key material, import tokens) are never echoed.
 * AWS prints "Value at 'plaintext' failed to satisfy constraint" without a value for them, and so
 * do we for every blob; base64 problems name the member, not the value (AWS's deserialiser quotes
 * the string, which for a plaintext would leak it — a deliberate difference).
 */
import { KmsError } from "./errors.ts";
import {
  ALGORITHM_SPECS,
  CUSTOMER_MASTER_KEY_SPECS,
  DATA_KEY_PAIR_SPECS,
  DATA_KEY_SPECS,
  DRY_RUN_MODIFIER_TYPES,
  ENCAPSULATION_ALGORITHM_SPECS,
  ENCRYPTION_ALGORITHM_SPECS,
  EXPIRATION_MODEL_TYPES,
  GRANT_OPERATIONS,
  IMPORT_TYPES,
  INCLUDE_KEY_MATERIAL,
  KEY_AGREEMENT_ALGORITHM_SPECS,
  KEY_ENCRYPTION_MECHANISMS,
  KEY_SPECS,
  KEY_USAGE_TYPES,
  MAC_ALGORITHM_SPECS,
  MESSAGE_TYPES,
  ORIGIN_TYPES,
  SIGNING_ALGORITHM_SPECS,
  WRAPPING_KEY_SPECS,
} from "./enums.ts";
import type { RequestShapes, ValidatedOperation } from "./shapes.ts";
import { decodeBase64 } from "./wire.ts";

// ---- The schema DSL ------------------------------------------------------------------------------

type Spec =
  | { kind: "string"; min?: number; max?: number; pattern?: string; values?: readonly string[] }
  | { kind: "blob"; min?: number; max?: number }
  | { kind: "integer"; min?: number; max?: number }
  | { kind: "boolean" }
  | { kind: "timestamp" }
  | { kind: "list"; member: Spec; min?: number; max?: number }
  | { kind: "map"; key: Spec; value: Spec; maxTotalLength?: number; wellFormed?: boolean }
  | { kind: "structure"; members: Members };
type Member = { spec: Spec; required: boolean };
type Members = Record<string, Member>;

const str = (min?: number, max?: number, pattern?: string): Spec => ({ kind: "string", min, max, pattern });
const oneOf = (values: readonly string[]): Spec => ({ kind: "string", values });
const blob = (min?: number, max?: number): Spec => ({ kind: "blob", min, max });
const int = (min?: number, max?: number): Spec => ({ kind: "integer", min, max });
const bool: Spec = { kind: "boolean" };
const timestamp: Spec = { kind: "timestamp" };
const list = (member: Spec, min?: number, max?: number): Spec => ({ kind: "list", member, min, max });
const map = (key: Spec, value: Spec, rules: { maxTotalLength?: number; wellFormed?: boolean } = {}): Spec => ({
  kind: "map",
  key,
  value,
  ...rules,
});
const struct = (members: Record<string, Spec | Member>): Spec => ({ kind: "structure", members: normalise(members) });

/** Marks a member required ("Member must not be null" when absent). */
const req = (spec: Spec): Member => ({ spec, required: true });

function normalise(members: Record<string, Spec | Member>): Members {
  const out: Members = {};
  for (const [name, m] of Object.entries(members)) out[name] = "spec" in m ? m : { spec: m, required: false };
  return out;
}

// ---- Model shapes (names as in the KMS model) ------------------------------------------------------

const KeyIdType = str(1, 2048);
const PlaintextType = blob(1, 4096);
const CiphertextType = blob(1, 6144);
const PublicKeyType = blob(1, 8192);
const DescriptionType = str(0, 8192);
const AliasNameType = str(1, 256, "^[a-zA-Z0-9:/_-]+$");
const LimitType = int(1, 1000);
const MarkerType = str(1, 1024, "[\\u0020-\\u00FF]*");
const NumberOfBytesType = int(1, 1024);
const GrantTokenList = list(str(1, 8192), 0, 10);
const TagKeyType = str(1, 128);
const TagValueType = str(0, 256);
const TagList = list(struct({ TagKey: req(TagKeyType), TagValue: req(TagValueType) }));
const PolicyType = str(1, 131072, "[\\u0009\\u000A\\u000D\\u0020-\\u00FF]+");
const PolicyNameType = str(1, 128, "[\\w]+");
const PendingWindowInDaysType = int(1, 365);
const RotationPeriodInDaysType = int(90, 2560);
/**
 * AWS: an encryption context's keys and values together may hold at most 8,192 characters, and
 * (EdgeKMS's rule) every key and value must be a well-formed UTF-16 string. A lone surrogate has
 * no UTF-8 encoding, so "\uD800", "\uDFFF" and "\uFFFD" would all become the same bytes in the
 * authenticated context; refusing them keeps the context that is checked the context that is bound.
 */
export const MAX_ENCRYPTION_CONTEXT_LENGTH = 8192;
const EncryptionContextType = map(str(), str(), { maxTotalLength: MAX_ENCRYPTION_CONTEXT_LENGTH, wellFormed: true });
const GrantIdType = str(1, 128);
const GrantTokenType = str(1, 8192);
const GrantNameType = str(1, 256, "^[a-zA-Z0-9:/_-]+$");
const PrincipalIdType = str(1, 256, "^[\\w+=,.@:/-]+$");
const ArnType = str(20, 2048);
const CustomKeyStoreIdType = str(1, 64);
const XksKeyIdType = str(1, 128, "^[a-zA-Z0-9-_.]+$");
const KeyMaterialIdType = str(64, 64, "^[a-f0-9]+$");
const KeyMaterialDescriptionType = str(0, 256);
const RegionType = str(1, 32, "^([a-z]+-){2,3}\\d+$");
const BooleanType = bool;
const RecipientInfo = struct({
  KeyEncryptionAlgorithm: oneOf(KEY_ENCRYPTION_MECHANISMS),
  AttestationDocument: blob(1, 262144),
});
const GrantConstraints = struct({
  EncryptionContextSubset: EncryptionContextType,
  EncryptionContextEquals: EncryptionContextType,
});
const EncryptionAlgorithmSpec = oneOf(ENCRYPTION_ALGORITHM_SPECS);
const DataKeySpec = oneOf(DATA_KEY_SPECS);
const DryRunModifierList = list(oneOf(DRY_RUN_MODIFIER_TYPES));

/** Request members of each operation, in the model's member order (the order errors are reported). */
const SCHEMAS: { [Op in ValidatedOperation]: Members } = {
  CreateKey: normalise({
    Policy: PolicyType,
    Description: DescriptionType,
    KeyUsage: oneOf(KEY_USAGE_TYPES),
    CustomerMasterKeySpec: oneOf(CUSTOMER_MASTER_KEY_SPECS),
    KeySpec: oneOf(KEY_SPECS),
    Origin: oneOf(ORIGIN_TYPES),
    CustomKeyStoreId: CustomKeyStoreIdType,
    BypassPolicyLockoutSafetyCheck: BooleanType,
    Tags: TagList,
    MultiRegion: BooleanType,
    XksKeyId: XksKeyIdType,
  }),
  DescribeKey: normalise({ KeyId: req(KeyIdType), GrantTokens: GrantTokenList }),
  ListKeys: normalise({ Limit: LimitType, Marker: MarkerType }),
  EnableKey: normalise({ KeyId: req(KeyIdType) }),
  DisableKey: normalise({ KeyId: req(KeyIdType) }),
  UpdateKeyDescription: normalise({ KeyId: req(KeyIdType), Description: req(DescriptionType) }),
  EnableKeyRotation: normalise({ KeyId: req(KeyIdType), RotationPeriodInDays: RotationPeriodInDaysType }),
  DisableKeyRotation: normalise({ KeyId: req(KeyIdType) }),
  GetKeyRotationStatus: normalise({ KeyId: req(KeyIdType) }),
  RotateKeyOnDemand: normalise({ KeyId: req(KeyIdType) }),
  GetKeyLastUsage: normalise({ KeyId: req(KeyIdType) }),
  ListKeyRotations: normalise({
    KeyId: req(KeyIdType),
    IncludeKeyMaterial: oneOf(INCLUDE_KEY_MATERIAL),
    Limit: LimitType,
    Marker: MarkerType,
  }),
  ScheduleKeyDeletion: normalise({ KeyId: req(KeyIdType), PendingWindowInDays: PendingWindowInDaysType }),
  CancelKeyDeletion: normalise({ KeyId: req(KeyIdType) }),
  ReplicateKey: normalise({
    KeyId: req(KeyIdType),
    ReplicaRegion: req(RegionType),
    Policy: PolicyType,
    BypassPolicyLockoutSafetyCheck: BooleanType,
    Description: DescriptionType,
    Tags: TagList,
  }),
  UpdatePrimaryRegion: normalise({ KeyId: req(KeyIdType), PrimaryRegion: req(RegionType) }),
  CreateAlias: normalise({ AliasName: req(AliasNameType), TargetKeyId: req(KeyIdType) }),
  UpdateAlias: normalise({ AliasName: req(AliasNameType), TargetKeyId: req(KeyIdType) }),
  DeleteAlias: normalise({ AliasName: req(AliasNameType) }),
  ListAliases: normalise({ KeyId: KeyIdType, Limit: LimitType, Marker: MarkerType }),
  Encrypt: normalise({
    KeyId: req(KeyIdType),
    Plaintext: req(PlaintextType),
    EncryptionContext: EncryptionContextType,
    GrantTokens: GrantTokenList,
    EncryptionAlgorithm: EncryptionAlgorithmSpec,
    DryRun: BooleanType,
  }),
  Decrypt: normalise({
    CiphertextBlob: req(CiphertextType),
    EncryptionContext: EncryptionContextType,
    GrantTokens: GrantTokenList,
    KeyId: KeyIdType,
    EncryptionAlgorithm: EncryptionAlgorithmSpec,
    Recipient: RecipientInfo,
    DryRun: BooleanType,
    DryRunModifiers: DryRunModifierList,
  }),
  ReEncrypt: normalise({
    CiphertextBlob: req(CiphertextType),
    SourceEncryptionContext: EncryptionContextType,
    SourceKeyId: KeyIdType,
    DestinationKeyId: req(KeyIdType),
    DestinationEncryptionContext: EncryptionContextType,
    SourceEncryptionAlgorithm: EncryptionAlgorithmSpec,
    DestinationEncryptionAlgorithm: EncryptionAlgorithmSpec,
    GrantTokens: GrantTokenList,
    DryRun: BooleanType,
    DryRunModifiers: DryRunModifierList,
  }),
  GenerateDataKey: normalise({
    KeyId: req(KeyIdType),
    EncryptionContext: EncryptionContextType,
    NumberOfBytes: NumberOfBytesType,
    KeySpec: DataKeySpec,
    GrantTokens: GrantTokenList,
    Recipient: RecipientInfo,
    DryRun: BooleanType,
  }),
  GenerateDataKeyWithoutPlaintext: normalise({
    KeyId: req(KeyIdType),
    EncryptionContext: EncryptionContextType,
    KeySpec: DataKeySpec,
    NumberOfBytes: NumberOfBytesType,
    GrantTokens: GrantTokenList,
    DryRun: BooleanType,
  }),
  GenerateRandom: normalise({
    NumberOfBytes: NumberOfBytesType,
    CustomKeyStoreId: CustomKeyStoreIdType,
    Recipient: RecipientInfo,
  }),
  TagResource: normalise({ KeyId: req(KeyIdType), Tags: req(TagList) }),
  UntagResource: normalise({ KeyId: req(KeyIdType), TagKeys: req(list(TagKeyType)) }),
  ListResourceTags: normalise({ KeyId: req(KeyIdType), Limit: LimitType, Marker: MarkerType }),
  GetKeyPolicy: normalise({ KeyId: req(KeyIdType), PolicyName: PolicyNameType }),
  PutKeyPolicy: normalise({
    KeyId: req(KeyIdType),
    PolicyName: PolicyNameType,
    Policy: req(PolicyType),
    BypassPolicyLockoutSafetyCheck: BooleanType,
  }),
  ListKeyPolicies: normalise({ KeyId: req(KeyIdType), Limit: LimitType, Marker: MarkerType }),
  CreateGrant: normalise({
    KeyId: req(KeyIdType),
    GranteePrincipal: req(PrincipalIdType),
    RetiringPrincipal: PrincipalIdType,
    Operations: req(list(oneOf(GRANT_OPERATIONS))),
    Constraints: GrantConstraints,
    GrantTokens: GrantTokenList,
    Name: GrantNameType,
    DryRun: BooleanType,
  }),
  ListGrants: normalise({
    Limit: LimitType,
    Marker: MarkerType,
    KeyId: req(KeyIdType),
    GrantId: GrantIdType,
    GranteePrincipal: PrincipalIdType,
  }),
  ListRetirableGrants: normalise({ Limit: LimitType, Marker: MarkerType, RetiringPrincipal: req(ArnType) }),
  RetireGrant: normalise({ GrantToken: GrantTokenType, KeyId: KeyIdType, GrantId: GrantIdType, DryRun: BooleanType }),
  RevokeGrant: normalise({ KeyId: req(KeyIdType), GrantId: req(GrantIdType), DryRun: BooleanType }),
  GetParametersForImport: normalise({
    KeyId: req(KeyIdType),
    WrappingAlgorithm: req(oneOf(ALGORITHM_SPECS)),
    WrappingKeySpec: req(oneOf(WRAPPING_KEY_SPECS)),
  }),
  ImportKeyMaterial: normalise({
    KeyId: req(KeyIdType),
    ImportToken: req(CiphertextType),
    EncryptedKeyMaterial: req(CiphertextType),
    ValidTo: timestamp,
    ExpirationModel: oneOf(EXPIRATION_MODEL_TYPES),
    ImportType: oneOf(IMPORT_TYPES),
    KeyMaterialDescription: KeyMaterialDescriptionType,
    KeyMaterialId: KeyMaterialIdType,
  }),
  DeleteImportedKeyMaterial: normalise({ KeyId: req(KeyIdType), KeyMaterialId: KeyMaterialIdType }),
  GetPublicKey: normalise({ KeyId: req(KeyIdType), GrantTokens: GrantTokenList }),
  Sign: normalise({
    KeyId: req(KeyIdType),
    Message: req(PlaintextType),
    MessageType: oneOf(MESSAGE_TYPES),
    GrantTokens: GrantTokenList,
    SigningAlgorithm: req(oneOf(SIGNING_ALGORITHM_SPECS)),
    DryRun: BooleanType,
  }),
  Verify: normalise({
    KeyId: req(KeyIdType),
    Message: req(PlaintextType),
    MessageType: oneOf(MESSAGE_TYPES),
    Signature: req(CiphertextType),
    SigningAlgorithm: req(oneOf(SIGNING_ALGORITHM_SPECS)),
    GrantTokens: GrantTokenList,
    DryRun: BooleanType,
  }),
  GenerateMac: normalise({
    Message: req(PlaintextType),
    KeyId: req(KeyIdType),
    MacAlgorithm: req(oneOf(MAC_ALGORITHM_SPECS)),
    GrantTokens: GrantTokenList,
    DryRun: BooleanType,
  }),
  VerifyMac: normalise({
    Message: req(PlaintextType),
    KeyId: req(KeyIdType),
    MacAlgorithm: req(oneOf(MAC_ALGORITHM_SPECS)),
    Mac: req(CiphertextType),
    GrantTokens: GrantTokenList,
    DryRun: BooleanType,
  }),
  DeriveSharedSecret: normalise({
    KeyId: req(KeyIdType),
    KeyAgreementAlgorithm: req(oneOf(KEY_AGREEMENT_ALGORITHM_SPECS)),
    PublicKey: req(PublicKeyType),
    GrantTokens: GrantTokenList,
    DryRun: BooleanType,
    Recipient: RecipientInfo,
  }),
  GenerateDataKeyPair: normalise({
    EncryptionContext: EncryptionContextType,
    KeyId: req(KeyIdType),
    KeyPairSpec: req(oneOf(DATA_KEY_PAIR_SPECS)),
    GrantTokens: GrantTokenList,
    Recipient: RecipientInfo,
    DryRun: BooleanType,
  }),
  GenerateDataKeyPairWithoutPlaintext: normalise({
    EncryptionContext: EncryptionContextType,
    KeyId: req(KeyIdType),
    KeyPairSpec: req(oneOf(DATA_KEY_PAIR_SPECS)),
    GrantTokens: GrantTokenList,
    DryRun: BooleanType,
  }),
  Encapsulate: normalise({
    KeyId: req(KeyIdType),
    EncapsulationAlgorithm: req(oneOf(ENCAPSULATION_ALGORITHM_SPECS)),
    GrantTokens: GrantTokenList,
    DryRun: BooleanType,
  }),
  Decapsulate: normalise({
    KeyId: req(KeyIdType),
    SharedSecretCiphertextBlob: req(CiphertextType),
    EncapsulationAlgorithm: req(oneOf(ENCAPSULATION_ALGORITHM_SPECS)),
    GrantTokens: GrantTokenList,
    DryRun: BooleanType,
  }),
};

export function hasSchema(op: string): op is ValidatedOperation {
  return Object.hasOwn(SCHEMAS, op);
}

// ---- Stage 1: deserialisation (first type error wins) -----------------------------------------------

const NUMBER_CLASS = "class com.amazon.coral.value.json.numbers.TruncatingBigNumber";

function serialization(message: string): KmsError {
  return new KmsError("SerializationException", message);
}

/** Coral's words for a JSON value of the wrong type where `target` ("an String", "a Blob"...) was expected. */
function wrongType(value: unknown, target: string): KmsError {
  if (Array.isArray(value)) return serialization("Start of list found where not expected");
  if (typeof value === "object") return serialization("Start of structure or map found where not expected.");
  const cls = typeof value === "boolean" ? "class java.lang.Boolean" : typeof value === "number" ? NUMBER_CLASS : "class java.lang.String";
  return serialization(`${cls} can not be converted to ${target}`);
}

/** Decodes `value` to its typed form, or throws SerializationException. `null` means absent. */
function decode(spec: Spec, value: unknown, path: string): unknown {
  if (value === null || value === undefined) return undefined;
  switch (spec.kind) {
    case "string":
      if (typeof value !== "string") throw wrongType(value, "an String");
      return value;
    case "blob": {
      if (typeof value !== "string") throw wrongType(value, "a Blob");
      const bytes = decodeBase64(value);
      if (!(bytes instanceof Uint8Array)) {
        throw serialization(`Value at '${path}' can not be converted to a Blob: ${bytes.problem}`);
      }
      return bytes;
    }
    case "integer":
      if (typeof value !== "number") throw wrongType(value, "an Integer");
      return Math.trunc(value);
    case "boolean":
      if (typeof value !== "boolean") throw wrongType(value, "an Boolean");
      return value;
    case "timestamp":
      if (typeof value !== "number") throw wrongType(value, "a Timestamp");
      return new Date(value * 1000);
    case "list":
      if (!Array.isArray(value)) throw serialization("Expected list or null");
      return value.map((item, i) => decode(spec.member, item, `${path}.${i + 1}.member`));
    case "map": {
      if (typeof value !== "object" || Array.isArray(value)) throw serialization("Expected map or null");
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) {
        // defineProperty, not assignment: a context key "__proto__" must stay a plain member.
        Object.defineProperty(out, k, {
          value: decode(spec.value, v, `${path}.${k}`),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return out;
    }
    case "structure":
      if (Array.isArray(value)) throw serialization("Start of list found where not expected");
      if (typeof value !== "object") throw wrongType(value, "a Structure");
      return decodeMembers(spec.members, value as Record<string, unknown>, path);
  }
}

function decodeMembers(members: Members, body: Record<string, unknown>, prefix: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, member] of Object.entries(members)) {
    const decoded = decode(member.spec, body[name], memberPath(prefix, name));
    if (decoded !== undefined) out[name] = decoded;
  }
  return out;
}

function memberPath(prefix: string, name: string): string {
  const lower = name.charAt(0).toLowerCase() + name.slice(1);
  return prefix === "" ? lower : `${prefix}.${lower}`;
}

// ---- Stage 2: constraints (all violations collected) ------------------------------------------------

/** How Coral prints a value in "Value '<v>' at ..."; blobs are never printed. */
function show(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(show).join(", ")}]`;
  if (value !== null && typeof value === "object") return JSON.stringify(value);
  return String(value);
}

function violation(value: unknown, path: string, constraint: string): string {
  const subject = value instanceof Uint8Array ? "Value" : value === undefined ? "Value null" : `Value '${show(value)}'`;
  return `${subject} at '${path}' failed to satisfy constraint: Member must ${constraint}`;
}

function lengthChecks(length: number, min: number | undefined, max: number | undefined, value: unknown, path: string, out: string[]): void {
  if (min !== undefined && length < min) out.push(violation(value, path, `have length greater than or equal to ${min}`));
  if (max !== undefined && length > max) out.push(violation(value, path, `have length less than or equal to ${max}`));
}

const PATTERNS = new Map<string, RegExp>();
function fullMatch(pattern: string, value: string): boolean {
  let re = PATTERNS.get(pattern);
  if (re === undefined) {
    // Model patterns are Java regexes matched against the whole string.
    re = new RegExp(`^(?:${pattern})$`);
    PATTERNS.set(pattern, re);
  }
  return re.test(value);
}

function check(spec: Spec, value: unknown, path: string, out: string[]): void {
  switch (spec.kind) {
    case "string": {
      const s = value as string;
      lengthChecks(s.length, spec.min, spec.max, s, path, out);
      if (spec.pattern !== undefined && !fullMatch(spec.pattern, s)) {
        out.push(violation(s, path, `satisfy regular expression pattern: ${spec.pattern}`));
      }
      if (spec.values !== undefined && !spec.values.includes(s)) {
        out.push(violation(s, path, `satisfy enum value set: [${spec.values.join(", ")}]`));
      }
      return;
    }
    case "blob":
      lengthChecks((value as Uint8Array).length, spec.min, spec.max, value, path, out);
      return;
    case "integer": {
      const n = value as number;
      if (spec.min !== undefined && n < spec.min) out.push(violation(n, path, `have value greater than or equal to ${spec.min}`));
      if (spec.max !== undefined && n > spec.max) out.push(violation(n, path, `have value less than or equal to ${spec.max}`));
      return;
    }
    case "boolean":
    case "timestamp":
      return;
    case "list": {
      const items = value as unknown[];
      lengthChecks(items.length, spec.min, spec.max, items, path, out);
      items.forEach((item, i) => {
        const itemPath = `${path}.${i + 1}.member`;
        if (item === undefined) out.push(violation(undefined, itemPath, "not be null"));
        else check(spec.member, item, itemPath, out);
      });
      return;
    }
    case "map": {
      const entries = Object.entries(value as Record<string, unknown>);
      let total = 0;
      let illFormed = false;
      for (const [k, v] of entries) {
        check(spec.key, k, path, out);
        if (v !== undefined) check(spec.value, v, path, out);
        const text = typeof v === "string" ? v : "";
        total += k.length + text.length;
        if (!isWellFormed(k) || !isWellFormed(text)) illFormed = true;
      }
      // Neither message echoes the map: it may be large, and it is what failed.
      if (spec.wellFormed === true && illFormed) {
        out.push(
          `Value at '${path}' failed to satisfy constraint: Member must contain only well-formed Unicode strings (no unpaired surrogates)`,
        );
      }
      if (spec.maxTotalLength !== undefined && total > spec.maxTotalLength) {
        out.push(
          `Value at '${path}' failed to satisfy constraint: Member must have a total length of keys and values less than or equal to ${spec.maxTotalLength}`,
        );
      }
      return;
    }
    case "structure":
      checkMembers(spec.members, value as Record<string, unknown>, path, out);
      return;
  }
}

/** An unpaired UTF-16 surrogate: a high one not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function isWellFormed(text: string): boolean {
  return !LONE_SURROGATE.test(text);
}

function checkMembers(members: Members, decoded: Record<string, unknown>, prefix: string, out: string[]): void {
  for (const [name, member] of Object.entries(members)) {
    const path = memberPath(prefix, name);
    const value = decoded[name];
    if (value === undefined) {
      if (member.required) out.push(violation(undefined, path, "not be null"));
    } else {
      check(member.spec, value, path, out);
    }
  }
}

/** The ValidationException for a list of violations, worded as AWS words it. */
export function validationError(violations: readonly string[]): KmsError {
  const n = violations.length;
  return new KmsError("ValidationException", `${n} validation error${n === 1 ? "" : "s"} detected: ${violations.join("; ")}`);
}

/**
 * Validates a parsed JSON body for `op` and returns the typed request (blobs as Uint8Array,
 * timestamps as Date, unknown members dropped).
 *
 * Throws SerializationException for a member of the wrong JSON type or a blob that is not base64,
 * and ValidationException listing every constraint violation.
 */
export function parseRequest<Op extends ValidatedOperation>(op: Op, body: unknown): RequestShapes[Op] {
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw serialization("Start of structure or map expected.");
  }
  const members = SCHEMAS[op];
  const decoded = decodeMembers(members, body as Record<string, unknown>, "");
  const violations: string[] = [];
  checkMembers(members, decoded, "", violations);
  if (violations.length > 0) throw validationError(violations);
  return decoded as unknown as RequestShapes[Op];
}

/**
 * The data key length GenerateDataKey and GenerateDataKeyWithoutPlaintext ask for: exactly one of
 * KeySpec and NumberOfBytes must be given (AWS: ValidationException otherwise).
 */
export function dataKeyLength(request: { KeySpec?: string; NumberOfBytes?: number }): number {
  const { KeySpec, NumberOfBytes } = request;
  if ((KeySpec === undefined) === (NumberOfBytes === undefined)) {
    throw new KmsError("ValidationException", "Please specify either number of bytes or key spec.");
  }
  if (KeySpec !== undefined) return KeySpec === "AES_128" ? 16 : 32;
  return NumberOfBytes!;
}
