// Seeded gaussians (ALGORITHMS.md §8.3): SplitMix64 on native u64, Box–Muller
// with the reference's clamp on u, and glibc 2.36's FMA log/sin/cos (libm/).
// The values equal CPython's bit for bit; the TypeScript port in
// src/numeric/gaussian.ts is the same algorithm for hosts without the kernel.
import { HEAP_BASE } from './shared/heap';
import { log } from './libm/log';
import { sin, cos } from './libm/sincos';
import { fma } from './libm/fma';

const GAMMA: u64 = 0x9e3779b97f4a7c15;
const TWO_NEG53: f64 = 1.0 / 9007199254740992.0;
const U_MIN: f64 = reinterpret<f64>(0x3cb0000000000000); // 2^-52
const U_MAX: f64 = 1.0 - U_MIN;
const TWO_PI: f64 = 2.0 * Math.PI;

// @ts-ignore: decorator
@inline function unit(state: u64): f64 {
  let z = state;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
  z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
  z = z ^ (z >> 31);
  return <f64>(z >> 11) * TWO_NEG53;
}

/**
 * `rows` calls of the reference's gaussian_vector(prng, length), row after row
 * into out (f64[rows × length]). The generator state is the u64 at `state`,
 * read at the start and written back at the end. Pairs are drawn whole: an odd
 * length drops the last pair's second value.
 */
export function gaussianRows(state: usize, rows: i32, length: i32, out: usize): void {
  let s = load<u64>(state);
  let o = out;
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < length; i += 2) {
      s += GAMMA;
      let u = unit(s);
      s += GAMMA;
      const v = unit(s);
      u = min<f64>(max<f64>(u, U_MIN), U_MAX);
      const rad = Math.sqrt(-2.0 * log(u));
      const ang = TWO_PI * v;
      store<f64>(o, rad * cos(ang));
      if (i + 1 < length) store<f64>(o, rad * sin(ang), 8);
      o += i + 1 < length ? 16 : 8;
    }
  }
  store<u64>(state, s);
}

/** The libm ports, for the known-answer tests (sin/cos: |x| < 105414336). */
export { log, sin, cos };

export function fmaExport(a: f64, b: f64, c: f64): f64 {
  return fma(a, b, c);
}

export { HEAP_BASE };
