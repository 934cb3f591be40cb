// Shared helpers for the MXFP4 tests: an independent construction of the
// expected decode results (from IEEE bit fields, not from multiplication), a
// deterministic RNG and bit-level comparisons.

/** Exponent and "half" mantissa bit of each E2M1 magnitude code 1..7 (0.5 1 1.5 2 3 4 6). */
const MAG: ReadonlyArray<readonly [number, number]> = [[-1, 0], [0, 0], [0, 1], [1, 0], [1, 1], [2, 0], [2, 1]];

/** f64 bit pattern of lut[code] · 2^(scale − 127), assembled from sign/exponent/mantissa fields. */
export function expectedF64Bits(code: number, scale: number): bigint {
  const sign = BigInt(code >> 3) << 63n;
  const m = code & 7;
  if (m === 0) return sign;
  const [e, half] = MAG[m - 1]!;
  return sign | (BigInt(e + 1023 + scale - 127) << 52n) | (half ? 1n << 51n : 0n);
}

const dv = new DataView(new ArrayBuffer(8));
export function f64FromBits(b: bigint): number {
  dv.setBigUint64(0, b, true);
  return dv.getFloat64(0, true);
}
export function f32Bits(x: number): number {
  dv.setFloat32(0, x, true);
  return dv.getUint32(0, true);
}
export function f32FromBits(b: number): number {
  dv.setUint32(0, b >>> 0, true);
  return dv.getFloat32(0, true);
}
export function f64Bits(x: number): bigint {
  dv.setFloat64(0, x, true);
  return dv.getBigUint64(0, true);
}

/** Deterministic xorshift32 generator. */
export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

export function randomBytes(next: () => number, n: number): Uint8Array {
  const a = new Uint8Array(n);
  for (let i = 0; i < n; i++) a[i] = next() & 0xff;
  return a;
}

/** Random scales in [lo, hi]. */
export function randomScales(next: () => number, n: number, lo = 0, hi = 255): Uint8Array {
  const a = new Uint8Array(n);
  for (let i = 0; i < n; i++) a[i] = lo + (next() % (hi - lo + 1));
  return a;
}

/**
 * Random f32 values mixing the interesting cases: random bit patterns (NaN,
 * Inf, subnormals), signed zeros, exact rounding ties, grid points and
 * ordinary values across a wide exponent range.
 */
export function randomValues(next: () => number, n: number): Float32Array {
  const v = new Float32Array(n);
  const bits = new Uint32Array(v.buffer);
  const ties = [0.25, 0.75, 1.25, 1.75, 2.5, 3.5, 5, 0, 0.5, 1, 1.5, 2, 3, 4, 6, 7.5];
  for (let b = 0; b < n; b += 32) {
    const kind = next() % 5;
    const x = (next() % 200) - 100; // block exponent
    for (let j = b; j < Math.min(n, b + 32); j++) {
      const r = next();
      if (kind === 0) bits[j] = r; // raw bits
      else if (kind === 1) v[j] = ties[r % ties.length]! * 2 ** x * (r & 0x100 ? -1 : 1);
      else if (kind === 2) bits[j] = (r & 0x807fffff) >>> 0; // subnormals and +-0
      else if (kind === 3) v[j] = ((r >>> 8) / 2 ** 24 - 0.5) * 2 ** x;
      else v[j] = r & 1 ? 0 : -0;
    }
    if (kind === 3 && next() % 4 === 0) v[b + (next() % 32)] = 6 * 2 ** (x - 2); // exact amax of form 6·2^X
  }
  return v;
}

/** Index of the first differing byte of two typed arrays' bytes, or -1. */
export function firstByteDiff(a: ArrayBufferView, b: ArrayBufferView): number {
  const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  if (x.length !== y.length) return Math.min(x.length, y.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return i;
  return -1;
}
