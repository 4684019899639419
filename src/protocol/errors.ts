/**
 * The one table of AWS KMS errors EdgeKMS can return, and the one place that serialises them.
 *
 * Spec: the KMS service model (TrentService 2014-11-01, as shipped in @aws-sdk/client-kms's
 * schemas, `httpError` of each error shape) for the KMS-specific errors, and AWS's "Common Errors"
 * pages plus observed responses for the protocol and authentication errors shared by all JSON 1.1
 * services (UnknownOperationException, SerializationException, the SigV4 failures, throttling).
 * Messages that AWS fixes (e.g. "<arn> is disabled.") are built by the helpers below with AWS's
 * wording so that clients matching on messages behave as against AWS.
 *
 * Security: a `KmsError` message is sent to the caller verbatim, so it must never contain key
 * material, plaintext or secrets. Anything thrown that is not a `KmsError` is treated as a bug and
 * answered with an opaque 500 whose message reveals nothing; `errorResponse` reports such errors
 * through its `onUnexpected` hook so the caller can log them (the hook receives the error object;
 * it is the caller's job to log only what is safe, e.g. the name and stack).
 */
import { toWire } from "./wire.ts";

/**
 * HTTP status per error type. AWS KMS speaks AWS JSON 1.1, whose clients dispatch on `__type`, and
 * it answers every client error with 400 (the service model's `httpError` codes are not what it
 * sends); only its own failures are 5xx.
 */
export const ERROR_STATUS = {
  // KMS service model errors.
  AlreadyExistsException: 400,
  DependencyTimeoutException: 503,
  DisabledException: 400,
  ExpiredImportTokenException: 400,
  IncorrectKeyException: 400,
  IncorrectKeyMaterialException: 400,
  InvalidAliasNameException: 400,
  InvalidArnException: 400,
  InvalidCiphertextException: 400,
  InvalidGrantIdException: 400,
  InvalidGrantTokenException: 400,
  InvalidImportTokenException: 400,
  InvalidKeyUsageException: 400,
  InvalidMarkerException: 400,
  KMSInternalException: 500,
  KMSInvalidStateException: 400,
  KeyUnavailableException: 500,
  LimitExceededException: 400,
  MalformedPolicyDocumentException: 400,
  NotFoundException: 400,
  TagException: 400,
  UnsupportedOperationException: 400,
  // Common errors of AWS JSON services (not in the KMS model).
  AccessDeniedException: 400,
  NotAuthorizedException: 400,
  ValidationException: 400,
  SerializationException: 400,
  UnknownOperationException: 400,
  ThrottlingException: 400,
  // A request body over the service's size limit (src/protocol/body.ts); AWS's name and status
  // for it where a service documents one (Lambda).
  RequestEntityTooLargeException: 413,
  // Authentication (SigV4) errors.
  MissingAuthenticationTokenException: 400,
  UnrecognizedClientException: 400,
  InvalidSignatureException: 400,
  IncompleteSignatureException: 400,
  // CloudTrail LookupEvents errors (the audit trail's query endpoint, src/audit/lookup.ts).
  InvalidLookupAttributesException: 400,
  InvalidTimeRangeException: 400,
  InvalidMaxResultsException: 400,
  InvalidNextTokenException: 400,
  InvalidEventCategoryException: 400,
} as const satisfies Record<string, number>;

export type KmsErrorType = keyof typeof ERROR_STATUS;

export const ERROR_TYPES = Object.keys(ERROR_STATUS) as KmsErrorType[];

/** An error whose type and message are meant for the caller, as AWS KMS would send them. */
export class KmsError extends Error {
  readonly type: KmsErrorType;
  readonly status: number;

  constructor(type: KmsErrorType, message: string) {
    super(message);
    this.name = type;
    this.type = type;
    this.status = ERROR_STATUS[type];
  }
}

export function kmsError(type: KmsErrorType, message: string): KmsError {
  return new KmsError(type, message);
}

// ---- Helpers with AWS's fixed wordings -----------------------------------------------------------

/** DisabledException for a key in the Disabled state: "<key arn> is disabled." */
export function disabled(keyArn: string): KmsError {
  return new KmsError("DisabledException", `${keyArn} is disabled.`);
}

/** KMSInvalidStateException for a key scheduled for deletion. */
export function pendingDeletion(keyArn: string): KmsError {
  return new KmsError("KMSInvalidStateException", `${keyArn} is pending deletion.`);
}

