/**
 * Hardening against a real local worker (wrangler dev → workerd) with the official SDK: request
 * quotas answered with AWS's ThrottlingException (and none when quotas are off), oversized bodies
 * refused with 413 over real HTTP, and a deployment without identities refusing every request.
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

const workers: Record<"unthrottled" | "throttled" | "unconfigured", LocalWorker | undefined> = {
  unthrottled: undefined,
  throttled: undefined,
  unconfigured: undefined,
};
const dirs: string[] = [];

const VARS = {
  unthrottled: {}, // the harness default: REQUEST_QUOTAS=off, development identities
  throttled: { REQUEST_QUOTAS: JSON.stringify({ CryptographicOperationsSymmetric: 2, CreateKey: 1 }) },
  unconfigured: { EDGEKMS_DEV_IDENTITIES: "false" },
};

beforeAll(async () => {
  await Promise.all(
    (Object.keys(VARS) as (keyof typeof VARS)[]).map(async (name) => {
      const dir = mkdtempSync(join(tmpdir(), `edgekms-hardening-${name}-`));
      dirs.push(dir);
      workers[name] = await startLocalWorker({ persistDir: dir, vars: VARS[name] });
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
    expect(((await response.json()) as { message: string }).message).toBe("Request body is larger than the 524288-byte limit of this service.");
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
