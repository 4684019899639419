/**
 * A cheap HTTP/1.1 load generator for bench/service.bench.mjs: keep-alive connections over raw
 * TCP sockets, each with one request in flight at a time (concurrency = connections), replaying
 * request bytes prepared in advance. It writes a buffer and parses only the status line and the
 * framing headers (Content-Length or chunked), so one Node thread drives thousands of requests
 * per second while leaving most of a 2-core machine to the server under test. Node's http client
 * or fetch would cost several times more per request and bias the figures at high concurrency.
 *
 * Every response is checked: a status other than the expected one fails the run with the body,
 * so a benchmark can never report the speed of errors.
 */
import { connect } from "node:net";

/**
 * Serialises one HTTP/1.1 request (keep-alive) to bytes.
 * @param {{ method?: string, path?: string, headers: Record<string, string>, body?: string | Uint8Array }} request
 */
export function rawRequest({ method = "POST", path = "/", headers, body = "" }) {
  const bytes = typeof body === "string" ? Buffer.from(body) : Buffer.from(body);
  let head = `${method} ${path} HTTP/1.1\r\n`;
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  lower["content-length"] = String(bytes.length);
  lower.connection = "keep-alive";
  for (const [name, value] of Object.entries(lower)) head += `${name}: ${value}\r\n`;
  return Buffer.concat([Buffer.from(`${head}\r\n`), bytes]);
}

const RESPONSE_TIMEOUT_MS = 20_000;

/** The error of a request the server never answered: it closed the connection, or took over RESPONSE_TIMEOUT_MS. */
class DroppedError extends Error {}

/** One keep-alive connection that sends a request and resolves with the parsed response. */
class Connection {
  #socket;
  #buffer = Buffer.alloc(0);
  #pending;

  constructor(socket) {
    this.#socket = socket;
    socket.setNoDelay(true);
    socket.on("data", (chunk) => this.#onData(chunk));
    socket.on("error", (err) => this.#fail(err));
    socket.on("close", () => {
      this.closed = true;
      this.#fail(new DroppedError(`connection closed by the server after ${this.sent} requests, waiting for ${this.#target}`));
    });
  }

  /** Set once the socket is closed (workerd closes keep-alive connections left idle a while). */
  closed = false;

  static open(port, host = "127.0.0.1") {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host }, () => resolve(new Connection(socket)));
      socket.once("error", reject);
    });
  }

  /** @returns {Promise<{ status: number, body: Buffer }>} */
  send(bytes) {
    return new Promise((resolve, reject) => {
      // A request left unanswered is given up like a dropped one: the connection is closed and
      // replaced, and the caller counts it.
      const timer = setTimeout(() => {
        this.#pending = undefined;
        this.close();
        reject(new DroppedError(`no complete response to ${this.#target} in ${RESPONSE_TIMEOUT_MS / 1000} s`));
      }, RESPONSE_TIMEOUT_MS);
      this.#pending = {
        resolve: (r) => (clearTimeout(timer), resolve(r)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      };
      this.lastUsed = performance.now();
      this.sent++;
      this.#target = /x-amz-target: (\S+)/i.exec(bytes.toString("latin1", 0, 2000))?.[1] ?? "a response";
      this.#socket.write(bytes);
    });
  }

  sent = 0;
  #target = "";

  /** When the last request was sent: the pool replaces connections left idle (see `take`). */
  lastUsed = performance.now();

  close() {
    this.#pending = undefined;
    this.closed = true;
    this.#socket.destroy();
  }

  #fail(err) {
    const pending = this.#pending;
    this.#pending = undefined;
    pending?.reject(err);
  }

  #onData(chunk) {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    const response = parseResponse(this.#buffer);
    if (response === undefined) return;
    this.#buffer = this.#buffer.subarray(response.length);
    const pending = this.#pending;
    this.#pending = undefined;
    pending?.resolve(response);
  }
}

