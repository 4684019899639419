/**
 * ImportParameters.zip, as the guide's "Download the Public Key and Import Token (AWS Management
 * Console)" describes it: the wrapping key (DER public key) in wrappingKey_<key ID>_<timestamp>,
 * the import token in importToken_<key ID>_<timestamp>, and README_<key ID>_<timestamp>.txt naming
 * the wrapping algorithm and when the two expire. The timestamp is MMddHHmmss (UTC), as in the
 * guide's example "0809092909". Zipped with fflate (a small, well-kept zip implementation that
 * runs in Workers) rather than hand-written zip code.
 *
 * Nothing secret is in the archive: the wrapping key is public and the import token is what AWS
 * hands out for this purpose.
 */
import { zipSync } from "fflate";

function stamp(d: Date): string {
  const two = (n: number) => String(n).padStart(2, "0");
  return `${two(d.getUTCMonth() + 1)}${two(d.getUTCDate())}${two(d.getUTCHours())}${two(d.getUTCMinutes())}${two(d.getUTCSeconds())}`;
}

export function importParametersZip(input: {
  keyId: string;
  keyArn: string;
  wrappingAlgorithm: string;
  publicKey: Uint8Array;
  importToken: Uint8Array;
  validTo: Date;
  now?: Date;
}): { fileName: string; bytes: Uint8Array; names: { wrappingKey: string; importToken: string; readme: string } } {
  const suffix = `${input.keyId}_${stamp(input.now ?? new Date())}`;
  const names = { wrappingKey: `wrappingKey_${suffix}`, importToken: `importToken_${suffix}`, readme: `README_${suffix}.txt` };
  const readme = [
    `Key: ${input.keyArn}`,
    `Wrapping key: 2048-bit RSA public key (DER, SubjectPublicKeyInfo) in ${names.wrappingKey}`,
    `Wrapping algorithm: ${input.wrappingAlgorithm}`,
    `Import token: ${names.importToken}`,
    `The wrapping key and import token expire at ${input.validTo.toISOString()}.`,
    "",
    "Encrypt your 256-bit key material with the wrapping key and the wrapping algorithm above, then upload",
    "the encrypted key material and this import token on the key's details page (Key Material, Upload key material).",
    "",
  ].join("\r\n");
  const mtime = input.now ?? new Date();
  const bytes = zipSync(
    {
      [names.wrappingKey]: [input.publicKey, { mtime }],
      [names.importToken]: [input.importToken, { mtime }],
      [names.readme]: [new TextEncoder().encode(readme), { mtime }],
    },
    { level: 0 },
  );
  return { fileName: "ImportParameters.zip", bytes, names };
}
