/**
 * The pure rules of grants that are not about a single request's decision (that is
 * src/policy/grants.ts): which CreateGrant parameters are acceptable, and when a grant created by
 * a grantee through a grant that allows CreateGrant is "equally or more restrictive".
 *
 * Spec: AWS KMS Developer Guide (2017), "Using Grants": "the grant operations passed with a
 * subsequent CreateGrant API request can include any subset of the currently-allowed grant
 * operations, and the grant constraints can be the same or more restrictive (fields can be added
 * to an EncryptionContextSubset constraint, or an EncryptionContextSubset constraint can be
 * turned into an EncryptionContextEquals constraint)". KMS API Reference, GrantConstraints:
 * constraints apply only to operations that take an encryption context; in a constraint the key
 * of each pair is compared case-insensitively, the value case-sensitively; an empty map is
 * treated as not specified.
 *
 * Security: narrowing is decided on the normalised constraints, so an empty map cannot pass for
 * "stricter"; a child without constraints is never narrower than a constrained parent; a
 * constraint with keys that differ only in case (which src/policy/grants.ts never lets match) is
 * never taken as narrower or wider than another, rather than collapsed to one of its variants.
 */
import { caseCollisions, foldCase } from "../case-insensitive.ts";
import { isValidAwsPrincipal } from "../policy/document.ts";
import { ENCRYPTION_CONTEXT_OPERATIONS } from "../policy/actions.ts";
import type { GrantConstraints } from "../policy/grants.ts";
import { KmsError } from "../protocol/errors.ts";

/** CreateGrant's Constraints as sent (AWS's member names). */
export interface GrantConstraintsInput {
  EncryptionContextSubset?: Readonly<Record<string, string>>;
  EncryptionContextEquals?: Readonly<Record<string, string>>;
}

/**
 * Grant operations that do not take an encryption context but may still appear in a constrained
 * grant: the constraint simply does not apply to them (GrantConstraints: "such as DescribeKey or
 * RetireGrant").
 */
const CONSTRAINT_NEUTRAL_OPERATIONS: ReadonlySet<string> = new Set(["CreateGrant", "RetireGrant", "DescribeKey"]);

const SERVICE_PRINCIPAL = /^[a-z0-9][a-z0-9.-]*\.amazonaws\.com(\.cn)?$/;

/** True for a principal a grant can name: an account, account root, user, role, role session or AWS service. */
export function isValidGrantPrincipal(value: string): boolean {
  return (value !== "*" && isValidAwsPrincipal(value)) || SERVICE_PRINCIPAL.test(value);
}

/** The constraints in the policy engine's form; empty maps count as absent, and no maps as no constraints. */
export function normaliseConstraints(input: GrantConstraintsInput | undefined): GrantConstraints | undefined {
  if (input === undefined) return undefined;
  const out: { encryptionContextSubset?: Record<string, string>; encryptionContextEquals?: Record<string, string> } = {};
  if (input.EncryptionContextSubset !== undefined && Object.keys(input.EncryptionContextSubset).length > 0) {
    out.encryptionContextSubset = { ...input.EncryptionContextSubset };
  }
  if (input.EncryptionContextEquals !== undefined && Object.keys(input.EncryptionContextEquals).length > 0) {
    out.encryptionContextEquals = { ...input.EncryptionContextEquals };
  }
  return out.encryptionContextSubset === undefined && out.encryptionContextEquals === undefined ? undefined : out;
}

/** The constraints in AWS's wire form (GrantListEntry.Constraints). */
export function constraintsOutput(c: GrantConstraints | undefined): GrantConstraintsInput | undefined {
  if (c === undefined) return undefined;
  const out: { EncryptionContextSubset?: Record<string, string>; EncryptionContextEquals?: Record<string, string> } = {};
  if (c.encryptionContextSubset !== undefined) out.EncryptionContextSubset = { ...c.encryptionContextSubset };
  if (c.encryptionContextEquals !== undefined) out.EncryptionContextEquals = { ...c.encryptionContextEquals };
  return out;
}

