/**
 * Crash durability: the local runtime is killed with SIGKILL (the launcher and workerd, its whole
 * process group, as a crash or power loss would end it) while concurrent writers create keys,
 * aliases, tags and grants and others encrypt, then restarted on the same state. Everything an
 * acknowledged call did must be there: each key, alias, tag and grant, each ciphertext decrypts to
 * its plaintext, and each acknowledged call has exactly its audit record in LookupEvents (matched
 * by the response's x-amzn-RequestId). Calls in flight at the kill were never acknowledged, so
 * nothing is promised about them.
 */
import {
  CreateAliasCommand,
  CreateGrantCommand,
  CreateKeyCommand,
  DecryptCommand,
  DescribeKeyCommand,
  EncryptCommand,
  ListAliasesCommand,
  ListGrantsCommand,
  ListResourceTagsCommand,
  TagResourceCommand,
  type KMSClient,
} from "@aws-sdk/client-kms";
import { LookupEventsCommand, type Event } from "@aws-sdk/client-cloudtrail";
import { describe, expect, it } from "vitest";
import { cloudTrailClient, recordOf } from "./audit-support.ts";
import { ACCOUNT, useLocalWorker } from "./support.ts";

const worker = useLocalWorker();

const WRITERS = 4;
const ENCRYPTERS = 3;
const BOB = `arn:aws:iam::${ACCOUNT}:user/bob`;

/** One acknowledged call: the operation, its request ID, and what it must have left behind. */
interface Ack {
  eventName: string;
  requestId: string;
}
interface Written {
  keyId: string;
  alias?: string;
  tag?: string;
  grantId?: string;
  ciphertext?: { blob: Uint8Array; plaintext: Uint8Array };
}

function requestIdOf(output: { $metadata: { requestId?: string } }): string {
  const id = output.$metadata.requestId;
  if (id === undefined) throw new Error("response without x-amzn-RequestId");
  return id;
}

/** Every record in the account's trail since `start`, following NextToken. */
async function trailSince(url: string, start: Date): Promise<Event[]> {
  const trail = cloudTrailClient(url, "test");
  const events: Event[] = [];
  let token: string | undefined;
  do {
    const page = await trail.send(new LookupEventsCommand({ StartTime: start, MaxResults: 50, NextToken: token }));
    events.push(...(page.Events ?? []));
    token = page.NextToken;
  } while (token !== undefined);
  return events;
}

