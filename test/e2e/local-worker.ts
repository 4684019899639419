/**
 * Starts the real EdgeKMS worker locally (wrangler dev → miniflare → workerd) on a free loopback
 * port with its Durable Object state in a given folder, so end-to-end tests drive exactly what
 * `npm start` serves, and can stop and restart it on the same state.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));

/** A fixed root key for tests only; `npm start` generates a random one per checkout. */
export const TEST_ROOT_KEY = "dGVzdC1yb290LWtleS0tMzItYnl0ZXMtb2YtZW50cm8=";

export interface LocalWorker {
  url: string;
  persistDir: string;
  stop(): Promise<void>;
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

export interface LocalWorkerOptions {
  persistDir: string;
  vars?: Record<string, string>;
  /**
   * Wrangler configurations to run together in one session (multi-config mode); the first one's
   * worker is served on the port, the others only through service bindings. Default: EdgeKMS alone.
   */
  configs?: string[];
}

function dotenv(vars: Record<string, string>): string {
  return Object.entries(vars)
    .map(([name, value]) => `${name}=${value}\n`)
    .join("");
}

/**
 * In a multi-config session, --env-file and --var reach only the first configuration's worker;
 * the others read the .dev.vars beside their own configuration. So EdgeKMS, when it is not first,
 * runs from a copy of wrangler.toml in the state folder (its entry point made absolute) with the
 * test's variables in a .dev.vars beside it.
 */
function edgeKmsConfigWithVars(persistDir: string, vars: Record<string, string>): string {
  const dir = join(persistDir, "edgekms-config");
  mkdirSync(dir, { recursive: true });
  const original = readFileSync(join(root, "wrangler.toml"), "utf8");
  const main = join(root, "worker", "index.ts");
  if (!/^main = "worker\/index\.ts"$/m.test(original)) throw new Error("wrangler.toml's main is not worker/index.ts");
  writeFileSync(join(dir, "wrangler.toml"), original.replace(/^main = "worker\/index\.ts"$/m, `main = ${JSON.stringify(main)}`));
  writeFileSync(join(dir, ".dev.vars"), dotenv(vars));
  return join(dir, "wrangler.toml");
}

export async function startLocalWorker(options: LocalWorkerOptions): Promise<LocalWorker> {
  const port = await freePort();
  // Each worker gets its own devtools port too: parallel test files would otherwise race for 9229.
  const inspectorPort = await freePort();
  // Tests sign with the public development identities unless they configure their own, and run
  // unthrottled unless they set quotas (test/e2e/hardening.test.ts does). Records leave the
  // objects' outboxes quickly, so tests reading the trail wait little.
  const vars = { ROOT_KEY: TEST_ROOT_KEY, EDGEKMS_DEV_IDENTITIES: "true", REQUEST_QUOTAS: "off", AUDIT_FORWARD_DELAY_MS: "20", ...options.vars };
  const configs = (options.configs ?? []).map((c) => (c === "wrangler.toml" && options.configs!.length > 1 ? edgeKmsConfigWithVars(options.persistDir, vars) : c));
  const args = ["wrangler", "dev", ...configs.flatMap((c) => ["-c", c])];
  args.push("--ip", "127.0.0.1", "--port", String(port), "--persist-to", options.persistDir);
  args.push("--inspector-port", String(inspectorPort));
  args.push("--show-interactive-dev-session=false", "--log-level", "warn");
  // An env file in the state folder rather than the checkout's .dev.vars, which stays the
  // developer's own and is neither read nor touched.
  const envFile = join(options.persistDir, "test.env");
  writeFileSync(envFile, dotenv(vars));
  args.push("--env-file", envFile);
  const child: ChildProcess = spawn("npx", args, {
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
  const collect = (d: Buffer) => {
    output += d;
    // The worker logs only unexpected errors (an opaque 500 to the client): surface them in the
    // test run, where the failing test alone would show nothing but "An internal error occurred".
    for (const line of String(d).split("\n")) {
      if (/unexpected error/.test(line)) process.stderr.write(`[local worker ${port}] ${line}\n`);
    }
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`local worker exited early:\n${output}`);
    try {
      const response = await fetch(`${url}/`, { method: "GET" });
      await response.arrayBuffer();
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`local worker did not start in time:\n${output}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return {
    url,
    persistDir: options.persistDir,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      // The wrangler process group includes workerd; end all of it so the port and state are freed.
      process.kill(-child.pid!, "SIGTERM");
      const timer = setTimeout(() => process.kill(-child.pid!, "SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
