/**
 * Mutators: each turns a valid example (corpus.ts) into a request that is wrong in one chosen way —
 * the JSON body, the raw bytes, the HTTP headers, each part of the SigV4 signature, a ciphertext
 * blob (every single-bit flip, in order), a key policy document, a grant token, an import token,
 * Unicode edge cases, and sizes around every limit. A mutant says what it changed (for the report)
 * and which keys it may touch (for the state check).
 *
 * Bit flips walk their subject systematically (bit 0, 1, 2, ... then around again), so a long run
 * flips every bit of every blob and token kind; everything else is drawn from the seeded PRNG.
 */
import { OPERATIONS } from "../../src/protocol/operations.ts";
import { ACCOUNT, EXTERNAL_ACCOUNT, IDENTITIES, keyNames, type Corpus, type Example } from "./corpus.ts";
import type { Prng } from "./prng.ts";
import { KMS_TARGET_PREFIX, type Headers, type RawRequest, type Transport } from "./transport.ts";
import { aroundLimit, BAD_UTF8, hostileContext, JSON_EDGES, LIMITS, stringOfLength, UNICODE_EDGES } from "./values.ts";

export interface Mutant {
  mutator: string;
  detail: string;
  /** The operation the request names (after any X-Amz-Target mutation). */
  op: string;
  identity: string;
  keys: string[];
  build(t: Transport): Promise<RawRequest>;
}

export interface MutationContext {
  rng: Prng;
  corpus: Corpus;
  examples: readonly Example[];
  /** Whether the fuzzer still lets mutants create keys as an allowed caller (see fuzzer.ts). */
  mayCreateKeys: boolean;
  /** Per-subject bit-flip counters (systematic flips). */
  flips: Map<string, number>;
}

const utf8 = new TextEncoder();

/** The request as the example would send it, with hooks to change the parts before/after signing. */
interface Draft {
  op: string;
  identity: string;
  secret?: string;
  target?: string;
  body: Record<string, unknown> | unknown;
  rawBody?: Uint8Array;
  signedHeaders?: Headers;
  signingDate?: Date;
  region?: string;
  service?: string;
  after?: (req: RawRequest) => void;
  keys: string[];
  detail: string[];
}

function draftOf(example: Example): Draft {
  return { op: example.op, identity: example.identity, body: structuredClone(example.body), keys: [...example.keys], detail: [] };
}

function finish(mutator: string, d: Draft): Mutant {
  return {
    mutator,
    detail: d.detail.join("; "),
    op: d.target === undefined ? d.op : d.target.startsWith(KMS_TARGET_PREFIX) ? d.target.slice(KMS_TARGET_PREFIX.length) : d.target,
    identity: d.identity,
    keys: d.keys,
    async build(t) {
      const body = d.rawBody ?? utf8.encode(JSON.stringify(d.body));
      const req = await t.sign({
        accessKeyId: d.identity,
        // An empty secret would be an empty HMAC key, which WebCrypto refuses to sign with.
        secretAccessKey: d.secret ?? (d.identity || "unknown"),
        target: d.target ?? KMS_TARGET_PREFIX + d.op,
        body,
        ...(d.signedHeaders === undefined ? {} : { headers: d.signedHeaders }),
        ...(d.signingDate === undefined ? {} : { signingDate: d.signingDate }),
        ...(d.region === undefined ? {} : { region: d.region }),
        ...(d.service === undefined ? {} : { service: d.service }),
      });
      d.after?.(req);
      return req;
    },
  };
}

// ---- JSON tree helpers ------------------------------------------------------------------------------

type Path = (string | number)[];

/** Every path to a node of `value` (the root excluded), depth-first. */
function paths(value: unknown, prefix: Path = []): Path[] {
  const out: Path[] = [];
  if (Array.isArray(value)) value.forEach((v, i) => out.push([...prefix, i], ...paths(v, [...prefix, i])));
  else if (value !== null && typeof value === "object")
    for (const [k, v] of Object.entries(value)) out.push([...prefix, k], ...paths(v, [...prefix, k]));
  return out;
}

function parentOf(root: unknown, path: Path): Record<string | number, unknown> {
  let node = root as Record<string | number, unknown>;
  for (const p of path.slice(0, -1)) node = node[p] as Record<string | number, unknown>;
  return node;
}

function setAt(root: unknown, path: Path, value: unknown): void {
  parentOf(root, path)[path[path.length - 1]!] = value;
}

function deleteAt(root: unknown, path: Path): void {
  const parent = parentOf(root, path);
  const last = path[path.length - 1]!;
  if (Array.isArray(parent)) parent.splice(last as number, 1);
  else delete parent[last];
}

function getAt(root: unknown, path: Path): unknown {
  return parentOf(root, path)[path[path.length - 1]!];
}

const memberName = (path: Path): string => String([...path].reverse().find((p) => typeof p === "string") ?? "");

// ---- Identifiers --------------------------------------------------------------------------------------

