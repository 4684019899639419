/**
 * The key details page and its actions: description, key policy (default view and policy view),
 * tags, rotation, aliases, grants and imported key material. Each action is one or more API calls
 * as the signed-in principal; on success the browser is sent back to the page (303), on a refusal
 * the page is shown again with the AWS error in the section and the typed values kept.
 */
import type { Hono } from "hono";
import { buildConsolePolicy, formatPolicy, readDefaultView, type DefaultView } from "../default-policy.ts";
import { field, fields, file, keyPath, kmsFor, seeOther, signedInAs, type ConsoleContext, type ConsoleEnv } from "../context.ts";
import { importParametersZip } from "../import-parameters.ts";
import type { ApiError, ConsoleKms, Result } from "../kms.ts";
import { allAliases } from "../listing.ts";
import { KeyDetailsPage, type Drafts, type KeyDetailsProps, type SectionId } from "../pages/key-details.tsx";
import { accountPrincipals } from "../principals.ts";
import { Layout } from "../layout.tsx";
import { ErrorAlert } from "../components.tsx";

const NOTICES: Record<string, string> = {
  created: "Created the key.",
  description: "Saved the description.",
  policy: "Saved the key policy.",
  tags: "Saved the tags.",
  "rotation-on": "Automatic key rotation is enabled.",
  "rotation-off": "Automatic key rotation is disabled.",
  "alias-created": "Created the alias.",
  "alias-deleted": "Deleted the alias.",
  "grant-revoked": "Revoked the grant.",
  "material-imported": "Imported the key material.",
  "material-deleted": "Deleted the key material. The key's status is Pending Import.",
  enable: "Enabled the key.",
  disable: "Disabled the key.",
  "cancel-deletion": "Canceled key deletion. The key is disabled; enable it to use it again.",
  "schedule-deletion": "Scheduled the key for deletion.",
  replicated: "Created the replica key. It is ready once its first synchronisation reaches it.",
};

export interface DetailsExtras {
  notice?: string;
  errors?: Partial<Record<SectionId, ApiError>>;
  drafts?: Drafts;
  view?: "default" | "policy";
}

async function fetchAll<T>(
  kms: ConsoleKms,
  op: "ListGrants" | "ListResourceTags",
  keyId: string,
  pick: (v: never) => T[],
): Promise<Result<T[]>> {
  const out: T[] = [];
  let marker: string | undefined;
  for (let i = 0; i < 20; i++) {
    const page = await kms.call(op, marker === undefined ? { KeyId: keyId, Limit: 50 } : { KeyId: keyId, Limit: 50, Marker: marker });
    if (!page.ok) return page;
    out.push(...pick(page.value as never));
    marker = page.value.Truncated ? page.value.NextMarker : undefined;
    if (marker === undefined) break;
  }
  return { ok: true, value: out };
}

/** Renders a key's details page; a key that cannot be described gets an error page instead. */
export async function renderKeyDetails(c: ConsoleContext, keyId: string, extras: DetailsExtras = {}, status: 200 | 400 | 403 | 404 = 200) {
  const kms = kmsFor(c);
  const described = await kms.call("DescribeKey", { KeyId: keyId });
  if (!described.ok) {
    return c.html(
      <Layout title={keyId} signedInAs={signedInAs(c)}>
        <ErrorAlert error={described.error} />
        <p>
          <a href="/console/keys">Back to Customer managed keys</a>
        </p>
      </Layout>,
      described.error.type === "NotFoundException" ? 404 : described.error.type === "AccessDeniedException" ? 403 : 400,
    );
  }
  const m = described.value.KeyMetadata;
  const accountId = c.get("session").credential.principal.accountId;
  const [policyResult, tags, aliases, grants, rotation] = await Promise.all([
    kms.call("GetKeyPolicy", { KeyId: m.KeyId, PolicyName: "default" }),
    fetchAll(kms, "ListResourceTags", m.KeyId, (v: { Tags: { TagKey: string; TagValue: string }[] }) => v.Tags),
    allAliases(kms, m.KeyId),
    fetchAll(kms, "ListGrants", m.KeyId, (v: { Grants: import("../../../src/protocol/shapes.ts").GrantListEntry[] }) => v.Grants),
    rotationStatus(kms, m.KeyId, m.Origin, m.KeyState),
  ]);
  const policy: Result<string> = policyResult.ok ? { ok: true, value: policyResult.value.Policy } : policyResult;
  const defaultView = policy.ok ? readDefaultView(policy.value, m.AWSAccountId ?? accountId, m.Origin ?? "AWS_KMS") : undefined;
  const done = c.req.query("done");
  let notice = extras.notice ?? (done !== undefined ? NOTICES[done] : undefined);
  const aliasRefused = c.req.query("aliasRefused");
  const errors = { ...extras.errors };
  if (aliasRefused !== undefined && /^[A-Za-z]{1,64}$/.test(aliasRefused)) {
    errors.aliases = { type: aliasRefused, message: "The key was created, but its alias was refused. Create the alias again below." };
    notice = "Created the key.";
  }
  const props: KeyDetailsProps = {
    signedInAs: signedInAs(c),
    metadata: m,
    policy,
    defaultView,
    view: extras.view ?? (c.req.query("view") === "policy" ? "policy" : "default"),
    candidates: accountPrincipals(
      c.get("runtime").vars,
      accountId,
      defaultView ? [...defaultView.administrators, ...defaultView.users] : [],
    ),
    tags,
    rotation,
    aliases,
    grants,
    errors,
    drafts: extras.drafts ?? {},
    ...(notice === undefined ? {} : { notice }),
  };
  return c.html(<KeyDetailsPage {...props} />, status);
}

