/**
 * "Customer managed keys": the guide's list of CMKs (alias, key ID, status, creation date), the
 * settings to show additional columns, a filter, paging, and "Key actions" on the selected keys.
 */
import type { KeyMetadata } from "../../../src/protocol/shapes.ts";
import { Csrf, ErrorAlert, formatDate, KeyStatus, Notice } from "../components.tsx";
import type { ApiError } from "../kms.ts";
import type { SignedInAs } from "../context.ts";
import { Layout } from "../layout.tsx";

export interface KeyRow {
  keyId: string;
  arn: string;
  aliases: string[];
  metadata?: KeyMetadata;
  error?: ApiError;
}

/** The optional columns of the settings panel, in the guide's words where it has them. */
export const OPTIONAL_COLUMNS = [
  { id: "description", label: "Description" },
  { id: "origin", label: "Origin" },
  { id: "keySpec", label: "Key spec" },
  { id: "keyUsage", label: "Key usage" },
  { id: "expirationDate", label: "Expiration Date" },
  { id: "deletionDate", label: "Deletion date" },
  { id: "arn", label: "Key ARN" },
] as const;

export type ColumnId = (typeof OPTIONAL_COLUMNS)[number]["id"];

export const PAGE_SIZES = [10, 25, 50, 100];

export interface KeyListProps {
  signedInAs: SignedInAs;
  rows: KeyRow[];
  columns: ColumnId[];
  filter: string;
  page: number;
  pageSize: number;
  total: number;
  selected?: string[];
  error?: ApiError;
  errors?: { keyId: string; error: ApiError }[];
  notice?: string;
}

function cell(id: ColumnId, m: KeyMetadata | undefined, arn: string) {
  switch (id) {
    case "description":
      return m?.Description ?? "";
    case "origin":
      return m?.Origin === "EXTERNAL" ? "External" : m?.Origin === "AWS_KMS" ? "AWS_KMS" : (m?.Origin ?? "");
    case "keySpec":
      return m?.KeySpec ?? "";
    case "keyUsage":
      return m?.KeyUsage ?? "";
    case "expirationDate":
      return m?.ValidTo ? formatDate(m.ValidTo) : "";
    case "deletionDate":
      return m?.DeletionDate ? formatDate(m.DeletionDate) : "";
    case "arn":
      return arn;
  }
}

function query(p: { filter: string; page: number; pageSize: number; columns: ColumnId[] }): string {
  const q = new URLSearchParams();
  if (p.filter) q.set("filter", p.filter);
  if (p.page > 1) q.set("page", String(p.page));
  if (p.pageSize !== PAGE_SIZES[0]) q.set("size", String(p.pageSize));
  for (const col of p.columns) q.append("col", col);
  const s = q.toString();
  return s ? `?${s}` : "";
}

