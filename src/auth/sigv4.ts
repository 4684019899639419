/**
 * Verification of AWS Signature Version 4 on incoming requests.
 *
 * Spec: "Signature Version 4 signing process" (AWS General Reference). Rather than re-implement
 * canonicalisation, we build the received request's canonical request with the AWS SDK's own
 * signer code (@smithy/signature-v4: `getCanonicalHeaders` and `SignatureV4Base`'s canonical
 * path, query and layout), from exactly the headers the client listed in SignedHeaders, the
 * client's X-Amz-Date as the signing date and the secret key of the claimed access key, exactly as
 * its `sign` would; then compute the string to sign and the signature (two short steps of the
 * spec, tasks 2 and 3) and compare the two signatures in constant time. SHA-256 and HMAC come from
 * the WebAssembly core, so this runs unchanged in workerd, Node and Deno. A unit test checks the
 * result against the SDK's own `sign` for requests with queries, odd paths and untidy headers.
 *
 * Why not call `sign` itself: it was a sixth of an Encrypt's CPU on Deno (profile-encrypt.ts),
 * mostly in what verification does not need — cloning the request, hashing the body a second
 * time, an HMAC of the credentials per call to look up its signing-key cache, and converting each
 * string through a Node Buffer.
 *
 * Signing keys (task 3: the HMAC chain of the secret over date, Region, service and
 * "aws4_request") are cached as the AWS SDK caches them: per credential (a WeakMap on the
 * configuration's own credential object, so the secret is never copied into a cache key, and a
 * reloaded configuration starts afresh), per date, Region and service, at most SIGNING_KEYS per
 * credential, wiped when evicted. A signing key is worth no more than the secret it derives from
 * for one day, Region and service, and lives beside that secret, in the same isolate's memory.
 *
 * Errors follow AWS's wording (observed responses; see the tests): MissingAuthenticationToken,
 * IncompleteSignature for a malformed Authorization header, UnrecognizedClient for an unknown
 * access key or session token, InvalidSignature for a wrong scope, a clock skew over 5 minutes or a
 * signature mismatch.
 *
 * Security caveats:
 * - The payload hash is always computed from the body. A client-supplied x-amz-content-sha256
 *   must equal it: the signer would otherwise trust the header, and a captured request could be
 *   replayed with another body (e.g. another KeyId) inside the 5-minute window.
 * - Replays of an identical request within the 5-minute window are not detected (neither does
 *   AWS for most operations).
 * - Presigned (query-string) authentication is not supported.
 * - Messages echo the Authorization header (as AWS does); it carries no secret.
 */
import { getCanonicalHeaders, SignatureV4Base } from "@smithy/signature-v4";
import type { Checksum, HeaderBag, HttpRequest as SmithyRequest, SourceData } from "@smithy/types";
import { KmsError } from "../protocol/errors.ts";
import type { Credential, Principal } from "./identities.ts";
import { concatBytes, stringsEqual, toHex } from "../bytes.ts";
import { hmacSha256, sha256 } from "../crypto/index.ts";

// ---- WebCrypto SHA-256 / HMAC-SHA-256 for the signer -------------------------------------------------

