/**
 * Who is calling, as the worker passes it to Durable Objects: the authenticated principal from
 * SigV4 and the identity configuration, reduced to plain data that survives RPC.
 */

export interface Caller {
  accountId: string;
  principalArn: string;
}

/** A call on one key: the caller plus the key ARN the request resolved to. */
export interface KeyCall extends Caller {
  keyArn: string;
}
