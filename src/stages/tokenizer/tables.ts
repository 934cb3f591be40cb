// Tokenizer seeds (ALGORITHMS.md §7.5) and the per-length tables T_k (§7.8).
import { TokenizerError } from '../../errors.js';
import { first64OfDigest, sha256, toHexDigest } from '../../format/hash.js';
import { mix64 } from '../../numeric/splitmix64.js';

export interface TokenizerSeeds {
  /** Hex SHA-256 of P = concat(LE-u32(id) ‖ piece). */
  vocabDigest: string;
  /** first64(P). */
  globalSeed: bigint;
}

export function tokenizerSeeds(pieces: readonly Uint8Array[], ids: readonly number[]): TokenizerSeeds {
  let size = 0;
  for (const p of pieces) size += 4 + p.length;
  const buf = new Uint8Array(size);
  const view = new DataView(buf.buffer);
  let o = 0;
  for (let i = 0; i < pieces.length; i++) {
    const id = ids[i]!;
    // struct.pack('<I', id) raises struct.error for ids outside u32.
    if (!(id >= 0 && id <= 0xffffffff)) {
      throw new TokenizerError(
        `tokenizer token id ${id} is out of range for a u32 (struct.error: argument out of range)`,
        'token ids must be 0..vocab_size-1; check the ids in tokenizer.json (vocab and added_tokens)',
      );
    }
    view.setUint32(o, id, true);
    buf.set(pieces[i]!, o + 4);
    o += 4 + pieces[i]!.length;
  }
  const digest = sha256(buf);
  return { vocabDigest: toHexDigest(digest), globalSeed: first64OfDigest(digest) };
}

const U64 = (1n << 64n) - 1n;

/** seed_k = mix64(global_seed, k). */
export function tableSeed(globalSeed: bigint, length: number): bigint {
  return mix64(globalSeed, BigInt(length));
}

/** T_k: 256 LE-u64 values (257^(k-1) * byte + seed_k) mod 2^64. */
export function lengthTable(globalSeed: bigint, length: number): { seed: bigint; data: Uint8Array } {
  const seed = tableSeed(globalSeed, length);
  let factor = 1n;
  for (let i = 1; i < length; i++) factor = (factor * 257n) & U64;
  const data = new Uint8Array(2048);
  const view = new DataView(data.buffer);
  let value = seed;
  for (let b = 0; b < 256; b++) {
    view.setBigUint64(b * 8, value, true);
    value = (value + factor) & U64;
  }
  return { seed, data };
}
