/**
 * Console sessions and CSRF protection.
 *
 * Sign-in takes an access key ID and secret access key from the identity configuration
 * (src/auth/identities.ts), the same credentials the API accepts; the secret is compared in
 * constant time. A session is a cookie holding `{access key ID, session ID, expiry}` and an
 * HMAC-SHA-256 over it. The MAC key is derived with HKDF from the service's ROOT_KEY (label
 * "edgekms console session v1"), and the MAC also covers the credential's current secret, so
 * changing or removing a credential ends its sessions. Cookies are HttpOnly, SameSite=Strict,
 * Path=/console, Secure over HTTPS, and expire after SESSION_SECONDS.
 *
 * CSRF: every form carries a token. Signed in, the token is an HMAC of the session ID (so it is
 * bound to the session and cannot be minted by another site); on the sign-in form, where there is
 * no session yet, it is a random value also set in a SameSite=Strict cookie (double submit).
 * Every POST must also come from the console's own origin when the browser says where it came
 * from (Origin / Sec-Fetch-Site).
 *
 * Caveat: sessions are stateless, so signing out clears the cookie in the browser but a copied
 * cookie stays valid until it expires (at most SESSION_SECONDS). Nothing here is logged.
 */
import type { Credential, Identities } from "../../src/auth/identities.ts";
import { stringsEqual, toBase64Url } from "../../src/bytes.ts";
import { decodeRootKey } from "../../src/keys/backing-key.ts";
import { identities } from "../identity-config.ts";
import type { Vars } from "../vars.ts";

export const SESSION_COOKIE = "edgekms_console";
export const SIGN_IN_CSRF_COOKIE = "edgekms_console_signin";
/** How long a session lasts (absolute, from sign-in). */
export const SESSION_SECONDS = 8 * 60 * 60;

export interface Session {
  accessKeyId: string;
  sessionId: string;
  expiresAt: number;
  credential: Credential;
  csrfToken: string;
}

/**
 * The identity configuration, as the API sees it (worker/identity-config.ts): without one — and
 * without the explicit development opt-in — nobody can sign in.
 */
export function consoleIdentities(env: Vars): Identities {
  return identities(env);
}

const keyCache = new Map<string, Promise<CryptoKey>>();

/** The session MAC key: HKDF-SHA-256(ROOT_KEY, info "edgekms console session v1"). */
function macKey(env: Vars): Promise<CryptoKey> {
  const source = env.ROOT_KEY ?? "";
  let key = keyCache.get(source);
  if (key === undefined) {
    key = (async () => {
      // importKey copies the bytes: the decoded copy is wiped as soon as it returns.
      const decoded = decodeRootKey(env.ROOT_KEY) as Uint8Array<ArrayBuffer>;
      let root: CryptoKey;
      try {
        root = await crypto.subtle.importKey("raw", decoded, "HKDF", false, ["deriveKey"]);
      } finally {
        decoded.fill(0);
      }
      return crypto.subtle.deriveKey(
        { name: "HKDF", hash: "SHA-256", salt: new Uint8Array(32), info: new TextEncoder().encode("edgekms console session v1") },
        root,
        { name: "HMAC", hash: "SHA-256", length: 256 },
        false,
        ["sign"],
      );
    })();
    keyCache.set(source, key);
  }
  return key;
}

async function mac(env: Vars, ...parts: string[]): Promise<string> {
  // Length-prefixed parts, so no two different part lists give the same input.
  const input = parts.map((p) => `${p.length}:${p}`).join("|");
  const sig = await crypto.subtle.sign("HMAC", await macKey(env), new TextEncoder().encode(input));
  return toBase64Url(new Uint8Array(sig));
}

function randomId(): string {
  return toBase64Url(crypto.getRandomValues(new Uint8Array(18)));
}

/** Checks an access key ID and secret against the identity configuration. */
export function checkCredentials(env: Vars, accessKeyId: string, secretAccessKey: string): Credential | undefined {
  const credential = consoleIdentities(env).credential(accessKeyId);
  // Compare against something even for an unknown key ID, so both paths do the same work.
  const expected = credential?.secretAccessKey ?? "\u0000no such credential";
  const matches = stringsEqual(expected, secretAccessKey);
  return credential !== undefined && matches ? credential : undefined;
}

/** A new session cookie value for `credential`. */
export async function issueSession(env: Vars, credential: Credential, now = Date.now()): Promise<{ value: string; maxAge: number }> {
  const payload = toBase64Url(
    new TextEncoder().encode(JSON.stringify({ k: credential.accessKeyId, s: randomId(), e: Math.floor(now / 1000) + SESSION_SECONDS })),
  );
  const sig = await mac(env, "session", payload, credential.secretAccessKey);
  return { value: `${payload}.${sig}`, maxAge: SESSION_SECONDS };
}

function fromBase64Url(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return undefined;
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4);
  try {
    return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  } catch {
    return undefined;
  }
}

/** The session a cookie value names, if it is authentic, unexpired and its credential still exists. */
export async function readSession(env: Vars, cookie: string | undefined, now = Date.now()): Promise<Session | undefined> {
  if (cookie === undefined || cookie.length > 1024) return undefined;
  const [payload, sig, extra] = cookie.split(".");
  if (payload === undefined || sig === undefined || extra !== undefined) return undefined;
  const bytes = fromBase64Url(payload);
  if (bytes === undefined) return undefined;
  let body: { k?: unknown; s?: unknown; e?: unknown };
  try {
    body = JSON.parse(new TextDecoder().decode(bytes)) as typeof body;
  } catch {
    return undefined;
  }
  if (typeof body.k !== "string" || typeof body.s !== "string" || typeof body.e !== "number") return undefined;
  const credential = consoleIdentities(env).credential(body.k);
  if (credential === undefined) return undefined;
  if (!stringsEqual(await mac(env, "session", payload, credential.secretAccessKey), sig)) return undefined;
  if (body.e * 1000 <= now) return undefined;
  return {
    accessKeyId: body.k,
    sessionId: body.s,
    expiresAt: body.e * 1000,
    credential,
    csrfToken: await mac(env, "csrf", body.s),
  };
}

/** A fresh token for the sign-in form (also set as the SIGN_IN_CSRF_COOKIE). */
export function signInCsrfToken(): string {
  return randomId();
}

/** Whether a submitted CSRF token matches the expected one. */
export function csrfMatches(expected: string | undefined, submitted: unknown): boolean {
  return typeof expected === "string" && expected !== "" && typeof submitted === "string" && stringsEqual(expected, submitted);
}

/**
 * Whether a POST came from the console's own pages, by the headers browsers send: Origin when
 * present must be this origin, and Sec-Fetch-Site when present must be same-origin.
 */
export function sameOrigin(request: Request): boolean {
  const origin = request.headers.get("Origin");
  if (origin !== null && origin !== new URL(request.url).origin) return false;
  const site = request.headers.get("Sec-Fetch-Site");
  if (site !== null && site !== "same-origin" && site !== "none") return false;
  return true;
}

/** Set-Cookie attributes for console cookies. */
export function cookieOptions(request: Request, maxAge: number) {
  return {
    path: "/console",
    httpOnly: true,
    sameSite: "Strict" as const,
    secure: new URL(request.url).protocol === "https:",
    maxAge,
  };
}
