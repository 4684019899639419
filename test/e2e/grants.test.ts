/**
 * Grants end to end (guide: "Using Grants", "Grant Tokens", "Examining Grants", Limits), through
 * @aws-sdk/client-kms with the default identities: CreateGrant and its response, ListGrants
 * entries, both constraint types, Name idempotence, grant chains (equal or narrower only),
 * retiring (each allowed principal, refused for others) and revoking, ListRetirableGrants across
 * keys and accounts, grant tokens, the limits (made small here), and a deleted key's grants.
 */
import {
  CreateGrantCommand,
  CreateKeyCommand,
  DecryptCommand,
  DescribeKeyCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  ListGrantsCommand,
  ListRetirableGrantsCommand,
  RetireGrantCommand,
  RevokeGrantCommand,
  ScheduleKeyDeletionCommand,
  type CreateGrantCommandInput,
  type KMSClient,
} from "@aws-sdk/client-kms";
import { describe, expect, it } from "vitest";
import { ACCOUNT, awsError, EXTERNAL_ACCOUNT, useLocalWorker, utf8 } from "./support.ts";

const DELETION_DAY_SECONDS = 0.2;
const worker = useLocalWorker({
  GRANTS_PER_KEY: "6",
  GRANTS_PER_GRANTEE_PER_KEY: "3",
  DELETION_DAY_SECONDS: String(DELETION_DAY_SECONDS),
});

const ROOT_ARN = `arn:aws:iam::${ACCOUNT}:root`;
const ALICE_ARN = `arn:aws:iam::${ACCOUNT}:user/alice`;
const BOB_ARN = `arn:aws:iam::${ACCOUNT}:user/bob`;
const CHARLIE_ARN = `arn:aws:iam::${ACCOUNT}:user/charlie`;
const EXTERNAL_ROOT = `arn:aws:iam::${EXTERNAL_ACCOUNT}:root`;

async function newKey(kms: KMSClient = worker.client("test")): Promise<string> {
  return (await kms.send(new CreateKeyCommand({}))).KeyMetadata!.Arn!;
}

async function grant(input: CreateGrantCommandInput, kms: KMSClient = worker.client("test")) {
  const out = await kms.send(new CreateGrantCommand(input));
  return { grantId: out.GrantId!, grantToken: out.GrantToken! };
}

async function grantIds(keyId: string): Promise<string[]> {
  return (await worker.client("test").send(new ListGrantsCommand({ KeyId: keyId }))).Grants!.map((g) => g.GrantId!);
}

