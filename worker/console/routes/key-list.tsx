/**
 * The key list and the key actions that work on selected keys (Enable, Disable, Schedule key
 * deletion, Cancel key deletion), from the list or from a key's details page.
 *
 * The list reads ListKeys and ListAliases, filters by alias or key ID, and describes only the keys
 * on the shown page (DescribeKey each), so a page costs at most one DescribeKey per row. Keys that
 * AWS would list as AWS managed (KeyManager AWS) are left out of "Customer managed keys".
 */
import type { Hono } from "hono";
import { field, fields, kmsFor, seeOther, signedInAs, type ConsoleContext, type ConsoleEnv } from "../context.ts";
import type { ApiError } from "../kms.ts";
import { aliasesByKey, allAliases, allKeys } from "../listing.ts";
import { KeyListPage, OPTIONAL_COLUMNS, PAGE_SIZES, type ColumnId, type KeyRow } from "../pages/key-list.tsx";
import { ScheduleDeletionPage } from "../pages/schedule-deletion.tsx";
import { renderKeyDetails } from "./key-details.tsx";

const DONE: Record<string, string> = {
  enable: "Enabled the selected keys.",
  disable: "Disabled the selected keys.",
  "cancel-deletion": "Canceled key deletion. The keys are disabled; enable them to use them again.",
  "schedule-deletion": "Scheduled the selected keys for deletion.",
};

const KEY_ID = /^[A-Za-z0-9-]{1,64}$/;

interface ListQuery {
  filter: string;
  page: number;
  pageSize: number;
  columns: ColumnId[];
}

function listQuery(c: ConsoleContext): ListQuery {
  const size = Number(c.req.query("size"));
  const page = Number(c.req.query("page"));
  const known = new Set<string>(OPTIONAL_COLUMNS.map((col) => col.id));
  return {
    filter: (c.req.query("filter") ?? "").trim().slice(0, 256),
    pageSize: PAGE_SIZES.includes(size) ? size : PAGE_SIZES[0]!,
    page: Number.isInteger(page) && page > 0 ? page : 1,
    columns: c.req.queries("col")?.filter((col): col is ColumnId => known.has(col)) ?? [],
  };
}

async function renderList(
  c: ConsoleContext,
  q: ListQuery,
  extra: { notice?: string; errors?: { keyId: string; error: ApiError }[]; selected?: string[] } = {},
  status: 200 | 400 | 403 = 200,
) {
  const kms = kmsFor(c);
  const keys = await allKeys(kms);
  if (!keys.ok) {
    return c.html(
      <KeyListPage
        signedInAs={signedInAs(c)}
        rows={[]}
        columns={q.columns}
        filter={q.filter}
        page={1}
        pageSize={q.pageSize}
        total={0}
        error={keys.error}
        {...extra}
      />,
      status === 200 ? 403 : status,
    );
  }
  const aliases = await allAliases(kms);
  const byKey = aliases.ok ? aliasesByKey(aliases.value) : new Map<string, string[]>();
  const needle = q.filter.toLowerCase();
  const matching = keys.value
    .map((k) => ({ keyId: k.KeyId, arn: k.KeyArn, aliases: byKey.get(k.KeyId) ?? [] }))
    .filter((k) => needle === "" || k.keyId.toLowerCase().includes(needle) || k.aliases.some((a) => a.toLowerCase().includes(needle)))
    // Keys with aliases first, by alias, then the rest by key ID — a stable, readable order.
    .sort((a, b) => (a.aliases[0] ?? "\uffff" + a.keyId).localeCompare(b.aliases[0] ?? "\uffff" + b.keyId));
  const pages = Math.max(1, Math.ceil(matching.length / q.pageSize));
  const page = Math.min(q.page, pages);
  const shown = matching.slice((page - 1) * q.pageSize, page * q.pageSize);
  const rows: KeyRow[] = await Promise.all(
    shown.map(async (k) => {
      const described = await kms.call("DescribeKey", { KeyId: k.keyId });
      return described.ok ? { ...k, metadata: described.value.KeyMetadata } : { ...k, error: described.error };
    }),
  );
  const customer = rows.filter((r) => r.metadata?.KeyManager !== "AWS");
  return c.html(
    <KeyListPage
      signedInAs={signedInAs(c)}
      rows={customer}
      columns={q.columns}
      filter={q.filter}
      page={page}
      pageSize={q.pageSize}
      total={matching.length}
      {...(aliases.ok ? {} : { error: aliases.error })}
      {...extra}
    />,
    status,
  );
}

/** Where to go back to after a key action: the list, or the key's details page. */
function returnPath(value: string): string {
  return /^\/console\/keys(\/[A-Za-z0-9-]{1,64})?$/.test(value) ? value : "/console/keys";
}

