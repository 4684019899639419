import { describe, expect, it } from "vitest";
import { decodeBase64, encodeBase64, parseBody, toWire } from "../../../src/protocol/json.ts";
import { KmsError } from "../../../src/protocol/errors.ts";

describe("parseBody", () => {
  it("treats an empty body as an empty request", () => {
    expect(parseBody("")).toEqual({});
    expect(parseBody("  \n")).toEqual({});
  });

  it("returns a JSON object", () => {
    expect(parseBody('{"KeyId":"k","Limit":5}')).toEqual({ KeyId: "k", Limit: 5 });
  });

  it.each(["{", "not json", '{"a":1,}', "[1]", "null", "42", '"s"'])(
    "answers %j with SerializationException without quoting the body",
    (text) => {
      let err: unknown;
      try {
        parseBody(text);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(KmsError);
      expect((err as KmsError).type).toBe("SerializationException");
      if (text.length > 3) expect((err as KmsError).message).not.toContain(text);
    },
  );
});

describe("base64", () => {
  it("round-trips every length from 0 to 64 and agrees with Node's Buffer", () => {
    for (let n = 0; n <= 64; n++) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 37 + n) & 255);
      const text = encodeBase64(bytes);
      expect(text).toBe(Buffer.from(bytes).toString("base64"));
      expect(decodeBase64(text)).toEqual(bytes);
    }
  });

  it.each([
    ["23456", "Base64 encoded length is expected a multiple of 4 bytes but found: 5"],
    ["=+/=", "Invalid Base64 character: '='"],
    ["ab-_", "Invalid Base64 character: '-'"],
    ["+/+=", "Invalid last non-pad Base64 character dectected"],
    ["QR==", "Invalid last non-pad Base64 character dectected"],
  ])("rejects %j the way AWS's deserialiser words it", (text, problem) => {
    expect(decodeBase64(text)).toEqual({ problem });
  });
});

describe("toWire", () => {
  it("converts nested blobs and dates and drops undefined members", () => {
    expect(
      toWire({ a: [{ b: new Uint8Array([255]) }], d: new Date(0), u: undefined, n: null, s: "x", k: 1 }),
    ).toEqual({ a: [{ b: "/w==" }], d: 0, n: null, s: "x", k: 1 });
  });
});
