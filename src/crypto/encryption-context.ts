/**
 * Canonical, unambiguous byte encoding of a KMS encryption context, used as additional
 * authenticated data when sealing ciphertext blobs.
 *
 * Pairs are sorted by the UTF-8 bytes of their keys, and every key and value is length-prefixed,
 * so that no two different contexts encode alike: plain concatenation would make {"ab":"c"} and
 * {"a":"bc"} collide (LocalStack's mistake), and unsorted encoding would make the same context
 * sent in another order fail to decrypt.
 *
 * Layout: u16 pair count, then for each pair u16 key length, key bytes, u16 value length, value
 * bytes (big-endian lengths). An empty or absent context encodes as the two bytes 00 00.
 */

export type EncryptionContext = Record<string, string>;

const utf8 = new TextEncoder();

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return a[i]! - b[i]!;
  }
  return a.length - b.length;
}

/** @throws RangeError when a key or value is longer than 65535 bytes or there are more than 65535 pairs. */
export function encodeEncryptionContext(context: EncryptionContext | undefined): Uint8Array {
  const pairs = Object.entries(context ?? {}).map(([k, v]) => [utf8.encode(k), utf8.encode(v)] as const);
  pairs.sort((x, y) => compareBytes(x[0], y[0]));
  if (pairs.length > 0xffff) throw new RangeError("encryption context has too many pairs");
  let size = 2;
  for (const [k, v] of pairs) {
    if (k.length > 0xffff || v.length > 0xffff) throw new RangeError("encryption context entry is too long");
    size += 4 + k.length + v.length;
  }
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setUint16(0, pairs.length);
  let at = 2;
  for (const [k, v] of pairs) {
    view.setUint16(at, k.length);
    out.set(k, at + 2);
    at += 2 + k.length;
    view.setUint16(at, v.length);
    out.set(v, at + 2);
    at += 2 + v.length;
  }
  return out;
}
