/**
 * The fuzzer's seed corpus: a small set of fixture resources created through the API (keys in
 * each state, aliases, grants with their tokens, ciphertext blobs, import parameters), and a valid
 * example request for every TrentService operation built from them. Mutators start from these
 * examples, so most mutants get past the first checks and reach deeper code.
 *
 * Fixtures drift as successful mutants change them (a key gets disabled, a grant revoked, an
 * import token spent); `repair` puts each back, or replaces what cannot be put back, so the corpus
 * keeps covering every state.
 */
import { constants, createPublicKey, publicEncrypt, randomBytes } from "node:crypto";
import { OPERATIONS } from "../../src/protocol/operations.ts";
import type { Transport } from "./transport.ts";

export const ACCOUNT = "111122223333";
export const EXTERNAL_ACCOUNT = "444455556666";
/** The root identity of each account, which the fuzzer uses for set-up, repairs and digests. */
export const ROOTS = { [ACCOUNT]: "test", [EXTERNAL_ACCOUNT]: "external" } as const;
export const IDENTITIES = ["test", "alice", "bob", "charlie", "external"] as const;

/** Operations whose success may change what the state digest covers. */
export const MUTATING: ReadonlySet<string> = new Set([
  "CreateKey",
  "EnableKey",
  "DisableKey",
  "UpdateKeyDescription",
  "EnableKeyRotation",
  "DisableKeyRotation",
  "ScheduleKeyDeletion",
  "CancelKeyDeletion",
  "GetParametersForImport",
  "ImportKeyMaterial",
  "DeleteImportedKeyMaterial",
  "CreateAlias",
  "UpdateAlias",
  "DeleteAlias",
  "TagResource",
  "UntagResource",
  "PutKeyPolicy",
  "CreateGrant",
  "RetireGrant",
  "RevokeGrant",
]);

export type FixtureRole = "main" | "policy" | "disabled" | "deleting" | "external" | "pendingImport";
const ROLES: readonly FixtureRole[] = ["main", "policy", "disabled", "deleting", "external", "pendingImport"];

export interface FixtureKey {
  role: FixtureRole;
  keyId: string;
  arn: string;
  alias: string;
}

export interface Corpus {
  run: string;
  keys: Record<FixtureRole, FixtureKey>;
  /** Base64 blobs: under main with CONTEXT, under main without context, under the disabled key. */
  blobs: { withContext: string; plain: string; disabled: string; dataKey: string };
  grant: { id: string; token: string; keyId: string };
  /** Import parameters for the external key (re-import of its material) and the pending one. */
  imports: Partial<Record<"external" | "pendingImport", { token: string; wrapped: string }>>;
  /** The external key's material (32 bytes), so it can be re-imported. */
  material: Buffer;
  otherAccountKey: { keyId: string; arn: string };
}

export const CONTEXT = { tenant: "alice", purpose: "fuzz" };

/** A valid request of one operation: who sends it, its body, and the fixture keys it names. */
export interface Example {
  op: string;
  identity: string;
  body: Record<string, unknown>;
  /** Key IDs the request names (so the state check knows what to look at). */
  keys: string[];
  /** What the example carries that mutators target specially. */
  traits: ReadonlySet<"blob" | "policy" | "grantToken" | "importToken" | "context" | "tags" | "keyId">;
  /** How often it is chosen relative to others (operations EdgeKMS does not implement: rarely). */
  weight: number;
}

const b64 = (b: Uint8Array | string) => Buffer.from(b).toString("base64");

function json<T>(o: { json?: unknown }): T {
  return o.json as T;
}

interface KeyMetadata {
  KeyId: string;
  Arn: string;
  KeyState: string;
  Origin: string;
}

async function createKey(t: Transport, identity: string, input: object = {}): Promise<KeyMetadata> {
  return json<{ KeyMetadata: KeyMetadata }>(await t.call(identity, "CreateKey", input)).KeyMetadata;
}

