/**
 * One request, one actor: which Durable Objects a call reaches, counted by wrapping the
 * namespaces runOperation is given (every object is addressed through `idFromName`). The data
 * plane by key ID or ARN reaches the key's own object and nothing else — its audit record is
 * written there, in the same transaction — and different keys and accounts share no object.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Caller } from "../../src/service/caller.ts";
import type { Env } from "../../worker/config.ts";
import { runOperation } from "../../worker/dispatch.ts";
import { rootCaller } from "./key-fixtures.ts";

const OTHER_ACCOUNT = "444455556666";
const otherRoot: Caller = {
  ...rootCaller,
  accountId: OTHER_ACCOUNT,
  principalArn: `arn:aws:iam::${OTHER_ACCOUNT}:root`,
  principal: {
    type: "Root",
    accountId: OTHER_ACCOUNT,
    arn: `arn:aws:iam::${OTHER_ACCOUNT}:root`,
    principalId: OTHER_ACCOUNT,
    policies: [],
  },
};

/** The environment with every Durable Object namespace counting the objects it addresses. */
function counting(): { env: Env; touched: string[] } {
  const touched: string[] = [];
  const wrap = <T extends { idFromName(name: string): DurableObjectId }>(label: string, ns: T): T =>
    new Proxy(ns, {
      get(target, property) {
        if (property === "idFromName") {
          return (name: string) => {
            touched.push(`${label} ${name}`);
            return target.idFromName(name);
          };
        }
        const value = Reflect.get(target, property) as unknown;
        return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
  const base = env as unknown as Env;
  return {
    env: { ...base, KEYS: wrap("KEYS", base.KEYS), ACCOUNTS: wrap("ACCOUNTS", base.ACCOUNTS), AUDIT: wrap("AUDIT", base.AUDIT) },
    touched,
  };
}

async function run(
  e: Env,
  caller: Caller,
  operation: "Encrypt" | "Decrypt" | "GenerateDataKey" | "CreateKey" | "CreateAlias",
  body: object,
) {
  return (await runOperation(e, caller, operation, body, crypto.randomUUID())) as Record<string, unknown>;
}

async function newKey(caller: Caller = rootCaller): Promise<{ keyId: string; arn: string }> {
  const { KeyMetadata } = (await run(env as unknown as Env, caller, "CreateKey", {})) as { KeyMetadata: { KeyId: string; Arn: string } };
  return { keyId: KeyMetadata.KeyId, arn: KeyMetadata.Arn };
}

const plaintext = btoa("one actor");

describe("objects reached by one request", () => {
  it("Encrypt, Decrypt and GenerateDataKey by key ID or key ARN reach only the key's own object", async () => {
    const { keyId, arn } = await newKey();
    const byId = counting();
    const sealed = await run(byId.env, rootCaller, "Encrypt", { KeyId: keyId, Plaintext: plaintext });
    expect(byId.touched).toEqual([`KEYS ${arn}`]);

    const byArn = counting();
    await run(byArn.env, rootCaller, "GenerateDataKey", { KeyId: arn, NumberOfBytes: 32 });
    expect(byArn.touched).toEqual([`KEYS ${arn}`]);

    const decrypt = counting();
    const blob = btoa(String.fromCharCode(...(sealed.CiphertextBlob as Uint8Array)));
    const opened = await run(decrypt.env, rootCaller, "Decrypt", { CiphertextBlob: blob });
    expect(new TextDecoder().decode(opened.Plaintext as Uint8Array)).toBe("one actor");
    expect(decrypt.touched).toEqual([`KEYS ${arn}`]);
  });

  it("requests for two keys, or from two accounts, share no object", async () => {
    const first = await newKey();
    const second = await newKey();
    const other = await newKey(otherRoot);
    const calls = await Promise.all(
      [
        [rootCaller, first],
        [rootCaller, second],
        [otherRoot, other],
      ].map(async ([caller, key]) => {
        const c = counting();
        await run(c.env, caller as Caller, "Encrypt", { KeyId: (key as { keyId: string }).keyId, Plaintext: plaintext });
        return c.touched;
      }),
    );
    expect(calls).toEqual([[`KEYS ${first.arn}`], [`KEYS ${second.arn}`], [`KEYS ${other.arn}`]]);
  });

  it("Encrypt by alias asks the account registry once, then reaches only the key's object while the resolution is cached", async () => {
    const { keyId, arn } = await newKey();
    const aliasName = `alias/one-actor-${crypto.randomUUID()}`;
    await run(env as unknown as Env, rootCaller, "CreateAlias", { AliasName: aliasName, TargetKeyId: keyId });
    const first = counting();
    await run(first.env, rootCaller, "Encrypt", { KeyId: aliasName, Plaintext: plaintext });
    expect(first.touched).toEqual([`ACCOUNTS ${rootCaller.accountId}:us-east-1`, `KEYS ${arn}`]);
    const second = counting();
    await run(second.env, rootCaller, "Encrypt", { KeyId: aliasName, Plaintext: plaintext });
    expect(second.touched).toEqual([`KEYS ${arn}`]);
  });
});
