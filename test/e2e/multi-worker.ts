/**
 * Runs several workers in one local runtime session (scripts/local-runtime.mjs: Miniflare and
 * workerd), as `npm start -- -c a/wrangler.toml -c b/wrangler.toml ...` and wrangler's
 * multi-config mode (`wrangler dev -c a/wrangler.toml -c b/wrangler.toml ...`) do. The first
 * configuration's worker is served on the port; the others are reachable only through service
 * bindings, exactly as between deployed workers. Used by the service-binding tests to run the
 * binding probe, the example consumer and EdgeKMS together (./local-worker.ts starts EdgeKMS
 * alone).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import { startLocalWorker, type LocalWorker } from "./local-worker.ts";

/** Starts the workers of `configs` (paths relative to the repository) for the current test file. */
export function useWorkers(configs: string[], vars: Record<string, string> = {}) {
  let worker: LocalWorker | undefined;
  let dir: string | undefined;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "edgekms-multi-"));
    worker = await startLocalWorker({ persistDir: dir, vars, configs });
  }, 120_000);
  afterAll(async () => {
    await worker?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  return {
    get url(): string {
      if (worker === undefined) throw new Error("workers not started");
      return worker.url;
    },
  };
}
