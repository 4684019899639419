/**
 * Pagination markers (ListKeys, ListAliases, ListResourceTags, ListGrants, ListRetirableGrants). AWS's markers are opaque; ours
 * name the list they belong to and the position to resume from, so a marker from another list, a
 * truncated one or a made-up one is refused with InvalidMarkerException rather than misread.
 */
import { KmsError } from "../protocol/errors.ts";

export type MarkerList = "keys" | "aliases" | "tags" | "grants" | "retirable";

export function encodeMarker(list: MarkerList, position: string | number): string {
  return btoa(JSON.stringify([list, position]));
}

function invalidMarker(): KmsError {
  return new KmsError("InvalidMarkerException", "Invalid marker.");
}

export function decodeMarker(marker: string, list: "tags" | "grants"): number;
export function decodeMarker(marker: string, list: "keys" | "aliases" | "retirable"): string;
export function decodeMarker(marker: string, list: MarkerList): string | number {
  let decoded: unknown;
  try {
    decoded = JSON.parse(atob(marker));
  } catch {
    throw invalidMarker();
  }
  if (!Array.isArray(decoded) || decoded.length !== 2 || decoded[0] !== list) throw invalidMarker();
  const position: unknown = decoded[1];
  if (list === "tags" || list === "grants") {
    if (typeof position !== "number" || !Number.isInteger(position) || position < 0) throw invalidMarker();
    return position;
  }
  if (typeof position !== "string") throw invalidMarker();
  return position;
}
