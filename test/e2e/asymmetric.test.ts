/**
 * Asymmetric and HMAC keys end to end: the official SDK against a local worker, with node:crypto
 * (and @noble/post-quantum where Node 20 has no ML-DSA/ML-KEM) on the other side. Signatures made
 * by EdgeKMS verify with the public key GetPublicKey returns and signatures made with node:crypto
 * verify in EdgeKMS; data encrypted to an RSA key's public key decrypts; ECDH agrees with
 * node:crypto; data key pairs' private keys match their public keys; MACs agree with node:crypto;
 * and every refusal has AWS's error.
 */
import {
  CreateKeyCommand,
  DecapsulateCommand,
  DecryptCommand,
  DeriveSharedSecretCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  EnableKeyRotationCommand,
  EncapsulateCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  GenerateDataKeyPairCommand,
  GenerateDataKeyPairWithoutPlaintextCommand,
  GenerateMacCommand,
  GetKeyRotationStatusCommand,
  GetParametersForImportCommand,
  ImportKeyMaterialCommand,
  GetPublicKeyCommand,
  ReEncryptCommand,
  RotateKeyOnDemandCommand,
  SignCommand,
  VerifyCommand,
  VerifyMacCommand,
  type KeySpec,
  type KeyUsageType,
  type SigningAlgorithmSpec,
} from "@aws-sdk/client-kms";
import { ml_dsa44, ml_dsa65, ml_dsa87 } from "@noble/post-quantum/ml-dsa.js";
import { ml_kem768 } from "@noble/post-quantum/ml-kem.js";
import {
  constants,
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  publicEncrypt,
  sign as nodeSign,
  verify as nodeVerify,
} from "node:crypto";
import { describe, expect, it } from "vitest";
import { awsError, useLocalWorker, utf8 } from "./support.ts";

const worker = useLocalWorker();

async function createKey(KeySpec: KeySpec, KeyUsage: KeyUsageType): Promise<string> {
  const created = await worker.client().send(new CreateKeyCommand({ KeySpec, KeyUsage }));
  return created.KeyMetadata!.Arn!;
}

const spkiKey = (der: Uint8Array) => createPublicKey({ key: Buffer.from(der), format: "der", type: "spki" });

/** node:crypto's sign/verify options for an AWS signing algorithm. */
function nodeOptions(algorithm: SigningAlgorithmSpec, der: Uint8Array) {
  const key = spkiKey(der);
  if (algorithm.startsWith("RSASSA_PSS")) {
    const bits = Number(algorithm.slice(-3));
    return { hash: `sha${bits}`, key: { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: bits / 8 } };
  }
  if (algorithm.startsWith("ED25519")) return { hash: null, key };
  return { hash: `sha${algorithm.slice(-3)}`, key };
}

const SIGNING: [KeySpec, SigningAlgorithmSpec[]][] = [
  ["RSA_2048", ["RSASSA_PSS_SHA_256", "RSASSA_PKCS1_V1_5_SHA_256", "RSASSA_PSS_SHA_512", "RSASSA_PKCS1_V1_5_SHA_384"]],
  ["RSA_3072", ["RSASSA_PSS_SHA_384", "RSASSA_PKCS1_V1_5_SHA_512"]],
  ["RSA_4096", ["RSASSA_PSS_SHA_512", "RSASSA_PKCS1_V1_5_SHA_256"]],
  ["ECC_NIST_P256", ["ECDSA_SHA_256"]],
  ["ECC_NIST_P384", ["ECDSA_SHA_384"]],
  ["ECC_NIST_P521", ["ECDSA_SHA_512"]],
  ["ECC_SECG_P256K1", ["ECDSA_SHA_256"]],
  ["ECC_NIST_EDWARDS25519", ["ED25519_SHA_512"]],
];

