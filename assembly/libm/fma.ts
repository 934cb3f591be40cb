// fma(a, b, c) = RN(a*b + c), one rounding: the moderate-operand fast path of
// src/numeric/libm/fma.ts (Dekker product, TwoSum, midpoint test; the proof is
// there). Zeros and non-finite values are exact in plain arithmetic; operands
// outside the fast range are rare (tiny or huge) and are rounded by the host's
// exact BigInt fmaExact, imported, so the kernel is exact for every input.

@external("env", "fmaExact")
declare function fmaExact(a: f64, b: f64, c: f64): f64;

const SPLIT: f64 = 134217729.0; // 2^27 + 1
const AB_MIN: f64 = reinterpret<f64>(0x21f0000000000000); // 2^-480
const AB_MAX: f64 = reinterpret<f64>(0x5df0000000000000); // 2^480
const C_MAX: f64 = reinterpret<f64>(0x7e70000000000000); // 2^1000

// @ts-ignore: decorator
@inline export function fma(a: f64, b: f64, c: f64): f64 {
  const aa = abs<f64>(a);
  const ab = abs<f64>(b);
  if (!(aa >= AB_MIN && aa <= AB_MAX && ab >= AB_MIN && ab <= AB_MAX && abs<f64>(c) <= C_MAX)) return fmaSlow(a, b, c);
  const uh = a * b;
  let t = SPLIT * a;
  const ah = t - (t - a);
  const al = a - ah;
  t = SPLIT * b;
  const bh = t - (t - b);
  const bl = b - bh;
  const ul = ((ah * bh - uh) + ah * bl + al * bh) + al * bl;
  const th = c + uh;
  let w = th - c;
  const tl = (c - (th - w)) + (uh - w);
  const v = tl + ul;
  w = v - tl;
  const ve = (tl - (v - w)) + (ul - w);
  const z = th + v;
  if (ve != 0.0) {
    const e2 = v - (z - th);
    const n2 = z + 2.0 * e2;
    if (n2 - z == 2.0 * e2 && e2 != 0.0 && (ve > 0.0) == (e2 > 0.0)) return n2;
  }
  return z;
}

function fmaSlow(a: f64, b: f64, c: f64): f64 {
  if (a == 0.0 || b == 0.0 || !isFinite<f64>(a) || !isFinite<f64>(b)) return a * b + c;
  if (!isFinite<f64>(c)) return c;
  if (c == 0.0) return a * b;
  return fmaExact(a, b, c);
}