function wrap(publicKeyB64: string, material: Buffer): string {
  const key = createPublicKey({ key: Buffer.from(publicKeyB64, "base64"), format: "der", type: "spki" });
  return b64(publicEncrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" }, material));
}

async function importParameters(t: Transport, keyId: string, material: Buffer): Promise<{ token: string; wrapped: string }> {
  const p = json<{ ImportToken: string; PublicKey: string }>(
    await t.call("test", "GetParametersForImport", { KeyId: keyId, WrappingAlgorithm: "RSAES_OAEP_SHA_256", WrappingKeySpec: "RSA_2048" }),
  );
  return { token: p.ImportToken, wrapped: wrap(p.PublicKey, material) };
}

async function newFixtureKey(t: Transport, run: string, role: FixtureRole, material: Buffer): Promise<FixtureKey> {
  const external = role === "external" || role === "pendingImport";
  const meta = await createKey(t, "test", {
    Description: `fuzz ${role}`,
    ...(external ? { Origin: "EXTERNAL" } : {}),
    Tags: [{ TagKey: "fuzz", TagValue: role }],
  });
  const alias = `alias/fuzz-${run}-${role}-${meta.KeyId.slice(0, 8)}`;
  await t.call("test", "CreateAlias", { AliasName: alias, TargetKeyId: meta.KeyId });
  const key = { role, keyId: meta.KeyId, arn: meta.Arn, alias };
  if (role === "external") {
    const p = await importParameters(t, meta.KeyId, material);
    await t.call("test", "ImportKeyMaterial", {
      KeyId: meta.KeyId,
      ImportToken: p.token,
      EncryptedKeyMaterial: p.wrapped,
      ExpirationModel: "KEY_MATERIAL_DOES_NOT_EXPIRE",
    });
  }
  return key;
}

/** Creates the fixtures (in account 111122223333, plus one key in 444455556666). */
export async function buildCorpus(t: Transport, run: string): Promise<Corpus> {
  const material = randomBytes(32);
  const keys = {} as Record<FixtureRole, FixtureKey>;
  for (const role of ROLES) keys[role] = await newFixtureKey(t, run, role, material);
  const other = await createKey(t, "external", { Description: "fuzz other account" });
  const corpus: Corpus = {
    run,
    keys,
    blobs: { withContext: "", plain: "", disabled: "", dataKey: "" },
    grant: { id: "", token: "", keyId: keys.main.keyId },
    imports: {},
    material,
    otherAccountKey: { keyId: other.KeyId, arn: other.Arn },
  };
  await repair(t, corpus);
  return corpus;
}

async function describe(t: Transport, keyId: string): Promise<KeyMetadata | undefined> {
  const out = await t.call("test", "DescribeKey", { KeyId: keyId }, false);
  return out.status === 200 ? json<{ KeyMetadata: KeyMetadata }>(out).KeyMetadata : undefined;
}

function defaultPolicy(): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Id: "key-default-1",
    Statement: [
      {
        Sid: "Enable IAM User Permissions",
        Effect: "Allow",
        Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
        Action: "kms:*",
        Resource: "*",
      },
    ],
  });
}

/** Brings one fixture key back to its role's state; false when it cannot be (then it is replaced). */
async function restoreKey(t: Transport, key: FixtureKey, corpus: Corpus): Promise<boolean> {
  const ok = async (op: string, input: object) => (await t.call("test", op, input, false)).status === 200;
  let meta = await describe(t, key.keyId);
  if (meta === undefined) return false;
  // The key policy may have been replaced by a successful mutant: put the default back.
  if (!(await ok("PutKeyPolicy", { KeyId: key.keyId, PolicyName: "default", Policy: defaultPolicy() }))) return false;
  if (meta.KeyState === "PendingDeletion" && key.role !== "deleting") await ok("CancelKeyDeletion", { KeyId: key.keyId });
  meta = await describe(t, key.keyId);
  if (meta === undefined) return false;
  const state = meta.KeyState;
  switch (key.role) {
    case "main":
    case "policy":
      if (state === "Disabled") await ok("EnableKey", { KeyId: key.keyId });
      break;
    case "disabled":
      if (state === "Enabled") await ok("DisableKey", { KeyId: key.keyId });
      break;
    case "deleting":
      if (state !== "PendingDeletion") await ok("ScheduleKeyDeletion", { KeyId: key.keyId, PendingWindowInDays: 30 });
      break;
    case "external":
      if (state === "Disabled") await ok("EnableKey", { KeyId: key.keyId });
      if ((await describe(t, key.keyId))?.KeyState === "PendingImport") {
        const p = await importParameters(t, key.keyId, corpus.material);
        await ok("ImportKeyMaterial", {
          KeyId: key.keyId,
          ImportToken: p.token,
          EncryptedKeyMaterial: p.wrapped,
          ExpirationModel: "KEY_MATERIAL_DOES_NOT_EXPIRE",
        });
      }
      break;
    case "pendingImport":
      if (state !== "PendingImport") await ok("DeleteImportedKeyMaterial", { KeyId: key.keyId });
      break;
  }
  // The alias may have been deleted or pointed elsewhere.
  if (!(await ok("UpdateAlias", { AliasName: key.alias, TargetKeyId: key.keyId })))
    await ok("CreateAlias", { AliasName: key.alias, TargetKeyId: key.keyId });
  const want: Record<FixtureRole, string> = {
    main: "Enabled",
    policy: "Enabled",
    disabled: "Disabled",
    deleting: "PendingDeletion",
    external: "Enabled",
    pendingImport: "PendingImport",
  };
  return (await describe(t, key.keyId))?.KeyState === want[key.role];
}

