/**
 * The last line of defence between a request or response and the audit trail: a pure function
 * that removes every member that can carry a secret — plaintexts, ciphertext blobs, data keys,
 * key material, import tokens, public-key wrapping parameters, grant tokens, messages, MACs and
 * signatures — and every binary value, at any depth.
 *
 * The record builder (record.ts) already picks only the members AWS logs for each operation (an
 * allowlist); this step is a denylist applied after it, so a mistake in either table alone cannot
 * put a secret into a record. AWS's CloudTrail records for KMS likewise never contain these
 * members (the guide's "Logging AWS KMS API Calls Using AWS CloudTrail").
 *
 * Security: member names are matched case-insensitively and in both the API's PascalCase and the
 * record's camelCase; values that are Uint8Array, ArrayBuffer or any other typed array are dropped
 * whatever their member name, since the API's only binary members are blobs.
 */

/** Members (lowercased) that may hold secrets or capabilities, in any operation. */
export const SECRET_MEMBERS: ReadonlySet<string> = new Set(
  [
    "Plaintext",
    "CiphertextBlob",
    "CiphertextForRecipient",
    "EncryptedKeyMaterial",
    "ImportToken",
    "PublicKey",
    "PrivateKeyPlaintext",
    "PrivateKeyCiphertextBlob",
    "SharedSecret",
    "AttestationDocument",
    "Recipient",
    "GrantToken",
    "GrantTokens",
    "Message",
    "Mac",
    "Signature",
    "KeyMaterial",
    "SecretAccessKey",
    "SessionToken",
  ].map((m) => m.toLowerCase()),
);

function isBinary(value: unknown): boolean {
  return value instanceof ArrayBuffer || ArrayBuffer.isView(value);
}

/**
 * A deep copy of `value` without secret members and binary values. Dates become ISO strings,
 * functions and undefined disappear; the result is plain JSON data. Never throws for acyclic
 * input; cycles (which JSON request bodies cannot have) are cut at depth 32.
 */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 32) return null;
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") return Number.isFinite(value) ? value : null;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (isBinary(value)) return undefined;
  if (Array.isArray(value)) {
    return value.map((v) => redact(v, depth + 1)).filter((v) => v !== undefined);
  }
  if (typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (SECRET_MEMBERS.has(k.toLowerCase())) continue;
      const kept = redact(v, depth + 1);
      if (kept !== undefined) out[k] = kept;
    }
    return out;
  }
  return undefined;
}
