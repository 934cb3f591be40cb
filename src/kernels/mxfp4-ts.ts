// Plain TypeScript MXFP4 codec: the readable reference the wasm kernel is
// tested against, and the "plain TS loop" baseline of bench/mxfp4.mjs.
// It is written differently from the kernel on purpose (Math-based rounding,
// Number.isFinite, Object.is for -0) so that agreement is a real cross-check.

/** E2M1 code -> value (ALGORITHMS.md §6.3); code 8 is -0. */
export const E2M1_VALUES: readonly number[] = Object.freeze([
  0, 0.5, 1, 1.5, 2, 3, 4, 6, -0, -0.5, -1, -1.5, -2, -3, -4, -6,
]);
const LUT = Float64Array.from(E2M1_VALUES);

/** POW2[s] = 2^(s - 127) for every E8M0 byte, built by exact doubling/halving. */
const POW2: Float64Array = (() => {
  const t = new Float64Array(256);
  t[127] = 1;
  for (let s = 128; s < 256; s++) t[s] = t[s - 1]! * 2;
  for (let s = 126; s >= 0; s--) t[s] = t[s + 1]! / 2;
  return t;
})();

/**
 * Decodes `scales.length` blocks (`groupBytes` bytes each, 16 in OCP MX, low
 * nibble first) into `out` (2·groupBytes values per block). A Float32Array
 * receives the exact double rounded once.
 */
export function decodeMxfp4Ts(blocks: Uint8Array, scales: Uint8Array, out: Float32Array | Float64Array, groupBytes = 16): void {
  const n = scales.length;
  for (let i = 0; i < n; i++) {
    const p = POW2[scales[i]!]!;
    for (let j = 0; j < groupBytes; j++) {
      const b = blocks[i * groupBytes + j]!;
      out[2 * (i * groupBytes + j)] = LUT[b & 15]! * p;
      out[2 * (i * groupBytes + j) + 1] = LUT[b >> 4]! * p;
    }
  }
}

/** Round half to even to an integer. */
function rhe(x: number): number {
  const r = Math.round(x); // half up
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** E2M1 magnitude code (0..7) of q >= 0, nearest with ties to even, saturating at 6. */
function e2m1MagnitudeCode(q: number): number {
  if (q < 2) return rhe(q * 2); // grid step 0.5: codes 0..3, 4 = 2.0
  if (q < 4) return rhe(q) + 2; // step 1: 2, 3, 4 -> codes 4, 5, 6
  return Math.min(rhe(q / 2) + 4, 7); // step 2: 4, 6 (8 saturates to 6)
}

/**
 * Encodes values (n a multiple of 32) with the "ocp-mx-v1-floor-rne" rule (see
 * assembly/mxfp4.ts): scale = floor(log2 amax) - 2 clamped to E8M0, codes
 * rounded to nearest even and saturated, sign always kept, NaN/Inf block ->
 * scale 0xFF and zero codes.
 */
export function encodeMxfp4Ts(values: Float32Array, blocks: Uint8Array, scales: Uint8Array): void {
  const nBlocks = values.length >>> 5;
  // The raw bits give the sign (incl. -0) and the exponent of amax.
  const bits = new Uint32Array(values.buffer, values.byteOffset, nBlocks * 32);
  const one = new Float32Array(1);
  const oneBits = new Uint32Array(one.buffer);
  for (let i = 0; i < nBlocks; i++) {
    const base = i * 32;
    let amax = 0;
    let finite = true;
    for (let j = 0; j < 32; j++) {
      const v = values[base + j]!;
      if (v - v !== 0) finite = false; // NaN or +-Inf
      else amax = Math.max(amax, Math.abs(v));
    }
    if (!finite) {
      scales[i] = 0xff;
      blocks.fill(0, i * 16, i * 16 + 16);
      continue;
    }
    one[0] = amax;
    const biased = oneBits[0]! >>> 23; // floor(log2 amax) + 127 for normal amax, 0 for subnormal/zero
    const s = Math.max(biased - 2, 0);
    scales[i] = s;
    const inv = POW2[254 - s]!; // 2^(127 - s)
    for (let j = 0; j < 16; j++) {
      const k = base + 2 * j;
      const ca = e2m1MagnitudeCode(Math.abs(values[k]!) * inv) | ((bits[k]! >>> 28) & 8);
      const cb = e2m1MagnitudeCode(Math.abs(values[k + 1]!) * inv) | ((bits[k + 1]! >>> 28) & 8);
      blocks[i * 16 + j] = ca | (cb << 4);
    }
  }
}
