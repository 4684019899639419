/**
 * The Hono app (worker/http-app.ts) on Cloudflare: its runtime is the Worker's Durable Objects
 * and bindings (worker/cloudflare-runtime.ts), and it serves the web console at /console.
 */
import type { Env } from "./config.ts";
import { cloudflareRuntime } from "./cloudflare-runtime.ts";
import { consoleApp } from "./console/index.ts";
import { createApp } from "./http-app.ts";

export { attemptedOperation, MAX_USER_AGENT_LENGTH } from "./http-app.ts";

export const app = createApp(
  (env) => cloudflareRuntime(env as Env),
  (app) => app.route("/console", consoleApp as unknown as typeof app),
);