/** Key names the fuzzer may put where a key is named, with the key they resolve to (if any). */
function identifiers(ctx: MutationContext): [string, string | undefined][] {
  const { corpus } = ctx;
  const out: [string, string | undefined][] = [];
  for (const key of Object.values(corpus.keys)) for (const name of keyNames(key)) out.push([name, key.keyId]);
  // A bare key ID resolves in the caller's account: the other account's ID names its key when the
  // mutant is sent as that account's root, so it is recorded as naming that key.
  out.push([corpus.otherAccountKey.arn, corpus.otherAccountKey.keyId], [corpus.otherAccountKey.keyId, corpus.otherAccountKey.keyId]);
  out.push(
    ["00000000-0000-0000-0000-000000000000", undefined],
    [`arn:aws:kms:us-east-1:${ACCOUNT}:key/00000000-0000-0000-0000-000000000000`, undefined],
    [`arn:aws:kms:us-west-2:${ACCOUNT}:key/${corpus.keys.main.keyId}`, undefined],
    [`arn:aws:kms:us-east-1:${EXTERNAL_ACCOUNT}:alias/nope`, undefined],
    ["alias/aws/kms", undefined],
    ["alias/", undefined],
    [corpus.keys.main.keyId.toUpperCase(), undefined],
    [` ${corpus.keys.main.keyId}`, undefined],
    [`${corpus.keys.main.arn}/x`, undefined],
    ["arn:aws:kms:us-east-1:123:key/x", undefined],
    [`arn:aws:kms:us-east-1:${ACCOUNT}:key/${"f".repeat(2000)}`, undefined],
  );
  return out;
}

// ---- Mutations of the JSON body -----------------------------------------------------------------------

function mutateJsonValue(ctx: MutationContext, d: Draft, root: unknown): unknown {
  const { rng } = ctx;
  const all = paths(root);
  const action =
    all.length === 0 ? "add" : rng.pick(["delete", "type", "unicode", "limit", "add", "identifier", "identifier", "wrap", "case"]);
  if (action === "add" || all.length === 0) {
    const name = rng.pick(["Unknown", "keyid", "KEYID", "__proto__", "constructor", "KeyId ", "", "Plaintext", "GrantTokens", "DryRun"]);
    const value = rng.pick(JSON_EDGES);
    if (root !== null && typeof root === "object" && !Array.isArray(root)) (root as Record<string, unknown>)[name] = value;
    d.detail.push(`add member ${JSON.stringify(name)}=${JSON.stringify(value)}`);
    return root;
  }
  const path = rng.pick(all);
  const where = path.join(".");
  switch (action) {
    case "delete":
      deleteAt(root, path);
      d.detail.push(`delete ${where}`);
      break;
    case "type": {
      const value = rng.pick(JSON_EDGES);
      setAt(root, path, value);
      d.detail.push(`${where} := ${JSON.stringify(value)}`);
      break;
    }
    case "unicode": {
      const value = rng.pick(UNICODE_EDGES);
      const old = getAt(root, path);
      const next = typeof old === "string" && rng.chance(0.5) ? old + value : value;
      setAt(root, path, next);
      d.detail.push(`${where} := unicode ${JSON.stringify(value)}`);
      break;
    }
    case "limit": {
      const limit = LIMITS[memberName(path)] ?? { kind: "string", min: 0, max: 256 };
      const n = aroundLimit(rng, limit);
      const value =
        limit.kind === "int"
          ? n
          : limit.kind === "base64"
            ? Buffer.from(rng.bytes(Math.max(0, n))).toString("base64")
            : limit.kind === "list"
              ? Array.from({ length: Math.max(0, n) }, () => {
                  const old = getAt(root, path);
                  return Array.isArray(old) && old.length > 0 ? old[0] : "x";
                })
              : stringOfLength(rng, Math.max(0, n));
      setAt(root, path, value);
      d.detail.push(`${where} at limit ${n} (${limit.kind} ${limit.min}..${limit.max})`);
      break;
    }
    case "identifier": {
      const [name, keyId] = rng.pick(identifiers(ctx));
      setAt(root, path, name);
      if (keyId !== undefined) d.keys.push(keyId);
      d.detail.push(`${where} := ${name.length > 80 ? `${name.slice(0, 60)}…(${name.length})` : name}`);
      break;
    }
    case "wrap": {
      const old = getAt(root, path);
      setAt(root, path, rng.chance(0.5) ? [old] : { value: old });
      d.detail.push(`wrap ${where}`);
      break;
    }
    case "case": {
      const parent = parentOf(root, path);
      const last = path[path.length - 1]!;
      if (!Array.isArray(parent) && typeof last === "string" && last.length > 0) {
        const variant = rng.pick([last.toLowerCase(), last.toUpperCase(), last[0]!.toLowerCase() + last.slice(1)]);
        parent[variant] = parent[last];
        if (variant !== last) delete parent[last];
        d.detail.push(`rename ${where} to ${variant}`);
      } else {
        d.detail.push("case (no-op)");
      }
      break;
    }
  }
  return root;
}

