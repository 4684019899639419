/**
 * The operations of asymmetric keys and HMAC keys (today's API, beyond the 2017 guide):
 * GetPublicKey, Sign, Verify, GenerateMac, VerifyMac, DeriveSharedSecret, Encapsulate, Decapsulate,
 * GenerateDataKeyPair and GenerateDataKeyPairWithoutPlaintext. (Encrypt, Decrypt and ReEncrypt
 * with RSA keys are in crypto.ts, beside their symmetric forms.)
 *
 * Each handler resolves the key, puts the request's condition keys into the call's facts
 * (kms:SigningAlgorithm, kms:MessageType, kms:MacAlgorithm, kms:KeyAgreementAlgorithm,
 * kms:DataKeyPairSpec; the key object adds kms:KeySpec and kms:KeyUsage) and lets the key's object
 * check usage, algorithm and state and do the work (src/keys/key-actor.ts).
 *
 * Security: data key pairs are generated in the symmetric key's object, after the caller and the
 * key have been checked (so nobody without the permission can make the service generate RSA keys),
 * and sealed there; WithoutPlaintext's private key never leaves the object.
 */
import { KmsError } from "../protocol/errors.ts";
import type { CallFacts } from "../service/caller.ts";
import { unsupportedRecipient } from "./crypto.ts";
import { audit, keyCall, keyObject, resolveKeyArn, settle, type Handler, type OperationContext } from "./context.ts";

/** Facts of a request: its grant tokens and the condition keys it sets. */
function facts(grantTokens: string[] | undefined, conditions: Record<string, string>, more: CallFacts = {}): CallFacts {
  return { ...more, extra: conditions, ...(grantTokens === undefined ? {} : { grantTokens }) };
}

async function call(ctx: OperationContext, keyId: string, grantTokens: string[] | undefined, conditions: Record<string, string> = {}) {
  const arn = await resolveKeyArn(ctx, keyId);
  return { stub: keyObject(ctx, arn), call: keyCall(ctx, arn, facts(grantTokens, conditions)) };
}

export const GetPublicKey: Handler<"GetPublicKey"> = async (ctx, request) => {
  const { stub, call: c } = await call(ctx, request.KeyId, request.GrantTokens);
  return settle(ctx, stub.getPublicKey(c, audit(ctx)));
};

export const Sign: Handler<"Sign"> = async (ctx, request) => {
  const messageType = request.MessageType ?? "RAW";
  const conditions = { "kms:SigningAlgorithm": request.SigningAlgorithm, "kms:MessageType": messageType };
  const { stub, call: c } = await call(ctx, request.KeyId, request.GrantTokens, conditions);
  const input = { algorithm: request.SigningAlgorithm, messageType, message: request.Message };
  const signed = await settle(ctx, stub.sign(c, input, audit(ctx)));
  return { KeyId: signed.keyArn, Signature: signed.signature, SigningAlgorithm: request.SigningAlgorithm };
};

export const Verify: Handler<"Verify"> = async (ctx, request) => {
  const messageType = request.MessageType ?? "RAW";
  const conditions = { "kms:SigningAlgorithm": request.SigningAlgorithm, "kms:MessageType": messageType };
  const { stub, call: c } = await call(ctx, request.KeyId, request.GrantTokens, conditions);
  const input = { algorithm: request.SigningAlgorithm, messageType, message: request.Message };
  const verified = await settle(ctx, stub.verify(c, input, request.Signature, audit(ctx)));
  return { KeyId: verified.keyArn, SignatureValid: true, SigningAlgorithm: request.SigningAlgorithm };
};

export const GenerateMac: Handler<"GenerateMac"> = async (ctx, request) => {
  const { stub, call: c } = await call(ctx, request.KeyId, request.GrantTokens, { "kms:MacAlgorithm": request.MacAlgorithm });
  const generated = await settle(ctx, stub.generateMac(c, request.MacAlgorithm, request.Message, audit(ctx)));
  return { Mac: generated.mac, MacAlgorithm: request.MacAlgorithm, KeyId: generated.keyArn };
};