describe("Sign and Verify interoperate with node:crypto", () => {
  for (const [spec, algorithms] of SIGNING) {
    it(`${spec}: EdgeKMS signatures verify with GetPublicKey's SPKI, node:crypto signatures verify in EdgeKMS, a changed message does not`, async () => {
      const kms = worker.client();
      const arn = await createKey(spec, "SIGN_VERIFY");
      const described = (await kms.send(new DescribeKeyCommand({ KeyId: arn }))).KeyMetadata!;
      expect(described.KeySpec).toBe(spec);
      expect(described.KeyUsage).toBe("SIGN_VERIFY");
      for (const a of algorithms) expect(described.SigningAlgorithms).toContain(a);
      expect(described.EncryptionAlgorithms).toBeUndefined();
      const pub = await kms.send(new GetPublicKeyCommand({ KeyId: arn }));
      expect(pub.KeySpec).toBe(spec);
      expect(pub.SigningAlgorithms).toEqual(described.SigningAlgorithms);
      for (const algorithm of algorithms) {
        const message = utf8(`message for ${spec} ${algorithm}`);
        const signed = await kms.send(new SignCommand({ KeyId: arn, Message: message, SigningAlgorithm: algorithm }));
        expect(signed.KeyId).toBe(arn);
        const { hash, key } = nodeOptions(algorithm, pub.PublicKey!);
        expect(nodeVerify(hash, message, key, Buffer.from(signed.Signature!))).toBe(true);
        const ok = await kms.send(
          new VerifyCommand({ KeyId: arn, Message: message, Signature: signed.Signature, SigningAlgorithm: algorithm }),
        );
        expect(ok.SignatureValid).toBe(true);
        const changed = await awsError(
          kms.send(
            new VerifyCommand({ KeyId: arn, Message: utf8("another message"), Signature: signed.Signature, SigningAlgorithm: algorithm }),
          ),
        );
        expect(changed.name).toBe("KMSInvalidSignatureException");
      }
    });
  }

  it("a valid node:crypto signature under another key is refused with KMSInvalidSignatureException", async () => {
    const kms = worker.client();
    const arn = await createKey("ECC_NIST_P256", "SIGN_VERIFY");
    const stranger = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const message = utf8("signed elsewhere");
    const foreign = nodeSign("sha256", message, stranger.privateKey);
    const refused = await awsError(
      kms.send(new VerifyCommand({ KeyId: arn, Message: message, Signature: foreign, SigningAlgorithm: "ECDSA_SHA_256" })),
    );
    expect(refused.name).toBe("KMSInvalidSignatureException");
  });

  it("ECDSA with MessageType DIGEST signs the caller's digest, which node:crypto verifies against the message", async () => {
    const kms = worker.client();
    for (const [spec, algorithm, hash] of [
      ["ECC_NIST_P256", "ECDSA_SHA_256", "sha256"],
      ["ECC_NIST_P384", "ECDSA_SHA_384", "sha384"],
      ["ECC_SECG_P256K1", "ECDSA_SHA_256", "sha256"],
    ] as const) {
      const arn = await createKey(spec, "SIGN_VERIFY");
      const pub = await kms.send(new GetPublicKeyCommand({ KeyId: arn }));
      const message = utf8(`a long document for ${spec}`);
      const digest = createHash(hash).update(message).digest();
      const signed = await kms.send(new SignCommand({ KeyId: arn, Message: digest, MessageType: "DIGEST", SigningAlgorithm: algorithm }));
      expect(nodeVerify(hash, message, spkiKey(pub.PublicKey!), Buffer.from(signed.Signature!))).toBe(true);
      const raw = await kms.send(
        new VerifyCommand({ KeyId: arn, Message: message, Signature: signed.Signature, SigningAlgorithm: algorithm }),
      );
      expect(raw.SignatureValid).toBe(true);
      const short = await awsError(
        kms.send(new SignCommand({ KeyId: arn, Message: digest.subarray(1), MessageType: "DIGEST", SigningAlgorithm: algorithm })),
      );
      expect(short.name).toBe("ValidationException");
    }
  });

  it("Ed25519ph (ED25519_PH_SHA_512, DIGEST) signs and verifies; ED25519_SHA_512 refuses DIGEST", async () => {
    const kms = worker.client();
    const arn = await createKey("ECC_NIST_EDWARDS25519", "SIGN_VERIFY");
    const digest = createHash("sha512").update("document").digest();
    const signed = await kms.send(
      new SignCommand({ KeyId: arn, Message: digest, MessageType: "DIGEST", SigningAlgorithm: "ED25519_PH_SHA_512" }),
    );
    const ok = await kms.send(
      new VerifyCommand({
        KeyId: arn,
        Message: digest,
        MessageType: "DIGEST",
        Signature: signed.Signature,
        SigningAlgorithm: "ED25519_PH_SHA_512",
      }),
    );
    expect(ok.SignatureValid).toBe(true);
    const wrongType = await awsError(
      kms.send(new SignCommand({ KeyId: arn, Message: digest, MessageType: "DIGEST", SigningAlgorithm: "ED25519_SHA_512" })),
    );
    expect(wrongType.name).toBe("ValidationException");
  });

  for (const [spec, dsa, oidTail] of [
    ["ML_DSA_44", ml_dsa44, 0x11],
    ["ML_DSA_65", ml_dsa65, 0x12],
    ["ML_DSA_87", ml_dsa87, 0x13],
  ] as const) {
    it(`${spec}: signatures verify with the raw key inside GetPublicKey's SPKI (FIPS 204, @noble/post-quantum), and EXTERNAL_MU works`, async () => {
      const kms = worker.client();
      const arn = await createKey(spec, "SIGN_VERIFY");
      const pub = await kms.send(new GetPublicKeyCommand({ KeyId: arn }));
      expect(pub.SigningAlgorithms).toEqual(["ML_DSA_SHAKE_256"]);
      const der = Buffer.from(pub.PublicKey!);
      const raw = der.subarray(der.length - dsa.lengths.publicKey!);
      expect(der.includes(Buffer.from([0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x03, oidTail]))).toBe(true);
      const message = utf8(`post-quantum ${spec}`);
      const signed = await kms.send(new SignCommand({ KeyId: arn, Message: message, SigningAlgorithm: "ML_DSA_SHAKE_256" }));
      expect(dsa.verify(signed.Signature!, message, raw)).toBe(true);
      const ok = await kms.send(
        new VerifyCommand({ KeyId: arn, Message: message, Signature: signed.Signature, SigningAlgorithm: "ML_DSA_SHAKE_256" }),
      );
      expect(ok.SignatureValid).toBe(true);
      const mu = crypto.getRandomValues(new Uint8Array(64));
      const muSigned = await kms.send(
        new SignCommand({ KeyId: arn, Message: mu, MessageType: "EXTERNAL_MU", SigningAlgorithm: "ML_DSA_SHAKE_256" }),
      );
      expect(dsa.internal.verify(muSigned.Signature!, mu, raw, { externalMu: true })).toBe(true);
    });
  }
  it("RSA with MessageType DIGEST signs the caller's digest: node:crypto verifies it against the message, and both MessageTypes verify each other's signatures", async () => {
    const kms = worker.client();
    for (const [spec, algorithms] of [
      [
        "RSA_2048",
        [
          "RSASSA_PSS_SHA_256",
          "RSASSA_PSS_SHA_384",
          "RSASSA_PSS_SHA_512",
          "RSASSA_PKCS1_V1_5_SHA_256",
          "RSASSA_PKCS1_V1_5_SHA_384",
          "RSASSA_PKCS1_V1_5_SHA_512",
        ],
      ],
      ["RSA_3072", ["RSASSA_PSS_SHA_384", "RSASSA_PKCS1_V1_5_SHA_512"]],
    ] as const) {
      const arn = await createKey(spec, "SIGN_VERIFY");
      const pub = (await kms.send(new GetPublicKeyCommand({ KeyId: arn }))).PublicKey!;
      for (const algorithm of algorithms) {
        const message = utf8(`a long document for ${spec} ${algorithm}`);
        const { hash, key } = nodeOptions(algorithm, pub);
        const digest = createHash(hash!).update(message).digest();
        const sign = (m: Uint8Array, MessageType: "RAW" | "DIGEST") =>
          kms.send(new SignCommand({ KeyId: arn, Message: m, MessageType, SigningAlgorithm: algorithm }));
        const verify = (m: Uint8Array, MessageType: "RAW" | "DIGEST", Signature: Uint8Array) =>
          kms.send(new VerifyCommand({ KeyId: arn, Message: m, MessageType, Signature, SigningAlgorithm: algorithm }));
        const overDigest = (await sign(digest, "DIGEST")).Signature!;
        expect(nodeVerify(hash, message, key, Buffer.from(overDigest))).toBe(true);
        expect((await verify(message, "RAW", overDigest)).SignatureValid).toBe(true);
        expect((await verify(digest, "DIGEST", overDigest)).SignatureValid).toBe(true);
        const overMessage = (await sign(message, "RAW")).Signature!;
        expect((await verify(digest, "DIGEST", overMessage)).SignatureValid).toBe(true);
        const otherDigest = createHash(hash!).update("another message").digest();
        expect((await awsError(verify(otherDigest, "DIGEST", overDigest))).name).toBe("KMSInvalidSignatureException");
        expect((await awsError(sign(digest.subarray(1), "DIGEST"))).name).toBe("ValidationException");
      }
    }
  });

  it("RSA Verify over a DIGEST refuses the signature plus the modulus and a signature one byte short (RFC 8017 §5.2.2)", async () => {
    const kms = worker.client();
    // s + n must still be k bytes long to reach the check: a key whose modulus leaves room above it
    // (top byte below 0xc0), then signatures of varying digests until one is small enough.
    let arn = "";
    let n = 0n;
    for (let attempt = 0; attempt < 10 && (n === 0n || n >= 0xc0n << 2040n); attempt++) {
      arn = await createKey("RSA_2048", "SIGN_VERIFY");
      const pub = (await kms.send(new GetPublicKeyCommand({ KeyId: arn }))).PublicKey!;
      n = BigInt(`0x${Buffer.from(spkiKey(pub).export({ format: "jwk" }).n!, "base64url").toString("hex")}`);
    }
    expect(n).toBeLessThan(0xc0n << 2040n);
    for (const algorithm of ["RSASSA_PSS_SHA_256", "RSASSA_PKCS1_V1_5_SHA_256"] as const) {
      const verify = (digest: Uint8Array, Signature: Uint8Array) =>
        kms.send(new VerifyCommand({ KeyId: arn, Message: digest, MessageType: "DIGEST", Signature, SigningAlgorithm: algorithm }));
      let found = false;
      for (let attempt = 0; attempt < 40 && !found; attempt++) {
        const digest = createHash("sha256").update(`m${attempt}`).digest();
        const sign = new SignCommand({ KeyId: arn, Message: digest, MessageType: "DIGEST", SigningAlgorithm: algorithm });
        const signature = (await kms.send(sign)).Signature!;
        const s = BigInt(`0x${Buffer.from(signature).toString("hex")}`);
        if (s + n >= 1n << 2048n) continue;
        found = true;
        expect((await verify(digest, signature)).SignatureValid).toBe(true);
        const plusModulus = Buffer.from((s + n).toString(16).padStart(512, "0"), "hex");
        expect((await awsError(verify(digest, plusModulus))).name).toBe("KMSInvalidSignatureException");
        expect((await awsError(verify(digest, signature.subarray(1)))).name).toBe("KMSInvalidSignatureException");
      }
      expect(found).toBe(true);
    }
  });
});

