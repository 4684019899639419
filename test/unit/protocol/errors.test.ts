import { describe, expect, it } from "vitest";
import {
  ERROR_STATUS,
  ERROR_TYPES,
  KmsError,
  aliasNotFound,
  accessDenied,
  disabled,
  errorResponse,
  invalidKeyId,
  jsonResponse,
  keyNotFound,
  notPendingDeletion,
  pendingDeletion,
  pendingImport,
} from "../../../src/protocol/errors.ts";

const ARN = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

describe("error table", () => {
  it("answers every client error with 400 and only the service's own failures with 5xx", () => {
    const serverSide = ERROR_TYPES.filter((t) => ERROR_STATUS[t] >= 500);
    expect(serverSide.sort()).toEqual(["DependencyTimeoutException", "KMSInternalException", "KeyUnavailableException"]);
    // The one client error that is not 400: a body over the size limit, refused before it is read.
    expect(ERROR_TYPES.filter((t) => ERROR_STATUS[t] !== 400 && ERROR_STATUS[t] < 500)).toEqual(["RequestEntityTooLargeException"]);
    expect(ERROR_STATUS.NotFoundException).toBe(400);
    expect(ERROR_STATUS.DisabledException).toBe(400);
    expect(ERROR_STATUS.KMSInternalException).toBe(500);
    expect(ERROR_STATUS.DependencyTimeoutException).toBe(503);
  });

  it.each(ERROR_TYPES)("serialises %s with its status, __type, message and headers", async (type) => {
    const res = errorResponse(new KmsError(type, "some message"), "req-1");
    expect(res.status).toBe(ERROR_STATUS[type]);
    expect(res.headers.get("Content-Type")).toBe("application/x-amz-json-1.1");
    expect(res.headers.get("x-amzn-RequestId")).toBe("req-1");
    expect(res.headers.get("X-Amzn-Errortype")).toBe(type);
    expect(await res.json()).toEqual({ __type: type, message: "some message" });
  });

  it("turns an unexpected error into an opaque 500 that reveals nothing and reports it to the hook", async () => {
    const seen: unknown[] = [];
    const secret = new Error("key material 0xdeadbeef leaked into a message");
    const res = errorResponse(secret, "req-2", { onUnexpected: (e) => seen.push(e) });
    expect(res.status).toBe(500);
    const body = (await res.json()) as { __type: string; message: string };
    expect(body.__type).toBe("KMSInternalException");
    expect(body.message).not.toContain("deadbeef");
    expect(seen).toEqual([secret]);
  });

  it("does not call the hook for a KmsError", () => {
    let called = false;
    errorResponse(disabled(ARN), "r", { onUnexpected: () => (called = true) });
    expect(called).toBe(false);
  });

  it.each([
    [disabled(ARN), "DisabledException", `${ARN} is disabled.`],
    [pendingDeletion(ARN), "KMSInvalidStateException", `${ARN} is pending deletion.`],
    [pendingImport(ARN), "KMSInvalidStateException", `${ARN} is pending import.`],
    [notPendingDeletion(ARN), "KMSInvalidStateException", `${ARN} is not pending deletion.`],
    [keyNotFound(ARN), "NotFoundException", `Key '${ARN}' does not exist`],
    [
      aliasNotFound("arn:aws:kms:us-east-1:111122223333:alias/nope"),
      "NotFoundException",
      "Alias arn:aws:kms:us-east-1:111122223333:alias/nope is not found.",
    ],
    [invalidKeyId("testkmskey"), "NotFoundException", "Invalid keyId testkmskey"],
    [
      accessDenied("arn:aws:iam::111122223333:user/alice", "kms:Encrypt", ARN),
      "AccessDeniedException",
      `User: arn:aws:iam::111122223333:user/alice is not authorized to perform: kms:Encrypt on resource: ${ARN}`,
    ],
  ])("words %# as AWS does", (err, type, message) => {
    expect(err.type).toBe(type);
    expect(err.message).toBe(message);
  });
});

describe("jsonResponse", () => {
  it("sends blobs as base64 and dates as epoch seconds with milliseconds", async () => {
    const res = jsonResponse(
      { CiphertextBlob: new Uint8Array([1, 2, 3]), CreationDate: new Date(1700000000123), Skipped: undefined },
      "req-3",
    );
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toBe("application/x-amz-json-1.1");
    expect(res.headers.get("x-amzn-RequestId")).toBe("req-3");
    const text = await res.text();
    expect(JSON.parse(text)).toEqual({ CiphertextBlob: "AQID", CreationDate: 1700000000.123 });
  });
});
