/**
 * The Key usage page: the chart of the key's recent calls by operation (usage-chart.tsx) and the
 * latest audit records for the key, from the audit trail through LookupEvents (trail.ts).
 */
import { ErrorAlert, formatDate } from "../components.tsx";
import type { ApiError } from "../kms.ts";
import type { SignedInAs } from "../context.ts";
import { Layout } from "../layout.tsx";
import type { TrailEvent } from "../trail.ts";
import { UsageChart, WINDOWS, type UsageSeries, type UsageWindow } from "../usage-chart.tsx";

export function UsagePage(props: {
  signedInAs: SignedInAs;
  keyId: string;
  keyArn: string;
  title: string;
  window: UsageWindow;
  showReadOnly: boolean;
  series?: UsageSeries;
  events: TrailEvent[];
  error?: ApiError;
}) {
  const base = `/console/keys/${encodeURIComponent(props.keyId)}`;
  const byOperation = props.series
    ? props.series.operations.map((op, j) => ({ op, count: props.series!.counts[j]!.reduce((a, b) => a + b, 0) }))
    : [];
  return (
    <Layout title={`Key usage: ${props.title}`} signedInAs={props.signedInAs}>
      <p>
        <a href="/console/keys">Customer managed keys</a> › <a href={base}>{props.title}</a> › Key usage
      </p>
      <ErrorAlert error={props.error} />
      <section class="panel" aria-labelledby="chart-heading">
        <h2 id="chart-heading">Calls by operation</h2>
        <nav aria-label="Time range" class="actions">
          {WINDOWS.map((w) =>
            w.id === props.window.id ? (
              <strong aria-current="page">{w.label}</strong>
            ) : (
              <a href={`${base}/usage?window=${w.id}${props.showReadOnly ? "" : "&filter=1"}`}>{w.label}</a>
            ),
          )}
          <a class="button" href={`${base}/usage?window=${props.window.id}${props.showReadOnly ? "" : "&filter=1"}`}>
            Refresh
          </a>
        </nav>
        <form method="get" action={`${base}/usage`} class="actions">
          <input type="hidden" name="window" value={props.window.id} />
          <input type="hidden" name="filter" value="1" />
          <input type="checkbox" id="readOnly" name="readOnly" value="show" checked={props.showReadOnly} />
          <label for="readOnly">Show read-only calls</label>
          <span class="hint">(DescribeKey, List*, Get*, Encrypt, Decrypt, …; the console's own page loads are among them)</span>
          <button type="submit">Apply</button>
        </form>
        <p class="hint">
          From the audit trail for {props.keyArn}. A call can take a moment to appear here; choose Refresh to see the latest.
        </p>
        {props.series && <UsageChart series={props.series} window={props.window} />}
        {props.series && (
          <table aria-label="Calls by operation">
            <thead>
              <tr>
                <th scope="col">Operation</th>
                <th scope="col">Calls</th>
              </tr>
            </thead>
            <tbody>
              {byOperation.length === 0 && (
                <tr>
                  <td colspan={2} class="muted">
                    No calls in this period.
                  </td>
                </tr>
              )}
              {byOperation.map((r) => (
                <tr>
                  <td>{r.op}</td>
                  <td>{String(r.count)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <section class="panel" aria-labelledby="records-heading">
        <h2 id="records-heading">Latest audit records</h2>
        <table aria-label="Latest audit records">
          <thead>
            <tr>
              <th scope="col">Event time</th>
              <th scope="col">Event name</th>
              <th scope="col">User name</th>
              <th scope="col">Error code</th>
              <th scope="col">Source IP address</th>
              <th scope="col">Console</th>
            </tr>
          </thead>
          <tbody>
            {props.events.length === 0 && (
              <tr>
                <td colspan={6} class="muted">
                  No audit records in this period.
                </td>
              </tr>
            )}
            {props.events.slice(0, 25).map((e) => (
              <tr>
                <td>{formatDate(e.eventTime).replace(" UTC", `:${String(e.eventTime.getUTCSeconds()).padStart(2, "0")} UTC`)}</td>
                <td>{e.eventName}</td>
                <td>{e.username}</td>
                <td>{e.errorCode ?? ""}</td>
                <td>{e.sourceIp ?? ""}</td>
                <td>{e.viaConsole ? "Yes" : "No"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </Layout>
  );
}