async function rotationStatus(
  kms: ConsoleKms,
  keyId: string,
  origin: string | undefined,
  state: string | undefined,
): Promise<KeyDetailsProps["rotation"]> {
  if (origin === "EXTERNAL")
    return { ok: "not-applicable", reason: "You cannot enable automatic key rotation for a CMK with imported key material." };
  if (state === "PendingDeletion")
    return { ok: "not-applicable", reason: "Automatic key rotation cannot be changed while the key is pending deletion." };
  return kms.call("GetKeyRotationStatus", { KeyId: keyId });
}

const KEY_ID_ROUTE = "/keys/:keyId{[A-Za-z0-9-]{1,64}}";

function keyIdOf(c: ConsoleContext): string {
  return c.req.param("keyId") ?? "";
}

/** The key's current policy and its default view, or the refusal / the reason it has none. */
async function currentDefaultView(
  kms: ConsoleKms,
  keyId: string,
  accountId: string,
): Promise<Result<{ view: DefaultView; origin: string; account: string }>> {
  const described = await kms.call("DescribeKey", { KeyId: keyId });
  if (!described.ok) return described;
  const policy = await kms.call("GetKeyPolicy", { KeyId: keyId, PolicyName: "default" });
  if (!policy.ok) return policy;
  const origin = described.value.KeyMetadata.Origin ?? "AWS_KMS";
  const account = described.value.KeyMetadata.AWSAccountId ?? accountId;
  const view = readDefaultView(policy.value.Policy, account, origin);
  if (view === undefined) {
    return { ok: false, error: { type: "", message: "This key policy cannot be edited in the default view; use the policy view." } };
  }
  return { ok: true, value: { view, origin, account } };
}