describe("CreateGrant and ListGrants", () => {
  it("let a grantee without any policy use the key for exactly the granted operations", async () => {
    const key = await newKey();
    const alice = worker.client("alice");
    expect((await awsError(alice.send(new EncryptCommand({ KeyId: key, Plaintext: utf8("x") })))).name).toBe("AccessDeniedException");

    const created = await grant({ KeyId: key, GranteePrincipal: ALICE_ARN, Operations: ["Encrypt", "Decrypt"] });
    expect(created.grantId).toMatch(/^[0-9a-f]{64}$/);
    expect(created.grantToken.length).toBeGreaterThan(0);

    const sealed = await alice.send(new EncryptCommand({ KeyId: key, Plaintext: utf8("granted") }));
    const opened = await alice.send(new DecryptCommand({ CiphertextBlob: sealed.CiphertextBlob! }));
    expect(new TextDecoder().decode(opened.Plaintext)).toBe("granted");
    const notGranted = await awsError(alice.send(new GenerateDataKeyCommand({ KeyId: key, KeySpec: "AES_256" })));
    expect(notGranted.name).toBe("AccessDeniedException");
    expect(notGranted.message).toContain("kms:GenerateDataKey");
  });

  it("list each grant as AWS's GrantListEntry, filtered by grant ID or grantee, paged by Limit and Marker", async () => {
    const key = await newKey();
    const before = Date.now();
    const a = await grant({
      KeyId: key,
      GranteePrincipal: ALICE_ARN,
      RetiringPrincipal: BOB_ARN,
      Operations: ["Decrypt", "DescribeKey"],
      Constraints: { EncryptionContextSubset: { Department: "Finance" } },
      Name: "finance-decrypt",
    });
    const b = await grant({ KeyId: key, GranteePrincipal: EXTERNAL_ROOT, Operations: ["Encrypt"] });
    const c = await grant({ KeyId: key, GranteePrincipal: ALICE_ARN, Operations: ["GenerateDataKey"] });

    const all = await worker.client("test").send(new ListGrantsCommand({ KeyId: key }));
    expect(all.Truncated).toBe(false);
    expect(all.Grants!.map((g) => g.GrantId)).toEqual([a.grantId, b.grantId, c.grantId]);
    const first = all.Grants![0]!;
    expect(first).toMatchObject({
      KeyId: key,
      GrantId: a.grantId,
      Name: "finance-decrypt",
      GranteePrincipal: ALICE_ARN,
      RetiringPrincipal: BOB_ARN,
      IssuingAccount: ROOT_ARN,
      Operations: ["Decrypt", "DescribeKey"],
      Constraints: { EncryptionContextSubset: { Department: "Finance" } },
    });
    expect(first.CreationDate!.getTime()).toBeGreaterThanOrEqual(before - 2000);
    expect(all.Grants![1]!.Constraints).toBeUndefined();

    const byId = await worker.client("test").send(new ListGrantsCommand({ KeyId: key, GrantId: b.grantId }));
    expect(byId.Grants!.map((g) => g.GrantId)).toEqual([b.grantId]);
    const byGrantee = await worker.client("test").send(new ListGrantsCommand({ KeyId: key, GranteePrincipal: ALICE_ARN }));
    expect(byGrantee.Grants!.map((g) => g.GrantId)).toEqual([a.grantId, c.grantId]);

    const page1 = await worker.client("test").send(new ListGrantsCommand({ KeyId: key, Limit: 2 }));
    expect(page1).toMatchObject({ Truncated: true });
    const page2 = await worker.client("test").send(new ListGrantsCommand({ KeyId: key, Limit: 2, Marker: page1.NextMarker }));
    expect([...page1.Grants!, ...page2.Grants!].map((g) => g.GrantId)).toEqual([a.grantId, b.grantId, c.grantId]);
    expect(page2.Truncated).toBe(false);

    const tooMany = await awsError(worker.client("test").send(new ListGrantsCommand({ KeyId: key, Limit: 101 })));
    expect(tooMany.name).toBe("ValidationException");
    const badId = await awsError(worker.client("test").send(new ListGrantsCommand({ KeyId: key, GrantId: "not-a-grant" })));
    expect(badId.name).toBe("InvalidGrantIdException");
  });

  it("return the existing GrantId for the same Name and parameters, with a fresh token, and a new grant otherwise", async () => {
    const key = await newKey();
    const input = { KeyId: key, GranteePrincipal: ALICE_ARN, Operations: ["Encrypt" as const], Name: "retry-me" };
    const first = await grant(input);
    const again = await grant(input);
    expect(again.grantId).toBe(first.grantId);
    expect(again.grantToken).not.toBe(first.grantToken);
    const different = await grant({ ...input, Operations: ["Decrypt"] });
    expect(different.grantId).not.toBe(first.grantId);
    expect(await grantIds(key)).toEqual([first.grantId, different.grantId]);
  });

  it("refuse constraints with operations that take no encryption context, and grants the key policy does not allow", async () => {
    const key = await newKey();
    const sign = await awsError(
      worker.client("test").send(
        new CreateGrantCommand({
          KeyId: key,
          GranteePrincipal: ALICE_ARN,
          Operations: ["Sign"],
          Constraints: { EncryptionContextSubset: { a: "b" } },
        }),
      ),
    );
    expect(sign.name).toBe("ValidationException");
    const byAlice = await awsError(
      worker.client("alice").send(new CreateGrantCommand({ KeyId: key, GranteePrincipal: ALICE_ARN, Operations: ["Encrypt"] })),
    );
    expect(byAlice.message).toBe(
      `User: ${ALICE_ARN} is not authorized to perform: kms:CreateGrant on resource: ${key} because no identity-based policy allows the kms:CreateGrant action`,
    );
    const badGrantee = await awsError(
      worker.client("test").send(new CreateGrantCommand({ KeyId: key, GranteePrincipal: "alice", Operations: ["Encrypt"] })),
    );
    expect(badGrantee.name).toBe("ValidationException");
    expect(await grantIds(key)).toEqual([]);
  });

  it("never override an explicit deny: charlie's IAM policy still refuses him what a grant allows", async () => {
    const key = await newKey();
    await grant({ KeyId: key, GranteePrincipal: CHARLIE_ARN, Operations: ["Encrypt"] });
    const refused = await awsError(worker.client("charlie").send(new EncryptCommand({ KeyId: key, Plaintext: utf8("x") })));
    expect(refused.message).toBe(
      `User: ${CHARLIE_ARN} is not authorized to perform: kms:Encrypt on resource: ${key} with an explicit deny in an identity-based policy`,
    );
  });
});

