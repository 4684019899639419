/**
 * The dry-run mechanism of the key object (src/keys/key-actor.ts): a call carrying `dryRun` runs
 * its transaction and discards it, whatever the operation — compared here against a dump of the
 * object's storage — and its audit record is the only thing written.
 */
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { AuditDraft } from "../../src/audit/outbox.ts";
import type { KeyObject } from "../../worker/key-object.ts";
import { createKey, rootCaller } from "./key-fixtures.ts";

const DRY = { ignoreCiphertext: false };

async function storedOutsideOutbox(stub: DurableObjectStub<KeyObject>): Promise<string> {
  return runInDurableObject(stub, async (_o: KeyObject, state) =>
    JSON.stringify(
      [...state.storage.kv.list()].filter(([k]) => !k.startsWith("outbox:")),
      (_k, v) => (v instanceof Uint8Array ? [...v] : v),
    ),
  );
}

async function outbox(stub: DurableObjectStub<KeyObject>) {
  return runInDurableObject(stub, async (_o: KeyObject, state) =>
    [...state.storage.kv.list<{ record: Record<string, unknown> }>({ prefix: "outbox:" })].map(([, e]) => e.record),
  );
}

function draft(eventName: string, request: unknown, arn: string): AuditDraft {
  return {
    identity: rootCaller,
    eventName,
    request,
    requestId: crypto.randomUUID(),
    startedAt: Date.now(),
    region: "us-east-1",
    keyArns: [arn],
  };
}

describe("dry runs in the key object", () => {
  it("discard every write of the operation's transaction, for any operation, and answer DryRunOperationException", async () => {
    const { stub, call } = await createKey();
    const dry = { ...call, dryRun: DRY };
    const before = await storedOutsideOutbox(stub);

    expect(await stub.encrypt(dry, "Encrypt", new TextEncoder().encode("x"), {})).toMatchObject({
      ok: false,
      type: "DryRunOperationException",
    });
    expect(
      await stub.createGrant(dry, {
        granteePrincipal: `arn:aws:iam::${call.accountId}:user/alice`,
        retiringPrincipal: `arn:aws:iam::${call.accountId}:user/alice`,
        operations: ["Encrypt"],
      }),
    ).toMatchObject({ ok: false, type: "DryRunOperationException" });
    // Operations without a DryRun parameter get the same treatment from the same mechanism.
    expect(await stub.setEnabled(dry, false)).toMatchObject({ ok: false, type: "DryRunOperationException" });
    expect(await stub.tag(dry, [{ TagKey: "k", TagValue: "v" }])).toMatchObject({ ok: false, type: "DryRunOperationException" });
    expect(await stub.rotateOnDemand(dry)).toMatchObject({ ok: false, type: "DryRunOperationException" });

    expect(await storedOutsideOutbox(stub)).toBe(before);
    expect(await stub.listGrants(call, {}, 50, undefined)).toMatchObject({ ok: true, value: { grants: [] } });
  });

  it("answers a refusal with its real error, and records the dry run with DryRunOperationException", async () => {
    const { stub, call, arn } = await createKey();
    const dry = { ...call, dryRun: DRY };
    const result = await stub.encrypt(
      dry,
      "Encrypt",
      new TextEncoder().encode("x"),
      {},
      draft("Encrypt", { KeyId: arn, DryRun: true }, arn),
    );
    expect(result).toMatchObject({ ok: false, type: "DryRunOperationException", recorded: true });
    const [record] = await outbox(stub);
    expect(record).toMatchObject({ eventName: "Encrypt", errorCode: "DryRunOperationException", requestParameters: { dryRun: true } });

    expect((await stub.setEnabled(call, false)).ok).toBe(true);
    expect(await stub.encrypt(dry, "Encrypt", new TextEncoder().encode("x"), {})).toMatchObject({ ok: false, type: "DisabledException" });
  });
});
