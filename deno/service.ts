/**
 * EdgeKMS on Deno KV: the runtime (worker/runtime.ts) the HTTP app and the in-process library run
 * on. Each key is a KeyActor (src/keys/key-actor.ts) and each account's directory an
 * AccountDirectory (src/service/account-directory.ts), built on demand over the KV adapters —
 * optimistic transactions (kv-record-store.ts), queue-driven wake-ups (kv-wake-ups.ts) and the
 * audit log (kv-audit-log.ts). Actors hold no state of their own, so any number of isolates or
 * processes may serve the same keys from one KV.
 *
 * Deadlines: `deliver` is the KV queue's handler (every process listens), and `recover` runs, as
 * a process starts, the wake-ups that fell due while none was running.
 */
import { isOutboxKey, auditEntry } from "../src/audit/outbox.ts";
import { parseKeyArn } from "../src/arn.ts";
import { grantLimits, principalAccount, type RetirableGrantIndex } from "../src/grants/store.ts";
import { rootKeyRing } from "../src/keys/root-key-ring.ts";
import { KeyActor, type KeySettings } from "../src/keys/key-actor.ts";
import { isUnorderedKey } from "../src/keys/key-records.ts";
import { AccountDirectory } from "../src/service/account-directory.ts";
import type { ServicePorts } from "../src/service/ports.ts";
import { settingsFrom, type Settings } from "../src/service/settings.ts";
import type { KmsRuntime } from "../worker/runtime.ts";
import type { Vars } from "../worker/vars.ts";
import { identities } from "../worker/identity-config.ts";
import { nodeRsaPrimitives } from "../worker/node-rsa.ts";
import { KvAuditLog } from "./kv-audit-log.ts";
import { KvRecordStore } from "./kv-record-store.ts";
import { dueWakeUps, isWakeMessage, KvWakeUps, onDelivery, SerialWakes } from "./kv-wake-ups.ts";

export interface DenoService {
  runtime: KmsRuntime;
  settings: Settings;
  /** The KV queue handler: runs the wake-up a message names (other messages are ignored). */
  deliver(message: unknown): Promise<void>;
  /** Runs every wake-up that is already due (call once as a process starts). */
  recover(): Promise<void>;
}

export function denoService(kv: Deno.Kv, vars: Vars): DenoService {
  const settings = settingsFrom(vars as Record<string, string | undefined>);
  // Decoded per use and wiped after it (root-key-ring.ts); built once, so a bad key fails at start.
  const rootKeys = rootKeyRing(vars.ROOT_KEY, vars.ROOT_KEY_PREVIOUS);
  const keySettings: KeySettings = {
    rotationPeriodMs: settings.rotationPeriodMs,
    deletionDayMs: settings.deletionDayMs,
    importParametersValidMs: settings.importParametersValidMs,
    grantLimits: grantLimits(vars),
    auditForwardDelayMs: settings.auditForwardDelayMs,
  };
  const auditLog = new KvAuditLog(kv, settings.region, () => settings.auditRetentionMs);
  const sink = auditLog.sink();

  /** An account's directory, by `<account>:<region>`. */
  const directory = (name: string) =>
    new AccountDirectory({
      store: new KvRecordStore(kv, ["account", name], { unversioned: isOutboxKey }),
      wakeUps: new KvWakeUps(kv, "account", name),
      audit: sink,
      auditForwardDelayMs: () => settings.auditForwardDelayMs,
    });
  const accountOf = (accountId: string, region = settings.region) => directory(`${accountId}:${region}`);

  /** The directory indexing grants of `retiringPrincipal` on `keyArn`: the principal's account's. */
  const indexOf = (keyArn: string, retiringPrincipal: string) => {
    const key = parseKeyArn(keyArn);
    if (key === undefined) throw new Error("grant index: not a key ARN");
    return accountOf(principalAccount(retiringPrincipal) ?? key.account, key.region);
  };
  const retirableGrants: RetirableGrantIndex = {
    add: (entry) => indexOf(entry.KeyId, entry.RetiringPrincipal).indexRetirableGrant(entry),
    remove: (principal, keyArn, grantId) => indexOf(keyArn, principal).unindexRetirableGrant(principal, keyArn, grantId),
    forgetKey: async (keyArn, principals) => {
      const accounts = new Set(principals.map((p) => principalAccount(p) ?? parseKeyArn(keyArn)?.account));
      for (const account of accounts)
        if (account !== undefined) await accountOf(account, parseKeyArn(keyArn)!.region).forgetRetirableGrantsOfKey(keyArn);
    },
  };

  const keyActor = (arn: string): KeyActor =>
    new KeyActor({
      store: new KvRecordStore(kv, ["key", arn], { unversioned: isUnorderedKey }),
      wakeUps: new KvWakeUps(kv, "key", arn),
      rootKeys: () => rootKeys,
      settings: () => keySettings,
      retirableGrants,
      forgetKey: async (t) => {
        const key = parseKeyArn(t.arn);
        if (key !== undefined) await accountOf(key.account, key.region).removeKey(t.keyId);
      },
      audit: sink,
      peers: keyActor,
      rsa: nodeRsaPrimitives,
    });

  const ports: ServicePorts = {
    keys: keyActor,
    accounts: (accountId, region) => accountOf(accountId, region),
    rootKeys: () => rootKeys,
    knownAccount: (accountId) => {
      try {
        return identities(vars).accounts.some((a) => a.accountId === accountId);
      } catch {
        return false;
      }
    },
    recordCall: (draft, outcome) => auditLog.append([auditEntry(draft, outcome, [])]),
  };

  const wakes = new SerialWakes();
  /** Runs an owner's wake; in this process one at a time per owner (see SerialWakes). */
  function wake(kind: "key" | "account", id: string): Promise<void> {
    return wakes.run(`${kind}\n${id}`, () => (kind === "key" ? keyActor(id).wake() : directory(id).wake()));
  }

  return {
    settings,
    runtime: {
      vars,
      ports,
      audit: {
        lookup: (accountId, region, query) => auditLog.lookup(accountId, region, query),
        requestStats: (accountId, region) => auditLog.requestStats(accountId, region),
        keyEvents: (accountId, region, limit) => auditLog.keyEvents(accountId, region, limit),
      },
    },
    async deliver(message) {
      if (!isWakeMessage(message)) return;
      // A throw makes KV deliver the message again later (at least once, with backoff).
      if ((await onDelivery(kv, message)) === "wake") await wake(message.kind, message.id);
    },
    async recover() {
      for (const owner of await dueWakeUps(kv)) {
        try {
          await wake(owner.kind, owner.id);
        } catch (err) {
          console.error("wake-up after restart failed; its queue message will retry", (err as Error)?.name);
        }
      }
    },
  };
}
