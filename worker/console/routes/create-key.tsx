/**
 * The create-key wizard (wizard.ts, pages/create-key.tsx). Finish sends CreateKey with the
 * description, origin, tags and the console's default key policy (default-policy.ts), then
 * CreateAlias; both run as the signed-in principal. An EXTERNAL key then opens its details page
 * at the key material section, where the guide's import continues.
 */
import type { Hono } from "hono";
import { buildConsolePolicy, formatPolicy } from "../default-policy.ts";
import { field, keyPath, kmsFor, seeOther, signedInAs, type ConsoleContext, type ConsoleEnv } from "../context.ts";
import type { ApiError } from "../kms.ts";
import { allAliases } from "../listing.ts";
import { CreateKeyPage } from "../pages/create-key.tsx";
import { accountPrincipals } from "../principals.ts";
import {
  applyStepFields,
  filledAccounts,
  filledTags,
  initialState,
  parseState,
  stepProblem,
  type Step,
  type WizardState,
} from "../wizard.ts";

function policyFor(c: ConsoleContext, s: WizardState): string {
  return formatPolicy(
    buildConsolePolicy({
      accountId: c.get("session").credential.principal.accountId,
      origin: s.origin,
      administrators: s.administrators,
      allowAdministratorsToDelete: s.allowDelete,
      users: s.users,
      externalAccounts: filledAccounts(s),
    }),
  );
}

function render(c: ConsoleContext, step: Step, state: WizardState, error?: ApiError) {
  const accountId = c.get("session").credential.principal.accountId;
  return c.html(
    <CreateKeyPage
      signedInAs={signedInAs(c)}
      step={step}
      state={state}
      candidates={accountPrincipals(c.get("runtime").vars, accountId, [...state.administrators, ...state.users])}
      policy={step === 5 ? policyFor(c, state) : ""}
      {...(error === undefined ? {} : { error })}
    />,
    error === undefined ? 200 : 400,
  );
}

const inputProblem = (message: string): ApiError => ({ type: "", message });

export function registerCreateKeyRoutes(app: Hono<ConsoleEnv>): void {
  app.get("/keys/create", (c) => render(c, 1, initialState()));

  app.post("/keys/create", async (c) => {
    const form = c.get("form");
    const submitted = Number(field(form, "step"));
    const step: Step = submitted >= 1 && submitted <= 5 ? (submitted as Step) : 1;
    const state = applyStepFields(parseState(field(form, "state")), step, form);
    const go = field(form, "go");

    if (go === "advanced") return render(c, 1, { ...state, advanced: true });
    if (go === "add-tag") return render(c, 2, { ...state, tags: [...state.tags, { key: "", value: "" }].slice(0, 50) });
    const removeTag = /^remove-tag-(\d+)$/.exec(go);
    if (removeTag) {
      const tags = state.tags.filter((_, i) => i !== Number(removeTag[1]));
      return render(c, 2, { ...state, tags: tags.length === 0 ? [{ key: "", value: "" }] : tags });
    }
    if (go === "add-account") return render(c, 4, { ...state, externalAccounts: [...state.externalAccounts, ""].slice(0, 64) });
    const removeAccount = /^remove-account-(\d+)$/.exec(go);
    if (removeAccount)
      return render(c, 4, { ...state, externalAccounts: state.externalAccounts.filter((_, i) => i !== Number(removeAccount[1])) });
    if (go === "previous") return render(c, Math.max(1, step - 1) as Step, state);

    if (go === "next" || go === "finish") {
      for (let s = 1; s <= Math.min(step, 4); s++) {
        const problem = stepProblem(state, s as Step);
        if (problem !== undefined) return render(c, s as Step, state, inputProblem(problem));
      }
      if (step === 1) {
        // The alias must be free; checked here so that Finish does not create a key whose alias fails.
        const kms = kmsFor(c);
        const aliases = await allAliases(kms);
        // The API's own error for the alias, as CreateAlias would give it.
        const taken = aliases.ok ? aliases.value.find((a) => a.AliasName === `alias/${state.alias}`) : undefined;
        if (taken !== undefined) {
          return render(c, 1, state, {
            type: "AlreadyExistsException",
            message: `An alias with the name ${taken.AliasArn} already exists`,
          });
        }
      }
      if (go === "next" && step < 5) return render(c, (step + 1) as Step, state);
      if (step !== 5) return render(c, step, state);

      const kms = kmsFor(c);
      const tags = filledTags(state);
      const request: Record<string, unknown> = {
        Policy: policyFor(c, state),
        Description: state.description,
        KeyUsage: "ENCRYPT_DECRYPT",
        KeySpec: "SYMMETRIC_DEFAULT",
        Origin: state.origin,
      };
      if (tags.length > 0) request.Tags = tags;
      const created = await kms.call("CreateKey", request);
      if (!created.ok) return render(c, 5, state, created.error);
      const keyId = created.value.KeyMetadata.KeyId;
      const alias = await kms.call("CreateAlias", { AliasName: `alias/${state.alias}`, TargetKeyId: keyId });
      const params = new URLSearchParams({ done: "created" });
      if (!alias.ok) params.set("aliasRefused", alias.error.type);
      return seeOther(c, `${keyPath(keyId)}?${params}${state.origin === "EXTERNAL" ? "#key-material" : ""}`);
    }
    return render(c, step, state);
  });
}