function bodyMutation(ctx: MutationContext, d: Draft): void {
  const { rng } = ctx;
  switch (rng.int(6)) {
    case 0: {
      // A member twice in the text: which one wins must not matter to anything but validation.
      const text = JSON.stringify(d.body);
      const [name, keyId] = rng.pick(identifiers(ctx));
      const dup = `,${JSON.stringify(rng.pick(["KeyId", "CiphertextBlob", "EncryptionContext", "Policy", "GrantTokens"]))}:${JSON.stringify(name)}`;
      d.rawBody = utf8.encode(text.length > 2 ? text.slice(0, -1) + dup + "}" : `{${dup.slice(1)}}`);
      if (keyId !== undefined) d.keys.push(keyId);
      d.detail.push(`duplicate member ${dup.slice(0, 60)}`);
      break;
    }
    case 1: {
      const depth = rng.pick([64, 1000, 10_000, 100_000]);
      const member = rng.pick(["KeyId", "EncryptionContext", "Tags", "Unknown"]);
      const open = member === "EncryptionContext" ? '{"a":'.repeat(depth) : "[".repeat(depth);
      const close = member === "EncryptionContext" ? "}".repeat(depth) : "]".repeat(depth);
      const text = JSON.stringify(d.body);
      d.rawBody = utf8.encode(`{"${member}":${open}1${close}${text.length > 2 ? "," + text.slice(1) : "}"}`);
      d.detail.push(`${member} nested ${depth} deep`);
      break;
    }
    default: {
      d.body = mutateJsonValue(ctx, d, d.body);
      if (rng.chance(0.2)) d.body = mutateJsonValue(ctx, d, d.body);
    }
  }
}

function bytesMutation(ctx: MutationContext, d: Draft): void {
  const { rng } = ctx;
  const bytes = utf8.encode(JSON.stringify(d.body));
  switch (rng.int(8)) {
    case 0: {
      const at = rng.int(bytes.length);
      const bit = rng.int(8);
      bytes[at]! ^= 1 << bit;
      d.rawBody = bytes;
      d.detail.push(`flip body byte ${at} bit ${bit}`);
      break;
    }
    case 1: {
      const at = rng.int(bytes.length);
      d.rawBody = bytes.subarray(0, at);
      d.detail.push(`truncate body to ${at} bytes`);
      break;
    }
    case 2: {
      const bad = rng.pick(BAD_UTF8);
      // Inside a string value when there is one: after the first '":"'.
      const text = new TextDecoder().decode(bytes);
      const at = Math.max(0, text.indexOf('":"') + 3);
      const prefix = utf8.encode(text.slice(0, at));
      d.rawBody = new Uint8Array([...prefix, ...bad, ...utf8.encode(text.slice(at))]);
      d.detail.push(`invalid UTF-8 ${bad.map((b) => b.toString(16)).join(" ")} at ${at}`);
      break;
    }
    case 3:
      d.rawBody = new Uint8Array([0xef, 0xbb, 0xbf, ...bytes]);
      d.detail.push("UTF-8 BOM before the body");
      break;
    case 4:
      d.rawBody = rng.pick([
        new Uint8Array(0),
        utf8.encode("null"),
        utf8.encode("[]"),
        utf8.encode('""'),
        utf8.encode("1"),
        utf8.encode("{"),
        utf8.encode("{}}"),
      ]);
      d.detail.push(`body ${JSON.stringify(new TextDecoder().decode(d.rawBody))}`);
      break;
    case 5:
      d.rawBody = rng.bytes(rng.pick([1, 16, 300, 5000]));
      d.detail.push(`random body of ${d.rawBody.length} bytes`);
      break;
    case 6: {
      const size = rng.pick([1024 * 1024 - 16, 1024 * 1024 + 16, 4 * 1024 * 1024]);
      d.rawBody = utf8.encode(JSON.stringify({ ...(d.body as object), Padding: "p".repeat(size) }));
      d.detail.push(`body padded to ~${size} bytes`);
      break;
    }
    default: {
      const text = JSON.stringify(d.body).replace(
        /"([^"]*)"/,
        (_m, s: string) => `"${s}\\u${rng.pick(["d800", "dfff", "0000", "zzzz", "00"])}"`,
      );
      d.rawBody = utf8.encode(text);
      d.detail.push("JSON escape edge in the first string");
    }
  }
}

// ---- HTTP headers and SigV4 -----------------------------------------------------------------------------

