#!/usr/bin/env node
/**
 * The local runtime: serves EdgeKMS (and, in a multi-worker session, the workers bound to it)
 * through Miniflare's API driven directly from the workers' wrangler.toml files. `npm start`, the
 * end-to-end tests and `npm run bench:service` all start workers through `startLocalRuntime`, so
 * tests and benchmarks drive exactly what `npm start` serves.
 *
 * Why not `wrangler dev`: it runs two Miniflare instances (a proxy worker in front of the user
 * worker) and prints a line per request; a no-op worker measured 303 / 570 req/s under it at
 * concurrency 1 / 8 and 1,312 / 2,859 driven through Miniflare directly (issue 10). The runtime
 * underneath is the same workerd with the same Durable Object semantics (SQLite storage, alarms,
 * one instance per id), configured from the same wrangler.toml through wrangler's own
 * `unstable_readConfig` / `unstable_getMiniflareWorkerOptions`, so bindings, migrations, vars and
 * compatibility settings cannot drift from what `wrangler dev` and `wrangler deploy` use.
 *
 * Faithful to `wrangler dev` where it matters:
 * - the worker is bundled with esbuild with wrangler's settings (conditions workerd/worker/browser,
 *   target es2024, `cloudflare:*` external) and each `.wasm` import kept as a CompiledWasm module;
 * - state persists under `<persistTo>/v3` (default `.wrangler/state/v3`, wrangler dev's layout), so
 *   state written by either one is read by the other;
 * - variables: `[vars]` from the configuration, then `.dev.vars` beside it (or the given env file);
 * - service bindings keep their entrypoint and `props` (which `unstable_getMiniflareWorkerOptions`
 *   drops, so they are read from the configuration here);
 * - offline: no `cf` fetch, no remote bindings, no telemetry.
 * Per-request log lines are off unless asked for (`logRequests`, `--log-requests` or
 * EDGEKMS_LOG_REQUESTS=1); worker console output (the unexpected-error lines) is always shown.
 * `--watch` rebuilds and reloads on source changes, keeping port and state; EDGEKMS_RUNTIME_VERBOSE=1
 * turns on workerd's own diagnostics.
 *
 * Run directly it is a command (see `usage` below); it prints `ready on <url>` once serving.
 */
import { build } from "esbuild";
import { createHash } from "node:crypto";
import { readFileSync, watch as fsWatch } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

// wrangler logs through its own logger; keep it to warnings unless the caller asked for more.
process.env.WRANGLER_LOG ??= "warn";
process.env.WRANGLER_SEND_METRICS ??= "false";
process.env.WRANGLER_SEND_ERROR_REPORTS ??= "false";
process.env.CLOUDFLARE_CF_FETCH_ENABLED ??= "false";

const { Log, LogLevel, Miniflare } = await import("miniflare");
const { unstable_getMiniflareWorkerOptions, unstable_readConfig } = await import("wrangler");

/** The repository root: relative configuration paths and the default state folder are under it. */
export const repoRoot = fileURLToPath(new URL("..", import.meta.url));

/**
 * @typedef {object} WorkerConfig
 * @property {string} config       path of a wrangler.toml (relative to the repository or absolute)
 * @property {string} [envFile]    dotenv file read instead of the .dev.vars beside the configuration
 * @property {Record<string, string>} [vars]  variables set last, over the file's and [vars]
 */

/**
 * @typedef {object} LocalRuntimeOptions
 * @property {(string | WorkerConfig)[]} [configs]  default: EdgeKMS's wrangler.toml alone. The
 *   first worker is served on the port; the others only through service bindings, as between
 *   deployed workers (wrangler dev's multi-config mode).
 * @property {string} [host]        default 127.0.0.1
 * @property {number} [port]        default 8787; 0 picks a free port (read it from `url`)
 * @property {string} [persistTo]   state folder, default .wrangler/state (wrangler dev's)
 * @property {boolean} [logRequests] print one line per request (default: EDGEKMS_LOG_REQUESTS=1)
 * @property {boolean} [watch]     rebuild and reload the workers when a file they are built from
 *   changes (`--watch`), as wrangler dev does; state and port are kept
 * @property {object[]} [extraWorkers] more Miniflare worker options in the same runtime (the
 *   benchmark's no-op reference worker); give them `routes` to reach them through the port
 */

