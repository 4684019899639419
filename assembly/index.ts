// The crypto core's WebAssembly exports. Each primitive lives in its own file and exports a
// narrow pointer-and-length ABI over fixed scratch buffers in linear memory; no managed objects
// cross into JavaScript. The TypeScript binding in src/crypto/ is the only caller.
export * from "./abi";