async function labelsOf(c: ConsoleContext, keyIds: string[]): Promise<{ keyId: string; label: string }[]> {
  const aliases = await allAliases(kmsFor(c));
  const byKey = aliases.ok ? aliasesByKey(aliases.value) : new Map<string, string[]>();
  return keyIds.map((keyId) => ({ keyId, label: byKey.get(keyId)?.[0]?.replace(/^alias\//, "") ?? keyId }));
}

export function registerKeyListRoutes(app: Hono<ConsoleEnv>): void {
  app.get("/keys", (c) => {
    const done = c.req.query("done");
    return renderList(c, listQuery(c), done !== undefined && DONE[done] ? { notice: DONE[done] } : {});
  });

  app.post("/keys/actions", async (c) => {
    const form = c.get("form");
    const keyIds = fields(form, "key").filter((k) => KEY_ID.test(k));
    const action = field(form, "action");
    const back = returnPath(field(form, "return"));
    const q: ListQuery = { filter: "", page: 1, pageSize: PAGE_SIZES[0]!, columns: [] };
    if (keyIds.length === 0) {
      const error = { type: "", message: "Select the check box next to at least one key, then choose a key action." };
      return renderList(c, q, { errors: [{ keyId: "Key actions", error }] }, 400);
    }
    if (action === "schedule-deletion") {
      const params = new URLSearchParams(keyIds.map((k) => ["key", k]));
      params.set("return", back);
      return seeOther(c, `/console/keys/schedule-deletion?${params}`);
    }
    const operation =
      action === "enable"
        ? "EnableKey"
        : action === "disable"
          ? "DisableKey"
          : action === "cancel-deletion"
            ? "CancelKeyDeletion"
            : undefined;
    if (operation === undefined) return c.text("Unknown key action.", 400);
    const kms = kmsFor(c);
    const errors: { keyId: string; error: ApiError }[] = [];
    for (const keyId of keyIds) {
      const result = await kms.call(operation, { KeyId: keyId });
      if (!result.ok) errors.push({ keyId, error: result.error });
    }
    const sep = back.includes("?") ? "&" : "?";
    if (errors.length === 0) return seeOther(c, `${back}${sep}done=${action}`);
    // From a details page: show the refusal there, in its Key actions section.
    if (back !== "/console/keys") return renderKeyDetails(c, keyIds[0]!, { errors: { actions: errors[0]!.error } }, 400);
    return renderList(c, q, { errors, selected: keyIds }, 400);
  });

  app.get("/keys/schedule-deletion", async (c) => {
    const keyIds = (c.req.queries("key") ?? []).filter((k) => KEY_ID.test(k));
    if (keyIds.length === 0) return seeOther(c, "/console/keys");
    return c.html(
      <ScheduleDeletionPage
        signedInAs={signedInAs(c)}
        keys={await labelsOf(c, keyIds)}
        waitingPeriod="30"
        confirmed={false}
        returnTo={returnPath(c.req.query("return") ?? "")}
      />,
    );
  });

  app.post("/keys/schedule-deletion", async (c) => {
    const form = c.get("form");
    const keyIds = fields(form, "key").filter((k) => KEY_ID.test(k));
    const back = returnPath(field(form, "return"));
    const waitingPeriod = field(form, "waitingPeriod").trim();
    const confirmed = field(form, "confirm") === "yes";
    const again = async (errors: { keyId?: string; error: ApiError }[]) =>
      c.html(
        <ScheduleDeletionPage
          signedInAs={signedInAs(c)}
          keys={await labelsOf(c, keyIds)}
          waitingPeriod={waitingPeriod}
          confirmed={confirmed}
          returnTo={back}
          errors={errors}
        />,
        400,
      );
    if (!confirmed) return again([{ error: { type: "", message: "Select the confirmation check box to schedule deletion." } }]);
    const days = Number(waitingPeriod);
    // The API checks the range too (ValidationException); a non-number never reaches it.
    if (!/^\d{1,3}$/.test(waitingPeriod)) {
      return again([{ error: { type: "", message: "Waiting period (in days) must be a whole number between 7 and 30." } }]);
    }
    const kms = kmsFor(c);
    const errors: { keyId: string; error: ApiError }[] = [];
    for (const keyId of keyIds) {
      const result = await kms.call("ScheduleKeyDeletion", { KeyId: keyId, PendingWindowInDays: days });
      if (!result.ok) errors.push({ keyId, error: result.error });
    }
    if (errors.length > 0) return again(errors);
    return seeOther(c, `${back}?done=schedule-deletion`);
  });
}
