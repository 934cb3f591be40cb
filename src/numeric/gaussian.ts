// Box–Muller gaussians from SplitMix64 with glibc's log/sin/cos (ALGORITHMS.md §8.3):
// the doubles must equal CPython's, so V8's Math.log/sin/cos are not used.
import { SplitMix64 } from './splitmix64.js';
import { log, sin, cos } from './libm/index.js';

/** `gaussian_vector(prng, len)`: both members of each pair are used; an odd length drops the last g1. */
export function gaussianVector(prng: SplitMix64, length: number, out?: Float64Array): Float64Array {
  const res = out ?? new Float64Array(Math.max(0, length));
  for (let i = 0; i < length; i += 2) {
    const [g0, g1] = prng.gaussianPair(log, cos, sin);
    res[i] = g0;
    if (i + 1 < length) res[i + 1] = g1;
  }
  return res;
}
