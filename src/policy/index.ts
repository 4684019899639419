/**
 * The policy engine's public API: parse key and IAM policies, build request contexts, evaluate
 * documents, and decide requests from key policy + IAM policies + grants, as the AWS KMS
 * Developer Guide's "Authentication and Access Control" chapters describe. Pure functions only:
 * no I/O, no clock reads except `buildContext`'s default time, web standards only.
 */
export * from "./actions.ts";
export * from "./authorize.ts";
export * from "./conditions.ts";
export * from "./context.ts";
export * from "./document.ts";
export * from "./evaluate.ts";
export * from "./grants.ts";
export * from "./match.ts";
