/**
 * Runs several workers in one local `wrangler dev` session (miniflare/workerd), as wrangler's
 * multi-config mode does: `wrangler dev -c a/wrangler.toml -c b/wrangler.toml ...`. The first
 * configuration's worker is served on the port; the others are reachable only through service
 * bindings, exactly as between deployed workers. Used by the service-binding tests to run the
 * binding probe, the example consumer and EdgeKMS together (./local-worker.ts starts EdgeKMS
 * alone).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll } from "vitest";
import { TEST_ROOT_KEY } from "./local-worker.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Starts the workers of `configs` (paths relative to the repository) for the current test file. */
export function useWorkers(configs: string[], vars: Record<string, string> = {}) {
  let child: ChildProcess | undefined;
  let url: string | undefined;
  let dir: string | undefined;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "edgekms-multi-"));
    const port = await freePort();
    const args = ["wrangler", "dev", ...configs.flatMap((c) => ["-c", c])];
    args.push("--ip", "127.0.0.1", "--port", String(port), "--persist-to", dir);
    // Its own devtools port: parallel test files would otherwise race for wrangler's default 9229.
    args.push("--inspector-port", String(await freePort()));
    args.push("--show-interactive-dev-session=false", "--log-level", "warn");
    for (const [name, value] of Object.entries({ ROOT_KEY: TEST_ROOT_KEY, ...vars })) args.push("--var", `${name}:${value}`);
    child = spawn("npx", args, {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
      env: {
        ...process.env,
        WRANGLER_SEND_METRICS: "false",
        WRANGLER_HIDE_BANNER: "true",
        WRANGLER_SEND_ERROR_REPORTS: "false",
        CLOUDFLARE_CF_FETCH_ENABLED: "false",
      },
    });
    let output = "";
    child.stdout?.on("data", (d) => (output += d));
    child.stderr?.on("data", (d) => (output += d));
    const base = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 90_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`workers exited early:\n${output}`);
      try {
        const response = await fetch(`${base}/`, { method: "GET" });
        await response.arrayBuffer();
        break;
      } catch {
        if (Date.now() > deadline) throw new Error(`workers did not start in time:\n${output}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    url = base;
  }, 120_000);
  afterAll(async () => {
    if (child !== undefined && child.exitCode === null) {
      const exited = new Promise((r) => child!.once("exit", r));
      // The wrangler process group includes workerd; end all of it so the port and state are freed.
      process.kill(-child.pid!, "SIGTERM");
      const timer = setTimeout(() => process.kill(-child!.pid!, "SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  return {
    get url(): string {
      if (url === undefined) throw new Error("workers not started");
      return url;
    },
  };
}
