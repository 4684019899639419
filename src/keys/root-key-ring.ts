/**
 * The configured root keys: `ROOT_KEY`, the current one, which seals and tags everything new, and
 * `ROOT_KEY_PREVIOUS`, zero or more retired ones (comma-separated) that still open what they
 * sealed and verify what they tagged until every record is re-sealed under the current key
 * (README "Root-key rotation").
 *
 * Each root key has an identifier: the first 8 bytes of HKDF-SHA256(root key, info "edgekms root
 * key identifier v1"), in hex — a key check value. It is not secret (HKDF outputs under distinct
 * labels are independent, so it says nothing of the other subkeys), and sealed records carry it so
 * that opening one picks its key at once instead of trying each.
 *
 * Security: the ring keeps the secrets as the platform gave them (strings, which JavaScript cannot
 * wipe) and decodes a root key only for the duration of one use, wiping the copy afterwards
 * (root-key.ts `withRootKey`). Trying keys in turn (`firstOf`) leaks which one matched only through
 * timing of which attempt succeeded, which is the identifier anyway.
 */
import { hkdfSha256 } from "../crypto/index.ts";
import { decodeRootKey, withRootKey } from "./root-key.ts";

const utf8 = new TextEncoder();
const IDENTIFIER_INFO = utf8.encode("edgekms root key identifier v1");

/** A sealed record's root key is not configured (any more). */
export class RootKeyUnavailable extends Error {
  constructor(readonly rootKeyId: string) {
    super(`root key ${rootKeyId} is not configured (ROOT_KEY / ROOT_KEY_PREVIOUS)`);
    this.name = "RootKeyUnavailable";
  }
}

export interface RootKeyRing {
  /** The current root key's identifier. */
  readonly currentId: string;
  /** Every configured key's identifier, the current one first. */
  readonly ids: readonly string[];
  /** Runs `use` with the current root key (wiped afterwards). */
  withCurrent<T>(use: (rootKey: Uint8Array, id: string) => T): T;
  /** Runs `use` with the root key of this identifier. @throws RootKeyUnavailable */
  withId<T>(id: string, use: (rootKey: Uint8Array) => T): T;
  /**
   * The first result of `use` that is not undefined, trying the current key and then each previous
   * one; a `use` that throws counts as undefined. For records and tokens that do not name their key.
   */
  firstOf<T>(use: (rootKey: Uint8Array, id: string) => T | undefined): T | undefined;
}

/** A root key's identifier (see the module comment). */
export function rootKeyIdOf(rootKey: Uint8Array): string {
  const okm = hkdfSha256(rootKey, new Uint8Array(0), IDENTIFIER_INFO, 8);
  return Array.from(okm, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The secrets of ROOT_KEY_PREVIOUS: comma-separated base64, blanks ignored. */
export function previousSecrets(value: string | undefined): string[] {
  return (value ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

/**
 * The ring of a deployment's configuration.
 * @throws Error when ROOT_KEY is absent or any key is malformed (naming the variable, never a value)
 */
export function rootKeyRing(current: string | undefined, previous?: string | undefined): RootKeyRing {
  const secrets = [current, ...previousSecrets(previous)];
  const entries = secrets.map((secret, i) => {
    let id: string;
    try {
      id = withRootKey(secret, rootKeyIdOf);
    } catch (err) {
      if (i === 0) throw err;
      throw new Error(`ROOT_KEY_PREVIOUS entry ${i} is not base64 of 32 bytes`);
    }
    return { id, secret: secret as string };
  });
  // A key listed twice (or the current one again among the previous) is tried once.
  const unique = entries.filter((e, i) => entries.findIndex((o) => o.id === e.id) === i);
  const ids = unique.map((e) => e.id);
  const secretOf = (id: string) => {
    const entry = unique.find((e) => e.id === id);
    if (entry === undefined) throw new RootKeyUnavailable(id);
    return entry.secret;
  };
  return {
    currentId: ids[0]!,
    ids,
    withCurrent: (use) => withRootKey(unique[0]!.secret, (key) => use(key, ids[0]!)),
    withId: (id, use) => withRootKey(secretOf(id), use),
    firstOf<T>(use: (rootKey: Uint8Array, id: string) => T | undefined): T | undefined {
      for (const entry of unique) {
        const result = withRootKey(entry.secret, (key) => {
          try {
            return use(key, entry.id);
          } catch {
            return undefined;
          }
        });
        if (result !== undefined) return result;
      }
      return undefined;
    },
  };
}

/** A ring over raw root keys (tests and tools; the current one first). */
export function ringOf(...rootKeys: Uint8Array[]): RootKeyRing {
  const [current, ...previous] = rootKeys.map((k) => btoa(String.fromCharCode(...k)));
  return rootKeyRing(current, previous.join(","));
}

export { decodeRootKey };

let cached: { current: string | undefined; previous: string | undefined; ring: RootKeyRing } | undefined;

/** `rootKeyRing`, built once per configuration (an isolate serves one; identifiers cost an HKDF each). */
export function configuredRing(current: string | undefined, previous: string | undefined): RootKeyRing {
  if (cached === undefined || cached.current !== current || cached.previous !== previous) {
    cached = { current, previous, ring: rootKeyRing(current, previous) };
  }
  return cached.ring;
}
