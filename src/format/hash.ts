// SHA-256 derived values used across the format (FORMAT.md, Conventions).
import * as crypto from 'node:crypto';
import { createHash, type Hash } from 'node:crypto';
import { Buffer } from 'node:buffer';

// One-shot crypto.hash (Node ≥ 20.12, Deno, Bun) avoids a Hash object per call,
// which matters for the ~10^5 small inputs of a real tokenizer.
const oneShot = (crypto as unknown as { hash?: (alg: string, data: Uint8Array | string, enc: 'buffer') => Uint8Array }).hash;

export function sha256(...parts: (Uint8Array | string)[]): Uint8Array {
  if (oneShot && parts.length === 1) return new Uint8Array(oneShot('sha256', parts[0]!, 'buffer'));
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

export function sha256Hex(...parts: (Uint8Array | string)[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex');
}

export function newSha256(): Hash {
  return createHash('sha256');
}

function le64(b: Uint8Array, off: number): bigint {
  return new DataView(b.buffer, b.byteOffset + off, 8).getBigUint64(0, true);
}

/** LE-u64 of SHA-256 bytes 0..8 (seeds, tokenizer key hashes). */
export function first64(data: Uint8Array | string): bigint {
  return le64(sha256(data), 0);
}

export function first64OfDigest(digest: Uint8Array): bigint {
  return le64(digest, 0);
}

/** LE-u64 of SHA-256 bytes 24..32: the array header's checksum (not first64). */
export function sha256Low64(digest: Uint8Array): bigint {
  return le64(digest, 24);
}

/** The manifest's 16-byte digest: SHA-256 bytes 0..16. */
export function digest128(data: Uint8Array | string): Uint8Array {
  return sha256(data).subarray(0, 16);
}

/** Lowercase hex of the bytes (the runtimes' native encoder: a tokenizer's vocabulary has ~10^5 pieces). */
export function toHexDigest(d: Uint8Array): string {
  return Buffer.from(d.buffer, d.byteOffset, d.byteLength).toString('hex');
}
