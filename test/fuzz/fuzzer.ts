/**
 * The fuzzer: sends mutants of valid requests (mutators.ts) to a running EdgeKMS, one at a time,
 * and checks three properties of every answer:
 *
 * 1. No 5xx: every refusal is an AWS error with a 4xx status.
 * 2. No hang: every request is answered within the per-request timeout.
 * 3. No state change from a call that did not succeed: the state (state.ts — keys, aliases, key
 *    policies, grants, tags, rotation, read through the API) is the same before and after.
 *
 * How (3) is checked without a full digest around every request: the fuzzer keeps a running view
 * of the state. After a refused call of an operation that changes state when it succeeds (Tag-
 * Resource, PutKeyPolicy, CreateKey, ...), it re-reads at once the parts that operation writes, for
 * the keys the request names, and compares. Every `checkEvery` requests it re-reads every part of
 * every key the window's requests named, plus both accounts' key and alias lists, and compares;
 * every `fullEvery` requests (and at the end) it reads the whole state and compares. A call that
 * succeeds may change what it names: those parts are re-read and become the new view instead.
 *
 * Every `repairEvery` requests the fixtures are put back (corpus.ts `repair`), after a check, and
 * the view is re-read whole. The number of keys mutants may create is capped (`keyCap`) so that
 * full digests stay cheap; beyond it CreateKey mutants are sent by a caller whose IAM policy denies
 * everything (they must then change nothing either).
 */
import { MAX_REQUEST_BYTES } from "../../src/protocol/body.ts";
import { ACCOUNT, buildCorpus, examples, EXTERNAL_ACCOUNT, MUTATING, repair, type Corpus, type Example } from "./corpus.ts";
import { nextMutant, type MutationContext } from "./mutators.ts";
import { Prng } from "./prng.ts";
import { KEY_PARTS, keyPart, listPart, readFullState, readParts, type StateView, type KeyPart, type PartName } from "./state.ts";
import { Transport } from "./transport.ts";

export interface FuzzOptions {
  url: string;
  seed: number;
  requests: number;
  /** Per-request timeout (a request that takes longer is a hang). Default 15 s. */
  timeoutMs?: number;
  checkEvery?: number;
  fullEvery?: number;
  repairEvery?: number;
  keyCap?: number;
  /** Progress lines (every `progressEvery` requests) and findings as they happen. */
  log?: (line: string) => void;
  progressEvery?: number;
  /**
   * Called before request `i` is sent, with the run's transport: a test of the fuzzer itself uses
   * it to change the state behind the fuzzer's back and see that the check reports it.
   */
  beforeRequest?: (i: number, transport: Transport, fixtures: Corpus) => Promise<void>;
  /** Polled before each request: true ends the run early, with the final checks and the report. */
  stop?: () => boolean;
}

export interface Finding {
  index: number;
  mutator: string;
  op: string;
  identity: string;
  detail: string;
  status: number;
  type?: string;
  message?: string;
  ms: number;
}

export interface StateChange {
  /** The requests (by index) since the view was last known to be right. */
  from: number;
  to: number;
  /** The refused requests in that window that named the changed keys (or all, for list parts). */
  candidates: Finding[];
  /** The calls of the window that succeeded in changing state (the legitimate explanations, if one was missed). */
  successes?: Finding[];
  differences: { part: PartName; before: string | undefined; after: string }[];
}

export interface FuzzReport {
  seed: number;
  requests: number;
  elapsedMs: number;
  requestsPerSecond: number;
  byStatus: Record<string, number>;
  byType: Record<string, number>;
  byMutator: Record<string, number>;
  byOperation: Record<string, number>;
  serverErrors: Finding[];
  hangs: Finding[];
  networkErrors: Finding[];
  /**
   * Bodies over the service's size limit whose connection was reset while the fuzzer was still
   * sending them: the service refuses such a request from its Content-Length without reading the
   * body (src/protocol/body.ts) and the runtime closes the connection, and a TCP reset arriving
   * mid-upload discards the 413 before the client reads it. Counted, not a finding.
   */
  resetWhileSendingOversized: number;
  /** Refusals without an AWS error type (the first 50): each should say its __type. */
  untyped: Finding[];
  stateChanges: StateChange[];
  stateChecks: { immediate: number; periodic: number; full: number };
  /** Systematic bit flips: subject → flips done (a subject's bit count is in its name where known). */
  bitFlips: Record<string, number>;
  keysCreated: number;
  /** Requests spent reading the state (and repairing fixtures), beside the fuzz requests. */
  stateRequests: number;
  /** Mutants the fuzzer itself failed to build (a fuzzer bug, reported, never a pass). */
  fuzzerErrors: string[];
  finalDigest: string;
}

