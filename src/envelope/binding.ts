/**
 * The envelope client's KMS transport over a service binding to EdgeKMS's KmsBinding entrypoint
 * (worker/entrypoint.ts), for use inside another worker:
 *
 *   const kms = bindingTransport(env.KMS);
 *
 * The stub's methods already take and return AWS-shaped objects; this adapter only restores the
 * AWS error name that Workers RPC drops (src/binding/errors.ts), so errors look the same as over
 * HTTP. `kmsBinding(env.KMS)` does the same for direct calls of any binding method.
 *
 * Types are structural so this module needs no Workers types and runs in Node and Deno too (where
 * a "stub" can be any object with these methods).
 */
import { restoreBindingError } from "../binding/errors.ts";
import type { KmsTransport } from "./transport.ts";

export { restoreBindingError } from "../binding/errors.ts";

type AnyMethods = Record<string, unknown>;

/**
 * Wraps a binding stub so that every method's rejection is a KmsError with the AWS name. Other
 * properties pass through.
 */
export function kmsBinding<T extends object>(stub: T): T {
  return new Proxy(stub, {
    get(target, property) {
      const value = Reflect.get(target as AnyMethods, property);
      if (typeof value !== "function" || property === "then") return value;
      return async (...args: unknown[]) => {
        try {
          // A direct call: on an RPC stub, `value.apply` would itself be a remote method named "apply".
          return await (target as Record<PropertyKey, (...a: unknown[]) => unknown>)[property]!(...args);
        } catch (err) {
          throw restoreBindingError(err);
        }
      };
    },
  });
}

/** A transport over a KmsBinding stub (or anything with its generateDataKey/decrypt/encrypt). */
export function bindingTransport(stub: KmsTransport): KmsTransport {
  const call = async <T>(run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (err) {
      throw restoreBindingError(err);
    }
  };
  return {
    generateDataKey: (input) => call(() => stub.generateDataKey(input)),
    decrypt: (input) => call(() => stub.decrypt(input)),
    ...(stub.encrypt === undefined ? {} : { encrypt: (input) => call(() => stub.encrypt!(input)) }),
  };
}
