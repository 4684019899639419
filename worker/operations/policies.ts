/**
 * GetKeyPolicy, PutKeyPolicy and ListKeyPolicies. A key has one policy, named `default`.
 *
 * PutKeyPolicy validates the document with the policy engine (src/policy/document.ts:
 * MalformedPolicyDocumentException for invalid JSON, unknown or misplaced elements, bad
 * principals or condition operators, documents over 32 KB) before anything else, then the key
 * object checks kms:PutKeyPolicy and the policy lockout safety check (src/service/access.ts).
 */
import { parsePolicy } from "../../src/policy/index.ts";
import { KmsError } from "../../src/protocol/errors.ts";
import { audit, keyCall, keyObject, resolveKeyArn, settle, type Handler } from "./context.ts";

export const GetKeyPolicy: Handler<"GetKeyPolicy"> = async (ctx, request) => {
  const arn = await resolveKeyArn(ctx, request.KeyId);
  // The key object checks the policy name after access, as AWS does.
  const policy = await settle(ctx, keyObject(ctx, arn).getPolicy(keyCall(ctx, arn), request.PolicyName ?? "default", audit(ctx)));
  return { Policy: policy, PolicyName: "default" };
};

export const PutKeyPolicy: Handler<"PutKeyPolicy"> = async (ctx, request) => {
  if ((request.PolicyName ?? "default") !== "default") {
    throw new KmsError("ValidationException", "PolicyName must be default.");
  }
  parsePolicy(request.Policy, "key");
  const arn = await resolveKeyArn(ctx, request.KeyId);
  const facts = { bypassPolicyLockoutSafetyCheck: request.BypassPolicyLockoutSafetyCheck === true };
  await settle(ctx, keyObject(ctx, arn).putPolicy(keyCall(ctx, arn, facts), request.Policy, audit(ctx)));
  return {};
};

export const ListKeyPolicies: Handler<"ListKeyPolicies"> = async (ctx, request) => {
  const arn = await resolveKeyArn(ctx, request.KeyId);
  const names = await settle(ctx, keyObject(ctx, arn).listPolicies(keyCall(ctx, arn), audit(ctx)));
  return { PolicyNames: names, Truncated: false };
};
