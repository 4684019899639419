/**
 * Scheduled deletion of one key object (the guide's "Deleting Customer Master Keys") and the key
 * events its lifecycle emits.
 *
 * A deletion happens in two steps, each idempotent: the key object buries the key (one transaction:
 * everything removed, a tombstone left, every method answers NotFound), then the account registry
 * forgets it and its aliases and the tombstone goes; the alarm retries the second step until it
 * succeeds. A CancelKeyDeletion either runs before the first step (the key is Disabled and is never
 * buried) or after it (there is no key): there is no state in between.
 */
import type { KeyState } from "../src/keys/key-state.ts";
import { parseKeyArn } from "../src/arn.ts";
import type { KeyCall } from "../src/service/caller.ts";
import { emitKeyEvent, keyEvent } from "./key-events.ts";
import type { KeyStore, Tombstone } from "./key-store.ts";

/** ScheduleKeyDeletion's result. */
export interface ScheduledDeletion {
  keyArn: string;
  deletionDate: Date;
  pendingWindowInDays: number;
}

/** Delay before the alarm retries the account-registry step of a deletion that failed. */
const DELETION_RETRY_MS = 10_000;

/**
 * Puts the key in PendingDeletion for `pendingWindowInDays` "days" (each DELETION_DAY_SECONDS
 * long; AWS's 7–30 bounds are checked by the handler). The alarm deletes it at DeletionDate.
 */
export async function scheduleDeletion(store: KeyStore, call: KeyCall, pendingWindowInDays: number): Promise<ScheduledDeletion> {
  const record = store.guard(call, "ScheduleKeyDeletion", "kms:ScheduleKeyDeletion");
  const deletionDate = Date.now() + pendingWindowInDays * store.settings.deletionDayMs;
  store.update(record, { keyState: "PendingDeletion", deletionDate, pendingWindowInDays });
  await store.scheduleAlarm();
  return { keyArn: record.arn, deletionDate: new Date(deletionDate), pendingWindowInDays };
}

/**
 * Takes the key out of PendingDeletion: to Disabled, or to PendingImport for an EXTERNAL key whose
 * material expired or was deleted meanwhile. Returns the key ARN.
 */
export async function cancelDeletion(store: KeyStore, call: KeyCall): Promise<string> {
  const record = store.guard(call, "CancelKeyDeletion", "kms:CancelKeyDeletion");
  const keyState: KeyState = record.origin === "EXTERNAL" && record.currentVersion === 0 ? "PendingImport" : "Disabled";
  store.update(record, { keyState, deletionDate: undefined, pendingWindowInDays: undefined });
  await store.scheduleAlarm();
  return record.arn;
}

/**
 * Step 2: the key's grants and their retiring-principal index entries, then the account registry's
 * entry and every alias pointing at the key, then the tombstone. If a step fails the alarm retries.
 */
export async function finishDeletion(store: KeyStore, tombstone: Tombstone): Promise<void> {
  const parsed = parseKeyArn(tombstone.arn);
  if (parsed !== undefined) {
    try {
      await store.grants.forgetAll(store.env, tombstone.arn);
      const registry = store.env.ACCOUNTS.get(store.env.ACCOUNTS.idFromName(`${parsed.account}:${parsed.region}`));
      await registry.removeKey(tombstone.keyId);
    } catch (err) {
      console.error("key deletion: account registry step failed; retrying", (err as Error)?.name);
      await store.ctx.storage.setAlarm(Date.now() + DELETION_RETRY_MS);
      return;
    }
  }
  await recordKeyEvent(store, "KMS CMK Deletion", tombstone.arn);
  await store.erase();
}

/**
 * The guide's "KMS CMK Deletion" and "KMS Imported Key Material Expiration" events, recorded by
 * the audit module (worker/key-events.ts). An audit outage must not hold back a deletion or an
 * expiry, so a failure to record is logged (by error name only) and the lifecycle step stands.
 */
export async function recordKeyEvent(
  store: KeyStore,
  detailType: "KMS CMK Deletion" | "KMS Imported Key Material Expiration",
  keyArn: string,
): Promise<void> {
  try {
    await emitKeyEvent(store.env, keyEvent(detailType, keyArn, new Date()));
  } catch (err) {
    console.error("key event not recorded", detailType, (err as Error)?.name);
  }
}
