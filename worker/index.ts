/**
 * EdgeKMS worker entry: the HTTP app that serves the AWS KMS JSON API, and the Durable Object
 * classes wrangler binds (see wrangler.toml).
 */
import { env } from "cloudflare:workers";
import { app } from "./app.ts";
import type { Env } from "./config.ts";
import { reportIdentityConfiguration } from "./identity-config.ts";

// Said once per isolate as it starts: a deployment without identities refuses every request.
reportIdentityConfiguration(env as unknown as Env);

export { KeyObject } from "./key-object.ts";
export { AccountRegistry } from "./account-registry.ts";
export { AuditLog } from "./audit-log.ts";
// Service-binding entrypoint for other workers (worker/entrypoint.ts).
export { KmsBinding } from "./entrypoint.ts";

export default app;
