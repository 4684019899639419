/**
 * The Aliases page: every alias of the account with its target key, and forms to create an alias,
 * point an alias at another key (UpdateAlias) and delete one.
 */
import type { AliasListEntry } from "../../../src/protocol/shapes.ts";
import { Csrf, ErrorAlert, formatDate, Notice } from "../components.tsx";
import type { ApiError } from "../kms.ts";
import type { SignedInAs } from "../context.ts";
import { Layout } from "../layout.tsx";

export function AliasesPage(props: {
  signedInAs: SignedInAs;
  aliases: AliasListEntry[];
  keyIds: string[];
  notice?: string;
  error?: ApiError;
  drafts?: { alias?: string; target?: string };
}) {
  const csrf = props.signedInAs.csrfToken;
  const customer = props.aliases.filter((a) => !a.AliasName.startsWith("alias/aws/"));
  return (
    <Layout title="Aliases" signedInAs={props.signedInAs}>
      <Notice message={props.notice} />
      <ErrorAlert error={props.error} />
      <section class="panel" aria-labelledby="create-alias-heading">
        <h2 id="create-alias-heading">Create alias</h2>
        <form method="post" action="/console/aliases" class="toolbar">
          <Csrf token={csrf} />
          <div>
            <label for="alias-name">Alias name</label>
            <br />
            <span class="muted">alias/</span>
            <input type="text" id="alias-name" name="alias" value={props.drafts?.alias ?? ""} />
          </div>
          <div>
            <label for="alias-target">Target key</label>
            <br />
            <select id="alias-target" name="target">
              {props.keyIds.map((k) => (
                <option value={k} selected={k === props.drafts?.target}>
                  {k}
                </option>
              ))}
            </select>
          </div>
          <button type="submit" name="op" value="create" class="primary">
            Create alias
          </button>
        </form>
      </section>
      <table aria-label="Aliases">
        <thead>
          <tr>
            <th scope="col">Alias name</th>
            <th scope="col">Target key ID</th>
            <th scope="col">Creation date</th>
            <th scope="col">Change target key</th>
            <th scope="col">Delete</th>
          </tr>
        </thead>
        <tbody>
          {customer.length === 0 && (
            <tr>
              <td colspan={5} class="muted">
                No aliases.
              </td>
            </tr>
          )}
          {customer.map((a) => {
            const name = a.AliasName.replace(/^alias\//, "");
            return (
              <tr>
                <td>{a.AliasName}</td>
                <td>{a.TargetKeyId ? <a href={`/console/keys/${encodeURIComponent(a.TargetKeyId)}`}>{a.TargetKeyId}</a> : ""}</td>
                <td>{formatDate(a.CreationDate)}</td>
                <td>
                  <form method="post" action="/console/aliases" class="actions" style="margin:0">
                    <Csrf token={csrf} />
                    <input type="hidden" name="alias" value={name} />
                    <select name="target" aria-label={`New target key for ${name}`}>
                      {props.keyIds.map((k) => (
                        <option value={k} selected={k === a.TargetKeyId}>
                          {k}
                        </option>
                      ))}
                    </select>
                    <button type="submit" name="op" value="update" aria-label={`Update alias ${name}`}>
                      Update alias
                    </button>
                  </form>
                </td>
                <td>
                  <form method="post" action="/console/aliases" style="margin:0">
                    <Csrf token={csrf} />
                    <input type="hidden" name="alias" value={name} />
                    <button type="submit" name="op" value="delete" aria-label={`Delete alias ${name}`}>
                      Delete
                    </button>
                  </form>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </Layout>
  );
}
