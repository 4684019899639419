/**
 * The in-process library (deno/kms.ts) in a Deno program, over an in-memory Deno KV: calls are
 * authorized and audited like HTTP calls. Run by test/e2e/deno-runtime.test.ts with `deno test`
 * (which typechecks it); it sits beside the Deno code rather than under test/ because the
 * repository's tsc, which checks test/, has no Deno types.
 */
import { createKms, KmsError } from "./kms.ts";

const ROOT_KEY = "dGVzdC1yb290LWtleS0tMzItYnl0ZXMtb2YtZW50cm8=";
const ACCOUNT = "111122223333";

function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`assertion failed: ${message}`);
}

async function refusal(action: Promise<unknown>): Promise<string> {
  try {
    await action;
  } catch (err) {
    if (err instanceof KmsError) return err.type;
    throw err;
  }
  throw new Error("expected a refusal");
}

Deno.test({
  name: "createKms runs every operation in-process, authorized and audited",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const kv = await Deno.openKv(":memory:");
    try {
      const kms = createKms({
        kv,
        rootKey: ROOT_KEY,
        identities: "development",
        vars: { AUDIT_FORWARD_DELAY_MS: "10", REQUEST_QUOTAS: "off" },
      });
      const root = kms.as({ accessKeyId: "test" });
      const created = await root.call("CreateKey", { Description: "in-process" });
      const keyId = created.KeyMetadata.KeyId as string;
      await root.call("CreateAlias", { AliasName: "alias/in-process", TargetKeyId: keyId });

      const plaintext = new TextEncoder().encode("in-process secret");
      const sealed = await root.encrypt({ KeyId: "alias/in-process", Plaintext: plaintext, EncryptionContext: { purpose: "test" } });
      assert(sealed.CiphertextBlob instanceof Uint8Array, "the ciphertext is bytes");
      const opened = await root.decrypt({ CiphertextBlob: sealed.CiphertextBlob, EncryptionContext: { purpose: "test" } });
      assert(new TextDecoder().decode(opened.Plaintext) === "in-process secret", "decrypt gives the plaintext back");
      assert(
        (await refusal(root.decrypt({ CiphertextBlob: sealed.CiphertextBlob }))) === "InvalidCiphertextException",
        "the context is bound",
      );

      // alice has no policy and the default key policy names only the account: refused.
      const alice = kms.as({ principalArn: `arn:aws:iam::${ACCOUNT}:user/alice` });
      assert((await refusal(alice.encrypt({ KeyId: keyId, Plaintext: plaintext }))) === "AccessDeniedException", "alice is refused");
      // A grant lets her encrypt, as it does over HTTP.
      await root.call("CreateGrant", { KeyId: keyId, GranteePrincipal: `arn:aws:iam::${ACCOUNT}:user/alice`, Operations: ["Encrypt"] });
      await alice.encrypt({ KeyId: keyId, Plaintext: plaintext });

      // Every call is in the account's trail once its outbox is forwarded (queue-driven).
      const deadline = Date.now() + 10_000;
      let names: string[] = [];
      for (;;) {
        names = [];
        for await (const entry of kv.list<{ eventName: string }>({ prefix: ["audit", ACCOUNT, "us-east-1", "t"] }))
          names.push(entry.value.eventName);
        if (names.filter((n) => n === "Encrypt").length >= 3 || Date.now() > deadline) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      for (const name of ["CreateKey", "CreateAlias", "Decrypt", "CreateGrant"]) assert(names.includes(name), `${name} is in the trail`);
      assert(
        names.filter((n) => n === "Encrypt").length === 3,
        `three Encrypt records (root's, alice's refused one, alice's granted one), got ${names.join(",")}`,
      );
      console.log(`EDGEKMS ${JSON.stringify({ report: "in-process", records: names.length })}`);
    } finally {
      kv.close();
    }
  },
});

Deno.test("createKms refuses a principal the identity configuration does not hold", () => {
  const kv = { listenQueue: () => Promise.resolve() } as unknown as Deno.Kv;
  const kms = createKms({ kv, rootKey: ROOT_KEY, identities: "development", listen: false });
  let type = "";
  try {
    kms.as({ accessKeyId: "nobody" });
  } catch (err) {
    type = err instanceof KmsError ? err.type : String(err);
  }
  assert(type === "UnrecognizedClientException", `unknown access key refused, got ${type}`);
});

Deno.test({
  name: "createKms calls run in the Region as() names: a multi-Region key encrypts in one and decrypts in the other",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const kv = await Deno.openKv(":memory:");
    try {
      const kms = createKms({ kv, rootKey: ROOT_KEY, identities: "development", vars: { REQUEST_QUOTAS: "off" } });
      const east = kms.as({ accessKeyId: "test" });
      const west = kms.as({ accessKeyId: "test" }, { region: "us-west-2" });
      const created = await east.call("CreateKey", { MultiRegion: true });
      const keyId = created.KeyMetadata.KeyId as string;
      assert((created.KeyMetadata.Arn as string).startsWith("arn:aws:kms:us-east-1:"), "the default Region is the first");
      assert((await refusal(west.describeKey({ KeyId: keyId }))) === "NotFoundException", "no replica in us-west-2 yet");
      const replicated = await east.call("ReplicateKey", { KeyId: keyId, ReplicaRegion: "us-west-2" });
      assert((replicated.ReplicaKeyMetadata.Arn as string).startsWith("arn:aws:kms:us-west-2:"), "the replica is in us-west-2");
      const sealed = await east.encrypt({ KeyId: keyId, Plaintext: new TextEncoder().encode("west-bound") });
      const opened = await west.decrypt({ CiphertextBlob: sealed.CiphertextBlob });
      assert(new TextDecoder().decode(opened.Plaintext) === "west-bound", "the replica decrypts the primary's ciphertext");
      let type = "";
      try {
        kms.as({ accessKeyId: "test" }, { region: "eu-west-1" });
      } catch (err) {
        type = err instanceof KmsError ? err.type : String(err);
      }
      assert(type === "ValidationException", `a Region the deployment does not serve is refused, got ${type}`);
    } finally {
      kv.close();
    }
  },
});
