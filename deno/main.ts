/**
 * EdgeKMS on Deno: `deno serve` entry (`npm run start:deno` runs it; README "Deno"). The same
 * Hono app as on Cloudflare (worker/http-app.ts) over Deno KV (deno/service.ts).
 *
 * Configuration is the environment: the variables of worker/vars.ts (ROOT_KEY, identities,
 * limits, ...) and EDGEKMS_KV, the KV to open — a file path (default `.edgekms/deno/kv.sqlite3`
 * under the working directory), a KV Connect URL (a self-hosted `denokv`, or a Deno Deploy KV
 * from elsewhere; DENO_KV_ACCESS_TOKEN holds its token), or `default` for `Deno.openKv()` — which
 * is also what runs on Deno Deploy when EDGEKMS_KV is unset.
 *
 * Every process serving one KV listens on its queue, so deadlines fire whichever process is up.
 */
import { consoleApp } from "../worker/console/index.ts";
import { createApp } from "../worker/http-app.ts";
import { reportIdentityConfiguration } from "../worker/identity-config.ts";
import type { Vars } from "../worker/vars.ts";
import { denoService } from "./service.ts";

export const DEFAULT_KV_PATH = ".edgekms/deno/kv.sqlite3";

/** The configuration variables from the environment (only the names EdgeKMS reads). */
function varsFromEnv(): Vars {
  const names: (keyof Vars)[] = [
    "KMS_REGION",
    "KMS_REGIONS",
    "ROOT_KEY",
    "ROOT_KEY_PREVIOUS",
    "EDGEKMS_IDENTITIES",
    "EDGEKMS_DEV_IDENTITIES",
    "TRUST_CF_CONNECTING_IP",
    "REQUEST_QUOTAS",
    "ROTATION_PERIOD_SECONDS",
    "KEYS_PER_ACCOUNT",
    "ALIASES_PER_ACCOUNT",
    "GRANTS_PER_KEY",
    "GRANTS_PER_GRANTEE_PER_KEY",
    "DELETION_DAY_SECONDS",
    "IMPORT_PARAMETERS_VALID_SECONDS",
    "AUDIT_RETENTION_DAYS",
    "METRICS_TOKEN",
    "AUDIT_FORWARD_DELAY_MS",
  ];
  const vars: Vars = {};
  for (const name of names) {
    const value = Deno.env.get(name);
    if (value !== undefined) vars[name] = value;
  }
  return vars;
}

async function openKv(): Promise<Deno.Kv> {
  const configured = Deno.env.get("EDGEKMS_KV");
  // The platform's own KV: Deno Deploy's (where no file can be written), or Deno's default file.
  if (configured === "default" || (!configured && Deno.env.get("DENO_DEPLOYMENT_ID"))) return Deno.openKv();
  const location = configured || DEFAULT_KV_PATH;
  if (!/^https?:\/\//.test(location)) {
    const slash = location.lastIndexOf("/");
    if (slash > 0) await Deno.mkdir(location.slice(0, slash), { recursive: true });
  }
  return Deno.openKv(location);
}

const vars = varsFromEnv();
reportIdentityConfiguration(vars);
const kv = await openKv();
const service = denoService(kv, vars);
kv.listenQueue((message) => service.deliver(message));
// Wake-ups that fell due while no process was running (their queue messages also arrive).
queueMicrotask(() => void service.recover());

// The web console (worker/console/) on the same runtime, as on Cloudflare.
const app = createApp(
  () => service.runtime,
  (app) => app.route("/console", consoleApp as unknown as typeof app),
);

/**
 * The caller's address is the TCP peer's, passed to the app as CF-Connecting-IP (which the app
 * reads on every runtime, worker/source-ip.ts); a client-sent CF-Connecting-IP is replaced, as
 * Cloudflare's edge does. Policies trust it only with TRUST_CF_CONNECTING_IP=true, as on workerd.
 */
function withPeerAddress(request: Request, info: Deno.ServeHandlerInfo): Request {
  const headers = new Headers(request.headers);
  const peer = info.remoteAddr;
  if (peer.transport === "tcp" || peer.transport === "udp") headers.set("CF-Connecting-IP", peer.hostname);
  else headers.delete("CF-Connecting-IP");
  return new Request(request, { headers });
}

export default {
  fetch: (request, info) => app.fetch(withPeerAddress(request, info)),
} satisfies Deno.ServeDefaultExport;