describe("SIGKILL under load", () => {
  it("keeps every acknowledged key, alias, tag, grant, ciphertext and audit record across a kill and restart", async () => {
    const start = new Date(Date.now() - 1000);
    const setup = worker.client();
    const shared = (await setup.send(new CreateKeyCommand({ Description: "shared" }))).KeyMetadata!.KeyId!;

    const acks: Ack[] = [];
    const written: Written[] = [];
    const failures: unknown[] = [];
    let killed = false;
    let progress = 0;

    // Each loop stops at its first failed call: after the kill every call fails.
    const writer = async (kms: KMSClient, w: number) => {
      try {
        for (let i = 0; !killed; i++) {
          const name = `${w}-${i}`;
          const created = await kms.send(new CreateKeyCommand({ Description: `kill ${name}` }));
          const keyId = created.KeyMetadata!.KeyId!;
          const item: Written = { keyId };
          written.push(item);
          acks.push({ eventName: "CreateKey", requestId: requestIdOf(created) });
          const alias = await kms.send(new CreateAliasCommand({ AliasName: `alias/kill-${name}`, TargetKeyId: keyId }));
          item.alias = `alias/kill-${name}`;
          acks.push({ eventName: "CreateAlias", requestId: requestIdOf(alias) });
          const tagged = await kms.send(new TagResourceCommand({ KeyId: keyId, Tags: [{ TagKey: "writer", TagValue: name }] }));
          item.tag = name;
          acks.push({ eventName: "TagResource", requestId: requestIdOf(tagged) });
          const grant = await kms.send(new CreateGrantCommand({ KeyId: keyId, GranteePrincipal: BOB, Operations: ["Encrypt", "Decrypt"] }));
          item.grantId = grant.GrantId!;
          acks.push({ eventName: "CreateGrant", requestId: requestIdOf(grant) });
          const plaintext = crypto.getRandomValues(new Uint8Array(32));
          const enc = await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: plaintext }));
          item.ciphertext = { blob: enc.CiphertextBlob!, plaintext };
          acks.push({ eventName: "Encrypt", requestId: requestIdOf(enc) });
          progress++;
        }
      } catch (err) {
        failures.push(err);
      }
    };
    const encrypter = async (kms: KMSClient) => {
      try {
        while (!killed) {
          const plaintext = crypto.getRandomValues(new Uint8Array(48));
          const enc = await kms.send(new EncryptCommand({ KeyId: shared, Plaintext: plaintext }));
          written.push({ keyId: shared, ciphertext: { blob: enc.CiphertextBlob!, plaintext } });
          acks.push({ eventName: "Encrypt", requestId: requestIdOf(enc) });
        }
      } catch (err) {
        failures.push(err);
      }
    };
    const loops = [
      ...Array.from({ length: WRITERS }, (_, w) => writer(worker.client(), w)),
      ...Array.from({ length: ENCRYPTERS }, () => encrypter(worker.client())),
    ];

    // Kill once every writer has finished a few full rounds, with all loops still sending.
    const deadline = Date.now() + 30_000;
    while (progress < WRITERS * 3 && failures.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(failures).toEqual([]);
    await worker.kill();
    killed = true;
    await Promise.all(loops);
    // Every loop was cut off mid-call by the kill (a lost connection, never an answer from the
    // service), so the kill came under concurrent load.
    expect(failures.length).toBe(WRITERS + ENCRYPTERS);
    for (const err of failures) expect((err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode).toBeUndefined();

    await worker.restart();
    const kms = worker.client();

    const aliases = new Map<string, string | undefined>();
    let marker: string | undefined;
    do {
      const page = await kms.send(new ListAliasesCommand({ Limit: 100, Marker: marker }));
      for (const a of page.Aliases ?? []) aliases.set(a.AliasName!, a.TargetKeyId);
      marker = page.NextMarker;
    } while (marker !== undefined);
    for (const keyId of new Set(written.map((w) => w.keyId))) {
      const described = await kms.send(new DescribeKeyCommand({ KeyId: keyId }));
      expect(described.KeyMetadata?.KeyState).toBe("Enabled");
    }
    for (const item of written) {
      if (item.alias !== undefined) expect(aliases.get(item.alias)).toBe(item.keyId);
      if (item.tag !== undefined && item.keyId !== shared) {
        const tags = await kms.send(new ListResourceTagsCommand({ KeyId: item.keyId }));
        expect(tags.Tags).toEqual([{ TagKey: "writer", TagValue: item.tag }]);
      }
      if (item.grantId !== undefined) {
        const grants = await kms.send(new ListGrantsCommand({ KeyId: item.keyId }));
        expect(grants.Grants?.map((g) => g.GrantId)).toContain(item.grantId);
      }
      if (item.ciphertext !== undefined) {
        const dec = await kms.send(new DecryptCommand({ CiphertextBlob: item.ciphertext.blob }));
        expect(Buffer.from(dec.Plaintext!).equals(Buffer.from(item.ciphertext.plaintext))).toBe(true);
        expect(dec.KeyId).toContain(item.keyId);
      }
    }

    // Each acknowledged call's record, by its request ID; records may reach LookupEvents a moment
    // after the response (the audit outbox), so poll for up to 10 seconds.
    let missing: Ack[] = acks;
    let records = new Map<string, Record<string, unknown>[]>();
    const auditDeadline = Date.now() + 10_000;
    for (;;) {
      records = new Map();
      for (const event of await trailSince(worker.url, start)) {
        const record = recordOf(event);
        records.set(record.requestID, [...(records.get(record.requestID) ?? []), record]);
      }
      missing = acks.filter((a) => !records.has(a.requestId));
      if (missing.length === 0 || Date.now() > auditDeadline) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(missing).toEqual([]);
    for (const ack of acks) {
      const found = records.get(ack.requestId)!;
      expect(found).toHaveLength(1);
      expect(found[0]).toMatchObject({ eventName: ack.eventName, eventSource: "kms.amazonaws.com" });
      expect(found[0]!.errorCode).toBeUndefined();
    }
    expect(acks.length).toBeGreaterThan(WRITERS * 3 * 5);
  }, 120_000);
});
