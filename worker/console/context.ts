/**
 * The console's Hono environment and the per-request helpers its routes share: the signed-in
 * session, the API handle running as that principal, the parsed form, and redirects.
 */
import type { Context } from "hono";
import type { KmsRuntime } from "../runtime.ts";
import { ConsoleKms, consoleCaller } from "./kms.ts";
import type { ConsoleRegion } from "./region.ts";
import type { Session } from "./session.ts";

export type Form = Record<string, string | File | (string | File)[]>;

export type ConsoleEnv = {
  Bindings: object | undefined;
  /** `runtime` is set by the app the console is mounted in (worker/http-app.ts). */
  Variables: { requestId: string; runtime: KmsRuntime; session: Session; form: Form; region: ConsoleRegion };
};

export type ConsoleContext = Context<ConsoleEnv>;

/** The API as the signed-in principal, with this request's facts (source IP, user agent, TLS). */
export function kmsFor(c: ConsoleContext): ConsoleKms {
  return new ConsoleKms(
    c.get("runtime"),
    consoleCaller(
      c.get("session"),
      {
        sourceIp: c.req.header("CF-Connecting-IP") ?? "127.0.0.1",
        userAgent: c.req.header("User-Agent"),
        secureTransport: new URL(c.req.url).protocol === "https:",
      },
      c.get("region").region,
    ),
  );
}

/** What the page header shows: who is signed in (and the sign-out form's CSRF token) and the Region. */
export interface SignedInAs {
  arn: string;
  csrfToken: string;
  region: ConsoleRegion;
}

export function signedInAs(c: ConsoleContext): SignedInAs {
  const session = c.get("session");
  return { arn: session.credential.principal.arn, csrfToken: session.csrfToken, region: c.get("region") };
}

/** One text field of the submitted form ("" when absent). */
export function field(form: Form, name: string): string {
  const v = form[name];
  const first = Array.isArray(v) ? v[0] : v;
  return typeof first === "string" ? first : "";
}

/** Every text value submitted under `name`, in order. */
export function fields(form: Form, name: string): string[] {
  const v = form[name];
  const list = Array.isArray(v) ? v : v === undefined ? [] : [v];
  return list.filter((x): x is string => typeof x === "string");
}

/** An uploaded file, if one with content was chosen. */
export function file(form: Form, name: string): File | undefined {
  const v = form[name];
  const first = Array.isArray(v) ? v[0] : v;
  return typeof first === "object" && first !== null && first.size > 0 ? first : undefined;
}

/** 303 See Other after a successful POST, so reloading the page does not repeat the action. */
export function seeOther(c: ConsoleContext, path: string): Response {
  return c.redirect(path, 303);
}

/** The path of a key's details page. */
export function keyPath(keyId: string, suffix = ""): string {
  return `/console/keys/${encodeURIComponent(keyId)}${suffix}`;
}
