// glibc 2.36 __log_fma (the x86_64 FMA build of e_log.c) bit for bit: the port
// of src/numeric/libm/log.ts, with u64 words instead of 32-bit halves.
import { fma } from './fma';
import { A, B, INVC, LOGC, LN2HI, LN2LO } from './tables';

const NEAR1_LO: f64 = 0.9375;
const NEAR1_HI: f64 = 1.064697265625;
const TWO27: f64 = 134217728.0;
const TWO52: f64 = 4503599627370496.0;
const MIN_NORMAL: f64 = 2.2250738585072014e-308;
const OFF: u64 = 0x3fe6000000000000;

/** Natural logarithm, identical to glibc 2.36's __log_fma for every input. */
export function log(x: f64): f64 {
  if (x >= NEAR1_LO && x < NEAR1_HI) return logNear1(x);
  if (!(x >= MIN_NORMAL && x < Infinity)) {
    if (x == 0.0) return -Infinity;
    if (x == Infinity) return x;
    if (!(x > 0.0)) return NaN;
    // subnormal: normalise (the exponent field goes below its range, as in C)
    return logMain(reinterpret<u64>(x * TWO52) - (<u64>52 << 52));
  }
  return logMain(reinterpret<u64>(x));
}

function logMain(ix: u64): f64 {
  const tmp = ix - OFF;
  const i = <i32>((tmp >> 45) & 127);
  const k = <f64>(<i64>tmp >> 52);
  const z = reinterpret<f64>(ix - (tmp & (<u64>0xfff << 52)));
  const invc = unchecked(INVC[i]);
  const logc = unchecked(LOGC[i]);
  const r = fma(z, invc, -1.0);
  const w = k * LN2HI + logc; // exact by the table's construction: fused or not, the same
  const hi2 = r + w;
  const r2 = r * r;
  const lo2 = fma(k, LN2LO, (w - hi2) + r);
  const r3 = r * r2;
  const p = fma(fma(r, unchecked(A[4]), unchecked(A[3])), r2, fma(r, unchecked(A[2]), unchecked(A[1])));
  const y = fma(r3, p, fma(r2, unchecked(A[0]), lo2));
  return y + hi2;
}

function logNear1(x: f64): f64 {
  if (x == 1.0) return 0.0;
  const r = x - 1.0;
  const r2 = r * r;
  const r3 = r * r2;
  const p1 = fma(r2, unchecked(B[3]), fma(r, unchecked(B[2]), unchecked(B[1])));
  const p4 = fma(r2, unchecked(B[6]), fma(r, unchecked(B[5]), unchecked(B[4])));
  let q = fma(r2, unchecked(B[9]), fma(r, unchecked(B[8]), unchecked(B[7])));
  q = fma(r3, unchecked(B[10]), q);
  q = fma(q, r3, p4);
  q = fma(q, r3, p1);
  const rhi = fma(-TWO27, r, fma(r, TWO27, r));
  const rlo = r - rhi;
  const rhi2 = rhi * rhi;
  const b0 = unchecked(B[0]);
  const hi = fma(rhi2, b0, r);
  let lo = fma(rhi2, b0, r - hi);
  lo = fma(b0 * rlo, r + rhi, lo);
  const y = fma(q, r3, lo);
  return hi + y;
}