function headersMutation(ctx: MutationContext, d: Draft): void {
  const { rng } = ctx;
  const signed = rng.chance(0.5);
  const set = (name: string, value: string | string[] | undefined) => {
    if (signed && name.toLowerCase() !== "host") d.signedHeaders = { ...d.signedHeaders, [name]: value };
    else {
      const prev = d.after;
      d.after = (req) => {
        prev?.(req);
        const existing = Object.keys(req.headers).find((k) => k.toLowerCase() === name.toLowerCase());
        if (existing !== undefined) delete req.headers[existing];
        if (value !== undefined) req.headers[name] = value;
      };
    }
    d.detail.push(`${signed ? "signed" : "unsigned"} header ${name}: ${JSON.stringify(value)?.slice(0, 80)}`);
  };
  switch (rng.int(9)) {
    case 0:
      set(
        "content-type",
        rng.pick([
          "application/json",
          "application/x-amz-json-1.0",
          "",
          "text/plain",
          "application/x-amz-json-1.1; charset=utf-8",
          "APPLICATION/X-AMZ-JSON-1.1",
          undefined,
          ["application/x-amz-json-1.1", "text/plain"],
        ]),
      );
      break;
    case 1: {
      const ops = ctx.mayCreateKeys ? OPERATIONS : OPERATIONS.filter((o) => o !== "CreateKey");
      const target = rng.pick([
        `${KMS_TARGET_PREFIX}${rng.pick(ops)}`,
        `${KMS_TARGET_PREFIX}${d.op.toLowerCase()}`,
        KMS_TARGET_PREFIX,
        "TrentService.Unknown",
        `Foo.${d.op}`,
        "CloudTrail_20131101.LookupEvents",
        `${KMS_TARGET_PREFIX}${d.op}\u0000`,
        `${KMS_TARGET_PREFIX}${"A".repeat(5000)}`,
        "",
      ]);
      if (rng.chance(0.8)) {
        // Retargeting is signed, so the request reaches the operation it names.
        d.target = target.replace(/[^\x20-\x7e]/g, "");
        d.detail.push(`X-Amz-Target ${d.target.slice(0, 60)}`);
      } else {
        set("x-amz-target", rng.chance(0.5) ? undefined : [KMS_TARGET_PREFIX + d.op, KMS_TARGET_PREFIX + "Decrypt"]);
      }
      break;
    }
    case 2:
      set("host", rng.pick(["example.com", "", "kms.us-east-1.amazonaws.com", "127.0.0.1:1", undefined]));
      break;
    case 3:
      set(
        rng.pick(["cf-connecting-ip", "x-forwarded-for", "x-real-ip"]),
        rng.pick(["10.0.0.1", "::1", "not an ip", "203.0.113.7, 10.0.0.1", "999.1.1.1", ""]),
      );
      break;
    case 4:
      set("user-agent", rng.pick(["", "x".repeat(8192), "\u00ff\u00fe", "aws-cli/2 \r"]).replace(/[\r\n]/g, ""));
      break;
    case 5:
      set("content-encoding", rng.pick(["gzip", "deflate", "br", "identity", "aws-chunked"]));
      break;
    case 6: {
      const method = rng.pick(["GET", "PUT", "DELETE", "OPTIONS", "PATCH", "HEAD"]);
      const prev = d.after;
      d.after = (req) => {
        prev?.(req);
        req.method = method;
        if (method === "GET" || method === "HEAD") req.body = new Uint8Array(0);
      };
      d.detail.push(`method ${method}`);
      break;
    }
    case 7: {
      const path = rng.pick([
        "/x",
        "/?Action=Encrypt",
        "//",
        "/metrics",
        "/key-events",
        "/%2e%2e/",
        `/${"a".repeat(4000)}`,
        "/?X-Amz-Signature=00",
      ]);
      const prev = d.after;
      d.after = (req) => {
        prev?.(req);
        req.path = path;
      };
      d.detail.push(`path ${path.slice(0, 40)}`);
      break;
    }
    default:
      set(rng.pick(["x-amz-user-agent", "x-amzn-trace-id", "expect", "connection-x", "x-amz-date-x"]), rng.pick(["1", "", "\u00e9"]));
  }
}

