/**
 * The RSA primitives of src/keys/asymmetric/rsa-digest.ts (RSASP1 and RSAVP1, RFC 8017 §5.2) from
 * the platform's node:crypto: BoringSSL in workerd (the `nodejs_compat` flag in wrangler.toml), the
 * node:crypto of Deno (deno/service.ts uses this file too) and OpenSSL in Node (the unit tests).
 * The rules stay in src/, which uses only web standards; this file only maps node:crypto onto the
 * port.
 *
 * Both primitives are raw exponentiations with RSA_NO_PADDING. RSASP1 is `privateDecrypt`, the same
 * computation (m^d mod n, with the platform's CRT and blinding) as RSADP, because Deno's
 * `privateEncrypt` has no RSA_NO_PADDING. Keys go in as DER with their format: workerd's
 * `privateDecrypt`/`publicEncrypt` refuse KeyObjects.
 *
 * node:crypto is reached through `process.getBuiltinModule` (Node ≥ 20.16, Deno 2, workerd with
 * nodejs_compat) and typed by the small interface below rather than by a static import: `deno check`
 * with deno/deno.json (nodeModulesDir "manual", one folder below package.json) cannot resolve the
 * @types/node that a static `node:` import pulls in.
 */
import type { RsaPrimitives } from "../src/keys/asymmetric/key-pairs.ts";

interface DerKey {
  key: Uint8Array;
  format: "der";
  type: "pkcs8" | "spki";
  padding: number;
}

/** The part of node:crypto used here. */
interface NodeCrypto {
  constants: { RSA_NO_PADDING: number };
  privateDecrypt(key: DerKey, buffer: Uint8Array): Uint8Array;
  publicEncrypt(key: DerKey, buffer: Uint8Array): Uint8Array;
}

let loaded: NodeCrypto | undefined;

/** @throws Error when the runtime has no node:crypto (workerd without nodejs_compat). */
function nodeCrypto(): NodeCrypto {
  if (loaded !== undefined) return loaded;
  const runtime = (globalThis as { process?: { getBuiltinModule?(id: string): unknown } }).process;
  const module = runtime?.getBuiltinModule?.("node:crypto") as NodeCrypto | undefined;
  if (typeof module?.privateDecrypt !== "function" || typeof module.publicEncrypt !== "function") {
    throw new Error("node:crypto is not available (workerd needs the nodejs_compat compatibility flag)");
  }
  loaded = module;
  return module;
}

function derKey(key: Uint8Array, type: DerKey["type"]): DerKey {
  return { key, format: "der", type, padding: nodeCrypto().constants.RSA_NO_PADDING };
}

export const nodeRsaPrimitives: RsaPrimitives = {
  signPrimitive: (privateKey, representative) => new Uint8Array(nodeCrypto().privateDecrypt(derKey(privateKey, "pkcs8"), representative)),
  verifyPrimitive: (publicKey, signature) => new Uint8Array(nodeCrypto().publicEncrypt(derKey(publicKey, "spki"), signature)),
};
