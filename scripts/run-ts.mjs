#!/usr/bin/env node
// Runs a TypeScript entry file (a benchmark, a tool) in Node: esbuild bundles it, turning
// `import m from "x.wasm"` into a compiled WebAssembly.Module as wrangler does for the worker.
import { build } from "esbuild";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const [entry, ...args] = process.argv.slice(2);
if (!entry) {
  console.error("usage: node scripts/run-ts.mjs <file.ts> [args...]");
  process.exit(2);
}

const compiledWasm = {
  name: "compiled-wasm",
  setup(b) {
    b.onLoad({ filter: /\.wasm$/ }, (a) => ({
      contents: `export default new WebAssembly.Module(Uint8Array.from(atob(${JSON.stringify(
        readFileSync(a.path).toString("base64"),
      )}), (c) => c.charCodeAt(0)));`,
      loader: "js",
    }));
  },
};

// The bundle leaves packages external, so it must live inside the repository for Node to find them
// in node_modules (a bundle under the OS temp dir cannot import @noble/*); .tmp/ is git-ignored.
const tmpRoot = fileURLToPath(new URL("../.tmp/", import.meta.url));
mkdirSync(tmpRoot, { recursive: true });
const outDir = mkdtempSync(join(tmpRoot, "run-"));
const outFile = join(outDir, "entry.mjs");
try {
  await build({
    entryPoints: [resolve(entry)],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    outfile: outFile,
    packages: "external",
    plugins: [compiledWasm],
    logLevel: "warning",
    banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
  });
  process.argv = [process.argv[0], resolve(entry), ...args];
  await import(pathToFileURL(outFile).href);
} finally {
  rmSync(outDir, { recursive: true, force: true });
}