describe("grant constraints", () => {
  it("EncryptionContextSubset allows requests whose context contains the pairs (keys case-insensitive), and not others", async () => {
    const key = await newKey();
    await grant({
      KeyId: key,
      GranteePrincipal: ALICE_ARN,
      Operations: ["Encrypt", "Decrypt", "DescribeKey"],
      Constraints: { EncryptionContextSubset: { Department: "Finance", Classification: "Public" } },
    });
    const alice = worker.client("alice");
    const allowed: Record<string, string>[] = [
      { Department: "Finance", Classification: "Public" },
      { Department: "Finance", Classification: "Public", Customer: "12345" },
      { department: "Finance", CLASSIFICATION: "Public" },
    ];
    for (const context of allowed) {
      const sealed = await alice.send(new EncryptCommand({ KeyId: key, Plaintext: utf8("x"), EncryptionContext: context }));
      await alice.send(new DecryptCommand({ CiphertextBlob: sealed.CiphertextBlob!, EncryptionContext: context }));
    }
    const refusedContexts: Record<string, string>[] = [{ Department: "Finance" }, {}, { Department: "Finance", Classification: "public" }];
    for (const context of refusedContexts) {
      const refused = await awsError(alice.send(new EncryptCommand({ KeyId: key, Plaintext: utf8("x"), EncryptionContext: context })));
      expect(refused.name).toBe("AccessDeniedException");
    }
    // Constraints do not apply to operations without an encryption context.
    expect((await alice.send(new DescribeKeyCommand({ KeyId: key }))).KeyMetadata!.Arn).toBe(key);
  });

  it("EncryptionContextEquals allows only the exact context", async () => {
    const key = await newKey();
    await grant({
      KeyId: key,
      GranteePrincipal: ALICE_ARN,
      Operations: ["Encrypt"],
      Constraints: { EncryptionContextEquals: { Department: "Finance" } },
    });
    const alice = worker.client("alice");
    await alice.send(new EncryptCommand({ KeyId: key, Plaintext: utf8("x"), EncryptionContext: { Department: "Finance" } }));
    const refusedContexts: Record<string, string>[] = [{ Department: "Finance", Extra: "1" }, {}, { Department: "Sales" }];
    for (const context of refusedContexts) {
      const refused = await awsError(alice.send(new EncryptCommand({ KeyId: key, Plaintext: utf8("x"), EncryptionContext: context })));
      expect(refused.name).toBe("AccessDeniedException");
    }
  });
});

describe("grant chains", () => {
  it("let a grantee with CreateGrant create equal or narrower grants and refuse wider ones", async () => {
    const key = await newKey();
    await grant({
      KeyId: key,
      GranteePrincipal: ALICE_ARN,
      Operations: ["Encrypt", "Decrypt", "CreateGrant"],
      Constraints: { EncryptionContextSubset: { Department: "Finance" } },
    });
    const alice = worker.client("alice");
    const narrower = await grant(
      {
        KeyId: key,
        GranteePrincipal: EXTERNAL_ROOT,
        Operations: ["Decrypt"],
        Constraints: { EncryptionContextSubset: { Department: "Finance", Project: "apollo" } },
      },
      alice,
    );
    await grant(
      {
        KeyId: key,
        GranteePrincipal: EXTERNAL_ROOT,
        Operations: ["Encrypt"],
        Constraints: { EncryptionContextEquals: { Department: "Finance" } },
      },
      alice,
    );
    for (const wider of [
      { Operations: ["Decrypt", "GenerateDataKey"], Constraints: { EncryptionContextSubset: { Department: "Finance" } } },
      { Operations: ["Decrypt"] },
      { Operations: ["Decrypt"], Constraints: { EncryptionContextSubset: { Project: "apollo" } } },
    ] as Partial<CreateGrantCommandInput>[]) {
      const refused = await awsError(
        alice.send(new CreateGrantCommand({ KeyId: key, GranteePrincipal: EXTERNAL_ROOT, Operations: [], ...wider })),
      );
      expect(refused.name).toBe("AccessDeniedException");
      expect(refused.message).toContain("kms:CreateGrant");
    }
    expect((await grantIds(key)).length).toBe(3);

    // The narrower grant works across accounts, by key ARN.
    const context = { Department: "Finance", Project: "apollo" };
    const sealed = await alice.send(new EncryptCommand({ KeyId: key, Plaintext: utf8("chain"), EncryptionContext: context }));
    const opened = await worker
      .client("external")
      .send(new DecryptCommand({ CiphertextBlob: sealed.CiphertextBlob!, EncryptionContext: context }));
    expect(new TextDecoder().decode(opened.Plaintext)).toBe("chain");
    expect(narrower.grantId).toMatch(/^[0-9a-f]{64}$/);
  });

  it("refuse a grantee whose grant lacks CreateGrant", async () => {
    const key = await newKey();
    await grant({ KeyId: key, GranteePrincipal: ALICE_ARN, Operations: ["Encrypt", "Decrypt"] });
    const refused = await awsError(
      worker.client("alice").send(new CreateGrantCommand({ KeyId: key, GranteePrincipal: ALICE_ARN, Operations: ["Decrypt"] })),
    );
    expect(refused.name).toBe("AccessDeniedException");
  });
});

