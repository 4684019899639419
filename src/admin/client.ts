/**
 * The client of EdgeKMS's own operations (worker/extensions.ts): a JSON body POSTed with its
 * X-Amz-Target and signed with SigV4 for the service `kms`, as any KMS request is. Used by the
 * tools (`npm run seed`, `npm run rotate-root-key`, `npm run backup`) and the tests.
 */
import { SignatureV4 } from "@smithy/signature-v4";
import { Sha256 } from "../auth/sigv4.ts";

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/**
 * Calls `target` at `endpoint` as `credentials` and returns the answer.
 * @throws Error whose name is the AWS error (`__type`) and message its message
 */
export async function callExtension<T>(
  endpoint: string,
  region: string,
  credentials: Credentials,
  target: string,
  request: unknown,
): Promise<T> {
  const url = new URL(endpoint);
  const body = JSON.stringify(request);
  const signer = new SignatureV4({ service: "kms", region, credentials, sha256: Sha256 });
  const signed = await signer.sign({
    method: "POST",
    protocol: url.protocol,
    hostname: url.hostname,
    ...(url.port === "" ? {} : { port: Number(url.port) }),
    path: "/",
    headers: { host: url.host, "content-type": "application/x-amz-json-1.1", "x-amz-target": target },
    body,
  });
  const response = await fetch(new URL("/", url), { method: "POST", headers: signed.headers as Record<string, string>, body });
  const answer = (await response.json()) as Record<string, unknown>;
  if (!response.ok) {
    const err = new Error(String(answer.message ?? answer.Message ?? response.statusText));
    err.name = String(answer.__type ?? "EdgeKmsError");
    throw err;
  }
  return answer as T;
}

/** The development roots of the local service's accounts (README "Using it"): the tools' local credentials. */
export const DEV_ROOTS: Record<string, Credentials> = {
  "111122223333": { accessKeyId: "test", secretAccessKey: "test" },
  "444455556666": { accessKeyId: "external", secretAccessKey: "external" },
};

/** AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, when set. */
export function environmentCredentials(env: Record<string, string | undefined>): Credentials | undefined {
  if (!env.AWS_ACCESS_KEY_ID || !env.AWS_SECRET_ACCESS_KEY) return undefined;
  return {
    accessKeyId: env.AWS_ACCESS_KEY_ID,
    secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
    ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
  };
}
