/**
 * Access control end to end (issue 4), through @aws-sdk/client-kms with the five default
 * identities: the guide's alice/bob/charlie example ("Determining Access": CMK1's policy enables
 * IAM policies, CMK2's allows alice and charlie), IAM-only operations, cross-account use by
 * `external`, the policy lockout safety check, malformed policies, encryption-context conditions,
 * ReEncrypt's two permissions, the alias operations' two resources, and refusals that change
 * nothing. Refusals are AccessDeniedException in AWS's wording.
 */
import {
  CreateAliasCommand,
  CreateKeyCommand,
  DecryptCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  GenerateRandomCommand,
  GetKeyPolicyCommand,
  ListAliasesCommand,
  ListKeyPoliciesCommand,
  ListKeysCommand,
  PutKeyPolicyCommand,
  ReEncryptCommand,
  TagResourceCommand,
  UpdateAliasCommand,
  type KMSClient,
} from "@aws-sdk/client-kms";
import { beforeAll, describe, expect, it } from "vitest";
import { ACCOUNT, awsError, EXTERNAL_ACCOUNT, REGION, useLocalWorker, utf8 } from "./support.ts";

const worker = useLocalWorker();

const ROOT_ARN = `arn:aws:iam::${ACCOUNT}:root`;
const ALICE_ARN = `arn:aws:iam::${ACCOUNT}:user/alice`;
const BOB_ARN = `arn:aws:iam::${ACCOUNT}:user/bob`;
const CHARLIE_ARN = `arn:aws:iam::${ACCOUNT}:user/charlie`;
const EXTERNAL_ROOT = `arn:aws:iam::${EXTERNAL_ACCOUNT}:root`;

function policy(...statements: object[]): string {
  return JSON.stringify({ Version: "2012-10-17", Statement: statements });
}

function allow(principals: string | string[], actions: string | string[] = "kms:*", extra: object = {}): object {
  return { Effect: "Allow", Principal: { AWS: principals }, Action: actions, Resource: "*", ...extra };
}

const denied = (who: string, action: string, resource: string, why: string) =>
  `User: ${who} is not authorized to perform: ${action} on resource: ${resource} ${why}`;
const noResourcePolicy = (action: string) => `because no resource-based policy allows the ${action} action`;
const noIdentityPolicy = (action: string) => `because no identity-based policy allows the ${action} action`;
const IDENTITY_DENY = "with an explicit deny in an identity-based policy";
const RESOURCE_DENY = "with an explicit deny in a resource-based policy";

async function createKey(kms: KMSClient, keyPolicy?: string, bypass = false): Promise<string> {
  const { KeyMetadata } = await kms.send(
    new CreateKeyCommand({
      ...(keyPolicy === undefined ? {} : { Policy: keyPolicy }),
      ...(bypass ? { BypassPolicyLockoutSafetyCheck: true } : {}),
    }),
  );
  return KeyMetadata!.Arn!;
}

