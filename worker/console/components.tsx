/**
 * Small building blocks shared by the console's pages: the API error box (AWS error name and
 * message), notices, the CSRF field, and the table of IAM users and roles the guide shows for key
 * administrators and key users (Name, Path, Type, with a check box each).
 */
import type { Child } from "hono/jsx";
import type { ApiError } from "./kms.ts";

/**
 * An API refusal, led by its AWS error name; a problem the console found in the form itself (type
 * "") is shown as "Check the form", so it is never mistaken for an API error.
 */
export function ErrorAlert(props: { error?: ApiError | undefined; context?: string }) {
  if (props.error === undefined) return null;
  return (
    <div class="alert" role="alert">
      <strong>{props.error.type === "" ? "Check the form" : props.error.type}</strong>
      {props.context ? ` (${props.context})` : ""}: {props.error.message || "The request was refused."}
    </div>
  );
}

export function Notice(props: { message?: string | undefined }) {
  if (!props.message) return null;
  return (
    <div class="notice" role="status">
      {props.message}
    </div>
  );
}

export function Csrf(props: { token: string }) {
  return <input type="hidden" name="csrf" value={props.token} />;
}

export function Section(props: { id: string; title: string; children?: Child }) {
  return (
    <section class="panel" aria-labelledby={`${props.id}-heading`} id={props.id}>
      <h2 id={`${props.id}-heading`}>{props.title}</h2>
      {props.children}
    </section>
  );
}

export interface PrincipalRow {
  arn: string;
  name: string;
  path: string;
  type: "User" | "Role" | "Account";
}

/** Name, path and type of an IAM user, role or account ARN, as the guide's tables show them. */
export function describePrincipal(arn: string): PrincipalRow {
  const m = /^arn:aws:(?:iam|sts)::(\d{12}):(.*)$/.exec(arn);
  const resource = m?.[2] ?? arn;
  if (resource === "root") return { arn, name: m![1]!, path: "/", type: "Account" };
  const slash = resource.indexOf("/");
  const kind = slash < 0 ? resource : resource.slice(0, slash);
  const rest = slash < 0 ? "" : resource.slice(slash + 1);
  if (kind === "assumed-role") return { arn, name: rest.split("/")[0] ?? rest, path: "/", type: "Role" };
  const parts = rest.split("/");
  const name = parts.pop() ?? rest;
  const path = parts.length === 0 ? "/" : `/${parts.join("/")}/`;
  return { arn, name, path, type: kind === "role" ? "Role" : "User" };
}

/** A table of principals with a check box each (named `name`, value the ARN). */
export function PrincipalTable(props: {
  rows: PrincipalRow[];
  name: string;
  checked?: readonly string[];
  caption: string;
  empty?: string;
}) {
  if (props.rows.length === 0) return <p class="muted">{props.empty ?? "None."}</p>;
  return (
    <table>
      <caption
        class="hint"
        style="text-align:left"
      >{`${props.caption} – showing ${props.rows.length} result${props.rows.length === 1 ? "" : "s"}`}</caption>
      <thead>
        <tr>
          <th scope="col">
            <span class="hint">Select</span>
          </th>
          <th scope="col">Name</th>
          <th scope="col">Path</th>
          <th scope="col">Type</th>
        </tr>
      </thead>
      <tbody>
        {props.rows.map((r) => (
          <tr>
            <td>
              <input
                type="checkbox"
                name={props.name}
                value={r.arn}
                id={`${props.name}-${r.arn}`}
                aria-label={`${r.name} (${r.type})`}
                checked={props.checked?.includes(r.arn) ?? false}
              />
            </td>
            <td>
              <label for={`${props.name}-${r.arn}`} style="font-weight:400">
                {r.name}
              </label>
            </td>
            <td>{r.path}</td>
            <td>{r.type}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const STATE_LABELS: Record<string, string> = {
  Enabled: "Enabled",
  Disabled: "Disabled",
  PendingDeletion: "Pending Deletion",
  PendingImport: "Pending Import",
  Unavailable: "Unavailable",
  Creating: "Creating",
  Updating: "Updating",
  PendingReplicaDeletion: "Pending Replica Deletion",
};

export function KeyStatus(props: { state: string | undefined }) {
  const state = props.state ?? "";
  return <span class={`status-${state}`}>{STATE_LABELS[state] ?? state}</span>;
}

/** Dates as the console prints them: "Nov 30, 2026 14:25 UTC". */
export function formatDate(date: Date | undefined): string {
  if (date === undefined) return "";
  const d = new Date(date);
  const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  const two = (n: number) => String(n).padStart(2, "0");
  return `${months[d.getUTCMonth()]} ${d.getUTCDate()}, ${d.getUTCFullYear()} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())} UTC`;
}