function sigv4Mutation(ctx: MutationContext, d: Draft): void {
  const { rng } = ctx;
  const editAuth = (what: string, edit: (auth: string) => string) => {
    const prev = d.after;
    d.after = (req) => {
      prev?.(req);
      req.headers.authorization = edit(String(req.headers.authorization ?? ""));
    };
    d.detail.push(what);
  };
  const component = (auth: string, name: string, edit: (value: string) => string) =>
    auth.replace(new RegExp(`${name}=([^,]*)`), (_m, v: string) => `${name}=${edit(v)}`);
  switch (rng.int(12)) {
    case 0: {
      const alg = rng.pick(["AWS4-HMAC-SHA1", "aws4-hmac-sha256", "", "AWS4-HMAC-SHA256X", "AWS4-ECDSA-P256-SHA256", "Bearer"]);
      editAuth(`algorithm ${alg}`, (a) => a.replace(/^\S+/, alg));
      break;
    }
    case 1: {
      const part = rng.int(5);
      const value = rng.pick([
        ["nobody", "", "alice", "x".repeat(200), "té", "test "][rng.int(6)]!,
        ["20000101", "2024-01-01", "", "99991231", "19700101"][rng.int(5)]!,
        ["us-west-2", "", "US-EAST-1", "us-east-1 ", "*"][rng.int(5)]!,
        ["s3", "KMS", "", "cloudtrail", "kms "][rng.int(5)]!,
        ["aws4_reques", "", "AWS4_REQUEST", "aws4_request/x"][rng.int(4)]!,
      ]);
      editAuth(`credential part ${part} := ${JSON.stringify(value).slice(0, 40)}`, (a) =>
        component(a, "Credential", (v) => {
          const parts = v.split("/");
          parts[part] = value;
          return parts.join("/");
        }),
      );
      break;
    }
    case 2: {
      const edit = rng.pick<[string, (v: string) => string]>([
        [
          "drop host",
          (v) =>
            v
              .split(";")
              .filter((h) => h !== "host")
              .join(";"),
        ],
        [
          "drop x-amz-date",
          (v) =>
            v
              .split(";")
              .filter((h) => h !== "x-amz-date")
              .join(";"),
        ],
        ["add content-length", (v) => `${v};content-length`],
        ["upper case", (v) => v.toUpperCase()],
        ["empty", () => ""],
        ["doubled separators", (v) => v.replace(/;/g, ";;")],
        ["trailing separator", (v) => `${v};`],
        ["unsorted", (v) => v.split(";").reverse().join(";")],
      ]);
      editAuth(`SignedHeaders ${edit[0]}`, (a) => component(a, "SignedHeaders", edit[1]));
      break;
    }
    case 3: {
      const key = "signature";
      const n = ctx.flips.get(key) ?? 0;
      ctx.flips.set(key, n + 1);
      const at = n % 64;
      editAuth(`Signature hex digit ${at} changed`, (a) =>
        component(a, "Signature", (v) => v.slice(0, at) + ((parseInt(v[at] ?? "0", 16) ^ 1) & 15).toString(16) + v.slice(at + 1)),
      );
      break;
    }
    case 4: {
      const edit = rng.pick<[string, (v: string) => string]>([
        ["truncated", (v) => v.slice(0, 63)],
        ["extended", (v) => `${v}0`],
        ["upper case", (v) => v.toUpperCase()],
        ["not hex", (v) => `zz${v.slice(2)}`],
        ["empty", () => ""],
        ["huge", (v) => v.repeat(200)],
      ]);
      editAuth(`Signature ${edit[0]}`, (a) => component(a, "Signature", edit[1]));
      break;
    }
    case 5: {
      const edit = rng.pick<[string, (a: string) => string]>([
        ["no commas", (a) => a.replace(/,/g, "")],
        ["extra spaces", (a) => a.replace(/, /g, " ,  ")],
        [
          "duplicate Credential",
          (a) => a.replace(/Credential=([^,]*)/, "Credential=$1, Credential=other/20240101/us-east-1/kms/aws4_request"),
        ],
        ["lower-case names", (a) => a.replace("Credential=", "credential=").replace("Signature=", "signature=")],
        ["missing Signature", (a) => a.replace(/, Signature=.*$/, "")],
        ["missing Credential", (a) => a.replace(/Credential=[^,]*, /, "")],
        ["only the algorithm", (a) => a.split(" ")[0]!],
        ["empty", () => ""],
        ["non-ASCII", (a) => `${a}é`],
      ]);
      editAuth(`Authorization ${edit[0]}`, edit[1]);
      break;
    }
    case 6: {
      const minutes = rng.pick([-6, -4.5, 4.5, 6, -60 * 24, 60 * 24 * 365 * 30]);
      d.signingDate = new Date(Date.now() + minutes * 60_000);
      d.detail.push(`signed ${minutes} minutes off`);
      break;
    }
    case 7: {
      const value = rng.pick(["", "20240101T000000Z", "2024-01-01T00:00:00Z", "99991231T235959Z", "not a date", undefined]);
      const prev = d.after;
      d.after = (req) => {
        prev?.(req);
        if (value === undefined) delete req.headers["x-amz-date"];
        else req.headers["x-amz-date"] = value;
      };
      d.detail.push(`X-Amz-Date := ${JSON.stringify(value)}`);
      break;
    }
    case 8:
      d.signedHeaders = { ...d.signedHeaders, "x-amz-security-token": rng.pick(["token", "", "x".repeat(2000)]) };
      d.detail.push("signed X-Amz-Security-Token");
      break;
    case 9:
      d.signedHeaders = {
        ...d.signedHeaders,
        "x-amz-content-sha256": rng.pick([
          "UNSIGNED-PAYLOAD",
          "0".repeat(64),
          "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
          "xyz",
        ]),
      };
      d.detail.push("signed x-amz-content-sha256 that is not the body's");
      break;
    case 10: {
      const prev = d.after;
      d.after = (req) => {
        prev?.(req);
        const body = new Uint8Array(req.body);
        if (body.length > 0) body[body.length - 2]! ^= 0x01;
        req.body = body;
      };
      d.detail.push("body changed after signing");
      break;
    }
    default:
      if (rng.chance(0.5)) {
        d.secret = "wrong-secret";
        d.detail.push("signed with a wrong secret");
      } else {
        d.identity = rng.pick(["nobody", "", "AKIAIOSFODNN7EXAMPLE"]);
        d.detail.push(`unknown access key ${JSON.stringify(d.identity)}`);
      }
  }
}

