/**
 * Asymmetric and HMAC keys in their KeyObject inside workerd: the private key or HMAC key is
 * generated in the object and stored only sealed under the root key (a dump of every stored value
 * never contains it, nor its base64), the public key is stored in clear and is the one that
 * verifies the object's signatures, and MACs are computed with the sealed key.
 */
import { env, runInDurableObject } from "cloudflare:test";
import { ringOf } from "../../src/keys/root-key-ring.ts";
import { describe, expect, it } from "vitest";
import { decodeRootKey, unsealBackingKey, type SealedBackingKey } from "../../src/keys/backing-key.ts";
import { verifySignature } from "../../src/keys/asymmetric/key-pairs.ts";
import type { SupportedKeySpec } from "../../src/keys/key-specs.ts";
import { hmac } from "../../src/keys/mac.ts";
import { defaultKeyPolicy } from "../../src/operations/keys.ts";
import type { KeyUsageType } from "../../src/protocol/enums.ts";
import type { KeyObject } from "../../worker/key-object.ts";
import { nodeRsaPrimitives } from "../../worker/node-rsa.ts";
import { ACCOUNT, REGION, rootCaller } from "./key-fixtures.ts";

async function createKey(keySpec: SupportedKeySpec, keyUsage: KeyUsageType) {
  const keyId = crypto.randomUUID();
  const arn = `arn:aws:kms:${REGION}:${ACCOUNT}:key/${keyId}`;
  const stub = env.KEYS.get(env.KEYS.idFromName(arn));
  const created = await stub.create({
    keyId,
    arn,
    accountId: ACCOUNT,
    description: "",
    origin: "AWS_KMS",
    policy: defaultKeyPolicy(ACCOUNT),
    tags: [],
    keySpec,
    keyUsage,
  });
  expect(created.ok).toBe(true);
  return { arn, stub, call: { ...rootCaller, keyArn: arn } };
}

function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

/** Unseals the stored secret and checks that no stored value holds it in the clear; returns it. */
async function storedSecretIsSealed(stub: DurableObjectStub<KeyObject>, arn: string): Promise<Uint8Array> {
  return runInDurableObject(stub, async (_instance: KeyObject, state) => {
    const sealed = state.storage.kv.get<SealedBackingKey>("version:0000000001")!;
    const secret = unsealBackingKey(ringOf(decodeRootKey(env.ROOT_KEY)), arn, sealed);
    // 16 bytes from a third of the way in: inside the scalar, seed or RSA private parts of every
    // PKCS #8 written here (its tail may be the public key, which is stored in clear on purpose).
    const start = Math.floor(secret.length / 3);
    const window = secret.slice(start, start + 16);
    const visit = (value: unknown): void => {
      if (value instanceof Uint8Array) expect(contains(value, window)).toBe(false);
      else if (typeof value === "string") expect(value).not.toContain(btoa(String.fromCharCode(...window)).slice(0, 16));
      else if (value !== null && typeof value === "object") for (const inner of Object.values(value)) visit(inner);
    };
    for (const [key, value] of state.storage.kv.list()) {
      visit(key);
      visit(value);
    }
    return secret;
  });
}

describe("asymmetric keys in their KeyObject", () => {
  for (const [spec, algorithm] of [
    ["ECC_NIST_P256", "ECDSA_SHA_256"],
    ["RSA_2048", "RSASSA_PKCS1_V1_5_SHA_256"],
    ["ECC_NIST_EDWARDS25519", "ED25519_SHA_512"],
    ["ECC_SECG_P256K1", "ECDSA_SHA_256"],
    ["ML_DSA_44", "ML_DSA_SHAKE_256"],
  ] as const) {
    it(`${spec}: the private key is stored only sealed, and the stored public key verifies the object's signature`, async () => {
      const { arn, stub, call } = await createKey(spec, "SIGN_VERIFY");
      const message = new TextEncoder().encode("signed inside workerd");
      const signed = await stub.sign(call, { algorithm, messageType: "RAW", message });
      if (!signed.ok) throw new Error(signed.type);
      const pub = await stub.getPublicKey(call);
      if (!pub.ok) throw new Error(pub.type);
      expect(await verifySignature(spec, algorithm, pub.value.PublicKey, message, "RAW", signed.value.signature, nodeRsaPrimitives)).toBe(
        true,
      );
      const privateKey = await storedSecretIsSealed(stub, arn);
      expect(privateKey[0]).toBe(0x30); // a PKCS #8 SEQUENCE
      const refused = await stub.verify(
        call,
        { algorithm, messageType: "RAW", message: new TextEncoder().encode("other") },
        signed.value.signature,
      );
      expect(refused).toMatchObject({ ok: false, type: "KMSInvalidSignatureException" });
    });
  }
});

describe("HMAC keys in their KeyObject", () => {
  it("HMAC_384: the key is stored only sealed, 48 bytes long, and GenerateMac is HMAC-SHA-384 under it", async () => {
    const { arn, stub, call } = await createKey("HMAC_384", "GENERATE_VERIFY_MAC");
    const message = new TextEncoder().encode("mac me");
    const generated = await stub.generateMac(call, "HMAC_SHA_384", message);
    if (!generated.ok) throw new Error(generated.type);
    const key = await storedSecretIsSealed(stub, arn);
    expect(key.length).toBe(48);
    expect([...generated.value.mac]).toEqual([...(await hmac("HMAC_SHA_384", key, message))]);
    expect(await stub.verifyMac(call, "HMAC_SHA_384", message, generated.value.mac)).toMatchObject({ ok: true });
  });
});
