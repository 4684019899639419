/**
 * A key's grants, kept in its KeyObject's SQLite storage (guide: "Using Grants", "Examining
 * Grants", Limits "Grants per CMK: 2500" and "Grants for a given principal per CMK: 30").
 *
 * The table is indexed by grantee principal: deciding a request looks up only the grants whose
 * grantee could be the caller (its ARN, its role's ARN, its account root, its account ID) plus
 * the grants named by valid grant tokens in the request — never every grant on the key — so the
 * cost of a decision does not grow with unrelated grants.
 *
 * ListRetirableGrants needs the grants of a retiring principal across keys and accounts: each
 * grant with a retiring principal is also indexed in the AccountRegistry of that principal's
 * account (same region as the key). Order, so that nothing is half-visible:
 * - create: the index entry is written first, then the grant (a failed index write leaves no
 *   grant; the grant write cannot fail after the checks, which run in the same exclusive step);
 * - retire/revoke: the index entry is removed first, then the grant;
 * - key deletion (`forgetAll`): every index entry of the key, then every grant.
 * Each step runs under `blockConcurrencyWhile`, so the key object answers nothing else between
 * the two writes.
 *
 * Security: grant tokens are authenticated (src/grants/token.ts) before they name anything; a
 * token for another key is ignored, a malformed one refused (InvalidGrantTokenException).
 */
import type { Principal } from "../src/auth/identities.ts";
import { newGrantId, openGrantToken, type GrantTokenClaims } from "../src/grants/token.ts";
import { isNarrowerOrEqual, constraintsOutput } from "../src/grants/rules.ts";
import { grantMatch, granteeMatch, type GrantAllowance, type GrantConstraints, type RequestContext } from "../src/policy/index.ts";
import { KmsError } from "../src/protocol/errors.ts";
import { parseArn, parseKeyArn } from "../src/arn.ts";
import type { RetirableGrantEntry } from "./account-registry.ts";
import type { CallFacts } from "../src/service/caller.ts";
import type { Env } from "./config.ts";

/** One grant as the key object stores it. */
export interface GrantRecord {
  grantId: string;
  name?: string;
  granteePrincipal: string;
  retiringPrincipal?: string;
  operations: string[];
  constraints?: GrantConstraints;
  /** The account root ARN under which the grant was issued (the key's account). */
  issuingAccount: string;
  creationDate: number;
}

/** GrantListEntry as ListGrants returns it. */
export interface GrantListItem {
  KeyId: string;
  GrantId: string;
  Name?: string;
  CreationDate: Date;
  GranteePrincipal: string;
  RetiringPrincipal?: string;
  IssuingAccount: string;
  Operations: string[];
  Constraints?: { EncryptionContextSubset?: Record<string, string>; EncryptionContextEquals?: Record<string, string> };
}

/** Optional deployment variables for the grant limits (AWS's defaults otherwise). */
interface GrantLimitVars {
  GRANTS_PER_KEY?: string;
  GRANTS_PER_GRANTEE_PER_KEY?: string;
}

export interface GrantLimits {
  perKey: number;
  perGranteePerKey: number;
}

function positive(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === "") return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`configuration ${name} must be a positive integer`);
  return n;
}

export function grantLimits(env: Env): GrantLimits {
  const vars = env as Env & GrantLimitVars;
  return {
    perKey: positive(vars.GRANTS_PER_KEY, 2500, "GRANTS_PER_KEY"),
    perGranteePerKey: positive(vars.GRANTS_PER_GRANTEE_PER_KEY, 30, "GRANTS_PER_GRANTEE_PER_KEY"),
  };
}

export function invalidGrantToken(): KmsError {
  return new KmsError("InvalidGrantTokenException", "The grant token is not valid.");
}

/** The grantee strings that can name this caller (see src/policy/evaluate.ts matchPrincipalSet). */
function granteeCandidates(p: Principal): string[] {
  const names = [p.arn, `arn:aws:iam::${p.accountId}:root`, p.accountId];
  if (p.type === "AssumedRole" && p.roleArn !== undefined) names.push(p.roleArn);
  return [...new Set(names)];
}

