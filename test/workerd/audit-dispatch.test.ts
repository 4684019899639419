/**
 * Recording at the dispatch layer inside workerd: whatever the transport (here the service-binding
 * kind of caller, which has no access key), runOperation leaves exactly one record per call —
 * on success and on failure — before it returns or throws, with the caller's identity.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { parseLookupRequest } from "../../src/audit/lookup.ts";
import { KmsError } from "../../src/protocol/errors.ts";
import type { Caller } from "../../src/service/caller.ts";
import { lookupAll } from "../../worker/audit.ts";
import { runOperation } from "../../worker/dispatch.ts";

const ACCOUNT = "777788889999";
const USER = `arn:aws:iam::${ACCOUNT}:user/worker-app`;
const caller: Caller = {
  accountId: ACCOUNT,
  principalArn: USER,
  principal: {
    type: "IAMUser",
    accountId: ACCOUNT,
    arn: USER,
    principalId: "AIDAEXAMPLEWORKERAPP",
    userName: "worker-app",
    policies: [{ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "kms:GenerateRandom", Resource: "*" }] }],
  },
  secureTransport: true,
  via: "binding",
};

async function recordsOf(requestId: string) {
  const page = await lookupAll(env, ACCOUNT, "us-east-1", parseLookupRequest({ StartTime: 0 }, new Date(), 86_400_000));
  return page.events.map((e) => JSON.parse(e.record)).filter((r) => r.requestID === requestId);
}

describe("runOperation", () => {
  it("records a successful call of a binding caller once, without an access key and marked as invoked by the binding", async () => {
    const requestId = crypto.randomUUID();
    const result = (await runOperation(env, caller, "GenerateRandom", { NumberOfBytes: 16 }, requestId)) as { Plaintext: Uint8Array };
    expect(result.Plaintext).toHaveLength(16);
    const records = await recordsOf(requestId);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      eventName: "GenerateRandom",
      requestParameters: { numberOfBytes: 16 },
      responseElements: null,
      userIdentity: { type: "IAMUser", arn: USER, userName: "worker-app", invokedBy: "service-binding" },
      sourceIPAddress: "AWS Internal",
    });
    expect(records[0].userIdentity).not.toHaveProperty("accessKeyId");
    expect(JSON.stringify(records[0])).not.toContain(btoa(String.fromCharCode(...result.Plaintext)));
  });

  it("records a refused call once and rethrows the same error", async () => {
    const requestId = crypto.randomUUID();
    const err = await runOperation(env, caller, "Encrypt", { KeyId: "alias/none", Plaintext: "AAAA" }, requestId).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KmsError);
    const records = await recordsOf(requestId);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ eventName: "Encrypt", errorCode: (err as KmsError).type, errorMessage: (err as KmsError).message });
    // The body failed validation: nothing unvalidated goes into a record.
    expect(records[0].requestParameters).toBeNull();
  });

  it("records a request that fails validation without anything from its body", async () => {
    const requestId = crypto.randomUUID();
    const err = await runOperation(env, caller, "Encrypt", { KeyId: "alias/none", Plaintext: 12 }, requestId).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KmsError);
    const records = await recordsOf(requestId);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ eventName: "Encrypt", errorCode: (err as KmsError).type, requestParameters: null });
  });
});
