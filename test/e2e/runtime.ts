/**
 * Which local runtime the e2e suite drives: workerd (local-worker.ts, the default) or Deno
 * (deno-server.ts) when EDGEKMS_RUNTIME=deno — vitest.config.ts runs the shared files once per
 * runtime, so each test is written once and holds for both.
 */
import { startDenoServer } from "./deno-server.ts";
import { startLocalWorker, type LocalWorker, type LocalWorkerOptions } from "./local-worker.ts";

export type RuntimeName = "workerd" | "deno";

export const RUNTIME: RuntimeName = process.env.EDGEKMS_RUNTIME === "deno" ? "deno" : "workerd";

/** Starts EdgeKMS on the selected runtime. */
export function startRuntime(options: LocalWorkerOptions): Promise<LocalWorker> {
  return RUNTIME === "deno" ? startDenoServer(options) : startLocalWorker(options);
}
