/**
 * Instantiates the WebAssembly crypto core once per isolate and hands out its exports.
 *
 * The module is imported as a compiled `WebAssembly.Module` (wrangler's CompiledWasm rule in
 * workerd, a small loader plugin in Node's vitest and the bench runner), because workerd refuses to
 * compile WebAssembly from bytes at run time. Instantiation is synchronous so that the binding's
 * API can be synchronous too.
 */
import coreModule from "../../build/edgekms-core.wasm";

/** Every function the core exports; each primitive's binding reads the ones it needs. */
export type CoreExports = Record<string, (...args: number[]) => number> & {
  memory: WebAssembly.Memory;
};

let instance: CoreExports | undefined;
let ioView: Uint8Array | undefined;

export function core(): CoreExports {
  if (instance === undefined) {
    const created = new WebAssembly.Instance(coreModule, {
      env: {
        abort() {
          throw new Error("crypto core aborted");
        },
      },
    });
    instance = created.exports as unknown as CoreExports;
  }
  return instance;
}

/**
 * The fixed I/O buffer as a cached view. Memory never grows (its size is fixed at build time), so
 * the view stays valid for the life of the isolate.
 */
export function ioBuffer(): Uint8Array {
  if (ioView === undefined) {
    const exports = core() as unknown as { memory: WebAssembly.Memory; ioPtr(): number; ioSize(): number };
    ioView = new Uint8Array(exports.memory.buffer, exports.ioPtr(), exports.ioSize());
  }
  return ioView;
}