describe("RSA encryption", () => {
  for (const spec of ["RSA_2048", "RSA_3072", "RSA_4096"] as const) {
    it(`${spec}: data node:crypto encrypts to the public key decrypts in EdgeKMS; Encrypt/Decrypt round-trip; the OAEP limit is AWS's`, async () => {
      const kms = worker.client();
      const arn = await createKey(spec, "ENCRYPT_DECRYPT");
      const pub = await kms.send(new GetPublicKeyCommand({ KeyId: arn }));
      expect(pub.EncryptionAlgorithms).toEqual(["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"]);
      const k = Number(spec.slice(4)) / 8;
      for (const [algorithm, hash, hLen] of [
        ["RSAES_OAEP_SHA_256", "sha256", 32],
        ["RSAES_OAEP_SHA_1", "sha1", 20],
      ] as const) {
        const limit = k - 2 * hLen - 2;
        const plaintext = crypto.getRandomValues(new Uint8Array(limit));
        const ciphertext = publicEncrypt(
          { key: spkiKey(pub.PublicKey!), padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hash },
          plaintext,
        );
        const opened = await kms.send(new DecryptCommand({ KeyId: arn, CiphertextBlob: ciphertext, EncryptionAlgorithm: algorithm }));
        expect(Buffer.from(opened.Plaintext!).equals(Buffer.from(plaintext))).toBe(true);
        expect(opened.EncryptionAlgorithm).toBe(algorithm);
        const sealed = await kms.send(new EncryptCommand({ KeyId: arn, Plaintext: plaintext, EncryptionAlgorithm: algorithm }));
        expect(sealed.CiphertextBlob!.length).toBe(k);
        const again = await kms.send(
          new DecryptCommand({ KeyId: arn, CiphertextBlob: sealed.CiphertextBlob, EncryptionAlgorithm: algorithm }),
        );
        expect(Buffer.from(again.Plaintext!).equals(Buffer.from(plaintext))).toBe(true);
        const tooLong = await awsError(
          kms.send(new EncryptCommand({ KeyId: arn, Plaintext: new Uint8Array(limit + 1), EncryptionAlgorithm: algorithm })),
        );
        expect(tooLong.name).toBe("ValidationException");
      }
    });
  }

  it("refuses a flipped ciphertext, the other OAEP hash, a missing KeyId and SYMMETRIC_DEFAULT", async () => {
    const kms = worker.client();
    const arn = await createKey("RSA_2048", "ENCRYPT_DECRYPT");
    const sealed = await kms.send(new EncryptCommand({ KeyId: arn, Plaintext: utf8("secret"), EncryptionAlgorithm: "RSAES_OAEP_SHA_256" }));
    const flipped = Uint8Array.from(sealed.CiphertextBlob!);
    flipped[10]! ^= 1;
    expect(
      (await awsError(kms.send(new DecryptCommand({ KeyId: arn, CiphertextBlob: flipped, EncryptionAlgorithm: "RSAES_OAEP_SHA_256" }))))
        .name,
    ).toBe("InvalidCiphertextException");
    expect(
      (
        await awsError(
          kms.send(new DecryptCommand({ KeyId: arn, CiphertextBlob: sealed.CiphertextBlob, EncryptionAlgorithm: "RSAES_OAEP_SHA_1" })),
        )
      ).name,
    ).toBe("InvalidCiphertextException");
    expect(
      (await awsError(kms.send(new DecryptCommand({ CiphertextBlob: sealed.CiphertextBlob, EncryptionAlgorithm: "RSAES_OAEP_SHA_256" }))))
        .name,
    ).toBe("ValidationException");
    expect((await awsError(kms.send(new EncryptCommand({ KeyId: arn, Plaintext: utf8("x") })))).name).toBe("InvalidKeyUsageException");
  });

  it("ReEncrypt moves an RSA ciphertext under a symmetric key and back", async () => {
    const kms = worker.client();
    const rsa = await createKey("RSA_2048", "ENCRYPT_DECRYPT");
    const symmetric = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!.Arn!;
    const sealed = await kms.send(new EncryptCommand({ KeyId: rsa, Plaintext: utf8("moving"), EncryptionAlgorithm: "RSAES_OAEP_SHA_256" }));
    const moved = await kms.send(
      new ReEncryptCommand({
        CiphertextBlob: sealed.CiphertextBlob,
        SourceKeyId: rsa,
        SourceEncryptionAlgorithm: "RSAES_OAEP_SHA_256",
        DestinationKeyId: symmetric,
      }),
    );
    expect(moved.SourceKeyId).toBe(rsa);
    expect(moved.SourceEncryptionAlgorithm).toBe("RSAES_OAEP_SHA_256");
    const back = await kms.send(
      new ReEncryptCommand({
        CiphertextBlob: moved.CiphertextBlob,
        DestinationKeyId: rsa,
        DestinationEncryptionAlgorithm: "RSAES_OAEP_SHA_1",
      }),
    );
    const opened = await kms.send(
      new DecryptCommand({ KeyId: rsa, CiphertextBlob: back.CiphertextBlob, EncryptionAlgorithm: "RSAES_OAEP_SHA_1" }),
    );
    expect(new TextDecoder().decode(opened.Plaintext)).toBe("moving");
  });
});

