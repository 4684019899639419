/**
 * The create-key wizard's pages (see wizard.ts for the steps and their state).
 */
import { Csrf, ErrorAlert, PrincipalTable, type PrincipalRow } from "../components.tsx";
import type { ApiError } from "../kms.ts";
import type { SignedInAs } from "../context.ts";
import { Layout } from "../layout.tsx";
import { STEP_TITLES, type Step, type WizardState } from "../wizard.ts";

export interface WizardProps {
  signedInAs: SignedInAs;
  step: Step;
  state: WizardState;
  /** IAM users and roles of the account that can be chosen (step 3 and 4). */
  candidates: PrincipalRow[];
  /** The key policy the choices produce (step 5). */
  policy: string;
  error?: ApiError;
}

function Steps(props: { step: Step }) {
  return (
    <ol class="steps" aria-label="Steps">
      {STEP_TITLES.map((t, i) => (
        <li aria-current={i + 1 === props.step ? "step" : undefined}>{t}</li>
      ))}
    </ol>
  );
}

function StepOne(props: { state: WizardState }) {
  const s = props.state;
  return (
    <>
      <div class="field">
        <label for="alias">Alias</label>
        <span class="hint" id="alias-hint">
          An alias is a display name that you can use to identify the CMK. It cannot begin with aws.
        </span>
        <br />
        <input type="text" id="alias" name="alias" value={s.alias} aria-describedby="alias-hint" />
      </div>
      <div class="field">
        <label for="description">Description</label>
        <span class="hint"> (Optional)</span>
        <br />
        <textarea id="description" name="description" rows={3}>
          {s.description}
        </textarea>
      </div>
      {s.advanced ? (
        <fieldset class="panel">
          <legend>Advanced Options</legend>
          <input type="hidden" name="advancedShown" value="yes" />
          <p>
            <strong>Key Material Origin</strong>
          </p>
          <div role="radiogroup" aria-label="Key Material Origin">
            <div>
              <input type="radio" id="origin-kms" name="origin" value="AWS_KMS" checked={s.origin === "AWS_KMS"} />{" "}
              <label for="origin-kms" style="font-weight:400">
                KMS
              </label>
            </div>
            <div>
              <input type="radio" id="origin-external" name="origin" value="EXTERNAL" checked={s.origin === "EXTERNAL"} />{" "}
              <label for="origin-external" style="font-weight:400">
                External
              </label>
            </div>
          </div>
          <p>
            <input type="checkbox" id="understood" name="understood" value="yes" checked={s.understood} />{" "}
            <label for="understood" style="font-weight:400">
              I understand the security, availability, and durability implications of using an imported key
            </label>
          </p>
          <p class="hint">
            You remain responsible for the key material's availability and durability: when it expires or you delete it, the CMK becomes
            unusable until you reimport the same key material.
          </p>
        </fieldset>
      ) : (
        <p>
          <button type="submit" name="go" value="advanced">
            Advanced Options
          </button>
        </p>
      )}
    </>
  );
}

