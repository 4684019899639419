/**
 * Console sessions and CSRF tokens (worker/console/session.ts): cookies are authentic only under
 * the same root key and the credential's current secret, expire, and resist tampering; CSRF tokens
 * are bound to the session.
 */
import { describe, expect, it } from "vitest";
import { checkCredentials, csrfMatches, issueSession, readSession, sameOrigin, SESSION_SECONDS } from "../../../worker/console/session.ts";
import type { Vars } from "../../../worker/vars.ts";

const ROOT_KEY = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
/** The development identities, which the console (like the API) uses only when opted into. */
const env: Vars = { ROOT_KEY, EDGEKMS_DEV_IDENTITIES: "true" };

function withIdentities(secret: string): Vars {
  const config = {
    credentials: [
      { accessKeyId: "alice", secretAccessKey: secret, principal: { type: "IAMUser", accountId: "111122223333", userName: "alice" } },
    ],
  };
  return { ROOT_KEY, EDGEKMS_IDENTITIES: JSON.stringify(config) };
}

describe("console sign-in and sessions", () => {
  it("lets nobody sign in without an identity configuration or the development opt-in", () => {
    expect(() => checkCredentials({ ROOT_KEY }, "alice", "alice")).toThrow(/no identity configuration/);
  });

  it("accepts only a configured access key with its own secret", () => {
    expect(checkCredentials(env, "alice", "alice")?.principal.arn).toBe("arn:aws:iam::111122223333:user/alice");
    expect(checkCredentials(env, "alice", "bob")).toBeUndefined();
    expect(checkCredentials(env, "nobody", "nobody")).toBeUndefined();
    expect(checkCredentials(env, "alice", "")).toBeUndefined();
  });

  it("reads back a session it issued, with a CSRF token bound to it", async () => {
    const credential = checkCredentials(env, "bob", "bob")!;
    const now = Date.now();
    const cookie = await issueSession(env, credential, now);
    expect(cookie.maxAge).toBe(SESSION_SECONDS);
    const session = (await readSession(env, cookie.value, now))!;
    expect(session.credential.principal.arn).toBe("arn:aws:iam::111122223333:user/bob");
    expect(csrfMatches(session.csrfToken, session.csrfToken)).toBe(true);
    const other = (await readSession(env, (await issueSession(env, credential, now)).value, now))!;
    expect(other.csrfToken).not.toBe(session.csrfToken);
    expect(csrfMatches(session.csrfToken, other.csrfToken)).toBe(false);
    expect(csrfMatches(session.csrfToken, undefined)).toBe(false);
    expect(csrfMatches(undefined, "")).toBe(false);
  });

  it("refuses expired, tampered, foreign-key and stale-secret cookies", async () => {
    const now = Date.now();
    const cookie = (await issueSession(env, checkCredentials(env, "alice", "alice")!, now)).value;
    expect(await readSession(env, cookie, now + SESSION_SECONDS * 1000 + 1000)).toBeUndefined();
    const [payload, sig] = cookie.split(".") as [string, string];
    const forged = Buffer.from(JSON.stringify({ k: "test", s: "x", e: Math.floor(now / 1000) + 60 })).toString("base64url");
    expect(await readSession(env, `${forged}.${sig}`, now)).toBeUndefined();
    expect(await readSession(env, `${payload}.${sig.slice(0, -1)}${sig.endsWith("A") ? "B" : "A"}`, now)).toBeUndefined();
    expect(await readSession(env, `${payload}.${sig}.x`, now)).toBeUndefined();
    expect(await readSession(env, "", now)).toBeUndefined();
    expect(await readSession(env, undefined, now)).toBeUndefined();
    // Another deployment's root key.
    expect(
      await readSession({ ROOT_KEY: "AQECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", EDGEKMS_DEV_IDENTITIES: "true" }, cookie, now),
    ).toBeUndefined();
    // A changed secret ends the credential's sessions.
    const before = withIdentities("old-secret");
    const issued = (await issueSession(before, checkCredentials(before, "alice", "old-secret")!, now)).value;
    expect(await readSession(before, issued, now)).toBeDefined();
    expect(await readSession(withIdentities("new-secret"), issued, now)).toBeUndefined();
  });

  it("accepts a POST only from the console's own origin when the browser names one", () => {
    const post = (headers: Record<string, string>) => new Request("https://kms.example/console/keys/actions", { method: "POST", headers });
    expect(sameOrigin(post({}))).toBe(true);
    expect(sameOrigin(post({ Origin: "https://kms.example", "Sec-Fetch-Site": "same-origin" }))).toBe(true);
    expect(sameOrigin(post({ Origin: "https://evil.example" }))).toBe(false);
    expect(sameOrigin(post({ Origin: "http://kms.example" }))).toBe(false);
    expect(sameOrigin(post({ "Sec-Fetch-Site": "cross-site" }))).toBe(false);
    expect(sameOrigin(post({ "Sec-Fetch-Site": "same-site" }))).toBe(false);
  });
});
