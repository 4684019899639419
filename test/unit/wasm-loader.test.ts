import { describe, expect, it } from "vitest";
import { ioBuffer } from "../../src/crypto/wasm.ts";

describe("crypto core loader", () => {
  it("exposes a fixed 64 KiB I/O buffer in linear memory", () => {
    expect(ioBuffer().byteLength).toBe(65536);
  });
});
