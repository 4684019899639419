/**
 * Wake-ups (src/store/port.ts WakeUps) on Deno KV's queue: a wake-up is a queue message delivered
 * after a delay (`enqueue(..., { delay })`) to whichever process listens on the KV
 * (`listenQueue`); it survives restarts because the message is stored in the KV itself, and a
 * message whose handler did not finish (a killed process) is delivered again.
 *
 * Delivery is at least once and a message may be stale (a later `wakeAt` moved the deadline), so
 * every delivered message that is due simply runs the owner's `wake`, which re-reads its deadlines
 * and acts only on those that have passed (src/keys/key-actor.ts); a stale message costs one idle
 * wake.
 *
 * `[ "wake", kind, id ]` holds the owner's next wake-up time. It is a hint, never the truth: it
 * lets `wakeBy` skip enqueuing when a wake-up at or before the wanted time is already pending
 * (so a busy key enqueues about once per forwarding delay, not per call), and lets a starting
 * process find owners whose wake-up fell due while nothing was running (`dueWakeUps`).
 *
 * Deno KV delays at most 30 days: a later wake-up is enqueued for 30 days and, delivered then,
 * queued again for the rest (`onDelivery`) while it is still the owner's wake-up.
 */
import type { WakeUps } from "../src/store/port.ts";
import { commitRetrying, retryBusy } from "./kv-record-store.ts";

const MAX_DELAY_MS = 30 * 24 * 60 * 60 * 1000;
/** A message this much before its time was cut short by the 30-day cap (queues never deliver early otherwise). */
const EARLY_MS = 1000;

export type OwnerKind = "key" | "account";

/** The one message shape on the queue. */
export interface WakeMessage {
  edgekms: "wake";
  kind: OwnerKind;
  id: string;
  at: number;
}

export function isWakeMessage(value: unknown): value is WakeMessage {
  const m = value as WakeMessage;
  return (
    typeof m === "object" && m !== null && m.edgekms === "wake" && (m.kind === "key" || m.kind === "account") && typeof m.id === "string"
  );
}

function wakeKey(kind: OwnerKind, id: string): Deno.KvKey {
  return ["wake", kind, id];
}

/** Times known in this process, so a busy owner does not read its wake-up entry on every call. */
const known = new Map<string, number>();
const KNOWN_LIMIT = 10_000;

function remember(kind: OwnerKind, id: string, time: number | undefined): void {
  const name = `${kind}\n${id}`;
  known.delete(name);
  if (time === undefined) return;
  if (known.size >= KNOWN_LIMIT) known.delete(known.keys().next().value as string);
  known.set(name, time);
}

export class KvWakeUps implements WakeUps {
  constructor(
    private readonly kv: Deno.Kv,
    private readonly kind: OwnerKind,
    private readonly id: string,
  ) {}

  private async schedule(time: number): Promise<void> {
    const message: WakeMessage = { edgekms: "wake", kind: this.kind, id: this.id, at: time };
    const delay = Math.min(MAX_DELAY_MS, Math.max(0, time - Date.now()));
    await commitRetrying(this.kv.atomic().set(wakeKey(this.kind, this.id), time).enqueue(message, { delay }));
    remember(this.kind, this.id, time);
  }

  async wakeAt(time: number | undefined): Promise<void> {
    if (time !== undefined) {
      // A wake-up already set for that very time, still ahead, has its message queued: a busy key
      // re-derives the same far deadline (its next rotation) after every forwarding.
      if (time > Date.now() + EARLY_MS && (await this.stored()) === time) return;
      return this.schedule(time);
    }
    // Nothing to clear costs no commit (most wakes end with nothing left to do).
    if ((await this.stored()) === undefined) return;
    // A message already queued still arrives: it finds nothing due and does nothing.
    await commitRetrying(this.kv.atomic().delete(wakeKey(this.kind, this.id)));
    remember(this.kind, this.id, undefined);
  }

  /** The stored wake-up time (from this process's memory when it is still ahead). */
  private async stored(): Promise<number | undefined> {
    const cached = known.get(`${this.kind}\n${this.id}`);
    if (cached !== undefined && cached > Date.now()) return cached;
    const stored = (await retryBusy(() => this.kv.get<number>(wakeKey(this.kind, this.id)))).value ?? undefined;
    if (stored !== undefined) remember(this.kind, this.id, stored);
    return stored;
  }

  async wakeBy(time: number): Promise<void> {
    // Only a pending wake-up still in the future is sure to run after the caller's commit.
    const stored = await this.stored();
    if (stored !== undefined && stored > Date.now() && stored <= time) return;
    await this.schedule(time);
  }
}

/**
 * What to do with a delivered message: run the owner's wake, or — for a message delivered before
 * its time because of the 30-day cap — queue it again if it is still the owner's wake-up, or drop
 * it when a later `wakeAt` replaced it (that one has its own message).
 */
export async function onDelivery(kv: Deno.Kv, message: WakeMessage, now = Date.now()): Promise<"wake" | "requeued" | "stale"> {
  if (message.at <= now + EARLY_MS) return "wake";
  const stored = (await retryBusy(() => kv.get<number>(wakeKey(message.kind, message.id)))).value;
  if (stored !== message.at) return "stale";
  await commitRetrying(kv.atomic().enqueue(message, { delay: Math.min(MAX_DELAY_MS, message.at - now) }));
  return "requeued";
}

/** Owners whose stored wake-up time has passed (run once as a process starts). */
export async function dueWakeUps(kv: Deno.Kv, now = Date.now()): Promise<{ kind: OwnerKind; id: string }[]> {
  const due: { kind: OwnerKind; id: string }[] = [];
  for await (const entry of kv.list<number>({ prefix: ["wake"] })) {
    const [, kind, id] = entry.key as [string, OwnerKind, string];
    if (entry.value <= now) due.push({ kind, id });
  }
  return due;
}

/**
 * One wake at a time per owner in this process, and a wake asked for while one runs is one more
 * run after it (however many were asked for): what a Durable Object's alarm gets from its single
 * thread. Without it, a busy key whose forwarding takes longer than the forwarding delay gets its
 * next queue message while the last wake still runs; both forward the same outbox batch, their
 * audit-log commits conflict and retry, and each round of that makes the next one slower.
 * Correctness never depended on it (forwarding is idempotent; other processes may still overlap).
 * A caller's promise settles when a run that started after its request has finished, so a queue
 * message is acknowledged only once its work is done, and a failure reaches every waiting caller
 * (KV then delivers their messages again).
 */
export class SerialWakes {
  private readonly running = new Map<string, { again: boolean; done: Promise<void> }>();

  run(name: string, work: () => Promise<void>): Promise<void> {
    const current = this.running.get(name);
    if (current !== undefined) {
      current.again = true;
      return current.done;
    }
    const state = { again: false, done: Promise.resolve() };
    state.done = (async () => {
      try {
        do {
          state.again = false;
          await work();
        } while (state.again);
      } finally {
        this.running.delete(name);
      }
    })();
    this.running.set(name, state);
    return state.done;
  }
}
