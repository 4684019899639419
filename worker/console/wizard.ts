/**
 * The create-key wizard's state and its steps, in the guide's order ("To create a new CMK" and "To
 * create a CMK with no key material (console)"):
 *   1. alias and description (Advanced Options: Key Material Origin, with the acknowledgement for
 *      External), 2. tags, 3. key administrators (and "Allow key administrators to delete this
 *      key"), 4. key usage permissions (key users, external accounts), 5. preview of the key policy.
 *
 * Without client-side JavaScript the whole state travels with each step's form as one hidden JSON
 * field; the fields shown on the submitted step override it. Nothing here is trusted: CreateKey and
 * CreateAlias validate everything again at Finish.
 */
import type { Form } from "./context.ts";
import { field, fields } from "./context.ts";

export const STEP_TITLES = [
  "Step 1: Create Alias and Description",
  "Step 2: Add Tags",
  "Step 3: Define Key Administrative Permissions",
  "Step 4: Define Key Usage Permissions",
  "Step 5: Preview Key Policy",
] as const;

export type Step = 1 | 2 | 3 | 4 | 5;

export interface WizardState {
  alias: string;
  description: string;
  advanced: boolean;
  origin: "AWS_KMS" | "EXTERNAL";
  understood: boolean;
  tags: { key: string; value: string }[];
  administrators: string[];
  allowDelete: boolean;
  users: string[];
  externalAccounts: string[];
}

export function initialState(): WizardState {
  return {
    alias: "",
    description: "",
    advanced: false,
    origin: "AWS_KMS",
    understood: false,
    tags: [{ key: "", value: "" }],
    administrators: [],
    allowDelete: true,
    users: [],
    externalAccounts: [],
  };
}

const LIMIT = 64;

function strings(value: unknown, max = LIMIT): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string").slice(0, max) : [];
}

function text(value: unknown, max: number): string {
  return typeof value === "string" ? value.slice(0, max) : "";
}

/** The state carried in the hidden field, made safe to use (anything malformed falls back). */
export function parseState(json: string): WizardState {
  const s = initialState();
  let raw: Record<string, unknown>;
  try {
    const parsed = JSON.parse(json) as unknown;
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) return s;
    raw = parsed as Record<string, unknown>;
  } catch {
    return s;
  }
  s.alias = text(raw.alias, 256);
  s.description = text(raw.description, 8192);
  s.advanced = raw.advanced === true;
  s.origin = raw.origin === "EXTERNAL" ? "EXTERNAL" : "AWS_KMS";
  s.understood = raw.understood === true;
  if (Array.isArray(raw.tags)) {
    s.tags = raw.tags
      .slice(0, 50)
      .map((t) => ({ key: text((t as { key?: unknown }).key, 128), value: text((t as { value?: unknown }).value, 256) }));
    if (s.tags.length === 0) s.tags = [{ key: "", value: "" }];
  }
  s.administrators = strings(raw.administrators);
  s.allowDelete = raw.allowDelete !== false;
  s.users = strings(raw.users);
  s.externalAccounts = strings(raw.externalAccounts).map((a) => a.slice(0, 64));
  return s;
}

/** Applies the fields shown on `step` (the step whose form was submitted) to the state. */
export function applyStepFields(state: WizardState, step: Step, form: Form): WizardState {
  const s = { ...state };
  if (step === 1) {
    s.alias = field(form, "alias")
      .trim()
      .replace(/^alias\//, "")
      .slice(0, 256);
    s.description = field(form, "description").slice(0, 8192);
    if (field(form, "advancedShown") === "yes") {
      s.origin = field(form, "origin") === "EXTERNAL" ? "EXTERNAL" : "AWS_KMS";
      s.understood = field(form, "understood") === "yes";
    }
  } else if (step === 2) {
    const keys = fields(form, "tagKey");
    const values = fields(form, "tagValue");
    s.tags = keys.slice(0, 50).map((key, i) => ({ key: key.slice(0, 128), value: (values[i] ?? "").slice(0, 256) }));
    if (s.tags.length === 0) s.tags = [{ key: "", value: "" }];
  } else if (step === 3) {
    s.administrators = fields(form, "administrator").slice(0, LIMIT);
    s.allowDelete = field(form, "allowDelete") === "yes";
  } else if (step === 4) {
    s.users = fields(form, "user").slice(0, LIMIT);
    s.externalAccounts = fields(form, "externalAccount")
      .map((a) => a.trim().slice(0, 64))
      .slice(0, LIMIT);
  }
  return s;
}

/** The tags to send: rows with a key (a row left blank is not a tag). */
export function filledTags(state: WizardState): { TagKey: string; TagValue: string }[] {
  return state.tags.filter((t) => t.key.trim() !== "").map((t) => ({ TagKey: t.key.trim(), TagValue: t.value }));
}

/** The external accounts typed in (blank rows dropped). */
export function filledAccounts(state: WizardState): string[] {
  return state.externalAccounts.filter((a) => a !== "");
}

/**
 * What is wrong with the step's input before moving on, in the words of the rule it breaks; the
 * API checks the same rules again at Finish.
 */
export function stepProblem(state: WizardState, step: Step): string | undefined {
  if (step === 1) {
    if (state.alias === "") return "Type an alias for the key.";
    if (!/^[a-zA-Z0-9:/_-]+$/.test(state.alias))
      return "An alias can contain only alphanumeric characters, forward slashes (/), underscores (_), dashes (-) and colons (:).";
    if (/^aws/i.test(state.alias))
      return "An alias cannot begin with aws. Aliases that begin with aws are reserved by Amazon Web Services.";
    if (state.alias.length > 250) return "An alias can be at most 250 characters long.";
    if (state.origin === "EXTERNAL" && !state.understood) {
      return "Select the check box to show that you understand the security, availability, and durability implications of using an imported key.";
    }
  }
  if (step === 2) {
    const keys = filledTags(state).map((t) => t.TagKey);
    if (new Set(keys).size !== keys.length) return "Each tag key must be unique.";
  }
  if (step === 4) {
    for (const a of filledAccounts(state)) if (!/^\d{12}$/.test(a)) return `${a} is not an AWS account ID (12 digits).`;
  }
  return undefined;
}
