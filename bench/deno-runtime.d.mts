/** Types of bench/deno-runtime.mjs, for its TypeScript users (test/e2e/deno-server.ts). */
export interface DenoServe {
  url: string;
  port: number;
  pid: number;
  /** SIGTERM, then SIGKILL after 5 s. */
  stop(): Promise<void>;
  /** SIGKILL at once: no shutdown of any kind. */
  kill(): Promise<void>;
  /** Everything the server printed so far. */
  output(): string;
}

export function startDenoServe(options: {
  entry: string;
  stateDir: string;
  vars?: Record<string, string>;
  checkout?: string;
}): Promise<DenoServe>;

export function denoVersion(): Promise<string>;
