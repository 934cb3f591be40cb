// Python 3.12 semantics the reference's numbers depend on (ALGORITHMS.md §0).

/** `int(round(x))`: round half to even. Throws on NaN/Inf as Python does. */
export function roundHalfEven(x: number): number {
  if (Number.isNaN(x)) throw new RangeError('cannot convert float NaN to integer');
  if (!Number.isFinite(x)) throw new RangeError('cannot convert float infinity to integer');
  if (Math.abs(x) >= 4503599627370496) return x; // already an integer (2^52)
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f === 0 ? 0 : f; // avoid -0
  return f % 2 === 0 ? f : f + 1;
}

/**
 * CPython 3.12+ `sum()` of floats (compensated, Neumaier). An empty input
 * returns the int 0 in Python; callers that need that distinction check length.
 */
export function psum(items: ArrayLike<number>, start = 0, end = items.length): number {
  if (end <= start) return 0;
  let f = 0.0 + items[start]!;
  let c = 0.0;
  for (let i = start + 1; i < end; i++) {
    const x = items[i]!;
    const t = f + x;
    if (Math.abs(f) >= Math.abs(x)) c += (f - t) + x;
    else c += (x - t) + f;
    f = t;
  }
  if (c !== 0 && Number.isFinite(c)) f += c;
  return f;
}

/** Python `max(a, b)`: `b if b > a else a` (NaN handling differs from Math.max). */
export function pyMax(a: number, b: number): number {
  return b > a ? b : a;
}

/** Python `min(a, b)`: `b if b < a else a`. */
export function pyMin(a: number, b: number): number {
  return b < a ? b : a;
}

/** The reference's sign helper: 1.0, -1.0, or 0.0 for zeros and NaN. */
export function sign(x: number): number {
  return x > 0 ? 1.0 : x < 0 ? -1.0 : 0.0;
}

/** `max(lo, min(hi, v))` for the integers the reference clamps (q8.8 values). */
export function clampInt(v: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(hi, v));
}

/** Python `repr(float)`. */
export function floatRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const a = x < 0 ? -x : x;
  if (a >= 1e-4 && a < 1e16) {
    // Python's fixed range (decimal point position -4 < decpt <= 16): JavaScript writes
    // the same shortest digits in fixed notation there, only without ".0" on integers
    const s = String(x);
    return s.includes('.') ? s : s + '.0';
  }
  const neg = x < 0;
  const e = Math.abs(x).toExponential(); // shortest round-trip digits, "d.ddde±X"
  const at = e.indexOf('e');
  const digits = e.slice(0, at).replace('.', '');
  const exp = parseInt(e.slice(at + 1), 10);
  // outside [1e-4, 1e16) the shortest digits cannot round into the fixed range (1e-4's
  // nearest double is the bound itself, 1e16 is exact), so decpt <= -4 or > 16: exponent form
  const mant = digits.length > 1 ? digits[0] + '.' + digits.slice(1) : digits;
  const ae = Math.abs(exp);
  const out = `${mant}e${exp < 0 ? '-' : '+'}${ae < 10 ? '0' : ''}${ae}`;
  return neg ? '-' + out : out;
}

/** Python `str.__lt__` order: by code point (JS `<` compares UTF-16 units). */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs === ys) return x - y;
    return xs ? 1 : -1; // a surrogate (astral code point) sorts above every BMP unit
  }
  return a.length - b.length;
}

const SURROGATE = /[\ud800-\udfff]/;

/** Sorts strings in place in Python's order (sorted() on str): the native sort when no string holds a surrogate, where the orders agree. */
export function sortCodePoints(strings: string[]): string[] {
  return strings.some((s) => SURROGATE.test(s)) ? strings.sort(compareCodePoints) : strings.sort();
}

/** Python bytes ordering (unsigned, prefix first). */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}
