// The two-level minimal perfect hash used by the linear stage and the
// tokenizer's per-length tables (ALGORITHMS.md §12), with the design spec's
// recovery (grow M by 5% and rebuild) where the reference gives up.
import { buildMphRaw } from '../kernels/mph.js';
import { StageError } from '../errors.js';

export interface Mph {
  /** Seed per bucket: its length is the table size (the reference's ceil(1.23 n), or grown). */
  seeds: Uint32Array;
  ordered: BigUint64Array;
  /** key -> slot, in bucket processing order (later duplicates overwrite). */
  lookup: Map<bigint, number>;
  /** Rebuilds after seed exhaustion (0 = the reference's own result). */
  retries: number;
}

/** The reference's bucket count: max(1, ceil(1.23 * n)) in doubles. */
export function referenceBucketCount(n: number): number {
  return Math.max(1, Math.ceil(1.23 * n));
}

export interface MphOptions {
  /** Grow the table by 5% and rebuild on seed exhaustion, up to this many times (0 = reference: fail). */
  maxRetries?: number;
}

export class MphError extends StageError {}

export function buildMph(keys: BigUint64Array, opts: MphOptions = {}): Mph {
  const n = keys.length;
  if (n === 0) return { seeds: new Uint32Array(0), ordered: new BigUint64Array(0), lookup: new Map(), retries: 0 };
  let m = referenceBucketCount(n);
  const maxRetries = opts.maxRetries ?? 0;
  for (let retry = 0; ; retry++) {
    const r = buildMphRaw(keys, m);
    if (r) {
      const lookup = new Map<bigint, number>();
      for (const slot of r.placeOrder) lookup.set(r.ordered[slot]!, slot);
      return { seeds: r.seeds, ordered: r.ordered, lookup, retries: retry };
    }
    if (retry >= maxRetries) {
      throw new MphError(
        `Unable to build minimal perfect hash (seed cap reached) for ${n} keys with ${m} buckets`,
        'the reference construction gives up here; allow table growth (the default outside --strict modes)',
      );
    }
    m = Math.ceil(m * 1.05);
  }
}
