// glibc 2.36 sin(x) and cos(x) as the x86_64 FMA variants (__sin_fma, __cos_fma:
// s_sin.c built with -mfma -mavx2) compute them, bit for bit. The structure is
// s_sin.c's (IBM Accurate Mathematical Library); each a*b+c that GCC contracted
// into a fused multiply-add (read off libm.so.6's machine code) is an fma() call
// here, everything else is the plain rounded operation in the same order.
// Arguments beyond 105414350 use __branred (branred.ts), which glibc compiles
// without FMA.
import { branred, BRANRED } from './branred.js';
import { fma } from './fma.js';
import { HP0, HP1, MP1 } from './bits.js';
import { SINCOSTAB as T } from './sincos-tab.js';

// usncs.h and s_sin.c constants.
const S1 = -0.16666666666666666; // -0x1.5555555555555p-3
const S2 = 0.008333333333332329; // 0x1.1111111110ECEp-7
const S3 = -0.00019841269834414642; // -0x1.A01A019DB08B8p-13
const S4 = 2.755729806860771e-6; // 0x1.71DE27B9A7ED9p-19
const S5 = -2.5022014848318398e-8; // -0x1.ADDFFC2FCDF59p-26
const SN3 = -0.16666666666666488; // -0x1.5555555555515p-3
const SN5 = 0.008333332142857223; // 0x1.11110e829872fp-7
const CS2 = 0.5;
const CS4 = -0.04166666666666644; // -0x1.5555555555535p-5
const CS6 = 0.001388888740079376; // 0x1.6c16bedd9e239p-10
const BIG = 52776558133248; // 0x1.8p45: big + |x| rounds |x| to a multiple of 1/128
const MP2 = -1.3909067564377153e-8; // -0x1.DDE973C000000p-27
const PP3 = -4.97899623147991e-17; // -0x1.CB3B398000000p-55
const PP4 = -1.9034889620193266e-25; // -0x1.d747f23e32ed7p-83
const HPINV = 0.6366197723675814; // 0x1.45F306DC9C883p-1
const TOINT = 6755399441055744; // 0x1.8p52

// Branch thresholds: s_sin.c compares the high word k = |x| >> 32; with a zero
// low word each threshold is the double below.
const K_3E400000 = 2 ** -27;
const K_3E500000 = 2 ** -26;
const K_3FEB6000 = 0.85546875;
const K_400368FD = 2.4262638092041016; // asdouble(0x400368fd00000000)
const K_419921FB = 105414336; // asdouble(0x419921fb00000000)

/** sin(X + dx) for |X| < pi/4 given as the pair (x, dx). */
function doSin(x: number, dx: number): number {
  if (Math.abs(x) < 0.126) {
    // TAYLOR_SIN: x + ((POLY(xx)*x - 0.5*dx)*xx + dx), contracted twice.
    const xx = x * x;
    const p = fma(xx, fma(xx, fma(xx, fma(xx, S5, S4), S3), S2), S1);
    return x + fma(xx, fma(p, x, -(0.5 * dx)), dx);
  }
  const xold = x;
  if (x <= 0) dx = -dx;
  const ax = Math.abs(x);
  const ub = (BIG + ax) - BIG;
  const k = ub * 512; // 4 * (index = ub * 128)
  x = ax - ub;
  const xx = x * x;
  const s = x + fma(x * xx, fma(xx, SN5, SN3), dx);
  const cp = xx * fma(xx, fma(xx, CS6, CS4), CS2);
  // x*dx + cp; with dx = ±0 that sum is cp exactly (cp >= 0), so skip the fma.
  const c = dx === 0 ? cp : fma(x, dx, cp);
  const sn = T[k]!, ssn = T[k + 1]!, cs = T[k + 2]!, ccs = T[k + 3]!;
  // cor = (ssn + s*ccs - sn*c) + cs*s
  const cor = fma(s, cs, fma(-c, sn, fma(s, ccs, ssn)));
  const r = Math.abs(sn + cor);
  return xold < 0 ? -r : r;
}

/** cos(X + dx) for |X| < pi/4 given as the pair (x, dx). */
function doCos(x: number, dx: number): number {
  if (x < 0) dx = -dx;
  const ax = Math.abs(x);
  const ub = (BIG + ax) - BIG;
  const k = ub * 512;
  x = (ax - ub) + dx;
  const xx = x * x;
  const s = fma(x * xx, fma(xx, SN5, SN3), x);
  const c = xx * fma(xx, fma(xx, CS6, CS4), CS2);
  const sn = T[k]!, ssn = T[k + 1]!, cs = T[k + 2]!, ccs = T[k + 3]!;
  // cor = (ccs - s*ssn - cs*c) - sn*s; sn is 0 in the first table row.
  const q = fma(-c, cs, fma(-s, ssn, ccs));
  const cor = sn === 0 ? q : fma(-s, sn, q);
  return cs + cor;
}

/** Reduction result: x = n*pi/2 + (A + DA). */
let A = 0;
let DA = 0;

/** reduce_sincos for |x| < 105414350: returns n mod 4, sets A and DA. */
function reduce(x: number): number {
  const t = fma(x, HPINV, TOINT);
  const xn = t - TOINT;
  const y = fma(-xn, MP2, fma(-xn, MP1, x));
  const t2 = fma(-xn, PP3, y);
  const db = fma(-xn, PP3, y - t2);
  const b = fma(-xn, PP4, t2);
  A = b;
  DA = db + fma(-xn, PP4, t2 - b);
  return xn & 3;
}

function doSinCos(a: number, da: number, n: number): number {
  const r = n & 1 ? doCos(a, da) : doSin(a, da);
  return n & 2 ? -r : r;
}

/** Sine, identical to glibc 2.36's __sin_fma for every input. */
export function sin(x: number): number {
  const ax = Math.abs(x);
  if (ax < K_3E500000) return x; // also ±0 and subnormals
  if (ax < K_3FEB6000) return doSin(x, 0);
  if (ax < K_400368FD) {
    const r = doCos(HP0 - ax, HP1);
    return x < 0 ? -Math.abs(r) : Math.abs(r);
  }
  if (ax < K_419921FB) {
    const n = reduce(x);
    return doSinCos(A, DA, n);
  }
  if (ax < Infinity) {
    const n = branred(x);
    return doSinCos(BRANRED.a, BRANRED.aa, n);
  }
  return NaN; // ±inf, NaN
}

/** Cosine, identical to glibc 2.36's __cos_fma for every input. */
export function cos(x: number): number {
  const ax = Math.abs(x);
  if (ax < K_3E400000) return 1.0;
  if (ax < K_3FEB6000) return doCos(x, 0);
  if (ax < K_400368FD) {
    const y = HP0 - ax;
    const a = y + HP1;
    const da = (y - a) + HP1;
    return doSin(a, da);
  }
  if (ax < K_419921FB) {
    const n = reduce(x);
    return doSinCos(A, DA, n + 1);
  }
  if (ax < Infinity) {
    const n = branred(x);
    return doSinCos(BRANRED.a, BRANRED.aa, n + 1);
  }
  return NaN;
}
