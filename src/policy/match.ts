/**
 * Low-level matchers shared by the policy engine: IAM wildcards (`*`, `?`), ARN field matching,
 * IPv4/IPv6 CIDR membership, and the number and date formats condition operators accept.
 *
 * Spec: IAM User Guide, "IAM JSON policy elements: Condition operators" (string wildcards: `*`
 * matches any run of characters, `?` exactly one; ARN operators compare each of the six
 * colon-delimited ARN fields separately; IP operators take CIDR blocks per RFC 4632, and a bare
 * address means a single host; date operators take ISO 8601 dates or epoch seconds) and
 * "IAM policy elements: Variables and tags" (`${*}`, `${?}`, `${$}` are literal characters, so
 * they reach the matcher as literal characters, never as wildcards).
 *
 * Security: every function here is total — malformed input never throws, it simply does not
 * match — so a hostile request value cannot turn a Deny into an error path. The wildcard matcher
 * is the greedy-with-one-backtrack-point algorithm, O(pattern × value) in the worst case with no
 * recursion, so a pattern of many `*` cannot blow the stack or go exponential.
 */

/** One element of a compiled pattern: a literal character, `?` (one char) or `*` (any run). */
export type PatternUnit = string | { readonly wildcard: "*" | "?" };

export const ANY_RUN: PatternUnit = { wildcard: "*" };
export const ANY_ONE: PatternUnit = { wildcard: "?" };

/** Compiles a plain pattern in which `*` and `?` are wildcards and every other character is literal. */
export function compileWildcards(pattern: string): PatternUnit[] {
  const units: PatternUnit[] = [];
  for (const ch of pattern) units.push(ch === "*" ? ANY_RUN : ch === "?" ? ANY_ONE : ch);
  return units;
}

/** The units as a string, wildcards written as their characters (for equality operators). */
export function unitsToString(units: readonly PatternUnit[]): string {
  let out = "";
  for (const u of units) out += typeof u === "string" ? u : u.wildcard;
  return out;
}

/**
 * True when `value` matches the compiled pattern. With `ignoreCase`, literal characters compare
 * case-insensitively (used for action names, which IAM matches without regard to case).
 */
export function matchUnits(units: readonly PatternUnit[], value: string, ignoreCase = false): boolean {
  const chars = [...(ignoreCase ? value.toLowerCase() : value)];
  const pat = ignoreCase ? units.map((u) => (typeof u === "string" ? u.toLowerCase() : u)) : units;
  let p = 0;
  let v = 0;
  let starP = -1;
  let starV = 0;
  while (v < chars.length) {
    const u = pat[p];
    if (u !== undefined && typeof u !== "string" && u.wildcard === "*") {
      starP = p++;
      starV = v;
    } else if (u !== undefined && (typeof u !== "string" || u === chars[v])) {
      p++;
      v++;
    } else if (starP >= 0) {
      // Let the last `*` swallow one more character and retry from there.
      p = starP + 1;
      v = ++starV;
    } else {
      return false;
    }
  }
  while (p < pat.length) {
    const u = pat[p];
    if (typeof u === "string" || u === undefined || u.wildcard !== "*") return false;
    p++;
  }
  return true;
}

/** `matchUnits(compileWildcards(pattern), value, ignoreCase)`. */
export function wildcardMatch(pattern: string, value: string, ignoreCase = false): boolean {
  return matchUnits(compileWildcards(pattern), value, ignoreCase);
}

/**
 * Splits units at the first five `:` literals into the six ARN fields (partition, service,
 * region, account, resource). Returns undefined when there are fewer than six fields.
 */
function splitArnUnits(units: readonly PatternUnit[]): PatternUnit[][] | undefined {
  const fields: PatternUnit[][] = [[]];
  for (const u of units) {
    if (u === ":" && fields.length < 6) fields.push([]);
    else fields[fields.length - 1]!.push(u);
  }
  return fields.length === 6 ? fields : undefined;
}

