/**
 * Key objects created before the key logic moved to src/ kept their grants in a SQLite table
 * (`grants`); the KeyActor keeps them as records (src/grants/store.ts). On first start after the
 * upgrade each such object moves its grants over, in creation order, in one transaction, and
 * drops the table — so an existing local state keeps every grant.
 */
import type { GrantConstraints } from "../src/policy/grants.ts";
import { KeyGrants, type GrantRecord } from "../src/grants/store.ts";
import { DurableRecordStore } from "./durable-record-store.ts";

type Row = {
  grant_id: string;
  name: string | null;
  grantee: string;
  retiring: string | null;
  operations: string;
  constraints: string | null;
  issuing_account: string;
  created: number;
};

export async function migrateLegacyGrants(storage: DurableObjectStorage): Promise<void> {
  const sql = storage.sql;
  const table = sql.exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'grants'").toArray();
  if (table.length === 0) return;
  const rows = sql.exec<Row>("SELECT * FROM grants ORDER BY seq").toArray();
  await new DurableRecordStore(storage).transact(async (tx) => {
    const grants = new KeyGrants(tx);
    for (const r of rows) {
      const g: GrantRecord = {
        grantId: r.grant_id,
        granteePrincipal: r.grantee,
        operations: JSON.parse(r.operations) as string[],
        issuingAccount: r.issuing_account,
        creationDate: r.created,
      };
      if (r.name !== null) g.name = r.name;
      if (r.retiring !== null) g.retiringPrincipal = r.retiring;
      if (r.constraints !== null) g.constraints = JSON.parse(r.constraints) as GrantConstraints;
      // Idempotent: a crash between this commit and the DROP below moves nothing twice.
      if ((await grants.get(g.grantId)) === undefined) await grants.insert(g);
    }
  });
  sql.exec("DROP TABLE grants");
}
