/**
 * Starts the real EdgeKMS worker locally on a free loopback port with its Durable Object state in
 * a given folder, through the same launcher as `npm start` (scripts/local-runtime.mjs: Miniflare
 * and workerd driven from wrangler.toml), so end-to-end tests drive exactly what `npm start`
 * serves, and can stop, kill and restart it on the same state. The launcher runs as a child
 * process in its own process group (it and its workerd child), as `npm start` runs.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));

/** A fixed root key for tests only; `npm start` generates a random one per checkout. */
export const TEST_ROOT_KEY = "dGVzdC1yb290LWtleS0tMzItYnl0ZXMtb2YtZW50cm8=";

export interface LocalWorker {
  url: string;
  persistDir: string;
  /** The launcher's process id; its process group holds workerd too. */
  pid: number;
  /** Ends the runtime gracefully (SIGTERM), as Ctrl-C ends `npm start`. */
  stop(): Promise<void>;
  /** Ends the launcher and workerd at once with SIGKILL, as a crash or power loss would. */
  kill(): Promise<void>;
}

export interface LocalWorkerOptions {
  persistDir: string;
  vars?: Record<string, string>;
  /**
   * Wrangler configurations to run together in one session (paths relative to the repository);
   * the first one's worker is served on the port, the others only through service bindings.
   * Default: EdgeKMS alone. `vars` are EdgeKMS's wherever its wrangler.toml is in the list.
   */
  configs?: string[];
}

function dotenv(vars: Record<string, string>): string {
  return Object.entries(vars)
    .map(([name, value]) => `${name}=${value}\n`)
    .join("");
}

/** Waits until no process of the group is left (workerd may outlive the launcher by a moment). */
async function groupGone(pgid: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      process.kill(-pgid, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function startLocalWorker(options: LocalWorkerOptions): Promise<LocalWorker> {
  // Tests sign with the public development identities unless they configure their own, and run
  // unthrottled unless they set quotas (test/e2e/hardening.test.ts does). Records leave the
  // objects' outboxes quickly, so tests reading the trail wait little.
  const vars = {
    ROOT_KEY: TEST_ROOT_KEY,
    EDGEKMS_DEV_IDENTITIES: "true",
    REQUEST_QUOTAS: "off",
    AUDIT_FORWARD_DELAY_MS: "20",
    ...options.vars,
  };
  const args = [join(root, "scripts", "local-runtime.mjs"), ...(options.configs ?? []).flatMap((c) => ["-c", c])];
  args.push("--port", "0", "--persist-to", options.persistDir);
  // An env file in the state folder rather than the checkout's .dev.vars, which stays the
  // developer's own and is neither read nor touched.
  const envFile = join(options.persistDir, "test.env");
  writeFileSync(envFile, dotenv(vars));
  args.push("--env-file", envFile);
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: root,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
    env: { ...process.env, EDGEKMS_LOG_REQUESTS: "0" },
  });
  let output = "";
  const ready = new Promise<string>((resolve, reject) => {
    const collect = (d: Buffer) => {
      output += d;
      const url = /ready on (http:\/\/[^\s]+)/.exec(output)?.[1];
      if (url) resolve(url);
      // The worker logs only unexpected errors (an opaque 500 to the client): surface them in the
      // test run, where the failing test alone would show nothing but "An internal error occurred".
      for (const line of String(d).split("\n")) {
        if (/unexpected error/.test(line)) process.stderr.write(`[local worker ${child.pid}] ${line}\n`);
      }
    };
    child.stdout?.on("data", collect);
    child.stderr?.on("data", collect);
    child.once("exit", () => reject(new Error(`local worker exited early:\n${output}`)));
    setTimeout(() => reject(new Error(`local worker did not start in time:\n${output}`)), 90_000).unref();
  });
  let url: string;
  try {
    url = await ready;
  } catch (err) {
    if (child.exitCode === null) process.kill(-child.pid!, "SIGKILL");
    throw err;
  }
  const exited = new Promise((r) => child.once("exit", r));
  const end = async (signal: NodeJS.Signals) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    // The launcher's process group includes workerd; end all of it so the port and state are freed.
    process.kill(-child.pid!, signal);
    const timer = setTimeout(() => process.kill(-child.pid!, "SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
    await groupGone(child.pid!);
  };
  return {
    url,
    persistDir: options.persistDir,
    pid: child.pid!,
    stop: () => end("SIGTERM"),
    kill: () => end("SIGKILL"),
  };
}
