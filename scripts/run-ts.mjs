#!/usr/bin/env node
// Runs a TypeScript entry file (a benchmark, a tool) in Node: esbuild bundles it, turning
// `import m from "x.wasm"` into a compiled WebAssembly.Module as wrangler does for the worker.
import { build } from "esbuild";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

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

const outDir = mkdtempSync(join(tmpdir(), "edgekms-run-"));
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
