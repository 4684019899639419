/**
 * Access control and the audit trail for asymmetric and HMAC keys, through the official SDK against
 * a local worker: the condition keys of today's API in key policies (kms:SigningAlgorithm,
 * kms:MessageType, kms:KeySpec, kms:KeyUsage, kms:MacAlgorithm, kms:EncryptionAlgorithm,
 * kms:KeyAgreementAlgorithm), grants for Sign, Verify, GetPublicKey, GenerateMac and
 * DeriveSharedSecret, and CloudTrail records that log the algorithms but never a message, a
 * signature, a MAC, a shared secret or a private key.
 */
import {
  CreateGrantCommand,
  CreateKeyCommand,
  DeriveSharedSecretCommand,
  GenerateDataKeyPairCommand,
  GenerateMacCommand,
  GetPublicKeyCommand,
  PutKeyPolicyCommand,
  SignCommand,
  VerifyCommand,
  type KMSClient,
} from "@aws-sdk/client-kms";
import { createHash, generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { cloudTrailClient, IDENTITIES_WITH_AUDITOR, lookupAll, recordOf } from "./audit-support.ts";
import { ACCOUNT, awsError, useLocalWorker, utf8 } from "./support.ts";

const worker = useLocalWorker({ EDGEKMS_IDENTITIES: IDENTITIES_WITH_AUDITOR });
const ROOT = `arn:aws:iam::${ACCOUNT}:root`;
const ALICE = `arn:aws:iam::${ACCOUNT}:user/alice`;

async function key(
  kms: KMSClient,
  KeySpec: "ECC_NIST_P256" | "RSA_2048" | "HMAC_256",
  KeyUsage: "SIGN_VERIFY" | "GENERATE_VERIFY_MAC" | "KEY_AGREEMENT" | "ENCRYPT_DECRYPT",
) {
  return (await kms.send(new CreateKeyCommand({ KeySpec, KeyUsage }))).KeyMetadata!.Arn!;
}

/** A key policy: the root may administer the key; alice may use it under `conditions`. */
function policyFor(actions: string[], conditions: Record<string, Record<string, string | string[]>>): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      { Effect: "Allow", Principal: { AWS: ROOT }, Action: "kms:*", Resource: "*" },
      { Effect: "Allow", Principal: { AWS: ALICE }, Action: actions, Resource: "*", Condition: conditions },
    ],
  });
}

describe("condition keys of asymmetric and HMAC keys", () => {
  it("kms:SigningAlgorithm, kms:MessageType, kms:KeySpec and kms:KeyUsage decide Sign", async () => {
    const kms = worker.client();
    const arn = await key(kms, "RSA_2048", "SIGN_VERIFY");
    await kms.send(
      new PutKeyPolicyCommand({
        KeyId: arn,
        Policy: policyFor(["kms:Sign"], {
          StringEquals: {
            "kms:SigningAlgorithm": "RSASSA_PSS_SHA_256",
            "kms:MessageType": "RAW",
            "kms:KeySpec": "RSA_2048",
            "kms:KeyUsage": "SIGN_VERIFY",
          },
        }),
      }),
    );
    const alice = worker.client("alice");
    const ok = await alice.send(new SignCommand({ KeyId: arn, Message: utf8("m"), SigningAlgorithm: "RSASSA_PSS_SHA_256" }));
    expect(ok.Signature!.length).toBe(256);
    const otherAlgorithm = await awsError(
      alice.send(new SignCommand({ KeyId: arn, Message: utf8("m"), SigningAlgorithm: "RSASSA_PKCS1_V1_5_SHA_256" })),
    );
    expect(otherAlgorithm.name).toBe("AccessDeniedException");
    const digest = createHash("sha256").update("m").digest();
    const otherType = await awsError(
      alice.send(new SignCommand({ KeyId: arn, Message: digest, MessageType: "DIGEST", SigningAlgorithm: "RSASSA_PSS_SHA_256" })),
    );
    expect(otherType.name).toBe("AccessDeniedException");
  });

  it("kms:MacAlgorithm decides GenerateMac; kms:KeyAgreementAlgorithm decides DeriveSharedSecret", async () => {
    const kms = worker.client();
    const mac = await key(kms, "HMAC_256", "GENERATE_VERIFY_MAC");
    await kms.send(
      new PutKeyPolicyCommand({
        KeyId: mac,
        Policy: policyFor(["kms:GenerateMac"], { StringEquals: { "kms:MacAlgorithm": "HMAC_SHA_256" } }),
      }),
    );
    const alice = worker.client("alice");
    expect((await alice.send(new GenerateMacCommand({ KeyId: mac, Message: utf8("m"), MacAlgorithm: "HMAC_SHA_256" }))).Mac!.length).toBe(
      32,
    );
    const agreement = await key(kms, "ECC_NIST_P256", "KEY_AGREEMENT");
    await kms.send(
      new PutKeyPolicyCommand({
        KeyId: agreement,
        Policy: policyFor(["kms:DeriveSharedSecret"], { StringEquals: { "kms:KeyAgreementAlgorithm": "NOT_ECDH" } }),
      }),
    );
    const peer = generateKeyPairSync("ec", { namedCurve: "prime256v1" }).publicKey.export({ format: "der", type: "spki" });
    const refused = await awsError(
      alice.send(new DeriveSharedSecretCommand({ KeyId: agreement, KeyAgreementAlgorithm: "ECDH", PublicKey: peer })),
    );
    expect(refused.name).toBe("AccessDeniedException");
  });
});

