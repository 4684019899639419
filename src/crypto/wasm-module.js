/**
 * The crypto core as a compiled `WebAssembly.Module`, through a standard source phase import
 * (TC39 "Source Phase Imports", WebAssembly ESM integration) — for Deno, which implements it, and
 * any runtime that does.
 *
 * ./wasm.ts keeps `import coreModule from "../../build/edgekms-core.wasm"`, the form wrangler's
 * CompiledWasm rule, the vitest loader and esbuild give a module; Deno instead answers that import
 * with the instantiated exports. A Deno import map scoped to ./wasm.ts redirects that one import
 * here (test/deno/deno.json; README "Deno"); the scope keeps this file's own import of the .wasm
 * untouched. ./wasm.ts itself cannot switch to `import source` yet: TypeScript 5.9 (the
 * repository's tsc) cannot parse it, nor can Node 20's loader; for the same reason this file is
 * plain JavaScript, typed by ./wasm-module.d.ts. Nothing but a Deno import map refers to it, so
 * wrangler, vitest and esbuild never see it.
 */
// @ts-self-types="./wasm-module.d.ts"
import source coreModule from "../../build/edgekms-core.wasm";

export default coreModule;
