/**
 * Three tiers of tests (see README "Tests"):
 * - unit:   runtime-neutral code (crypto core through its binding, protocol, policy) in Node;
 * - workerd: the same code and the Durable Objects inside workerd, through the Workers pool;
 * - e2e:    a real local worker started with wrangler, driven by the official AWS SDK.
 */
import { readFileSync } from "node:fs";
import { defineConfig, type Plugin } from "vitest/config";
import { cloudflareTest } from "@cloudflare/vitest-pool-workers";

/** In Node, `import m from "x.wasm"` yields a compiled module, as wrangler's CompiledWasm rule does. */
function compiledWasm(): Plugin {
  return {
    name: "edgekms-compiled-wasm",
    enforce: "pre",
    load(id) {
      if (!id.endsWith(".wasm")) return null;
      const base64 = readFileSync(id).toString("base64");
      return `export default new WebAssembly.Module(Uint8Array.from(atob(${JSON.stringify(base64)}), (c) => c.charCodeAt(0)));`;
    },
  };
}

export default defineConfig({
  test: {
    reporters: ["default", "./test/summary-reporter.ts"],
    projects: [
      {
        plugins: [compiledWasm()],
        test: { name: "unit", include: ["test/unit/**/*.test.ts"], environment: "node" },
      },
      {
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: { bindings: { ROOT_KEY: "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", EDGEKMS_DEV_IDENTITIES: "true" } },
          }),
        ],
        test: { name: "workerd", include: ["test/workerd/**/*.test.ts"] },
      },
      {
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          environment: "node",
          testTimeout: 30000,
          hookTimeout: 120000,
        },
      },
    ],
  },
});
