/**
 * The service-binding entrypoint: other workers call EdgeKMS's data-plane operations and
 * DescribeKey as RPC methods, with the JSON API's parameters and results (AWS member names, blobs
 * as Uint8Array, timestamps as Date).
 *
 *   # the calling worker's wrangler.toml
 *   services = [{ binding = "KMS", service = "edgekms", entrypoint = "KmsBinding",
 *                 props = { accessKeyId = "AKIA..." } }]      # or props = { principalArn = "arn:aws:iam::..." }
 *
 * Who calls: the principal named in the binding's props (`ctx.props`, set by whoever deploys the
 * calling worker, never by the caller at run time), looked up in the same identity configuration
 * SigV4 uses (EDGEKMS_IDENTITIES). Method arguments cannot name a principal. A binding without
 * props, or whose props name no configured identity, is refused on every call. (Locally, wrangler's
 * dev registry drops props between separate `wrangler dev` sessions: run the calling worker and
 * EdgeKMS in one multi-config session.) Calls count against the account's request quotas
 * (throttle.ts) as HTTP requests do.
 *
 * Every call goes through runOperation (dispatch.ts), the path HTTP requests take after SigV4, so
 * validation, authorization, key-state rules and audit records are the same; the request is put in
 * its wire form first so the one validator checks it. Errors are KmsErrors encoded for RPC
 * (src/binding/errors.ts: the message starts with the AWS error name; `restoreBindingError` on the
 * calling side gives back a KmsError whose `name` is that name). Anything unexpected is logged
 * by name and stack only and becomes the opaque KMSInternalException.
 *
 * Security: props are configuration, trusted like EDGEKMS_IDENTITIES; there is no secret in them
 * (the binding itself is the credential: only workers deployed with it can call). Error messages
 * never hold plaintext or key material.
 */
import { WorkerEntrypoint } from "cloudflare:workers";
import type { Principal } from "../src/auth/identities.ts";
import { encodeBindingError } from "../src/binding/errors.ts";
import { internalError, KmsError } from "../src/protocol/errors.ts";
import type { OperationName } from "../src/protocol/operations.ts";
import type {
  DecapsulateRequest,
  DecapsulateResponse,
  DeriveSharedSecretRequest,
  DeriveSharedSecretResponse,
  EncapsulateRequest,
  EncapsulateResponse,
  GenerateDataKeyPairRequest,
  GenerateDataKeyPairResponse,
  GenerateDataKeyPairWithoutPlaintextRequest,
  GenerateDataKeyPairWithoutPlaintextResponse,
  GenerateMacRequest,
  GenerateMacResponse,
  GetPublicKeyRequest,
  GetPublicKeyResponse,
  SignRequest,
  SignResponse,
  VerifyMacRequest,
  VerifyMacResponse,
  VerifyRequest,
  VerifyResponse,
  DecryptRequest,
  DecryptResponse,
  DescribeKeyRequest,
  DescribeKeyResponse,
  EncryptRequest,
  EncryptResponse,
  GenerateDataKeyRequest,
  GenerateDataKeyResponse,
  GenerateDataKeyWithoutPlaintextRequest,
  GenerateDataKeyWithoutPlaintextResponse,
  GenerateRandomRequest,
  GenerateRandomResponse,
  ReEncryptRequest,
  ReEncryptResponse,
} from "../src/protocol/shapes.ts";
import { toWire } from "../src/protocol/wire.ts";
import type { Caller } from "../src/service/caller.ts";
import { settings, type Env } from "./config.ts";
import { runOperation } from "./dispatch.ts";
import { identities } from "./identity-config.ts";
import { enforceRequestQuota } from "./throttle.ts";

/** What a binding's `props` may hold: exactly one of the two names a configured identity. */
export interface KmsBindingProps {
  /** An access key ID from the identity configuration; the call runs as its principal. */
  accessKeyId?: string;
  /** A principal ARN from the identity configuration (arn:aws:iam::<acct>:root, :user/<name>, ...). */
  principalArn?: string;
  /** The Region the binding's calls are for (one of KMS_REGIONS); absent: the default Region. */
  region?: string;
}

/** Blob members of each method's request: they must arrive as Uint8Array, never as base64 text. */
const BLOB_MEMBERS: Partial<Record<OperationName, readonly string[]>> = {
  Encrypt: ["Plaintext"],
  Decrypt: ["CiphertextBlob"],
  ReEncrypt: ["CiphertextBlob"],
  Sign: ["Message"],
  Verify: ["Message", "Signature"],
  GenerateMac: ["Message"],
  VerifyMac: ["Message", "Mac"],
  DeriveSharedSecret: ["PublicKey"],
  Decapsulate: ["SharedSecretCiphertextBlob"],
};

/**
 * The refusal of a binding without props. Locally its usual cause is two `wrangler dev` sessions:
 * the local dev registry that connects them drops a binding's props, so the message says what works.
 */
export const NO_PRINCIPAL_MESSAGE =
  "This service binding has no configured principal: set exactly one of props.accessKeyId or props.principalArn in the calling worker's binding. " +
  "Running locally? A binding to a worker in another `wrangler dev` session loses its props; run both workers in one multi-config session instead " +
  "(npx wrangler dev -c <calling worker>/wrangler.toml -c <edgekms>/wrangler.toml).";

/**
 * The principal a binding's props name.
 * @throws AccessDeniedException when the props name no principal (or both kinds of name);
 * UnrecognizedClientException when they name one the identity configuration does not hold.
 */
