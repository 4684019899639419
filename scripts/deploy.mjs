#!/usr/bin/env node
// `npm run deploy [-- --env production]`: the checks a deployment needs, then `wrangler deploy`.
//  1. the WebAssembly core builds and the code typechecks;
//  2. `wrangler deploy --dry-run` bundles the worker with the core;
//  3. the target already has the secrets EdgeKMS refuses to run without (ROOT_KEY,
//     EDGEKMS_IDENTITIES; `wrangler secret list`), and wrangler.toml does not turn on the public
//     development identities;
//  4. `wrangler deploy` with the same arguments.
// Any failing step stops it. README "Deploying" says how to set the secrets.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const passThrough = process.argv.slice(2);

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { cwd: root, encoding: "utf8", stdio: options.capture ? "pipe" : "inherit" });
  if (result.status !== 0) {
    if (options.capture) process.stderr.write(result.stderr ?? "");
    console.error(`deploy: ${[command, ...args].join(" ")} failed; nothing was deployed.`);
    process.exit(result.status ?? 1);
  }
  return result.stdout ?? "";
}

if (/^\s*EDGEKMS_DEV_IDENTITIES\s*=/m.test(readFileSync(new URL("../wrangler.toml", import.meta.url), "utf8"))) {
  console.error("deploy: wrangler.toml sets EDGEKMS_DEV_IDENTITIES: a deployment must never accept the public development credentials.");
  process.exit(1);
}
run("npm", ["run", "--silent", "build"]);
run("npx", ["wrangler", "deploy", "--dry-run", "--outdir", ".tmp/deploy-bundle", ...passThrough]);
const secrets = JSON.parse(run("npx", ["wrangler", "secret", "list", "--format", "json", ...passThrough], { capture: true }) || "[]");
const missing = ["ROOT_KEY", "EDGEKMS_IDENTITIES"].filter((name) => !secrets.some((s) => s.name === name));
if (missing.length > 0) {
  console.error(
    `deploy: the target has no ${missing.join(" or ")} secret: set it with \`npx wrangler secret put <NAME>${passThrough.length ? ` ${passThrough.join(" ")}` : ""}\` first (README "Deploying").`,
  );
  process.exit(1);
}
run("npx", ["wrangler", "deploy", ...passThrough]);