/**
 * Puts the fixtures back as `buildCorpus` made them (replacing a key that cannot be restored) and
 * renews what successful mutants use up: blobs, the grant and its token, import parameters.
 */
export async function repair(t: Transport, corpus: Corpus): Promise<void> {
  for (const role of ROLES) {
    if (!(await restoreKey(t, corpus.keys[role], corpus))) {
      corpus.keys[role] = await newFixtureKey(t, corpus.run, role, corpus.material);
      await restoreKey(t, corpus.keys[role], corpus);
    }
  }
  const main = corpus.keys.main.keyId;
  const encrypt = async (keyId: string, context?: object) =>
    json<{ CiphertextBlob: string }>(
      await t.call("test", "Encrypt", {
        KeyId: keyId,
        Plaintext: b64("fuzz plaintext"),
        ...(context ? { EncryptionContext: context } : {}),
      }),
    ).CiphertextBlob;
  corpus.blobs.withContext = await encrypt(main, CONTEXT);
  corpus.blobs.plain = await encrypt(main);
  corpus.blobs.dataKey = json<{ CiphertextBlob: string }>(
    await t.call("test", "GenerateDataKeyWithoutPlaintext", { KeyId: main, KeySpec: "AES_256", EncryptionContext: CONTEXT }),
  ).CiphertextBlob;
  // The disabled key's blob is made while it is briefly enabled.
  const disabled = corpus.keys.disabled.keyId;
  await t.call("test", "EnableKey", { KeyId: disabled });
  corpus.blobs.disabled = await encrypt(disabled);
  await t.call("test", "DisableKey", { KeyId: disabled });
  const grant = json<{ GrantId: string; GrantToken: string }>(
    await t.call("test", "CreateGrant", {
      KeyId: main,
      GranteePrincipal: `arn:aws:iam::${ACCOUNT}:user/alice`,
      RetiringPrincipal: `arn:aws:iam::${ACCOUNT}:user/bob`,
      Operations: ["Encrypt", "Decrypt", "GenerateDataKey", "CreateGrant", "RetireGrant", "DescribeKey"],
      Constraints: { EncryptionContextSubset: { tenant: "alice" } },
      Name: `fuzz-${corpus.run}`,
    }),
  );
  corpus.grant = { id: grant.GrantId, token: grant.GrantToken, keyId: main };
  corpus.imports.external = await importParameters(t, corpus.keys.external.keyId, corpus.material);
  corpus.imports.pendingImport = await importParameters(t, corpus.keys.pendingImport.keyId, randomBytes(32));
}

/** Every fixture key ID (for the state check's per-key view). */
export function fixtureKeyIds(corpus: Corpus): string[] {
  return [...ROLES.map((r) => corpus.keys[r].keyId), corpus.otherAccountKey.keyId];
}

/** The ways a request can name a key: ID, ARN, alias name, alias ARN. */
export function keyNames(key: FixtureKey): string[] {
  return [key.keyId, key.arn, key.alias, `arn:aws:kms:us-east-1:${ACCOUNT}:${key.alias}`];
}

