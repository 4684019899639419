/**
 * Who may call EdgeKMS: accounts, principals (account root, IAM users, assumed-role sessions),
 * their access keys, and the IAM policies attached to them (kept as JSON policy documents for the
 * policy engine).
 *
 * Configuration: the worker passes the `EDGEKMS_IDENTITIES` secret to `loadIdentities`. It is a
 * JSON document of this form (all members shown; `policies`, `userName`/`roleName`/`sessionName`,
 * `principalId`, `sessionToken` and `region` are optional where they do not apply):
 *
 *   {
 *     "region": "us-east-1",
 *     "credentials": [
 *       { "accessKeyId": "AKIA...", "secretAccessKey": "...",
 *         "principal": { "type": "Root", "accountId": "111122223333" } },
 *       { "accessKeyId": "AKIA...", "secretAccessKey": "...",
 *         "principal": { "type": "IAMUser", "accountId": "111122223333", "userName": "alice",
 *                        "principalId": "AIDA...", "policies": [ { "Version": "2012-10-17", "Statement": [...] } ] } },
 *       { "accessKeyId": "ASIA...", "secretAccessKey": "...", "sessionToken": "...",
 *         "principal": { "type": "AssumedRole", "accountId": "111122223333", "roleName": "deployer",
 *                        "sessionName": "ci", "policies": [...] } }
 *     ]
 *   }
 *
 * Without a configuration the local default applies (region us-east-1): `test`/`test` is the root
 * of account 111122223333; `alice`/`alice` an IAM user there with no policy; `bob`/`bob` one whose
 * policy allows kms:* on *; `charlie`/`charlie` one whose policy denies kms:* on *; and
 * `external`/`external` the root of account 444455556666. These are for local use only.
 *
 * Security: secret access keys never appear in error messages; a bad configuration is reported by
 * the path of the offending member.
 */

export type PrincipalType = "Root" | "IAMUser" | "AssumedRole";

/** An IAM policy document (JSON), evaluated by the policy engine. */
export type PolicyDocument = Record<string, unknown>;

export interface Principal {
  type: PrincipalType;
  accountId: string;
  /** arn:aws:iam::<acct>:root, arn:aws:iam::<acct>:user/<name>, arn:aws:sts::<acct>:assumed-role/<role>/<session>. */
  arn: string;
  /** AWS's unique ID: the account ID for root, AIDA... for users, AROA...:<session> for role sessions. */
  principalId: string;
  userName?: string;
  roleName?: string;
  /** For assumed roles: arn:aws:iam::<acct>:role/<role>, the ARN policies name the role by. */
  roleArn?: string;
  sessionName?: string;
  /** Identity-based policies attached to the user or role (none for root). */
  policies: PolicyDocument[];
}

export interface Credential {
  accessKeyId: string;
  secretAccessKey: string;
  /** Required in the request's X-Amz-Security-Token when set (temporary credentials). */
  sessionToken?: string;
  principal: Principal;
}

export interface Account {
  accountId: string;
  principals: Principal[];
}

export interface Identities {
  region: string;
  credentials: readonly Credential[];
  accounts: readonly Account[];
  /** The credential with this access key ID, if any. */
  credential(accessKeyId: string): Credential | undefined;
}

export class IdentityConfigError extends Error {
  constructor(message: string) {
    super(`EDGEKMS_IDENTITIES: ${message}`);
    this.name = "IdentityConfigError";
  }
}

const ALLOW_ALL: PolicyDocument = {
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Action: "kms:*", Resource: "*" }],
};
const DENY_ALL: PolicyDocument = {
  Version: "2012-10-17",
  Statement: [{ Effect: "Deny", Action: "kms:*", Resource: "*" }],
};

