/**
 * AccountRegistry: one Durable Object per account and region, holding the list of its keys (for
 * ListKeys and the per-account key limit) and its aliases (names are unique per account and
 * region, so the uniqueness check and the insert happen in one transaction here).
 *
 * It never holds key material or key state: a key's own KeyObject is the truth about the key, and
 * the worker checks the key there before it changes an alias here.
 *
 * It also indexes, for ListRetirableGrants, the grants (on any key, in any account) whose
 * retiring principal is in this account: key objects add and remove entries as they create and
 * retire grants (src/grants/store.ts says in which order), so the list needs no scan of keys.
 *
 * Audit outbox: the account operations it answers last (CreateKey's registration, the alias
 * operations, ListKeys, ListAliases, ListRetirableGrants) take the call's AuditDraft and write the
 * call's record in the same transaction (src/audit/outbox.ts); the alarm forwards it.
 */
import { DurableObject } from "cloudflare:workers";
import { auditEntry, forwardOutbox, outboxKey, type AuditDraft, type OutboxEntry } from "../src/audit/outbox.ts";
import type { RetirableGrantEntry } from "../src/grants/store.ts";
import { KmsError } from "../src/protocol/errors.ts";
import { settings, type Env } from "./config.ts";
import { decodeMarker, encodeMarker } from "../src/service/markers.ts";
import type { AccountApi, AliasEntry, KeyListEntry, Page } from "../src/service/ports.ts";
import type { RpcResult } from "../src/service/rpc.ts";
import { auditSink } from "./audit.ts";
import { AlarmClock } from "./alarm-clock.ts";
import { DurableRecordStore } from "./durable-record-store.ts";

export type { RetirableGrantEntry };

/** An answer, and whether this object wrote the call's audit record. */
export type RegistryResult<T> = RpcResult<T> & { recorded: boolean };

export type { AliasEntry, KeyListEntry, Page };