/** The state parts a successful call of `op` may write, for the keys it names. */
const WRITES: Record<string, KeyPart[] | "keys" | "aliases"> = {
  CreateKey: "keys",
  EnableKey: ["meta"],
  DisableKey: ["meta"],
  UpdateKeyDescription: ["meta"],
  ScheduleKeyDeletion: ["meta"],
  CancelKeyDeletion: ["meta"],
  GetParametersForImport: ["meta"],
  ImportKeyMaterial: ["meta"],
  DeleteImportedKeyMaterial: ["meta"],
  EnableKeyRotation: ["rotation"],
  DisableKeyRotation: ["rotation"],
  CreateAlias: "aliases",
  UpdateAlias: "aliases",
  DeleteAlias: "aliases",
  TagResource: ["tags"],
  UntagResource: ["tags"],
  PutKeyPolicy: ["policy"],
  CreateGrant: ["grants"],
  RetireGrant: ["grants"],
  RevokeGrant: ["grants"],
};

/**
 * Refusals that happen before any operation runs (authentication, the body's syntax, the target):
 * the periodic check covers them; the immediate one is kept for refusals from inside an operation.
 */
const REFUSED_BEFORE_DISPATCH: ReadonlySet<string> = new Set([
  "InvalidSignatureException",
  "IncompleteSignatureException",
  "UnrecognizedClientException",
  "MissingAuthenticationTokenException",
  "SerializationException",
  "UnknownOperationException",
  "UnsupportedOperationException",
]);

const accountOfIdentity = (identity: string): string => (identity === "external" ? EXTERNAL_ACCOUNT : ACCOUNT);