describe("grants for asymmetric and HMAC keys", () => {
  it("a grant for Sign and GetPublicKey lets alice sign and read the public key, but not verify", async () => {
    const kms = worker.client();
    const arn = await key(kms, "ECC_NIST_P256", "SIGN_VERIFY");
    const alice = worker.client("alice");
    expect((await awsError(alice.send(new SignCommand({ KeyId: arn, Message: utf8("m"), SigningAlgorithm: "ECDSA_SHA_256" })))).name).toBe(
      "AccessDeniedException",
    );
    await kms.send(new CreateGrantCommand({ KeyId: arn, GranteePrincipal: ALICE, Operations: ["Sign", "GetPublicKey"] }));
    const signed = await alice.send(new SignCommand({ KeyId: arn, Message: utf8("m"), SigningAlgorithm: "ECDSA_SHA_256" }));
    expect((await alice.send(new GetPublicKeyCommand({ KeyId: arn }))).KeySpec).toBe("ECC_NIST_P256");
    const verify = await awsError(
      alice.send(new VerifyCommand({ KeyId: arn, Message: utf8("m"), Signature: signed.Signature, SigningAlgorithm: "ECDSA_SHA_256" })),
    );
    expect(verify.name).toBe("AccessDeniedException");
  });
});

describe("grant operations must suit the key", () => {
  it("refuses Sign on a symmetric key, GenerateDataKey on a signing key and Sign on an HMAC key with ValidationException", async () => {
    const kms = worker.client();
    const symmetric = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!.Arn!;
    const signing = await key(kms, "ECC_NIST_P256", "SIGN_VERIFY");
    const mac = await key(kms, "HMAC_256", "GENERATE_VERIFY_MAC");
    for (const [KeyId, Operations] of [
      [symmetric, ["Encrypt", "Sign"]],
      [signing, ["Sign", "GenerateDataKey"]],
      [mac, ["Sign"]],
    ] as const) {
      const refused = await awsError(kms.send(new CreateGrantCommand({ KeyId, GranteePrincipal: ALICE, Operations: [...Operations] })));
      expect(refused.name).toBe("ValidationException");
    }
    await kms.send(
      new CreateGrantCommand({ KeyId: mac, GranteePrincipal: ALICE, Operations: ["GenerateMac", "VerifyMac", "DescribeKey"] }),
    );
  });
});

describe("the audit trail of asymmetric and HMAC operations", () => {
  it("logs the algorithms and never a message, signature, MAC, shared secret or private key", async () => {
    const kms = worker.client();
    const signing = await key(kms, "ECC_NIST_P256", "SIGN_VERIFY");
    const mac = await key(kms, "HMAC_256", "GENERATE_VERIFY_MAC");
    const agreement = await key(kms, "ECC_NIST_P256", "KEY_AGREEMENT");
    const symmetric = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!.Arn!;
    const message = utf8("the secret message that must not be logged");
    const secrets: string[] = [];
    const remember = (bytes: Uint8Array | undefined) => {
      const b64 = Buffer.from(bytes!).toString("base64");
      secrets.push(b64.slice(0, 16), Buffer.from(bytes!).toString("hex").slice(0, 16));
    };
    remember(message);
    const signed = await kms.send(new SignCommand({ KeyId: signing, Message: message, SigningAlgorithm: "ECDSA_SHA_256" }));
    remember(signed.Signature);
    await kms.send(new VerifyCommand({ KeyId: signing, Message: message, Signature: signed.Signature, SigningAlgorithm: "ECDSA_SHA_256" }));
    remember((await kms.send(new GenerateMacCommand({ KeyId: mac, Message: message, MacAlgorithm: "HMAC_SHA_256" }))).Mac);
    const peer = generateKeyPairSync("ec", { namedCurve: "prime256v1" }).publicKey.export({ format: "der", type: "spki" });
    remember(
      (await kms.send(new DeriveSharedSecretCommand({ KeyId: agreement, KeyAgreementAlgorithm: "ECDH", PublicKey: peer }))).SharedSecret,
    );
    const pair = await kms.send(new GenerateDataKeyPairCommand({ KeyId: symmetric, KeyPairSpec: "ECC_NIST_P256" }));
    remember(pair.PrivateKeyPlaintext);
    remember(pair.PrivateKeyCiphertextBlob);

    const events = await lookupAll(cloudTrailClient(worker.url, "auditor"), { StartTime: new Date(0) });
    const records = events.map(recordOf);
    const sign = records.find((r) => r.eventName === "Sign")!;
    expect(sign.requestParameters).toMatchObject({ keyId: signing, signingAlgorithm: "ECDSA_SHA_256" });
    expect(Object.keys(sign.requestParameters)).not.toContain("message");
    expect(sign.responseElements).toBeNull();
    expect(records.find((r) => r.eventName === "GenerateMac")!.requestParameters).toEqual({ keyId: mac, macAlgorithm: "HMAC_SHA_256" });
    expect(records.find((r) => r.eventName === "GenerateDataKeyPair")!.requestParameters).toMatchObject({
      keyId: symmetric,
      keyPairSpec: "ECC_NIST_P256",
    });
    for (const name of ["Verify", "DeriveSharedSecret"]) expect(records.some((r) => r.eventName === name)).toBe(true);
    const text = JSON.stringify(records);
    for (const secret of secrets) expect(text).not.toContain(secret);
  });
});
