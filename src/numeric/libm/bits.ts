// What the libm ports share: the 32-bit words of a double (glibc's
// GET_HIGH_WORD / INSERT_WORDS) and the constants fma, sin/cos and branred use.

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
const LITTLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
/** Index of the low / high 32-bit word of f64[0]. */
const LO = LITTLE ? 0 : 1;
const HI = LITTLE ? 1 : 0;

/** The high 32 bits of x (sign, exponent, top of the fraction), unsigned. */
export function highWord(x: number): number {
  f64[0] = x;
  return u32[HI]!;
}

/** The low 32 bits of x's fraction, unsigned. */
export function lowWord(x: number): number {
  f64[0] = x;
  return u32[LO]!;
}

/** The double with these words (each taken modulo 2^32). */
export function fromWords(hi: number, lo: number): number {
  u32[HI] = hi;
  u32[LO] = lo;
  return f64[0]!;
}

/** 2^27 + 1: Veltkamp's split of a double into two 26-bit halves. */
export const SPLIT = 134217729;
/** pi/2 = HP0 + HP1 (usncs.h hp0, hp1). */
export const HP0 = 1.5707963267948966; // 0x1.921FB54442D18p0
export const HP1 = 6.123233995736766e-17; // 0x1.1A62633145C07p-54
/** The high part of pi/2 with a short mantissa (usncs.h mp1; the matching mp2 differs between sin/cos and branred). */
export const MP1 = 1.5707963407039642; // 0x1.921FB58000000p0
