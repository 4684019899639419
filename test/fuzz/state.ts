/**
 * What the fuzzer means by "state", read only through the API as each account's root user: the
 * keys (ListKeys), the aliases (ListAliases), and per key its metadata (DescribeKey), key policy
 * (GetKeyPolicy), grants (ListGrants), tags (ListResourceTags) and rotation status
 * (GetKeyRotationStatus). Each part is kept as canonical JSON, so two views compare as strings and
 * a difference can be shown part by part.
 *
 * A view can be partial: `readParts` re-reads only the parts one request could have touched, and
 * `StateView.merge` folds them into the running view, so a check after each request costs one or
 * two calls instead of a full digest.
 */
import { ROOTS } from "./corpus.ts";
import type { Transport } from "./transport.ts";

/** One part of the state: "keys:<account>", "aliases:<account>", or "<part>:<keyId>". */
export type PartName = string;
export type KeyPart = "meta" | "policy" | "grants" | "tags" | "rotation";
export const KEY_PARTS: readonly KeyPart[] = ["meta", "policy", "grants", "tags", "rotation"];

/** JSON with object members sorted, so equal values print alike. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v !== null && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as object).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/**
 * One state read. Reads change nothing, so a connection the runtime dropped (a reused keep-alive
 * socket closed under load) is retried rather than failing the whole run; a timeout is not.
 */
async function stateCall(t: Transport, identity: string, op: string, input: object) {
  let out = await t.call(identity, op, input, false);
  for (let retry = 0; retry < 3 && out.networkError !== undefined && !out.timedOut; retry++) {
    await new Promise((resolve) => setTimeout(resolve, 100 * (retry + 1)));
    out = await t.call(identity, op, input, false);
  }
  return out;
}

/** The outcome of a read, as text: the body on success, the error type otherwise (also stable). */
async function read(t: Transport, identity: string, op: string, input: object): Promise<unknown> {
  const out = await stateCall(t, identity, op, input);
  if (out.timedOut || out.networkError) throw new Error(`state read ${op} failed: ${out.networkError ?? "timeout"}`);
  return out.status === 200 ? out.json : { error: out.type ?? out.status };
}

/** Every page of a list operation, concatenated. */
async function readAll(t: Transport, identity: string, op: string, input: object, member: string): Promise<unknown> {
  const items: unknown[] = [];
  let marker: string | undefined;
  for (let page = 0; page < 1000; page++) {
    const out = await stateCall(t, identity, op, { ...input, ...(marker === undefined ? {} : { Marker: marker }) });
    if (out.timedOut || out.networkError) throw new Error(`state read ${op} failed: ${out.networkError ?? "timeout"}`);
    if (out.status !== 200) return { error: out.type ?? out.status };
    const body = out.json as Record<string, unknown>;
    items.push(...((body[member] as unknown[]) ?? []));
    if (body.Truncated !== true) break;
    marker = body.NextMarker as string;
  }
  return items;
}

export function accountOfArn(arn: string): string | undefined {
  return /^arn:aws:kms:[^:]+:(\d{12}):/.exec(arn)?.[1];
}

