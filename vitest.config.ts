/**
 * Three tiers of tests (see README "Tests"):
 * - unit:   runtime-neutral code (crypto core through its binding, protocol, policy) in Node;
 * - workerd: the same code and the Durable Objects inside workerd, through the Workers pool;
 * - e2e:    real local workers started as `npm start` starts them (scripts/local-runtime.mjs),
 *           driven by the official AWS SDK;
 * - e2e-deno: the same e2e files against EdgeKMS on Deno with Deno KV (`npm run start:deno`).
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

/** The e2e files that run on both runtimes (the Deno-only tests are in test/e2e/deno-runtime.test.ts). */
const DENO_E2E_FILES = [
  "access-control",
  "aliases",
  "asymmetric",
  "asymmetric-access",
  "audit",
  "audit-cli",
  "aws-cli",
  "aws-cli-asymmetric",
  "aws-cli-lifecycle",
  "crypto",
  "deletion",
  "deno",
  "dry-run",
  "envelope",
  "grants",
  "import",
  "import-rotation",
  "key-states",
  "keys",
  "last-usage",
  "multi-region",
  "persistence",
  "protocol",
  "root-key-rotation",
  "rotation",
  "tags",
];

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
            miniflare: {
              bindings: {
                ROOT_KEY: "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
                // A retired root key (test/workerd/root-key-reseal.test.ts seals records under it).
                ROOT_KEY_PREVIOUS: "ZWRnZWttcyB3b3JrZXJkIHRlc3RzJyBvbGQgcm9vdCE=",
                EDGEKMS_DEV_IDENTITIES: "true",
              },
            },
          }),
        ],
        test: { name: "workerd", include: ["test/workerd/**/*.test.ts"] },
      },
      {
        plugins: [compiledWasm()],
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          environment: "node",
          testTimeout: 30000,
          hookTimeout: 120000,
        },
      },
      {
        // The same e2e files against EdgeKMS on Deno (test/e2e/runtime.ts): every test that is
        // about the service rather than about workerd (bindings, bundles, multi-config sessions).
        plugins: [compiledWasm()],
        test: {
          name: "e2e-deno",
          include: DENO_E2E_FILES.map((name) => `test/e2e/${name}.test.ts`),
          environment: "node",
          env: { EDGEKMS_RUNTIME: "deno" },
          testTimeout: 30000,
          hookTimeout: 120000,
        },
      },
    ],
  },
});