describe("RetireGrant and RevokeGrant", () => {
  it("let the retiring principal retire a grant by its token, after which the grantee is refused", async () => {
    const key = await newKey();
    const g = await grant({ KeyId: key, GranteePrincipal: ALICE_ARN, RetiringPrincipal: BOB_ARN, Operations: ["Encrypt"] });
    await worker.client("alice").send(new EncryptCommand({ KeyId: key, Plaintext: utf8("x") }));
    await worker.client("bob").send(new RetireGrantCommand({ GrantToken: g.grantToken }));
    expect(await grantIds(key)).toEqual([]);
    expect((await awsError(worker.client("alice").send(new EncryptCommand({ KeyId: key, Plaintext: utf8("x") })))).name).toBe(
      "AccessDeniedException",
    );
    const twice = await awsError(worker.client("bob").send(new RetireGrantCommand({ GrantToken: g.grantToken })));
    expect(twice.name).toBe("NotFoundException");
  });

  it("let the grantee retire by KeyId and GrantId when the grant includes RetireGrant, and refuse it otherwise", async () => {
    const key = await newKey();
    const without = await grant({ KeyId: key, GranteePrincipal: ALICE_ARN, Operations: ["Encrypt"] });
    const withRetire = await grant({ KeyId: key, GranteePrincipal: ALICE_ARN, Operations: ["Encrypt", "RetireGrant"] });
    const alice = worker.client("alice");
    const refused = await awsError(alice.send(new RetireGrantCommand({ KeyId: key, GrantId: without.grantId })));
    expect(refused.name).toBe("AccessDeniedException");
    expect(refused.message).toContain("kms:RetireGrant");
    await alice.send(new RetireGrantCommand({ KeyId: key, GrantId: withRetire.grantId }));
    expect(await grantIds(key)).toEqual([without.grantId]);
  });

  it("let the key's account retire any grant, and refuse principals the grant does not name", async () => {
    const key = await newKey();
    const g = await grant({ KeyId: key, GranteePrincipal: ALICE_ARN, RetiringPrincipal: ALICE_ARN, Operations: ["Encrypt"] });
    for (const stranger of ["external", "charlie"] as const) {
      const refused = await awsError(worker.client(stranger).send(new RetireGrantCommand({ GrantToken: g.grantToken })));
      expect(refused.name).toBe("AccessDeniedException");
    }
    // bob is not named by the grant, but his IAM policy only counts where the grant names his account.
    expect((await awsError(worker.client("bob").send(new RetireGrantCommand({ KeyId: key, GrantId: g.grantId })))).name).toBe(
      "AccessDeniedException",
    );
    expect(await grantIds(key)).toEqual([g.grantId]);
    await worker.client("test").send(new RetireGrantCommand({ KeyId: key, GrantId: g.grantId }));
    expect(await grantIds(key)).toEqual([]);
  });

  it("let a retiring principal in another account retire with the grant token", async () => {
    const key = await newKey();
    const g = await grant({ KeyId: key, GranteePrincipal: ALICE_ARN, RetiringPrincipal: EXTERNAL_ROOT, Operations: ["Encrypt"] });
    await worker.client("external").send(new RetireGrantCommand({ GrantToken: g.grantToken }));
    expect(await grantIds(key)).toEqual([]);
  });

  it("revoke with kms:RevokeGrant on the key (root, bob through IAM), refusing the grantee and strangers", async () => {
    const key = await newKey();
    const a = await grant({ KeyId: key, GranteePrincipal: ALICE_ARN, Operations: ["Encrypt", "RetireGrant"] });
    const b = await grant({ KeyId: key, GranteePrincipal: ALICE_ARN, Operations: ["Decrypt"] });
    const byAlice = await awsError(worker.client("alice").send(new RevokeGrantCommand({ KeyId: key, GrantId: a.grantId })));
    expect(byAlice.message).toBe(
      `User: ${ALICE_ARN} is not authorized to perform: kms:RevokeGrant on resource: ${key} because no identity-based policy allows the kms:RevokeGrant action`,
    );
    const byExternal = await awsError(worker.client("external").send(new RevokeGrantCommand({ KeyId: key, GrantId: a.grantId })));
    expect(byExternal.name).toBe("AccessDeniedException");
    await worker.client("test").send(new RevokeGrantCommand({ KeyId: key, GrantId: a.grantId }));
    await worker.client("bob").send(new RevokeGrantCommand({ KeyId: key, GrantId: b.grantId }));
    expect(await grantIds(key)).toEqual([]);
    const unknown = await awsError(worker.client("test").send(new RevokeGrantCommand({ KeyId: key, GrantId: a.grantId })));
    expect(unknown.name).toBe("NotFoundException");
    const malformed = await awsError(worker.client("test").send(new RevokeGrantCommand({ KeyId: key, GrantId: "abc" })));
    expect(malformed.name).toBe("InvalidGrantIdException");
  });
});