// ---- Blobs, tokens, policies ------------------------------------------------------------------------------

/** Flips the next bit of `bytes` in the systematic walk for `subject`. */
function flipNext(ctx: MutationContext, subject: string, bytes: Uint8Array): string {
  const n = ctx.flips.get(subject) ?? 0;
  ctx.flips.set(subject, n + 1);
  const bit = n % (bytes.length * 8);
  bytes[bit >> 3]! ^= 0x80 >> (bit & 7);
  return `bit ${bit} of ${bytes.length * 8}`;
}

function blobMutation(ctx: MutationContext, d: Draft): void {
  const { rng } = ctx;
  const body = d.body as Record<string, unknown>;
  const member =
    "CiphertextBlob" in body ? "CiphertextBlob" : "ImportToken" in body ? rng.pick(["ImportToken", "EncryptedKeyMaterial"]) : undefined;
  if (member === undefined || typeof body[member] !== "string") return bodyMutation(ctx, d);
  const bytes = new Uint8Array(Buffer.from(body[member] as string, "base64"));
  const mode = rng.int(10);
  if (mode < 7) {
    d.detail.push(`${member} ${flipNext(ctx, `${d.op}.${member}.${bytes.length}`, bytes)}`);
    body[member] = Buffer.from(bytes).toString("base64");
  } else if (mode === 7) {
    const at = rng.int(bytes.length + 1);
    body[member] = Buffer.from(bytes.subarray(0, at)).toString("base64");
    d.detail.push(`${member} truncated to ${at} bytes`);
  } else if (mode === 8) {
    body[member] = Buffer.from([...bytes, ...rng.bytes(rng.pick([1, 16, 6144]))]).toString("base64");
    d.detail.push(`${member} extended`);
  } else {
    const other = rng.pick([...Object.values(ctx.corpus.blobs), "", "AA==", "not base64!", "QUJD\nREVG", "QUJD="]);
    body[member] = other;
    d.detail.push(`${member} := ${other.slice(0, 20)}…`);
  }
}

function grantTokenMutation(ctx: MutationContext, d: Draft): void {
  const { rng } = ctx;
  const body = d.body as Record<string, unknown>;
  const token = ctx.corpus.grant.token;
  const flipped = (): string => {
    const bytes = new Uint8Array(Buffer.from(token, "base64url"));
    d.detail.push(`grant token ${flipNext(ctx, "grantToken", bytes)}`);
    return Buffer.from(bytes).toString("base64url");
  };
  const variant = rng.pick<() => string>([
    flipped,
    flipped,
    flipped,
    () => (d.detail.push("grant token truncated"), token.slice(0, rng.int(token.length))),
    () => (d.detail.push("grant token with padding"), Buffer.from(token, "base64url").toString("base64")),
    () => (d.detail.push("grant token with a space"), ` ${token}`),
    () => (d.detail.push("grant token 8192/8193 long"), "A".repeat(rng.pick([8192, 8193]))),
    () => (d.detail.push("grant token empty"), ""),
  ]);
  const value = variant();
  if ("GrantToken" in body) body.GrantToken = value;
  else {
    const count = rng.pick([1, 1, 1, 10, 11]);
    body.GrantTokens = Array.from({ length: count }, (_, i) => (i === 0 ? value : token));
    if (count > 1) d.detail.push(`${count} grant tokens`);
  }
}

function importMutation(ctx: MutationContext, d: Draft): void {
  const { rng } = ctx;
  const body = d.body as Record<string, unknown>;
  if (rng.chance(0.5)) return blobMutation(ctx, d);
  const edit = rng.int(4);
  if (edit === 0) {
    const now = Math.floor(Date.now() / 1000);
    const validTo = rng.pick<unknown>([now - 86400, 0, -1, "tomorrow", now + 366 * 86400, 1e15, null, now + 86400 * 30.5]);
    body.ValidTo = validTo;
    d.detail.push(`ValidTo := ${JSON.stringify(validTo)}`);
  } else if (edit === 1) {
    const model = rng.pick(["KEY_MATERIAL_DOES_NOT_EXPIRE", "", "key_material_expires", "NEVER"]);
    body.ExpirationModel = model;
    if (model === "KEY_MATERIAL_DOES_NOT_EXPIRE") delete body.ValidTo;
    d.detail.push(`ExpirationModel := ${model}`);
  } else if (edit === 2) {
    const other = rng.pick(Object.values(ctx.corpus.imports));
    if (other !== undefined) body.ImportToken = other.token;
    d.detail.push("another key's import token");
  } else {
    body.ImportType = rng.pick(["EXISTING_KEY_MATERIAL", "NEW_KEY_MATERIAL", "x"]);
    body.KeyMaterialId = rng.pick(["0".repeat(64), "g".repeat(64), "0".repeat(63)]);
    d.detail.push("ImportType/KeyMaterialId");
  }
}

