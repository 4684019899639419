/**
 * "Schedule key deletion": the guide's warning, "Waiting period (in days)" (7–30) and the
 * confirmation, for one or more keys.
 */
import { Csrf, ErrorAlert } from "../components.tsx";
import type { ApiError } from "../kms.ts";
import type { SignedInAs } from "../context.ts";
import { Layout } from "../layout.tsx";

export function ScheduleDeletionPage(props: {
  signedInAs: SignedInAs;
  keys: { keyId: string; label: string }[];
  waitingPeriod: string;
  confirmed: boolean;
  returnTo: string;
  errors?: { keyId?: string; error: ApiError }[];
}) {
  return (
    <Layout title="Schedule key deletion" signedInAs={props.signedInAs}>
      {(props.errors ?? []).map((e) => (
        <ErrorAlert error={e.error} context={e.keyId} />
      ))}
      <section class="panel" aria-labelledby="warning-heading">
        <h2 id="warning-heading">Warning</h2>
        <p>
          Deleting a customer master key (CMK) in AWS KMS is destructive and potentially dangerous. It deletes the key material and all
          metadata associated with the CMK, and is irreversible. After a CMK is deleted you can no longer decrypt the data that was
          encrypted under that key, which means that data becomes unrecoverable. If you are not sure, you should disable the CMK instead of
          deleting it.
        </p>
        <p>Keys to delete:</p>
        <ul>
          {props.keys.map((k) => (
            <li>
              {k.label} <span class="muted">({k.keyId})</span>
            </li>
          ))}
        </ul>
      </section>
      <form
        method="post"
        action="/console/keys/schedule-deletion"
        class="panel"
        style="background:#fff;border:1px solid #d5dbdb;padding:14px 16px"
      >
        <Csrf token={props.signedInAs.csrfToken} />
        <input type="hidden" name="return" value={props.returnTo} />
        {props.keys.map((k) => (
          <input type="hidden" name="key" value={k.keyId} />
        ))}
        <div class="field">
          <label for="waitingPeriod">Waiting period (in days)</label>
          <span class="hint" id="waitingPeriod-hint">
            Type a number of days between 7 and 30.
          </span>
          <br />
          <input
            type="number"
            id="waitingPeriod"
            name="waitingPeriod"
            min="7"
            max="30"
            step="1"
            required
            value={props.waitingPeriod}
            aria-describedby="waitingPeriod-hint"
          />
        </div>
        <div class="field">
          <input type="checkbox" id="confirm" name="confirm" value="yes" required checked={props.confirmed} />{" "}
          <label for="confirm">
            Confirm that you want to schedule {props.keys.length === 1 ? "this key" : "these keys"} for deletion after the waiting period.
          </label>
        </div>
        <div class="actions">
          <a class="button" href={props.returnTo}>
            Cancel
          </a>
          <button type="submit" class="danger">
            Schedule deletion
          </button>
        </div>
      </form>
    </Layout>
  );
}
