/**
 * Condition operators: parsing an operator name ("ForAnyValue:StringLikeIfExists"), validating
 * the values a policy gives it, and evaluating a statement's Condition block against a request
 * context.
 *
 * Spec: IAM User Guide, "IAM JSON policy elements: Condition operators", "Condition element",
 * "Multivalued context keys" and "Policy variables". The rules implemented, as IAM states them:
 * - Several operators in one Condition block, and several keys under one operator, are AND-ed.
 * - Several values for one key are OR-ed: the key matches when it matches any of them. For the
 *   negated operators (StringNotEquals, StringNotLike, ..., NumericNotEquals, DateNotEquals,
 *   NotIpAddress, ArnNotEquals, ArnNotLike) the key must match none of them.
 * - A key absent from the request context makes the condition false — except for the negated
 *   operators, where it is true; `...IfExists` makes an absent key true for every operator; and
 *   `Null` tests presence itself ("true": the key is absent, "false": present).
 * - `ForAllValues:` is true when every value of the (multi-valued) request key satisfies the
 *   operator, and also when the key is absent or empty; `ForAnyValue:` when at least one does,
 *   and false when the key is absent or empty.
 * - A plain (unqualified) operator applied to a multi-valued key behaves like ForAnyValue for
 *   positive operators and "no value matches" for negated ones.
 * - Policy variables `${key}` (and `${key, 'default'}`) are substituted in the string and ARN
 *   operators of 2012-10-17 policies; `${*}`, `${?}`, `${$}` are the literal characters. A
 *   variable whose key is absent (and has no default) makes that policy value match nothing.
 *
 * - A clause that reads an *ambiguous* key — one that several request members match when case is
 *   ignored, such as kms:EncryptionContext:tenant for {"tenant":"carol","Tenant":"alice"}, whether
 *   as its key or through a policy variable — evaluates to the caller's `onAmbiguous`: false in
 *   an Allow statement, true in a Deny, so the ambiguity always works against the request
 *   (see context.ts). IAM does not define this case; failing closed is our choice.
 *
 * Security: evaluation is total — an unparseable request value (a malformed IP, a non-number)
 * simply does not match, so for Deny statements with positive operators the deny does not fire;
 * policy authors protect against that with the negated operators or Null, as in AWS.
 */
import { contextValue, isAmbiguous, type ContextValue, type RequestContext } from "./context.ts";
import {
  cidrContains,
  compileWildcards,
  matchArn,
  matchUnits,
  parseCidr,
  parseDate,
  parseNumber,
  unitsToString,
  type PatternUnit,
} from "./match.ts";

export const BASE_OPERATORS = [
  "StringEquals",
  "StringNotEquals",
  "StringEqualsIgnoreCase",
  "StringNotEqualsIgnoreCase",
  "StringLike",
  "StringNotLike",
  "NumericEquals",
  "NumericNotEquals",
  "NumericLessThan",
  "NumericLessThanEquals",
  "NumericGreaterThan",
  "NumericGreaterThanEquals",
  "DateEquals",
  "DateNotEquals",
  "DateLessThan",
  "DateLessThanEquals",
  "DateGreaterThan",
  "DateGreaterThanEquals",
  "Bool",
  "IpAddress",
  "NotIpAddress",
  "ArnEquals",
  "ArnNotEquals",
  "ArnLike",
  "ArnNotLike",
  "Null",
] as const;
export type BaseOperator = (typeof BASE_OPERATORS)[number];

export interface ConditionOperator {
  /** As written in the policy. */
  name: string;
  base: BaseOperator;
  ifExists: boolean;
  qualifier?: "ForAllValues" | "ForAnyValue";
}

const BASE_BY_LOWER = new Map<string, BaseOperator>(BASE_OPERATORS.map((b) => [b.toLowerCase(), b]));

/** Parses an operator name; undefined when it is not one IAM defines. */
export function parseOperator(name: string): ConditionOperator | undefined {
  let rest = name;
  let qualifier: ConditionOperator["qualifier"];
  const colon = rest.indexOf(":");
  if (colon >= 0) {
    const q = rest.slice(0, colon).toLowerCase();
    if (q === "forallvalues") qualifier = "ForAllValues";
    else if (q === "foranyvalue") qualifier = "ForAnyValue";
    else return undefined;
    rest = rest.slice(colon + 1);
  }
  let ifExists = false;
  if (rest.toLowerCase().endsWith("ifexists")) {
    ifExists = true;
    rest = rest.slice(0, -"ifexists".length);
  }
  const base = BASE_BY_LOWER.get(rest.toLowerCase());
  // "NullIfExists" is meaningless (Null already tests existence) and IAM does not define it.
  if (base === undefined || (base === "Null" && ifExists)) return undefined;
  return { name, base, ifExists, ...(qualifier === undefined ? {} : { qualifier }) };
}