describe("the guide's example: CMK1 enables IAM policies, CMK2 allows alice and charlie", () => {
  let cmk1: string;
  let cmk2: string;

  beforeAll(async () => {
    const root = worker.client("test");
    cmk1 = await createKey(root);
    // CMK2 names only alice and charlie, so its creator (the root user) is locked out: that is
    // exactly what the lockout check refuses unless bypassed.
    cmk2 = await createKey(root, policy(allow([ALICE_ARN, CHARLIE_ARN])), true);
  });

  it("lets alice use CMK2 but not CMK1, which needs an IAM policy she does not have", async () => {
    const alice = worker.client("alice");
    const sealed = await alice.send(new EncryptCommand({ KeyId: cmk2, Plaintext: utf8("alice's") }));
    const opened = await alice.send(new DecryptCommand({ CiphertextBlob: sealed.CiphertextBlob! }));
    expect(new TextDecoder().decode(opened.Plaintext)).toBe("alice's");
    const refused = await awsError(alice.send(new EncryptCommand({ KeyId: cmk1, Plaintext: utf8("x") })));
    expect(refused).toMatchObject({ name: "AccessDeniedException", status: 400 });
    expect(refused.message).toBe(denied(ALICE_ARN, "kms:Encrypt", cmk1, noIdentityPolicy("kms:Encrypt")));
  });

  it("lets bob use CMK1 through his IAM policy but not CMK2, whose policy does not enable IAM policies", async () => {
    const bob = worker.client("bob");
    await bob.send(new EncryptCommand({ KeyId: cmk1, Plaintext: utf8("bob's") }));
    expect((await bob.send(new DescribeKeyCommand({ KeyId: cmk1 }))).KeyMetadata!.Arn).toBe(cmk1);
    const refused = await awsError(bob.send(new EncryptCommand({ KeyId: cmk2, Plaintext: utf8("x") })));
    expect(refused.name).toBe("AccessDeniedException");
    expect(refused.message).toBe(denied(BOB_ARN, "kms:Encrypt", cmk2, noResourcePolicy("kms:Encrypt")));
  });

  it("refuses charlie both keys: his IAM policy's explicit deny beats CMK2's allow", async () => {
    const charlie = worker.client("charlie");
    for (const key of [cmk1, cmk2]) {
      const refused = await awsError(charlie.send(new EncryptCommand({ KeyId: key, Plaintext: utf8("x") })));
      expect(refused.name).toBe("AccessDeniedException");
      expect(refused.message).toBe(denied(CHARLIE_ARN, "kms:Encrypt", key, IDENTITY_DENY));
      const describe = await awsError(charlie.send(new DescribeKeyCommand({ KeyId: key })));
      expect(describe.message).toBe(denied(CHARLIE_ARN, "kms:DescribeKey", key, IDENTITY_DENY));
    }
  });

  it("checks the action of each operation: alice may not administer CMK2 beyond what its policy allows, and a refusal changes nothing", async () => {
    const narrow = await createKey(worker.client("test"), policy(allow(ROOT_ARN), allow(ALICE_ARN, ["kms:Encrypt", "kms:DescribeKey"])));
    const alice = worker.client("alice");
    await alice.send(new EncryptCommand({ KeyId: narrow, Plaintext: utf8("x") }));
    const disable = await awsError(alice.send(new DisableKeyCommand({ KeyId: narrow })));
    expect(disable.message).toBe(denied(ALICE_ARN, "kms:DisableKey", narrow, noIdentityPolicy("kms:DisableKey")));
    const gdk = await awsError(alice.send(new GenerateDataKeyCommand({ KeyId: narrow, KeySpec: "AES_256" })));
    expect(gdk.name).toBe("AccessDeniedException");
    const listPolicies = await awsError(alice.send(new ListKeyPoliciesCommand({ KeyId: narrow })));
    expect(listPolicies.message).toContain("kms:ListKeyPolicies");
    expect((await alice.send(new DescribeKeyCommand({ KeyId: narrow }))).KeyMetadata!.KeyState).toBe("Enabled");
  });
});

describe("operations whose permission lives only in IAM", () => {
  it("are allowed to the account root and to bob, refused to alice (no policy) and charlie (explicit deny)", async () => {
    await worker.client("test").send(new ListKeysCommand({}));
    await worker.client("bob").send(new ListKeysCommand({}));
    await worker.client("bob").send(new GenerateRandomCommand({ NumberOfBytes: 8 }));
    await worker.client("bob").send(new ListAliasesCommand({}));
    const alice = await awsError(worker.client("alice").send(new ListKeysCommand({})));
    expect(alice).toMatchObject({ name: "AccessDeniedException" });
    expect(alice.message).toBe(denied(ALICE_ARN, "kms:ListKeys", "*", noIdentityPolicy("kms:ListKeys")));
    const random = await awsError(worker.client("alice").send(new GenerateRandomCommand({ NumberOfBytes: 8 })));
    expect(random.message).toBe(denied(ALICE_ARN, "kms:GenerateRandom", "*", noIdentityPolicy("kms:GenerateRandom")));
    const charlie = await awsError(worker.client("charlie").send(new CreateKeyCommand({})));
    expect(charlie.message).toBe(denied(CHARLIE_ARN, "kms:CreateKey", "*", IDENTITY_DENY));
    const aliases = await awsError(worker.client("charlie").send(new ListAliasesCommand({})));
    expect(aliases.name).toBe("AccessDeniedException");
  });

  it("let bob create a key whose policy enables IAM policies, since his IAM policy lets him put it back", async () => {
    const bob = worker.client("bob");
    const arn = await createKey(bob, policy(allow(ROOT_ARN)));
    expect((await bob.send(new DescribeKeyCommand({ KeyId: arn }))).KeyMetadata!.AWSAccountId).toBe(ACCOUNT);
  });
});