const POLICY_PRINCIPALS: readonly unknown[] = [
  "*",
  { AWS: "*" },
  { AWS: `arn:aws:iam::${ACCOUNT}:root` },
  { AWS: ACCOUNT },
  { AWS: `arn:aws:iam::${ACCOUNT}:user/alice` },
  { AWS: `arn:aws:iam::${ACCOUNT}:role/deployer` },
  { AWS: `arn:aws:sts::${ACCOUNT}:assumed-role/deployer/ci` },
  { AWS: "arn:aws:iam::1234:root" },
  { AWS: "arn:aws:iam::111122223333:group/admins" },
  { Service: "ec2.amazonaws.com" },
  { Federated: "cognito-identity.amazonaws.com" },
  { CanonicalUser: "x" },
  { AWS: [] },
  {},
];
const POLICY_CONDITIONS: readonly unknown[] = [
  { StringEquals: { "kms:EncryptionContext:tenant": "${aws:username}" } },
  { StringLike: { "kms:EncryptionContext:tenant": `${"*a".repeat(500)}b` } },
  { "ForAllValues:StringEquals": { "kms:EncryptionContextKeys": ["tenant", "purpose"] } },
  { "ForAnyValue:StringLike": { "kms:GrantOperations": ["*"] } },
  { IpAddress: { "aws:SourceIp": ["10.0.0.0/8", "::1/128"] } },
  { IpAddress: { "aws:SourceIp": "10.0.0.0/33" } },
  { DateGreaterThan: { "aws:CurrentTime": "2020-01-01T00:00:00Z" } },
  { NumericLessThan: { "aws:EpochTime": "abc" } },
  { Bool: { "kms:GrantIsForAWSResource": "maybe" } },
  { Null: { "kms:EncryptionContext:tenant": "true" } },
  { NullIfExists: { "aws:SourceIp": "true" } },
  { StringEqualsIgnoreCase: { "aws:RequestTag/Team": "BLUE" } },
  { ArnLike: { "aws:PrincipalArn": "arn:aws:iam::*:role/*" } },
  { StringEquals: { "kms:CallerAccount": ACCOUNT, "kms:ViaService": "ec2.us-east-1.amazonaws.com" } },
  { Unknown: { "kms:x": "y" } },
  { StringEquals: { nokeyprefix: "y" } },
  { StringEquals: { "kms:EncryptionContext:tenant": { nested: "object" } } },
  { StringEquals: "not an object" },
];

function policyMutation(ctx: MutationContext, d: Draft): void {
  const { rng } = ctx;
  const body = d.body as Record<string, unknown>;
  if (typeof body.Policy !== "string") return bodyMutation(ctx, d);
  const doc = JSON.parse(body.Policy) as { Statement: Record<string, unknown>[] } & Record<string, unknown>;
  const stmt = rng.pick(doc.Statement);
  switch (rng.int(9)) {
    case 0:
      stmt[rng.chance(0.8) ? "Principal" : "NotPrincipal"] = rng.pick(POLICY_PRINCIPALS);
      if ("Principal" in stmt && "NotPrincipal" in stmt && rng.chance(0.7)) delete stmt.Principal;
      d.detail.push(`principal ${JSON.stringify(stmt.Principal ?? stmt.NotPrincipal)}`);
      break;
    case 1:
      stmt.Condition = rng.pick(POLICY_CONDITIONS);
      d.detail.push(`condition ${JSON.stringify(stmt.Condition).slice(0, 80)}`);
      break;
    case 2:
      stmt.Effect = rng.pick(["Deny", "deny", "Allow ", "", "Audit"]);
      d.detail.push(`Effect ${JSON.stringify(stmt.Effect)}`);
      break;
    case 3: {
      const action = rng.pick<unknown>([
        "kms:*",
        "*",
        "kms:encrypt",
        "kms:Create*",
        "kms:?ncrypt",
        "s3:GetObject",
        "Encrypt",
        [],
        ["kms:Decrypt", 5],
        "kms:",
      ]);
      stmt[rng.chance(0.7) ? "Action" : "NotAction"] = action;
      if ("Action" in stmt && "NotAction" in stmt && rng.chance(0.7)) delete stmt.Action;
      d.detail.push(`action ${JSON.stringify(action)}`);
      break;
    }
    case 4:
      stmt.Resource = rng.pick<unknown>([
        "*",
        "arn:aws:kms:*:*:key/*",
        "key/1",
        [],
        "arn:aws:kms:us-east-1:111122223333:key/${aws:username}",
      ]);
      d.detail.push(`Resource ${JSON.stringify(stmt.Resource)}`);
      break;
    case 5:
      doc.Version = rng.pick<unknown>(["2008-10-17", "2012-10-17 ", "", 2012, undefined]);
      d.detail.push(`Version ${JSON.stringify(doc.Version)}`);
      break;
    case 6: {
      // Sizes around the 32 KB limit, counted in UTF-8 bytes.
      const base = JSON.stringify(doc).length;
      const target = rng.pick([32767, 32768, 32769, 131072, 131073]);
      doc.Id = "i".repeat(Math.max(0, target - base - 8));
      d.detail.push(`policy of ~${target} bytes`);
      break;
    }
    case 7:
      doc.Statement = rng.pick<unknown>([[], {}, stmt, "x", [stmt, stmt, stmt], Array.from({ length: 500 }, () => stmt)]) as Record<
        string,
        unknown
      >[];
      d.detail.push("Statement shape");
      break;
    default:
      d.body = { ...body, Policy: JSON.stringify(mutateJsonValue(ctx, d, doc)) };
      d.detail.push("policy JSON");
      return;
  }
  body.Policy = JSON.stringify(doc);
  if (rng.chance(0.3)) {
    body.BypassPolicyLockoutSafetyCheck = true;
    d.detail.push("bypass lockout check");
  }
}

