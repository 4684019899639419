/**
 * The web console (worker/console/) in a real browser: Debian's chromium driven by playwright-core
 * against a local worker, by role and accessible name in the guide's wording. Each step is checked
 * through the API as well (@aws-sdk/client-kms, and CloudTrail LookupEvents for the audit records).
 *
 * The tests in the main describe block share one browser session and run in order: sign in,
 * create a key through the wizard, find it in the list, edit description, policy (default view and
 * policy view), tags and rotation, disable and enable, schedule and cancel deletion, import key
 * material into an EXTERNAL key, and read the key's usage; switch Region and replicate a
 * multi-Region key. Then alice signs in and sees and does
 * only what her permissions allow, and the CSRF and session protections are tried.
 *
 * A screenshot of each page is saved under .tmp/console-screenshots/.
 */
import {
  CreateGrantCommand,
  CreateKeyCommand,
  DescribeKeyCommand,
  GetKeyPolicyCommand,
  GetKeyRotationStatusCommand,
  ListAliasesCommand,
  ListGrantsCommand,
  ListResourceTagsCommand,
} from "@aws-sdk/client-kms";
import { unzipSync } from "fflate";
import { constants, createPublicKey, publicEncrypt, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import type { Browser, BrowserContext, Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cloudTrailClient, lookupAll } from "./audit-support.ts";
import { hasChromium, launchChromium, screenshot } from "./browser.ts";
import { ACCOUNT, useLocalWorker } from "./support.ts";

if (!hasChromium)
  console.warn("chromium not installed at /usr/bin/chromium: skipping the console's browser tests (apt-get install chromium)");

const BOB = `arn:aws:iam::${ACCOUNT}:user/bob`;
const ALICE = `arn:aws:iam::${ACCOUNT}:user/alice`;
const CHARLIE = `arn:aws:iam::${ACCOUNT}:user/charlie`;

interface Statement {
  Sid?: string;
  Principal?: { AWS: string | string[] };
  Action?: string | string[];
  Condition?: unknown;
}

function statements(policy: string): Statement[] {
  return (JSON.parse(policy) as { Statement: Statement[] }).Statement;
}

function principalsOf(policy: string, sid: string): string[] {
  const s = statements(policy).find((x) => x.Sid === sid);
  if (s === undefined) return [];
  const p = s.Principal!.AWS;
  return (Array.isArray(p) ? p : [p]).sort();
}

async function signIn(page: Page, url: string, accessKeyId: string, secret = accessKeyId) {
  await page.goto(`${url}/console/sign-in`);
  await page.getByLabel("Access key ID").fill(accessKeyId);
  await page.getByLabel("Secret access key").fill(secret);
  await go(page.getByRole("button", { name: "Sign in" }));
}

/** Clicks a control that loads a new page (a form submission or a link) and waits for that page. */
async function go(control: Locator) {
  await Promise.all([control.page().waitForEvent("load"), control.click()]);
}

/** Opens the "Key actions" menu and chooses one of its actions. */
async function keyAction(page: Page, action: string) {
  await page.locator("summary", { hasText: "Key actions" }).click();
  await go(page.getByRole("button", { name: action, exact: true }));
}

describe.skipIf(!hasChromium)("the web console in Chromium", () => {
  const worker = useLocalWorker();
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let keyId = "";
  let keyArn = "";

  beforeAll(async () => {
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    page = await context.newPage();
    // A missing control should fail its test quickly and clearly, not at the test's timeout.
    page.setDefaultTimeout(10_000);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
  });

  it("refuses a wrong secret without losing the access key ID, then signs in", async () => {
    await page.goto(`${worker.url}/console/keys`);
    expect(await page.getByRole("heading", { name: "Sign in to the EdgeKMS console" }).count()).toBe(1);
    expect(new URL(page.url()).pathname).toBe("/console/sign-in");
    await screenshot(page, "01-sign-in");
    await signIn(page, worker.url, "test", "wrong-secret");
    await expect.poll(() => page.getByRole("alert").textContent()).toContain("UnrecognizedClientException");
    expect(await page.getByLabel("Access key ID").inputValue()).toBe("test");
    await signIn(page, worker.url, "test");
    expect(new URL(page.url()).pathname).toBe("/console/keys");
    expect(await page.getByTestId("principal").textContent()).toBe(`arn:aws:iam::${ACCOUNT}:root`);
  });

  it("creates a key through the wizard with an alias, a description, tags, an administrator, a user and an external account", async () => {
    await go(page.getByRole("main").getByRole("link", { name: "Create key", exact: true }));
    await expect.poll(() => page.getByRole("heading", { name: "Step 1: Create Alias and Description" }).count()).toBe(1);
    // A reserved alias is refused and what was typed stays.
    await page.getByLabel("Alias", { exact: true }).fill("aws/mine");
    await page.getByLabel("Description").fill("Console demo key");
    await go(page.getByRole("button", { name: "Next Step" }));
    expect(await page.getByRole("alert").textContent()).toContain("cannot begin with aws");
    expect(await page.getByLabel("Description").inputValue()).toBe("Console demo key");
    await page.getByLabel("Alias", { exact: true }).fill("console-demo");
    await screenshot(page, "02-wizard-1-alias");
    await go(page.getByRole("button", { name: "Next Step" }));

    await page.getByLabel("Tag key 1").fill("Project");
    await page.getByLabel("Tag value 1").fill("Console");
    await go(page.getByRole("button", { name: "Add tag" }));
    expect(await page.getByLabel("Tag key 1").inputValue()).toBe("Project");
    await page.getByLabel("Tag key 2").fill("CostCenter");
    await page.getByLabel("Tag value 2").fill("87654");
    await screenshot(page, "03-wizard-2-tags");
    await go(page.getByRole("button", { name: "Next Step" }));

    await page.getByRole("checkbox", { name: "bob (User)" }).check();
    expect(await page.getByLabel("Allow key administrators to delete this key").isChecked()).toBe(true);
    await screenshot(page, "04-wizard-3-administrators");
    await go(page.getByRole("button", { name: "Next Step" }));

    await page.getByRole("checkbox", { name: "alice (User)" }).check();
    await go(page.getByRole("button", { name: "Add an External Account" }));
    expect(await page.getByRole("checkbox", { name: "alice (User)" }).isChecked()).toBe(true);
    await page.getByLabel("External account 1", { exact: true }).fill("444455556666");
    await screenshot(page, "05-wizard-4-usage-permissions");
    await go(page.getByRole("button", { name: "Next Step" }));

    await expect.poll(() => page.getByRole("heading", { name: "Step 5: Preview Key Policy" }).count()).toBe(1);
    const preview = JSON.parse((await page.getByLabel("Key policy", { exact: true }).textContent())!) as {
      Id: string;
      Statement: Statement[];
    };
    expect(preview.Id).toBe("key-consolepolicy-2");
    expect(preview.Statement.map((s) => s.Sid)).toEqual([
      "Enable IAM User Permissions",
      "Allow access for Key Administrators",
      "Allow use of the key",
      "Allow attachment of persistent resources",
    ]);
    await screenshot(page, "06-wizard-5-review");
    await go(page.getByRole("button", { name: "Finish" }));

    await expect.poll(() => page.getByRole("status").textContent()).toContain("Created the key.");
    keyId = (await page.getByTestId("key-id").textContent())!;
    keyArn = (await page.getByTestId("key-arn").textContent())!;
    await screenshot(page, "07-key-details");

    // The same key, as the API sees it.
    const kms = worker.client();
    const { KeyMetadata } = await kms.send(new DescribeKeyCommand({ KeyId: "alias/console-demo" }));
    expect(KeyMetadata).toMatchObject({
      KeyId: keyId,
      Arn: keyArn,
      Description: "Console demo key",
      KeyState: "Enabled",
      Origin: "AWS_KMS",
    });
    const tags = await kms.send(new ListResourceTagsCommand({ KeyId: keyId }));
    expect(tags.Tags?.sort((a, b) => a.TagKey!.localeCompare(b.TagKey!))).toEqual([
      { TagKey: "CostCenter", TagValue: "87654" },
      { TagKey: "Project", TagValue: "Console" },
    ]);
    const { Policy } = await kms.send(new GetKeyPolicyCommand({ KeyId: keyId, PolicyName: "default" }));
    expect(JSON.parse(Policy!)).toMatchObject({ Version: "2012-10-17", Id: "key-consolepolicy-2" });
    expect(principalsOf(Policy!, "Enable IAM User Permissions")).toEqual([`arn:aws:iam::${ACCOUNT}:root`]);
    expect(principalsOf(Policy!, "Allow access for Key Administrators")).toEqual([BOB]);
    expect(principalsOf(Policy!, "Allow use of the key")).toEqual([ALICE, "arn:aws:iam::444455556666:root"].sort());
    expect(principalsOf(Policy!, "Allow attachment of persistent resources")).toEqual([ALICE, "arn:aws:iam::444455556666:root"].sort());
    const admin = statements(Policy!).find((s) => s.Sid === "Allow access for Key Administrators")!;
    expect(admin.Action).toContain("kms:ScheduleKeyDeletion");
    expect(admin.Action).not.toContain("kms:ImportKeyMaterial");
  });

  it("lists the key with its alias, status and creation date, with optional columns, filtering and paging", async () => {
    await page.goto(`${worker.url}/console/keys`);
    const row = page.getByRole("row", { name: /console-demo/ });
    expect(await row.count()).toBe(1);
    expect(await row.textContent()).toContain(keyId);
    expect(await row.textContent()).toContain("Enabled");
    await page.locator("summary", { hasText: "Settings" }).click();
    await page.getByRole("checkbox", { name: "Origin" }).check();
    await page.getByRole("checkbox", { name: "Description" }).check();
    await go(page.getByRole("button", { name: "Close" }));
    expect(await page.getByRole("columnheader", { name: "Origin" }).count()).toBe(1);
    expect(await page.getByRole("row", { name: /console-demo/ }).textContent()).toContain("Console demo key");
    await screenshot(page, "08-key-list");
    await page.getByLabel("Filter").fill("no-such-key");
    await go(page.getByRole("button", { name: "Apply filter" }));
    expect(await page.getByRole("row", { name: /console-demo/ }).count()).toBe(0);
    // The chosen columns stay while filtering.
    expect(await page.getByRole("columnheader", { name: "Origin" }).count()).toBe(1);
    await page.getByLabel("Filter").fill("demo");
    await go(page.getByRole("button", { name: "Apply filter" }));
    expect(await page.getByRole("row", { name: /console-demo/ }).count()).toBe(1);
    expect(await page.getByText("Page 1 of 1").count()).toBe(1);
    await go(page.getByRole("link", { name: "console-demo" }));
    expect(await page.getByTestId("key-id").textContent()).toBe(keyId);
  });

  it("edits the description, keeping a refused one in the form", async () => {
    const kms = worker.client();
    const summary = page.getByRole("region", { name: "Summary" });
    await summary.getByLabel("Description").fill("x".repeat(8193));
    await go(summary.getByRole("button", { name: "Save Changes" }));
    expect(await summary.getByRole("alert").textContent()).toContain("ValidationException");
    expect((await summary.getByLabel("Description").inputValue()).length).toBe(8193);
    await summary.getByLabel("Description").fill("Edited in the console");
    await go(summary.getByRole("button", { name: "Save Changes" }));
    await expect.poll(() => page.getByRole("status").textContent()).toContain("Saved the description.");
    const { KeyMetadata } = await kms.send(new DescribeKeyCommand({ KeyId: keyId }));
    expect(KeyMetadata?.Description).toBe("Edited in the console");
  });

  it("edits the key policy in the default view: adds a key user and stops administrators deleting the key", async () => {
    const kms = worker.client();
    const users = page.getByRole("region", { name: "Key Users" });
    await users.getByRole("checkbox", { name: "charlie (User)" }).check();
    await go(users.getByRole("button", { name: "Add", exact: true }));
    let policy = (await kms.send(new GetKeyPolicyCommand({ KeyId: keyId, PolicyName: "default" }))).Policy!;
    expect(principalsOf(policy, "Allow use of the key")).toEqual([ALICE, CHARLIE, "arn:aws:iam::444455556666:root"].sort());

    const admins = page.getByRole("region", { name: "Key Administrators" });
    await admins.getByLabel("Allow key administrators to delete this key").uncheck();
    await go(admins.getByRole("button", { name: "Save Changes" }));
    await expect.poll(() => page.getByRole("status").textContent()).toContain("Saved the key policy.");
    expect(
      await page.getByRole("region", { name: "Key Administrators" }).getByLabel("Allow key administrators to delete this key").isChecked(),
    ).toBe(false);
    policy = (await kms.send(new GetKeyPolicyCommand({ KeyId: keyId, PolicyName: "default" }))).Policy!;
    const admin = statements(policy).find((s) => s.Sid === "Allow access for Key Administrators")!;
    expect(admin.Action).not.toContain("kms:ScheduleKeyDeletion");
    expect(admin.Action).not.toContain("kms:CancelKeyDeletion");

    // And back: remove charlie again.
    await page.getByRole("region", { name: "Key Users" }).getByRole("checkbox", { name: "charlie (User)" }).check();
    await go(page.getByRole("region", { name: "Key Users" }).getByRole("button", { name: "Remove", exact: true }));
    policy = (await kms.send(new GetKeyPolicyCommand({ KeyId: keyId, PolicyName: "default" }))).Policy!;
    expect(principalsOf(policy, "Allow use of the key")).toEqual([ALICE, "arn:aws:iam::444455556666:root"].sort());
    await screenshot(page, "09-key-policy-default-view");
  });

  it("edits the key policy document in the policy view, showing the lockout check's refusal without losing the edit", async () => {
    const kms = worker.client();
    await go(page.getByRole("link", { name: "Switch to policy view" }));
    const editor = page.getByLabel("Key policy document");
    const original = await editor.inputValue();
    // A policy that would lock the caller (the account root) out: refused by the safety check.
    const lockout = JSON.stringify(
      { Version: "2012-10-17", Statement: [{ Sid: "Only bob", Effect: "Allow", Principal: { AWS: BOB }, Action: "kms:*", Resource: "*" }] },
      null,
      2,
    );
    await editor.fill(lockout);
    await go(page.getByRole("region", { name: "Key Policy" }).getByRole("button", { name: "Save Changes" }));
    const alert = page.getByRole("region", { name: "Key Policy" }).getByRole("alert");
    expect(await alert.textContent()).toContain("MalformedPolicyDocumentException");
    expect(await page.getByLabel("Key policy document").inputValue()).toBe(lockout);
    await screenshot(page, "10-key-policy-view-lockout");
    expect((await kms.send(new GetKeyPolicyCommand({ KeyId: keyId, PolicyName: "default" }))).Policy).not.toContain("Only bob");

    const edited = JSON.parse(original) as { Statement: Statement[] };
    edited.Statement.push({
      Sid: "Allow bob to read",
      Effect: "Allow",
      Principal: { AWS: BOB },
      Action: "kms:DescribeKey",
      Resource: "*",
    } as Statement);
    await page.getByLabel("Key policy document").fill(JSON.stringify(edited, null, 2));
    await go(page.getByRole("region", { name: "Key Policy" }).getByRole("button", { name: "Save Changes" }));
    await expect.poll(() => page.getByRole("status").textContent()).toContain("Saved the key policy.");
    const policy = (await kms.send(new GetKeyPolicyCommand({ KeyId: keyId, PolicyName: "default" }))).Policy!;
    expect(statements(policy).map((s) => s.Sid)).toContain("Allow bob to read");
    // No longer the console's shape: the default view is not offered for it.
    await page.goto(`${worker.url}/console/keys/${keyId}`);
    expect(await page.getByRole("region", { name: "Key Policy" }).textContent()).toContain("not created by the console");
    expect(await page.getByRole("region", { name: "Key Administrators" }).count()).toBe(0);
    // Put the console's policy back (without the extra statement) so the default view returns.
    await page.getByLabel("Key policy document").fill(original);
    await go(page.getByRole("region", { name: "Key Policy" }).getByRole("button", { name: "Save Changes" }));
    await go(page.getByRole("link", { name: "Switch to default view" }));
    expect(await page.getByRole("region", { name: "Key Administrators" }).count()).toBe(1);
  });

  it("edits tags and enables automatic rotation", async () => {
    const kms = worker.client();
    const tags = page.getByRole("region", { name: "Tags" });
    // Rows are in the API's order; find the CostCenter row by its input value.
    const keys = await tags.getByRole("textbox", { name: /Tag key/ }).all();
    for (const [i, input] of keys.entries()) {
      if ((await input.inputValue()) === "CostCenter") await tags.getByRole("checkbox", { name: `Remove tag ${i + 1}` }).check();
      if ((await input.inputValue()) === "Project") await tags.getByLabel(`Tag value ${i + 1}`).fill("Console v2");
    }
    const blank = keys.length; // the empty row at the end
    await tags.getByLabel(`Tag key ${blank}`).fill("Owner");
    await tags.getByLabel(`Tag value ${blank}`).fill("alice");
    await go(tags.getByRole("button", { name: "Save Changes" }));
    await expect.poll(() => page.getByRole("status").textContent()).toContain("Saved the tags.");
    const listed = await kms.send(new ListResourceTagsCommand({ KeyId: keyId }));
    expect(listed.Tags?.sort((a, b) => a.TagKey!.localeCompare(b.TagKey!))).toEqual([
      { TagKey: "Owner", TagValue: "alice" },
      { TagKey: "Project", TagValue: "Console v2" },
    ]);

    const rotation = page.getByRole("region", { name: "Key Rotation" });
    await rotation.getByLabel("Rotate this key every year.").check();
    await go(rotation.getByRole("button", { name: "Save Changes" }));
    await expect.poll(() => page.getByRole("status").textContent()).toContain("Automatic key rotation is enabled.");
    expect((await kms.send(new GetKeyRotationStatusCommand({ KeyId: keyId }))).KeyRotationEnabled).toBe(true);
    expect(await page.getByRole("region", { name: "Key Rotation" }).getByLabel("Rotate this key every year.").isChecked()).toBe(true);
  });

  it("disables (by keyboard alone) and re-enables the key with Key actions", async () => {
    const kms = worker.client();
    const actions = page.getByRole("region", { name: "Key actions" });
    await actions.locator("summary", { hasText: "Key actions" }).focus();
    await page.keyboard.press("Enter");
    await page.keyboard.press("Tab");
    expect((await page.locator(":focus").textContent())?.trim()).toBe("Enable");
    await page.keyboard.press("Tab");
    expect((await page.locator(":focus").textContent())?.trim()).toBe("Disable");
    await Promise.all([page.waitForEvent("load"), page.keyboard.press("Enter")]);
    await expect.poll(() => page.getByTestId("key-status").textContent()).toBe("Disabled");
    expect((await kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata?.KeyState).toBe("Disabled");
    await keyAction(page, "Enable");
    await expect.poll(() => page.getByTestId("key-status").textContent()).toBe("Enabled");
    expect((await kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata?.KeyState).toBe("Enabled");
  });

  it("schedules deletion with the waiting period and cancels it", async () => {
    const kms = worker.client();
    await page.goto(`${worker.url}/console/keys`);
    await page.getByRole("checkbox", { name: "Select console-demo" }).check();
    await keyAction(page, "Schedule key deletion");
    await expect.poll(() => page.getByRole("heading", { name: "Schedule key deletion", level: 1 }).count()).toBe(1);
    expect(await page.getByLabel("Waiting period (in days)").inputValue()).toBe("30");
    // Out of range: the API's ValidationException, the typed value kept.
    await page.getByLabel("Waiting period (in days)").fill("5");
    await page.getByLabel(/Confirm that you want to schedule/).check();
    await page.getByLabel("Waiting period (in days)").evaluate((e) => e.removeAttribute("min")); // past the browser's own check
    await go(page.getByRole("button", { name: "Schedule deletion" }));
    expect(await page.getByRole("alert").first().textContent()).toContain("ValidationException");
    expect(await page.getByLabel("Waiting period (in days)").inputValue()).toBe("5");
    expect((await kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata?.KeyState).toBe("Enabled");
    await page.getByLabel("Waiting period (in days)").fill("7");
    await page.getByLabel(/Confirm that you want to schedule/).check();
    await screenshot(page, "11-schedule-key-deletion");
    await go(page.getByRole("button", { name: "Schedule deletion" }));
    await expect.poll(() => page.getByRole("status").textContent()).toContain("Scheduled the selected keys for deletion.");
    expect(await page.getByRole("row", { name: /console-demo/ }).textContent()).toContain("Pending Deletion");
    const pending = (await kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata!;
    expect(pending.KeyState).toBe("PendingDeletion");
    expect(pending.DeletionDate!.getTime() - Date.now()).toBeGreaterThan(7 * 24 * 3600 * 1000 - 60_000);
    expect(pending.DeletionDate!.getTime() - Date.now()).toBeLessThan(8 * 24 * 3600 * 1000 + 60_000);

    await page.getByRole("checkbox", { name: "Select console-demo" }).check();
    await keyAction(page, "Cancel key deletion");
    await expect.poll(() => page.getByRole("status").textContent()).toContain("Canceled key deletion.");
    expect(await page.getByRole("row", { name: /console-demo/ }).textContent()).toContain("Disabled");
    expect((await kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata?.KeyState).toBe("Disabled");
    await page.getByRole("checkbox", { name: "Select console-demo" }).check();
    await keyAction(page, "Enable");
    expect((await kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata?.KeyState).toBe("Enabled");
  });

  it("creates an EXTERNAL key and imports key material through ImportParameters.zip", async () => {
    const kms = worker.client();
    await page.goto(`${worker.url}/console/keys/create`);
    await page.getByLabel("Alias", { exact: true }).fill("console-imported");
    await go(page.getByRole("button", { name: "Advanced Options" }));
    await page.getByRole("radio", { name: "External" }).check();
    // Without the acknowledgement the wizard does not go on.
    await go(page.getByRole("button", { name: "Next Step" }));
    expect(await page.getByRole("alert").textContent()).toContain("security, availability, and durability implications");
    await page.getByLabel("I understand the security, availability, and durability implications of using an imported key").check();
    for (let i = 0; i < 4; i++) await go(page.getByRole("button", { name: "Next Step" }));
    const preview = await page.getByLabel("Key policy", { exact: true }).textContent();
    expect(preview).toContain("Enable IAM User Permissions");
    await go(page.getByRole("button", { name: "Finish" }));
    await expect.poll(() => page.getByTestId("key-status").textContent()).toBe("Pending Import");
    const importedId = (await page.getByTestId("key-id").textContent())!;
    expect(await page.getByTestId("key-origin").textContent()).toBe("External");

    /** Downloads ImportParameters.zip and returns its wrapping key and import token. */
    const downloadParameters = async () => {
      const region = page.getByRole("region", { name: "Key Material" });
      await region.getByRole("radio", { name: "RSAES_OAEP_SHA_256" }).check();
      const [download] = await Promise.all([
        page.waitForEvent("download"),
        region.getByRole("button", { name: "Download wrapping key and import token" }).click(),
      ]);
      expect(download.suggestedFilename()).toBe("ImportParameters.zip");
      const files = unzipSync(new Uint8Array(readFileSync((await download.path())!)));
      const names = Object.keys(files).sort();
      expect(names.map((n) => n.replace(/_\d{10}/, "_T"))).toEqual([
        `README_${importedId}_T.txt`,
        `importToken_${importedId}_T`,
        `wrappingKey_${importedId}_T`,
      ]);
      expect(new TextDecoder().decode(files[names[0]!]!)).toContain("RSAES_OAEP_SHA_256");
      return {
        wrappingKey: files[names.find((n) => n.startsWith("wrappingKey_"))!]!,
        importToken: files[names.find((n) => n.startsWith("importToken_"))!]!,
      };
    };
    const material = page.getByRole("region", { name: "Key Material" });
    const first = await downloadParameters();
    const keyMaterial = randomBytes(32);
    const wrap = (wrappingKey: Uint8Array) =>
      publicEncrypt(
        {
          key: createPublicKey({ key: Buffer.from(wrappingKey), format: "der", type: "spki" }),
          padding: constants.RSA_PKCS1_OAEP_PADDING,
          oaepHash: "sha256",
        },
        keyMaterial,
      );

    // A refusal (the token with the wrong material) keeps the expiration choice.
    await material
      .getByLabel("Encrypted key material")
      .setInputFiles({ name: "EncryptedKeyMaterial.bin", mimeType: "application/octet-stream", buffer: randomBytes(256) });
    await material
      .getByLabel("Import token")
      .setInputFiles({ name: "ImportToken.bin", mimeType: "application/octet-stream", buffer: Buffer.from(first.importToken) });
    await material.getByRole("radio", { name: "Key material expires" }).check();
    const tomorrow = new Date(Date.now() + 24 * 3600 * 1000).toISOString().slice(0, 10);
    await material.getByLabel("Expiration date").fill(tomorrow);
    await material.getByLabel("Expiration time (UTC)").fill("12:00");
    await screenshot(page, "12-key-material");
    await go(material.getByRole("button", { name: "Upload key material" }));
    const refused = page.getByRole("region", { name: "Key Material" });
    expect(await refused.getByRole("alert").textContent()).toMatch(/InvalidCiphertextException|IncorrectKeyMaterialException/);
    expect(await refused.getByRole("radio", { name: "Key material expires" }).isChecked()).toBe(true);
    expect(await refused.getByLabel("Expiration date").inputValue()).toBe(tomorrow);
    expect((await kms.send(new DescribeKeyCommand({ KeyId: importedId }))).KeyMetadata?.KeyState).toBe("PendingImport");

    // An import token is used up by an attempt: download new parameters, as the guide says to.
    const second = await downloadParameters();
    await refused
      .getByLabel("Encrypted key material")
      .setInputFiles({ name: "EncryptedKeyMaterial.bin", mimeType: "application/octet-stream", buffer: wrap(second.wrappingKey) });
    await refused
      .getByLabel("Import token")
      .setInputFiles({ name: "ImportToken.bin", mimeType: "application/octet-stream", buffer: Buffer.from(second.importToken) });
    await go(refused.getByRole("button", { name: "Upload key material" }));
    await expect.poll(() => page.getByRole("status").textContent()).toContain("Imported the key material.");
    const imported = (await kms.send(new DescribeKeyCommand({ KeyId: importedId }))).KeyMetadata!;
    expect(imported.KeyState).toBe("Enabled");
    expect(imported.ExpirationModel).toBe("KEY_MATERIAL_EXPIRES");
    expect(imported.ValidTo?.toISOString()).toBe(`${tomorrow}T12:00:00.000Z`);
    const policy = (await kms.send(new GetKeyPolicyCommand({ KeyId: importedId, PolicyName: "default" }))).Policy!;
    expect(statements(policy).map((s) => s.Sid)).toEqual(["Enable IAM User Permissions"]);

    await page.getByLabel("Confirm that you want to delete the key material").check();
    await go(page.getByRole("button", { name: "Delete key material" }));
    await expect.poll(() => page.getByTestId("key-status").textContent()).toBe("Pending Import");
    expect((await kms.send(new DescribeKeyCommand({ KeyId: importedId }))).KeyMetadata?.KeyState).toBe("PendingImport");

    await page.goto(`${worker.url}/console/keys?col=origin&col=expirationDate`);
    expect(await page.getByRole("row", { name: /console-imported/ }).textContent()).toContain("External");
  });

  it("shows the key's recent calls by operation from the audit trail, marked as console calls", async () => {
    await page.goto(`${worker.url}/console/keys/${keyId}/usage`);
    // Records can reach LookupEvents a moment after the call: refresh until they are there.
    await expect
      .poll(
        async () => {
          await go(page.getByRole("link", { name: "Refresh" }));
          return page.getByRole("table", { name: "Calls by operation" }).textContent();
        },
        { timeout: 20_000, interval: 1000 },
      )
      .toContain("UpdateKeyDescription");
    // The page's own reads (DescribeKey, ...) are recorded too; hide them to see the changes.
    await page.getByLabel("Show read-only calls").uncheck();
    await go(page.getByRole("button", { name: "Apply" }));
    expect(await page.getByRole("table", { name: "Latest audit records" }).textContent()).not.toContain("DescribeKey");
    expect(await page.getByRole("img", { name: /Calls to this key by operation/ }).count()).toBe(1);
    const counts = await page.getByRole("table", { name: "Calls by operation" }).textContent();
    expect(counts).toContain("PutKeyPolicy");
    expect(counts).toContain("DisableKey");
    expect(
      await page
        .getByRole("table", { name: "Latest audit records" })
        .getByRole("row", { name: /UpdateKeyDescription/ })
        .first()
        .textContent(),
    ).toContain("Yes");
    await screenshot(page, "13-key-usage");

    // The audit records say the calls came from the console.
    const events = await lookupAll(cloudTrailClient(worker.url, "test"), {
      LookupAttributes: [{ AttributeKey: "EventName", AttributeValue: "UpdateKeyDescription" }],
    });
    const record = JSON.parse(events.find((e) => e.Resources?.some((r) => r.ResourceName === keyArn))!.CloudTrailEvent!) as {
      userIdentity: Record<string, unknown>;
      requestParameters: Record<string, unknown>;
    };
    expect(record.userIdentity).toMatchObject({
      type: "Root",
      accessKeyId: "test",
      invokedBy: "console",
      sessionCredentialFromConsole: "true",
    });
    expect(record.requestParameters).toMatchObject({ keyId, description: expect.any(String) });
  });

  it("manages aliases", async () => {
    const kms = worker.client();
    await page.goto(`${worker.url}/console/aliases`);
    await page.getByLabel("Alias name").fill("console-second");
    await page.getByLabel("Target key", { exact: true }).selectOption(keyId);
    await go(page.getByRole("button", { name: "Create alias" }));
    await expect.poll(() => page.getByRole("status").textContent()).toContain("Created the alias.");
    // A duplicate is refused with the API's error and the name kept.
    await page.getByLabel("Alias name").fill("console-second");
    await go(page.getByRole("button", { name: "Create alias" }));
    expect(await page.getByRole("alert").textContent()).toContain("AlreadyExistsException");
    expect(await page.getByLabel("Alias name").inputValue()).toBe("console-second");
    await screenshot(page, "14-aliases");
    const aliases = (await kms.send(new ListAliasesCommand({ KeyId: keyId }))).Aliases!.map((a) => a.AliasName).sort();
    expect(aliases).toEqual(["alias/console-demo", "alias/console-second"]);
    await go(page.getByRole("button", { name: "Delete alias console-second" }));
    await expect.poll(() => page.getByRole("status").textContent()).toContain("Deleted the alias.");
    expect((await kms.send(new ListAliasesCommand({ KeyId: keyId }))).Aliases!.map((a) => a.AliasName)).toEqual(["alias/console-demo"]);
  });

  it("lists the key's grants and revokes one", async () => {
    const kms = worker.client();
    await kms.send(
      new CreateGrantCommand({ KeyId: keyId, GranteePrincipal: BOB, Operations: ["Encrypt", "Decrypt"], Name: "console-grant" }),
    );
    await page.goto(`${worker.url}/console/keys/${keyId}`);
    const grants = page.getByRole("region", { name: "Grants" });
    expect(await grants.getByRole("row", { name: /console-grant/ }).textContent()).toContain("Encrypt, Decrypt");
    await go(grants.getByRole("button", { name: "Revoke grant console-grant" }));
    await expect.poll(() => page.getByRole("status").textContent()).toContain("Revoked the grant.");
    expect((await kms.send(new ListGrantsCommand({ KeyId: keyId }))).Grants).toEqual([]);
    expect(await page.getByRole("region", { name: "Grants" }).textContent()).toContain("This key has no grants.");
  });

  /** Chooses a Region from the header's Region menu. */
  async function switchRegion(from: string, to: string) {
    await page.locator("summary", { hasText: `Region: ${from}` }).click();
    await go(page.getByRole("navigation", { name: "Regions" }).getByRole("link", { name: to, exact: true }));
    expect(new URL(page.url()).searchParams.get("region")).toBe(to);
  }

  it("works in the Region chosen in the header: a key created in us-west-2 is listed there and not in us-east-1", async () => {
    await page.goto(`${worker.url}/console/keys`);
    await switchRegion("us-east-1", "us-west-2");
    expect(await page.getByRole("row", { name: /console-demo/ }).count()).toBe(0);
    await go(page.getByRole("main").getByRole("link", { name: "Create key", exact: true }));
    await page.getByLabel("Alias", { exact: true }).fill("console-west");
    for (let step = 1; step < 5; step++) await go(page.getByRole("button", { name: "Next Step" }));
    await go(page.getByRole("button", { name: "Finish" }));
    await expect.poll(() => page.getByRole("status").textContent()).toContain("Created the key.");
    expect(new URL(page.url()).searchParams.get("region")).toBe("us-west-2");
    const westId = (await page.getByTestId("key-id").textContent())!;
    const westArn = (await page.getByTestId("key-arn").textContent())!;
    expect(westArn).toBe(`arn:aws:kms:us-west-2:${ACCOUNT}:key/${westId}`);
    // Its usage page reads us-west-2's trail, where the console's CreateKey is recorded.
    await go(page.getByRole("link", { name: "Key usage", exact: true }));
    await expect
      .poll(
        async () => {
          await go(page.getByRole("link", { name: "Refresh" }));
          return page.getByRole("table", { name: "Calls by operation" }).textContent();
        },
        { timeout: 20_000, interval: 1000 },
      )
      .toContain("CreateKey");
    expect(new URL(page.url()).searchParams.get("region")).toBe("us-west-2");

    await go(page.getByRole("navigation", { name: "Console" }).getByRole("link", { name: "Customer managed keys" }));
    expect(await page.getByRole("row", { name: /console-west/ }).textContent()).toContain(westId);
    await screenshot(page, "17-key-list-us-west-2");
    await switchRegion("us-west-2", "us-east-1");
    expect(await page.getByRole("row", { name: /console-demo/ }).count()).toBe(1);
    expect(await page.getByRole("row", { name: /console-west/ }).count()).toBe(0);

    // The API agrees: the key and its alias are in us-west-2 only.
    const west = await worker.client("test", "us-west-2").send(new DescribeKeyCommand({ KeyId: "alias/console-west" }));
    expect(west.KeyMetadata?.Arn).toBe(westArn);
    await expect(worker.client().send(new DescribeKeyCommand({ KeyId: "alias/console-west" }))).rejects.toMatchObject({
      name: "NotFoundException",
    });
  });

  it("shows a multi-Region key's primary and replicas, replicates it, and links to the replica in its Region", async () => {
    const { KeyMetadata } = await worker.client().send(new CreateKeyCommand({ MultiRegion: true, Description: "console mrk" }));
    const mrk = KeyMetadata!.KeyId!;
    await page.goto(`${worker.url}/console/keys/${mrk}`);
    const regionality = page.getByRole("region", { name: "Regionality" });
    expect(await regionality.getByTestId("multi-region-type").textContent()).toBe("Primary");
    await regionality.getByLabel("Replica Region").selectOption("us-west-2");
    await go(regionality.getByRole("button", { name: "Replicate" }));
    await expect.poll(() => page.getByRole("status").textContent()).toContain("Created the replica key.");
    const replicaArn = `arn:aws:kms:us-west-2:${ACCOUNT}:key/${mrk}`;
    await go(page.getByRole("region", { name: "Regionality" }).getByRole("link", { name: replicaArn }));
    expect(new URL(page.url()).searchParams.get("region")).toBe("us-west-2");
    expect(await page.getByTestId("key-arn").textContent()).toBe(replicaArn);
    expect(await page.getByRole("region", { name: "Regionality" }).getByTestId("multi-region-type").textContent()).toBe("Replica");
    await screenshot(page, "18-replica-key-details");
    const replica = await worker.client("test", "us-west-2").send(new DescribeKeyCommand({ KeyId: mrk }));
    expect(replica.KeyMetadata?.MultiRegionConfiguration?.MultiRegionKeyType).toBe("REPLICA");
  });

  it("lets alice see and do only what her permissions allow", async () => {
    const kms = worker.client();
    const aliceContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    try {
      const alice = await aliceContext.newPage();
      alice.setDefaultTimeout(10_000);
      await signIn(alice, worker.url, "alice");
      // No IAM policy: ListKeys is denied, and the page says so with the API's error.
      expect(await alice.getByRole("alert").first().textContent()).toContain("AccessDeniedException");
      expect(await alice.getByRole("row", { name: /console-demo/ }).count()).toBe(0);
      await screenshot(alice, "15-alice-key-list-denied");
      // She is a key user of console-demo: she can describe it but not read its policy or disable it.
      await alice.goto(`${worker.url}/console/keys/${keyId}`);
      expect(await alice.getByTestId("key-id").textContent()).toBe(keyId);
      expect(await alice.getByRole("region", { name: "Key Policy" }).getByRole("alert").textContent()).toContain("AccessDeniedException");
      await keyAction(alice, "Disable");
      expect(await alice.getByRole("region", { name: "Key actions" }).getByRole("alert").textContent()).toContain("AccessDeniedException");
      expect((await kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata?.KeyState).toBe("Enabled");
      await screenshot(alice, "16-alice-key-details");
      // Not a user of the imported key: nothing to see there.
      const other = (await kms.send(new DescribeKeyCommand({ KeyId: "alias/console-imported" }))).KeyMetadata!.KeyId!;
      const response = await alice.goto(`${worker.url}/console/keys/${other}`);
      expect(response?.status()).toBe(403);
      expect(await alice.getByRole("alert").textContent()).toContain("AccessDeniedException");
      // Reading the audit trail needs cloudtrail:LookupEvents, which she lacks.
      await alice.goto(`${worker.url}/console/keys/${keyId}/usage`);
      expect(await alice.getByRole("alert").textContent()).toContain("AccessDeniedException");
    } finally {
      await aliceContext.close();
    }
  });

  it("sets the session cookie HttpOnly and SameSite=Strict, and refuses forms without the CSRF token or from another origin", async () => {
    const kms = worker.client();
    const cookies = await context.cookies(`${worker.url}/console/`);
    const session = cookies.find((c) => c.name === "edgekms_console")!;
    expect(session).toMatchObject({ httpOnly: true, sameSite: "Strict", path: "/console", secure: false });
    expect(session.expires * 1000 - Date.now()).toBeGreaterThan(7 * 3600 * 1000);
    expect(session.expires * 1000 - Date.now()).toBeLessThanOrEqual(8 * 3600 * 1000 + 5000);

    await page.goto(`${worker.url}/console/keys/${keyId}`);
    const token = await page.locator('input[name="csrf"]').first().getAttribute("value");
    const url = `${worker.url}/console/keys/actions`;
    const noToken = await context.request.post(url, { form: { key: keyId, action: "disable" }, maxRedirects: 0 });
    expect(noToken.status()).toBe(403);
    const wrongToken = await context.request.post(url, { form: { key: keyId, action: "disable", csrf: `${token}x` }, maxRedirects: 0 });
    expect(wrongToken.status()).toBe(403);
    const otherOrigin = await context.request.post(url, {
      form: { key: keyId, action: "disable", csrf: token! },
      headers: { Origin: "http://attacker.example" },
      maxRedirects: 0,
    });
    expect(otherOrigin.status()).toBe(403);
    const crossSite = await context.request.post(url, {
      form: { key: keyId, action: "disable", csrf: token! },
      headers: { "Sec-Fetch-Site": "cross-site" },
      maxRedirects: 0,
    });
    expect(crossSite.status()).toBe(403);
    expect((await kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata?.KeyState).toBe("Enabled");
    // The same request with the token from the page is accepted (so the refusals above are the checks').
    const accepted = await context.request.post(url, {
      form: { key: keyId, action: "disable", csrf: token!, return: `/console/keys/${keyId}` },
      maxRedirects: 0,
    });
    expect(accepted.status()).toBe(303);
    expect((await kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata?.KeyState).toBe("Disabled");
    await context.request.post(url, { form: { key: keyId, action: "enable", csrf: token! }, maxRedirects: 0 });

    // The sign-in form has its own token: a sign-in posted without it is refused.
    const signIn = await context.request.post(`${worker.url}/console/sign-in`, {
      form: { accessKeyId: "test", secretAccessKey: "test" },
      maxRedirects: 0,
    });
    expect(signIn.status()).toBe(403);
  });

  it("ignores a tampered session cookie and signs out", async () => {
    const other = await browser.newContext();
    try {
      const cookie = (await context.cookies(`${worker.url}/console/`)).find((c) => c.name === "edgekms_console")!;
      const [payload, sig] = cookie.value.split(".");
      const forged = Buffer.from(JSON.stringify({ k: "bob", s: "x", e: Math.floor(Date.now() / 1000) + 3600 })).toString("base64url");
      await other.addCookies([{ ...cookie, value: `${forged}.${sig}` }]);
      const p = await other.newPage();
      await p.goto(`${worker.url}/console/keys`);
      expect(new URL(p.url()).pathname).toBe("/console/sign-in");
      await other.clearCookies();
      await other.addCookies([{ ...cookie, value: `${payload}.${sig!.slice(0, -2)}AA` }]);
      await p.goto(`${worker.url}/console/keys`);
      expect(new URL(p.url()).pathname).toBe("/console/sign-in");
    } finally {
      await other.close();
    }

    await page.goto(`${worker.url}/console/keys`);
    const token = await page.locator('input[name="csrf"]').first().getAttribute("value");
    await go(page.getByRole("button", { name: "Sign out" }));
    expect(await page.getByRole("status").textContent()).toContain("You have signed out.");
    expect((await context.cookies(`${worker.url}/console/`)).some((c) => c.name === "edgekms_console")).toBe(false);
    await page.goto(`${worker.url}/console/keys`);
    expect(new URL(page.url()).pathname).toBe("/console/sign-in");
    // Without the session, a form post (even with the old token) does nothing.
    const after = await context.request.post(`${worker.url}/console/keys/actions`, {
      form: { key: keyId, action: "disable", csrf: token! },
      maxRedirects: 0,
    });
    expect(after.status()).toBe(303);
    expect(after.headers().location).toMatch(/^\/console\/sign-in/);
    expect((await worker.client().send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata?.KeyState).toBe("Enabled");
  });
});