const NEGATED: ReadonlySet<BaseOperator> = new Set([
  "StringNotEquals",
  "StringNotEqualsIgnoreCase",
  "StringNotLike",
  "NumericNotEquals",
  "DateNotEquals",
  "NotIpAddress",
  "ArnNotEquals",
  "ArnNotLike",
]);

export function isNegated(base: BaseOperator): boolean {
  return NEGATED.has(base);
}

/**
 * Why a policy value is unusable with an operator (e.g. "10.0.0.0/33" for IpAddress), or
 * undefined when it is fine. Values of string and ARN operators are always usable.
 */
export function invalidValueReason(base: BaseOperator, value: string): string | undefined {
  if (base.startsWith("Numeric") && parseNumber(value) === undefined) return `${value} is not a number`;
  if (base.startsWith("Date") && parseDate(value) === undefined) return `${value} is not an ISO 8601 date or epoch time`;
  if ((base === "Bool" || base === "Null") && !/^(true|false)$/i.test(value)) return `${value} is not true or false`;
  if ((base === "IpAddress" || base === "NotIpAddress") && parseCidr(value) === undefined)
    return `${value} is not an IP address or CIDR block`;
  return undefined;
}

// ---- Policy variables -----------------------------------------------------------------------------

const VARIABLE = /\$\{([^}]*)\}/g;

/**
 * Compiles a policy value into pattern units, substituting policy variables when `variables` is
 * set. `*` and `?` in the value are wildcards; characters from `${*}`-style escapes and from
 * substituted values are literal. Returns undefined when a variable cannot be resolved.
 */
export function compileValue(value: string, context: RequestContext, variables: boolean): PatternUnit[] | undefined {
  if (!variables || !value.includes("${")) return compileWildcards(value);
  const units: PatternUnit[] = [];
  let last = 0;
  for (const m of value.matchAll(VARIABLE)) {
    units.push(...compileWildcards(value.slice(last, m.index)));
    last = m.index + m[0].length;
    const inner = m[1]!.trim();
    if (inner === "*" || inner === "?" || inner === "$") {
      units.push(...inner);
      continue;
    }
    const withDefault = /^([^,]+?)\s*,\s*'([^']*)'$/.exec(inner);
    const key = withDefault ? withDefault[1]! : inner;
    const v = contextValue(context, key);
    const resolved = typeof v === "string" ? v : withDefault?.[2];
    if (resolved === undefined) return undefined;
    units.push(...resolved);
  }
  units.push(...compileWildcards(value.slice(last)));
  return units;
}

/**
 * True when a policy value (read with policy variables when `variables` is set) refers to an
 * ambiguous key of the request, so that substituting it would have to pick one member.
 */
export function referencesAmbiguousKey(value: string, context: RequestContext, variables: boolean): boolean {
  if (!variables || context.ambiguous.size === 0 || !value.includes("${")) return false;
  for (const m of value.matchAll(VARIABLE)) {
    const inner = m[1]!.trim();
    const withDefault = /^([^,]+?)\s*,\s*'([^']*)'$/.exec(inner);
    if (isAmbiguous(context, withDefault ? withDefault[1]! : inner)) return true;
  }
  return false;
}

// ---- Evaluation -----------------------------------------------------------------------------------

/** One key under one operator, with the policy's values as strings. */
export interface ConditionClause {
  operator: ConditionOperator;
  key: string;
  values: readonly string[];
}

type Matcher = (request: string, policy: string, context: RequestContext) => boolean;

const usesVariables = (base: BaseOperator): boolean => base.startsWith("String") || base.startsWith("Arn");

function compare(parse: (s: string) => number | undefined, test: (r: number, p: number) => boolean): Matcher {
  return (request, policy) => {
    const r = parse(request);
    const p = parse(policy);
    return r !== undefined && p !== undefined && test(r, p);
  };
}

