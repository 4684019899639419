/**
 * Reading whole lists through the paged List* operations (ListKeys, ListAliases), as the
 * console's key list and alias pages need them. Stops at MAX_ITEMS so a huge account cannot make
 * one page request unbounded.
 */
import type { AliasListEntry, KeyListEntry } from "../../src/protocol/shapes.ts";
import type { ConsoleKms, Result } from "./kms.ts";

const MAX_ITEMS = 10_000;

export async function allKeys(kms: ConsoleKms): Promise<Result<KeyListEntry[]>> {
  const keys: KeyListEntry[] = [];
  let marker: string | undefined;
  do {
    const page = await kms.call("ListKeys", marker === undefined ? { Limit: 1000 } : { Limit: 1000, Marker: marker });
    if (!page.ok) return page;
    keys.push(...page.value.Keys);
    marker = page.value.Truncated ? page.value.NextMarker : undefined;
  } while (marker !== undefined && keys.length < MAX_ITEMS);
  return { ok: true, value: keys };
}

export async function allAliases(kms: ConsoleKms, keyId?: string): Promise<Result<AliasListEntry[]>> {
  const aliases: AliasListEntry[] = [];
  let marker: string | undefined;
  do {
    const request: Record<string, unknown> = { Limit: 100 };
    if (keyId !== undefined) request.KeyId = keyId;
    if (marker !== undefined) request.Marker = marker;
    const page = await kms.call("ListAliases", request);
    if (!page.ok) return page;
    aliases.push(...page.value.Aliases);
    marker = page.value.Truncated ? page.value.NextMarker : undefined;
  } while (marker !== undefined && aliases.length < MAX_ITEMS);
  return { ok: true, value: aliases };
}

/** Alias names by target key ID. */
export function aliasesByKey(aliases: AliasListEntry[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const a of aliases) {
    if (a.TargetKeyId === undefined) continue;
    const list = out.get(a.TargetKeyId) ?? [];
    list.push(a.AliasName);
    out.set(a.TargetKeyId, list);
  }
  for (const list of out.values()) list.sort();
  return out;
}
