/**
 * Shared set-up for end-to-end tests: one local worker per test file (state in a fresh temp
 * folder; on workerd or, with EDGEKMS_RUNTIME=deno, on Deno: runtime.ts) and official @aws-sdk/client-kms clients for the default identities from the README.
 */
import { KMSClient } from "@aws-sdk/client-kms";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import type { LocalWorker } from "./local-worker.ts";
import { startRuntime } from "./runtime.ts";

export const ACCOUNT = "111122223333";
export const EXTERNAL_ACCOUNT = "444455556666";
export const REGION = "us-east-1";

export type Identity = "test" | "alice" | "bob" | "charlie" | "external";

export function kmsClient(url: string, identity: Identity = "test", region = REGION): KMSClient {
  return new KMSClient({
    endpoint: url,
    region,
    credentials: { accessKeyId: identity, secretAccessKey: identity },
    maxAttempts: 1,
  });
}

/**
 * Starts a worker for the current test file and stops it afterwards. `url` and `client()` reach
 * it once started; `restart()` stops it and starts a new one on the same state folder; `kill()`
 * ends it with SIGKILL.
 */
export function useLocalWorker(vars: Record<string, string> = {}) {
  let worker: LocalWorker | undefined;
  let dir: string | undefined;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "edgekms-e2e-"));
    worker = await startRuntime({ persistDir: dir, vars });
  }, 90_000);
  afterAll(async () => {
    await worker?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  return {
    get url(): string {
      if (!worker) throw new Error("local worker not started");
      return worker.url;
    },
    get persistDir(): string {
      if (!dir) throw new Error("local worker not started");
      return dir;
    },
    client(identity: Identity = "test", region = REGION): KMSClient {
      return kmsClient(this.url, identity, region);
    },
    /** Stops the worker and starts a new one on the same state folder (after `kill`, only starts). */
    async restart(): Promise<void> {
      await worker?.stop();
      worker = await startRuntime({ persistDir: dir!, vars });
    },
    /** SIGKILLs the runtime's process group (launcher and workerd), as a crash would end it. */
    async kill(): Promise<void> {
      await worker?.kill();
    },
  };
}

/** Runs `action` and returns the AWS error it failed with (name and message), failing if it succeeded. */
export async function awsError(action: Promise<unknown>): Promise<{ name: string; message: string; status?: number }> {
  try {
    await action;
  } catch (err) {
    const e = err as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: e.name, message: e.message, status: e.$metadata?.httpStatusCode };
  }
  throw new Error("expected the request to fail, but it succeeded");
}

export const utf8 = (s: string) => new TextEncoder().encode(s);