export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const checkEvery = options.checkEvery ?? 200;
  const fullEvery = options.fullEvery ?? 5000;
  const repairEvery = options.repairEvery ?? 2000;
  const keyCap = options.keyCap ?? 30;
  const progressEvery = options.progressEvery ?? 1000;
  const log = options.log ?? (() => {});
  const t = new Transport(options.url, options.timeoutMs ?? 15_000);
  const rng = new Prng(options.seed);
  const report: FuzzReport = {
    seed: options.seed,
    requests: 0,
    elapsedMs: 0,
    requestsPerSecond: 0,
    byStatus: {},
    byType: {},
    byMutator: {},
    byOperation: {},
    serverErrors: [],
    hangs: [],
    networkErrors: [],
    resetWhileSendingOversized: 0,
    untyped: [],
    stateChanges: [],
    stateChecks: { immediate: 0, periodic: 0, full: 0 },
    bitFlips: {},
    keysCreated: 0,
    stateRequests: 0,
    fuzzerErrors: [],
    finalDigest: "",
  };
  const count = (table: Record<string, number>, key: string) => void (table[key] = (table[key] ?? 0) + 1);

  try {
    const corpus: Corpus = await buildCorpus(t, `${options.seed.toString(36)}${Date.now().toString(36)}`);
    let exampleList: Example[] = examples(corpus);
    /** Key ID → account, for every key known to exist. */
    const watched = new Map<string, string>();
    const keyAccount = (keyId: string) => watched.get(keyId) ?? ACCOUNT;
    const full = await readFullState(t, keyAccount);
    for (const [k, a] of full.keys) watched.set(k, a);
    let view: StateView = full.view;
    const ctx: MutationContext = { rng, corpus, examples: exampleList, mayCreateKeys: true, flips: new Map() };

    // The window since the view was last checked: what its requests named, what succeeded.
    let windowStart = 0;
    let touched = new Set<string>();
    /** Parts a successful call of the window wrote: re-read, not compared, at the periodic check. */
    let dirty = new Set<PartName>();
    let refused: { finding: Finding; keys: string[]; lists: PartName[] }[] = [];
    let succeeded: Finding[] = [];

    const compare = async (names: Iterable<PartName>, from: number, to: number, candidates: () => Finding[]): Promise<StateView> => {
      const now = await readParts(t, names, keyAccount);
      const differences = view.differences(now).filter((d) => d.before !== undefined);
      if (differences.length > 0) {
        const change: StateChange = { from, to, candidates: candidates(), differences };
        report.stateChanges.push(change);
        log(
          `STATE CHANGE after request(s) ${from}..${to}: ${differences.map((d) => d.part).join(", ")}; candidates: ${change.candidates.map((c) => `#${c.index} ${c.op} ${c.mutator} (${c.detail})`).join(" | ")}`,
        );
      }
      view.merge(now);
      return now;
    };

    const keyParts = (keys: Iterable<string>) =>
      [...keys].filter((k) => watched.has(k)).flatMap((k) => KEY_PARTS.map((p) => keyPart(p, k)));
    const listParts = () => [ACCOUNT, EXTERNAL_ACCOUNT].flatMap((a) => [listPart("keys", a), listPart("aliases", a)]);

    const periodicCheck = async (to: number) => {
      report.stateChecks.periodic++;
      const names = [...keyParts(touched), ...listParts()].filter((p) => !dirty.has(p));
      const before = report.stateChanges.length;
      await compare(names, windowStart, to, () => {
        return refused
          .filter((r) => r.keys.some((k) => touched.has(k)) || r.lists.length > 0 || r.keys.length === 0)
          .map((r) => r.finding)
          .slice(0, 50);
      });
      for (const change of report.stateChanges.slice(before)) change.successes = succeeded.slice(0, 50);
      // What succeeded in the window is re-read as it is now: the view moves on.
      view.merge(await readParts(t, dirty, keyAccount));
      windowStart = to + 1;
      touched = new Set();
      dirty = new Set();
      refused = [];
      succeeded = [];
    };

    const fullCheck = async (to: number) => {
      report.stateChecks.full++;
      const now = await readFullState(t, keyAccount);
      const differences = view.differences(now.view);
      if (differences.length > 0) {
        report.stateChanges.push({ from: windowStart, to, candidates: [], differences });
        log(`STATE CHANGE found by a full digest at request ${to}: ${differences.map((d) => d.part).join(", ")}`);
      }
      for (const [k, a] of now.keys) watched.set(k, a);
      view = now.view;
    };

    const started = performance.now();
    for (let i = 0; i < options.requests; i++) {
      if (options.stop?.()) {
        log(`stopped early after ${i} requests`);
        break;
      }
      // A check or repair that fails (a state read that times out, a fixture that cannot be
      // restored) is recorded and fails the run, but does not end it.
      const guarded = async (what: string, run: () => Promise<void>) => {
        try {
          await run();
        } catch (err) {
          const text = `${what} before request ${i}: ${err instanceof Error ? err.message : String(err)}`;
          if (report.fuzzerErrors.length < 50) report.fuzzerErrors.push(text);
          log(`FUZZER ERROR ${text}`);
        }
      };
      if (i > 0 && i % checkEvery === 0) await guarded("periodic check", () => periodicCheck(i - 1));
      if (i > 0 && i % fullEvery === 0) await guarded("full check", () => fullCheck(i - 1));
      if (i > 0 && i % repairEvery === 0) {
        await guarded("repair", async () => {
          await repair(t, corpus);
          exampleList = examples(corpus);
          ctx.examples = exampleList;
          const fresh = await readFullState(t, keyAccount);
          for (const [k, a] of fresh.keys) watched.set(k, a);
          view = fresh.view;
        });
      }
      ctx.mayCreateKeys = report.keysCreated < keyCap;
      await options.beforeRequest?.(i, t, corpus);

      let mutant: ReturnType<typeof nextMutant>;
      let request: Awaited<ReturnType<typeof mutant.build>>;
      try {
        mutant = nextMutant(ctx);
        request = await mutant.build(t);
      } catch (err) {
        // A bug of the fuzzer's own: recorded (it fails the run) and the run goes on.
        const text = err instanceof Error ? `${err.message} ${err.stack?.split("\n")[1]?.trim() ?? ""}` : String(err);
        if (report.fuzzerErrors.length < 50) report.fuzzerErrors.push(`#${i}: ${text}`);
        log(`FUZZER ERROR #${i}: ${text}`);
        continue;
      }
      const out = await t.send(request);
      report.requests++;
      count(report.byMutator, mutant.mutator);
      count(report.byOperation, mutant.op);
      count(report.byStatus, out.timedOut ? "timeout" : out.networkError ? "network error" : String(out.status));
      if (out.status !== 200 && !out.timedOut && !out.networkError) count(report.byType, out.type ?? `(no __type, ${out.status})`);
      const finding: Finding = {
        index: i,
        mutator: mutant.mutator,
        op: mutant.op,
        identity: mutant.identity,
        detail: mutant.detail,
        status: out.status,
        ...(out.type === undefined ? {} : { type: out.type }),
        ...(out.message === undefined ? {} : { message: out.message.slice(0, 300) }),
        ms: Math.round(out.ms),
      };
      if (out.status >= 400 && out.status < 500 && out.type === undefined && mutant.op !== "" && report.untyped.length < 50)
        report.untyped.push(finding);
      if (out.status >= 500) {
        report.serverErrors.push(finding);
        log(`5xx #${i}: ${out.status} ${out.type ?? ""} ${mutant.op} ${mutant.mutator} (${mutant.detail})`);
      }
      if (out.timedOut) {
        report.hangs.push(finding);
        log(`HANG #${i}: ${mutant.op} ${mutant.mutator} (${mutant.detail})`);
      }
      if (out.networkError && request.body.length > MAX_REQUEST_BYTES && /ECONNRESET|EPIPE/.test(out.networkError)) {
        report.resetWhileSendingOversized++;
      } else if (out.networkError) {
        report.networkErrors.push(finding);
        log(`NETWORK ERROR #${i}: ${out.networkError} ${mutant.op} ${mutant.mutator} (${mutant.detail})`);
      }

      const keys = [...new Set(mutant.keys.length > 0 ? mutant.keys : [])];
      for (const k of keys) touched.add(k);
      const writes = WRITES[mutant.op];
      const lists = writes === "keys" || writes === "aliases" ? [listPart(writes, accountOfIdentity(mutant.identity))] : [];
      const scoped = [
        ...lists,
        ...(Array.isArray(writes) ? keys.filter((k) => watched.has(k)).flatMap((k) => writes.map((p) => keyPart(p, k))) : []),
      ];
      if (out.status === 200) {
        if (MUTATING.has(mutant.op)) {
          succeeded.push(finding);
          // It may change what it writes. Every other part of what it names is re-read too: it may
          // only have become readable or unreadable (a key scheduled for deletion refuses
          // GetKeyRotationStatus; a new key policy may refuse the root user), not changed otherwise.
          for (const p of scoped) dirty.add(p);
          const others = keyParts(keys).filter((p) => !scoped.includes(p));
          const now = await readParts(t, [...scoped, ...others], keyAccount);
          const isError = (text: string | undefined) => text === undefined || text.startsWith('{"error":');
          const unexplained = view
            .differences(now)
            .filter((d) => others.includes(d.part) && d.before !== undefined && !isError(d.before) && !isError(d.after));
          if (unexplained.length > 0) {
            const candidates = refused
              .filter((r) => r.keys.some((k) => keys.includes(k)))
              .map((r) => r.finding)
              .slice(0, 50);
            report.stateChanges.push({ from: windowStart, to: i, candidates, differences: unexplained });
            log(
              `STATE CHANGE before request ${i}: ${unexplained.map((d) => d.part).join(", ")} changed, which ${mutant.op} does not write`,
            );
          }
          for (const d of view.differences(now)) if (others.includes(d.part)) dirty.add(d.part);
          view.merge(now);
          const created = (out.json as { KeyMetadata?: { KeyId?: string } } | undefined)?.KeyMetadata?.KeyId;
          if (mutant.op === "CreateKey" && created !== undefined) {
            report.keysCreated++;
            watched.set(created, accountOfIdentity(mutant.identity));
            view.merge(await readParts(t, keyParts([created]), keyAccount));
          }
        }
      } else {
        refused.push({ finding, keys, lists });
        if (scoped.length > 0 && !REFUSED_BEFORE_DISPATCH.has(out.type ?? "")) {
          report.stateChecks.immediate++;
          await compare(scoped, i, i, () => [finding]);
        }
      }
      if ((i + 1) % progressEvery === 0) {
        const rate = (i + 1) / ((performance.now() - started) / 1000);
        log(
          `${i + 1}/${options.requests} requests, ${rate.toFixed(0)} req/s, 5xx ${report.serverErrors.length}, hangs ${report.hangs.length}, state changes ${report.stateChanges.length}`,
        );
      }
    }
    await periodicCheck(report.requests - 1);
    await fullCheck(report.requests - 1);
    report.elapsedMs = performance.now() - started;
    report.requestsPerSecond = report.requests / (report.elapsedMs / 1000);
    report.bitFlips = Object.fromEntries(ctx.flips);
    report.stateRequests = t.sent - report.requests;
    report.finalDigest = await view.digest();
    return report;
  } finally {
    t.close();
  }
}

