/** Types for ./wasm-module.js: the compiled crypto core. */
declare const coreModule: WebAssembly.Module;
export default coreModule;