describe("DeriveSharedSecret (ECDH)", () => {
  for (const [spec, curve] of [
    ["ECC_NIST_P256", "prime256v1"],
    ["ECC_NIST_P384", "secp384r1"],
    ["ECC_NIST_P521", "secp521r1"],
  ] as const) {
    it(`${spec}: the secret EdgeKMS derives with a node:crypto peer is the one node:crypto derives with GetPublicKey's key`, async () => {
      const kms = worker.client();
      const arn = await createKey(spec, "KEY_AGREEMENT");
      const pub = await kms.send(new GetPublicKeyCommand({ KeyId: arn }));
      expect(pub.KeyAgreementAlgorithms).toEqual(["ECDH"]);
      const peer = generateKeyPairSync("ec", { namedCurve: curve });
      const peerSpki = peer.publicKey.export({ format: "der", type: "spki" });
      const derived = await kms.send(new DeriveSharedSecretCommand({ KeyId: arn, KeyAgreementAlgorithm: "ECDH", PublicKey: peerSpki }));
      expect(derived.KeyOrigin).toBe("AWS_KMS");
      const expected = diffieHellman({ privateKey: peer.privateKey, publicKey: spkiKey(pub.PublicKey!) });
      expect(Buffer.from(derived.SharedSecret!).equals(expected)).toBe(true);
    });
  }

  it("refuses a peer key on another curve and a key that is not for key agreement", async () => {
    const kms = worker.client();
    const arn = await createKey("ECC_NIST_P256", "KEY_AGREEMENT");
    const wrong = generateKeyPairSync("ec", { namedCurve: "secp384r1" }).publicKey.export({ format: "der", type: "spki" });
    expect(
      (await awsError(kms.send(new DeriveSharedSecretCommand({ KeyId: arn, KeyAgreementAlgorithm: "ECDH", PublicKey: wrong })))).name,
    ).toBe("ValidationException");
    const signing = await createKey("ECC_NIST_P256", "SIGN_VERIFY");
    const peer = generateKeyPairSync("ec", { namedCurve: "prime256v1" }).publicKey.export({ format: "der", type: "spki" });
    expect(
      (await awsError(kms.send(new DeriveSharedSecretCommand({ KeyId: signing, KeyAgreementAlgorithm: "ECDH", PublicKey: peer })))).name,
    ).toBe("InvalidKeyUsageException");
  });
});