describe("alias operations need the alias (IAM) and every key they touch (key policy)", () => {
  it("refuses alice the alias even for a key she may use, and refuses bob a target key that does not enable IAM", async () => {
    const root = worker.client("test");
    const open = await createKey(root);
    const alicesOnly = await createKey(root, policy(allow(ROOT_ARN), allow(ALICE_ARN)));
    const alice = await awsError(
      worker.client("alice").send(new CreateAliasCommand({ AliasName: "alias/alices", TargetKeyId: alicesOnly })),
    );
    const aliasArn = `arn:aws:kms:${REGION}:${ACCOUNT}:alias/alices`;
    expect(alice.message).toBe(denied(ALICE_ARN, "kms:CreateAlias", aliasArn, noIdentityPolicy("kms:CreateAlias")));

    const bob = worker.client("bob");
    await bob.send(new CreateAliasCommand({ AliasName: "alias/bobs", TargetKeyId: open }));
    const lockedForBob = await createKey(
      root,
      policy(allow(ROOT_ARN, "kms:*", { Condition: { StringEquals: { "aws:PrincipalType": "Account" } } })),
    );
    const update = await awsError(bob.send(new UpdateAliasCommand({ AliasName: "alias/bobs", TargetKeyId: lockedForBob })));
    expect(update.message).toBe(denied(BOB_ARN, "kms:UpdateAlias", lockedForBob, noResourcePolicy("kms:UpdateAlias")));
    const aliases = await root.send(new ListAliasesCommand({ KeyId: open }));
    expect(aliases.Aliases!.map((a) => a.AliasName)).toEqual(["alias/bobs"]);
  });
});

describe("cross-account use", () => {
  it("lets external use a key whose policy allows its account, by key ARN, and refuses a key whose policy does not", async () => {
    const root = worker.client("test");
    const shared = await createKey(
      root,
      policy(allow(ROOT_ARN), allow(EXTERNAL_ACCOUNT, ["kms:Encrypt", "kms:Decrypt", "kms:DescribeKey"])),
    );
    const external = worker.client("external");
    const sealed = await external.send(new EncryptCommand({ KeyId: shared, Plaintext: utf8("across accounts") }));
    const opened = await external.send(new DecryptCommand({ CiphertextBlob: sealed.CiphertextBlob! }));
    expect(new TextDecoder().decode(opened.Plaintext)).toBe("across accounts");
    const notListed = await external.send(new ListKeysCommand({}));
    expect(notListed.Keys!.some((k) => k.KeyArn === shared)).toBe(false);
    const policyRead = await awsError(external.send(new GetKeyPolicyCommand({ KeyId: shared, PolicyName: "default" })));
    expect(policyRead.message).toBe(denied(EXTERNAL_ROOT, "kms:GetKeyPolicy", shared, noResourcePolicy("kms:GetKeyPolicy")));

    const mine = await createKey(root);
    const refused = await awsError(external.send(new EncryptCommand({ KeyId: mine, Plaintext: utf8("x") })));
    expect(refused.message).toBe(denied(EXTERNAL_ROOT, "kms:Encrypt", mine, noResourcePolicy("kms:Encrypt")));
  });

  it("lets the key's account decide with an explicit deny even when another statement allows external", async () => {
    const root = worker.client("test");
    const key = await createKey(
      root,
      policy(allow(ROOT_ARN), allow(EXTERNAL_ROOT, "kms:*"), {
        Effect: "Deny",
        Principal: { AWS: EXTERNAL_ROOT },
        Action: "kms:Decrypt",
        Resource: "*",
      }),
    );
    const external = worker.client("external");
    const sealed = await external.send(new EncryptCommand({ KeyId: key, Plaintext: utf8("x") }));
    const refused = await awsError(external.send(new DecryptCommand({ CiphertextBlob: sealed.CiphertextBlob! })));
    expect(refused.message).toBe(denied(EXTERNAL_ROOT, "kms:Decrypt", key, RESOURCE_DENY));
  });
});

