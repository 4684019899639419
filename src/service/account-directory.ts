/**
 * One account's directory in one region (AccountApi, src/service/ports.ts) on the storage port
 * (src/store/port.ts): its key list, its aliases and the index of grants whose retiring principal
 * is in the account. The Deno runtime uses it over Deno KV (deno/kv-record-store.ts); on
 * Cloudflare the AccountRegistry Durable Object (worker/account-registry.ts) keeps the same
 * directory in SQL, with the same answers.
 *
 * Written for an optimistic store, where several processes run transactions at once: every limit
 * is a counter entry read and written in the transaction that checks it (`key-count`,
 * `alias-count`), and an alias name is one entry, so two concurrent CreateAlias of one name
 * conflict and the second, retried, finds the first.
 *
 * Layout: `keys:<key ID>` → KeyListEntry; `alias:<name>` → AliasEntry; `alias-of:<key ID>\n<name>`
 * (aliases by target); `retirable:<principal>\n<key ARN>\n<grant ID>` → RetirableGrantEntry and
 * `retirable-of:<key ARN>\n<principal>\n<grant ID>` (by key, for a deleted key); `outbox:` as
 * src/audit/outbox.ts lays it out.
 *
 * Audit outbox: the operations that end a call (CreateKey's registration, the alias operations,
 * ListKeys, ListAliases, ListRetirableGrants) write its record in their own transaction; `wake`
 * forwards them.
 */
import { addToOutbox, auditEntry, forwardOutbox, outboxPending, type AuditDraft, type AuditSink } from "../audit/outbox.ts";
import type { RetirableGrantEntry } from "../grants/store.ts";
import { KmsError } from "../protocol/errors.ts";
import type { RecordStore, RecordTx, WakeUps } from "../store/port.ts";
import { decodeMarker, encodeMarker } from "./markers.ts";
import type { AccountApi, AccountResult, AliasEntry, KeyListEntry, Page } from "./ports.ts";

const KEYS = "keys:";
const KEY_COUNT = "key-count";
const ALIAS = "alias:";
const ALIAS_OF = "alias-of:";
const ALIAS_COUNT = "alias-count";
const RETIRABLE = "retirable:";
const RETIRABLE_OF = "retirable-of:";
/** Delay before a failed forwarding is tried again. */
const RETRY_MS = 5_000;

export interface AccountDirectoryPorts {
  store: RecordStore;
  wakeUps: WakeUps;
  audit: AuditSink;
  /** How long a call's record waits in the outbox before it is forwarded. */
  auditForwardDelayMs(): number;
}

async function counter(tx: RecordTx, key: string): Promise<number> {
  return (await tx.get<number>(key)) ?? 0;
}

function page<T>(entries: T[], limit: number, marker: (last: T) => string): Page<T> {
  const items = entries.slice(0, limit);
  const last = items[items.length - 1];
  return entries.length > limit && last !== undefined ? { items, nextMarker: marker(last) } : { items };
}

export class AccountDirectory implements AccountApi {
  constructor(private readonly ports: AccountDirectoryPorts) {}

  private get store(): RecordStore {
    return this.ports.store;
  }

  /**
   * Runs `run` in one transaction with the call's audit record (when there is a draft); a
   * KmsError is answered as a refusal, recorded in a transaction of its own.
   */
  private async audited<T>(
    audit: AuditDraft | undefined,
    run: (tx: RecordTx) => Promise<T>,
    response: (value: T) => unknown = () => null,
  ): Promise<AccountResult<T>> {
    let result: AccountResult<T>;
    try {
      const value = await this.store.transact(async (tx) => {
        const v = await run(tx);
        if (audit !== undefined) addToOutbox(tx, auditEntry(audit, { response: response(v) }, []));
        return v;
      });
      result = { ok: true, value, recorded: audit !== undefined };
    } catch (err) {
      if (!(err instanceof KmsError)) throw err;
      if (audit !== undefined) await this.store.transact(async (tx) => addToOutbox(tx, auditEntry(audit, { error: err }, [])));
      result = { ok: false, type: err.type, message: err.message, recorded: audit !== undefined };
    }
    if (audit !== undefined) await this.ports.wakeUps.wakeBy(Date.now() + this.ports.auditForwardDelayMs());
    return result;
  }

  /** Forwards the outbox to the audit log; idempotent, retried later when forwarding fails. */
  async wake(): Promise<void> {
    let done = false;
    try {
      done = await forwardOutbox(this.store, this.ports.audit);
    } catch (err) {
      console.error("audit outbox: forwarding failed; retrying", (err as Error)?.name);
      await this.ports.wakeUps.wakeAt(Date.now() + RETRY_MS);
      return;
    }
    const pending = !done || (await this.store.transact((tx) => outboxPending(tx)));
    await this.ports.wakeUps.wakeAt(pending ? Date.now() + this.ports.auditForwardDelayMs() : undefined);
  }

