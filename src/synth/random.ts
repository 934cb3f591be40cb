// Counter-based pseudo-random streams for synthetic checkpoints.
//
// Every logical tensor gets a 64-bit key: SplitMix64's mix64(first64(sha256(key
// name)), seed). Word i of its stream is a pure function of (key, i):
//   word(i) = lowbias32(lowbias32(lo32(i) ^ keyLo ^ hiMix(i)) ^ keyHi)
// (lowbias32 is Chris Wellons' 32-bit integer hash, a bijection). Being
// counter-based rather than sequential (xorshift) lets any element range be
// produced without generating what precedes it: the Hugging Face layout's
// q_proj/k_proj/v_proj are row slices of the original layout's fused qkv and
// hold the same values, shards can be written in any order, and a chunk costs
// only its own length. Only integer ops: bytes are identical on every engine.
import { first64 } from '../format/hash.js';
import { mix64 } from '../numeric/splitmix64.js';

export interface StreamKey {
  readonly hi: number;
  readonly lo: number;
}

/** The stream key of a logical tensor under a seed. */
export function streamKey(seed: number | bigint, name: string): StreamKey {
  const k = mix64(first64(name), BigInt.asUintN(64, BigInt(seed)));
  return { hi: Number(k >> 32n), lo: Number(k & 0xffffffffn) };
}

/** lowbias32: a 32-bit bijective integer hash (good avalanche, 2 multiplies). */
export function lowbias32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

const TWO32 = 4294967296;

/** Word `i` (0 ≤ i < 2^53) of the stream `key`, as an unsigned 32-bit value. */
export function streamWord(key: StreamKey, i: number): number {
  const hi = i >= TWO32 ? Math.floor(i / TWO32) : 0;
  const lo = i - hi * TWO32;
  const salt = hi === 0 ? 0 : lowbias32(hi ^ 0x5bd1e995);
  return lowbias32(lowbias32((lo ^ key.lo ^ salt) >>> 0) ^ key.hi);
}

/**
 * Fills `out[0..count)` with words `first .. first+count-1` of the stream.
 * The hot loop of the generator: kept free of calls and allocations.
 */
export function fillWords(key: StreamKey, first: number, count: number, out: Uint32Array): void {
  let i = 0;
  while (i < count) {
    const w = first + i;
    const hi = w >= TWO32 ? Math.floor(w / TWO32) : 0;
    const base = w - hi * TWO32; // low 32 bits of the first word of this run
    // words of one run share their high half; stop at the next 2^32 boundary
    const run = Math.min(count - i, TWO32 - base);
    const kLo = (key.lo ^ (hi === 0 ? 0 : lowbias32(hi ^ 0x5bd1e995))) | 0;
    const kHi = key.hi | 0;
    for (let j = 0; j < run; j++) {
      let x = ((base + j) ^ kLo);
      x ^= x >>> 16; x = Math.imul(x, 0x7feb352d); x ^= x >>> 15; x = Math.imul(x, 0x846ca68b); x ^= x >>> 16;
      x ^= kHi;
      x ^= x >>> 16; x = Math.imul(x, 0x7feb352d); x ^= x >>> 15; x = Math.imul(x, 0x846ca68b); x ^= x >>> 16;
      out[i + j] = x;
    }
    i += run;
  }
}

/** A small deterministic sequential generator for non-tensor choices (tokenizers, shuffles). */
export class Stream {
  readonly #key: StreamKey;
  #i = 0;
  constructor(seed: number | bigint, name: string) {
    this.#key = streamKey(seed, name);
  }
  /** Next unsigned 32-bit word. */
  next(): number {
    return streamWord(this.#key, this.#i++);
  }
  /** Uniform integer in [0, n) (n ≤ 2^32; the tiny modulo bias is irrelevant here). */
  below(n: number): number {
    return this.next() % n;
  }
  /** Uniform float in [0, 1). */
  unit(): number {
    return this.next() / TWO32;
  }
}
