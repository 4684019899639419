/**
 * Starts `deno serve` processes for bench/service.bench.mjs and the e2e tests (test/e2e/deno-server.ts): EdgeKMS on Deno (deno/main.ts, as
 * `npm run start:deno` runs it: the pinned `deno` from node_modules, `--unstable-kv`, deno/deno.json,
 * only the permissions it needs) with its KV in a given folder, and the no-op server
 * (bench/noop-server.ts) under the same Deno with the same flags, as its reference.
 *
 * Each server is its own process group (detached), so `stop()` ends it and nothing it started
 * outlives the benchmark; a server that does not stop within 5 s of SIGTERM gets SIGKILL (one
 * orphaned with its connections open was seen to ignore SIGTERM). If this process exits without
 * stopping a server (an uncaught error, an interrupted run that calls `process.exit`), its exit
 * handler sends the server SIGKILL.
 */
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const deno = join(root, "node_modules", ".bin", "deno");

/** Servers not yet exited, by process group: killed when this process exits. */
const live = new Set();
process.on("exit", () => {
  for (const pid of live) {
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
});

/** A free loopback port (deno serve prints, but does not report, the one it picks for --port 0). */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Runs `deno serve` on `entry` (a path under the checkout, or under `checkout` when given: another
 * checkout of EdgeKMS, whose own deno/deno.json is used) with `vars` as its environment.
 * @param {{ entry: string, stateDir: string, vars?: Record<string, string>, checkout?: string }} options
 * @returns {Promise<{ url: string, port: number, pid: number, stop(): Promise<void>, kill(): Promise<void>, output(): string }>}
 */
export async function startDenoServe({ entry, stateDir, vars = {}, checkout = root }) {
  const port = await freePort();
  const args = ["serve", "--unstable-kv", "--config", join(checkout, "deno", "deno.json"), "--host", "127.0.0.1", "--port", String(port)];
  // This checkout stays readable: another one may link to its node_modules.
  args.push(
    "--allow-env",
    "--allow-net",
    `--allow-read=${root},${checkout},${stateDir}`,
    `--allow-write=${stateDir}`,
    join(checkout, entry),
  );
  const child = spawn(deno, args, {
    cwd: checkout,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      // The same module cache as the e2e-deno tier: nothing remote is ever fetched.
      DENO_DIR: join(tmpdir(), "edgekms-deno-serve-cache"),
      DENO_NO_UPDATE_CHECK: "1",
      DENO_NO_PROMPT: "1",
      NO_COLOR: "1",
      ...vars,
    },
  });
  let output = "";
  const collect = (d) => {
    output += d;
    for (const line of String(d).split("\n"))
      if (/unexpected error|Uncaught|panicked/.test(line)) process.stderr.write(`[deno ${entry}] ${line}\n`);
  };
  child.stdout.on("data", collect);
  child.stderr.on("data", collect);
  live.add(child.pid);
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.once("exit", () => live.delete(child.pid));
  /** SIGTERM for a shutdown, SIGKILL for a crash; either way SIGKILL after 5 s. */
  const end = async (signal) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    process.kill(-child.pid, signal);
    const timer = setTimeout(() => process.kill(-child.pid, "SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
  };
  const stop = () => end("SIGTERM");
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`deno serve ${entry} exited early:\n${output}`);
    try {
      await (await fetch(`${url}/`)).arrayBuffer();
      break;
    } catch {
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`deno serve ${entry} did not start in time:\n${output}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return { url, port, pid: child.pid, stop, kill: () => end("SIGKILL"), output: () => output };
}

/** The pinned Deno's version line (`deno 2.x.y ...`). */
export async function denoVersion() {
  const child = spawn(deno, ["--version"], { stdio: ["ignore", "pipe", "ignore"] });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  await new Promise((resolve) => child.once("exit", resolve));
  return out.split("\n")[0]?.trim() ?? "deno";
}
