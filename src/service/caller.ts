/**
 * Who is calling, as the worker passes it to operation handlers and Durable Objects: the
 * authenticated principal (from SigV4 and the identity configuration, or from a service binding's
 * configuration) and facts about the request that policies and the audit trail use. Plain data,
 * so it survives Durable Object RPC.
 */
import type { Principal } from "../auth/identities.ts";
import type { RequestFacts } from "../policy/context.ts";
import type { GrantConstraints } from "../policy/grants.ts";

export interface Caller {
  accountId: string;
  principalArn: string;
  principal: Principal;
  /** The access key that signed the request; absent for service-binding calls. */
  accessKeyId?: string;
  /** The address the request reports (audit trail); see worker/source-ip.ts. */
  sourceIp?: string;
  /** Whether the deployment trusts that address, so policies see it as aws:SourceIp. */
  sourceIpTrusted?: boolean;
  userAgent?: string;
  secureTransport: boolean;
  /**
   * How the request arrived: over HTTP, from another worker through a service binding, or from a
   * signed-in user of the web console (worker/console/).
   */
  via: "http" | "binding" | "console";
  /**
   * The Region the request is for: its SigV4 credential scope's, or the one a service binding or
   * library caller named. Absent: the deployment's default Region.
   */
  region?: string;
}

/**
 * The request's condition-key facts a handler knows (encryption context, CreateGrant parameters,
 * request tags, BypassPolicyLockoutSafetyCheck, ...) plus the grant tokens it carried; who calls,
 * from where and when come from the Caller (see src/service/access.ts).
 */
export type CallFacts = Omit<RequestFacts, "action" | "resource" | "principal" | "now" | "sourceIp" | "secureTransport"> & {
  grantTokens?: readonly string[];
  /** CreateGrant: the grant being created, so a grant that allows CreateGrant can be held to "equal or narrower". */
  newGrant?: { operations: readonly string[]; constraints?: GrantConstraints };
};

/**
 * A request's DryRun (and its DryRunModifiers): the key object runs the call in full — checks,
 * authorization, the operation's own transaction — then discards its writes and answers
 * DryRunOperationException (src/keys/key-actor.ts), so every operation that reaches a key gets
 * dry runs the same way.
 */
export interface DryRun {
  /** IGNORE_CIPHERTEXT: authorize the decryption without opening the ciphertext. */
  ignoreCiphertext: boolean;
}

/** Which request a key call belongs to: what a key's last-usage record names (GetKeyLastUsage). */
export interface CallTrace {
  /** The operation (the CloudTrail eventName). */
  eventName: string;
  requestId: string;
  /** The eventID of the call's CloudTrail record. */
  eventId: string;
  /** The call's eventTime (epoch ms). */
  startedAt: number;
}

/** A call on one key: the caller plus the key ARN the request resolved to and the request's facts. */
export interface KeyCall extends Caller {
  keyArn: string;
  facts?: CallFacts;
  /** Present when the request is a dry run. */
  dryRun?: DryRun;
  /** The request this call serves; absent for calls made outside a request (tests, tools). */
  trace?: CallTrace;
}