/** Reads one part. `keyAccount` maps a key ID to its account (the root that reads it). */
export async function readPart(t: Transport, name: PartName, keyAccount: (keyId: string) => string): Promise<string> {
  const colon = name.indexOf(":");
  const kind = name.slice(0, colon);
  const subject = name.slice(colon + 1);
  if (kind === "keys") {
    const keys = (await readAll(t, ROOTS[subject as keyof typeof ROOTS], "ListKeys", { Limit: 1000 }, "Keys")) as
      | { KeyId: string }[]
      | object;
    return canonical(Array.isArray(keys) ? keys.map((k) => k.KeyId).sort() : keys);
  }
  if (kind === "aliases") {
    const aliases = await readAll(t, ROOTS[subject as keyof typeof ROOTS], "ListAliases", { Limit: 100 }, "Aliases");
    return canonical(Array.isArray(aliases) ? [...aliases].sort((a, b) => canonical(a).localeCompare(canonical(b))) : aliases);
  }
  const root = ROOTS[keyAccount(subject) as keyof typeof ROOTS] ?? "test";
  const keyId = subject;
  switch (kind as KeyPart) {
    case "meta":
      return canonical(await read(t, root, "DescribeKey", { KeyId: keyId }));
    case "policy":
      return canonical(await read(t, root, "GetKeyPolicy", { KeyId: keyId, PolicyName: "default" }));
    case "grants": {
      const grants = await readAll(t, root, "ListGrants", { KeyId: keyId, Limit: 100 }, "Grants");
      return canonical(Array.isArray(grants) ? [...grants].sort((a, b) => canonical(a).localeCompare(canonical(b))) : grants);
    }
    case "tags":
      return canonical(await readAll(t, root, "ListResourceTags", { KeyId: keyId, Limit: 50 }, "Tags"));
    case "rotation":
      return canonical(await read(t, root, "GetKeyRotationStatus", { KeyId: keyId }));
  }
  throw new Error(`unknown state part ${name}`);
}

export const keyPart = (part: KeyPart, keyId: string): PartName => `${part}:${keyId}`;
export const listPart = (kind: "keys" | "aliases", account: string): PartName => `${kind}:${account}`;

/** A view of the state: part name → canonical text. */
export class StateView {
  readonly parts = new Map<PartName, string>();

  /** The parts of `other` that differ from this view's (only parts both hold, or new in `other`). */
  differences(other: StateView): { part: PartName; before: string | undefined; after: string }[] {
    const out: { part: PartName; before: string | undefined; after: string }[] = [];
    for (const [part, after] of other.parts) {
      const before = this.parts.get(part);
      if (before !== after) out.push({ part, before, after });
    }
    return out;
  }

  merge(other: StateView): void {
    for (const [part, text] of other.parts) this.parts.set(part, text);
  }

  /** A short fingerprint of the whole view (for printing). */
  async digest(): Promise<string> {
    const text = [...this.parts]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([p, v]) => `${p}=${v}`)
      .join("\n");
    const hash = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
    return Buffer.from(hash).toString("hex").slice(0, 16);
  }
}

/** Reads of a view run this many at a time: the local runtime answers a few in parallel faster. */
const READ_CONCURRENCY = 4;

/** Reads the named parts into a new view. */
export async function readParts(t: Transport, names: Iterable<PartName>, keyAccount: (keyId: string) => string): Promise<StateView> {
  const view = new StateView();
  const queue = [...new Set(names)];
  const texts = new Map<PartName, string>();
  await Promise.all(
    Array.from({ length: Math.min(READ_CONCURRENCY, queue.length) }, async () => {
      for (let name = queue.shift(); name !== undefined; name = queue.shift()) texts.set(name, await readPart(t, name, keyAccount));
    }),
  );
  for (const [name, text] of [...texts].sort(([a], [b]) => (a < b ? -1 : 1))) view.parts.set(name, text);
  return view;
}

/**
 * The whole state: both accounts' key and alias lists and every part of every key they list.
 * Returns the view and the key IDs found per account.
 */
export async function readFullState(
  t: Transport,
  keyAccount: (keyId: string) => string,
): Promise<{ view: StateView; keys: Map<string, string> }> {
  const view = new StateView();
  const keys = new Map<string, string>();
  for (const account of Object.keys(ROOTS)) {
    const list = await readPart(t, listPart("keys", account), keyAccount);
    view.parts.set(listPart("keys", account), list);
    view.parts.set(listPart("aliases", account), await readPart(t, listPart("aliases", account), keyAccount));
    const ids = JSON.parse(list) as unknown;
    if (Array.isArray(ids)) for (const id of ids as string[]) keys.set(id, account);
  }
  const accountOf = (keyId: string) => keys.get(keyId) ?? keyAccount(keyId);
  view.merge(
    await readParts(
      t,
      [...keys.keys()].flatMap((keyId) => KEY_PARTS.map((part) => keyPart(part, keyId))),
      accountOf,
    ),
  );
  return { view, keys };
}
