#!/usr/bin/env node
// `npm run start:deno`: serve EdgeKMS on Deno (deno/main.ts) at http://127.0.0.1:8787 with the
// pinned `deno` from node_modules, state in Deno KV. Builds the WebAssembly core when it is
// missing or stale, generates the local secrets into .dev.vars on first start (as `npm start`
// does), and keeps the KV under .edgekms/deno/ (git-ignored) unless EDGEKMS_KV names another
// file, a KV Connect URL, or `default` (Deno's own KV). PORT and HOST choose where it listens.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { localSecrets } from "./local-secrets.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const wasm = join(root, "build", "edgekms-core.wasm");
const newestSource = (dir) => Math.max(...readdirSync(dir).map((f) => statSync(join(dir, f)).mtimeMs));
if (!existsSync(wasm) || statSync(wasm).mtimeMs < newestSource(join(root, "assembly"))) {
  const built = spawnSync("npm", ["run", "--silent", "build:wasm"], { cwd: root, stdio: "inherit" });
  if (built.status !== 0) process.exit(built.status ?? 1);
}

const secrets = localSecrets(join(root, ".dev.vars"));
const kv = process.env.EDGEKMS_KV || join(root, ".edgekms", "deno", "kv.sqlite3");
const remote = /^https?:\/\//.test(kv) || kv === "default";
if (!remote) mkdirSync(dirname(resolve(kv)), { recursive: true });

const args = ["serve", "--unstable-kv", "--config", join(root, "deno", "deno.json")];
args.push("--host", process.env.HOST ?? "127.0.0.1", "--port", process.env.PORT ?? "8787");
// `default` is Deno's own KV file, wherever Deno keeps it: only that case reads and writes beyond the checkout.
const state = remote ? [] : [dirname(resolve(kv))];
args.push("--allow-env", "--allow-net");
if (kv === "default") args.push("--allow-read", "--allow-write");
else args.push(`--allow-read=${[root, ...state].join(",")}`, ...state.map((dir) => `--allow-write=${dir}`));
args.push(join(root, "deno", "main.ts"), ...process.argv.slice(2));
const child = spawn(join(root, "node_modules", ".bin", "deno"), args, {
  cwd: root,
  stdio: "inherit",
  env: { ...secrets, ...process.env, EDGEKMS_KV: remote ? kv : resolve(kv), DENO_NO_UPDATE_CHECK: "1" },
});
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
child.on("exit", (code) => process.exit(code ?? 0));
