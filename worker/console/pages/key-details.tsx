/**
 * The key details page, section by section as the guide's "Editing Keys" describes it: Summary
 * (with the editable Description), Key actions, Key Policy (default view: Key Administrators with
 * Key Deletion, Key Users with This Account and External Accounts; or the policy view), Tags, Key
 * Rotation, Aliases, Grants and, for EXTERNAL keys, Key Material.
 *
 * Each section shows its own API refusal (a user may be allowed DescribeKey but not GetKeyPolicy)
 * and keeps what was typed into its form when an action is refused.
 */
import type { AliasListEntry, GetKeyRotationStatusResponse, GrantListEntry, KeyMetadata, Tag } from "../../../src/protocol/shapes.ts";
import {
  Csrf,
  describePrincipal,
  ErrorAlert,
  formatDate,
  KeyStatus,
  Notice,
  PrincipalTable,
  Section,
  type PrincipalRow,
} from "../components.tsx";
import type { DefaultView } from "../default-policy.ts";
import type { ApiError, Result } from "../kms.ts";
import type { SignedInAs } from "../context.ts";
import { Layout } from "../layout.tsx";

export type SectionId =
  | "summary"
  | "actions"
  | "policy"
  | "administrators"
  | "users"
  | "accounts"
  | "tags"
  | "rotation"
  | "aliases"
  | "grants"
  | "key-material"
  | "regionality";

/** What the user typed, given back to the form after a refusal. */
export interface Drafts {
  description?: string;
  policy?: string;
  tags?: { key: string; value: string }[];
  alias?: string;
  externalAccount?: string;
  expires?: boolean;
  expirationDate?: string;
  expirationTime?: string;
  wrappingAlgorithm?: string;
}

export interface KeyDetailsProps {
  signedInAs: SignedInAs;
  metadata: KeyMetadata;
  policy: Result<string>;
  defaultView: DefaultView | undefined;
  view: "default" | "policy";
  candidates: PrincipalRow[];
  tags: Result<Tag[]>;
  rotation: Result<GetKeyRotationStatusResponse> | { ok: "not-applicable"; reason: string };
  aliases: Result<AliasListEntry[]>;
  grants: Result<GrantListEntry[]>;
  notice?: string;
  errors: Partial<Record<SectionId, ApiError>>;
  drafts: Drafts;
}

function SectionError(props: { result: { ok: boolean; error?: ApiError } | { ok: false; error: ApiError } }) {
  return props.result.ok ? null : <ErrorAlert error={(props.result as { error: ApiError }).error} />;
}

const ORIGIN_LABEL: Record<string, string> = { AWS_KMS: "AWS_KMS", EXTERNAL: "External" };