function unicodeMutation(ctx: MutationContext, d: Draft): void {
  const { rng } = ctx;
  const body = d.body as Record<string, unknown>;
  const contextMember = ["EncryptionContext", "SourceEncryptionContext", "DestinationEncryptionContext"].find((m) => m in body);
  if (contextMember !== undefined && rng.chance(0.6)) {
    body[contextMember] = hostileContext(rng);
    const shown = JSON.stringify(body[contextMember]);
    d.detail.push(`${contextMember} := ${shown.length > 80 ? `${shown.slice(0, 60)}…(${shown.length})` : shown}`);
    return;
  }
  const strings = paths(body).filter((p) => typeof getAt(body, p) === "string");
  if (strings.length === 0) return bodyMutation(ctx, d);
  const path = rng.pick(strings);
  const edge = rng.pick(UNICODE_EDGES);
  const old = getAt(body, path) as string;
  setAt(body, path, rng.pick([edge, old + edge, edge + old]));
  d.detail.push(`${path.join(".")} with ${JSON.stringify(edge)}`);
}

function identityMutation(ctx: MutationContext, d: Draft): void {
  d.identity = ctx.rng.pick(IDENTITIES.filter((i) => i !== d.identity));
  d.detail.push(`sent as ${d.identity}`);
  if (ctx.rng.chance(0.5)) bodyMutation(ctx, d);
}

// ---- Choosing --------------------------------------------------------------------------------------------

type Mutator = { name: string; weight: number; applies: (e: Example) => boolean; apply: (ctx: MutationContext, d: Draft) => void };

const MUTATORS: readonly Mutator[] = [
  { name: "body", weight: 22, applies: () => true, apply: bodyMutation },
  { name: "bytes", weight: 8, applies: () => true, apply: bytesMutation },
  { name: "headers", weight: 8, applies: () => true, apply: headersMutation },
  { name: "sigv4", weight: 12, applies: () => true, apply: sigv4Mutation },
  { name: "blob", weight: 14, applies: (e) => e.traits.has("blob"), apply: blobMutation },
  { name: "policy", weight: 8, applies: (e) => e.traits.has("policy"), apply: policyMutation },
  { name: "grant-token", weight: 6, applies: (e) => e.traits.has("grantToken"), apply: grantTokenMutation },
  { name: "import-token", weight: 6, applies: (e) => e.traits.has("importToken"), apply: importMutation },
  { name: "unicode", weight: 8, applies: () => true, apply: unicodeMutation },
  { name: "identity", weight: 4, applies: () => true, apply: identityMutation },
  { name: "none", weight: 4, applies: () => true, apply: (_c, d) => void d.detail.push("valid example as is") },
];

/** One mutant: a mutator chosen by weight, then an example it applies to. */
export function nextMutant(ctx: MutationContext): Mutant {
  const { rng } = ctx;
  const mutator = rng.weighted(MUTATORS.map((m) => [m, m.weight] as const));
  const candidates = ctx.examples.filter((e) => mutator.applies(e));
  const example = rng.weighted(candidates.map((e) => [e, e.weight] as const));
  const d = draftOf(example);
  if (d.op === "CreateKey" && !ctx.mayCreateKeys) {
    // Enough keys for the state digest to stay cheap: CreateKey mutants now come from charlie,
    // whose IAM policy denies everything, so they are refused — and must change nothing.
    d.identity = "charlie";
    d.detail.push("as charlie (key cap)");
  }
  mutator.apply(ctx, d);
  const m = finish(mutator.name, d);
  if (m.op === "CreateKey" && !ctx.mayCreateKeys && ["test", "bob", "external"].includes(d.identity)) {
    d.identity = "charlie";
    d.detail.push("as charlie (key cap)");
    return finish(mutator.name, d);
  }
  return m;
}