/** Parses one complete response at the start of `buf`, or returns undefined if more bytes are needed. */
function parseResponse(buf) {
  const headEnd = buf.indexOf("\r\n\r\n");
  if (headEnd < 0) return undefined;
  const head = buf.toString("latin1", 0, headEnd);
  const status = Number(head.slice(9, 12));
  const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
  const start = headEnd + 4;
  if (length) {
    const end = start + Number(length[1]);
    return buf.length < end ? undefined : { status, body: buf.subarray(start, end), length: end };
  }
  if (!/\r\ntransfer-encoding:\s*chunked/i.test(head)) throw new Error(`response without framing:\n${head}`);
  const parts = [];
  let at = start;
  for (;;) {
    const lineEnd = buf.indexOf("\r\n", at);
    if (lineEnd < 0) return undefined;
    const size = parseInt(buf.toString("latin1", at, lineEnd), 16);
    const dataEnd = lineEnd + 2 + size;
    if (buf.length < dataEnd + 2) return undefined;
    if (size === 0) return { status, body: Buffer.concat(parts), length: dataEnd + 2 };
    parts.push(buf.subarray(lineEnd + 2, dataEnd));
    at = dataEnd + 2;
  }
}

/** A pool of keep-alive connections to one port, opened once and reused by every measurement. */
export class ConnectionPool {
  #port;
  #connections = [];

  constructor(port) {
    this.#port = port;
  }

  /**
   * Returns `n` open connections. A connection idle for more than a second is replaced first:
   * workerd closes idle keep-alive connections, and a request racing that close would fail.
   */
  async take(n) {
    const now = performance.now();
    for (const c of this.#connections) if (now - c.lastUsed > 1000) c.close();
    this.#connections = this.#connections.filter((c) => !c.closed);
    while (this.#connections.length < n) this.#connections.push(await Connection.open(this.#port));
    return this.#connections.slice(0, n);
  }

  /** Replaces a connection the server closed with a new one. */
  async replace(connection) {
    const fresh = await Connection.open(this.#port);
    const at = this.#connections.indexOf(connection);
    if (at >= 0) this.#connections[at] = fresh;
    else this.#connections.push(fresh);
    return fresh;
  }

  close() {
    for (const c of this.#connections) c.close();
    this.#connections = [];
  }
}

function describe(response) {
  return `HTTP ${response.status}: ${response.body.toString("utf8").slice(0, 300)}`;
}

/** Sends one request and returns its parsed JSON body; throws on an unexpected status. */
export async function call(pool, bytes, expectStatus = 200) {
  const [connection] = await pool.take(1);
  const response = await connection.send(bytes);
  if (response.status !== expectStatus) throw new Error(`unexpected response ${describe(response)}`);
  return response.body.length ? JSON.parse(response.body.toString("utf8")) : undefined;
}

/**
 * Runs `concurrency` closed loops for `ms` milliseconds (or until `count` requests if given), each
 * sending `requests[i % requests.length]` in turn; returns req/s and latency percentiles in ms,
 * and `dropped`: requests the server never answered (it closed the connection, or took over 20 s;
 * the loop opens a new connection and goes on; such a request may or may not have taken effect).
 * Throws on the first response whose status is not `expectStatus`.
 */
export async function measure(pool, requests, { concurrency, ms, count, expectStatus = 200 }) {
  const connections = await pool.take(concurrency);
  let dropped = 0;
  const latencies = [];
  let next = 0;
  const start = performance.now();
  const deadline = start + (ms ?? Infinity);
  const limit = count ?? Infinity;
  await Promise.all(
    connections.map(async (connection) => {
      while (next < limit && performance.now() < deadline) {
        const bytes = requests[next++ % requests.length];
        const t0 = performance.now();
        let response;
        try {
          response = await connection.send(bytes);
        } catch (err) {
          if (!(err instanceof DroppedError)) throw err;
          dropped++;
          connection = await pool.replace(connection);
          continue;
        }
        latencies.push(performance.now() - t0);
        if (response.status !== expectStatus) throw new Error(`unexpected response ${describe(response)}`);
      }
    }),
  );
  const elapsed = performance.now() - start;
  latencies.sort((a, b) => a - b);
  const pick = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
  return { count: latencies.length, rps: (latencies.length / elapsed) * 1000, p50: pick(0.5), p99: pick(0.99), dropped };
}
