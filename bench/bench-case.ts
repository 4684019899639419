/**
 * The shape of one benchmark row group, shared by bench/core.bench.ts (the driver) and the
 * per-primitive parts it imports (e.g. bench/aes-gcm.bench-part.ts).
 *
 * `size` is the input size in bytes that MB/s is computed from; each entry of `impls` performs
 * one operation on inputs prepared in advance (an implementation may be synchronous or return a
 * promise, which the driver awaits before starting the next operation). Name the node:crypto
 * implementation "node:crypto": ratios are computed against it.
 */
export interface BenchCase {
  name: string;
  size: number;
  impls: Record<string, () => void | Promise<void>>;
}