describe("GenerateDataKeyPair", () => {
  for (const spec of ["RSA_2048", "ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521", "ECC_SECG_P256K1", "ECC_NIST_EDWARDS25519"] as const) {
    it(`${spec}: the PKCS #8 private key matches the SPKI public key and its ciphertext decrypts to it`, async () => {
      const kms = worker.client();
      const symmetric = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!.Arn!;
      const context = { purpose: "data key pair" };
      const pair = await kms.send(new GenerateDataKeyPairCommand({ KeyId: symmetric, KeyPairSpec: spec, EncryptionContext: context }));
      expect(pair.KeyPairSpec).toBe(spec);
      const privateKey = createPrivateKey({ key: Buffer.from(pair.PrivateKeyPlaintext!), format: "der", type: "pkcs8" });
      const derivedPublic = createPublicKey(privateKey).export({ format: "der", type: "spki" });
      expect(derivedPublic.equals(Buffer.from(pair.PublicKey!))).toBe(true);
      const opened = await kms.send(new DecryptCommand({ CiphertextBlob: pair.PrivateKeyCiphertextBlob, EncryptionContext: context }));
      expect(Buffer.from(opened.Plaintext!).equals(Buffer.from(pair.PrivateKeyPlaintext!))).toBe(true);
    });
  }

  it("ML_KEM_768: the seed in the PKCS #8 private key regenerates the public key (FIPS 203)", async () => {
    const kms = worker.client();
    const symmetric = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!.Arn!;
    const pair = await kms.send(new GenerateDataKeyPairCommand({ KeyId: symmetric, KeyPairSpec: "ML_KEM_768" }));
    const seed = pair.PrivateKeyPlaintext!.slice(-64);
    const raw = ml_kem768.keygen(seed).publicKey;
    expect(Buffer.from(pair.PublicKey!).subarray(-raw.length).equals(Buffer.from(raw))).toBe(true);
  });

  it("WithoutPlaintext returns no private key, and an asymmetric key cannot protect a data key pair", async () => {
    const kms = worker.client();
    const symmetric = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!.Arn!;
    const pair = await kms.send(new GenerateDataKeyPairWithoutPlaintextCommand({ KeyId: symmetric, KeyPairSpec: "ECC_NIST_P256" }));
    expect((pair as { PrivateKeyPlaintext?: unknown }).PrivateKeyPlaintext).toBeUndefined();
    const opened = await kms.send(new DecryptCommand({ CiphertextBlob: pair.PrivateKeyCiphertextBlob }));
    const publicFromPrivate = createPublicKey(createPrivateKey({ key: Buffer.from(opened.Plaintext!), format: "der", type: "pkcs8" }));
    expect(publicFromPrivate.export({ format: "der", type: "spki" }).equals(Buffer.from(pair.PublicKey!))).toBe(true);
    const rsa = await createKey("RSA_2048", "ENCRYPT_DECRYPT");
    expect((await awsError(kms.send(new GenerateDataKeyPairCommand({ KeyId: rsa, KeyPairSpec: "ECC_NIST_P256" })))).name).toBe(
      "InvalidKeyUsageException",
    );
  });
});

