/**
 * Starts EdgeKMS on Deno (deno/main.ts under `deno serve`, the pinned `deno` from node_modules)
 * on a free loopback port with its Deno KV in a given folder: what `npm run start:deno` serves,
 * with the same variables the workerd launcher (local-worker.ts) gives the worker, so the e2e
 * suite runs unchanged against either runtime (runtime.ts switches). Several servers may share
 * one KV file (the race tests), and `kill()` ends one with SIGKILL (the crash tests).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { TEST_ROOT_KEY, type LocalWorker, type LocalWorkerOptions } from "./local-worker.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));

export interface DenoServer extends LocalWorker {
  /** Ends the server at once with SIGKILL (no shutdown of any kind). */
  kill(): Promise<void>;
  /** Everything the server printed so far. */
  output(): string;
}

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

export interface DenoServerOptions extends LocalWorkerOptions {
  /** The KV file (default: kv.sqlite3 in persistDir), so several servers can share one. */
  kvPath?: string;
}

export async function startDenoServer(options: DenoServerOptions): Promise<DenoServer> {
  if (options.configs !== undefined && options.configs.length > 1) throw new Error("multi-config sessions are a workerd feature");
  const port = await freePort();
  const kvPath = options.kvPath ?? join(options.persistDir, "kv.sqlite3");
  mkdirSync(options.persistDir, { recursive: true });
  const vars = {
    ROOT_KEY: TEST_ROOT_KEY,
    EDGEKMS_DEV_IDENTITIES: "true",
    REQUEST_QUOTAS: "off",
    AUDIT_FORWARD_DELAY_MS: "20",
    ...options.vars,
  };
  const state = join(kvPath, "..");
  const args = ["serve", "--unstable-kv", "--config", "deno/deno.json", "--host", "127.0.0.1", "--port", String(port)];
  args.push("--allow-env", "--allow-net", `--allow-read=${root},${state}`, `--allow-write=${state}`, "deno/main.ts");
  const child: ChildProcess = spawn(join(root, "node_modules/.bin/deno"), args, {
    cwd: root,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      // Transpiled modules are cached across servers and runs (nothing remote is ever fetched).
      DENO_DIR: join(tmpdir(), "edgekms-deno-serve-cache"),
      DENO_NO_UPDATE_CHECK: "1",
      DENO_NO_PROMPT: "1",
      NO_COLOR: "1",
      EDGEKMS_KV: kvPath,
      ...vars,
    },
  });
  let output = "";
  const collect = (d: Buffer) => {
    output += d;
    for (const line of String(d).split("\n")) {
      if (/unexpected error|Uncaught|panicked/.test(line)) process.stderr.write(`[deno server ${port}] ${line}\n`);
    }
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`deno server exited early:\n${output}`);
    try {
      const response = await fetch(`${url}/`, { method: "GET" });
      await response.arrayBuffer();
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`deno server did not start in time:\n${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const end = async (signal: NodeJS.Signals) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once("exit", r));
    process.kill(-child.pid!, signal);
    const timer = setTimeout(() => process.kill(-child.pid!, "SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
  };
  return {
    url,
    persistDir: options.persistDir,
    pid: child.pid!,
    stop: () => end("SIGTERM"),
    kill: () => end("SIGKILL"),
    output: () => output,
  };
}
