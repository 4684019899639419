/**
 * Starts EdgeKMS on Deno (deno/main.ts under `deno serve`, the pinned `deno` from node_modules)
 * on a free loopback port with its Deno KV in a given folder: what `npm run start:deno` serves,
 * with the same variables the workerd launcher (local-worker.ts) gives the worker, so the e2e
 * suite runs unchanged against either runtime (runtime.ts switches). Several servers may share
 * one KV file (the race tests), and `kill()` ends one with SIGKILL (the crash tests). The process
 * itself is started by bench/deno-runtime.mjs, the benchmark's launcher.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { startDenoServe } from "../../bench/deno-runtime.mjs";
import { TEST_ROOT_KEY, type LocalWorker, type LocalWorkerOptions } from "./local-worker.ts";

export interface DenoServer extends LocalWorker {
  /** Ends the server at once with SIGKILL (no shutdown of any kind). */
  kill(): Promise<void>;
  /** Everything the server printed so far. */
  output(): string;
}

export interface DenoServerOptions extends LocalWorkerOptions {
  /** The KV file (default: kv.sqlite3 in persistDir), so several servers can share one. */
  kvPath?: string;
}

export async function startDenoServer(options: DenoServerOptions): Promise<DenoServer> {
  if (options.configs !== undefined && options.configs.length > 1) throw new Error("multi-config sessions are a workerd feature");
  const kvPath = options.kvPath ?? join(options.persistDir, "kv.sqlite3");
  mkdirSync(options.persistDir, { recursive: true });
  const server = await startDenoServe({
    entry: "deno/main.ts",
    stateDir: join(kvPath, ".."),
    vars: {
      ROOT_KEY: TEST_ROOT_KEY,
      EDGEKMS_DEV_IDENTITIES: "true",
      REQUEST_QUOTAS: "off",
      AUDIT_FORWARD_DELAY_MS: "20",
      EDGEKMS_KV: kvPath,
      ...options.vars,
    },
  });
  return { url: server.url, persistDir: options.persistDir, pid: server.pid, stop: server.stop, kill: server.kill, output: server.output };
}