describe("ListRetirableGrants", () => {
  it("lists a principal's retirable grants across keys and accounts, paged, and forgets retired ones", async () => {
    const mine1 = await newKey();
    const mine2 = await newKey();
    const theirs = await newKey(worker.client("external"));
    const retiring = `arn:aws:iam::${ACCOUNT}:role/retirer`;
    const g1 = await grant({ KeyId: mine1, GranteePrincipal: ALICE_ARN, RetiringPrincipal: retiring, Operations: ["Encrypt"] });
    const g2 = await grant({ KeyId: mine2, GranteePrincipal: ALICE_ARN, RetiringPrincipal: retiring, Operations: ["Decrypt"] });
    const g3 = await grant(
      { KeyId: theirs, GranteePrincipal: ALICE_ARN, RetiringPrincipal: retiring, Operations: ["Encrypt"] },
      worker.client("external"),
    );
    await grant({ KeyId: mine1, GranteePrincipal: ALICE_ARN, RetiringPrincipal: ALICE_ARN, Operations: ["Decrypt"] });

    const bob = worker.client("bob");
    const all = await bob.send(new ListRetirableGrantsCommand({ RetiringPrincipal: retiring }));
    expect(new Set(all.Grants!.map((g) => g.GrantId))).toEqual(new Set([g1.grantId, g2.grantId, g3.grantId]));
    const fromExternal = all.Grants!.find((g) => g.GrantId === g3.grantId)!;
    expect(fromExternal).toMatchObject({
      KeyId: theirs,
      IssuingAccount: EXTERNAL_ROOT,
      RetiringPrincipal: retiring,
      Operations: ["Encrypt"],
    });

    const page1 = await bob.send(new ListRetirableGrantsCommand({ RetiringPrincipal: retiring, Limit: 2 }));
    expect(page1.Truncated).toBe(true);
    const page2 = await bob.send(new ListRetirableGrantsCommand({ RetiringPrincipal: retiring, Limit: 2, Marker: page1.NextMarker }));
    expect([...page1.Grants!, ...page2.Grants!].map((g) => g.GrantId).sort()).toEqual([g1.grantId, g2.grantId, g3.grantId].sort());

    await worker.client("test").send(new RetireGrantCommand({ GrantToken: g2.grantToken }));
    const after = await bob.send(new ListRetirableGrantsCommand({ RetiringPrincipal: retiring }));
    expect(new Set(after.Grants!.map((g) => g.GrantId))).toEqual(new Set([g1.grantId, g3.grantId]));

    const alice = await awsError(worker.client("alice").send(new ListRetirableGrantsCommand({ RetiringPrincipal: ALICE_ARN })));
    expect(alice.message).toBe(
      `User: ${ALICE_ARN} is not authorized to perform: kms:ListRetirableGrants on resource: * because no identity-based policy allows the kms:ListRetirableGrants action`,
    );
  });

  it("drops a deleted key's grants from the index", async () => {
    const key = await newKey();
    const retiring = `arn:aws:iam::${ACCOUNT}:role/cleaner`;
    const g = await grant({ KeyId: key, GranteePrincipal: ALICE_ARN, RetiringPrincipal: retiring, Operations: ["Encrypt"] });
    const root = worker.client("test");
    expect((await root.send(new ListRetirableGrantsCommand({ RetiringPrincipal: retiring }))).Grants!.map((x) => x.GrantId)).toEqual([
      g.grantId,
    ]);
    await root.send(new ScheduleKeyDeletionCommand({ KeyId: key, PendingWindowInDays: 7 }));
    const deadline = Date.now() + 30_000;
    for (;;) {
      const listed = await root.send(new ListRetirableGrantsCommand({ RetiringPrincipal: retiring }));
      if (listed.Grants!.length === 0) break;
      if (Date.now() > deadline) throw new Error("the deleted key's grant is still listed");
      await new Promise((r) => setTimeout(r, 250));
    }
    expect((await awsError(root.send(new DescribeKeyCommand({ KeyId: key })))).name).toBe("NotFoundException");
  }, 40_000);
});