export class AccountRegistry extends DurableObject<Env> implements AccountApi {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.clock = new AlarmClock(ctx.storage);
    this.sql.exec(`CREATE TABLE IF NOT EXISTS keys (
      key_id TEXT PRIMARY KEY,
      key_arn TEXT NOT NULL,
      created INTEGER NOT NULL
    )`);
    this.sql.exec(`CREATE TABLE IF NOT EXISTS aliases (
      alias_name TEXT PRIMARY KEY,
      target_key_id TEXT NOT NULL,
      created INTEGER NOT NULL,
      updated INTEGER NOT NULL
    )`);
    this.sql.exec("CREATE INDEX IF NOT EXISTS aliases_by_key ON aliases (target_key_id, alias_name)");
    this.sql.exec(`CREATE TABLE IF NOT EXISTS retirable_grants (
      retiring_principal TEXT NOT NULL,
      key_arn TEXT NOT NULL,
      grant_id TEXT NOT NULL,
      entry TEXT NOT NULL,
      PRIMARY KEY (retiring_principal, key_arn, grant_id)
    )`);
    this.sql.exec("CREATE INDEX IF NOT EXISTS retirable_grants_by_key ON retirable_grants (key_arn)");
  }

  // ---- the audit outbox ---------------------------------------------------------------------------

  private readonly clock: AlarmClock;

  /**
   * Runs `run` in one transaction with the call's audit record (when there is a draft); a
   * KmsError is answered as a refusal, recorded in a transaction of its own.
   */
  private async audited<T>(
    audit: AuditDraft | undefined,
    run: () => T,
    response: (value: T) => unknown = () => null,
  ): Promise<RegistryResult<T>> {
    let result: RegistryResult<T>;
    try {
      const value = this.ctx.storage.transactionSync(() => {
        const v = run();
        if (audit !== undefined) this.addToOutbox(auditEntry(audit, { response: response(v) }, []));
        return v;
      });
      result = { ok: true, value, recorded: audit !== undefined };
    } catch (err) {
      if (!(err instanceof KmsError)) throw err;
      if (audit !== undefined) this.ctx.storage.transactionSync(() => this.addToOutbox(auditEntry(audit, { error: err }, [])));
      result = { ok: false, type: err.type, message: err.message, recorded: audit !== undefined };
    }
    if (audit !== undefined) await this.clock.wakeBy(Date.now() + settings(this.env).auditForwardDelayMs);
    return result;
  }

  private addToOutbox(entry: OutboxEntry): void {
    this.ctx.storage.kv.put(outboxKey(entry, Date.now()), entry);
  }

  /** Forwards the outbox to the audit log; retries later when that fails. */
  override async alarm(): Promise<void> {
    this.clock.consumed();
    let done = false;
    try {
      done = await forwardOutbox(new DurableRecordStore(this.ctx.storage), auditSink(this.env, this.ctx.id.toString()));
    } catch (err) {
      console.error("audit outbox: forwarding failed; retrying", (err as Error)?.name);
    }
    if (!done) await this.clock.wakeBy(Date.now() + 5_000);
  }

  // ---- retirable grants index (ListRetirableGrants) ----------------------------------------------

  /** Records a grant under its retiring principal (idempotent). */
  async indexRetirableGrant(entry: RetirableGrantEntry): Promise<void> {
    this.sql.exec(
      "INSERT OR REPLACE INTO retirable_grants (retiring_principal, key_arn, grant_id, entry) VALUES (?, ?, ?, ?)",
      entry.RetiringPrincipal,
      entry.KeyId,
      entry.GrantId,
      JSON.stringify(entry),
    );
  }

  /** Forgets one grant (idempotent). */
  async unindexRetirableGrant(retiringPrincipal: string, keyArn: string, grantId: string): Promise<void> {
    this.sql.exec(
      "DELETE FROM retirable_grants WHERE retiring_principal = ? AND key_arn = ? AND grant_id = ?",
      retiringPrincipal,
      keyArn,
      grantId,
    );
  }

  /** Forgets every grant of a deleted key (idempotent). */
  async forgetRetirableGrantsOfKey(keyArn: string): Promise<void> {
    this.sql.exec("DELETE FROM retirable_grants WHERE key_arn = ?", keyArn);
  }

  async listRetirableGrants(
    retiringPrincipal: string,
    limit: number,
    marker: string | undefined,
    audit?: AuditDraft,
  ): Promise<RegistryResult<Page<RetirableGrantEntry>>> {
    return this.audited(audit, () => {
      const position = marker === undefined ? undefined : decodeMarker(marker, "retirable");
      const [afterKey, afterGrant] = position === undefined ? ["", ""] : position.split("\n");
      if (afterKey === undefined || afterGrant === undefined) throw new KmsError("InvalidMarkerException", "Invalid marker.");
      const rows = this.sql
        .exec<{ key_arn: string; grant_id: string; entry: string }>(
          `SELECT key_arn, grant_id, entry FROM retirable_grants
           WHERE retiring_principal = ? AND (key_arn > ? OR (key_arn = ? AND grant_id > ?))
           ORDER BY key_arn, grant_id LIMIT ?`,
          retiringPrincipal,
          afterKey,
          afterKey,
          afterGrant,
          limit + 1,
        )
        .toArray();
      const page = rows.slice(0, limit);
      const items = page.map((r) => JSON.parse(r.entry) as RetirableGrantEntry);
      const last = page[page.length - 1];
      return rows.length > limit && last
        ? { items, nextMarker: encodeMarker("retirable", `${last.key_arn}\n${last.grant_id}`) }
        : { items };
    });
  }

  // ---- keys ---------------------------------------------------------------------------------------

  /**
   * Registers a newly created key, refusing it when the account is at its key limit. `response`
   * is CreateKey's answer, for the call's record.
   */
  async addKey(entry: KeyListEntry, limit: number, audit?: AuditDraft, response?: unknown): Promise<RegistryResult<null>> {
    return this.audited(
      audit,
      () => {
        const count = this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM keys").one().n;
        if (count >= limit) {
          throw new KmsError(
            "LimitExceededException",
            `This account already has the maximum of ${limit} customer master keys in this region.`,
          );
        }
        this.sql.exec("INSERT INTO keys (key_id, key_arn, created) VALUES (?, ?, ?)", entry.keyId, entry.keyArn, Date.now());
        return null;
      },
      () => response ?? null,
    );
  }

  /** Forgets a key and every alias that points at it (idempotent). */
  async removeKey(keyId: string): Promise<void> {
    this.ctx.storage.transactionSync(() => {
      this.sql.exec("DELETE FROM aliases WHERE target_key_id = ?", keyId);
      this.sql.exec("DELETE FROM keys WHERE key_id = ?", keyId);
    });
  }

  /** True when the key is registered in this account (key IDs without a tag, src/keys/key-id.ts). */
  async hasKey(keyId: string): Promise<boolean> {
    return this.listsKey(keyId);
  }

  private listsKey(keyId: string): boolean {
    return this.sql.exec("SELECT 1 FROM keys WHERE key_id = ?", keyId).toArray().length > 0;
  }

  async listKeys(limit: number, marker: string | undefined, audit?: AuditDraft): Promise<RegistryResult<Page<KeyListEntry>>> {
    return this.audited(audit, () => {
      const after = marker === undefined ? "" : decodeMarker(marker, "keys");
      const rows = this.sql
        .exec<{ key_id: string; key_arn: string }>(
          "SELECT key_id, key_arn FROM keys WHERE key_id > ? ORDER BY key_id LIMIT ?",
          after,
          limit + 1,
        )
        .toArray();
      const items = rows.slice(0, limit).map((r) => ({ keyId: r.key_id, keyArn: r.key_arn }));
      const last = items[items.length - 1];
      return rows.length > limit && last ? { items, nextMarker: encodeMarker("keys", last.keyId) } : { items };
    });
  }

  // ---- aliases ------------------------------------------------------------------------------------

  async resolveAlias(aliasName: string): Promise<string | undefined> {
    const row = this.sql.exec<{ target_key_id: string }>("SELECT target_key_id FROM aliases WHERE alias_name = ?", aliasName).toArray()[0];
    return row?.target_key_id;
  }

  async createAlias(
    aliasName: string,
    targetKeyId: string,
    limit: number,
    aliasArn: string,
    audit?: AuditDraft,
  ): Promise<RegistryResult<null>> {
    return this.audited(audit, () => {
      if (this.sql.exec("SELECT 1 FROM aliases WHERE alias_name = ?", aliasName).toArray().length > 0) {
        throw new KmsError("AlreadyExistsException", `An alias with the name ${aliasArn} already exists`);
      }
      const count = this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM aliases").one().n;
      if (count >= limit) {
        throw new KmsError("LimitExceededException", `This account already has the maximum of ${limit} aliases in this region.`);
      }
      const now = Date.now();
      this.sql.exec(
        "INSERT INTO aliases (alias_name, target_key_id, created, updated) VALUES (?, ?, ?, ?)",
        aliasName,
        targetKeyId,
        now,
        now,
      );
      return null;
    });
  }

  /**
   * Points an existing alias at another key. The worker checked the old target's permissions; if
   * the alias moved meanwhile, the update is refused.
   */
  async updateAlias(
    aliasName: string,
    targetKeyId: string,
    expectedCurrentKeyId: string,
    aliasArn: string,
    audit?: AuditDraft,
  ): Promise<RegistryResult<null>> {
    return this.audited(audit, () => {
      const current = this.sql
        .exec<{ target_key_id: string }>("SELECT target_key_id FROM aliases WHERE alias_name = ?", aliasName)
        .toArray()[0];
      if (current === undefined || current.target_key_id !== expectedCurrentKeyId) {
        throw new KmsError("KMSInvalidStateException", `Alias ${aliasArn} changed while it was being updated; retry the request.`);
      }
      this.sql.exec("UPDATE aliases SET target_key_id = ?, updated = ? WHERE alias_name = ?", targetKeyId, Date.now(), aliasName);
      return null;
    });
  }

  async deleteAlias(aliasName: string, expectedKeyId: string, aliasArn: string, audit?: AuditDraft): Promise<RegistryResult<null>> {
    return this.audited(audit, () => {
      const cursor = this.sql.exec("DELETE FROM aliases WHERE alias_name = ? AND target_key_id = ?", aliasName, expectedKeyId);
      if (cursor.rowsWritten === 0) throw new KmsError("NotFoundException", `Alias ${aliasArn} is not found.`);
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
  ): Promise<RegistryResult<Page<AliasEntry>>> {
    return this.audited(audit, () => {
      if (keyId !== undefined && !this.listsKey(keyId)) throw new KmsError("NotFoundException", `Key '${keyArn ?? keyId}' does not exist`);
      const after = marker === undefined ? "" : decodeMarker(marker, "aliases");
      type Row = { alias_name: string; target_key_id: string; created: number; updated: number };
      const rows =
        keyId === undefined
          ? this.sql.exec<Row>("SELECT * FROM aliases WHERE alias_name > ? ORDER BY alias_name LIMIT ?", after, limit + 1).toArray()
          : this.sql
              .exec<Row>(
                "SELECT * FROM aliases WHERE target_key_id = ? AND alias_name > ? ORDER BY alias_name LIMIT ?",
                keyId,
                after,
                limit + 1,
              )
              .toArray();
      const items = rows.slice(0, limit).map((r) => ({
        aliasName: r.alias_name,
        targetKeyId: r.target_key_id,
        creationDate: r.created,
        lastUpdatedDate: r.updated,
      }));
      const last = items[items.length - 1];
      return rows.length > limit && last ? { items, nextMarker: encodeMarker("aliases", last.aliasName) } : { items };
    });
  }
}