/** The report as the figures the README quotes. */
export function formatReport(r: FuzzReport): string {
  const table = (o: Record<string, number>) =>
    Object.entries(o)
      .sort(([, a], [, b]) => b - a)
      .map(([k, v]) => `    ${k.padEnd(36)} ${v}`)
      .join("\n");
  const lines = [
    `seed ${r.seed}`,
    `requests ${r.requests} in ${(r.elapsedMs / 1000).toFixed(1)} s (${r.requestsPerSecond.toFixed(0)} req/s, state checks included)`,
    `5xx ${r.serverErrors.length}, hangs ${r.hangs.length}, network errors ${r.networkErrors.length} (and ${r.resetWhileSendingOversized} resets while sending a body over the size limit), state changes from refused calls ${r.stateChanges.length}`,
    `state checks: ${r.stateChecks.immediate} immediate, ${r.stateChecks.periodic} periodic, ${r.stateChecks.full} full (${r.stateRequests} requests spent on set-up, repairs and state reads); keys created by mutants ${r.keysCreated}; final state digest ${r.finalDigest}`,
    `fuzzer errors ${r.fuzzerErrors.length}${r.fuzzerErrors.length > 0 ? `: ${r.fuzzerErrors.slice(0, 5).join(" | ")}` : ""}`,
    "by status:",
    table(r.byStatus),
    "by error type:",
    table(r.byType),
    "by mutator:",
    table(r.byMutator),
    "systematic bit flips (subject: flips):",
    table(r.bitFlips),
  ];
  for (const f of [...r.serverErrors, ...r.hangs, ...r.networkErrors].slice(0, 50)) {
    lines.push(
      `FAIL #${f.index} ${f.status || "no answer"} ${f.type ?? ""} ${f.op} as ${f.identity}, ${f.mutator}: ${f.detail} ${f.message ?? ""}`,
    );
  }
  for (const f of r.untyped.slice(0, 20)) lines.push(`untyped refusal #${f.index} ${f.status} ${f.op} ${f.mutator}: ${f.detail}`);
  for (const c of r.stateChanges.slice(0, 20)) {
    lines.push(`STATE CHANGE in requests ${c.from}..${c.to}:`);
    for (const d of c.differences) lines.push(`    ${d.part}: ${d.before?.slice(0, 200)} -> ${d.after.slice(0, 200)}`);
    for (const f of c.candidates)
      lines.push(`    candidate #${f.index} ${f.op} as ${f.identity}, ${f.mutator}: ${f.detail} -> ${f.status} ${f.type ?? ""}`);
    for (const f of c.successes ?? []) lines.push(`    succeeded #${f.index} ${f.op} as ${f.identity}, ${f.mutator}: ${f.detail}`);
  }
  return lines.join("\n");
}