describe("the policy lockout safety check", () => {
  const onlyAlice = policy(allow(ALICE_ARN));

  it("refuses CreateKey with a policy that would lock the caller out, creating nothing, unless bypassed", async () => {
    const root = worker.client("test");
    const before = (await root.send(new ListKeysCommand({ Limit: 1000 }))).Keys!.length;
    const refused = await awsError(root.send(new CreateKeyCommand({ Policy: onlyAlice })));
    expect(refused).toMatchObject({
      name: "MalformedPolicyDocumentException",
      message: "The new key policy will not allow you to update the key policy in the future.",
    });
    expect((await root.send(new ListKeysCommand({ Limit: 1000 }))).Keys!.length).toBe(before);
    const arn = await createKey(root, onlyAlice, true);
    const lockedOut = await awsError(root.send(new DescribeKeyCommand({ KeyId: arn })));
    expect(lockedOut.name).toBe("AccessDeniedException");
    expect((await worker.client("alice").send(new DescribeKeyCommand({ KeyId: arn }))).KeyMetadata!.Arn).toBe(arn);
  });

  it("refuses PutKeyPolicy with such a policy and keeps the old one, unless bypassed", async () => {
    const root = worker.client("test");
    const arn = await createKey(root);
    const original = (await root.send(new GetKeyPolicyCommand({ KeyId: arn, PolicyName: "default" }))).Policy;
    const refused = await awsError(root.send(new PutKeyPolicyCommand({ KeyId: arn, PolicyName: "default", Policy: onlyAlice })));
    expect(refused.name).toBe("MalformedPolicyDocumentException");
    expect(refused.message).toBe("The new key policy will not allow you to update the key policy in the future.");
    expect((await root.send(new GetKeyPolicyCommand({ KeyId: arn, PolicyName: "default" }))).Policy).toBe(original);

    // A policy that still lets the caller put a policy passes without the bypass.
    const keepsRoot = policy(allow(ROOT_ARN, "kms:PutKeyPolicy"), allow(ROOT_ARN, "kms:GetKeyPolicy"), allow(ALICE_ARN));
    await root.send(new PutKeyPolicyCommand({ KeyId: arn, PolicyName: "default", Policy: keepsRoot }));
    expect((await root.send(new GetKeyPolicyCommand({ KeyId: arn, PolicyName: "default" }))).Policy).toBe(keepsRoot);

    await root.send(
      new PutKeyPolicyCommand({ KeyId: arn, PolicyName: "default", Policy: onlyAlice, BypassPolicyLockoutSafetyCheck: true }),
    );
    const after = await awsError(root.send(new GetKeyPolicyCommand({ KeyId: arn, PolicyName: "default" })));
    expect(after.name).toBe("AccessDeniedException");
    const alice = worker.client("alice");
    expect((await alice.send(new GetKeyPolicyCommand({ KeyId: arn, PolicyName: "default" }))).Policy).toBe(onlyAlice);
    expect((await alice.send(new ListKeyPoliciesCommand({ KeyId: arn }))).PolicyNames).toEqual(["default"]);
  });

  it("lets an IAM policy deny bypassing the check (kms:BypassPolicyLockoutSafetyCheck is a CreateKey condition key)", async () => {
    // bob's IAM policy allows kms:*, so he may bypass; the key policy decides nothing for CreateKey.
    const bob = worker.client("bob");
    const arn = await createKey(bob, onlyAlice, true);
    expect(arn).toContain(`:${ACCOUNT}:key/`);
  });
});

