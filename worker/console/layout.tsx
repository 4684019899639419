/**
 * The page shell of the console: document head with the inline style sheet (no external assets),
 * the header with the Region selector, the signed-in principal and "Sign out", the navigation and the page's heading.
 * Server-rendered with Hono's JSX; works without client-side JavaScript.
 */
import type { Child } from "hono/jsx";
import { raw } from "hono/html";
import type { SignedInAs } from "./context.ts";

const CSS = `
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#16191f;background:#f2f3f3}
header.top{display:flex;align-items:center;gap:16px;padding:8px 20px;background:#232f3e;color:#fff}
header.top a{color:#fff}
header.top .brand{font-weight:700;font-size:16px;text-decoration:none}
header.top .who{margin-left:auto;font-size:13px}
header.top form{display:inline}
header.top .region{font-size:13px}
header.top .region .menu-items a{color:#0073bb}
header.top .region .menu-items a[aria-current]{font-weight:700}
nav.side{padding:8px 20px;background:#fff;border-bottom:1px solid #d5dbdb}
nav.side a{margin-right:18px}
main{padding:16px 20px;max-width:1200px}
h1{font-size:22px;margin:8px 0 12px}
h2{font-size:17px;margin:0 0 8px}
h3{font-size:15px;margin:12px 0 6px}
a{color:#0073bb}
section.panel,fieldset.panel{background:#fff;border:1px solid #d5dbdb;border-radius:4px;padding:14px 16px;margin:0 0 16px}
fieldset.panel legend{font-weight:700;padding:0 4px}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid #eaeded;vertical-align:top}
th{background:#fafafa;font-weight:600}
label{font-weight:600}
.field{margin:0 0 12px}
.field label{display:block;margin-bottom:3px}
.hint{color:#545b64;font-weight:400;font-size:13px}
input[type=text],input[type=password],input[type=number],input[type=date],input[type=time],input[type=search],select,textarea{font:inherit;padding:5px 7px;border:1px solid #aab7b8;border-radius:2px;min-width:260px}
textarea{width:100%;font-family:ui-monospace,Menlo,Consolas,monospace;font-size:13px}
button,.button{font:inherit;font-weight:600;padding:5px 14px;border:1px solid #545b64;border-radius:2px;background:#fff;color:#16191f;cursor:pointer;text-decoration:none;display:inline-block}
button.primary,.button.primary{background:#ec7211;border-color:#ec7211;color:#fff}
button.danger{background:#d13212;border-color:#d13212;color:#fff}
button:focus,a:focus,input:focus,select:focus,textarea:focus,summary:focus{outline:2px solid #0073bb;outline-offset:1px}
.actions{display:flex;gap:8px;align-items:center;flex-wrap:wrap;margin:8px 0}
.toolbar{display:flex;gap:10px;align-items:flex-end;flex-wrap:wrap;margin:0 0 10px}
.alert{border:1px solid #d13212;background:#fdf3f1;padding:10px 14px;margin:0 0 14px;border-radius:2px}
.alert strong{color:#d13212}
.notice{border:1px solid #1d8102;background:#f2f8f0;padding:10px 14px;margin:0 0 14px;border-radius:2px}
.status-Enabled{color:#1d8102;font-weight:600}
.status-Disabled,.status-PendingDeletion,.status-PendingImport{color:#d13212;font-weight:600}
dl.summary{display:grid;grid-template-columns:max-content 1fr;gap:4px 18px;margin:0}
dl.summary dt{font-weight:600;color:#545b64}
dl.summary dd{margin:0;word-break:break-all}
details.menu{display:inline-block;position:relative}
details.menu summary{list-style:none;font-weight:600;padding:5px 14px;border:1px solid #545b64;border-radius:2px;background:#fff;cursor:pointer}
details.menu summary::-webkit-details-marker{display:none}
details.menu[open] .menu-items{position:absolute;z-index:2;background:#fff;border:1px solid #aab7b8;padding:6px;display:flex;flex-direction:column;gap:4px;min-width:200px}
ol.steps{display:flex;gap:6px;padding:0;margin:0 0 14px;list-style:none;flex-wrap:wrap}
ol.steps li{padding:4px 10px;border:1px solid #d5dbdb;background:#fff;border-radius:12px;font-size:13px}
ol.steps li[aria-current=step]{background:#232f3e;color:#fff;border-color:#232f3e}
pre.policy{background:#fafafa;border:1px solid #eaeded;padding:10px;overflow:auto;max-height:420px}
.legend{display:flex;gap:14px;flex-wrap:wrap;margin:6px 0}
.legend span{display:inline-flex;align-items:center;gap:5px}
.swatch{display:inline-block;width:12px;height:12px}
.muted{color:#545b64}
`;

export interface LayoutProps {
  title: string;
  /** The signed-in principal's ARN, the CSRF token for the sign-out form, and the console's Region. */
  signedInAs?: SignedInAs;
  children?: Child;
}

export function Layout(props: LayoutProps) {
  return (
    <>
      {raw("<!DOCTYPE html>")}
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <title>{`${props.title} – EdgeKMS console`}</title>
          <style>{raw(CSS)}</style>
        </head>
        <body>
          <header class="top">
            <a class="brand" href="/console/keys">
              EdgeKMS
            </a>
            <span>Encryption Keys</span>
            {props.signedInAs && (
              // Choosing a Region opens its key list, as the AWS console does. Plain links (each naming
              // its Region), so it works without JavaScript.
              <details class="menu region">
                <summary>Region: {props.signedInAs.region.region}</summary>
                <nav class="menu-items" aria-label="Regions">
                  {props.signedInAs.region.regions.map((r) => (
                    <a
                      href={`/console/keys?region=${encodeURIComponent(r)}`}
                      aria-current={r === props.signedInAs!.region.region ? "true" : undefined}
                    >
                      {r}
                    </a>
                  ))}
                </nav>
              </details>
            )}
            {props.signedInAs && (
              <span class="who">
                Signed in as <span data-testid="principal">{props.signedInAs.arn}</span>{" "}
                <form method="post" action="/console/sign-out">
                  <input type="hidden" name="csrf" value={props.signedInAs.csrfToken} />
                  <button type="submit">Sign out</button>
                </form>
              </span>
            )}
          </header>
          {props.signedInAs && (
            <nav class="side" aria-label="Console">
              <a href="/console/keys">Customer managed keys</a>
              <a href="/console/aliases">Aliases</a>
              <a href="/console/keys/create">Create key</a>
            </nav>
          )}
          <main>
            <h1>{props.title}</h1>
            {props.children}
          </main>
        </body>
      </html>
    </>
  );
}
