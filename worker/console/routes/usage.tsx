/**
 * The Key usage page: DescribeKey for the key's ARN and name, then its audit records of the chosen
 * period through LookupEvents (trail.ts), bucketed for the chart (usage-chart.tsx).
 */
import type { Hono } from "hono";
import { ErrorAlert } from "../components.tsx";
import { kmsFor, signedInAs, type ConsoleEnv } from "../context.ts";
import { Layout } from "../layout.tsx";
import { allAliases } from "../listing.ts";
import { UsagePage } from "../pages/usage.tsx";
import { keyTrail } from "../trail.ts";
import { bucketize, WINDOWS } from "../usage-chart.tsx";

export function registerUsageRoutes(app: Hono<ConsoleEnv>): void {
  app.get("/keys/:keyId{[A-Za-z0-9-]{1,64}}/usage", async (c) => {
    const keyId = c.req.param("keyId");
    const window = WINDOWS.find((w) => w.id === c.req.query("window")) ?? WINDOWS[0]!;
    const kms = kmsFor(c);
    const described = await kms.call("DescribeKey", { KeyId: keyId });
    if (!described.ok) {
      return c.html(
        <Layout title="Key usage" signedInAs={signedInAs(c)}>
          <ErrorAlert error={described.error} />
        </Layout>,
        described.error.type === "NotFoundException" ? 404 : 403,
      );
    }
    const m = described.value.KeyMetadata;
    const aliases = await allAliases(kms, m.KeyId);
    const title = aliases.ok && aliases.value[0] ? aliases.value[0].AliasName.replace(/^alias\//, "") : m.KeyId;
    const now = Date.now();
    const trail = await keyTrail(
      c.get("runtime"),
      c.get("session"),
      new URL(c.req.url).origin,
      c.get("region").region,
      m.Arn ?? keyId,
      now - window.spanMs,
    );
    // Read-only calls (the console's own page loads among them) are shown unless the form hid them.
    const showReadOnly = c.req.query("filter") === undefined || c.req.query("readOnly") === "show";
    const common = { signedInAs: signedInAs(c), keyId: m.KeyId, keyArn: m.Arn ?? "", title, window, showReadOnly };
    if (!trail.ok) return c.html(<UsagePage {...common} events={[]} error={trail.error} />, 403);
    const events = showReadOnly ? trail.value : trail.value.filter((e) => !e.readOnly);
    return c.html(<UsagePage {...common} events={events} series={bucketize(events, window, now)} />);
  });
}