describe("malformed key policies", () => {
  const cases: [string, string, string | RegExp][] = [
    ["invalid JSON", "{not json", /JSON/],
    [
      "a statement with no principal",
      JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "kms:*", Resource: "*" }] }),
      "Policy contains a statement with no principal.",
    ],
    [
      "an IAM group as principal",
      policy(allow("arn:aws:iam::111122223333:group/admins")),
      "Policy contains a statement with one or more invalid principals.",
    ],
    [
      "an unknown condition operator",
      policy(allow(ROOT_ARN, "kms:*", { Condition: { StringSorta: { "kms:CallerAccount": ACCOUNT } } })),
      /unknown condition operator/,
    ],
    [
      "an unknown element",
      JSON.stringify({ Version: "2012-10-17", Statement: [{ ...allow(ROOT_ARN), Colour: "blue" }] }),
      /unknown element/,
    ],
    [
      "an action without a vendor",
      policy(allow(ROOT_ARN, "Encrypt")),
      "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.",
    ],
    ["more than 32 KB", policy(allow(ROOT_ARN), { ...allow(ROOT_ARN), Sid: "x".repeat(33_000) }), /32768/],
  ];

  it.each(cases)("are refused for %s by CreateKey and PutKeyPolicy", async (_what, document, message) => {
    const root = worker.client("test");
    const create = await awsError(root.send(new CreateKeyCommand({ Policy: document })));
    expect(create.name).toBe("MalformedPolicyDocumentException");
    if (typeof message === "string") expect(create.message).toBe(message);
    else expect(create.message).toMatch(message);
    const arn = await createKey(root);
    const put = await awsError(root.send(new PutKeyPolicyCommand({ KeyId: arn, PolicyName: "default", Policy: document })));
    expect(put.name).toBe("MalformedPolicyDocumentException");
  });
});

describe("conditions on the encryption context", () => {
  it("allow alice only with Department=Finance in the encryption context, for Encrypt, GenerateDataKey and Decrypt", async () => {
    const root = worker.client("test");
    const key = await createKey(
      root,
      policy(
        allow(ROOT_ARN),
        allow(ALICE_ARN, ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey"], {
          Condition: { StringEquals: { "kms:EncryptionContext:Department": "Finance" } },
        }),
      ),
    );
    const alice = worker.client("alice");
    const finance = { Department: "Finance", Customer: "12345" };
    const sealed = await alice.send(new EncryptCommand({ KeyId: key, Plaintext: utf8("ok"), EncryptionContext: finance }));
    await alice.send(new DecryptCommand({ CiphertextBlob: sealed.CiphertextBlob!, EncryptionContext: finance }));
    await alice.send(new GenerateDataKeyCommand({ KeyId: key, KeySpec: "AES_256", EncryptionContext: { Department: "Finance" } }));
    const refusedContexts: Record<string, string>[] = [{ Department: "Sales" }, {}, { department: "finance" }];
    for (const context of refusedContexts) {
      const refused = await awsError(alice.send(new EncryptCommand({ KeyId: key, Plaintext: utf8("no"), EncryptionContext: context })));
      expect(refused.message).toBe(denied(ALICE_ARN, "kms:Encrypt", key, noIdentityPolicy("kms:Encrypt")));
    }
  });

  it('refuse alice {"tenant":"carol","Tenant":"alice"} under a policy that lets her use only tenant alice (issue 11, item 6)', async () => {
    const root = worker.client("test");
    const key = await createKey(
      root,
      policy(
        allow(ROOT_ARN),
        allow(ALICE_ARN, ["kms:Encrypt", "kms:Decrypt"], { Condition: { StringEquals: { "kms:EncryptionContext:tenant": "alice" } } }),
      ),
    );
    const alice = worker.client("alice");
    await alice.send(new EncryptCommand({ KeyId: key, Plaintext: utf8("ok"), EncryptionContext: { tenant: "alice" } }));
    // Member order is what the old evaluation let decide; neither order may pass.
    for (const text of ['{"tenant":"carol","Tenant":"alice"}', '{"Tenant":"alice","tenant":"carol"}']) {
      const context = JSON.parse(text) as Record<string, string>;
      const refused = await awsError(alice.send(new EncryptCommand({ KeyId: key, Plaintext: utf8("no"), EncryptionContext: context })));
      expect(refused.message).toBe(denied(ALICE_ARN, "kms:Encrypt", key, noIdentityPolicy("kms:Encrypt")));
      // A blob made under that context by someone else does not open for alice either.
      const sealed = await root.send(new EncryptCommand({ KeyId: key, Plaintext: utf8("carol's"), EncryptionContext: context }));
      const notOpened = await awsError(
        alice.send(new DecryptCommand({ CiphertextBlob: sealed.CiphertextBlob!, EncryptionContext: context })),
      );
      expect(notOpened.name).toBe("AccessDeniedException");
    }
  });

  it("let a key policy deny a principal any request whose context lacks a key (Null condition)", async () => {
    const root = worker.client("test");
    const key = await createKey(
      root,
      policy(allow(ROOT_ARN), allow(ALICE_ARN, ["kms:Encrypt"]), {
        Effect: "Deny",
        Principal: { AWS: ALICE_ARN },
        Action: "kms:Encrypt",
        Resource: "*",
        Condition: { Null: { "kms:EncryptionContext:Project": "true" } },
      }),
    );
    const alice = worker.client("alice");
    await alice.send(new EncryptCommand({ KeyId: key, Plaintext: utf8("ok"), EncryptionContext: { Project: "apollo" } }));
    const refused = await awsError(alice.send(new EncryptCommand({ KeyId: key, Plaintext: utf8("no") })));
    expect(refused.message).toBe(denied(ALICE_ARN, "kms:Encrypt", key, RESOURCE_DENY));
  });
});

