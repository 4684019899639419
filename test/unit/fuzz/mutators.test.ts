/**
 * The fuzzer's mutators offline (test/fuzz/mutators.ts), on a corpus of made-up identifiers: a seed
 * makes the same choices every time (so a printed seed repeats a run), different seeds differ, every
 * mutator is reachable, tens of thousands of mutants build without the fuzzer itself failing, and
 * the bit-flip walk visits every bit of a blob in order.
 */
import { describe, expect, it } from "vitest";
import { examples, type Corpus, type FixtureKey, type FixtureRole } from "../../fuzz/corpus.ts";
import { nextMutant, type MutationContext } from "../../fuzz/mutators.ts";
import { Prng } from "../../fuzz/prng.ts";
import { Transport } from "../../fuzz/transport.ts";

const ROLES: FixtureRole[] = ["main", "policy", "disabled", "deleting", "external", "pendingImport"];

function fakeCorpus(): Corpus {
  const keys = Object.fromEntries(
    ROLES.map((role, i): [FixtureRole, FixtureKey] => {
      const keyId = `0000000${i}-1111-2222-3333-444444444444`;
      return [role, { role, keyId, arn: `arn:aws:kms:us-east-1:111122223333:key/${keyId}`, alias: `alias/fuzz-${role}` }];
    }),
  ) as Record<FixtureRole, FixtureKey>;
  const blob = Buffer.alloc(139, 7).toString("base64");
  return {
    run: "test",
    keys,
    blobs: { withContext: blob, plain: blob, disabled: blob, dataKey: blob },
    grant: { id: "ab".repeat(32), token: Buffer.alloc(130, 1).toString("base64url"), keyId: keys.main.keyId },
    imports: { external: { token: Buffer.alloc(90, 2).toString("base64"), wrapped: Buffer.alloc(256, 3).toString("base64") } },
    material: Buffer.alloc(32),
    otherAccountKey: {
      keyId: "99999999-1111-2222-3333-444444444444",
      arn: "arn:aws:kms:us-east-1:444455556666:key/99999999-1111-2222-3333-444444444444",
    },
  };
}

function context(seed: number): MutationContext {
  const corpus = fakeCorpus();
  return { rng: new Prng(seed), corpus, examples: examples(corpus), mayCreateKeys: true, flips: new Map() };
}

const describeMutants = (seed: number, n: number) => {
  const ctx = context(seed);
  return Array.from({ length: n }, () => {
    const m = nextMutant(ctx);
    return `${m.mutator} ${m.op} ${m.identity} ${m.detail}`;
  });
};

describe("fuzzer mutators", () => {
  it("make the same choices for the same seed, and other choices for another", () => {
    expect(describeMutants(42, 300)).toEqual(describeMutants(42, 300));
    expect(describeMutants(43, 300)).not.toEqual(describeMutants(42, 300));
  });

  it("build 20,000 mutants without failing, reaching every mutator and every implemented operation", async () => {
    const ctx = context(7);
    const transport = new Transport("http://127.0.0.1:9");
    const mutators = new Set<string>();
    const ops = new Set<string>();
    try {
      for (let i = 0; i < 20_000; i++) {
        const m = nextMutant(ctx);
        mutators.add(m.mutator);
        ops.add(m.op);
        const req = await m.build(transport);
        expect(req.body).toBeInstanceOf(Uint8Array);
      }
    } finally {
      transport.close();
    }
    expect([...mutators].sort()).toEqual([
      "blob",
      "body",
      "bytes",
      "grant-token",
      "headers",
      "identity",
      "import-token",
      "none",
      "policy",
      "sigv4",
      "unicode",
    ]);
    for (const op of [
      "CreateKey",
      "Encrypt",
      "Decrypt",
      "ReEncrypt",
      "PutKeyPolicy",
      "CreateGrant",
      "RetireGrant",
      "ImportKeyMaterial",
      "TagResource",
      "ListAliases",
    ]) {
      expect(ops).toContain(op);
    }
  }, 120_000);

  it("flip the bits of a blob in order, so a long run flips every one", () => {
    const ctx = context(1);
    const flipped = new Set<string>();
    for (let i = 0; i < 60_000 && flipped.size < 139 * 8; i++) {
      const m = nextMutant(ctx);
      const bit = /^CiphertextBlob bit (\d+) of 1112$/.exec(m.detail)?.[1];
      if (m.mutator === "blob" && m.op === "Decrypt" && bit !== undefined) flipped.add(bit);
    }
    expect(flipped.size).toBe(139 * 8);
  });

  it("stop letting mutants create keys as an allowed caller once the cap is reached", () => {
    const ctx = { ...context(3), mayCreateKeys: false };
    for (let i = 0; i < 5000; i++) {
      const m = nextMutant(ctx);
      if (m.op === "CreateKey") expect(["test", "bob", "external"]).not.toContain(m.identity);
    }
  });
});
