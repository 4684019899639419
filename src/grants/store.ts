/**
 * A key's grants in the key's own store (src/store/port.ts), and the rules around them (guide:
 * "Using Grants", "Examining Grants", Limits "Grants per CMK: 2500" and "Grants for a given
 * principal per CMK: 30").
 *
 * Grants are indexed by grantee principal: deciding a request looks up only the grants whose
 * grantee could be the caller (its ARN, its role's ARN, its account root, its account ID) plus
 * the grants named by valid grant tokens in the request — never every grant on the key — so the
 * cost of a decision does not grow with unrelated grants. The limits are counter entries, so an
 * optimistic store sees two concurrent creations as a conflict rather than letting both pass.
 *
 * ListRetirableGrants needs the grants of a retiring principal across keys and accounts: each
 * grant with a retiring principal is also indexed by the account of that principal
 * (`RetirableGrantIndex`). Order, so that nothing is half-visible: on creation the index entry is
 * written first, then the grant; on retirement the index entry is removed first; on key deletion
 * every index entry of the key goes, then every grant. A failure between the two writes leaves
 * at most an index entry whose grant is gone, which ListRetirableGrants shows until retried.
 *
 * Security: grant tokens are authenticated (src/grants/token.ts) before they name anything; a
 * token for another key is ignored, a malformed one refused (InvalidGrantTokenException).
 */
