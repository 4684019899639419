import { describe, expect, it } from "vitest";
import { decodeBase64, encodeBase64, MAX_JSON_DEPTH, parseBody, toWire } from "../../../src/protocol/json.ts";
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

function serializationFailure(body: string | Uint8Array): KmsError {
  try {
    parseBody(body);
  } catch (e) {
    if (e instanceof KmsError) return e;
    throw e;
  }
  throw new Error("expected parseBody to throw");
}

describe("parseBody: hostile bodies", () => {
  const nested = (depth: number) => `{"KeyId":"k","EncryptionContext":${'{"a":'.repeat(depth - 1)}"b"${"}".repeat(depth - 1)}}`;

  it("accepts nesting up to the bound", () => {
    expect(parseBody(nested(MAX_JSON_DEPTH)).KeyId).toBe("k");
  });

  it("refuses nesting beyond the bound with SerializationException, even 100,000 levels deep", () => {
    for (const depth of [MAX_JSON_DEPTH + 1, 100_000]) {
      const err = serializationFailure(nested(depth));
      expect(err.type).toBe("SerializationException");
      expect(err.message).toBe(`The request body nests JSON deeper than ${MAX_JSON_DEPTH} levels.`);
    }
    expect(serializationFailure("[".repeat(100_000)).type).toBe("SerializationException");
  });

  it("does not count brackets inside strings, escaped quotes included", () => {
    const text = JSON.stringify({ Description: '\\"{{{{'.repeat(40) + "[".repeat(100) });
    expect(parseBody(text).Description).toContain("[[[");
  });

  it("decodes UTF-8 bytes and refuses bytes that are not UTF-8 instead of replacing them", () => {
    expect(parseBody(new TextEncoder().encode('{"Description":"d\u00e9j\u00e0 \u{1F511}"}'))).toEqual({
      Description: "d\u00e9j\u00e0 \u{1F511}",
    });
    for (const bad of [[0xff], [0xc3], [0xed, 0xa0, 0x80], [0xc0, 0xaf], [0xf8, 0x88, 0x80, 0x80, 0x80]]) {
      const bytes = new Uint8Array([...new TextEncoder().encode('{"Description":"'), ...bad, ...new TextEncoder().encode('"}')]);
      const err = serializationFailure(bytes);
      expect(err.type).toBe("SerializationException");
      expect(err.message).toBe("The request body is not valid UTF-8.");
    }
  });
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
    expect(toWire({ a: [{ b: new Uint8Array([255]) }], d: new Date(0), u: undefined, n: null, s: "x", k: 1 })).toEqual({
      a: [{ b: "/w==" }],
      d: 0,
      n: null,
      s: "x",
      k: 1,
    });
  });
});