describe("Encapsulate and Decapsulate (ML-KEM)", () => {
  for (const spec of ["ML_KEM_512", "ML_KEM_768", "ML_KEM_1024"] as const) {
    it(`${spec}: Decapsulate recovers the secret Encapsulate returned`, async () => {
      const kms = worker.client();
      const arn = await createKey(spec, "ENCAPSULATE_DECAPSULATE");
      const described = (await kms.send(new DescribeKeyCommand({ KeyId: arn }))).KeyMetadata!;
      expect(described.EncapsulationAlgorithms).toEqual(["ML_KEM"]);
      const sent = await kms.send(new EncapsulateCommand({ KeyId: arn, EncapsulationAlgorithm: "ML_KEM" }));
      const received = await kms.send(
        new DecapsulateCommand({
          KeyId: arn,
          SharedSecretCiphertextBlob: sent.SharedSecretCiphertextBlob,
          EncapsulationAlgorithm: "ML_KEM",
        }),
      );
      expect(Buffer.from(received.SharedSecret!).equals(Buffer.from(sent.SharedSecret!))).toBe(true);
      const short = await awsError(
        kms.send(new DecapsulateCommand({ KeyId: arn, SharedSecretCiphertextBlob: new Uint8Array(10), EncapsulationAlgorithm: "ML_KEM" })),
      );
      expect(short.name).toBe("InvalidCiphertextException");
    });
  }
});

describe("HMAC keys", () => {
  for (const [spec, algorithm, hash] of [
    ["HMAC_224", "HMAC_SHA_224", "sha224"],
    ["HMAC_256", "HMAC_SHA_256", "sha256"],
    ["HMAC_384", "HMAC_SHA_384", "sha384"],
    ["HMAC_512", "HMAC_SHA_512", "sha512"],
  ] as const) {
    it(`${spec}: GenerateMac is deterministic, VerifyMac accepts it and refuses another message, with ${algorithm} only`, async () => {
      const kms = worker.client();
      const arn = await createKey(spec, "GENERATE_VERIFY_MAC");
      const described = (await kms.send(new DescribeKeyCommand({ KeyId: arn }))).KeyMetadata!;
      expect(described.MacAlgorithms).toEqual([algorithm]);
      const message = utf8(`mac me with ${spec}`);
      const one = await kms.send(new GenerateMacCommand({ KeyId: arn, Message: message, MacAlgorithm: algorithm }));
      const two = await kms.send(new GenerateMacCommand({ KeyId: arn, Message: message, MacAlgorithm: algorithm }));
      expect(Buffer.from(one.Mac!).equals(Buffer.from(two.Mac!))).toBe(true);
      expect(one.Mac!.length).toBe(createHmac(hash, "k").digest().length);
      const ok = await kms.send(new VerifyMacCommand({ KeyId: arn, Message: message, Mac: one.Mac, MacAlgorithm: algorithm }));
      expect(ok.MacValid).toBe(true);
      const bad = await awsError(
        kms.send(new VerifyMacCommand({ KeyId: arn, Message: utf8("other"), Mac: one.Mac, MacAlgorithm: algorithm })),
      );
      expect(bad.name).toBe("KMSInvalidMacException");
      const other = algorithm === "HMAC_SHA_256" ? "HMAC_SHA_512" : "HMAC_SHA_256";
      expect((await awsError(kms.send(new GenerateMacCommand({ KeyId: arn, Message: message, MacAlgorithm: other })))).name).toBe(
        "InvalidKeyUsageException",
      );
    });
  }
});

