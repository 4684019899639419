/**
 * The fuzzer's dictionaries: Unicode edge cases, values of every JSON type, the documented limit
 * of each request member (from the API model, as src/protocol/validate.ts encodes it, and the KMS
 * limits: 4096-byte plaintexts, 32 KB key policies, 50 tags...), and malformed raw UTF-8.
 */
import type { Prng } from "./prng.ts";

/** Strings that have broken string handling somewhere: lone surrogates, BOMs, NULs, case oddities. */
export const UNICODE_EDGES: readonly string[] = [
  "",
  " ",
  "\u0000",
  "a\u0000b",
  "\uD800",
  "\uDFFF",
  "x\uD800y",
  "\uDBFF\uDFFF",
  "\uFFFD",
  "\uFFFE",
  "\uFEFF",
  "\u202E\u0041\u202C",
  "e\u0301",
  "\u00E9",
  "😀",
  "\u212A", // Kelvin sign: lower-cases to "k"
  "\u0130", // İ: lower-cases to two code units
  "ß",
  "\u00A0",
  "\u2028",
  "\t\n\r",
  "${aws:username}",
  "${",
  "*",
  "?",
  "../../",
  "%00",
  "\\",
  '"',
  "<script>",
  "alias/aws/kms",
  "𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
];

/** Values of every JSON type, to put where a member of another type is expected. */
export const JSON_EDGES: readonly unknown[] = [
  null,
  true,
  false,
  0,
  -1,
  1.5,
  -0,
  1e308,
  2 ** 53,
  -(2 ** 31),
  2 ** 32,
  "",
  "0",
  "true",
  [],
  [null],
  [""],
  {},
  { "": "" },
  JSON.parse('{"__proto__":"x"}'),
  { constructor: "x" },
];

export interface Limit {
  kind: "string" | "base64" | "int" | "list";
  min: number;
  max: number;
}

/** Member name → its documented limit (lengths in characters, base64 members in decoded bytes). */
export const LIMITS: Record<string, Limit> = {
  KeyId: { kind: "string", min: 1, max: 2048 },
  TargetKeyId: { kind: "string", min: 1, max: 2048 },
  SourceKeyId: { kind: "string", min: 1, max: 2048 },
  DestinationKeyId: { kind: "string", min: 1, max: 2048 },
  Plaintext: { kind: "base64", min: 1, max: 4096 },
  CiphertextBlob: { kind: "base64", min: 1, max: 6144 },
  ImportToken: { kind: "base64", min: 1, max: 6144 },
  EncryptedKeyMaterial: { kind: "base64", min: 1, max: 6144 },
  Description: { kind: "string", min: 0, max: 8192 },
  AliasName: { kind: "string", min: 1, max: 256 },
  Limit: { kind: "int", min: 1, max: 1000 },
  Marker: { kind: "string", min: 1, max: 1024 },
  NumberOfBytes: { kind: "int", min: 1, max: 1024 },
  GrantTokens: { kind: "list", min: 0, max: 10 },
  TagKey: { kind: "string", min: 1, max: 128 },
  TagValue: { kind: "string", min: 0, max: 256 },
  Tags: { kind: "list", min: 0, max: 50 },
  TagKeys: { kind: "list", min: 1, max: 50 },
  Policy: { kind: "string", min: 1, max: 32768 },
  PolicyName: { kind: "string", min: 1, max: 128 },
  PendingWindowInDays: { kind: "int", min: 7, max: 30 },
  RotationPeriodInDays: { kind: "int", min: 90, max: 2560 },
  GrantId: { kind: "string", min: 1, max: 128 },
  GrantToken: { kind: "string", min: 1, max: 8192 },
  Name: { kind: "string", min: 1, max: 256 },
  GranteePrincipal: { kind: "string", min: 1, max: 256 },
  RetiringPrincipal: { kind: "string", min: 1, max: 256 },
  Operations: { kind: "list", min: 1, max: 20 },
};

/** A string of exactly `n` characters, sometimes multi-byte, sometimes astral. */
export function stringOfLength(rng: Prng, n: number): string {
  const unit = rng.pick(["a", "a", "é", "😀", "\u212A"]);
  if (unit === "😀") return "😀".repeat(Math.floor(n / 2)) + (n % 2 ? "a" : "");
  return unit.repeat(n);
}

/** Lengths or values around a limit: min − 1, min, max, max + 1, and a much larger one. */
export function aroundLimit(rng: Prng, limit: Limit): number {
  return rng.pick([limit.min - 1, limit.min, limit.min + 1, limit.max - 1, limit.max, limit.max + 1, limit.max * 2, limit.max * 16 + 3]);
}

/** Byte sequences that are not valid UTF-8 (overlong, surrogates, truncated, out of range). */
export const BAD_UTF8: readonly number[][] = [
  [0xc0, 0x80],
  [0xc1, 0xbf],
  [0xed, 0xa0, 0x80],
  [0xed, 0xbf, 0xbf],
  [0xf4, 0x90, 0x80, 0x80],
  [0xf8, 0x88, 0x80, 0x80, 0x80],
  [0xff],
  [0xfe],
  [0xe2, 0x82],
  [0x80],
];

/** An encryption context with hostile keys and values: case variants, empty keys, long values. */
export function hostileContext(rng: Prng): Record<string, string> {
  switch (rng.int(7)) {
    case 0:
      return JSON.parse('{"tenant":"carol","Tenant":"alice"}') as Record<string, string>;
    case 1:
      return { [rng.pick(UNICODE_EDGES)]: rng.pick(UNICODE_EDGES) };
    case 2:
      return { tenant: stringOfLength(rng, rng.pick([8192, 8193, 65535, 65536, 70000])) };
    case 3:
      return Object.fromEntries(Array.from({ length: rng.pick([64, 65, 256, 1000]) }, (_, i) => [`k${i}`, "v"]));
    case 4:
      return { "": "" };
    case 5:
      return { ab: "c", a: "bc" };
    default:
      return { [stringOfLength(rng, rng.pick([255, 256, 2048]))]: "x" };
  }
}
