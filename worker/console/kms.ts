/**
 * How the console calls EdgeKMS: every action runs as the signed-in principal through
 * `runOperation` (worker/dispatch.ts), the path the HTTP API and service bindings take, so the
 * same validation, authorization, key-state rules and audit records apply. The Caller is marked
 * `via: "console"`, which the audit record reports (src/audit/record.ts).
 *
 * Requests are given in the API's JSON wire form (blobs as base64, timestamps as epoch seconds)
 * because that is what `runOperation` validates. A refusal comes back as `{ error }` with the AWS
 * error name and message, for the page to show; anything that is not a KmsError is rethrown.
 */
import { KmsError } from "../../src/protocol/errors.ts";
import type { OperationName } from "../../src/protocol/operations.ts";
import type * as S from "../../src/protocol/shapes.ts";
import type { Caller } from "../../src/service/caller.ts";
import { runOperation } from "../../src/service/dispatch.ts";
import { settingsFrom } from "../../src/service/settings.ts";
import type { KmsRuntime } from "../runtime.ts";
import type { Session } from "./session.ts";

/** The response of each operation the console uses. */
export interface ConsoleResponses {
  CreateKey: S.CreateKeyResponse;
  ReplicateKey: { ReplicaKeyMetadata: S.KeyMetadata; ReplicaPolicy: string; ReplicaTags: S.Tag[] };
  DescribeKey: S.DescribeKeyResponse;
  ListKeys: S.ListKeysResponse;
  EnableKey: S.EmptyResponse;
  DisableKey: S.EmptyResponse;
  UpdateKeyDescription: S.EmptyResponse;
  EnableKeyRotation: S.EmptyResponse;
  DisableKeyRotation: S.EmptyResponse;
  GetKeyRotationStatus: S.GetKeyRotationStatusResponse;
  ScheduleKeyDeletion: S.ScheduleKeyDeletionResponse;
  CancelKeyDeletion: S.CancelKeyDeletionResponse;
  CreateAlias: S.EmptyResponse;
  UpdateAlias: S.EmptyResponse;
  DeleteAlias: S.EmptyResponse;
  ListAliases: S.ListAliasesResponse;
  TagResource: S.EmptyResponse;
  UntagResource: S.EmptyResponse;
  ListResourceTags: S.ListResourceTagsResponse;
  GetKeyPolicy: S.GetKeyPolicyResponse;
  PutKeyPolicy: S.EmptyResponse;
  ListGrants: S.ListGrantsResponse;
  RevokeGrant: S.EmptyResponse;
  GetParametersForImport: S.GetParametersForImportResponse;
  ImportKeyMaterial: S.ImportKeyMaterialResponse;
  DeleteImportedKeyMaterial: S.DeleteImportedKeyMaterialResponse;
}

export type ConsoleOperation = keyof ConsoleResponses & OperationName;

/** An API refusal as the page shows it (type "" for a problem the console found in a form). */
export interface ApiError {
  type: string;
  message: string;
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: ApiError };

/** Facts about the browser's request that the audit record and policy conditions use. */
export interface RequestFacts {
  sourceIp: string;
  userAgent?: string;
  secureTransport: boolean;
}

/** The signed-in principal as a Caller in `region` (the console's chosen Region, region.ts). */
export function consoleCaller(session: Session, facts: RequestFacts, region: string): Caller {
  const principal = session.credential.principal;
  return {
    accountId: principal.accountId,
    principalArn: principal.arn,
    principal,
    accessKeyId: session.accessKeyId,
    sourceIp: facts.sourceIp,
    ...(facts.userAgent === undefined ? {} : { userAgent: facts.userAgent }),
    secureTransport: facts.secureTransport,
    via: "console",
    region,
  };
}

/** One signed-in user's handle on the API for the length of one page request. */
export class ConsoleKms {
  constructor(
    private readonly runtime: KmsRuntime,
    private readonly caller: Caller,
  ) {}

  get principal() {
    return this.caller.principal;
  }

  /**
   * Runs one operation as the signed-in principal.
   * @throws only what is not an API refusal (a bug or an audit-write failure).
   */
  async call<Op extends ConsoleOperation>(operation: Op, request: Record<string, unknown>): Promise<Result<ConsoleResponses[Op]>> {
    try {
      const value = await runOperation(
        this.runtime.ports,
        settingsFrom(this.runtime.vars as Record<string, string | undefined>),
        this.caller,
        operation,
        request,
        crypto.randomUUID(),
      );
      return { ok: true, value: value as ConsoleResponses[Op] };
    } catch (err) {
      if (err instanceof KmsError) return { ok: false, error: { type: err.type, message: err.message } };
      throw err;
    }
  }
}
