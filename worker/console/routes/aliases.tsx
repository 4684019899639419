/**
 * The Aliases page and its actions: CreateAlias, UpdateAlias and DeleteAlias as the signed-in
 * principal.
 */
import type { Hono } from "hono";
import { field, kmsFor, seeOther, signedInAs, type ConsoleContext, type ConsoleEnv } from "../context.ts";
import type { ApiError } from "../kms.ts";
import { allAliases, allKeys } from "../listing.ts";
import { AliasesPage } from "../pages/aliases.tsx";

const DONE: Record<string, string> = { create: "Created the alias.", update: "Updated the alias.", delete: "Deleted the alias." };

async function render(
  c: ConsoleContext,
  extra: { notice?: string; error?: ApiError; drafts?: { alias?: string; target?: string } },
  status: 200 | 400 = 200,
) {
  const kms = kmsFor(c);
  const [aliases, keys] = await Promise.all([allAliases(kms), allKeys(kms)]);
  const error = extra.error ?? (aliases.ok ? undefined : aliases.error) ?? (keys.ok ? undefined : keys.error);
  return c.html(
    <AliasesPage
      signedInAs={signedInAs(c)}
      aliases={aliases.ok ? aliases.value : []}
      keyIds={keys.ok ? keys.value.map((k) => k.KeyId) : []}
      {...(extra.notice === undefined ? {} : { notice: extra.notice })}
      {...(error === undefined ? {} : { error })}
      {...(extra.drafts === undefined ? {} : { drafts: extra.drafts })}
    />,
    error !== undefined && status === 200 ? 403 : status,
  );
}

export function registerAliasRoutes(app: Hono<ConsoleEnv>): void {
  app.get("/aliases", (c) => {
    const done = c.req.query("done");
    return render(c, done !== undefined && DONE[done] ? { notice: DONE[done] } : {});
  });

  app.post("/aliases", async (c) => {
    const form = c.get("form");
    const op = field(form, "op");
    const alias = field(form, "alias")
      .trim()
      .replace(/^alias\//, "");
    const target = field(form, "target");
    const kms = kmsFor(c);
    const r =
      op === "create"
        ? await kms.call("CreateAlias", { AliasName: `alias/${alias}`, TargetKeyId: target })
        : op === "update"
          ? await kms.call("UpdateAlias", { AliasName: `alias/${alias}`, TargetKeyId: target })
          : op === "delete"
            ? await kms.call("DeleteAlias", { AliasName: `alias/${alias}` })
            : undefined;
    if (r === undefined) return c.text("Unknown alias action.", 400);
    if (!r.ok) return render(c, { error: r.error, drafts: op === "create" ? { alias, target } : {} }, 400);
    return seeOther(c, `/console/aliases?done=${op}`);
  });
}
