// Exact fused multiply-add: RN(a*b + c) with one rounding (ties to even), as C's
// fma(). glibc's FMA-compiled log/sin/cos use hardware fused multiply-adds, so
// porting them bit for bit needs this.
//
// Fast path (moderate operands), after Boldo & Melquiond's emulated FMA
// ("Emulation of FMA and correctly rounded sums: proved algorithms using
// rounding to odd", IEEE TC 57(4), 2008) with their round-to-odd step replaced
// by an equivalent midpoint test that needs no bit access:
//   uh + ul = a*b exactly (Dekker), th + tl = c + uh exactly (TwoSum),
//   v + ve = tl + ul exactly (TwoSum), z = RN(th + v).
// Then a*b + c = m + ve with m = th + v. If ve != 0 the sum c + uh did not cancel
// (Sterbenz would make tl = 0 and v = ul exact), so |uh| <= 2|th| and
// |v| <= 1.5 ulp(th): m is a multiple of ulp(v) > 2|ve|, and the midpoints around
// z lie on a coarser grid. So m + ve rounds like m unless m is itself a
// midpoint, where ve's sign decides. e2 = m - z (exact, Fast2Sum) detects that:
// m is a midpoint iff z + 2*e2 is exactly the neighbour of z.
// Everything else (zeros, non-finite values, huge or tiny operands) takes an
// exact BigInt path.

import { fromWords, highWord, lowWord, SPLIT } from './bits.js';

// |a|, |b| in [2^-480, 2^480]: the split cannot overflow, |a*b| >= 2^-960 keeps
// every partial product and the product's error term exact (no underflow), and
// |c| <= 2^1000 keeps the sums finite.
const AB_MIN = 2 ** -480;
const AB_MAX = 2 ** 480;
const C_MAX = 2 ** 1000;

/** fma(a, b, c) = a*b + c rounded once to nearest-even, like C99 fma(). */
export function fma(a: number, b: number, c: number): number {
  const aa = Math.abs(a);
  const ab = Math.abs(b);
  if (!(aa >= AB_MIN && aa <= AB_MAX && ab >= AB_MIN && ab <= AB_MAX && Math.abs(c) <= C_MAX)) {
    return fmaSlow(a, b, c);
  }
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
  if (ve !== 0) {
    const e2 = v - (z - th);
    const n2 = z + 2 * e2;
    if (n2 - z === 2 * e2 && e2 !== 0 && (ve > 0) === (e2 > 0)) return n2;
  }
  return z;
}

/** The cases the fast path excludes; exact for every input. */
export function fmaSlow(a: number, b: number, c: number): number {
  if (a === 0 || b === 0 || !Number.isFinite(a) || !Number.isFinite(b)) {
    // a*b is exact here (a zero, an infinity or NaN), so one rounding remains.
    return a * b + c;
  }
  if (!Number.isFinite(c)) return c; // finite a*b cannot change ±inf or NaN
  if (c === 0) return a * b; // exact product nonzero: its rounding and sign win
  return fmaExact(a, b, c);
}

/** Exact a*b + c for finite nonzero a, b, c, rounded once, via BigInt. */
export function fmaExact(a: number, b: number, c: number): number {
  const [ma, ea] = decompose(a);
  const [mb, eb] = decompose(b);
  const [mc, ec] = decompose(c);
  const mp = ma * mb;
  const ep = ea + eb;
  let s: bigint;
  let e: number;
  if (ep <= ec) {
    s = mp + (mc << BigInt(ec - ep));
    e = ep;
  } else {
    s = (mp << BigInt(ep - ec)) + mc;
    e = ec;
  }
  if (s === 0n) return 0; // an exact zero sum is +0 when rounding to nearest
  return roundScaled(s, e);
}

/** Finite nonzero x as [m, e] with x = m * 2^e, m a signed integer below 2^53. */
function decompose(x: number): [bigint, number] {
  const hi = highWord(x);
  const lo = lowWord(x);
  const be = (hi >>> 20) & 0x7ff;
  const frac = (hi & 0xfffff) * 4294967296 + lo;
  const m = BigInt(be === 0 ? frac : frac + 4503599627370496);
  return [hi >>> 31 ? -m : m, be === 0 ? -1074 : be - 1075];
}

function bitLength(n: bigint): number {
  const h = n.toString(16);
  return (h.length - 1) * 4 + (32 - Math.clz32(parseInt(h[0]!, 16)));
}

/** RN(s * 2^e) for a nonzero integer s, with gradual underflow and overflow to ±inf. */
function roundScaled(s: bigint, e: number): number {
  const neg = s < 0n;
  if (neg) s = -s;
  // Keep 53 significant bits, or fewer when the result is below 2^-1022.
  let shift = bitLength(s) - 53;
  if (e + shift < -1074) shift = -1074 - e;
  if (shift > 0) {
    const sh = BigInt(shift);
    let q = s >> sh;
    const rem = s - (q << sh);
    const half = 1n << (sh - 1n);
    if (rem > half || (rem === half && (q & 1n) === 1n)) q += 1n;
    s = q;
    e += shift;
  }
  // s <= 2^53 and s * 2^e is now a double (or beyond the largest one).
  let m = Number(s);
  while (e > 1000) {
    m *= pow2(1000);
    e -= 1000;
  }
  while (e < -1000) {
    m *= pow2(-1000);
    e += 1000;
  }
  m *= pow2(e);
  return neg ? -m : m;
}

/** 2^e for -1022 <= e <= 1023, built from bits. */
function pow2(e: number): number {
  return fromWords((e + 1023) << 20, 0);
}
