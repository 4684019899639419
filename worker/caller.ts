/**
 * Who is calling, as the worker passes it to operation handlers and Durable Objects: the
 * authenticated principal (from SigV4 and the identity configuration, or from a service binding's
 * configuration) and facts about the request that policies and the audit trail use. Plain data,
 * so it survives Durable Object RPC.
 */
import type { Principal } from "../src/auth/identities.ts";

export interface Caller {
  accountId: string;
  principalArn: string;
  principal: Principal;
  /** The access key that signed the request; absent for service-binding calls. */
  accessKeyId?: string;
  sourceIp?: string;
  userAgent?: string;
  secureTransport: boolean;
  /** How the request arrived: over HTTP, or from another worker through a service binding. */
  via: "http" | "binding";
}

/** A call on one key: the caller plus the key ARN the request resolved to. */
export interface KeyCall extends Caller {
  keyArn: string;
}