/**
 * Starts the workers and resolves once they serve. Throws if a configuration cannot be read or a
 * worker fails to build or start.
 * @param {LocalRuntimeOptions} [options]
 * @returns {Promise<{ url: string, persistTo: string, miniflare: import("miniflare").Miniflare, stop(): Promise<void> }>}
 */
export async function startLocalRuntime(options = {}) {
  const configs = (options.configs ?? ["wrangler.toml"]).map((c) => (typeof c === "string" ? { config: c } : c));
  const persistTo = resolve(repoRoot, options.persistTo ?? join(".wrangler", "state"));
  const logRequests = options.logRequests ?? process.env.EDGEKMS_LOG_REQUESTS === "1";
  // Module names only: the bundle is handed to Miniflare in memory, never written.
  const bundleDir = join(persistTo, "bundle");
  const buildAll = async () => {
    const built = [];
    for (const c of configs) built.push(await workerOptions(c, bundleDir));
    return built;
  };
  let built = await buildAll();
  const shared = {
    host: options.host ?? "127.0.0.1",
    port: options.port ?? 8787,
    // wrangler dev's layout (getDefaultPersistRoot): Durable Objects under <persistTo>/v3/do/...
    defaultPersistRoot: join(persistTo, "v3"),
    cf: false,
    logRequests,
    log: new Log(logRequests ? LogLevel.INFO : LogLevel.WARN),
    // workerd's own diagnostics (internal errors, dropped connections), for debugging the runtime.
    verbose: process.env.EDGEKMS_RUNTIME_VERBOSE === "1",
  };
  const workers = () => [...built.map((b) => b.options), ...(options.extraWorkers ?? [])];
  const miniflare = new Miniflare({ ...shared, workers: workers() });
  const url = await miniflare.ready;
  // A reload keeps the port it was given, even when it asked for any free one.
  shared.port = Number(url.port);
  const watchers = [];
  if (options.watch) {
    let timer;
    const reload = async () => {
      try {
        built = await buildAll();
        await miniflare.setOptions({ ...shared, workers: workers() });
        watch();
        console.log(`reloaded (${new Date().toISOString()})`);
      } catch (err) {
        console.error(`reload failed, still serving the previous build: ${err instanceof Error ? err.message : err}`);
      }
    };
    // Watches the folders of every file a bundle was built from (sources and .wasm modules).
    const watch = () => {
      for (const w of watchers.splice(0)) w.close();
      for (const dir of new Set(built.flatMap((b) => b.files.map((f) => dirname(f))))) {
        watchers.push(
          fsWatch(dir, () => {
            clearTimeout(timer);
            timer = setTimeout(reload, 200);
          }),
        );
      }
    };
    watch();
  }
  return {
    url: url.origin,
    persistTo,
    miniflare,
    stop: () => {
      for (const w of watchers.splice(0)) w.close();
      return miniflare.dispose();
    },
  };
}

async function workerOptions({ config: configPath, envFile, vars }, bundleDir) {
  const path = resolve(repoRoot, configPath);
  const config = unstable_readConfig({ config: path }, { hideWarnings: true });
  if (!config.main) throw new Error(`${configPath} has no main entry point`);
  const { workerOptions: options, define } = unstable_getMiniflareWorkerOptions(config, undefined, {
    envFiles: envFile ? [resolve(envFile)] : undefined,
  });
  // Service bindings with their props (unstable_getMiniflareWorkerOptions keeps only name and
  // entrypoint): a binding's props are who the calling worker is to EdgeKMS.
  for (const s of config.services ?? []) {
    options.serviceBindings ??= {};
    const designator = options.serviceBindings[s.binding];
    if (s.props !== undefined && designator && typeof designator === "object") designator.props = s.props;
  }
  const out = join(bundleDir, config.name);
  const { modules, files } = await bundle(resolve(dirname(path), config.main), out, define);
  return {
    options: {
      ...options,
      name: config.name,
      bindings: { ...options.bindings, ...vars },
      modulesRoot: out,
      modules,
      modulesRules: undefined,
    },
    files: [path, ...files],
  };
}