/** The account a principal belongs to (for the retirable-grants index); undefined for services. */
export function principalAccount(principal: string): string | undefined {
  if (/^\d{12}$/.test(principal)) return principal;
  const arn = parseArn(principal);
  return arn !== undefined && /^\d{12}$/.test(arn.account) ? arn.account : undefined;
}

type Row = {
  grant_id: string;
  seq: number;
  name: string | null;
  grantee: string;
  retiring: string | null;
  operations: string;
  constraints: string | null;
  issuing_account: string;
  created: number;
};

function fromRow(r: Row): GrantRecord {
  const g: GrantRecord = {
    grantId: r.grant_id,
    granteePrincipal: r.grantee,
    operations: JSON.parse(r.operations) as string[],
    issuingAccount: r.issuing_account,
    creationDate: r.created,
  };
  if (r.name !== null) g.name = r.name;
  if (r.retiring !== null) g.retiringPrincipal = r.retiring;
  if (r.constraints !== null) g.constraints = JSON.parse(r.constraints) as GrantConstraints;
  return g;
}

export function listItem(keyArn: string, g: GrantRecord): GrantListItem {
  const item: GrantListItem = {
    KeyId: keyArn,
    GrantId: g.grantId,
    CreationDate: new Date(g.creationDate),
    GranteePrincipal: g.granteePrincipal,
    IssuingAccount: g.issuingAccount,
    Operations: [...g.operations],
  };
  if (g.name !== undefined) item.Name = g.name;
  if (g.retiringPrincipal !== undefined) item.RetiringPrincipal = g.retiringPrincipal;
  const constraints = constraintsOutput(g.constraints);
  if (constraints !== undefined) item.Constraints = constraints;
  return item;
}

function retirableEntry(keyArn: string, g: GrantRecord & { retiringPrincipal: string }): RetirableGrantEntry {
  const item = listItem(keyArn, g);
  return { ...item, RetiringPrincipal: g.retiringPrincipal, CreationDate: g.creationDate };
}

/** True when two grants have the same parameters (CreateGrant's Name idempotence). */
export function sameGrantParameters(a: Omit<GrantRecord, "grantId" | "issuingAccount" | "creationDate">, b: GrantRecord): boolean {
  const ops = (x: readonly string[]) => JSON.stringify([...new Set(x)].sort());
  return (
    a.granteePrincipal === b.granteePrincipal &&
    a.retiringPrincipal === b.retiringPrincipal &&
    ops(a.operations) === ops(b.operations) &&
    JSON.stringify(constraintsOutput(a.constraints) ?? null) === JSON.stringify(constraintsOutput(b.constraints) ?? null)
  );
}

