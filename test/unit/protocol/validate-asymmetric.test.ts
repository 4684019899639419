/**
 * Request validation of the asymmetric and HMAC operations (src/protocol/validate.ts): required
 * members, the model's enums and blob limits, with AWS's wording and without echoing a message,
 * signature or MAC.
 */
import { describe, expect, it } from "vitest";
import { KmsError } from "../../../src/protocol/errors.ts";
import type { ValidatedOperation } from "../../../src/protocol/shapes.ts";
import { parseRequest } from "../../../src/protocol/validate.ts";

const KEY = "1234abcd-12ab-34cd-56ef-1234567890ab";
const b64 = (n: number) => Buffer.alloc(n, 7).toString("base64");

function failure(op: ValidatedOperation, body: unknown): KmsError {
  try {
    parseRequest(op, body);
  } catch (e) {
    if (e instanceof KmsError) return e;
    throw e;
  }
  throw new Error("expected parseRequest to throw");
}

describe("validation of asymmetric and HMAC requests", () => {
  it.each<[ValidatedOperation, unknown, string]>([
    [
      "Sign",
      { KeyId: KEY, Message: b64(1) },
      "1 validation error detected: Value null at 'signingAlgorithm' failed to satisfy constraint: Member must not be null",
    ],
    [
      "Sign",
      { KeyId: KEY, Message: b64(4097), SigningAlgorithm: "ECDSA_SHA_256" },
      "1 validation error detected: Value at 'message' failed to satisfy constraint: Member must have length less than or equal to 4096",
    ],
    [
      "Sign",
      { KeyId: KEY, Message: b64(1), SigningAlgorithm: "ECDSA_SHA_256", MessageType: "HASH" },
      "1 validation error detected: Value 'HASH' at 'messageType' failed to satisfy constraint: Member must satisfy enum value set: [RAW, DIGEST, EXTERNAL_MU]",
    ],
    [
      "Verify",
      { KeyId: KEY, Message: b64(1), SigningAlgorithm: "ECDSA_SHA_256", Signature: b64(6145) },
      "1 validation error detected: Value at 'signature' failed to satisfy constraint: Member must have length less than or equal to 6144",
    ],
    [
      "GenerateMac",
      { KeyId: KEY, Message: b64(1), MacAlgorithm: "HMAC_SHA_1" },
      "1 validation error detected: Value 'HMAC_SHA_1' at 'macAlgorithm' failed to satisfy constraint: Member must satisfy enum value set: [HMAC_SHA_224, HMAC_SHA_256, HMAC_SHA_384, HMAC_SHA_512]",
    ],
    [
      "VerifyMac",
      { KeyId: KEY, Message: b64(1), MacAlgorithm: "HMAC_SHA_256" },
      "1 validation error detected: Value null at 'mac' failed to satisfy constraint: Member must not be null",
    ],
    [
      "DeriveSharedSecret",
      { KeyId: KEY, KeyAgreementAlgorithm: "ECDH", PublicKey: b64(8193) },
      "1 validation error detected: Value at 'publicKey' failed to satisfy constraint: Member must have length less than or equal to 8192",
    ],
    [
      "GenerateDataKeyPair",
      { KeyId: KEY },
      "1 validation error detected: Value null at 'keyPairSpec' failed to satisfy constraint: Member must not be null",
    ],
    [
      "Encapsulate",
      { KeyId: KEY, EncapsulationAlgorithm: "KYBER" },
      "1 validation error detected: Value 'KYBER' at 'encapsulationAlgorithm' failed to satisfy constraint: Member must satisfy enum value set: [ML_KEM]",
    ],
  ])("%s %j is refused: %s", (op, body, message) => {
    const error = failure(op, body);
    expect(error.type).toBe("ValidationException");
    expect(error.message).toBe(message);
  });

  it("decodes Sign's message and Verify's signature to bytes", () => {
    const verify = parseRequest("Verify", { KeyId: KEY, Message: b64(3), Signature: b64(64), SigningAlgorithm: "ED25519_SHA_512" });
    expect(verify.Message).toEqual(new Uint8Array(3).fill(7));
    expect(verify.Signature.length).toBe(64);
  });
});