describe("ReEncrypt", () => {
  it("needs kms:ReEncryptFrom on the source and kms:ReEncryptTo on the destination, and sees kms:ReEncryptOnSameKey", async () => {
    const root = worker.client("test");
    const source = await createKey(
      root,
      policy(
        allow(ROOT_ARN),
        allow(ALICE_ARN, ["kms:Encrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo"], {
          Condition: { Bool: { "kms:ReEncryptOnSameKey": "false" } },
        }),
        allow(ALICE_ARN, "kms:Encrypt"),
      ),
    );
    const destination = await createKey(root, policy(allow(ROOT_ARN), allow(ALICE_ARN, "kms:ReEncryptTo")));
    const noTo = await createKey(root, policy(allow(ROOT_ARN), allow(ALICE_ARN, "kms:Decrypt")));
    const alice = worker.client("alice");
    const sealed = await alice.send(new EncryptCommand({ KeyId: source, Plaintext: utf8("move me") }));

    const moved = await alice.send(new ReEncryptCommand({ CiphertextBlob: sealed.CiphertextBlob!, DestinationKeyId: destination }));
    expect(moved.KeyId).toBe(destination);
    expect(moved.SourceKeyId).toBe(source);

    const toNoTo = await awsError(alice.send(new ReEncryptCommand({ CiphertextBlob: sealed.CiphertextBlob!, DestinationKeyId: noTo })));
    expect(toNoTo.message).toBe(denied(ALICE_ARN, "kms:ReEncryptTo", noTo, noIdentityPolicy("kms:ReEncryptTo")));
    const sameKey = await awsError(alice.send(new ReEncryptCommand({ CiphertextBlob: sealed.CiphertextBlob!, DestinationKeyId: source })));
    expect(sameKey.message).toBe(denied(ALICE_ARN, "kms:ReEncryptFrom", source, noIdentityPolicy("kms:ReEncryptFrom")));
    const fromDestination = await awsError(
      alice.send(new ReEncryptCommand({ CiphertextBlob: moved.CiphertextBlob!, DestinationKeyId: source })),
    );
    expect(fromDestination.message).toBe(denied(ALICE_ARN, "kms:ReEncryptFrom", destination, noIdentityPolicy("kms:ReEncryptFrom")));
  });
});

describe("request tags and resource tags", () => {
  it("are condition keys: aws:ResourceTag on the key, aws:RequestTag and aws:TagKeys on TagResource", async () => {
    const root = worker.client("test");
    const key = await createKey(
      root,
      policy(
        allow(ROOT_ARN),
        allow(ALICE_ARN, "kms:DescribeKey", { Condition: { StringEquals: { "aws:ResourceTag/team": "blue" } } }),
        allow(ALICE_ARN, "kms:TagResource", { Condition: { "ForAllValues:StringEquals": { "aws:TagKeys": ["team"] } } }),
      ),
    );
    const alice = worker.client("alice");
    expect((await awsError(alice.send(new DescribeKeyCommand({ KeyId: key })))).name).toBe("AccessDeniedException");
    const wrongTag = await awsError(alice.send(new TagResourceCommand({ KeyId: key, Tags: [{ TagKey: "owner", TagValue: "alice" }] })));
    expect(wrongTag.message).toBe(denied(ALICE_ARN, "kms:TagResource", key, noIdentityPolicy("kms:TagResource")));
    await alice.send(new TagResourceCommand({ KeyId: key, Tags: [{ TagKey: "team", TagValue: "blue" }] }));
    expect((await alice.send(new DescribeKeyCommand({ KeyId: key }))).KeyMetadata!.Arn).toBe(key);
  });
});
