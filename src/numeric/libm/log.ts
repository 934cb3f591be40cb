// glibc 2.36 log(x) as the x86_64 FMA variant (__log_fma: e_log.c built with
// -mfma -mavx2) computes it, bit for bit. The structure is e_log.c's; where GCC
// contracted a*b+c into a fused multiply-add (read off libm.so.6's machine code)
// we call fma(), and every other operation is the plain rounded one in the same
// order. Python's math.log on Linux/x86_64 with FMA returns exactly these values.
import { fma } from './fma.js';
import { A, B, INVC, LN2HI, LN2LO, LOGC } from './log-data.js';
import { fromWords, highWord, lowWord } from './bits.js';

const [A0, A1, A2, A3, A4] = A;
const [B0, B1, B2, B3, B4, B5, B6, B7, B8, B9, B10] = B;
/** The close-to-1 branch: asuint64(1 - 0x1p-4) <= ix < asuint64(1 + 0x1.09p-4). */
const NEAR1_LO = 0.9375;
const NEAR1_HI = 1.064697265625;
const TWO27 = 134217728;
const TWO52 = 4503599627370496;
const MIN_NORMAL = 2.2250738585072014e-308;
/** High word of OFF = 0x3fe6000000000000 (its low word is 0). */
const OFF_HI = 0x3fe60000;

/** Natural logarithm, identical to glibc 2.36's __log_fma for every input. */
export function log(x: number): number {
  if (x >= NEAR1_LO && x < NEAR1_HI) return logNear1(x);
  if (!(x >= MIN_NORMAL && x < Infinity)) {
    if (x === 0) return -Infinity; // both zeros: divide-by-zero
    if (x === Infinity) return x;
    if (!(x > 0)) return NaN; // negative or NaN: invalid
    // Subnormal: normalise (the exponent field goes below its range, as in C).
    const y = x * TWO52;
    return logMain((highWord(y) - (52 << 20)) | 0, lowWord(y));
  }
  return logMain(highWord(x) | 0, lowWord(x));
}

/** ix = hi:lo; x = 2^k z with z in [OFF, 2*OFF). */
function logMain(hi: number, lo: number): number {
  const tmp = (hi - OFF_HI) | 0;
  const i = (tmp >>> 13) & 127; // (tmp >> 45) % 128
  const k = tmp >> 20; // arithmetic shift of the 64-bit tmp by 52
  const z = fromWords(hi - (tmp & 0xfff00000), lo);
  const invc = INVC[i]!;
  const logc = LOGC[i]!;
  const r = fma(z, invc, -1.0);
  // kd*Ln2hi + logc is exact by the table's construction (checked in the tests),
  // so the fused and the plain evaluation agree; plain skips fma's k = 0 detour.
  const w = k * LN2HI + logc;
  const hi2 = r + w;
  const r2 = r * r;
  const lo2 = fma(k, LN2LO, (w - hi2) + r);
  const r3 = r * r2;
  const p = fma(fma(r, A4, A3), r2, fma(r, A2, A1));
  const y = fma(r3, p, fma(r2, A0, lo2));
  return y + hi2;
}

/** |x - 1| small: log1p(r) by a degree-12 polynomial with r^2/2 split exactly. */
function logNear1(x: number): number {
  if (x === 1) return 0;
  const r = x - 1.0;
  const r2 = r * r;
  const r3 = r * r2;
  const p1 = fma(r2, B3, fma(r, B2, B1));
  const p4 = fma(r2, B6, fma(r, B5, B4));
  let q = fma(r2, B9, fma(r, B8, B7));
  q = fma(r3, B10, q);
  q = fma(q, r3, p4);
  q = fma(q, r3, p1);
  // rhi = r + w - w with w = r*2^27, both steps contracted.
  const rhi = fma(-TWO27, r, fma(r, TWO27, r));
  const rlo = r - rhi;
  const rhi2 = rhi * rhi;
  const hi = fma(rhi2, B0, r);
  let lo = fma(rhi2, B0, r - hi);
  lo = fma(B0 * rlo, r + rhi, lo);
  const y = fma(q, r3, lo);
  return hi + y;
}
