/**
 * The web console inside workerd, driven in-process through the app (`app.request`): its JSX pages
 * compile and render in the Workers runtime, sign-in sets the session cookie, forms need the CSRF
 * token and the console's own origin, and the wizard's Finish creates the key and alias it shows
 * as the signed-in principal (checked through runOperation, the API's path).
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { app } from "../../worker/app.ts";
import type { Caller } from "../../src/service/caller.ts";
import { runOperation } from "../../worker/dispatch.ts";
import { loadIdentities } from "../../src/auth/identities.ts";

const ORIGIN = "http://console.test";

function cookiesOf(response: Response): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of response.headers.getSetCookie()) {
    const [pair] = line.split(";");
    const i = pair!.indexOf("=");
    out[pair!.slice(0, i)] = pair!.slice(i + 1);
  }
  return out;
}

function cookieHeader(cookies: Record<string, string>): string {
  return Object.entries(cookies)
    .map(([k, v]) => `${k}=${v}`)
    .join("; ");
}

async function request(
  path: string,
  init: { method?: string; form?: Record<string, string>; cookies?: Record<string, string>; headers?: Record<string, string> } = {},
) {
  const headers: Record<string, string> = { ...init.headers };
  if (init.cookies) headers.Cookie = cookieHeader(init.cookies);
  let body: string | undefined;
  if (init.form) {
    headers["Content-Type"] = "application/x-www-form-urlencoded";
    headers.Origin ??= ORIGIN;
    body = new URLSearchParams(init.form).toString();
  }
  return app.request(
    `${ORIGIN}${path}`,
    { method: init.method ?? (init.form ? "POST" : "GET"), headers, ...(body === undefined ? {} : { body }) },
    env,
  );
}

function csrfOf(html: string): string {
  const m = /name="csrf" value="([^"]+)"/.exec(html);
  if (!m) throw new Error("no CSRF field on the page");
  return m[1]!;
}

async function signIn(accessKeyId: string): Promise<{ cookies: Record<string, string>; csrf: string }> {
  const page = await request("/console/sign-in");
  const pre = cookiesOf(page);
  const response = await request("/console/sign-in", {
    form: { csrf: csrfOf(await page.text()), accessKeyId, secretAccessKey: accessKeyId },
    cookies: pre,
  });
  expect(response.status).toBe(303);
  const cookies = { edgekms_console: cookiesOf(response).edgekms_console! };
  const keys = await request("/console/keys", { cookies });
  return { cookies, csrf: csrfOf(await keys.text()) };
}

const root = loadIdentities(undefined).credential("test")!.principal;
const rootCaller: Caller = { accountId: root.accountId, principalArn: root.arn, principal: root, secureTransport: true, via: "http" };

describe("the console in workerd", () => {
  it("sends a visitor without a session to sign in, and serves its pages with a strict CSP", async () => {
    const response = await request("/console/keys?filter=x");
    expect(response.status).toBe(303);
    expect(response.headers.get("Location")).toBe(`/console/sign-in?next=${encodeURIComponent("/console/keys?filter=x")}`);
    const page = await request("/console/sign-in");
    expect(page.status).toBe(200);
    expect(page.headers.get("Content-Type")).toMatch(/^text\/html/);
    expect(page.headers.get("Content-Security-Policy")).toContain("default-src 'none'");
    const html = await page.text();
    expect(html.startsWith("<!DOCTYPE html>")).toBe(true);
    expect(html).toContain('<label for="accessKeyId">Access key ID</label>');
    expect(html).not.toMatch(/<script|https?:\/\/(?!console\.test)/);
  });

  it("sets an HttpOnly, SameSite=Strict session cookie on sign-in and refuses a sign-in without its CSRF token", async () => {
    const page = await request("/console/sign-in");
    const pre = cookiesOf(page);
    const refused = await request("/console/sign-in", { form: { accessKeyId: "test", secretAccessKey: "test" }, cookies: pre });
    expect(refused.status).toBe(403);
    expect(refused.headers.getSetCookie().some((c) => c.startsWith("edgekms_console="))).toBe(false);
    const ok = await request("/console/sign-in", {
      form: { csrf: csrfOf(await page.text()), accessKeyId: "test", secretAccessKey: "test" },
      cookies: pre,
    });
    const session = ok.headers.getSetCookie().find((c) => c.startsWith("edgekms_console="))!;
    expect(session).toMatch(/HttpOnly/);
    expect(session).toMatch(/SameSite=Strict/);
    expect(session).toMatch(/Path=\/console/);
    expect(session).toMatch(/Max-Age=28800/);
  });

  it("creates the key and alias of the wizard's Finish as the signed-in principal, and only with the CSRF token from its own origin", async () => {
    const { cookies, csrf } = await signIn("bob");
    const alias = `wizard-${crypto.randomUUID().slice(0, 8)}`;
    const state = JSON.stringify({
      alias,
      description: "from workerd",
      tags: [{ key: "Team", value: "Edge" }],
      administrators: [],
      users: [],
      externalAccounts: [],
    });
    const finish = { step: "5", state, go: "finish" };

    expect((await request("/console/keys/create", { form: finish, cookies })).status).toBe(403);
    expect(
      (await request("/console/keys/create", { form: { ...finish, csrf }, cookies, headers: { Origin: "http://evil.test" } })).status,
    ).toBe(403);
    const missing = await runOperation(env, rootCaller, "DescribeKey", { KeyId: `alias/${alias}` }, crypto.randomUUID()).catch(
      (e: { type?: string }) => e.type,
    );
    expect(missing).toBe("NotFoundException");

    const created = await request("/console/keys/create", { form: { ...finish, csrf }, cookies });
    expect(created.status).toBe(303);
    const { KeyMetadata } = (await runOperation(env, rootCaller, "DescribeKey", { KeyId: `alias/${alias}` }, crypto.randomUUID())) as {
      KeyMetadata: { KeyId: string; Description: string };
    };
    expect(KeyMetadata.Description).toBe("from workerd");
    expect(created.headers.get("Location")).toBe(`/console/keys/${KeyMetadata.KeyId}?done=created`);
    const details = await (await request(created.headers.get("Location")!, { cookies })).text();
    expect(details).toContain(`alias/${alias}`);
    expect(details).toContain("Created the key.");
    const { Policy } = (await runOperation(
      env,
      rootCaller,
      "GetKeyPolicy",
      { KeyId: KeyMetadata.KeyId, PolicyName: "default" },
      crypto.randomUUID(),
    )) as { Policy: string };
    expect(JSON.parse(Policy)).toMatchObject({ Id: "key-consolepolicy-2", Statement: [{ Sid: "Enable IAM User Permissions" }] });
  });

  it("shows an API refusal with its AWS error name: charlie's IAM policy denies everything", async () => {
    const { cookies } = await signIn("charlie");
    const response = await request("/console/keys", { cookies });
    expect(response.status).toBe(403);
    expect(await response.text()).toMatch(/<strong>AccessDeniedException<\/strong>/);
  });

  it("works in the Region its URL names: the wizard's key is created there, and redirects, links and forms keep the Region", async () => {
    const { cookies, csrf } = await signIn("test");
    const alias = `west-${crypto.randomUUID().slice(0, 8)}`;
    const state = JSON.stringify({ alias, description: "", tags: [], administrators: [], users: [], externalAccounts: [] });
    const created = await request("/console/keys/create?region=us-west-2", {
      form: { step: "5", state, go: "finish", csrf },
      cookies,
    });
    expect(created.status).toBe(303);
    const location = created.headers.get("Location")!;
    expect(new URL(location, ORIGIN).searchParams.get("region")).toBe("us-west-2");
    const west = { ...rootCaller, region: "us-west-2" };
    const { KeyMetadata } = (await runOperation(env, west, "DescribeKey", { KeyId: `alias/${alias}` }, crypto.randomUUID())) as {
      KeyMetadata: { KeyId: string; Arn: string };
    };
    expect(KeyMetadata.Arn).toContain(":us-west-2:");
    const inEast = await runOperation(env, rootCaller, "DescribeKey", { KeyId: `alias/${alias}` }, crypto.randomUUID()).catch(
      (e: { type?: string }) => e.type,
    );
    expect(inEast).toBe("NotFoundException");

    const details = await (await request(location, { cookies })).text();
    expect(details).toContain(KeyMetadata.Arn);
    expect(details).toContain("<summary>Region: us-west-2</summary>");
    expect(details).toContain(`<a href="/console/keys?region=us-east-1">us-east-1</a>`);
    const consoleUrls = [...details.matchAll(/(?:href|action)="(\/console[^"]*)"/g)].map((m) => m[1]!);
    expect(consoleUrls.length).toBeGreaterThan(10);
    // Every console URL but the selector's link to the other Region.
    for (const url of consoleUrls.filter((u) => u !== "/console/keys?region=us-east-1"))
      expect(url).toMatch(/[?&;]region=us-west-2(&|#|$)/);
    // A GET form (the key list's filter) carries the Region in a field, since the browser drops its action's query.
    const list = await (await request("/console/keys?region=us-west-2", { cookies })).text();
    expect(list).toMatch(/role="search"[^>]*><input type="hidden" name="region" value="us-west-2"/);
    expect(list).toContain(`>${alias}</a>`);
    expect(await (await request("/console/keys", { cookies })).text()).not.toContain(`>${alias}</a>`);
  });

  it("answers a Region the deployment does not serve with a clear 400 page, signed in or not", async () => {
    const { cookies } = await signIn("test");
    for (const path of ["/console/keys?region=eu-west-9", "/console/keys?region=..%2F", "/console/sign-in?region=nowhere"]) {
      const response = await request(path, { cookies });
      expect(response.status).toBe(400);
      expect(await response.text()).toBe("Unknown Region: this deployment serves us-east-1, us-west-2.");
    }
  });

  it("answers unknown console paths itself, not with the API's JSON error", async () => {
    const { cookies } = await signIn("test");
    const response = await request("/console/no-such-page", { cookies });
    expect(response.status).toBe(404);
    expect(response.headers.get("Content-Type")).toMatch(/^text\/plain/);
  });
});