export function KeyDetailsPage(props: KeyDetailsProps) {
  const m = props.metadata;
  const keyId = m.KeyId;
  const base = `/console/keys/${encodeURIComponent(keyId)}`;
  const csrf = props.signedInAs.csrfToken;
  const aliasNames = props.aliases.ok ? props.aliases.value.map((a) => a.AliasName) : [];
  const title = aliasNames[0] ? aliasNames[0].replace(/^alias\//, "") : keyId;
  return (
    <Layout title={title} signedInAs={props.signedInAs}>
      <Notice message={props.notice} />
      <p>
        <a href="/console/keys">Customer managed keys</a> › {title}
      </p>

      <Section id="summary" title="Summary">
        <ErrorAlert error={props.errors.summary} />
        <dl class="summary">
          <dt>ARN</dt>
          <dd data-testid="key-arn">{m.Arn}</dd>
          <dt>Alias</dt>
          <dd>{aliasNames.length === 0 ? "–" : aliasNames.join(", ")}</dd>
          <dt>Key ID</dt>
          <dd data-testid="key-id">{keyId}</dd>
          <dt>Status</dt>
          <dd data-testid="key-status">
            <KeyStatus state={m.KeyState} />
          </dd>
          <dt>Creation Date</dt>
          <dd>{formatDate(m.CreationDate)}</dd>
          <dt>Origin</dt>
          <dd data-testid="key-origin">{ORIGIN_LABEL[m.Origin ?? ""] ?? m.Origin}</dd>
          <dt>Key spec</dt>
          <dd>{m.KeySpec}</dd>
          <dt>Key usage</dt>
          <dd>{m.KeyUsage}</dd>
          {m.ValidTo && (
            <>
              <dt>Expiration Date</dt>
              <dd>{formatDate(m.ValidTo)}</dd>
            </>
          )}
          {m.DeletionDate && (
            <>
              <dt>Deletion date</dt>
              <dd>{formatDate(m.DeletionDate)}</dd>
            </>
          )}
        </dl>
        <form method="post" action={`${base}/description`} style="margin-top:12px">
          <Csrf token={csrf} />
          <div class="field">
            <label for="description">Description</label>
            <br />
            <textarea id="description" name="description" rows={2}>
              {props.drafts.description ?? m.Description ?? ""}
            </textarea>
          </div>
          <button type="submit">Save Changes</button>
        </form>
        <p>
          <a href={`${base}/usage`}>Key usage</a> <span class="muted">(recent calls from the audit trail)</span>
        </p>
      </Section>

      {m.MultiRegion && <Regionality metadata={m} csrf={csrf} signedInAs={props.signedInAs} error={props.errors.regionality} />}

      <Section id="actions" title="Key actions">
        <ErrorAlert error={props.errors.actions} />
        <form method="post" action="/console/keys/actions" class="actions">
          <Csrf token={csrf} />
          <input type="hidden" name="key" value={keyId} />
          <input type="hidden" name="return" value={base} />
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
        </form>
      </Section>

      <PolicySection {...props} base={base} />
      <TagsSection {...props} base={base} />
      <RotationSection {...props} base={base} />
      <AliasesSection {...props} base={base} />
      <GrantsSection {...props} base={base} />
      {m.Origin === "EXTERNAL" && <KeyMaterialSection {...props} base={base} />}
    </Layout>
  );
}

type SectionProps = KeyDetailsProps & { base: string };

function PolicySection(props: SectionProps) {
  const csrf = props.signedInAs.csrfToken;
  const view = props.defaultView;
  const showPolicyView = props.view === "policy" || view === undefined;
  return (
    <Section id="policy" title="Key Policy">
      <SectionError result={props.policy} />
      <ErrorAlert error={props.errors.policy} />
      {props.policy.ok && view !== undefined && (
        <p>
          {showPolicyView ? (
            <a href={`${props.base}#policy`}>Switch to default view</a>
          ) : (
            <a href={`${props.base}?view=policy#policy`}>Switch to policy view</a>
          )}
        </p>
      )}
      {props.policy.ok && view === undefined && (
        <p class="hint">
          This key policy was not created by the console, or has been modified in a way that the console's default view does not support.
          Edit the key policy document in the policy view.
        </p>
      )}
      {props.policy.ok && showPolicyView && (
        <form method="post" action={`${props.base}/policy`}>
          <Csrf token={csrf} />
          <div class="field">
            <label for="policy-document">Key policy document</label>
            <textarea id="policy-document" name="policy" rows={24} spellcheck={false}>
              {props.drafts.policy ?? prettyPolicy(props.policy.value)}
            </textarea>
          </div>
          <button type="submit" class="primary">
            Save Changes
          </button>
        </form>
      )}
      {props.policy.ok && !showPolicyView && view !== undefined && <DefaultViewPanels {...props} current={view} />}
    </Section>
  );
}

function prettyPolicy(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

function DefaultViewPanels(props: SectionProps & { current: DefaultView }) {
  const csrf = props.signedInAs.csrfToken;
  const v = props.current;
  const admins = v.administrators.map(describePrincipal);
  const users = v.users.map(describePrincipal);
  const notAdmins = props.candidates.filter((c) => !v.administrators.includes(c.arn));
  const notUsers = props.candidates.filter((c) => !v.users.includes(c.arn));
  return (
    <>
      <section aria-labelledby="admins-heading" class="panel">
        <h3 id="admins-heading">Key Administrators</h3>
        <ErrorAlert error={props.errors.administrators} />
        <p>The following IAM users and roles can administer this key through the KMS API.</p>
        <form method="post" action={`${props.base}/policy/default`}>
          <Csrf token={csrf} />
          <input type="hidden" name="list" value="administrators" />
          <PrincipalTable rows={admins} name="arn" caption="Key administrators" empty="No key administrators." />
          {admins.length > 0 && (
            <button type="submit" name="op" value="remove">
              Remove
            </button>
          )}
        </form>
        {notAdmins.length > 0 && (
          <form method="post" action={`${props.base}/policy/default`}>
            <Csrf token={csrf} />
            <input type="hidden" name="list" value="administrators" />
            <h3>Add key administrators</h3>
            <PrincipalTable rows={notAdmins} name="arn" caption="IAM users and roles" />
            <button type="submit" name="op" value="add">
              Add
            </button>
          </form>
        )}
        <form method="post" action={`${props.base}/policy/default`}>
          <Csrf token={csrf} />
          <input type="hidden" name="list" value="deletion" />
          <h3>Key Deletion</h3>
          <p>
            <input type="checkbox" id="allowDelete" name="allowDelete" value="yes" checked={v.allowAdministratorsToDelete} />{" "}
            <label for="allowDelete">Allow key administrators to delete this key</label>
          </p>
          <button type="submit" name="op" value="save">
            Save Changes
          </button>
        </form>
      </section>
      <section aria-labelledby="users-heading" class="panel">
        <h3 id="users-heading">Key Users</h3>
        <h4>This Account</h4>
        <ErrorAlert error={props.errors.users} />
        <p>The following IAM users and roles can use this key to encrypt and decrypt data from within applications.</p>
        <form method="post" action={`${props.base}/policy/default`}>
          <Csrf token={csrf} />
          <input type="hidden" name="list" value="users" />
          <PrincipalTable rows={users} name="arn" caption="Key users" empty="No key users." />
          {users.length > 0 && (
            <button type="submit" name="op" value="remove">
              Remove
            </button>
          )}
        </form>
        {notUsers.length > 0 && (
          <form method="post" action={`${props.base}/policy/default`}>
            <Csrf token={csrf} />
            <input type="hidden" name="list" value="users" />
            <h4>Add key users</h4>
            <PrincipalTable rows={notUsers} name="arn" caption="IAM users and roles" />
            <button type="submit" name="op" value="add">
              Add
            </button>
          </form>
        )}
        <h4>External Accounts</h4>
        <ErrorAlert error={props.errors.accounts} />
        <p>
          The following external accounts can use this key to encrypt and decrypt data. Administrators of the accounts shown below are
          responsible for managing the permissions that allow their IAM users and roles to use this key.
        </p>
        {v.externalAccounts.length === 0 && <p class="muted">No external accounts.</p>}
        <ul>
          {v.externalAccounts.map((a) => (
            <li>
              <form method="post" action={`${props.base}/policy/default`} class="actions" style="margin:2px 0">
                <Csrf token={csrf} />
                <input type="hidden" name="list" value="accounts" />
                <input type="hidden" name="account" value={a} />
                <span>{`arn:aws:iam::${a}:root`}</span>
                <button type="submit" name="op" value="remove" aria-label={`Remove external account ${a}`}>
                  Remove
                </button>
              </form>
            </li>
          ))}
        </ul>
        <form method="post" action={`${props.base}/policy/default`} class="actions">
          <Csrf token={csrf} />
          <input type="hidden" name="list" value="accounts" />
          <label for="externalAccount">External account ID</label>
          <input
            type="text"
            id="externalAccount"
            name="account"
            inputmode="numeric"
            value={props.drafts.externalAccount ?? ""}
            placeholder="111122223333"
          />
          <button type="submit" name="op" value="add">
            Add External Account
          </button>
        </form>
      </section>
    </>
  );
}

function TagsSection(props: SectionProps) {
  const rows = props.drafts.tags ?? [
    ...(props.tags.ok ? props.tags.value.map((t) => ({ key: t.TagKey, value: t.TagValue })) : []),
    { key: "", value: "" },
  ];
  return (
    <Section id="tags" title="Tags">
      <SectionError result={props.tags} />
      <ErrorAlert error={props.errors.tags} />
      {props.tags.ok && (
        <form method="post" action={`${props.base}/tags`}>
          <Csrf token={props.signedInAs.csrfToken} />
          {props.tags.value.map((t) => (
            <input type="hidden" name="originalKey" value={t.TagKey} />
          ))}
          <table aria-label="Tags">
            <thead>
              <tr>
                <th scope="col">Tag key</th>
                <th scope="col">Tag value</th>
                <th scope="col">Remove</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((t, i) => (
                <tr>
                  <td>
                    <input type="text" name="tagKey" value={t.key} aria-label={`Tag key ${i + 1}`} placeholder="Add unique key" />
                  </td>
                  <td>
                    <input type="text" name="tagValue" value={t.value} aria-label={`Tag value ${i + 1}`} placeholder="Add value" />
                  </td>
                  <td>
                    <input type="checkbox" name="removeTag" value={String(i)} aria-label={`Remove tag ${i + 1}`} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <div class="actions">
            <button type="submit" name="go" value="add-tag">
              Add tag
            </button>
            <button type="submit" name="go" value="save" class="primary">
              Save Changes
            </button>
          </div>
        </form>
      )}
    </Section>
  );
}

function RotationSection(props: SectionProps) {
  const r = props.rotation;
  return (
    <Section id="rotation" title="Key Rotation">
      <ErrorAlert error={props.errors.rotation} />
      {r.ok === "not-applicable" ? (
        <p class="muted">{r.reason}</p>
      ) : !r.ok ? (
        <SectionError result={r} />
      ) : (
        <form method="post" action={`${props.base}/rotation`}>
          <Csrf token={props.signedInAs.csrfToken} />
          <p>
            <input type="checkbox" id="rotate" name="rotate" value="yes" checked={r.value.KeyRotationEnabled} />{" "}
            <label for="rotate">Rotate this key every year.</label>
          </p>
          {r.value.KeyRotationEnabled && r.value.NextRotationDate && (
            <p class="muted">Next rotation: {formatDate(r.value.NextRotationDate)}</p>
          )}
          <button type="submit">Save Changes</button>
        </form>
      )}
    </Section>
  );
}

function AliasesSection(props: SectionProps) {
  const csrf = props.signedInAs.csrfToken;
  return (
    <Section id="aliases" title="Aliases">
      <SectionError result={props.aliases} />
      <ErrorAlert error={props.errors.aliases} />
      {props.aliases.ok && (
        <>
          {props.aliases.value.length === 0 && <p class="muted">This key has no aliases.</p>}
          <ul>
            {props.aliases.value.map((a) => (
              <li>
                <form method="post" action={`${props.base}/aliases/delete`} class="actions" style="margin:2px 0">
                  <Csrf token={csrf} />
                  <input type="hidden" name="alias" value={a.AliasName} />
                  <span>{a.AliasName}</span>
                  <button type="submit" aria-label={`Delete alias ${a.AliasName.replace(/^alias\//, "")}`}>
                    Delete
                  </button>
                </form>
              </li>
            ))}
          </ul>
          <form method="post" action={`${props.base}/aliases`} class="actions">
            <Csrf token={csrf} />
            <label for="new-alias">New alias</label>
            <span class="muted">alias/</span>
            <input type="text" id="new-alias" name="alias" value={props.drafts.alias ?? ""} />
            <button type="submit">Create alias</button>
          </form>
        </>
      )}
    </Section>
  );
}

function GrantsSection(props: SectionProps) {
  return (
    <Section id="grants" title="Grants">
      <SectionError result={props.grants} />
      <ErrorAlert error={props.errors.grants} />
      {props.grants.ok &&
        (props.grants.value.length === 0 ? (
          <p class="muted">This key has no grants.</p>
        ) : (
          <table aria-label="Grants">
            <thead>
              <tr>
                <th scope="col">Grant ID</th>
                <th scope="col">Name</th>
                <th scope="col">Grantee principal</th>
                <th scope="col">Operations</th>
                <th scope="col">Creation date</th>
                <th scope="col">Revoke</th>
              </tr>
            </thead>
            <tbody>
              {props.grants.value.map((g) => (
                <tr>
                  <td>{g.GrantId.slice(0, 16)}…</td>
                  <td>{g.Name ?? ""}</td>
                  <td>{g.GranteePrincipal}</td>
                  <td>{g.Operations.join(", ")}</td>
                  <td>{formatDate(g.CreationDate)}</td>
                  <td>
                    <form method="post" action={`${props.base}/grants/revoke`}>
                      <Csrf token={props.signedInAs.csrfToken} />
                      <input type="hidden" name="grantId" value={g.GrantId} />
                      <button type="submit" aria-label={`Revoke grant ${g.Name ?? g.GrantId.slice(0, 16)}`}>
                        Revoke
                      </button>
                    </form>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ))}
    </Section>
  );
}

const WRAPPING_ALGORITHMS = ["RSAES_OAEP_SHA_256", "RSAES_OAEP_SHA_1", "RSAES_PKCS1_V1_5"];

function KeyMaterialSection(props: SectionProps) {
  const csrf = props.signedInAs.csrfToken;
  const d = props.drafts;
  const algorithm = d.wrappingAlgorithm ?? WRAPPING_ALGORITHMS[0];
  const expires = d.expires ?? false;
  const hasMaterial = props.metadata.KeyState !== "PendingImport";
  return (
    <Section id="key-material" title="Key Material">
      <ErrorAlert error={props.errors["key-material"]} />
      <p>
        {hasMaterial
          ? props.metadata.ExpirationModel === "KEY_MATERIAL_EXPIRES"
            ? `Imported key material expires ${formatDate(props.metadata.ValidTo)}.`
            : "Imported key material does not expire."
          : "This key has no key material. Download the wrapping key and import token, encrypt your key material with the wrapping key, then upload it."}
      </p>
      <form method="post" action={`${props.base}/import-parameters`} class="panel" style="border:1px solid #eaeded;padding:10px">
        <Csrf token={csrf} />
        <fieldset>
          <legend>Select wrapping algorithm</legend>
          {WRAPPING_ALGORITHMS.map((a) => (
            <div>
              <input type="radio" id={`wrap-${a}`} name="wrappingAlgorithm" value={a} checked={a === algorithm} />{" "}
              <label for={`wrap-${a}`} style="font-weight:400">
                {a}
              </label>
            </div>
          ))}
        </fieldset>
        <p class="hint">The wrapping key and import token are valid for 24 hours. The download is ImportParameters.zip.</p>
        <button type="submit">Download wrapping key and import token</button>
      </form>
      <form
        method="post"
        action={`${props.base}/key-material`}
        enctype="multipart/form-data"
        class="panel"
        style="border:1px solid #eaeded;padding:10px"
      >
        <Csrf token={csrf} />
        <h3>Specify key material details</h3>
        <div class="field">
          <label for="encryptedKeyMaterial">Encrypted key material</label>
          <input type="file" id="encryptedKeyMaterial" name="encryptedKeyMaterial" required />
        </div>
        <div class="field">
          <label for="importToken">Import token</label>
          <input type="file" id="importToken" name="importToken" required />
        </div>
        <fieldset>
          <legend>Choose an expiration option</legend>
          <div>
            <input type="radio" id="expires-no" name="expires" value="no" checked={!expires} />{" "}
            <label for="expires-no" style="font-weight:400">
              Key material never expires
            </label>
          </div>
          <div>
            <input type="radio" id="expires-yes" name="expires" value="yes" checked={expires} />{" "}
            <label for="expires-yes" style="font-weight:400">
              Key material expires
            </label>
          </div>
          <div class="actions">
            <label for="expirationDate">Expiration date</label>
            <input type="date" id="expirationDate" name="expirationDate" value={d.expirationDate ?? ""} />
            <label for="expirationTime">Expiration time (UTC)</label>
            <input type="time" id="expirationTime" name="expirationTime" value={d.expirationTime ?? ""} />
          </div>
        </fieldset>
        <p class="hint">Files are never kept by the browser: after a refusal, choose both files again.</p>
        <button type="submit" class="primary">
          Upload key material
        </button>
      </form>
      {hasMaterial && (
        <form method="post" action={`${props.base}/key-material/delete`} class="panel" style="border:1px solid #eaeded;padding:10px">
          <Csrf token={csrf} />
          <p>
            Deleting key material makes the CMK unusable right away; its key state changes to Pending Import. To use it again, reimport the
            same key material.
          </p>
          <p>
            <input type="checkbox" id="confirmDeleteMaterial" name="confirm" value="yes" required />{" "}
            <label for="confirmDeleteMaterial">Confirm that you want to delete the key material</label>
          </p>
          <button type="submit" class="danger">
            Delete key material
          </button>
        </form>
      )}
    </Section>
  );
}

/** A key's page in another Region (a multi-Region key's primary or replica). */
function keyInRegion(keyId: string, region: string): string {
  return `/console/keys/${encodeURIComponent(keyId)}?region=${encodeURIComponent(region)}`;
}

/**
 * A multi-Region key's Regionality, as DescribeKey reports it: its type, the primary and every
 * replica, each linking to the key in its own Region; on the primary, a form to replicate it
 * (ReplicateKey) into a served Region that has no key of the set yet.
 */
function Regionality(props: { metadata: KeyMetadata; csrf: string; signedInAs: SignedInAs; error?: ApiError | undefined }) {
  const m = props.metadata;
  const config = m.MultiRegionConfiguration;
  const keys = [
    ...(config?.PrimaryKey ? [{ ...config.PrimaryKey, role: "Primary" }] : []),
    ...(config?.ReplicaKeys ?? []).map((r) => ({ ...r, role: "Replica" })),
  ];
  const taken = new Set(keys.map((k) => k.Region));
  const free = props.signedInAs.region.regions.filter((r) => !taken.has(r));
  return (
    <Section id="regionality" title="Regionality">
      <ErrorAlert error={props.error} />
      <p>
        Multi-Region key type:{" "}
        <strong data-testid="multi-region-type">{config?.MultiRegionKeyType === "PRIMARY" ? "Primary" : "Replica"}</strong>
      </p>
      <table aria-label="Related multi-Region keys">
        <thead>
          <tr>
            <th>Region</th>
            <th>Type</th>
            <th>Key ARN</th>
          </tr>
        </thead>
        <tbody>
          {keys.map((k) => (
            <tr>
              <td>{k.Region}</td>
              <td>{k.role}</td>
              <td>{k.Region === undefined ? k.Arn : <a href={keyInRegion(m.KeyId, k.Region)}>{k.Arn}</a>}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {config?.MultiRegionKeyType === "PRIMARY" && free.length > 0 && (
        <form method="post" action={`/console/keys/${encodeURIComponent(m.KeyId)}/replicate`} class="actions" style="margin-top:12px">
          <Csrf token={props.csrf} />
          <label>
            Replica Region{" "}
            <select name="replicaRegion">
              {free.map((r) => (
                <option value={r}>{r}</option>
              ))}
            </select>
          </label>{" "}
          <button type="submit">Replicate</button>
        </form>
      )}
    </Section>
  );
}
