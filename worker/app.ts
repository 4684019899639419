/**
 * The Hono app (worker/http-app.ts) on Cloudflare: its runtime is the Worker's Durable Objects
 * and bindings (worker/cloudflare-runtime.ts).
 */
import type { Env } from "./config.ts";
import { cloudflareRuntime } from "./cloudflare-runtime.ts";
import { createApp } from "./http-app.ts";

export { attemptedOperation, MAX_USER_AGENT_LENGTH } from "./http-app.ts";

export const app = createApp((env) => cloudflareRuntime(env as Env));
