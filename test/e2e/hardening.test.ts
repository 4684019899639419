/**
 * Hardening against a real local worker (wrangler dev → workerd) with the official SDK: request
 * quotas answered with AWS's ThrottlingException (and none when quotas are off), oversized bodies
 * refused with 413 over real HTTP, a deployment without identities refusing every request, and the
 * service binding (binding probe, example consumer and EdgeKMS in one multi-config session):
 * throttled like HTTP, and a binding without props told that local runs need one such session.
 * The finer cases (nesting, contexts, source addresses, audit sampling) are in
 * test/workerd/hardening.test.ts.
 */
import { CreateKeyCommand, GenerateRandomCommand, ListKeysCommand } from "@aws-sdk/client-kms";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalWorker, type LocalWorker } from "./local-worker.ts";
import { awsError, kmsClient } from "./support.ts";

const workers: Record<"unthrottled" | "throttled" | "unconfigured" | "bound", LocalWorker | undefined> = {
  unthrottled: undefined,
  throttled: undefined,
  unconfigured: undefined,
  bound: undefined,
};
const dirs: string[] = [];

const VARS = {
  unthrottled: {}, // the harness default: REQUEST_QUOTAS=off, development identities
  throttled: { REQUEST_QUOTAS: JSON.stringify({ CryptographicOperationsSymmetric: 2, CreateKey: 1 }) },
  unconfigured: { EDGEKMS_DEV_IDENTITIES: "false" },
  bound: { REQUEST_QUOTAS: JSON.stringify({ CryptographicOperationsSymmetric: 2 }) },
};
const CONFIGS: Partial<Record<keyof typeof VARS, string[]>> = {
  bound: ["test/e2e/fixtures/binding-probe/wrangler.toml", "examples/consumer/wrangler.toml", "wrangler.toml"],
};

beforeAll(async () => {
  await Promise.all(
    (Object.keys(VARS) as (keyof typeof VARS)[]).map(async (name) => {
      const dir = mkdtempSync(join(tmpdir(), `edgekms-hardening-${name}-`));
      dirs.push(dir);
      const configs = CONFIGS[name];
      workers[name] = await startLocalWorker({ persistDir: dir, vars: VARS[name], ...(configs === undefined ? {} : { configs }) });
    }),
  );
}, 180_000);

afterAll(async () => {
  await Promise.all(Object.values(workers).map((w) => w?.stop()));
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const url = (name: keyof typeof workers) => workers[name]!.url;

describe("request quotas", () => {
  it("answer calls past a low configured quota with ThrottlingException in AWS's words, as the SDK reports it", async () => {
    const kms = kmsClient(url("throttled"));
    const outcomes = await Promise.allSettled(Array.from({ length: 8 }, () => kms.send(new GenerateRandomCommand({ NumberOfBytes: 16 }))));
    const refused = outcomes.filter((o): o is PromiseRejectedResult => o.status === "rejected");
    expect(outcomes.length - refused.length).toBeGreaterThanOrEqual(2);
    expect(refused.length).toBeGreaterThanOrEqual(1);
    for (const { reason } of refused) {
      expect(reason.name).toBe("ThrottlingException");
      expect(reason.message).toBe("You have exceeded the rate at which you may call KMS. Reduce the frequency of your calls.");
      expect(reason.$metadata.httpStatusCode).toBe(400);
    }
    // CreateKey has its own quota (1/s here): the first call goes through although crypto is exhausted.
    await kms.send(new CreateKeyCommand({}));
    expect((await awsError(kms.send(new CreateKeyCommand({})))).name).toBe("ThrottlingException");
  });

  it("throttle nothing when turned off", async () => {
    const kms = kmsClient(url("unthrottled"));
    // AWS's default CreateKey quota is 5 per second; 12 at once all succeed with quotas off.
    const created = await Promise.all(Array.from({ length: 12 }, () => kms.send(new CreateKeyCommand({}))));
    expect(created.every((c) => c.KeyMetadata?.KeyId !== undefined)).toBe(true);
  });
});

describe("request size", () => {
  it("refuses a body over 512 KiB with 413 RequestEntityTooLargeException, whatever its signature", async () => {
    const response = await fetch(`${url("unthrottled")}/`, {
      method: "POST",
      headers: {
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": "TrentService.Encrypt",
        Authorization: "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/kms/aws4_request, SignedHeaders=host, Signature=00",
      },
      body: JSON.stringify({ KeyId: "alias/x", Plaintext: "A".repeat(2 * 1024 * 1024) }),
    });
    expect(response.status).toBe(413);
    expect(response.headers.get("X-Amzn-Errortype")).toBe("RequestEntityTooLargeException");
    expect(((await response.json()) as { message: string }).message).toBe(
      "Request body is larger than the 524288-byte limit of this service.",
    );
  });
});

describe("identities", () => {
  it("refuses every request, root credentials included, when there is no identity configuration", async () => {
    for (const identity of ["test", "bob"] as const) {
      const failure = await awsError(kmsClient(url("unconfigured"), identity).send(new ListKeysCommand({})));
      expect(failure.name).toBe("UnrecognizedClientException");
      expect(failure.status).toBe(400);
      expect(failure.message).toContain("no identity configuration");
    }
  });

  it("accepts the development identities only where they were opted in to", async () => {
    expect((await kmsClient(url("unthrottled"), "bob").send(new ListKeysCommand({}))).Keys).toBeDefined();
  });
});

describe("the service binding", () => {
  /** Calls a KmsBinding method through the binding probe (test/e2e/fixtures/binding-probe). */
  async function rpc(binding: string, method: string, ...args: unknown[]) {
    const response = await fetch(`${url("bound")}/rpc/${binding}/${method}`, { method: "POST", body: JSON.stringify(args) });
    expect(response.status).toBe(200);
    return (await response.json()) as { value?: unknown; error?: { restored: { name: string; message: string } } };
  }

  it("counts binding calls against the account's quotas as HTTP calls are", async () => {
    const results = [];
    for (let i = 0; i < 6; i++) results.push(await rpc("KMS_ROOT", "generateRandom", { NumberOfBytes: 8 }));
    const refused = results.filter((r) => r.error !== undefined);
    expect(results.length - refused.length).toBeGreaterThanOrEqual(2);
    expect(refused.length).toBeGreaterThanOrEqual(1);
    for (const r of refused) {
      expect(r.error!.restored).toEqual({
        name: "ThrottlingException",
        message: "You have exceeded the rate at which you may call KMS. Reduce the frequency of your calls.",
      });
    }
  });

  it("tells a binding without props that local runs need one multi-config session", async () => {
    const { error } = await rpc("KMS_NO_PROPS", "describeKey", { KeyId: "alias/x" });
    expect(error!.restored.name).toBe("AccessDeniedException");
    expect(error!.restored.message).toContain("no configured principal");
    expect(error!.restored.message).toContain("one multi-config session");
  });
});