  // ---- keys ---------------------------------------------------------------------------------------

  async addKey(entry: KeyListEntry, limit: number, audit?: AuditDraft, response?: unknown): Promise<AccountResult<null>> {
    return this.audited(
      audit,
      async (tx) => {
        const count = await counter(tx, KEY_COUNT);
        if (count >= limit) {
          throw new KmsError(
            "LimitExceededException",
            `This account already has the maximum of ${limit} customer master keys in this region.`,
          );
        }
        if ((await tx.get(KEYS + entry.keyId)) !== undefined) return null;
        tx.put(KEYS + entry.keyId, { keyId: entry.keyId, keyArn: entry.keyArn } satisfies KeyListEntry);
        tx.put(KEY_COUNT, count + 1);
        return null;
      },
      () => response ?? null,
    );
  }

  /** True when the account lists the key (key IDs without a tag, src/keys/key-id.ts). */
  async hasKey(keyId: string): Promise<boolean> {
    return this.store.transact(async (tx) => (await tx.get(KEYS + keyId)) !== undefined);
  }

  /** Forgets a key and every alias that points at it (idempotent). */
  async removeKey(keyId: string): Promise<void> {
    await this.store.transact(async (tx) => {
      const aliases = await tx.list(`${ALIAS_OF}${keyId}\n`);
      for (const [key] of aliases) {
        tx.delete(key);
        tx.delete(ALIAS + key.slice(`${ALIAS_OF}${keyId}\n`.length));
      }
      if (aliases.length > 0) tx.put(ALIAS_COUNT, Math.max(0, (await counter(tx, ALIAS_COUNT)) - aliases.length));
      if ((await tx.get(KEYS + keyId)) !== undefined) {
        tx.delete(KEYS + keyId);
        tx.put(KEY_COUNT, Math.max(0, (await counter(tx, KEY_COUNT)) - 1));
      }
    });
  }

  async listKeys(limit: number, marker: string | undefined, audit?: AuditDraft): Promise<AccountResult<Page<KeyListEntry>>> {
    return this.audited(audit, async (tx) => {
      const after = marker === undefined ? undefined : decodeMarker(marker, "keys");
      const entries = await tx.list<KeyListEntry>(KEYS, { limit: limit + 1, ...(after === undefined ? {} : { after }) });
      return page(
        entries.map(([, e]) => e),
        limit,
        (last) => encodeMarker("keys", last.keyId),
      );
    });
  }

  // ---- aliases ------------------------------------------------------------------------------------

  async resolveAlias(aliasName: string): Promise<string | undefined> {
    return this.store.transact(async (tx) => (await tx.get<AliasEntry>(ALIAS + aliasName))?.targetKeyId);
  }

  async createAlias(
    aliasName: string,
    targetKeyId: string,
    limit: number,
    aliasArn: string,
    audit?: AuditDraft,
  ): Promise<AccountResult<null>> {
    return this.audited(audit, async (tx) => {
      if ((await tx.get(ALIAS + aliasName)) !== undefined) {
        throw new KmsError("AlreadyExistsException", `An alias with the name ${aliasArn} already exists`);
      }
      const count = await counter(tx, ALIAS_COUNT);
      if (count >= limit)
        throw new KmsError("LimitExceededException", `This account already has the maximum of ${limit} aliases in this region.`);
      const now = Date.now();
      tx.put(ALIAS + aliasName, { aliasName, targetKeyId, creationDate: now, lastUpdatedDate: now } satisfies AliasEntry);
      tx.put(`${ALIAS_OF}${targetKeyId}\n${aliasName}`, 1);
      tx.put(ALIAS_COUNT, count + 1);
      return null;
    });
  }

  /** Points an existing alias at another key; refused when the alias moved since it was checked. */
  async updateAlias(
    aliasName: string,
    targetKeyId: string,
    expectedCurrentKeyId: string,
    aliasArn: string,
    audit?: AuditDraft,
  ): Promise<AccountResult<null>> {
    return this.audited(audit, async (tx) => {
      const current = await tx.get<AliasEntry>(ALIAS + aliasName);
      if (current === undefined || current.targetKeyId !== expectedCurrentKeyId) {
        throw new KmsError("KMSInvalidStateException", `Alias ${aliasArn} changed while it was being updated; retry the request.`);
      }
      tx.put(ALIAS + aliasName, { ...current, targetKeyId, lastUpdatedDate: Date.now() } satisfies AliasEntry);
      tx.delete(`${ALIAS_OF}${current.targetKeyId}\n${aliasName}`);
      tx.put(`${ALIAS_OF}${targetKeyId}\n${aliasName}`, 1);
      return null;
    });
  }

