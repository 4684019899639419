/**
 * EdgeKMS as a library in a Deno program: `createKms({ kv, rootKey, identities })` runs the
 * service in-process over the program's own Deno KV, without HTTP. Each call is made as a
 * principal of the identity configuration (as a service binding's props name one, see
 * worker/entrypoint.ts) and goes through runOperation (src/service/dispatch.ts) like every other
 * call: validated, authorized by key policies, IAM policies and grants, throttled by the request
 * quotas, and audited (LookupEvents over HTTP, or `lookupEvents` here, reads the same trail).
 *
 *   const kv = await Deno.openKv();
 *   const kms = createKms({ kv, rootKey: Deno.env.get("ROOT_KEY")!, identities: Deno.env.get("EDGEKMS_IDENTITIES")! });
 *   const app = kms.as({ accessKeyId: "AKIA..." });
 *   const { KeyMetadata } = await app.call("CreateKey", {});
 *   const { CiphertextBlob } = await app.encrypt({ KeyId: KeyMetadata.KeyId, Plaintext: bytes });
 *
 * `encrypt`, `decrypt`, `reEncrypt`, `generateDataKey`, `generateDataKeyWithoutPlaintext`,
 * `generateRandom` and `describeKey` are the service binding's methods (blobs as Uint8Array,
 * dates as Date); `call(operation, request)` reaches every other operation. Errors are KmsErrors
 * (`err.type` is AWS's error name). Deadlines and audit forwarding run on the KV's queue: the
 * library listens on it unless `listen: false` (then another process serving the KV must).
 */
import type { Principal } from "../src/auth/identities.ts";
import { KmsError } from "../src/protocol/errors.ts";
import type { OperationName } from "../src/protocol/operations.ts";
import { toWire } from "../src/protocol/wire.ts";
import type { Caller } from "../src/service/caller.ts";
import { runOperation } from "../src/service/dispatch.ts";
import { identities as identitiesOf } from "../worker/identity-config.ts";
import { enforceRequestQuota } from "../worker/throttle.ts";
import type { Vars } from "../worker/vars.ts";
import { denoService } from "./service.ts";

export { KmsError };

export interface KmsOptions {
  kv: Deno.Kv;
  /** The service root key: base64 of 32 random bytes. Keep it secret; losing it loses every key. */
  rootKey: string;
  /** Retired root keys (README "Root-key rotation"): they still open what they sealed until it is re-sealed. */
  previousRootKeys?: string[];
  /** The identity configuration (JSON, as EDGEKMS_IDENTITIES), or "development" for the public test identities. */
  identities: string;
  /** Other settings by their variable names (KMS_REGION, KEYS_PER_ACCOUNT, REQUEST_QUOTAS, ...). */
  vars?: Omit<Vars, "ROOT_KEY" | "ROOT_KEY_PREVIOUS" | "EDGEKMS_IDENTITIES" | "EDGEKMS_DEV_IDENTITIES">;
  /** Listen on the KV queue for deadlines and audit forwarding (default true). */
  listen?: boolean;
}

/** A principal of the identity configuration, named as a service binding's props name it. */
export type PrincipalName = { accessKeyId: string } | { principalArn: string };

type Request = Record<string, unknown>;
// deno-lint-ignore no-explicit-any
// biome-ignore lint/suspicious/noExplicitAny: the SDK-shaped answers of every operation, typed by the caller
type Response = Record<string, any>;

export interface KmsClient {
  call(operation: OperationName, request: Request): Promise<Response>;
  encrypt(request: Request): Promise<Response>;
  decrypt(request: Request): Promise<Response>;
  reEncrypt(request: Request): Promise<Response>;
  generateDataKey(request: Request): Promise<Response>;
  generateDataKeyWithoutPlaintext(request: Request): Promise<Response>;
  generateRandom(request: Request): Promise<Response>;
  describeKey(request: Request): Promise<Response>;
}

export interface Kms {
  /**
   * The operations, called as `principal`, in `options.region` (one of KMS_REGIONS; default the
   * first). @throws UnrecognizedClientException for an unknown principal, ValidationException for a
   * Region this deployment does not serve
   */
  as(principal: PrincipalName, options?: { region?: string }): KmsClient;
}

export function createKms(options: KmsOptions): Kms {
  const development = options.identities === "development";
  const vars: Vars = {
    ...options.vars,
    ROOT_KEY: options.rootKey,
    ...(options.previousRootKeys === undefined ? {} : { ROOT_KEY_PREVIOUS: options.previousRootKeys.join(",") }),
    ...(development ? { EDGEKMS_DEV_IDENTITIES: "true" } : { EDGEKMS_IDENTITIES: options.identities }),
  };
  const service = denoService(options.kv, vars);
  if (options.listen !== false) {
    options.kv.listenQueue((message) => service.deliver(message));
    queueMicrotask(() => void service.recover());
  }
  const known = identitiesOf(vars);

  function principalOf(name: PrincipalName): Principal {
    if ("accessKeyId" in name) {
      const credential = known.credential(name.accessKeyId);
      if (credential !== undefined) return credential.principal;
    } else {
      for (const account of known.accounts) {
        const principal = account.principals.find((p) => p.arn === name.principalArn);
        if (principal !== undefined) return principal;
      }
    }
    throw new KmsError("UnrecognizedClientException", "The security token included in the request is invalid.");
  }

  return {
    as(name, options) {
      const principal = principalOf(name);
      const region = options?.region ?? service.settings.region;
      if (!service.settings.regions.includes(region)) {
        throw new KmsError("ValidationException", `${region} is not a Region this deployment serves.`);
      }
      const caller: Caller = {
        accountId: principal.accountId,
        principalArn: principal.arn,
        principal,
        // In-process: no network hop to protect.
        secureTransport: true,
        via: "binding",
        region,
      };
      const call = async (operation: OperationName, request: Request): Promise<Response> => {
        enforceRequestQuota(vars, principal.accountId, operation, Date.now(), region);
        // The wire form (base64 blobs) is what the one validator reads, as for bindings.
        return (await runOperation(
          service.runtime.ports,
          service.settings,
          caller,
          operation,
          toWire(request),
          crypto.randomUUID(),
        )) as Response;
      };
      return {
        call,
        encrypt: (r) => call("Encrypt", r),
        decrypt: (r) => call("Decrypt", r),
        reEncrypt: (r) => call("ReEncrypt", r),
        generateDataKey: (r) => call("GenerateDataKey", r),
        generateDataKeyWithoutPlaintext: (r) => call("GenerateDataKeyWithoutPlaintext", r),
        generateRandom: (r) => call("GenerateRandom", r),
        describeKey: (r) => call("DescribeKey", r),
      };
    },
  };
}