export const VerifyMac: Handler<"VerifyMac"> = async (ctx, request) => {
  const { stub, call: c } = await call(ctx, request.KeyId, request.GrantTokens, { "kms:MacAlgorithm": request.MacAlgorithm });
  const verified = await settle(ctx, stub.verifyMac(c, request.MacAlgorithm, request.Message, request.Mac, audit(ctx)));
  return { KeyId: verified.keyArn, MacValid: true, MacAlgorithm: request.MacAlgorithm };
};

export const DeriveSharedSecret: Handler<"DeriveSharedSecret"> = async (ctx, request) => {
  if (request.Recipient !== undefined) throw unsupportedRecipient();
  const conditions = { "kms:KeyAgreementAlgorithm": request.KeyAgreementAlgorithm };
  const { stub, call: c } = await call(ctx, request.KeyId, request.GrantTokens, conditions);
  const derived = await settle(ctx, stub.deriveSharedSecret(c, request.KeyAgreementAlgorithm, request.PublicKey, audit(ctx)));
  return {
    KeyId: derived.keyArn,
    SharedSecret: derived.sharedSecret,
    KeyAgreementAlgorithm: request.KeyAgreementAlgorithm,
    KeyOrigin: derived.origin,
  };
};

export const Encapsulate: Handler<"Encapsulate"> = async (ctx, request) => {
  const { stub, call: c } = await call(ctx, request.KeyId, request.GrantTokens);
  const result = await settle(ctx, stub.encapsulate(c, request.EncapsulationAlgorithm, audit(ctx)));
  return {
    KeyId: result.keyArn,
    SharedSecret: result.sharedSecret,
    SharedSecretCiphertextBlob: result.ciphertext,
    EncapsulationAlgorithm: request.EncapsulationAlgorithm,
  };
};

export const Decapsulate: Handler<"Decapsulate"> = async (ctx, request) => {
  const { stub, call: c } = await call(ctx, request.KeyId, request.GrantTokens);
  const result = await settle(ctx, stub.decapsulate(c, request.EncapsulationAlgorithm, request.SharedSecretCiphertextBlob, audit(ctx)));
  return { KeyId: result.keyArn, SharedSecret: result.sharedSecret, EncapsulationAlgorithm: request.EncapsulationAlgorithm };
};

async function dataKeyPair(
  ctx: OperationContext,
  operation: "GenerateDataKeyPair" | "GenerateDataKeyPairWithoutPlaintext",
  request: { KeyId: string; KeyPairSpec: string; EncryptionContext?: Record<string, string>; GrantTokens?: string[] },
) {
  if (request.KeyPairSpec === "SM2") throw new KmsError("UnsupportedOperationException", "KeyPairSpec SM2 is not supported by EdgeKMS.");
  const arn = await resolveKeyArn(ctx, request.KeyId);
  const context = request.EncryptionContext ?? {};
  const conditions = { "kms:DataKeyPairSpec": request.KeyPairSpec, "kms:EncryptionAlgorithm": "SYMMETRIC_DEFAULT" };
  const c = keyCall(ctx, arn, facts(request.GrantTokens, conditions, { encryptionContext: context }));
  return settle(ctx, keyObject(ctx, arn).generateDataKeyPair(c, operation, request.KeyPairSpec, context, audit(ctx)));
}

export const GenerateDataKeyPair: Handler<"GenerateDataKeyPair"> = async (ctx, request) => {
  if (request.Recipient !== undefined) throw unsupportedRecipient();
  const pair = await dataKeyPair(ctx, "GenerateDataKeyPair", request);
  return {
    PrivateKeyCiphertextBlob: pair.ciphertext,
    PrivateKeyPlaintext: pair.privateKey,
    PublicKey: pair.publicKey,
    KeyId: pair.keyArn,
    KeyPairSpec: request.KeyPairSpec,
  };
};

export const GenerateDataKeyPairWithoutPlaintext: Handler<"GenerateDataKeyPairWithoutPlaintext"> = async (ctx, request) => {
  const pair = await dataKeyPair(ctx, "GenerateDataKeyPairWithoutPlaintext", request);
  return { PrivateKeyCiphertextBlob: pair.ciphertext, PublicKey: pair.publicKey, KeyId: pair.keyArn, KeyPairSpec: request.KeyPairSpec };
};