/** The positive form of each operator: does one request value match one policy value? */
function positiveMatcher(base: BaseOperator, variables: boolean): Matcher {
  const units = (policy: string, ctx: RequestContext) => compileValue(policy, ctx, variables && usesVariables(base));
  const equalsText =
    (ignoreCase: boolean): Matcher =>
    (request, policy, ctx) => {
      const u = units(policy, ctx);
      if (u === undefined) return false;
      const p = unitsToString(u);
      return ignoreCase ? p.toLowerCase() === request.toLowerCase() : p === request;
    };
  switch (base) {
    case "StringEquals":
    case "StringNotEquals":
      return equalsText(false);
    case "StringEqualsIgnoreCase":
    case "StringNotEqualsIgnoreCase":
      return equalsText(true);
    case "StringLike":
    case "StringNotLike":
      return (request, policy, ctx) => {
        const u = units(policy, ctx);
        return u !== undefined && matchUnits(u, request);
      };
    case "ArnEquals":
    case "ArnNotEquals":
    case "ArnLike":
    case "ArnNotLike":
      return (request, policy, ctx) => {
        const u = units(policy, ctx);
        return u !== undefined && matchArn(u, request);
      };
    case "NumericEquals":
    case "NumericNotEquals":
      return compare(parseNumber, (r, p) => r === p);
    case "NumericLessThan":
      return compare(parseNumber, (r, p) => r < p);
    case "NumericLessThanEquals":
      return compare(parseNumber, (r, p) => r <= p);
    case "NumericGreaterThan":
      return compare(parseNumber, (r, p) => r > p);
    case "NumericGreaterThanEquals":
      return compare(parseNumber, (r, p) => r >= p);
    case "DateEquals":
    case "DateNotEquals":
      return compare(parseDate, (r, p) => r === p);
    case "DateLessThan":
      return compare(parseDate, (r, p) => r < p);
    case "DateLessThanEquals":
      return compare(parseDate, (r, p) => r <= p);
    case "DateGreaterThan":
      return compare(parseDate, (r, p) => r > p);
    case "DateGreaterThanEquals":
      return compare(parseDate, (r, p) => r >= p);
    case "Bool":
      return (request, policy) => request.toLowerCase() === policy.toLowerCase();
    case "IpAddress":
    case "NotIpAddress":
      return (request, policy) => {
        const cidr = parseCidr(policy);
        return cidr !== undefined && cidrContains(cidr, request);
      };
    case "Null":
      return () => false; // handled before matching
  }
}

function requestValues(v: ContextValue | undefined): readonly string[] {
  return v === undefined ? [] : typeof v === "string" ? [v] : v;
}

/** True when the clause reads an ambiguous request key, directly or through a policy variable. */
function readsAmbiguousKey(clause: ConditionClause, context: RequestContext, variables: boolean): boolean {
  if (context.ambiguous.size === 0) return false;
  if (isAmbiguous(context, clause.key)) return true;
  const substitutes = variables && usesVariables(clause.operator.base);
  return clause.values.some((v) => referencesAmbiguousKey(v, context, substitutes));
}

/**
 * Evaluates one clause. `variables` enables policy-variable substitution (2012-10-17 policies);
 * `onAmbiguous` is the result when the clause reads an ambiguous key (false for an Allow
 * statement, true for a Deny: see the module comment).
 */
export function evaluateClause(clause: ConditionClause, context: RequestContext, variables = true, onAmbiguous = false): boolean {
  if (readsAmbiguousKey(clause, context, variables)) return onAmbiguous;
  const { operator, key, values: policyValues } = clause;
  const raw = contextValue(context, key);
  const present = requestValues(raw);
  const absent = raw === undefined || present.length === 0;

  if (operator.base === "Null") {
    // OR over the policy values, like every other operator.
    return policyValues.some((v) => (v.toLowerCase() === "true") === absent);
  }
  if (absent) {
    if (operator.ifExists) return true;
    if (operator.qualifier === "ForAllValues") return true;
    if (operator.qualifier === "ForAnyValue") return false;
    return isNegated(operator.base);
  }

  const match = positiveMatcher(operator.base, variables);
  const negated = isNegated(operator.base);
  // For one request value: positive operators need some policy value to match, negated ones none.
  const satisfies = (r: string): boolean => {
    const any = policyValues.some((p) => match(r, p, context));
    return negated ? !any : any;
  };
  if (operator.qualifier === "ForAllValues") return present.every(satisfies);
  if (operator.qualifier === "ForAnyValue") return present.some(satisfies);
  return negated ? present.every(satisfies) : present.some(satisfies);
}

/** A Condition block holds when every clause holds (AND over operators and keys). */
export function evaluateConditions(
  clauses: readonly ConditionClause[],
  context: RequestContext,
  variables = true,
  onAmbiguous = false,
): boolean {
  return clauses.every((c) => evaluateClause(c, context, variables, onAmbiguous));
}