/**
 * ArnEquals/ArnLike: the value must be an ARN, and each of its six fields must match the
 * corresponding field of the pattern (case-sensitive, wildcards allowed within a field).
 */
export function matchArn(units: readonly PatternUnit[], value: string): boolean {
  const patternFields = splitArnUnits(units);
  const parts = value.split(":");
  if (patternFields === undefined || parts.length < 6 || parts[0] !== "arn") return false;
  const valueFields = [...parts.slice(0, 5), parts.slice(5).join(":")];
  return patternFields.every((field, i) => matchUnits(field, valueFields[i]!));
}

// ---- IP addresses ---------------------------------------------------------------------------------

export interface Cidr {
  bytes: Uint8Array;
  prefix: number;
}

function parseIpv4(text: string): Uint8Array | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    out[i] = Number(p);
  }
  return out;
}

function parseIpv6(text: string): Uint8Array | undefined {
  let body = text;
  let tail: Uint8Array | undefined;
  const lastColon = body.lastIndexOf(":");
  if (body.includes(".")) {
    // An embedded IPv4 address supplies the last 32 bits (RFC 4291 §2.2 form 3).
    tail = parseIpv4(body.slice(lastColon + 1));
    if (tail === undefined) return undefined;
    body = body.slice(0, lastColon + 1) + "0:0";
  }
  const halves = body.split("::");
  if (halves.length > 2) return undefined;
  const groups = (s: string): string[] => (s === "" ? [] : s.split(":"));
  const head = groups(halves[0]!);
  const rest = halves.length === 2 ? groups(halves[1]!) : [];
  const missing = 8 - head.length - rest.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const all = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill("0"), ...rest];
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    const g = all[i]!;
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    const n = parseInt(g, 16);
    out[2 * i] = n >> 8;
    out[2 * i + 1] = n & 0xff;
  }
  if (tail !== undefined) out.set(tail, 12);
  return out;
}

/** Parses an IPv4 or IPv6 address. */
export function parseIp(text: string): Uint8Array | undefined {
  return text.includes(":") ? parseIpv6(text) : parseIpv4(text);
}

/** Parses "address/prefix" or a bare address (a single host); undefined when malformed. */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf("/");
  const bytes = parseIp(slash < 0 ? text : text.slice(0, slash));
  if (bytes === undefined) return undefined;
  const max = bytes.length * 8;
  if (slash < 0) return { bytes, prefix: max };
  const p = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(p) || Number(p) > max) return undefined;
  return { bytes, prefix: Number(p) };
}

/** True when `address` lies in `cidr` (an IPv4 address never lies in an IPv6 block, nor vice versa). */
export function cidrContains(cidr: Cidr, address: string): boolean {
  const ip = parseIp(address);
  if (ip === undefined || ip.length !== cidr.bytes.length) return false;
  for (let bit = 0; bit < cidr.prefix; bit++) {
    const mask = 0x80 >> (bit % 8);
    if ((ip[bit >> 3]! & mask) !== (cidr.bytes[bit >> 3]! & mask)) return false;
  }
  return true;
}

// ---- Numbers and dates ----------------------------------------------------------------------------

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** A decimal number as IAM's numeric operators accept it; undefined otherwise. */
export function parseNumber(text: string): number | undefined {
  return NUMBER.test(text.trim()) ? Number(text) : undefined;
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/**
 * A point in time, in milliseconds since the epoch, from an ISO 8601 date/time (a time without
 * a zone is UTC, as AWS reads it) or from epoch seconds; undefined when neither.
 */
export function parseDate(text: string): number | undefined {
  const t = text.trim();
  if (NUMBER.test(t)) return Number(t) * 1000;
  if (!ISO_DATE.test(t)) return undefined;
  const hasZone = /(Z|[+-]\d{2}:?\d{2})$/.test(t) && t.includes("T");
  const normalised = t.includes("T") && !hasZone ? `${t}Z` : t.replace(/([+-]\d{2})(\d{2})$/, "$1:$2");
  const ms = Date.parse(normalised);
  return Number.isNaN(ms) ? undefined : ms;
}