describe("HMAC keys with imported material", () => {
  it("an imported HMAC_256 key computes the same MAC as node:crypto with that key; material of the wrong size is refused", async () => {
    const kms = worker.client();
    const arn = (await kms.send(new CreateKeyCommand({ KeySpec: "HMAC_256", KeyUsage: "GENERATE_VERIFY_MAC", Origin: "EXTERNAL" })))
      .KeyMetadata!.Arn!;
    const pending = await awsError(kms.send(new GenerateMacCommand({ KeyId: arn, Message: utf8("m"), MacAlgorithm: "HMAC_SHA_256" })));
    expect(pending.name).toBe("KMSInvalidStateException");
    const importWith = async (material: Uint8Array) => {
      const params = await kms.send(
        new GetParametersForImportCommand({ KeyId: arn, WrappingAlgorithm: "RSAES_OAEP_SHA_256", WrappingKeySpec: "RSA_2048" }),
      );
      const wrapped = publicEncrypt(
        { key: spkiKey(params.PublicKey!), padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" },
        material,
      );
      return kms.send(
        new ImportKeyMaterialCommand({
          KeyId: arn,
          ImportToken: params.ImportToken,
          EncryptedKeyMaterial: wrapped,
          ExpirationModel: "KEY_MATERIAL_DOES_NOT_EXPIRE",
        }),
      );
    };
    expect((await awsError(importWith(crypto.getRandomValues(new Uint8Array(16))))).name).toBe("InvalidCiphertextException");
    const material = crypto.getRandomValues(new Uint8Array(40));
    await importWith(material);
    for (const message of [utf8("m"), crypto.getRandomValues(new Uint8Array(4096))]) {
      const mac = await kms.send(new GenerateMacCommand({ KeyId: arn, Message: message, MacAlgorithm: "HMAC_SHA_256" }));
      expect(Buffer.from(mac.Mac!).equals(createHmac("sha256", material).update(message).digest())).toBe(true);
      const external = createHmac("sha256", material).update(message).digest();
      expect(
        (await kms.send(new VerifyMacCommand({ KeyId: arn, Message: message, Mac: external, MacAlgorithm: "HMAC_SHA_256" }))).MacValid,
      ).toBe(true);
    }
  });
});

describe("DryRun", () => {
  const DRY_RUN = { name: "DryRunOperationException", status: 412 };

  it("every asymmetric and HMAC operation whose request has DryRun answers DryRunOperationException when it would succeed, and its real error when it would not", async () => {
    const kms = worker.client();
    const signing = await createKey("ECC_NIST_P256", "SIGN_VERIFY");
    const rsa = await createKey("RSA_2048", "ENCRYPT_DECRYPT");
    const mac = await createKey("HMAC_256", "GENERATE_VERIFY_MAC");
    const agreement = await createKey("ECC_NIST_P256", "KEY_AGREEMENT");
    const kem = await createKey("ML_KEM_768", "ENCAPSULATE_DECAPSULATE");
    const symmetric = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!.Arn!;
    const message = utf8("dry");
    const signature = (await kms.send(new SignCommand({ KeyId: signing, Message: message, SigningAlgorithm: "ECDSA_SHA_256" }))).Signature!;
    const tag = (await kms.send(new GenerateMacCommand({ KeyId: mac, Message: message, MacAlgorithm: "HMAC_SHA_256" }))).Mac!;
    const rsaCiphertext = (
      await kms.send(new EncryptCommand({ KeyId: rsa, Plaintext: message, EncryptionAlgorithm: "RSAES_OAEP_SHA_256" }))
    ).CiphertextBlob!;
    const encapsulated = await kms.send(new EncapsulateCommand({ KeyId: kem, EncapsulationAlgorithm: "ML_KEM" }));
    const peer = generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey.export({ format: "der", type: "spki" });
    const oaep = "RSAES_OAEP_SHA_256" as const;

    const wouldSucceed = [
      new SignCommand({ KeyId: signing, Message: message, SigningAlgorithm: "ECDSA_SHA_256", DryRun: true }),
      new VerifyCommand({ KeyId: signing, Message: message, Signature: signature, SigningAlgorithm: "ECDSA_SHA_256", DryRun: true }),
      new GenerateMacCommand({ KeyId: mac, Message: message, MacAlgorithm: "HMAC_SHA_256", DryRun: true }),
      new VerifyMacCommand({ KeyId: mac, Message: message, Mac: tag, MacAlgorithm: "HMAC_SHA_256", DryRun: true }),
      new EncryptCommand({ KeyId: rsa, Plaintext: message, EncryptionAlgorithm: oaep, DryRun: true }),
      new DecryptCommand({ KeyId: rsa, CiphertextBlob: rsaCiphertext, EncryptionAlgorithm: oaep, DryRun: true }),
      new DecryptCommand({
        KeyId: rsa,
        CiphertextBlob: utf8("not a ciphertext"),
        EncryptionAlgorithm: oaep,
        DryRun: true,
        DryRunModifiers: ["IGNORE_CIPHERTEXT"],
      }),
      new DeriveSharedSecretCommand({ KeyId: agreement, KeyAgreementAlgorithm: "ECDH", PublicKey: peer, DryRun: true }),
      new EncapsulateCommand({ KeyId: kem, EncapsulationAlgorithm: "ML_KEM", DryRun: true }),
      new DecapsulateCommand({
        KeyId: kem,
        EncapsulationAlgorithm: "ML_KEM",
        SharedSecretCiphertextBlob: encapsulated.SharedSecretCiphertextBlob,
        DryRun: true,
      }),
      new GenerateDataKeyPairCommand({ KeyId: symmetric, KeyPairSpec: "ECC_NIST_P256", DryRun: true }),
      new GenerateDataKeyPairWithoutPlaintextCommand({ KeyId: symmetric, KeyPairSpec: "ECC_NIST_P256", DryRun: true }),
    ];
    for (const command of wouldSucceed) {
      expect(await awsError(kms.send(command as SignCommand))).toMatchObject(DRY_RUN);
    }

    const wouldFail: [unknown, string][] = [
      [
        new VerifyCommand({
          KeyId: signing,
          Message: utf8("other"),
          Signature: signature,
          SigningAlgorithm: "ECDSA_SHA_256",
          DryRun: true,
        }),
        "KMSInvalidSignatureException",
      ],
      [
        new VerifyMacCommand({ KeyId: mac, Message: utf8("other"), Mac: tag, MacAlgorithm: "HMAC_SHA_256", DryRun: true }),
        "KMSInvalidMacException",
      ],
      [new SignCommand({ KeyId: mac, Message: message, SigningAlgorithm: "ECDSA_SHA_256", DryRun: true }), "InvalidKeyUsageException"],
      [
        new DecryptCommand({ KeyId: rsa, CiphertextBlob: utf8("not a ciphertext"), EncryptionAlgorithm: oaep, DryRun: true }),
        "InvalidCiphertextException",
      ],
      [new GenerateDataKeyPairCommand({ KeyId: signing, KeyPairSpec: "ECC_NIST_P256", DryRun: true }), "InvalidKeyUsageException"],
    ];
    for (const [command, error] of wouldFail) {
      expect((await awsError(kms.send(command as SignCommand))).name).toBe(error);
    }
  });
});

describe("refusals", () => {
  it("wrong usage is InvalidKeyUsageException: Sign with a symmetric key, Encrypt/GenerateDataKey with signing or MAC keys, GenerateMac with a signing key", async () => {
    const kms = worker.client();
    const symmetric = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!.Arn!;
    const signing = await createKey("ECC_NIST_P256", "SIGN_VERIFY");
    const mac = await createKey("HMAC_256", "GENERATE_VERIFY_MAC");
    const rsa = await createKey("RSA_2048", "ENCRYPT_DECRYPT");
    const cases = [
      kms.send(new SignCommand({ KeyId: symmetric, Message: utf8("m"), SigningAlgorithm: "ECDSA_SHA_256" })),
      kms.send(new SignCommand({ KeyId: signing, Message: utf8("m"), SigningAlgorithm: "RSASSA_PSS_SHA_256" })),
      kms.send(new EncryptCommand({ KeyId: signing, Plaintext: utf8("m") })),
      kms.send(new EncryptCommand({ KeyId: mac, Plaintext: utf8("m") })),
      kms.send(new GenerateDataKeyCommand({ KeyId: signing, KeySpec: "AES_256" })),
      kms.send(new GenerateDataKeyCommand({ KeyId: rsa, KeySpec: "AES_256" })),
      kms.send(new GenerateMacCommand({ KeyId: signing, Message: utf8("m"), MacAlgorithm: "HMAC_SHA_256" })),
      kms.send(new SignCommand({ KeyId: mac, Message: utf8("m"), SigningAlgorithm: "ECDSA_SHA_256" })),
    ].map((call) => awsError(call)); // handled at once: the calls run together and fail in any order
    for (const refused of cases) {
      const error = await refused;
      expect(error.name).toBe("InvalidKeyUsageException");
      expect(error.status).toBe(400);
    }
  });

  it("rotation, automatic or on demand, is refused for asymmetric and HMAC keys; GetPublicKey for symmetric and HMAC keys", async () => {
    const kms = worker.client();
    for (const arn of [await createKey("RSA_2048", "SIGN_VERIFY"), await createKey("HMAC_384", "GENERATE_VERIFY_MAC")]) {
      expect((await awsError(kms.send(new EnableKeyRotationCommand({ KeyId: arn })))).name).toBe("UnsupportedOperationException");
      expect((await awsError(kms.send(new GetKeyRotationStatusCommand({ KeyId: arn })))).name).toBe("UnsupportedOperationException");
      expect((await awsError(kms.send(new RotateKeyOnDemandCommand({ KeyId: arn })))).name).toBe("UnsupportedOperationException");
    }
    const symmetric = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!.Arn!;
    expect((await awsError(kms.send(new GetPublicKeyCommand({ KeyId: symmetric })))).name).toBe("UnsupportedOperationException");
  });

  it("CreateKey refuses imported material for asymmetric specs, usages a spec does not have, and SM2", async () => {
    const kms = worker.client();
    expect(
      (await awsError(kms.send(new CreateKeyCommand({ KeySpec: "RSA_2048", KeyUsage: "SIGN_VERIFY", Origin: "EXTERNAL" })))).name,
    ).toBe("UnsupportedOperationException");
    expect(
      (await awsError(kms.send(new CreateKeyCommand({ KeySpec: "ECC_NIST_P256", KeyUsage: "SIGN_VERIFY", Origin: "EXTERNAL" })))).name,
    ).toBe("UnsupportedOperationException");
    expect((await awsError(kms.send(new CreateKeyCommand({ KeySpec: "ECC_NIST_P256" })))).name).toBe("ValidationException");
    expect((await awsError(kms.send(new CreateKeyCommand({ KeySpec: "ECC_SECG_P256K1", KeyUsage: "KEY_AGREEMENT" })))).name).toBe(
      "ValidationException",
    );
    expect((await awsError(kms.send(new CreateKeyCommand({ KeySpec: "SM2", KeyUsage: "SIGN_VERIFY" })))).name).toBe(
      "UnsupportedOperationException",
    );
  });

  it("GenerateDataKeyPair refuses a Recipient (Nitro Enclaves) and KeyPairSpec SM2 as unsupported", async () => {
    const kms = worker.client();
    const symmetric = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!.Arn!;
    const recipient = { KeyEncryptionAlgorithm: "RSAES_OAEP_SHA_256" as const, AttestationDocument: utf8("attestation") };
    const withRecipient = await awsError(
      kms.send(new GenerateDataKeyPairCommand({ KeyId: symmetric, KeyPairSpec: "ECC_NIST_P256", Recipient: recipient })),
    );
    expect(withRecipient.name).toBe("UnsupportedOperationException");
    for (const command of [
      new GenerateDataKeyPairCommand({ KeyId: symmetric, KeyPairSpec: "SM2" }),
      new GenerateDataKeyPairWithoutPlaintextCommand({ KeyId: symmetric, KeyPairSpec: "SM2" }),
    ]) {
      expect((await awsError(kms.send(command as GenerateDataKeyPairCommand))).name).toBe("UnsupportedOperationException");
    }
  });

  it("a disabled signing key answers DisabledException to Sign and Verify", async () => {
    const kms = worker.client();
    const arn = await createKey("ECC_NIST_P256", "SIGN_VERIFY");
    const signed = await kms.send(new SignCommand({ KeyId: arn, Message: utf8("m"), SigningAlgorithm: "ECDSA_SHA_256" }));
    await kms.send(new DisableKeyCommand({ KeyId: arn }));
    expect((await awsError(kms.send(new SignCommand({ KeyId: arn, Message: utf8("m"), SigningAlgorithm: "ECDSA_SHA_256" })))).name).toBe(
      "DisabledException",
    );
    expect(
      (
        await awsError(
          kms.send(new VerifyCommand({ KeyId: arn, Message: utf8("m"), Signature: signed.Signature, SigningAlgorithm: "ECDSA_SHA_256" })),
        )
      ).name,
    ).toBe("DisabledException");
  });
});