export function bindingPrincipal(env: Env, props: unknown): Principal {
  const p = (props !== null && typeof props === "object" ? props : {}) as Record<string, unknown>;
  const { accessKeyId, principalArn } = p;
  const hasKey = typeof accessKeyId === "string" && accessKeyId !== "";
  const hasArn = typeof principalArn === "string" && principalArn !== "";
  if (hasKey === hasArn) {
    throw new KmsError("AccessDeniedException", NO_PRINCIPAL_MESSAGE);
  }
  const config = identities(env);
  if (hasKey) {
    const credential = config.credential(accessKeyId as string);
    if (credential !== undefined) return credential.principal;
  } else {
    for (const account of config.accounts) {
      const principal = account.principals.find((candidate) => candidate.arn === principalArn);
      if (principal !== undefined) return principal;
    }
  }
  // AWS's wording for an access key it does not know; the name itself is not echoed.
  throw new KmsError("UnrecognizedClientException", "The security token included in the request is invalid.");
}

/**
 * The Region a binding's props name, when they name one.
 * @throws ValidationException for a Region this deployment does not serve (a configuration error).
 */
function bindingRegion(env: Env, props: unknown): { region?: string } {
  const region = props !== null && typeof props === "object" ? (props as Record<string, unknown>).region : undefined;
  if (region === undefined) return {};
  if (typeof region !== "string" || !settings(env).regions.includes(region)) {
    throw new KmsError("ValidationException", `This service binding's props.region is not a Region this deployment serves.`);
  }
  return { region };
}

function requestBody(operation: OperationName, request: unknown): unknown {
  if (request === null || typeof request !== "object" || Array.isArray(request)) return request;
  for (const member of BLOB_MEMBERS[operation] ?? []) {
    const value = (request as Record<string, unknown>)[member];
    if (value !== undefined && !(value instanceof Uint8Array)) {
      throw new KmsError("SerializationException", `${member} must be a Uint8Array when called through a service binding.`);
    }
  }
  // The wire form (base64 blobs) is what the one validator reads, so both transports share it.
  return toWire(request);
}

export class KmsBinding extends WorkerEntrypoint<Env, KmsBindingProps> {
  encrypt(request: EncryptRequest): Promise<EncryptResponse> {
    return this.#run("Encrypt", request);
  }

  decrypt(request: DecryptRequest): Promise<DecryptResponse> {
    return this.#run("Decrypt", request);
  }

  reEncrypt(request: ReEncryptRequest): Promise<ReEncryptResponse> {
    return this.#run("ReEncrypt", request);
  }

  generateDataKey(request: GenerateDataKeyRequest): Promise<GenerateDataKeyResponse> {
    return this.#run("GenerateDataKey", request);
  }

  generateDataKeyWithoutPlaintext(request: GenerateDataKeyWithoutPlaintextRequest): Promise<GenerateDataKeyWithoutPlaintextResponse> {
    return this.#run("GenerateDataKeyWithoutPlaintext", request);
  }

  generateRandom(request: GenerateRandomRequest): Promise<GenerateRandomResponse> {
    return this.#run("GenerateRandom", request);
  }

  describeKey(request: DescribeKeyRequest): Promise<DescribeKeyResponse> {
    return this.#run("DescribeKey", request);
  }

  getPublicKey(request: GetPublicKeyRequest): Promise<GetPublicKeyResponse> {
    return this.#run("GetPublicKey", request);
  }

  sign(request: SignRequest): Promise<SignResponse> {
    return this.#run("Sign", request);
  }

  verify(request: VerifyRequest): Promise<VerifyResponse> {
    return this.#run("Verify", request);
  }

  generateMac(request: GenerateMacRequest): Promise<GenerateMacResponse> {
    return this.#run("GenerateMac", request);
  }

  verifyMac(request: VerifyMacRequest): Promise<VerifyMacResponse> {
    return this.#run("VerifyMac", request);
  }

  deriveSharedSecret(request: DeriveSharedSecretRequest): Promise<DeriveSharedSecretResponse> {
    return this.#run("DeriveSharedSecret", request);
  }

  generateDataKeyPair(request: GenerateDataKeyPairRequest): Promise<GenerateDataKeyPairResponse> {
    return this.#run("GenerateDataKeyPair", request);
  }

  generateDataKeyPairWithoutPlaintext(
    request: GenerateDataKeyPairWithoutPlaintextRequest,
  ): Promise<GenerateDataKeyPairWithoutPlaintextResponse> {
    return this.#run("GenerateDataKeyPairWithoutPlaintext", request);
  }

  encapsulate(request: EncapsulateRequest): Promise<EncapsulateResponse> {
    return this.#run("Encapsulate", request);
  }

  decapsulate(request: DecapsulateRequest): Promise<DecapsulateResponse> {
    return this.#run("Decapsulate", request);
  }

  async #run<T>(operation: OperationName, request: unknown): Promise<T> {
    try {
      const principal = bindingPrincipal(this.env, this.ctx.props);
      const caller: Caller = {
        accountId: principal.accountId,
        principalArn: principal.arn,
        principal,
        // In-process call between workers of one deployment: no network hop to protect.
        secureTransport: true,
        via: "binding",
        ...bindingRegion(this.env, this.ctx.props),
      };
      enforceRequestQuota(this.env, principal.accountId, operation, Date.now(), caller.region ?? settings(this.env).region);
      const body = requestBody(operation, request);
      return (await runOperation(this.env, caller, operation, body, crypto.randomUUID())) as T;
    } catch (err) {
      if (err instanceof KmsError) throw encodeBindingError(err);
      console.error("unexpected error in binding call", err instanceof Error ? `${err.name}: ${err.stack}` : "non-error thrown");
      throw encodeBindingError(internalError());
    }
  }
}