export class KeyGrants {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(`CREATE TABLE IF NOT EXISTS grants (
      grant_id TEXT PRIMARY KEY,
      seq INTEGER NOT NULL,
      name TEXT,
      grantee TEXT NOT NULL,
      retiring TEXT,
      operations TEXT NOT NULL,
      constraints TEXT,
      issuing_account TEXT NOT NULL,
      created INTEGER NOT NULL
    )`);
    sql.exec("CREATE INDEX IF NOT EXISTS grants_by_grantee ON grants (grantee)");
    sql.exec("CREATE INDEX IF NOT EXISTS grants_by_name ON grants (name)");
    sql.exec("CREATE UNIQUE INDEX IF NOT EXISTS grants_by_seq ON grants (seq)");
  }

  get(grantId: string): GrantRecord | undefined {
    const row = this.sql.exec<Row>("SELECT * FROM grants WHERE grant_id = ?", grantId).toArray()[0];
    return row === undefined ? undefined : fromRow(row);
  }

  withName(name: string): GrantRecord[] {
    return this.sql.exec<Row>("SELECT * FROM grants WHERE name = ? ORDER BY seq", name).toArray().map(fromRow);
  }

  count(): number {
    return this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM grants").one().n;
  }

  countForGrantee(grantee: string): number {
    return this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM grants WHERE grantee = ?", grantee).one().n;
  }

  insert(g: GrantRecord): void {
    const seq = this.sql.exec<{ s: number }>("SELECT COALESCE(MAX(seq), 0) + 1 AS s FROM grants").one().s;
    this.sql.exec(
      "INSERT INTO grants (grant_id, seq, name, grantee, retiring, operations, constraints, issuing_account, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
      g.grantId,
      seq,
      g.name ?? null,
      g.granteePrincipal,
      g.retiringPrincipal ?? null,
      JSON.stringify(g.operations),
      g.constraints === undefined ? null : JSON.stringify(g.constraints),
      g.issuingAccount,
      g.creationDate,
    );
  }

  remove(grantId: string): void {
    this.sql.exec("DELETE FROM grants WHERE grant_id = ?", grantId);
  }

  /** One page of ListGrants, in creation order; `after` is the position of the last item returned. */
  page(filter: { grantId?: string; grantee?: string }, limit: number, after: number): { items: GrantRecord[]; next?: number } {
    const where = ["seq > ?"];
    const args: (string | number)[] = [after];
    if (filter.grantId !== undefined) {
      where.push("grant_id = ?");
      args.push(filter.grantId);
    }
    if (filter.grantee !== undefined) {
      where.push("grantee = ?");
      args.push(filter.grantee);
    }
    const rows = this.sql
      .exec<Row>(`SELECT * FROM grants WHERE ${where.join(" AND ")} ORDER BY seq LIMIT ?`, ...args, limit + 1)
      .toArray();
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    return rows.length > limit && last !== undefined ? { items: items.map(fromRow), next: last.seq } : { items: items.map(fromRow) };
  }

  /**
   * The grants that apply to a request (grantee is the caller, or named by one of its valid grant
   * tokens for this key), with how they matched. For CreateGrant through a grant, only grants of
   * which the new grant is an equal or narrower copy count.
   * @throws InvalidGrantTokenException for a token that is not one this service issued
   */
  applicable(
    context: RequestContext,
    facts: CallFacts | undefined,
    keyArn: string,
    openToken: (token: string) => GrantTokenClaims | undefined,
  ): GrantAllowance[] {
    const candidates = new Map<string, GrantRecord>();
    for (const token of facts?.grantTokens ?? []) {
      const claims = openToken(token);
      if (claims === undefined) throw invalidGrantToken();
      if (claims.keyArn !== keyArn || candidates.has(claims.grantId)) continue;
      const g = this.get(claims.grantId);
      if (g !== undefined) candidates.set(g.grantId, g);
    }
    const names = granteeCandidates(context.principal);
    const rows = this.sql
      .exec<Row>(`SELECT * FROM grants WHERE grantee IN (${names.map(() => "?").join(", ")})`, ...names)
      .toArray();
    for (const r of rows) if (!candidates.has(r.grant_id)) candidates.set(r.grant_id, fromRow(r));

    const newGrant = context.action.toLowerCase() === "kms:creategrant" ? facts?.newGrant : undefined;
    const out: GrantAllowance[] = [];
    for (const g of candidates.values()) {
      const via = grantMatch(g, context);
      if (via === undefined) continue;
      if (newGrant !== undefined && !isNarrowerOrEqual(newGrant, g)) continue;
      out.push({ grantId: g.grantId, via });
    }
    return out;
  }

  /** Adds `g` to the retiring principal's index (when it has one) — the first write of a creation. */
  async index(env: Env, keyArn: string, g: GrantRecord): Promise<void> {
    if (g.retiringPrincipal === undefined) return;
    await registryFor(env, keyArn, g.retiringPrincipal).indexRetirableGrant(
      retirableEntry(keyArn, g as GrantRecord & { retiringPrincipal: string }),
    );
  }

  /** Removes `g` from the retiring principal's index — the first write of a retirement. */
  async unindex(env: Env, keyArn: string, g: GrantRecord): Promise<void> {
    if (g.retiringPrincipal === undefined) return;
    await registryFor(env, keyArn, g.retiringPrincipal).unindexRetirableGrant(g.retiringPrincipal, keyArn, g.grantId);
  }

  /**
   * Key deletion: every retiring-principal index entry of the key, then every grant (idempotent;
   * if an index cannot be reached the grants stay, so a retry finds them again).
   */
  async forgetAll(env: Env, keyArn: string): Promise<void> {
    const retiring = this.sql
      .exec<{ retiring: string }>("SELECT DISTINCT retiring FROM grants WHERE retiring IS NOT NULL")
      .toArray()
      .map((r) => r.retiring);
    const registries = new Set(retiring.map((p) => registryName(keyArn, p)));
    for (const name of registries) await env.ACCOUNTS.get(env.ACCOUNTS.idFromName(name)).forgetRetirableGrantsOfKey(keyArn);
    this.sql.exec("DELETE FROM grants");
  }
}

