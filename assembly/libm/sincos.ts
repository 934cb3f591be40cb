// glibc 2.36 __sin_fma / __cos_fma (the x86_64 FMA build of s_sin.c) bit for bit
// for |x| < 105414336: the port of src/numeric/libm/sincos.ts without the
// __branred path for larger arguments, which the kernels never pass (their
// angles are 2πv with v in [0, 1)); such an argument traps.
import { fma } from './fma';
import { SINCOSTAB as T } from './tables';

const S1: f64 = -0.16666666666666666;
const S2: f64 = 0.008333333333332329;
const S3: f64 = -0.00019841269834414642;
const S4: f64 = 2.755729806860771e-6;
const S5: f64 = -2.5022014848318398e-8;
const SN3: f64 = -0.16666666666666488;
const SN5: f64 = 0.008333332142857223;
const CS2: f64 = 0.5;
const CS4: f64 = -0.04166666666666644;
const CS6: f64 = 0.001388888740079376;
const BIG: f64 = 52776558133248.0;
const MP1: f64 = 1.5707963407039642;
const MP2: f64 = -1.3909067564377153e-8;
const PP3: f64 = -4.97899623147991e-17;
const PP4: f64 = -1.9034889620193266e-25;
const HPINV: f64 = 0.6366197723675814;
const TOINT: f64 = 6755399441055744.0;
const HP0: f64 = 1.5707963267948966;
const HP1: f64 = 6.123233995736766e-17;

const K_3E400000: f64 = reinterpret<f64>(0x3e40000000000000); // 2^-27
const K_3E500000: f64 = reinterpret<f64>(0x3e50000000000000); // 2^-26
const K_3FEB6000: f64 = 0.85546875;
const K_400368FD: f64 = 2.4262638092041016;
const K_419921FB: f64 = 105414336.0;

function doSin(x: f64, dx: f64): f64 {
  if (abs<f64>(x) < 0.126) {
    const xx = x * x;
    const p = fma(xx, fma(xx, fma(xx, fma(xx, S5, S4), S3), S2), S1);
    return x + fma(xx, fma(p, x, -(0.5 * dx)), dx);
  }
  const xold = x;
  if (x <= 0.0) dx = -dx;
  const ax = abs<f64>(x);
  const ub = (BIG + ax) - BIG;
  const k = <i32>(ub * 512.0);
  x = ax - ub;
  const xx = x * x;
  const s = x + fma(x * xx, fma(xx, SN5, SN3), dx);
  const cp = xx * fma(xx, fma(xx, CS6, CS4), CS2);
  const c = dx == 0.0 ? cp : fma(x, dx, cp);
  const sn = unchecked(T[k]), ssn = unchecked(T[k + 1]), cs = unchecked(T[k + 2]), ccs = unchecked(T[k + 3]);
  const cor = fma(s, cs, fma(-c, sn, fma(s, ccs, ssn)));
  const r = abs<f64>(sn + cor);
  return xold < 0.0 ? -r : r;
}

function doCos(x: f64, dx: f64): f64 {
  if (x < 0.0) dx = -dx;
  const ax = abs<f64>(x);
  const ub = (BIG + ax) - BIG;
  const k = <i32>(ub * 512.0);
  x = (ax - ub) + dx;
  const xx = x * x;
  const s = fma(x * xx, fma(xx, SN5, SN3), x);
  const c = xx * fma(xx, fma(xx, CS6, CS4), CS2);
  const sn = unchecked(T[k]), ssn = unchecked(T[k + 1]), cs = unchecked(T[k + 2]), ccs = unchecked(T[k + 3]);
  const q = fma(-c, cs, fma(-s, ssn, ccs));
  const cor = sn == 0.0 ? q : fma(-s, sn, q);
  return cs + cor;
}

let RA: f64 = 0.0;
let RDA: f64 = 0.0;

/** reduce_sincos: x = n·π/2 + (RA + RDA); returns n mod 4. */
function reduce(x: f64): i32 {
  const t = fma(x, HPINV, TOINT);
  const xn = t - TOINT;
  const y = fma(-xn, MP2, fma(-xn, MP1, x));
  const t2 = fma(-xn, PP3, y);
  const db = fma(-xn, PP3, y - t2);
  const b = fma(-xn, PP4, t2);
  RA = b;
  RDA = db + fma(-xn, PP4, t2 - b);
  return <i32>(<i64>xn) & 3;
}

function doSinCos(a: f64, da: f64, n: i32): f64 {
  const r = n & 1 ? doCos(a, da) : doSin(a, da);
  return n & 2 ? -r : r;
}

export function sin(x: f64): f64 {
  const ax = abs<f64>(x);
  if (ax < K_3E500000) return x;
  if (ax < K_3FEB6000) return doSin(x, 0.0);
  if (ax < K_400368FD) {
    const r = doCos(HP0 - ax, HP1);
    return x < 0.0 ? -abs<f64>(r) : abs<f64>(r);
  }
  if (ax < K_419921FB) {
    const n = reduce(x); // sets RA, RDA: read them after
    return doSinCos(RA, RDA, n);
  }
  if (ax < Infinity) unreachable();
  return NaN;
}

export function cos(x: f64): f64 {
  const ax = abs<f64>(x);
  if (ax < K_3E400000) return 1.0;
  if (ax < K_3FEB6000) return doCos(x, 0.0);
  if (ax < K_400368FD) {
    const y = HP0 - ax;
    const a = y + HP1;
    const da = (y - a) + HP1;
    return doSin(a, da);
  }
  if (ax < K_419921FB) {
    const n = reduce(x);
    return doSinCos(RA, RDA, n + 1);
  }
  if (ax < Infinity) unreachable();
  return NaN;
}