export function KeyListPage(props: KeyListProps) {
  const pages = Math.max(1, Math.ceil(props.total / props.pageSize));
  const first = props.total === 0 ? 0 : (props.page - 1) * props.pageSize + 1;
  const last = Math.min(props.total, props.page * props.pageSize);
  const base = { filter: props.filter, pageSize: props.pageSize, columns: props.columns };
  return (
    <Layout title="Customer managed keys" signedInAs={props.signedInAs}>
      <Notice message={props.notice} />
      <ErrorAlert error={props.error} />
      {(props.errors ?? []).map((e) => (
        <ErrorAlert error={e.error} context={e.keyId} />
      ))}
      <div class="toolbar">
        <form method="get" action="/console/keys" role="search" class="toolbar" style="margin:0">
          {props.columns.map((col) => (
            <input type="hidden" name="col" value={col} />
          ))}
          <div>
            <label for="filter">Filter</label>
            <br />
            <input type="search" id="filter" name="filter" value={props.filter} placeholder="Alias or key ID" />
          </div>
          <div>
            <label for="size">Keys per page</label>
            <br />
            <select id="size" name="size">
              {PAGE_SIZES.map((n) => (
                <option value={String(n)} selected={n === props.pageSize}>
                  {n}
                </option>
              ))}
            </select>
          </div>
          <button type="submit">Apply filter</button>
        </form>
        <a class="button primary" href="/console/keys/create">
          Create key
        </a>
        <details class="menu">
          <summary>Settings</summary>
          <form method="get" action="/console/keys" class="menu-items" aria-label="Additional columns">
            {props.filter && <input type="hidden" name="filter" value={props.filter} />}
            <input type="hidden" name="size" value={String(props.pageSize)} />
            <fieldset>
              <legend>Columns to show</legend>
              {OPTIONAL_COLUMNS.map((col) => (
                <div>
                  <input type="checkbox" id={`col-${col.id}`} name="col" value={col.id} checked={props.columns.includes(col.id)} />{" "}
                  <label for={`col-${col.id}`} style="font-weight:400">
                    {col.label}
                  </label>
                </div>
              ))}
            </fieldset>
            <button type="submit">Close</button>
          </form>
        </details>
      </div>

      <form method="post" action="/console/keys/actions">
        <Csrf token={props.signedInAs.csrfToken} />
        <div class="actions">
          <details class="menu">
            <summary>Key actions</summary>
            <div class="menu-items">
              <button type="submit" name="action" value="enable">
                Enable
              </button>
              <button type="submit" name="action" value="disable">
                Disable
              </button>
              <button type="submit" name="action" value="schedule-deletion">
                Schedule key deletion
              </button>
              <button type="submit" name="action" value="cancel-deletion">
                Cancel key deletion
              </button>
            </div>
          </details>
          <span class="muted" aria-live="polite">
            {props.total === 0 ? "No keys" : `Showing ${first}–${last} of ${props.total} keys`}
          </span>
        </div>
        <table aria-label="Customer managed keys">
          <thead>
            <tr>
              <th scope="col">
                <span class="hint">Select</span>
              </th>
              <th scope="col">Alias</th>
              <th scope="col">Key ID</th>
              <th scope="col">Status</th>
              <th scope="col">Creation date</th>
              {OPTIONAL_COLUMNS.filter((c) => props.columns.includes(c.id)).map((c) => (
                <th scope="col">{c.label}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {props.rows.map((r) => {
              const label = r.aliases[0] ? r.aliases[0].replace(/^alias\//, "") : r.keyId;
              return (
                <tr>
                  <td>
                    <input
                      type="checkbox"
                      name="key"
                      value={r.keyId}
                      aria-label={`Select ${label}`}
                      checked={props.selected?.includes(r.keyId) ?? false}
                    />
                  </td>
                  <td>
                    {r.aliases.length === 0 ? (
                      <span class="muted">–</span>
                    ) : (
                      r.aliases.map((a, i) => (
                        <>
                          {i > 0 && ", "}
                          <a href={`/console/keys/${encodeURIComponent(r.keyId)}`}>{a.replace(/^alias\//, "")}</a>
                        </>
                      ))
                    )}
                  </td>
                  <td>
                    <a href={`/console/keys/${encodeURIComponent(r.keyId)}`}>{r.keyId}</a>
                  </td>
                  <td>{r.error ? <span title={r.error.message}>{r.error.type}</span> : <KeyStatus state={r.metadata?.KeyState} />}</td>
                  <td>{formatDate(r.metadata?.CreationDate)}</td>
                  {OPTIONAL_COLUMNS.filter((c) => props.columns.includes(c.id)).map((c) => (
                    <td>{cell(c.id, r.metadata, r.arn)}</td>
                  ))}
                </tr>
              );
            })}
          </tbody>
        </table>
      </form>
      <nav aria-label="Pages" class="actions">
        {props.page > 1 ? (
          <a href={`/console/keys${query({ ...base, page: props.page - 1 })}`}>Previous page</a>
        ) : (
          <span class="muted">Previous page</span>
        )}
        <span>
          Page {props.page} of {pages}
        </span>
        {props.page < pages ? (
          <a href={`/console/keys${query({ ...base, page: props.page + 1 })}`}>Next page</a>
        ) : (
          <span class="muted">Next page</span>
        )}
      </nav>
    </Layout>
  );
}