/** `${account}:${region}` of the registry that indexes grants of `retiringPrincipal` on `keyArn`. */
function registryName(keyArn: string, retiringPrincipal: string): string {
  const key = parseKeyArn(keyArn);
  if (key === undefined) throw new Error("grant index: not a key ARN");
  return `${principalAccount(retiringPrincipal) ?? key.account}:${key.region}`;
}

function registryFor(env: Env, keyArn: string, retiringPrincipal: string) {
  return env.ACCOUNTS.get(env.ACCOUNTS.idFromName(registryName(keyArn, retiringPrincipal)));
}

/** Opens grant tokens with the deployment's root key. */
export function tokenOpener(rootKey: () => Uint8Array): (token: string) => GrantTokenClaims | undefined {
  return (token) => openGrantToken(rootKey(), token);
}

/** CreateGrant's parameters after the handler's checks. */
export interface NewGrant {
  name?: string;
  granteePrincipal: string;
  retiringPrincipal?: string;
  operations: string[];
  constraints?: GrantConstraints;
}

/**
 * The grant a CreateGrant makes: the existing one when `Name` names a grant with the same
 * parameters (CreateGrant's retry idempotence), else a new record — refused at the limits.
 * @throws LimitExceededException
 */
export function prepareGrant(
  grants: KeyGrants,
  key: { arn: string; accountId: string },
  input: NewGrant,
  limits: GrantLimits,
  now: number,
): { record: GrantRecord; existing: boolean } {
  if (input.name !== undefined) {
    const same = grants.withName(input.name).find((g) => sameGrantParameters(input, g));
    if (same !== undefined) return { record: same, existing: true };
  }
  if (grants.count() >= limits.perKey) {
    throw new KmsError("LimitExceededException", `The key ${key.arn} already has the maximum of ${limits.perKey} grants.`);
  }
  if (grants.countForGrantee(input.granteePrincipal) >= limits.perGranteePerKey) {
    throw new KmsError(
      "LimitExceededException",
      `The key ${key.arn} already has the maximum of ${limits.perGranteePerKey} grants for grantee principal ${input.granteePrincipal}.`,
    );
  }
  const record: GrantRecord = {
    grantId: newGrantId(),
    granteePrincipal: input.granteePrincipal,
    operations: [...input.operations],
    issuingAccount: `arn:aws:iam::${key.accountId}:root`,
    creationDate: now,
  };
  if (input.name !== undefined) record.name = input.name;
  if (input.retiringPrincipal !== undefined) record.retiringPrincipal = input.retiringPrincipal;
  if (input.constraints !== undefined) record.constraints = input.constraints;
  return { record, existing: false };
}

/**
 * Who may retire a grant (KMS API Reference, RetireGrant; guide "Using Grants"): its retiring
 * principal, its grantee when the grant allows RetireGrant, and the root user of the key's account.
 * A principal named only through its account (an account as retiring principal or grantee) also
 * needs kms:RetireGrant from its own IAM policies, as with a key policy that names an account.
 */
export function mayRetire(g: GrantRecord, principal: Principal, keyAccount: string, iamAllowsRetire: () => boolean): boolean {
  if (principal.type === "Root" && principal.accountId === keyAccount) return true;
  const named: (string | undefined)[] = [g.retiringPrincipal];
  if (g.operations.includes("RetireGrant")) named.push(g.granteePrincipal);
  let viaAccount = false;
  for (const p of named) {
    if (p === undefined) continue;
    const via = granteeMatch(p, principal);
    if (via === "principal") return true;
    if (via === "account") viaAccount = true;
  }
  return viaAccount && iamAllowsRetire();
}

export function grantNotFound(grantId: string, keyArn: string): KmsError {
  return new KmsError("NotFoundException", `Grant ID ${grantId} not found for key ${keyArn}.`);
}