/** The local default configuration (see the module comment). */
export const DEFAULT_IDENTITIES_CONFIG = {
  region: "us-east-1",
  credentials: [
    { accessKeyId: "test", secretAccessKey: "test", principal: { type: "Root", accountId: "111122223333" } },
    {
      accessKeyId: "alice",
      secretAccessKey: "alice",
      principal: { type: "IAMUser", accountId: "111122223333", userName: "alice" },
    },
    {
      accessKeyId: "bob",
      secretAccessKey: "bob",
      principal: { type: "IAMUser", accountId: "111122223333", userName: "bob", policies: [ALLOW_ALL] },
    },
    {
      accessKeyId: "charlie",
      secretAccessKey: "charlie",
      principal: { type: "IAMUser", accountId: "111122223333", userName: "charlie", policies: [DENY_ALL] },
    },
    { accessKeyId: "external", secretAccessKey: "external", principal: { type: "Root", accountId: "444455556666" } },
  ],
};

const ACCOUNT_ID = /^\d{12}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;
// IAM user and role names: 1-64 characters of [\w+=,.@-]; session names 2-64 of [\w+=,.@-].
const IAM_NAME = /^[\w+=,.@-]{1,64}$/;
const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;
const ACCESS_KEY_ID = /^[\w]{1,128}$/;

/**
 * Parses and validates an identity configuration; `undefined` or an empty string gives the local
 * default. Throws IdentityConfigError naming the first problem found.
 */
