/**
 * Keys for the workerd tests of the key object: created directly through the KeyObject's RPC
 * surface with the default key policy, and the account root as the caller.
 */
import { env } from "cloudflare:test";
import { expect } from "vitest";
import type { Caller } from "../../src/service/caller.ts";
import { defaultKeyPolicy } from "../../src/operations/keys.ts";

export const ACCOUNT = "111122223333";
export const REGION = "us-east-1";

export const rootCaller: Caller = {
  accountId: ACCOUNT,
  principalArn: `arn:aws:iam::${ACCOUNT}:root`,
  principal: { type: "Root", accountId: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:root`, principalId: ACCOUNT, policies: [] },
  secureTransport: true,
  via: "http",
};

/** Creates a key in its own object (not registered with the account registry). */
export async function createKey(origin: "AWS_KMS" | "EXTERNAL" = "AWS_KMS") {
  const keyId = crypto.randomUUID();
  const arn = `arn:aws:kms:${REGION}:${ACCOUNT}:key/${keyId}`;
  const stub = env.KEYS.get(env.KEYS.idFromName(arn));
  const created = await stub.create({
    keyId,
    arn,
    accountId: ACCOUNT,
    description: "",
    origin,
    policy: defaultKeyPolicy(ACCOUNT),
    tags: [],
  });
  expect(created.ok).toBe(true);
  return { keyId, arn, stub, call: { ...rootCaller, keyArn: arn } };
}