function StepTwo(props: { state: WizardState }) {
  return (
    <>
      <p class="hint">(Optional) Type a tag key and an optional tag value. To add more than one tag to the CMK, choose Add tag.</p>
      <table>
        <thead>
          <tr>
            <th scope="col">Tag key</th>
            <th scope="col">Tag value</th>
            <th scope="col">Remove</th>
          </tr>
        </thead>
        <tbody>
          {props.state.tags.map((t, i) => (
            <tr>
              <td>
                <input type="text" name="tagKey" value={t.key} aria-label={`Tag key ${i + 1}`} placeholder="Add unique key" />
              </td>
              <td>
                <input type="text" name="tagValue" value={t.value} aria-label={`Tag value ${i + 1}`} placeholder="Add value" />
              </td>
              <td>
                <button type="submit" name="go" value={`remove-tag-${i}`} aria-label={`Remove tag ${i + 1}`}>
                  ✕
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <p>
        <button type="submit" name="go" value="add-tag">
          Add tag
        </button>
      </p>
    </>
  );
}

function StepThree(props: { state: WizardState; candidates: PrincipalRow[] }) {
  return (
    <>
      <h2>Key Administrators</h2>
      <p>Select which IAM users and roles can administer this key through the KMS API.</p>
      <p class="hint">
        The AWS account (root user) has full permissions by default. As a result, any IAM users and roles whose attached policies allow the
        appropriate permissions can also administer the CMK.
      </p>
      <PrincipalTable
        rows={props.candidates}
        name="administrator"
        checked={props.state.administrators}
        caption="Key administrators"
        empty="This account has no IAM users or roles."
      />
      <h3>Key Deletion</h3>
      <p>
        <input type="checkbox" id="allowDelete" name="allowDelete" value="yes" checked={props.state.allowDelete} />{" "}
        <label for="allowDelete">Allow key administrators to delete this key</label>
      </p>
    </>
  );
}

function StepFour(props: { state: WizardState; candidates: PrincipalRow[] }) {
  const accounts = props.state.externalAccounts;
  return (
    <>
      <h2>This Account</h2>
      <p>Select which IAM users and roles can use the CMK to encrypt and decrypt data with the AWS KMS API.</p>
      <PrincipalTable
        rows={props.candidates}
        name="user"
        checked={props.state.users}
        caption="Key users"
        empty="This account has no IAM users or roles."
      />
      <h2>External Accounts</h2>
      <p class="hint">
        Administrators of the external accounts must also allow access to the CMK by creating IAM policies for their users.
      </p>
      {accounts.map((a, i) => (
        <div class="field actions">
          <label for={`externalAccount-${i}`}>{`External account ${i + 1}`}</label>
          <span class="muted">arn:aws:iam::</span>
          <input
            type="text"
            id={`externalAccount-${i}`}
            name="externalAccount"
            value={a}
            inputmode="numeric"
            placeholder="AWS account ID"
          />
          <span class="muted">:root</span>
          <button type="submit" name="go" value={`remove-account-${i}`} aria-label={`Remove external account ${i + 1}`}>
            Remove
          </button>
        </div>
      ))}
      <p>
        <button type="submit" name="go" value="add-account">
          Add an External Account
        </button>
      </p>
    </>
  );
}

function StepFive(props: { state: WizardState; policy: string }) {
  const s = props.state;
  return (
    <>
      <dl class="summary">
        <dt>Alias</dt>
        <dd>{s.alias}</dd>
        <dt>Description</dt>
        <dd>{s.description}</dd>
        <dt>Key Material Origin</dt>
        <dd>{s.origin === "EXTERNAL" ? "External" : "KMS"}</dd>
      </dl>
      <h2 style="margin-top:14px">Key Policy</h2>
      <pre class="policy" aria-label="Key policy" tabindex={0}>
        {props.policy}
      </pre>
    </>
  );
}

export function CreateKeyPage(props: WizardProps) {
  const { step, state } = props;
  return (
    <Layout title="Create key" signedInAs={props.signedInAs}>
      <Steps step={step} />
      <ErrorAlert error={props.error} />
      <form method="post" action="/console/keys/create" class="panel" style="background:#fff;border:1px solid #d5dbdb;padding:14px 16px">
        <h2 id="step-heading">{STEP_TITLES[step - 1]}</h2>
        <Csrf token={props.signedInAs.csrfToken} />
        <input type="hidden" name="step" value={String(step)} />
        <input type="hidden" name="state" value={JSON.stringify(state)} />
        {/* Enter in a text box presses the first submit button: make that "Next Step". */}
        <button
          type="submit"
          name="go"
          value={step === 5 ? "finish" : "next"}
          style="position:absolute;left:-9999px"
          tabindex={-1}
          aria-hidden="true"
        >
          {step === 5 ? "Finish" : "Next Step"}
        </button>
        {step === 1 && <StepOne state={state} />}
        {step === 2 && <StepTwo state={state} />}
        {step === 3 && <StepThree state={state} candidates={props.candidates} />}
        {step === 4 && <StepFour state={state} candidates={props.candidates} />}
        {step === 5 && <StepFive state={state} policy={props.policy} />}
        <div class="actions">
          <a class="button" href="/console/keys">
            Cancel
          </a>
          {step > 1 && (
            <button type="submit" name="go" value="previous">
              Previous
            </button>
          )}
          {step < 5 ? (
            <button type="submit" name="go" value="next" class="primary">
              Next Step
            </button>
          ) : (
            <button type="submit" name="go" value="finish" class="primary">
              Finish
            </button>
          )}
        </div>
      </form>
    </Layout>
  );
}
