/**
 * KeyObject inside workerd: what it stores (no backing key in the clear, checked against a dump
 * of every value it stores) and how its alarm behaves (idempotent, acts only on passed deadlines).
 */
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { ringOf } from "../../src/keys/root-key-ring.ts";
import { describe, expect, it } from "vitest";
import { decodeRootKey, unsealBackingKey, type SealedBackingKey } from "../../src/keys/backing-key.ts";
import type { KeyObject } from "../../worker/key-object.ts";
import { createKey, rootCaller as caller } from "./key-fixtures.ts";

function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

describe("KeyObject storage", () => {
  it("holds its backing key only sealed under the root key: a raw storage dump never contains it", async () => {
    const { arn, stub } = await createKey();
    const encrypted = await stub.encrypt({ ...caller, keyArn: arn }, "Encrypt", new TextEncoder().encode("hello"), {});
    expect(encrypted.ok).toBe(true);
    await runInDurableObject(stub, async (_instance: KeyObject, state) => {
      const sealed = state.storage.kv.get<SealedBackingKey>("version:0000000001");
      expect(sealed).toBeDefined();
      const backingKey = unsealBackingKey(ringOf(decodeRootKey(env.ROOT_KEY)), arn, sealed!);
      expect(backingKey.length).toBe(32);
      // SQLite's own KV table is not readable through SQL, so the dump walks every stored value,
      // down to its bytes, through the storage API.
      let dumped = 0;
      const visit = (value: unknown): void => {
        if (value instanceof Uint8Array || value instanceof ArrayBuffer) {
          const bytes = value instanceof ArrayBuffer ? new Uint8Array(value) : value;
          dumped += bytes.length;
          expect(contains(bytes, backingKey)).toBe(false);
        } else if (typeof value === "string") {
          const bytes = new TextEncoder().encode(value);
          dumped += bytes.length;
          expect(contains(bytes, backingKey)).toBe(false);
          expect(value).not.toContain(btoa(String.fromCharCode(...backingKey)));
        } else if (value !== null && typeof value === "object") {
          for (const inner of Object.values(value)) visit(inner);
        }
      };
      for (const [key, value] of state.storage.kv.list()) {
        visit(key);
        visit(value);
      }
      expect(dumped).toBeGreaterThan(sealed!.sealed.length);
    });
  });
});

describe("KeyObject alarm", () => {
  it("does nothing when rotation is off or its deadline has not passed, however often it fires", async () => {
    const { arn, stub } = await createKey();
    await runDurableObjectAlarm(stub);
    expect(await stub.backingKeyVersions()).toBe(1);
    const enabled = await stub.setRotation({ ...caller, keyArn: arn }, true);
    expect(enabled.ok).toBe(true);
    for (let i = 0; i < 3; i++) await runDurableObjectAlarm(stub);
    expect(await stub.backingKeyVersions()).toBe(1);
  });
});