function bytesOf(data: SourceData): Uint8Array {
  if (typeof data === "string") return new TextEncoder().encode(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return new Uint8Array(data);
}

/**
 * SHA-256 (or HMAC-SHA-256 when constructed with a secret) with the @smithy/types Checksum
 * interface the signer expects, computed by the WebAssembly core (src/crypto/): synchronous and
 * constant-time, where WebCrypto would cost two asynchronous calls (import, sign) per HMAC of the
 * seven a verification needs. Chunks are buffered: request bodies here are small (at most 512 KiB).
 */
export class Sha256 implements Checksum {
  readonly digestLength = 32;
  private readonly secret: Uint8Array | undefined;
  private chunks: Uint8Array[] = [];

  constructor(secret?: SourceData) {
    this.secret = secret === undefined ? undefined : bytesOf(secret).slice();
  }

  update(chunk: Uint8Array): void {
    this.chunks.push(chunk.slice());
  }

  async digest(): Promise<Uint8Array> {
    const data = concatBytes(...this.chunks);
    return this.secret === undefined ? sha256(data) : hmacSha256(this.secret, data);
  }

  reset(): void {
    this.chunks = [];
  }
}

// ---- Verification --------------------------------------------------------------------------------------

export interface ReceivedRequest {
  method: string;
  /** The full URL as received (scheme, host, path, query). */
  url: string;
  headers: Headers | Record<string, string>;
  body: Uint8Array;
}

export interface VerifyOptions {
  /** The Regions this deployment serves; the credential scope must name one of them, which the request is then for. */
  regions: readonly string[];
  /** The signing name the credential scope must carry: "kms", or "cloudtrail" for the audit trail's LookupEvents. */
  service: "kms" | "cloudtrail";
  now: Date;
  lookup: (accessKeyId: string) => Credential | undefined;
}

export interface VerifiedCaller {
  accessKeyId: string;
  principal: Principal;
  /** The caller's account (principal.accountId). */
  accountId: string;
  /** The caller's ARN (principal.arn). */
  arn: string;
  /** The Region of the credential scope: the one the request is for. */
  region: string;
}

const ALGORITHM = "AWS4-HMAC-SHA256";
const MAX_SKEW_MS = 5 * 60 * 1000;
const MISMATCH =
  "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

const incomplete = (message: string) => new KmsError("IncompleteSignatureException", message);
const invalid = (message: string) => new KmsError("InvalidSignatureException", message);

function headerGetter(headers: Headers | Record<string, string>): (name: string) => string | undefined {
  if (headers instanceof Headers) return (name) => headers.get(name) ?? undefined;
  const lower = new Map(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return (name) => lower.get(name.toLowerCase());
}

interface AuthorizationParts {
  accessKeyId: string;
  scopeDate: string;
  scopeRegion: string;
  scopeService: string;
  terminator: string;
  signedHeaders: string[];
  signature: string;
}

/** Parses `AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...` as AWS words its complaints. */
function parseAuthorization(header: string, hasDate: boolean): AuthorizationParts {
  const space = header.indexOf(" ");
  const scheme = space < 0 ? header : header.slice(0, space);
  const params = new Map<string, string>();
  if (scheme === ALGORITHM) {
    // AWS splits the parameters on commas and whitespace alike, so "Credential= AKID/..." yields
    // the token "AKID/..." without an equal sign, which it reports as such.
    for (const part of header.slice(space + 1).split(/[\s,]+/)) {
      if (part === "") continue;
      const eq = part.indexOf("=");
      if (eq < 0) {
        throw incomplete(`'${part}' not a valid key=value pair (missing equal-sign) in Authorization header: '${header}'.`);
      }
      params.set(part.slice(0, eq), part.slice(eq + 1));
    }
  }
  const missing: string[] = [];
  for (const name of ["Credential", "Signature", "SignedHeaders"]) {
    if (!params.has(name)) missing.push(`Authorization header requires '${name}' parameter.`);
  }
  if (!hasDate) missing.push("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
  if (missing.length > 0) throw incomplete(`${missing.join(" ")} Authorization=${header}`);

  const credential = params.get("Credential")!;
  const scope = credential.split("/");
  if (scope.length !== 5) {
    throw incomplete(`Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '${credential}'`);
  }
  const [accessKeyId, scopeDate, scopeRegion, scopeService, terminator] = scope as [string, string, string, string, string];
  return {
    accessKeyId,
    scopeDate,
    scopeRegion,
    scopeService,
    terminator,
    signedHeaders: params
      .get("SignedHeaders")!
      .split(";")
      .map((h) => h.trim().toLowerCase())
      .filter((h) => h !== ""),
    signature: params.get("Signature")!,
  };
}

/**
 * The access key ID an Authorization header claims (`Credential=<id>/...`), without verifying
 * anything: the audit trail uses it to attribute a request whose authentication failed.
 */
export function claimedAccessKeyId(authorization: string | undefined): string | undefined {
  if (authorization === undefined) return undefined;
  return /Credential=([\w]{1,128})\//.exec(authorization)?.[1];
}

/** yyyyMMdd'T'HHmmss'Z' → Date, or undefined. */
function parseAmzDate(value: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (m === null) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  return date.getUTCDate() === d && date.getUTCMonth() === mo - 1 ? date : undefined;
}

export function formatAmzDate(date: Date): string {
  const iso = date.toISOString(); // yyyy-MM-ddTHH:mm:ss.sssZ for years 0-9999, which is every date here
  if (iso.length !== 24) return iso.replace(/[-:]/g, "").replace(/\.\d{3}/, "");
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
}

const utf8 = new TextEncoder();

/**
 * The canonical request (task 1 of the spec) as @smithy/signature-v4's `signRequest` builds it:
 * that function's own steps, minus cloning the request and hashing its body (done once, above).
 * `SignatureV4Base` holds the canonical path and query and the layout; it needs no credentials.
 */
class Canonicalizer extends SignatureV4Base {
  constructor() {
    super({ credentials: { accessKeyId: "", secretAccessKey: "" }, region: "", service: "", sha256: Sha256 });
  }

  canonicalRequest(request: SmithyRequest, signedHeaders: readonly string[], longDate: string, payloadHash: string): string {
    // `prepareRequest` drops the generated headers, then `signRequest` sets X-Amz-Date to the signing date.
    const headers: HeaderBag = {};
    for (const [name, value] of Object.entries(request.headers)) if (!GENERATED.has(name)) headers[name] = value;
    headers["x-amz-date"] = longDate;
    const canonicalHeaders = getCanonicalHeaders({ ...request, headers }, undefined, new Set(signedHeaders));
    return this.createCanonicalRequest({ ...request, headers }, canonicalHeaders, payloadHash);
  }
}

const GENERATED = new Set(["authorization", "x-amz-date", "date"]);
const canonicalizer = new Canonicalizer();

const SIGNING_KEYS = 8;
const signingKeys = new WeakMap<Credential, Map<string, Uint8Array>>();

/** The signing key of a credential for one date, Region and service (cached: see the module comment). */
function signingKey(credential: Credential, date: string, region: string, service: string): Uint8Array {
  let keys = signingKeys.get(credential);
  if (keys === undefined) signingKeys.set(credential, (keys = new Map()));
  const scope = `${date}/${region}/${service}`;
  const cached = keys.get(scope);
  if (cached !== undefined) return cached;
  let key: Uint8Array = utf8.encode(`AWS4${credential.secretAccessKey}`);
  for (const part of [date, region, service, "aws4_request"]) {
    const next = hmacSha256(key, utf8.encode(part));
    key.fill(0);
    key = next;
  }
  keys.set(scope, key);
  if (keys.size > SIGNING_KEYS) {
    const [oldest, evicted] = keys.entries().next().value as [string, Uint8Array];
    keys.delete(oldest);
    evicted.fill(0);
  }
  return key;
}

/** The path as the client signed it: the signer percent-encodes it again itself. */
function decodePath(pathname: string): string {
  try {
    return decodeURIComponent(pathname);
  } catch {
    return pathname;
  }
}

/**
 * Authenticates a request signed with SigV4 and returns the caller. Throws KmsError:
 * MissingAuthenticationTokenException, IncompleteSignatureException, UnrecognizedClientException
 * or InvalidSignatureException, with AWS's messages.
 */
export async function verifyRequest(request: ReceivedRequest, options: VerifyOptions): Promise<VerifiedCaller> {
  const url = new URL(request.url);
  const header = headerGetter(request.headers);
  const authorization = header("authorization");
  if (authorization === undefined) {
    if (url.searchParams.has("X-Amz-Algorithm")) {
      throw incomplete("Query-string (presigned URL) authentication is not supported by EdgeKMS.");
    }
    throw new KmsError("MissingAuthenticationTokenException", "Missing Authentication Token");
  }
  const amzDate = header("x-amz-date");
  const auth = parseAuthorization(authorization, amzDate !== undefined || header("date") !== undefined);
  if (amzDate === undefined) {
    // Signing with only a Date header is legal SigV4, but no AWS SDK does it; we require X-Amz-Date.
    throw incomplete(`EdgeKMS requires the X-Amz-Date header. Authorization=${authorization}`);
  }
  const signingDate = parseAmzDate(amzDate);
  if (signingDate === undefined) {
    throw incomplete(`Date must be in ISO-8601 'basic format'. Got '${amzDate}'. See http://en.wikipedia.org/wiki/ISO_8601`);
  }

  if (auth.terminator !== "aws4_request") {
    throw invalid(`Credential should be scoped with a valid terminator: 'aws4_request', not '${auth.terminator}'. `);
  }
  if (auth.scopeDate !== amzDate.slice(0, 8)) {
    throw invalid(
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${auth.scopeDate}' != '${amzDate.slice(0, 8)}', from '${amzDate}'.`,
    );
  }
  if (!options.regions.includes(auth.scopeRegion)) {
    throw invalid(`Credential should be scoped to a valid region, not '${auth.scopeRegion}'. `);
  }
  if (auth.scopeService !== options.service) {
    throw invalid(`Credential should be scoped to correct service: '${options.service}'. `);
  }

  const now = options.now.getTime();
  if (signingDate.getTime() < now - MAX_SKEW_MS) {
    throw invalid(
      `Signature expired: ${amzDate} is now earlier than ${formatAmzDate(new Date(now - MAX_SKEW_MS))} (${formatAmzDate(options.now)} - 5 min.)`,
    );
  }
  if (signingDate.getTime() > now + MAX_SKEW_MS) {
    throw invalid(
      `Signature not yet current: ${amzDate} is still later than ${formatAmzDate(new Date(now + MAX_SKEW_MS))} (${formatAmzDate(options.now)} + 5 min.)`,
    );
  }

  const credential = options.lookup(auth.accessKeyId);
  const presentedToken = header("x-amz-security-token");
  if (
    credential === undefined ||
    (credential.sessionToken === undefined
      ? presentedToken !== undefined
      : presentedToken === undefined || !stringsEqual(presentedToken, credential.sessionToken))
  ) {
    throw new KmsError("UnrecognizedClientException", "The security token included in the request is invalid.");
  }

  if (!auth.signedHeaders.includes("host")) {
    throw incomplete(`'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.`);
  }

  const payloadHash = toHex(sha256(request.body));
  const claimedHash = header("x-amz-content-sha256");
  if (claimedHash !== undefined && claimedHash !== payloadHash) throw invalid(MISMATCH);

  // Only the headers the client signed take part; a signed header that is absent signs as absent
  // and so mismatches. workerd and Node may hide Host from Headers; the URL's host is what arrived.
  const signed: Record<string, string> = {};
  for (const name of auth.signedHeaders) {
    const value = header(name) ?? (name === "host" ? url.host : undefined);
    if (value !== undefined) signed[name] = value;
  }
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of url.searchParams) {
    const prev = query[k];
    query[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }

  // The signing date as the SDK's signer formats it (not the header's text, which may differ: 12:60:00).
  const longDate = formatAmzDate(signingDate);
  const shortDate = longDate.slice(0, 8);
  const canonicalRequest = canonicalizer.canonicalRequest(
    {
      method: request.method.toUpperCase(),
      protocol: url.protocol,
      hostname: url.hostname,
      port: url.port === "" ? undefined : Number(url.port),
      path: decodePath(url.pathname),
      query,
      headers: signed,
    },
    auth.signedHeaders,
    longDate,
    payloadHash,
  );
  // Tasks 2 and 3 of the spec: the string to sign, and its HMAC under the signing key.
  const scope = `${shortDate}/${auth.scopeRegion}/${auth.scopeService}/aws4_request`;
  const stringToSign = `${ALGORITHM}\n${longDate}\n${scope}\n${toHex(sha256(utf8.encode(canonicalRequest)))}`;
  const key = signingKey(credential, shortDate, auth.scopeRegion, auth.scopeService);
  const expected = toHex(hmacSha256(key, utf8.encode(stringToSign)));
  if (!stringsEqual(expected, auth.signature)) throw invalid(MISMATCH);

  return {
    accessKeyId: credential.accessKeyId,
    principal: credential.principal,
    accountId: credential.principal.accountId,
    arn: credential.principal.arn,
    region: auth.scopeRegion,
  };
}
