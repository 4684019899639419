// The shared I/O buffer through which bytes cross the WebAssembly boundary. JavaScript copies
// input into it, calls an export with a length, and copies the result out; the binding zeroes it
// after every call so no secret outlives the call that needed it.

/** Size of the I/O buffer: large inputs are streamed through it in chunks of this size. */
export const IO_SIZE: usize = 65536;
const ioBuffer: usize = memory.data(<i32>IO_SIZE, 16);

export function ioPtr(): usize {
  return ioBuffer;
}

export function ioSize(): usize {
  return IO_SIZE;
}

/** Does nothing: the benchmark calls it to measure the fixed cost of one call into the module. */
export function nop(): i32 {
  return 0;
}