import type { Principal } from "../auth/identities.ts";
import type { RootKeyRing } from "../keys/root-key-ring.ts";
import { newGrantId, openGrantToken, type GrantTokenClaims } from "./token.ts";
import { isNarrowerOrEqual, constraintsOutput } from "./rules.ts";
import { grantMatch, granteeMatch, type GrantAllowance, type GrantConstraints, type RequestContext } from "../policy/index.ts";
import { KmsError } from "../protocol/errors.ts";
import { parseArn } from "../arn.ts";
import type { CallFacts } from "../service/caller.ts";
import type { RecordTx } from "../store/port.ts";

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
export interface GrantLimitVars {
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

export function grantLimits(vars: GrantLimitVars): GrantLimits {
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

/** A grant as ListRetirableGrants lists it (GrantListEntry with the date in ms). */
export interface RetirableGrantEntry {
  KeyId: string;
  GrantId: string;
  Name?: string;
  CreationDate: number;
  GranteePrincipal: string;
  RetiringPrincipal: string;
  IssuingAccount: string;
  Operations: string[];
  Constraints?: { EncryptionContextSubset?: Record<string, string>; EncryptionContextEquals?: Record<string, string> };
}

/**
 * The retiring-principal index (ListRetirableGrants): kept by the account that owns each retiring
 * principal, so it lives outside the key's own store. Every method is idempotent.
 */
export interface RetirableGrantIndex {
  add(entry: RetirableGrantEntry): Promise<void>;
  remove(retiringPrincipal: string, keyArn: string, grantId: string): Promise<void>;
  /** Forgets every entry of a key in the indexes of the given principals' accounts. */
  forgetKey(keyArn: string, retiringPrincipals: readonly string[]): Promise<void>;
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

// Storage layout, under one key's store (src/store/port.ts):
//   grant:<grantId>                 the GrantRecord (with its creation sequence number)
//   grant-order:<seq, 10 digits>    grantId, for ListGrants in creation order
//   grantee:<principal>\n<grantId>  index by grantee, for deciding requests
//   grant-name:<name>\n<grantId>    index by Name, for CreateGrant's retry idempotence
//   grants                          { count, nextSeq }: the per-key limit's counter
//   grantee-count:<principal>       the per-grantee limit's counter
const GRANT = "grant:";
const ORDER = "grant-order:";
const BY_GRANTEE = "grantee:";
const BY_NAME = "grant-name:";
const META = "grants";
const GRANTEE_COUNT = "grantee-count:";

interface StoredGrant extends GrantRecord {
  seq: number;
}

interface GrantsMeta {
  count: number;
  nextSeq: number;
}

function orderKey(seq: number): string {
  return ORDER + String(seq).padStart(10, "0");
}

function strip(g: StoredGrant): GrantRecord {
  const { seq: _seq, ...record } = g;
  return record;
}

/** One key's grants inside one transaction. */
export class KeyGrants {
  constructor(private readonly tx: RecordTx) {}

  async get(grantId: string): Promise<GrantRecord | undefined> {
    const g = await this.tx.get<StoredGrant>(GRANT + grantId);
    return g === undefined ? undefined : strip(g);
  }

  private async ids(prefix: string): Promise<string[]> {
    return (await this.tx.list<number>(prefix)).map(([k]) => k.slice(prefix.length));
  }

  async withName(name: string): Promise<GrantRecord[]> {
    const found = await Promise.all((await this.ids(`${BY_NAME}${name}\n`)).map((id) => this.tx.get<StoredGrant>(GRANT + id)));
    return found
      .filter((g): g is StoredGrant => g !== undefined)
      .sort((a, b) => a.seq - b.seq)
      .map(strip);
  }

  async count(): Promise<number> {
    return (await this.tx.get<GrantsMeta>(META))?.count ?? 0;
  }

  async countForGrantee(grantee: string): Promise<number> {
    return (await this.tx.get<number>(GRANTEE_COUNT + grantee)) ?? 0;
  }

  async insert(g: GrantRecord): Promise<void> {
    const meta = (await this.tx.get<GrantsMeta>(META)) ?? { count: 0, nextSeq: 1 };
    const seq = meta.nextSeq;
    this.tx.put(GRANT + g.grantId, { ...g, seq } satisfies StoredGrant);
    this.tx.put(orderKey(seq), g.grantId);
    this.tx.put(`${BY_GRANTEE}${g.granteePrincipal}\n${g.grantId}`, 1);
    if (g.name !== undefined) this.tx.put(`${BY_NAME}${g.name}\n${g.grantId}`, 1);
    this.tx.put(META, { count: meta.count + 1, nextSeq: seq + 1 } satisfies GrantsMeta);
    this.tx.put(GRANTEE_COUNT + g.granteePrincipal, (await this.countForGrantee(g.granteePrincipal)) + 1);
  }

  async remove(grantId: string): Promise<void> {
    const g = await this.tx.get<StoredGrant>(GRANT + grantId);
    if (g === undefined) return;
    this.tx.delete(GRANT + grantId);
    this.tx.delete(orderKey(g.seq));
    this.tx.delete(`${BY_GRANTEE}${g.granteePrincipal}\n${grantId}`);
    if (g.name !== undefined) this.tx.delete(`${BY_NAME}${g.name}\n${grantId}`);
    const meta = (await this.tx.get<GrantsMeta>(META)) ?? { count: 1, nextSeq: g.seq + 1 };
    this.tx.put(META, { count: Math.max(0, meta.count - 1), nextSeq: meta.nextSeq } satisfies GrantsMeta);
    const left = (await this.countForGrantee(g.granteePrincipal)) - 1;
    if (left > 0) this.tx.put(GRANTEE_COUNT + g.granteePrincipal, left);
    else this.tx.delete(GRANTEE_COUNT + g.granteePrincipal);
  }

  /** Every grant, in creation order (key deletion). */
  async all(): Promise<GrantRecord[]> {
    const found = await Promise.all((await this.tx.list<string>(ORDER)).map(([, id]) => this.tx.get<StoredGrant>(GRANT + id)));
    return found.filter((g): g is StoredGrant => g !== undefined).map(strip);
  }

  /** One page of ListGrants, in creation order; `after` is the position of the last item returned. */
  async page(
    filter: { grantId?: string; grantee?: string },
    limit: number,
    after: number,
  ): Promise<{ items: GrantRecord[]; next?: number }> {
    let candidates: StoredGrant[];
    if (filter.grantId !== undefined) {
      const g = await this.tx.get<StoredGrant>(GRANT + filter.grantId);
      candidates = g === undefined ? [] : [g];
    } else if (filter.grantee !== undefined) {
      const ids = await this.ids(`${BY_GRANTEE}${filter.grantee}\n`);
      candidates = (await Promise.all(ids.map((id) => this.tx.get<StoredGrant>(GRANT + id)))).filter(
        (g): g is StoredGrant => g !== undefined,
      );
    } else {
      const order = await this.tx.list<string>(ORDER, { after: String(after).padStart(10, "0"), limit: limit + 1 });
      candidates = (await Promise.all(order.map(([, id]) => this.tx.get<StoredGrant>(GRANT + id)))).filter(
        (g): g is StoredGrant => g !== undefined,
      );
    }
    const matching = candidates
      .filter((g) => g.seq > after && (filter.grantee === undefined || g.granteePrincipal === filter.grantee))
      .sort((a, b) => a.seq - b.seq);
    const items = matching.slice(0, limit);
    const last = items[items.length - 1];
    return matching.length > limit && last !== undefined ? { items: items.map(strip), next: last.seq } : { items: items.map(strip) };
  }

  /**
   * The grants that apply to a request (grantee is the caller, or named by one of its valid grant
   * tokens for this key), with how they matched. For CreateGrant through a grant, only grants of
   * which the new grant is an equal or narrower copy count.
   * @throws InvalidGrantTokenException for a token that is not one this service issued
   */
  async applicable(
    context: RequestContext,
    facts: CallFacts | undefined,
    keyArn: string,
    openToken: (token: string) => GrantTokenClaims | undefined,
  ): Promise<GrantAllowance[]> {
    const candidates = new Map<string, GrantRecord>();
    for (const token of facts?.grantTokens ?? []) {
      const claims = openToken(token);
      if (claims === undefined) throw invalidGrantToken();
      if (claims.keyArn !== keyArn || candidates.has(claims.grantId)) continue;
      const g = await this.get(claims.grantId);
      if (g !== undefined) candidates.set(g.grantId, g);
    }
    for (const name of granteeCandidates(context.principal)) {
      for (const id of await this.ids(`${BY_GRANTEE}${name}\n`)) {
        if (candidates.has(id)) continue;
        const g = await this.get(id);
        if (g !== undefined) candidates.set(id, g);
      }
    }

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
}

/** The retiring-principal index entry of `g`, or undefined when it has no retiring principal. */
export function indexEntry(keyArn: string, g: GrantRecord): RetirableGrantEntry | undefined {
  if (g.retiringPrincipal === undefined) return undefined;
  return retirableEntry(keyArn, g as GrantRecord & { retiringPrincipal: string });
}

/** Opens grant tokens with the deployment's root key. */
export function tokenOpener(rootKeys: () => RootKeyRing): (token: string) => GrantTokenClaims | undefined {
  return (token) => openGrantToken(rootKeys(), token);
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
export async function prepareGrant(
  grants: KeyGrants,
  key: { arn: string; accountId: string },
  input: NewGrant,
  limits: GrantLimits,
  now: number,
): Promise<{ record: GrantRecord; existing: boolean }> {
  if (input.name !== undefined) {
    const same = (await grants.withName(input.name)).find((g) => sameGrantParameters(input, g));
    if (same !== undefined) return { record: same, existing: true };
  }
  if ((await grants.count()) >= limits.perKey) {
    throw new KmsError("LimitExceededException", `The key ${key.arn} already has the maximum of ${limits.perKey} grants.`);
  }
  if ((await grants.countForGrantee(input.granteePrincipal)) >= limits.perGranteePerKey) {
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