export function loadIdentities(config: string | undefined): Identities {
  let raw: unknown = DEFAULT_IDENTITIES_CONFIG;
  if (config !== undefined && config.trim() !== "") {
    try {
      raw = JSON.parse(config);
    } catch {
      throw new IdentityConfigError("is not valid JSON");
    }
  }
  return build(raw);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function stringAt(obj: Record<string, unknown>, key: string, path: string, pattern?: RegExp, what?: string): string {
  const v = obj[key];
  if (typeof v !== "string" || v === "") throw new IdentityConfigError(`${path}.${key} must be a non-empty string`);
  if (pattern !== undefined && !pattern.test(v)) throw new IdentityConfigError(`${path}.${key} must be ${what}`);
  return v;
}

function optionalString(obj: Record<string, unknown>, key: string, path: string): string | undefined {
  if (obj[key] === undefined) return undefined;
  return stringAt(obj, key, path);
}

function build(raw: unknown): Identities {
  if (!isObject(raw)) throw new IdentityConfigError("must be a JSON object");
  const region = raw.region === undefined ? "us-east-1" : stringAt(raw, "region", "", REGION, "an AWS region name such as us-east-1");
  if (!Array.isArray(raw.credentials) || raw.credentials.length === 0) {
    throw new IdentityConfigError("credentials must be a non-empty array");
  }
  const byKey = new Map<string, Credential>();
  const principalsByArn = new Map<string, Principal>();
  raw.credentials.forEach((entry: unknown, i: number) => {
    const path = `credentials[${i}]`;
    if (!isObject(entry)) throw new IdentityConfigError(`${path} must be an object`);
    const accessKeyId = stringAt(entry, "accessKeyId", path, ACCESS_KEY_ID, "1-128 letters, digits or underscores");
    const secretAccessKey = stringAt(entry, "secretAccessKey", path);
    const sessionToken = optionalString(entry, "sessionToken", path);
    if (byKey.has(accessKeyId)) throw new IdentityConfigError(`${path}.accessKeyId duplicates an earlier access key`);
    let principal = buildPrincipal(entry.principal, `${path}.principal`);
    if (principal.type === "AssumedRole" && sessionToken === undefined) {
      throw new IdentityConfigError(`${path}.sessionToken is required for an AssumedRole principal`);
    }
    // Several keys of one principal share one Principal object (and its policies).
    const existing = principalsByArn.get(principal.arn);
    if (existing === undefined) principalsByArn.set(principal.arn, principal);
    else principal = existing;
    byKey.set(accessKeyId, { accessKeyId, secretAccessKey, ...(sessionToken === undefined ? {} : { sessionToken }), principal });
  });
  const accounts = new Map<string, Account>();
  for (const p of principalsByArn.values()) {
    const account = accounts.get(p.accountId) ?? { accountId: p.accountId, principals: [] };
    account.principals.push(p);
    accounts.set(p.accountId, account);
  }
  const credentials = [...byKey.values()];
  return {
    region,
    credentials,
    accounts: [...accounts.values()],
    credential: (accessKeyId) => byKey.get(accessKeyId),
  };
}

function buildPrincipal(raw: unknown, path: string): Principal {
  if (!isObject(raw)) throw new IdentityConfigError(`${path} must be an object`);
  const accountId = stringAt(raw, "accountId", path, ACCOUNT_ID, "a 12-digit account ID");
  const policies = buildPolicies(raw.policies, `${path}.policies`);
  const explicitId = optionalString(raw, "principalId", path);
  switch (raw.type) {
    case "Root":
      if (policies.length > 0) throw new IdentityConfigError(`${path}.policies cannot be attached to an account root`);
      return { type: "Root", accountId, arn: `arn:aws:iam::${accountId}:root`, principalId: explicitId ?? accountId, policies };
    case "IAMUser": {
      const userName = stringAt(raw, "userName", path, IAM_NAME, "1-64 characters of letters, digits and +=,.@_-");
      return {
        type: "IAMUser",
        accountId,
        arn: `arn:aws:iam::${accountId}:user/${userName}`,
        principalId: explicitId ?? uniqueId("AIDA", `${accountId}:user/${userName}`),
        userName,
        policies,
      };
    }
    case "AssumedRole": {
      const roleName = stringAt(raw, "roleName", path, IAM_NAME, "1-64 characters of letters, digits and +=,.@_-");
      const sessionName = stringAt(raw, "sessionName", path, SESSION_NAME, "2-64 characters of letters, digits and +=,.@_-");
      return {
        type: "AssumedRole",
        accountId,
        arn: `arn:aws:sts::${accountId}:assumed-role/${roleName}/${sessionName}`,
        principalId: `${explicitId ?? uniqueId("AROA", `${accountId}:role/${roleName}`)}:${sessionName}`,
        roleName,
        roleArn: `arn:aws:iam::${accountId}:role/${roleName}`,
        sessionName,
        policies,
      };
    }
    default:
      throw new IdentityConfigError(`${path}.type must be "Root", "IAMUser" or "AssumedRole"`);
  }
}

function buildPolicies(raw: unknown, path: string): PolicyDocument[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) throw new IdentityConfigError(`${path} must be an array of policy documents`);
  return raw.map((doc: unknown, i: number) => {
    if (!isObject(doc)) throw new IdentityConfigError(`${path}[${i}] must be a JSON object`);
    const statement = doc.Statement;
    if (!(isObject(statement) || (Array.isArray(statement) && statement.every(isObject)))) {
      throw new IdentityConfigError(`${path}[${i}].Statement must be a statement object or an array of them`);
    }
    return doc;
  });
}

const ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/**
 * A stable AWS-style unique ID ("AIDA" + 17 characters) derived from the principal's name, so that
 * the same configuration always yields the same IDs. Not secret and not cryptographic: AWS's IDs
 * are opaque too, and configurations may set `principalId` explicitly.
 */
function uniqueId(prefix: string, name: string): string {
  // Two 32-bit FNV-1a streams with different seeds give enough bits for 17 base-32 characters.
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193) >>> 0;
    h2 = Math.imul(h2 ^ c, 0x01000193 + 2) >>> 0;
  }
  let out = prefix;
  let bits = (BigInt(h1) << 32n) | BigInt(h2);
  for (let i = 0; i < 17; i++) {
    // Refill from a rehash when the 64 bits run out (17 x 5 = 85 bits).
    if (i === 12) bits = (BigInt(Math.imul(h1 ^ h2, 0x27d4eb2d) >>> 0) << 32n) | BigInt(h2 ^ 0x9e3779b9);
    out += ID_ALPHABET[Number(bits & 31n)];
    bits >>= 5n;
  }
  return out;
}
