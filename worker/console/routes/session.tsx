/**
 * Sign-in and sign-out (see session.ts for the cookie and CSRF design).
 */
import type { Hono } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { field, type ConsoleEnv } from "../context.ts";
import { SignInPage } from "../pages/sign-in.tsx";
import {
  checkCredentials,
  cookieOptions,
  csrfMatches,
  issueSession,
  SESSION_COOKIE,
  SIGN_IN_CSRF_COOKIE,
  signInCsrfToken,
} from "../session.ts";

/** Where to go after signing in: only a path inside the console. */
function safeNext(next: string): string {
  return /^\/console(\/[A-Za-z0-9\-._~%/]*)?(\?[A-Za-z0-9\-._~%=&+]*)?$/.test(next) && !next.includes("//") ? next : "/console/keys";
}

export function registerSessionRoutes(app: Hono<ConsoleEnv>): void {
  app.get("/sign-in", (c) => {
    const token = signInCsrfToken();
    setCookie(c, SIGN_IN_CSRF_COOKIE, token, cookieOptions(c.req.raw, 60 * 60));
    const notice =
      c.req.query("signedOut") !== undefined
        ? "You have signed out."
        : c.req.query("expired") !== undefined
          ? "Your session has ended. Sign in again."
          : undefined;
    return c.html(<SignInPage csrfToken={token} notice={notice} next={safeNext(c.req.query("next") ?? "")} />);
  });

  app.post("/sign-in", async (c) => {
    const form = c.get("form");
    const accessKeyId = field(form, "accessKeyId").trim();
    const next = safeNext(field(form, "next"));
    const again = (status: 400 | 403, error: { type: string; message: string }) => {
      const token = signInCsrfToken();
      setCookie(c, SIGN_IN_CSRF_COOKIE, token, cookieOptions(c.req.raw, 60 * 60));
      return c.html(<SignInPage csrfToken={token} accessKeyId={accessKeyId} error={error} next={next} />, status);
    };
    if (!csrfMatches(getCookie(c, SIGN_IN_CSRF_COOKIE), form.csrf)) {
      return again(403, { type: "", message: "The sign-in form expired or did not come from this console. Try again." });
    }
    const credential = checkCredentials(c.get("runtime").vars, accessKeyId, field(form, "secretAccessKey"));
    if (credential === undefined) {
      // The API's words for an unknown access key; a wrong secret is not told apart from it.
      return again(403, { type: "UnrecognizedClientException", message: "The security token included in the request is invalid." });
    }
    const session = await issueSession(c.get("runtime").vars, credential);
    setCookie(c, SESSION_COOKIE, session.value, cookieOptions(c.req.raw, session.maxAge));
    deleteCookie(c, SIGN_IN_CSRF_COOKIE, { path: "/console" });
    return c.redirect(next, 303);
  });

  app.post("/sign-out", (c) => {
    // Checked by the console's CSRF middleware before it gets here.
    deleteCookie(c, SESSION_COOKIE, { path: "/console", secure: new URL(c.req.url).protocol === "https:" });
    return c.redirect("/console/sign-in?signedOut", 303);
  });
}