/**
 * Bundles a worker as wrangler does (same esbuild, same conditions and target) into an ES module,
 * with each imported `.wasm` file kept as a separate CompiledWasm module, as wrangler's default
 * module rules do.
 */
async function bundle(entry, outDir, define = {}) {
  const wasm = new Map();
  const keepWasm = {
    name: "compiled-wasm",
    setup(b) {
      b.onResolve({ filter: /\.wasm(\?module)?$/ }, (a) => {
        const file = resolve(a.resolveDir, a.path.replace(/\?module$/, ""));
        const bytes = readFileSync(file);
        const name = `${createHash("sha1").update(bytes).digest("hex").slice(0, 16)}-${basename(file)}`;
        wasm.set(name, { file, bytes });
        return { path: `./${name}`, external: true };
      });
    },
  };
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    format: "esm",
    target: "es2024",
    conditions: ["workerd", "worker", "browser"],
    external: ["cloudflare:*"],
    define: { "process.env.NODE_ENV": '"development"', ...define },
    write: false,
    outfile: join(outDir, "index.js"),
    plugins: [keepWasm],
    metafile: true,
    logLevel: "warning",
  });
  const [script] = result.outputFiles;
  const modules = [
    { type: "ESModule", path: join(outDir, "index.js"), contents: script.text },
    ...[...wasm].map(([name, { bytes }]) => ({ type: "CompiledWasm", path: join(outDir, name), contents: bytes })),
  ];
  const sources = Object.keys(result.metafile.inputs).filter((f) => !f.includes("node_modules"));
  return { modules, files: [...sources.map((f) => resolve(f)), ...[...wasm.values()].map((w) => w.file)] };
}

const usage = `usage: node scripts/local-runtime.mjs [options]
  -c, --config <wrangler.toml>  a worker's configuration (repeatable; first is served; default wrangler.toml)
  --port <n>                    port on 127.0.0.1 (default 8787; 0 picks a free one)
  --persist-to <dir>            state folder (default .wrangler/state)
  --env-file <file>             EdgeKMS's variables and secrets, instead of the .dev.vars beside wrangler.toml
  --log-requests                print one line per request (also EDGEKMS_LOG_REQUESTS=1)
  --watch                       rebuild and reload when a source file changes`;

/** Parses the command line of `npm start` and of this module run directly. */
export function parseArgs(argv) {
  const options = { configs: [], logRequests: undefined };
  let envFile;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value\n${usage}`);
      return v;
    };
    if (arg === "-c" || arg === "--config") options.configs.push(value());
    else if (arg === "--port") options.port = Number(value());
    else if (arg === "--persist-to") options.persistTo = value();
    else if (arg === "--env-file") envFile = value();
    else if (arg === "--log-requests") options.logRequests = true;
    else if (arg === "--watch") options.watch = true;
    else throw new Error(`unknown option ${arg}\n${usage}`);
  }
  if (options.configs.length === 0) options.configs.push("wrangler.toml");
  // The env file is EdgeKMS's (this repository's wrangler.toml), wherever it is in the list; the
  // other workers read the .dev.vars beside their own configuration, as under wrangler dev.
  const edgekms = resolve(repoRoot, "wrangler.toml");
  options.configs = options.configs.map((c) => (envFile && resolve(repoRoot, c) === edgekms ? { config: c, envFile } : c));
  return options;
}

/** Serves until SIGINT or SIGTERM; prints `ready on <url>` (the e2e harness waits for it). */
export async function main(argv) {
  const options = parseArgs(argv);
  const runtime = await startLocalRuntime(options);
  const logs = (options.logRequests ?? process.env.EDGEKMS_LOG_REQUESTS === "1") ? "on" : "off (--log-requests)";
  console.log(`ready on ${runtime.url} · state in ${runtime.persistTo} · per-request logs ${logs}`);
  let stopping = false;
  for (const signal of ["SIGINT", "SIGTERM"]) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      runtime.stop().finally(() => process.exit(0));
    });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