/** A valid example of every operation (unsupported ones with an empty body), built fresh from the corpus. */
export function examples(corpus: Corpus): Example[] {
  const k = corpus.keys;
  const out: Example[] = [];
  const add = (
    op: string,
    body: Record<string, unknown>,
    keys: FixtureKey[] | string[],
    traits: Example["traits"] = new Set(["keyId"]),
    identity = "test",
  ) => out.push({ op, identity, body, keys: keys.map((x) => (typeof x === "string" ? x : x.keyId)), traits, weight: 1 });
  const byName = (key: FixtureKey, i = 0) => keyNames(key)[i % 4]!;
  const none = new Set<never>() as Example["traits"];

  add("CreateKey", { Description: "fuzz created", Tags: [{ TagKey: "t", TagValue: "v" }] }, [], new Set(["tags"]));
  add(
    "CreateKey",
    { Policy: defaultPolicy(), KeyUsage: "ENCRYPT_DECRYPT", KeySpec: "SYMMETRIC_DEFAULT", Origin: "AWS_KMS" },
    [],
    new Set(["policy"]),
  );
  add("DescribeKey", { KeyId: byName(k.main, 2), GrantTokens: [corpus.grant.token] }, [k.main], new Set(["keyId", "grantToken"]));
  add("DescribeKey", { KeyId: corpus.otherAccountKey.arn }, [corpus.otherAccountKey.keyId]);
  add("ListKeys", { Limit: 10 }, [], none);
  add("EnableKey", { KeyId: byName(k.main, 1) }, [k.main]);
  add("DisableKey", { KeyId: k.disabled.keyId }, [k.disabled]);
  add("UpdateKeyDescription", { KeyId: k.policy.keyId, Description: "fuzz description" }, [k.policy]);
  add("EnableKeyRotation", { KeyId: k.main.keyId, RotationPeriodInDays: 365 }, [k.main]);
  add("DisableKeyRotation", { KeyId: k.policy.keyId }, [k.policy]);
  add("GetKeyRotationStatus", { KeyId: byName(k.main, 3) }, [k.main]);
  add("ScheduleKeyDeletion", { KeyId: k.deleting.keyId, PendingWindowInDays: 7 }, [k.deleting]);
  add("CancelKeyDeletion", { KeyId: k.deleting.keyId }, [k.deleting]);
  add("GetParametersForImport", { KeyId: k.pendingImport.keyId, WrappingAlgorithm: "RSAES_OAEP_SHA_256", WrappingKeySpec: "RSA_2048" }, [
    k.pendingImport,
  ]);
  for (const role of ["external", "pendingImport"] as const) {
    const p = corpus.imports[role];
    if (p !== undefined) {
      add(
        "ImportKeyMaterial",
        {
          KeyId: k[role].keyId,
          ImportToken: p.token,
          EncryptedKeyMaterial: p.wrapped,
          ExpirationModel: "KEY_MATERIAL_EXPIRES",
          ValidTo: Math.floor(Date.now() / 1000) + 86400 * 30,
        },
        [k[role]],
        new Set(["keyId", "importToken"]),
      );
    }
  }
  add("DeleteImportedKeyMaterial", { KeyId: k.pendingImport.keyId }, [k.pendingImport]);
  add("CreateAlias", { AliasName: `alias/fuzz-${corpus.run}-new`, TargetKeyId: k.main.keyId }, [k.main]);
  add("UpdateAlias", { AliasName: k.main.alias, TargetKeyId: k.main.keyId }, [k.main]);
  add("DeleteAlias", { AliasName: `alias/fuzz-${corpus.run}-new` }, [], none);
  add("ListAliases", { KeyId: k.main.keyId, Limit: 50 }, [k.main]);
  add(
    "Encrypt",
    { KeyId: byName(k.main, 2), Plaintext: b64("hello"), EncryptionContext: CONTEXT },
    [k.main],
    new Set(["keyId", "context"]),
  );
  add(
    "Encrypt",
    { KeyId: k.main.keyId, Plaintext: b64("hello"), EncryptionContext: CONTEXT, GrantTokens: [corpus.grant.token] },
    [k.main],
    new Set(["keyId", "context", "grantToken"]),
    "alice",
  );
  add("Decrypt", { CiphertextBlob: corpus.blobs.withContext, EncryptionContext: CONTEXT }, [k.main], new Set(["blob", "context"]));
  add(
    "Decrypt",
    { CiphertextBlob: corpus.blobs.plain, KeyId: k.main.arn, GrantTokens: [corpus.grant.token] },
    [k.main],
    new Set(["blob", "grantToken"]),
    "alice",
  );
  add("Decrypt", { CiphertextBlob: corpus.blobs.disabled }, [k.disabled], new Set(["blob"]));
  add("Decrypt", { CiphertextBlob: corpus.blobs.dataKey, EncryptionContext: CONTEXT }, [k.main], new Set(["blob", "context"]));
  add(
    "ReEncrypt",
    {
      CiphertextBlob: corpus.blobs.withContext,
      SourceEncryptionContext: CONTEXT,
      DestinationKeyId: k.policy.alias,
      DestinationEncryptionContext: { moved: "yes" },
    },
    [k.main, k.policy],
    new Set(["blob", "context", "keyId"]),
  );
  add("GenerateDataKey", { KeyId: k.main.alias, KeySpec: "AES_256", EncryptionContext: CONTEXT }, [k.main], new Set(["keyId", "context"]));
  add("GenerateDataKey", { KeyId: k.external.keyId, NumberOfBytes: 64 }, [k.external]);
  add("GenerateDataKeyWithoutPlaintext", { KeyId: k.main.keyId, KeySpec: "AES_128" }, [k.main]);
  add("GenerateRandom", { NumberOfBytes: 32 }, [], none);
  add(
    "TagResource",
    {
      KeyId: k.policy.keyId,
      Tags: [
        { TagKey: "fuzz", TagValue: "policy" },
        { TagKey: "team", TagValue: "blue" },
      ],
    },
    [k.policy],
    new Set(["keyId", "tags"]),
  );
  add("UntagResource", { KeyId: k.policy.keyId, TagKeys: ["team"] }, [k.policy], new Set(["keyId", "tags"]));
  add("ListResourceTags", { KeyId: k.main.keyId, Limit: 10 }, [k.main]);
  add("GetKeyPolicy", { KeyId: k.main.keyId, PolicyName: "default" }, [k.main]);
  add("PutKeyPolicy", { KeyId: k.policy.keyId, PolicyName: "default", Policy: defaultPolicy() }, [k.policy], new Set(["keyId", "policy"]));
  add(
    "PutKeyPolicy",
    {
      KeyId: k.policy.keyId,
      Policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          { Sid: "root", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: "kms:*", Resource: "*" },
          {
            Sid: "tenant",
            Effect: "Allow",
            Principal: { AWS: [`arn:aws:iam::${ACCOUNT}:user/alice`] },
            Action: ["kms:Encrypt", "kms:Decrypt"],
            Resource: "*",
            Condition: { StringEquals: { "kms:EncryptionContext:tenant": "${aws:username}" }, Bool: { "aws:SecureTransport": "false" } },
          },
          { Effect: "Deny", NotPrincipal: { AWS: [`arn:aws:iam::${ACCOUNT}:root`] }, Action: "kms:ScheduleKeyDeletion", Resource: "*" },
        ],
      }),
    },
    [k.policy],
    new Set(["keyId", "policy"]),
  );
  add("ListKeyPolicies", { KeyId: k.main.keyId }, [k.main]);
  add(
    "CreateGrant",
    {
      KeyId: k.main.keyId,
      GranteePrincipal: `arn:aws:iam::${ACCOUNT}:user/bob`,
      Operations: ["Decrypt"],
      Constraints: { EncryptionContextEquals: CONTEXT },
      Name: "fuzz-child",
    },
    [k.main],
    new Set(["keyId", "context"]),
  );
  add(
    "CreateGrant",
    {
      KeyId: k.main.keyId,
      GranteePrincipal: `arn:aws:iam::${ACCOUNT}:user/charlie`,
      Operations: ["Decrypt"],
      Constraints: { EncryptionContextSubset: { tenant: "alice" } },
      GrantTokens: [corpus.grant.token],
    },
    [k.main],
    new Set(["keyId", "grantToken", "context"]),
    "alice",
  );
  add("ListGrants", { KeyId: k.main.keyId, Limit: 10 }, [k.main]);
  add("ListRetirableGrants", { RetiringPrincipal: `arn:aws:iam::${ACCOUNT}:user/bob` }, [], none);
  add("RetireGrant", { GrantToken: corpus.grant.token }, [corpus.grant.keyId], new Set(["grantToken"]), "bob");
  add("RetireGrant", { KeyId: k.main.arn, GrantId: corpus.grant.id }, [k.main], new Set(["keyId"]), "bob");
  add("RevokeGrant", { KeyId: k.main.keyId, GrantId: corpus.grant.id }, [k.main]);
  for (const op of OPERATIONS) {
    if (out.some((e) => e.op === op)) continue;
    add(op, {}, [], none);
    out[out.length - 1]!.weight = 0.1;
  }
  return out;
}
