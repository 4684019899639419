/**
 * The console's Region, as the AWS console keeps it: a `region` query parameter on every console
 * URL (absent: the deployment's default Region, so existing links keep working). The chosen Region
 * reaches the service the way an API request's SigV4 scope does — as the Caller's `region`
 * (kms.ts) and as the scope of the console's signed LookupEvents call (trail.ts) — so dispatch
 * applies its own per-Region rules; nothing here decides what a Region holds.
 *
 * Rather than have each of the console's many links, forms and redirects remember the parameter,
 * one response step (`carryRegion`) adds it to every console URL a page or redirect emits. That is
 * safe on our own HTML: Hono's JSX escapes `"` in text and attribute values, so `href="/console`
 * and `action="/console` only ever appear as real attributes. A URL that already names a Region
 * (a multi-Region key's replica in another Region) is left as it is. GET forms lose their action's
 * query string when submitted, so each is given a hidden `region` field instead.
 */
import { settingsFrom } from "../../src/service/settings.ts";

export interface ConsoleRegion {
  /** The Region this request works in. */
  region: string;
  /** Every Region the deployment serves, the default first. */
  regions: readonly string[];
  /** The deployment's default Region (used when the URL names none). */
  defaultRegion: string;
}

/** The Region a console URL asks for, or undefined when it names one the deployment does not serve. */
export function consoleRegion(vars: object, requested: string | undefined): ConsoleRegion | undefined {
  const { region: defaultRegion, regions } = settingsFrom(vars as Record<string, string | undefined>);
  const region = requested === undefined || requested === "" ? defaultRegion : requested;
  return regions.includes(region) ? { region, regions, defaultRegion } : undefined;
}

/** `url` (a console path, possibly with a query string) in `region`. */
export function inRegion(url: string, region: string): string {
  const [beforeHash, hash] = splitOnce(url, "#");
  const [path, query = ""] = splitOnce(beforeHash, "?");
  const params = new URLSearchParams(query);
  params.set("region", region);
  return `${path}?${params.toString()}${hash === undefined ? "" : `#${hash}`}`;
}

function splitOnce(s: string, sep: string): [string, string?] {
  const i = s.indexOf(sep);
  return i < 0 ? [s] : [s.slice(0, i), s.slice(i + 1)];
}

const GET_FORM = /<form method="get"[^>]*>/g;
const CONSOLE_URL_ATTRIBUTE = /\b(href|action)="(\/console(?:[/?#][^"]*)?)"/g;

/** Adds `region` to a console URL as it appears in an HTML attribute (`&` escaped as `&amp;`). */
function attributeInRegion(url: string, region: string): string {
  const [beforeHash, hash] = splitOnce(url, "#");
  const [path, query] = splitOnce(beforeHash, "?");
  if (query !== undefined && /(^|&amp;|&)region=/.test(query)) return url;
  const withRegion = query === undefined || query === "" ? `${path}?region=${region}` : `${path}?${query}&amp;region=${region}`;
  return hash === undefined ? withRegion : `${withRegion}#${hash}`;
}

/**
 * Carries the Region into a console response: its redirect target and every console link and form
 * action of its HTML. The default Region needs nothing (a URL without `region` means it).
 */
export async function carryRegion(res: Response, region: ConsoleRegion): Promise<Response> {
  if (region.region === region.defaultRegion) return res;
  const location = res.headers.get("Location");
  if (location?.startsWith("/console") && !new URL(location, "http://x").searchParams.has("region")) {
    const headers = new Headers(res.headers);
    headers.set("Location", inRegion(location, region.region));
    return new Response(res.body, { status: res.status, statusText: res.statusText, headers });
  }
  if (!(res.headers.get("Content-Type") ?? "").startsWith("text/html")) return res;
  const html = await res.text();
  const headers = new Headers(res.headers);
  headers.delete("Content-Length");
  return new Response(
    html
      .replace(CONSOLE_URL_ATTRIBUTE, (_, attr: string, url: string) => `${attr}="${attributeInRegion(url, region.region)}"`)
      .replace(GET_FORM, (tag) => `${tag}<input type="hidden" name="region" value="${region.region}" />`),
    { status: res.status, statusText: res.statusText, headers },
  );
}
