import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

describe("deployable bundle", () => {
  it("wrangler deploy --dry-run bundles the worker together with the WebAssembly core", () => {
    const outDir = mkdtempSync(join(tmpdir(), "edgekms-bundle-"));
    try {
      execFileSync("npx", ["wrangler", "deploy", "--dry-run", "--outdir", outDir], {
        env: { ...process.env, WRANGLER_SEND_METRICS: "false", WRANGLER_HIDE_BANNER: "true" },
        stdio: "pipe",
      });
      const files = readdirSync(outDir);
      const wasm = files.filter((f) => f.endsWith(".wasm"));
      expect(files).toContain("index.js");
      expect(wasm).toHaveLength(1);
      expect(statSync(join(outDir, wasm[0]!)).size).toBeGreaterThan(0);
    } finally {
      rmSync(outDir, { recursive: true, force: true });
    }
  }, 60_000);
});
