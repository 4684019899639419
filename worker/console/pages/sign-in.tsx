/**
 * The sign-in page: access key ID and secret access key from the identity configuration.
 */
import { ErrorAlert, Notice } from "../components.tsx";
import type { ApiError } from "../kms.ts";
import { Layout } from "../layout.tsx";

export function SignInPage(props: { csrfToken: string; accessKeyId?: string; error?: ApiError; notice?: string; next?: string }) {
  return (
    <Layout title="Sign in to the EdgeKMS console">
      <Notice message={props.notice} />
      <ErrorAlert error={props.error} />
      <section class="panel" aria-label="Sign in">
        <p class="hint">
          Sign in with an access key from this deployment's identity configuration. Everything you do here runs as that principal, with the
          same permissions as its API calls, and is recorded in the audit trail as a console call.
        </p>
        <form method="post" action="/console/sign-in">
          <input type="hidden" name="csrf" value={props.csrfToken} />
          {props.next && <input type="hidden" name="next" value={props.next} />}
          <div class="field">
            <label for="accessKeyId">Access key ID</label>
            <input type="text" id="accessKeyId" name="accessKeyId" autocomplete="username" required value={props.accessKeyId ?? ""} />
          </div>
          <div class="field">
            <label for="secretAccessKey">Secret access key</label>
            <input type="password" id="secretAccessKey" name="secretAccessKey" autocomplete="current-password" required />
          </div>
          <div class="actions">
            <button type="submit" class="primary">
              Sign in
            </button>
          </div>
        </form>
      </section>
    </Layout>
  );
}
