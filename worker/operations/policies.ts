/**
 * GetKeyPolicy, PutKeyPolicy and ListKeyPolicies. A key has one policy, named `default`.
 *
 * Until the policy engine lands (access-control issue) a document is checked for what can be
 * checked without it: JSON, a Statement, and AWS's 32 KB limit; the full grammar is that issue's.
 */
import { KmsError } from "../../src/protocol/errors.ts";
import { unwrap } from "../rpc.ts";
import { keyCall, keyObject, resolveKeyArn, type Handler } from "./context.ts";

export const MAX_POLICY_BYTES = 32 * 1024;

function malformed(message: string): KmsError {
  return new KmsError("MalformedPolicyDocumentException", message);
}

/** @throws MalformedPolicyDocumentException */
export function validatePolicyDocument(policy: string): void {
  if (new TextEncoder().encode(policy).length > MAX_POLICY_BYTES) {
    throw malformed(`The policy document exceeds the maximum size of ${MAX_POLICY_BYTES} bytes.`);
  }
  let document: unknown;
  try {
    document = JSON.parse(policy);
  } catch {
    throw malformed("The policy document is not valid JSON.");
  }
  if (document === null || typeof document !== "object" || Array.isArray(document)) {
    throw malformed("The policy document must be a JSON object.");
  }
  if (!("Statement" in document)) throw malformed("The policy document has no Statement.");
}

function checkPolicyName(name: string): void {
  if (name !== "default") throw new KmsError("NotFoundException", `No such policy exists: ${name}`);
}

export const GetKeyPolicy: Handler<"GetKeyPolicy"> = async (ctx, request) => {
  const arn = await resolveKeyArn(ctx, request.KeyId);
  const policy = await unwrap(keyObject(ctx, arn).getPolicy(keyCall(ctx, arn)));
  checkPolicyName(request.PolicyName ?? "default");
  return { Policy: policy, PolicyName: "default" };
};

export const PutKeyPolicy: Handler<"PutKeyPolicy"> = async (ctx, request) => {
  if ((request.PolicyName ?? "default") !== "default") {
    throw new KmsError("ValidationException", "PolicyName must be default.");
  }
  validatePolicyDocument(request.Policy);
  const arn = await resolveKeyArn(ctx, request.KeyId);
  await unwrap(keyObject(ctx, arn).putPolicy(keyCall(ctx, arn), request.Policy));
  return {};
};

export const ListKeyPolicies: Handler<"ListKeyPolicies"> = async (ctx, request) => {
  const arn = await resolveKeyArn(ctx, request.KeyId);
  const names = await unwrap(keyObject(ctx, arn).listPolicies(keyCall(ctx, arn)));
  return { PolicyNames: names, Truncated: false };
};
