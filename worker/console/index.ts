/**
 * The EdgeKMS web console, served under /console by the same worker as the API (mounted in
 * worker/app.ts). It follows the console chapters of the AWS KMS Developer Guide: the list of
 * customer managed keys, the create-key wizard, the key details page (summary, key policy in the
 * default and policy views, tags, rotation, aliases, grants, key material), key actions, aliases,
 * and a key usage page drawn from the audit trail — in any Region the deployment serves, chosen in
 * the header and kept in the URL (region.ts).
 *
 * Every page is server-rendered HTML (Hono JSX, inline CSS, no external assets) and every action is
 * a plain form POST, so the console works without client-side JavaScript. Each action runs as the
 * signed-in principal through runOperation (kms.ts), with the API's authorization and key-state
 * rules, and is recorded in the audit trail as a console call.
 *
 * Security: pages are sent with a strict Content-Security-Policy (no scripts at all, inline styles
 * only, forms only to this origin, no framing) and `Cache-Control: no-store`; every POST needs a
 * same-origin request and a valid CSRF token (session.ts); every page but sign-in needs a session.
 */
import { Hono } from "hono";
import { getCookie } from "hono/cookie";
import type { ConsoleEnv, Form } from "./context.ts";
import { registerAliasRoutes } from "./routes/aliases.tsx";
import { registerCreateKeyRoutes } from "./routes/create-key.tsx";
import { registerKeyDetailsRoutes } from "./routes/key-details.tsx";
import { registerKeyListRoutes } from "./routes/key-list.tsx";
import { registerSessionRoutes } from "./routes/session.tsx";
import { registerUsageRoutes } from "./routes/usage.tsx";
import { carryRegion, consoleRegion } from "./region.ts";
import { csrfMatches, readSession, sameOrigin, SESSION_COOKIE } from "./session.ts";

export const consoleApp = new Hono<ConsoleEnv>();

const PUBLIC_PATHS = new Set(["/console/sign-in"]);

/** Uploads of key material and import tokens are a few KB; refuse anything much larger. */
const MAX_FORM_BYTES = 256 * 1024;

consoleApp.use(async (c, next) => {
  await next();
  c.header(
    "Content-Security-Policy",
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  );
  c.header("X-Content-Type-Options", "nosniff");
  c.header("Referrer-Policy", "same-origin");
  c.header("Cache-Control", "no-store");
});

// The Region (region.ts): an unknown one is refused before anything else; the chosen one is carried
// into every console URL the response emits.
consoleApp.use(async (c, next) => {
  const region = consoleRegion(c.get("runtime").vars, c.req.query("region"));
  if (region === undefined) {
    return c.text(`Unknown Region: this deployment serves ${consoleRegion(c.get("runtime").vars, undefined)!.regions.join(", ")}.`, 400);
  }
  c.set("region", region);
  await next();
  const carried = await carryRegion(c.res, region);
  if (carried !== c.res) {
    // Hono's setter copies the old response's headers onto a new one, which would restore its Location.
    c.res = undefined;
    c.res = carried;
  }
});

consoleApp.use(async (c, next) => {
  const path = new URL(c.req.url).pathname;
  const isPost = c.req.method === "POST";
  if (isPost) {
    if (!sameOrigin(c.req.raw)) return c.text("Forbidden: this form did not come from the console.", 403);
    const length = Number(c.req.header("Content-Length") ?? "0");
    if (length > MAX_FORM_BYTES) return c.text("The submitted form is too large.", 413);
    let form: Form;
    try {
      form = (await c.req.parseBody({ all: true })) as Form;
    } catch {
      return c.text("The submitted form could not be read.", 400);
    }
    c.set("form", form);
  } else {
    c.set("form", {});
  }
  if (PUBLIC_PATHS.has(path)) return next();

  const session = await readSession(c.get("runtime").vars, getCookie(c, SESSION_COOKIE));
  if (session === undefined) {
    if (path === "/console/sign-out") return c.redirect("/console/sign-in?signedOut", 303);
    const target = c.req.method === "GET" ? `${path}${new URL(c.req.url).search}` : "/console/keys";
    const expired = getCookie(c, SESSION_COOKIE) !== undefined;
    return c.redirect(`/console/sign-in?next=${encodeURIComponent(target)}${expired ? "&expired" : ""}`, 303);
  }
  if (isPost && !csrfMatches(session.csrfToken, c.get("form").csrf)) {
    return c.text("Forbidden: the form's CSRF token is missing or wrong. Reload the page and try again.", 403);
  }
  c.set("session", session);
  return next();
});

consoleApp.get("/", (c) => c.redirect("/console/keys", 303));

registerSessionRoutes(consoleApp);
registerCreateKeyRoutes(consoleApp);
registerKeyListRoutes(consoleApp);
registerUsageRoutes(consoleApp);
registerKeyDetailsRoutes(consoleApp);
registerAliasRoutes(consoleApp);

// Mounted under the API app, whose own catch-all answers in AWS's JSON: the console answers its paths itself.
consoleApp.all("*", (c) => c.text("Not found.", 404));

consoleApp.onError((err, c) => {
  // Refusals are shown on their pages; reaching here is a bug. Log it (as the API does) and say nothing more.
  console.error("unexpected error in console", err instanceof Error ? `${err.name}: ${err.stack}` : "non-error thrown");
  return c.text("An internal error occurred. Try again.", 500);
});