/** kms:GrantConstraintType for a CreateGrant request. */
export function constraintType(c: GrantConstraints | undefined): string | undefined {
  if (c?.encryptionContextEquals !== undefined) return "EncryptionContextEquals";
  if (c?.encryptionContextSubset !== undefined) return "EncryptionContextSubset";
  return undefined;
}

function validation(message: string): KmsError {
  return new KmsError("ValidationException", message);
}

/**
 * Checks the CreateGrant parameters the request schema cannot: principals, and constraints only
 * with operations that take an encryption context (plus the ones constraints do not affect), one
 * constraint type at a time.
 * @throws ValidationException
 */
export function validateGrantParameters(params: {
  granteePrincipal: string;
  retiringPrincipal?: string;
  operations: readonly string[];
  constraints: GrantConstraints | undefined;
}): void {
  if (!isValidGrantPrincipal(params.granteePrincipal)) {
    throw validation(`GranteePrincipal ${params.granteePrincipal} is not a valid principal.`);
  }
  if (params.retiringPrincipal !== undefined && !isValidGrantPrincipal(params.retiringPrincipal)) {
    throw validation(`RetiringPrincipal ${params.retiringPrincipal} is not a valid principal.`);
  }
  if (params.operations.length === 0) throw validation("Operations must name at least one grant operation.");
  const c = params.constraints;
  if (c === undefined) return;
  if (c.encryptionContextEquals !== undefined && c.encryptionContextSubset !== undefined) {
    throw validation("Specify only one of EncryptionContextEquals and EncryptionContextSubset in grant constraints.");
  }
  const refused = params.operations.filter((op) => !ENCRYPTION_CONTEXT_OPERATIONS.has(op) && !CONSTRAINT_NEUTRAL_OPERATIONS.has(op));
  if (refused.length > 0) {
    throw validation(`Grant constraints are not allowed with operations that do not use an encryption context: ${refused.join(", ")}.`);
  }
}

/** The map with folded keys; undefined when two keys differ only in case (ambiguous: compared with nothing). */
function foldedKeys(map: Readonly<Record<string, string>>): Map<string, string> | undefined {
  if (caseCollisions(Object.keys(map)).size > 0) return undefined;
  return new Map(Object.entries(map).map(([k, v]) => [foldCase(k), v]));
}

/** Every pair of `required` is in `present` (keys case-insensitive, values exact). */
function includesAll(present: Readonly<Record<string, string>>, required: Readonly<Record<string, string>>): boolean {
  const have = foldedKeys(present);
  const want = foldedKeys(required);
  return have !== undefined && want !== undefined && [...want].every(([k, v]) => have.get(k) === v);
}

function sameContext(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  return Object.keys(a).length === Object.keys(b).length && includesAll(a, b);
}

/** True when every request the child's constraints admit, the parent's admit too. */
export function constraintsAtLeastAsStrict(child: GrantConstraints | undefined, parent: GrantConstraints | undefined): boolean {
  if (parent === undefined) return true;
  if (child === undefined) return false;
  const { encryptionContextEquals: pe, encryptionContextSubset: ps } = parent;
  const { encryptionContextEquals: ce, encryptionContextSubset: cs } = child;
  if (pe !== undefined && !(ce !== undefined && sameContext(ce, pe))) return false;
  if (ps !== undefined) {
    const implied = (ce !== undefined && includesAll(ce, ps)) || (cs !== undefined && includesAll(cs, ps));
    if (!implied) return false;
  }
  return true;
}

/**
 * True when a grant with `child`'s operations and constraints is equally or more restrictive than
 * `parent` (guide, "Using Grants"): a subset of its operations, the same or stricter constraints.
 */
export function isNarrowerOrEqual(
  child: { operations: readonly string[]; constraints?: GrantConstraints | undefined },
  parent: { operations: readonly string[]; constraints?: GrantConstraints | undefined },
): boolean {
  const allowed = new Set(parent.operations);
  return child.operations.every((op) => allowed.has(op)) && constraintsAtLeastAsStrict(child.constraints, parent.constraints);
}