/** KMSInvalidStateException for an EXTERNAL key whose material has not been imported. */
export function pendingImport(keyArn: string): KmsError {
  return new KmsError("KMSInvalidStateException", `${keyArn} is pending import.`);
}

/** KMSInvalidStateException from CancelKeyDeletion on a key that is not scheduled for deletion. */
export function notPendingDeletion(keyArn: string): KmsError {
  return new KmsError("KMSInvalidStateException", `${keyArn} is not pending deletion.`);
}

/** NotFoundException for a well-formed key ID or key ARN that names no key: "Key '<arn>' does not exist". */
export function keyNotFound(keyArn: string): KmsError {
  return new KmsError("NotFoundException", `Key '${keyArn}' does not exist`);
}

/** NotFoundException for an alias name or alias ARN that names no alias. */
export function aliasNotFound(aliasArn: string): KmsError {
  return new KmsError("NotFoundException", `Alias ${aliasArn} is not found.`);
}

/** NotFoundException for a KeyId that is neither a key ID, key ARN, alias name nor alias ARN. */
export function invalidKeyId(keyId: string): KmsError {
  return new KmsError("NotFoundException", `Invalid keyId ${keyId}`);
}

/** UnsupportedOperationException for a TrentService operation EdgeKMS does not implement. */
export function unsupportedOperation(operation: string): KmsError {
  return new KmsError("UnsupportedOperationException", `${operation} is not supported by EdgeKMS.`);
}

/**
 * AccessDeniedException in AWS's IAM wording, e.g. "User: arn:aws:iam::111122223333:user/alice is
 * not authorized to perform: kms:Encrypt on resource: arn:aws:kms:...:key/... because no
 * identity-based policy allows the kms:Encrypt action". `reason` is the trailing clause, if any.
 */
export function accessDenied(principalArn: string, action: string, resource: string, reason?: string): KmsError {
  const base = `User: ${principalArn} is not authorized to perform: ${action} on resource: ${resource}`;
  return new KmsError("AccessDeniedException", reason === undefined ? base : `${base} ${reason}`);
}

/** ThrottlingException in AWS KMS's wording (its Developer Guide, "Request quotas"). */
export function throttled(): KmsError {
  return new KmsError("ThrottlingException", "You have exceeded the rate at which you may call KMS. Reduce the frequency of your calls.");
}

/** The opaque error every unexpected failure becomes; its message says nothing about the cause. */
export function internalError(): KmsError {
  return new KmsError("KMSInternalException", "An internal error occurred.");
}

// ---- Serialisation ---------------------------------------------------------------------------------

export const JSON_CONTENT_TYPE = "application/x-amz-json-1.1";

export interface ErrorResponseOptions {
  /**
   * Called when `err` is not a `KmsError` (a bug or an infrastructure failure), before the opaque
   * 500 is built. Log from here; never include request bodies or key material.
   */
  onUnexpected?: (err: unknown) => void;
}

/** True when `err` would be answered with the opaque 500 rather than its own message. */
export function isUnexpected(err: unknown): boolean {
  return !(err instanceof KmsError);
}

/**
 * Serialises an error as AWS JSON 1.1 does: `{"__type", "message"}` with the type's status and the
 * `X-Amzn-Errortype` header. Never throws.
 */
export function errorResponse(err: unknown, requestId: string, options: ErrorResponseOptions = {}): Response {
  let known: KmsError;
  if (err instanceof KmsError) {
    known = err;
  } else {
    options.onUnexpected?.(err);
    known = internalError();
  }
  return new Response(JSON.stringify({ __type: known.type, message: known.message }), {
    status: known.status,
    headers: {
      "Content-Type": JSON_CONTENT_TYPE,
      "x-amzn-RequestId": requestId,
      "X-Amzn-Errortype": known.type,
    },
  });
}

/**
 * A 200 response with an AWS JSON 1.1 body. Uint8Array fields are sent as base64 and Date fields
 * as epoch seconds (see wire.ts), so handlers can return their typed responses unchanged.
 */
export function jsonResponse(body: object, requestId: string): Response {
  return new Response(JSON.stringify(toWire(body)), {
    status: 200,
    headers: { "Content-Type": JSON_CONTENT_TYPE, "x-amzn-RequestId": requestId },
  });
}