describe("grant tokens", () => {
  it("are accepted in GrantTokens by the grantee, and a malformed one is InvalidGrantTokenException", async () => {
    const key = await newKey();
    const g = await grant({ KeyId: key, GranteePrincipal: ALICE_ARN, Operations: ["Encrypt"] });
    const alice = worker.client("alice");
    await alice.send(new EncryptCommand({ KeyId: key, Plaintext: utf8("x"), GrantTokens: [g.grantToken] }));
    const malformed = await awsError(alice.send(new EncryptCommand({ KeyId: key, Plaintext: utf8("x"), GrantTokens: ["not-a-token"] })));
    expect(malformed.name).toBe("InvalidGrantTokenException");
    const tampered = g.grantToken.slice(0, -2) + (g.grantToken.endsWith("AA") ? "BA" : "AA");
    const retire = await awsError(worker.client("test").send(new RetireGrantCommand({ GrantToken: tampered })));
    expect(retire.name).toBe("InvalidGrantTokenException");
  });

  it("do not let anyone but the grantee use the grant", async () => {
    const key = await newKey();
    const g = await grant({ KeyId: key, GranteePrincipal: ALICE_ARN, Operations: ["Encrypt"] });
    const refused = await awsError(
      worker.client("external").send(new EncryptCommand({ KeyId: key, Plaintext: utf8("x"), GrantTokens: [g.grantToken] })),
    );
    expect(refused.name).toBe("AccessDeniedException");
  });
});

describe("grant limits", () => {
  it("refuse more grants per grantee per key, and more grants per key, than configured", async () => {
    const key = await newKey();
    for (let i = 0; i < 3; i++) await grant({ KeyId: key, GranteePrincipal: ALICE_ARN, Operations: ["Encrypt"], Name: `alice-${i}` });
    const perGrantee = await awsError(
      worker.client("test").send(new CreateGrantCommand({ KeyId: key, GranteePrincipal: ALICE_ARN, Operations: ["Encrypt"] })),
    );
    expect(perGrantee.name).toBe("LimitExceededException");
    // A retry with the same Name and parameters is not a new grant.
    await grant({ KeyId: key, GranteePrincipal: ALICE_ARN, Operations: ["Encrypt"], Name: "alice-0" });
    for (let i = 0; i < 3; i++)
      await grant({ KeyId: key, GranteePrincipal: EXTERNAL_ROOT, Operations: ["Encrypt"], Name: `external-${i}` });
    const perKey = await awsError(
      worker.client("test").send(new CreateGrantCommand({ KeyId: key, GranteePrincipal: BOB_ARN, Operations: ["Encrypt"] })),
    );
    expect(perKey.name).toBe("LimitExceededException");
    expect((await grantIds(key)).length).toBe(6);
  });
});