export function registerKeyDetailsRoutes(app: Hono<ConsoleEnv>): void {
  app.get(KEY_ID_ROUTE, (c) => renderKeyDetails(c, keyIdOf(c)));

  app.post(`${KEY_ID_ROUTE}/description`, async (c) => {
    const keyId = keyIdOf(c);
    const description = field(c.get("form"), "description");
    const r = await kmsFor(c).call("UpdateKeyDescription", { KeyId: keyId, Description: description });
    if (!r.ok) return renderKeyDetails(c, keyId, { errors: { summary: r.error }, drafts: { description } }, 400);
    return seeOther(c, `${keyPath(keyId)}?done=description`);
  });

  // ReplicateKey from the primary's page; the replica's own policy is the default, as with the CLI.
  app.post(`${KEY_ID_ROUTE}/replicate`, async (c) => {
    const keyId = keyIdOf(c);
    const r = await kmsFor(c).call("ReplicateKey", { KeyId: keyId, ReplicaRegion: field(c.get("form"), "replicaRegion") });
    if (!r.ok) return renderKeyDetails(c, keyId, { errors: { regionality: r.error } }, 400);
    return seeOther(c, `${keyPath(keyId)}?done=replicated#regionality`);
  });

  app.post(`${KEY_ID_ROUTE}/policy`, async (c) => {
    const keyId = keyIdOf(c);
    const policy = field(c.get("form"), "policy");
    const r = await kmsFor(c).call("PutKeyPolicy", { KeyId: keyId, PolicyName: "default", Policy: policy });
    if (!r.ok) return renderKeyDetails(c, keyId, { errors: { policy: r.error }, drafts: { policy }, view: "policy" }, 400);
    return seeOther(c, `${keyPath(keyId)}?view=policy&done=policy#policy`);
  });

  app.post(`${KEY_ID_ROUTE}/policy/default`, async (c) => {
    const keyId = keyIdOf(c);
    const form = c.get("form");
    const list = field(form, "list");
    const op = field(form, "op");
    const section: SectionId =
      list === "administrators" ? "administrators" : list === "users" ? "users" : list === "accounts" ? "accounts" : "administrators";
    const kms = kmsFor(c);
    const current = await currentDefaultView(kms, keyId, c.get("session").credential.principal.accountId);
    if (!current.ok) return renderKeyDetails(c, keyId, { errors: { [section]: current.error } }, 400);
    const view = { ...current.value.view };
    const chosen = fields(form, "arn");
    const account = field(form, "account").trim();
    if (list === "administrators") {
      view.administrators = op === "add" ? [...view.administrators, ...chosen] : view.administrators.filter((a) => !chosen.includes(a));
    } else if (list === "users") {
      view.users = op === "add" ? [...view.users, ...chosen] : view.users.filter((a) => !chosen.includes(a));
    } else if (list === "accounts") {
      if (op === "add" && !/^\d{12}$/.test(account)) {
        return renderKeyDetails(
          c,
          keyId,
          { errors: { accounts: { type: "", message: "Type the 12-digit ID of an AWS account." } }, drafts: { externalAccount: account } },
          400,
        );
      }
      view.externalAccounts = op === "add" ? [...view.externalAccounts, account] : view.externalAccounts.filter((a) => a !== account);
    } else if (list === "deletion") {
      view.allowAdministratorsToDelete = field(form, "allowDelete") === "yes";
    } else {
      return c.text("Unknown key policy change.", 400);
    }
    const policy = formatPolicy(buildConsolePolicy({ ...view, accountId: current.value.account, origin: current.value.origin }));
    const r = await kms.call("PutKeyPolicy", { KeyId: keyId, PolicyName: "default", Policy: policy });
    if (!r.ok) return renderKeyDetails(c, keyId, { errors: { [section]: r.error }, drafts: { externalAccount: account } }, 400);
    return seeOther(c, `${keyPath(keyId)}?done=policy#policy`);
  });

  app.post(`${KEY_ID_ROUTE}/tags`, async (c) => {
    const keyId = keyIdOf(c);
    const form = c.get("form");
    const keys = fields(form, "tagKey");
    const values = fields(form, "tagValue");
    const removed = new Set(fields(form, "removeTag").map(Number));
    const rows = keys.map((key, i) => ({ key, value: values[i] ?? "" })).slice(0, 60);
    if (field(form, "go") === "add-tag") return renderKeyDetails(c, keyId, { drafts: { tags: [...rows, { key: "", value: "" }] } });
    const kept = rows.filter((r, i) => !removed.has(i) && r.key.trim() !== "").map((r) => ({ TagKey: r.key.trim(), TagValue: r.value }));
    const keptKeys = new Set(kept.map((t) => t.TagKey));
    if (keptKeys.size !== kept.length) {
      return renderKeyDetails(
        c,
        keyId,
        { errors: { tags: { type: "", message: "Each tag key must be unique." } }, drafts: { tags: rows } },
        400,
      );
    }
    const gone = fields(form, "originalKey").filter((k) => !keptKeys.has(k));
    const kms = kmsFor(c);
    if (gone.length > 0) {
      const r = await kms.call("UntagResource", { KeyId: keyId, TagKeys: gone });
      if (!r.ok) return renderKeyDetails(c, keyId, { errors: { tags: r.error }, drafts: { tags: rows } }, 400);
    }
    if (kept.length > 0) {
      const r = await kms.call("TagResource", { KeyId: keyId, Tags: kept });
      if (!r.ok) return renderKeyDetails(c, keyId, { errors: { tags: r.error }, drafts: { tags: rows } }, 400);
    }
    return seeOther(c, `${keyPath(keyId)}?done=tags#tags`);
  });

  app.post(`${KEY_ID_ROUTE}/rotation`, async (c) => {
    const keyId = keyIdOf(c);
    const on = field(c.get("form"), "rotate") === "yes";
    const r = await kmsFor(c).call(on ? "EnableKeyRotation" : "DisableKeyRotation", { KeyId: keyId });
    if (!r.ok) return renderKeyDetails(c, keyId, { errors: { rotation: r.error } }, 400);
    return seeOther(c, `${keyPath(keyId)}?done=rotation-${on ? "on" : "off"}#rotation`);
  });

  app.post(`${KEY_ID_ROUTE}/aliases`, async (c) => {
    const keyId = keyIdOf(c);
    const alias = field(c.get("form"), "alias")
      .trim()
      .replace(/^alias\//, "");
    const r = await kmsFor(c).call("CreateAlias", { AliasName: `alias/${alias}`, TargetKeyId: keyId });
    if (!r.ok) return renderKeyDetails(c, keyId, { errors: { aliases: r.error }, drafts: { alias } }, 400);
    return seeOther(c, `${keyPath(keyId)}?done=alias-created#aliases`);
  });

  app.post(`${KEY_ID_ROUTE}/aliases/delete`, async (c) => {
    const keyId = keyIdOf(c);
    const r = await kmsFor(c).call("DeleteAlias", { AliasName: field(c.get("form"), "alias") });
    if (!r.ok) return renderKeyDetails(c, keyId, { errors: { aliases: r.error } }, 400);
    return seeOther(c, `${keyPath(keyId)}?done=alias-deleted#aliases`);
  });

  app.post(`${KEY_ID_ROUTE}/grants/revoke`, async (c) => {
    const keyId = keyIdOf(c);
    const r = await kmsFor(c).call("RevokeGrant", { KeyId: keyId, GrantId: field(c.get("form"), "grantId") });
    if (!r.ok) return renderKeyDetails(c, keyId, { errors: { grants: r.error } }, 400);
    return seeOther(c, `${keyPath(keyId)}?done=grant-revoked#grants`);
  });

  app.post(`${KEY_ID_ROUTE}/import-parameters`, async (c) => {
    const keyId = keyIdOf(c);
    const wrappingAlgorithm = field(c.get("form"), "wrappingAlgorithm") || "RSAES_OAEP_SHA_256";
    const r = await kmsFor(c).call("GetParametersForImport", {
      KeyId: keyId,
      WrappingAlgorithm: wrappingAlgorithm,
      WrappingKeySpec: "RSA_2048",
    });
    if (!r.ok) return renderKeyDetails(c, keyId, { errors: { "key-material": r.error }, drafts: { wrappingAlgorithm } }, 400);
    const zip = importParametersZip({
      keyId,
      keyArn: r.value.KeyId,
      wrappingAlgorithm,
      publicKey: r.value.PublicKey,
      importToken: r.value.ImportToken,
      validTo: new Date(r.value.ParametersValidTo),
    });
    return new Response(zip.bytes as Uint8Array<ArrayBuffer>, {
      headers: {
        "Content-Type": "application/zip",
        "Content-Disposition": `attachment; filename="${zip.fileName}"`,
      },
    });
  });

  app.post(`${KEY_ID_ROUTE}/key-material`, async (c) => {
    const keyId = keyIdOf(c);
    const form = c.get("form");
    const expires = field(form, "expires") === "yes";
    const drafts: Drafts = { expires, expirationDate: field(form, "expirationDate"), expirationTime: field(form, "expirationTime") };
    const refuse = (error: ApiError) => renderKeyDetails(c, keyId, { errors: { "key-material": error }, drafts }, 400);
    const material = file(form, "encryptedKeyMaterial");
    const token = file(form, "importToken");
    if (material === undefined || token === undefined) {
      return refuse({ type: "", message: "Choose the file with the encrypted key material and the file with the import token." });
    }
    const request: Record<string, unknown> = {
      KeyId: keyId,
      EncryptedKeyMaterial: base64(new Uint8Array(await material.arrayBuffer())),
      ImportToken: base64(new Uint8Array(await token.arrayBuffer())),
      ExpirationModel: expires ? "KEY_MATERIAL_EXPIRES" : "KEY_MATERIAL_DOES_NOT_EXPIRE",
    };
    if (expires) {
      const when = Date.parse(`${drafts.expirationDate}T${drafts.expirationTime || "00:00"}:00Z`);
      if (!/^\d{4}-\d{2}-\d{2}$/.test(drafts.expirationDate ?? "") || Number.isNaN(when)) {
        return refuse({ type: "", message: "Type the date (and time, UTC) when the key material expires." });
      }
      request.ValidTo = when / 1000;
    }
    const r = await kmsFor(c).call("ImportKeyMaterial", request);
    if (!r.ok) return refuse(r.error);
    return seeOther(c, `${keyPath(keyId)}?done=material-imported#key-material`);
  });

  app.post(`${KEY_ID_ROUTE}/key-material/delete`, async (c) => {
    const keyId = keyIdOf(c);
    if (field(c.get("form"), "confirm") !== "yes") {
      return renderKeyDetails(
        c,
        keyId,
        { errors: { "key-material": { type: "", message: "Confirm that you want to delete the key material." } } },
        400,
      );
    }
    const r = await kmsFor(c).call("DeleteImportedKeyMaterial", { KeyId: keyId });
    if (!r.ok) return renderKeyDetails(c, keyId, { errors: { "key-material": r.error } }, 400);
    return seeOther(c, `${keyPath(keyId)}?done=material-deleted#key-material`);
  });
}

function base64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}
