/**
 * EdgeKMS worker entry: the Hono app that serves the AWS KMS JSON API, and the Durable Object
 * classes that hold per-key and per-account state.
 */
import { Hono } from "hono";
import { DurableObject } from "cloudflare:workers";

export interface Env {
  KMS_REGION: string;
  ROOT_KEY: string;
  KEYS: DurableObjectNamespace<KeyObject>;
  ACCOUNTS: DurableObjectNamespace<AccountRegistry>;
}

const app = new Hono<{ Bindings: Env }>();
app.post("/", (c) =>
  c.json({ __type: "UnknownOperationException", message: "" }, 400, {
    "Content-Type": "application/x-amz-json-1.1",
  }),
);

export class KeyObject extends DurableObject<Env> {}
export class AccountRegistry extends DurableObject<Env> {}

export default app;
