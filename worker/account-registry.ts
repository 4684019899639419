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
 * retire grants (worker/key-grants.ts says in which order), so the list needs no scan of keys.
 */
import { DurableObject } from "cloudflare:workers";
import { KmsError } from "../src/protocol/errors.ts";
import type { Env } from "./config.ts";
import { decodeMarker, encodeMarker } from "../src/service/markers.ts";
import { rpcResult, type RpcResult } from "../src/service/rpc.ts";

export interface KeyListEntry {
  keyId: string;
  keyArn: string;
}

export interface AliasEntry {
  aliasName: string;
  targetKeyId: string;
  creationDate: number;
  lastUpdatedDate: number;
}

/** A grant as ListRetirableGrants lists it (GrantListEntry with the date in ms). */
export interface RetirableGrantEntry {
  KeyId: string;
  GrantId: string;
  Name?: string;
  CreationDate: number;
  GranteePrincipal: string;
  RetiringPrincipal: string;
  IssuingAccount: string;
  Operations: string[];
  Constraints?: { EncryptionContextSubset?: Record<string, string>; EncryptionContextEquals?: Record<string, string> };
}

export interface Page<T> {
  items: T[];
  nextMarker?: string;
}

export class AccountRegistry extends DurableObject<Env> {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
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
  ): Promise<RpcResult<Page<RetirableGrantEntry>>> {
    return rpcResult(() => {
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
      return rows.length > limit && last ? { items, nextMarker: encodeMarker("retirable", `${last.key_arn}\n${last.grant_id}`) } : { items };
    });
  }

  /** Registers a newly created key, refusing it when the account is at its key limit. */
  async addKey(entry: KeyListEntry, limit: number): Promise<RpcResult<null>> {
    return rpcResult(() =>
      this.ctx.storage.transactionSync(() => {
        const count = this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM keys").one().n;
        if (count >= limit) {
          throw new KmsError(
            "LimitExceededException",
            `This account already has the maximum of ${limit} customer master keys in this region.`,
          );
        }
        this.sql.exec("INSERT INTO keys (key_id, key_arn, created) VALUES (?, ?, ?)", entry.keyId, entry.keyArn, Date.now());
        return null;
      }),
    );
  }

  /** Forgets a key and every alias that points at it (idempotent). */
  async removeKey(keyId: string): Promise<void> {
    this.ctx.storage.transactionSync(() => {
      this.sql.exec("DELETE FROM aliases WHERE target_key_id = ?", keyId);
      this.sql.exec("DELETE FROM keys WHERE key_id = ?", keyId);
    });
  }

  async listKeys(limit: number, marker: string | undefined): Promise<RpcResult<Page<KeyListEntry>>> {
    return rpcResult(() => {
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

  async resolveAlias(aliasName: string): Promise<string | undefined> {
    const row = this.sql
      .exec<{ target_key_id: string }>("SELECT target_key_id FROM aliases WHERE alias_name = ?", aliasName)
      .toArray()[0];
    return row?.target_key_id;
  }

  async createAlias(aliasName: string, targetKeyId: string, limit: number, aliasArn: string): Promise<RpcResult<null>> {
    return rpcResult(() =>
      this.ctx.storage.transactionSync(() => {
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
      }),
    );
  }

  /** Points an existing alias at another key; returns false when the alias does not exist. */
  async updateAlias(aliasName: string, targetKeyId: string, expectedCurrentKeyId: string): Promise<boolean> {
    return this.ctx.storage.transactionSync(() => {
      const current = this.sql
        .exec<{ target_key_id: string }>("SELECT target_key_id FROM aliases WHERE alias_name = ?", aliasName)
        .toArray()[0];
      // The worker checked the old target's permissions; if the alias moved meanwhile, refuse.
      if (current === undefined || current.target_key_id !== expectedCurrentKeyId) return false;
      this.sql.exec("UPDATE aliases SET target_key_id = ?, updated = ? WHERE alias_name = ?", targetKeyId, Date.now(), aliasName);
      return true;
    });
  }

  async deleteAlias(aliasName: string, expectedKeyId: string): Promise<boolean> {
    return this.ctx.storage.transactionSync(() => {
      const cursor = this.sql.exec(
        "DELETE FROM aliases WHERE alias_name = ? AND target_key_id = ?",
        aliasName,
        expectedKeyId,
      );
      return cursor.rowsWritten > 0;
    });
  }

  async listAliases(
    keyId: string | undefined,
    limit: number,
    marker: string | undefined,
  ): Promise<RpcResult<Page<AliasEntry>>> {
    return rpcResult(() => {
      const after = marker === undefined ? "" : decodeMarker(marker, "aliases");
      type Row = { alias_name: string; target_key_id: string; created: number; updated: number };
      const rows =
        keyId === undefined
          ? this.sql
              .exec<Row>("SELECT * FROM aliases WHERE alias_name > ? ORDER BY alias_name LIMIT ?", after, limit + 1)
              .toArray()
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
