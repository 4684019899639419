// The bindings the workerd tests see through `cloudflare:test`'s `env`: the worker's own.
type EdgeKmsWorkerEnv = import("../../worker/config.ts").Env;
declare namespace Cloudflare {
  interface Env extends EdgeKmsWorkerEnv {}
}
