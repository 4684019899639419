/**
 * Case-insensitive lookups by name that fail closed when the name is ambiguous.
 *
 * Several decisions look up a member of a caller-supplied map by a name compared without regard
 * to case: IAM condition keys (`kms:EncryptionContext:<key>`, `aws:RequestTag/<key>`,
 * `aws:ResourceTag/<key>` — condition key names are case-insensitive), the keys of grant
 * constraints (KMS API Reference, GrantConstraints: "the key in each key-value pair is not case
 * sensitive, but the value is case sensitive"), and the envelope client's expected context. But
 * the maps themselves are case-sensitive — `{"tenant":"carol","Tenant":"alice"}` is a valid
 * encryption context with two pairs — so one name can match several members. AWS only advises
 * "do not use multiple encryption context pairs that differ only by case"; picking the first or
 * the last member lets JSON member order decide an authorization. Here no member is picked: the
 * lookup reports "ambiguous", and each caller treats that as the answer that refuses.
 *
 * Case folding is JavaScript's `toLowerCase()` (Unicode default case mapping, locale-independent),
 * the same function everywhere, so that every caller agrees on which names collide.
 */

/** The case-folded form of a name. */
export function foldCase(name: string): string {
  return name.toLowerCase();
}

/** The result of a lookup: the one matching member, "ambiguous" for several, undefined for none. */
export type CaseInsensitiveMatch = { readonly key: string; readonly value: string } | "ambiguous" | undefined;

/** The member of `record` whose name equals `name` ignoring case (see the module comment). */
export function lookupIgnoringCase(record: Readonly<Record<string, string>>, name: string): CaseInsensitiveMatch {
  const folded = foldCase(name);
  let found: { key: string; value: string } | undefined;
  for (const [key, value] of Object.entries(record)) {
    if (foldCase(key) !== folded) continue;
    if (found !== undefined) return "ambiguous";
    found = { key, value };
  }
  return found;
}

/** The folded names that more than one of `names` share (empty when every name is distinct ignoring case). */
export function caseCollisions(names: Iterable<string>): Set<string> {
  const seen = new Set<string>();
  const collisions = new Set<string>();
  for (const name of names) {
    const folded = foldCase(name);
    if (seen.has(folded)) collisions.add(folded);
    else seen.add(folded);
  }
  return collisions;
}