  async deleteAlias(aliasName: string, expectedKeyId: string, aliasArn: string, audit?: AuditDraft): Promise<AccountResult<null>> {
    return this.audited(audit, async (tx) => {
      const current = await tx.get<AliasEntry>(ALIAS + aliasName);
      if (current === undefined || current.targetKeyId !== expectedKeyId)
        throw new KmsError("NotFoundException", `Alias ${aliasArn} is not found.`);
      tx.delete(ALIAS + aliasName);
      tx.delete(`${ALIAS_OF}${expectedKeyId}\n${aliasName}`);
      tx.put(ALIAS_COUNT, Math.max(0, (await counter(tx, ALIAS_COUNT)) - 1));
      return null;
    });
  }

  /**
   * ListAliases, optionally only the aliases of one key of this account.
   * @throws NotFoundException when `keyId` names no key of this account (as AWS answers)
   */
  async listAliases(
    keyId: string | undefined,
    keyArn: string | undefined,
    limit: number,
    marker: string | undefined,
    audit?: AuditDraft,
  ): Promise<AccountResult<Page<AliasEntry>>> {
    return this.audited(audit, async (tx) => {
      const after = marker === undefined ? undefined : decodeMarker(marker, "aliases");
      const range = after === undefined ? { limit: limit + 1 } : { limit: limit + 1, after };
      let entries: AliasEntry[];
      if (keyId === undefined) {
        entries = (await tx.list<AliasEntry>(ALIAS, range)).map(([, e]) => e);
      } else {
        if ((await tx.get(KEYS + keyId)) === undefined) throw new KmsError("NotFoundException", `Key '${keyArn ?? keyId}' does not exist`);
        const prefix = `${ALIAS_OF}${keyId}\n`;
        const names = (await tx.list(prefix, range)).map(([k]) => k.slice(prefix.length));
        entries = [];
        for (const name of names) {
          const entry = await tx.get<AliasEntry>(ALIAS + name);
          if (entry !== undefined) entries.push(entry);
        }
      }
      return page(entries, limit, (last) => encodeMarker("aliases", last.aliasName));
    });
  }

  // ---- retirable grants index (ListRetirableGrants) ----------------------------------------------

  /** Records a grant under its retiring principal (idempotent). */
  async indexRetirableGrant(entry: RetirableGrantEntry): Promise<void> {
    await this.store.transact(async (tx) => {
      tx.put(`${RETIRABLE}${entry.RetiringPrincipal}\n${entry.KeyId}\n${entry.GrantId}`, entry);
      tx.put(`${RETIRABLE_OF}${entry.KeyId}\n${entry.RetiringPrincipal}\n${entry.GrantId}`, 1);
    });
  }

  /** Forgets one grant (idempotent). */
  async unindexRetirableGrant(retiringPrincipal: string, keyArn: string, grantId: string): Promise<void> {
    await this.store.transact(async (tx) => {
      tx.delete(`${RETIRABLE}${retiringPrincipal}\n${keyArn}\n${grantId}`);
      tx.delete(`${RETIRABLE_OF}${keyArn}\n${retiringPrincipal}\n${grantId}`);
    });
  }

  /** Forgets every grant of a deleted key (idempotent). */
  async forgetRetirableGrantsOfKey(keyArn: string): Promise<void> {
    await this.store.transact(async (tx) => {
      const prefix = `${RETIRABLE_OF}${keyArn}\n`;
      for (const [key] of await tx.list(prefix)) {
        const [principal, grantId] = key.slice(prefix.length).split("\n");
        tx.delete(key);
        tx.delete(`${RETIRABLE}${principal}\n${keyArn}\n${grantId}`);
      }
    });
  }

  async listRetirableGrants(
    retiringPrincipal: string,
    limit: number,
    marker: string | undefined,
    audit?: AuditDraft,
  ): Promise<AccountResult<Page<RetirableGrantEntry>>> {
    return this.audited(audit, async (tx) => {
      const position = marker === undefined ? undefined : decodeMarker(marker, "retirable");
      if (position !== undefined && position.split("\n").length !== 2) throw new KmsError("InvalidMarkerException", "Invalid marker.");
      const prefix = `${RETIRABLE}${retiringPrincipal}\n`;
      const entries = await tx.list<RetirableGrantEntry>(prefix, {
        limit: limit + 1,
        ...(position === undefined ? {} : { after: position }),
      });
      return page(
        entries.map(([, e]) => e),
        limit,
        (last) => encodeMarker("retirable", `${last.KeyId}\n${last.GrantId}`),
      );
    });
  }
}
