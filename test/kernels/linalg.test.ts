// The linalg kernel's products equal the reference's matmul order bit for bit:
// each element sums its products from 0.0 in ascending k, no fused multiply-add.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  FfnFolds, householderQWasm, loadLinalg, prfFeaturesTs, prfFeaturesWasm, matmulTransposedTs, matmulTransposedWasm, matmulTs, matmulWasm, psumWasm, RowSums, shrinkLinalg, SquareSums, widenF32Wasm,
} from '../../src/kernels/linalg.js';
import { decodeToF64 } from '../../src/io/tensor-decode.js';
import { psum } from '../../src/numeric/python.js';
import { kernel } from '../../src/kernels/wasm.js';
import { householderQ } from '../../src/numeric/householder.js';
import { SplitMix64 } from '../../src/numeric/splitmix64.js';

test.before(async () => { await loadLinalg(); });

function random(n: number, seed: bigint): Float64Array {
  const p = new SplitMix64(seed);
  // mixed magnitudes and signs make rounding order visible
  return Float64Array.from({ length: n }, () => (p.nextUnit() - 0.5) * 2 ** Math.floor(p.nextUnit() * 40 - 20));
}

function transpose(S: Float64Array, rows: number, cols: number): Float64Array {
  const t = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = S[r * cols + c]!;
  return t;
}

const bits = (a: Float64Array) => [...new BigUint64Array(a.buffer, a.byteOffset, a.length)];

test('matmul: A (rows × cols, first inner columns) × B, as the reference sums (wasm = the TypeScript twin)', () => {
  for (const [rows, cols, inner, bCols] of [[5, 7, 7, 3], [33, 40, 17, 8], [1, 1, 1, 1], [64, 64, 0, 4]] as const) {
    const A = random(rows * cols, BigInt(rows * 1000 + cols)), B = random(inner * bCols, BigInt(inner + 7));
    assert.equal(bits(matmulWasm(A, rows, cols, B, inner, bCols)), bits(matmulTs(A, rows, cols, B, inner, bCols)), `${rows}×${cols}·${inner}×${bCols}`);
  }
});

test('matmulTransposed: transpose(S) × B without building the transpose, same bits', () => {
  for (const [sRows, sCols, inner, bCols] of [[9, 5, 9, 3], [70, 33, 40, 8], [12, 10, 12, 6], [3, 3, 0, 2]] as const) {
    const S = random(sRows * sCols, BigInt(sRows + sCols)), B = random(inner * bCols, 99n);
    const want = matmulTs(transpose(S, sRows, sCols), sCols, sRows, B, inner, bCols); // the reference's matmul on the built transpose
    assert.equal(bits(matmulTransposedWasm(S, sCols, B, inner, bCols)), bits(want), `${sRows}×${sCols}ᵀ·${inner}×${bCols}`);
    assert.equal(bits(matmulTransposedTs(S, sCols, B, inner, bCols)), bits(want), `TypeScript twin ${sRows}×${sCols}ᵀ`);
  }
});

test('SquareSums: column sums of squares over streamed chunks, rows in order', () => {
  const rows = 37, cols = 11, used = 9;
  const v = random(rows * cols, 5n);
  const sums = new SquareSums(used + 2);
  const want = new Float64Array(used + 2);
  for (const [r0, r1] of [[0, 16], [16, 30], [30, 37]] as const) {
    sums.input((r1 - r0) * cols).set(v.subarray(r0 * cols, r1 * cols));
    sums.add(r1 - r0, cols, used);
    for (let r = r0; r < r1; r++) for (let j = 0; j < used; j++) want[j] = want[j]! + v[r * cols + j]! * v[r * cols + j]!;
  }
  assert.equal(bits(sums.result()), bits(want));
  assert.equal(bits(new SquareSums(3).result()), bits(new Float64Array(3)), 'a new instance starts from zero');
});

test('RowSums: chunks added at their rows, narrower chunks leave the rest, then a true division', () => {
  const rows = 6, cols = 5;
  const sums = new RowSums(rows, cols);
  const want = new Float64Array(rows * cols);
  const chunks = [{ r0: 0, n: 4, vCols: 7, cols: 5 }, { r0: 4, n: 2, vCols: 7, cols: 5 }, { r0: 0, n: 6, vCols: 3, cols: 3 }];
  chunks.forEach((c, i) => {
    const v = random(c.n * c.vCols, BigInt(i + 1));
    sums.input(c.n * c.vCols).set(v);
    sums.add(cols, c.r0, c.vCols, c.n, c.cols);
    for (let r = 0; r < c.n; r++) for (let j = 0; j < c.cols; j++) want[(c.r0 + r) * cols + j] = want[(c.r0 + r) * cols + j]! + v[r * c.vCols + j]!;
  });
  for (let i = 0; i < want.length; i++) want[i] = want[i]! / 3;
  assert.equal(bits(sums.divideAndTake(3)), bits(want));
});

test('prfFeatures: prf_W and the whitening variances as the TypeScript twin computes them, NaN, infinities and the 1e-6 floor included', () => {
  for (const [rows, d] of [[5, 7], [64, 32], [1, 1], [3, 0]] as const) {
    const G = random(rows * d, BigInt(rows * 31 + d));
    // a NaN row and an infinite row apart: where a NaN meets inf - inf, which NaN comes
    // out depends on operand order, which neither engine fixes (nor does the reference)
    if (G.length > 3) { G[0] = NaN; G[2] = 1e300; }
    if (rows > 2 && d > 1) G[2 * d + 1] = Infinity;
    const diag = random(d, 5n).map((x) => Math.abs(x) + 1e-8);
    if (d > 2) diag[1] = 0;
    const sqrtDiag = diag.map(Math.sqrt);
    if (rows > 1 && d > 0) for (let j = 0; j < d; j++) G[d + j] = 0; // a row whose variance takes the floor
    const inv = 1 / Math.sqrt(Math.max(rows, 1));
    const want = prfFeaturesTs(G, sqrtDiag, diag, inv, rows, d);
    const got = prfFeaturesWasm(G, sqrtDiag, diag, inv, rows, d);
    // bits, except that a NaN made by inf - inf has whatever sign the engine's operand
    // order gives it (Node and Bun differ; so could the reference's CPython)
    const nanBits = (a: Float64Array) => [...a].map((x, i) => (Number.isNaN(x) ? 'NaN' : bits(a)[i]));
    assert.equal(nanBits(got.w), nanBits(want.w), `w ${rows}×${d}`);
    assert.equal(nanBits(got.sig2), nanBits(want.sig2), `sig2 ${rows}×${d}`);
  }
});

test('householderQ in wasm equals the TypeScript loop bit for bit (rows in lane pairs, an odd last row alone)', () => {
  for (const [m, cols] of [[40, 6], [41, 6], [3, 2], [1, 1]] as const) {
    const refl = Array.from({ length: cols }, (_, r) => {
      const v = random(m, BigInt(100 + r + m));
      for (let i = 0; i < r; i++) v[i] = 0;
      return { k: r, v };
    });
    assert.equal(bits(householderQWasm(refl, m, cols)), bits(householderQ(refl, m, cols)), `m=${m}`);
  }
});

// ---- the bridge's folds: widenF32, addColumnTotals, psum and rowMeans against the TypeScript paths ----

/** f32 bit patterns of every kind: zeros, subnormals, normals, infinities, quiet and signalling NaNs with payloads. */
const SPECIAL_F32 = [
  0x00000000, 0x80000000, 0x00000001, 0x80000001, 0x007fffff, 0x807fffff, 0x00800000, 0x3f800000, 0xbf800000, 0x7f7fffff, 0xff7fffff,
  0x7f800000, 0xff800000, 0x7fc00000, 0xffc00000, 0x7f800001, 0xff800001, 0x7fc00001, 0x7fffffff, 0xffffffff, 0x7fa5a5a5, 0xffb00000, 0x7fbfffff,
];

/** `n` f32 bit patterns: the specials, then random bits with every fourth exponent forced to 0xff (infinities and NaNs), or to 0 (subnormals). */
function f32Bits(n: number, seed: bigint): Uint32Array {
  const p = new SplitMix64(seed);
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    if (i < SPECIAL_F32.length) { out[i] = SPECIAL_F32[i]!; continue; }
    p.nextHalves();
    let b = p.outLo;
    if (i % 4 === 1) b |= 0x7f800000;
    else if (i % 4 === 3) b &= 0x807fffff;
    out[i] = b >>> 0;
  }
  return out;
}

test('widenF32: the bytes the TypeScript decoder writes for every f32, NaN payloads, infinities, subnormals and -0 included', () => {
  for (const n of [0, 1, 3, 4, 5, 23, 64, 1027]) {
    const b = f32Bits(n, BigInt(n + 1));
    const want = decodeToF64('F32', new Uint8Array(b.buffer)); // the TypeScript path: Float64Array.set(Float32Array)
    assert.equal(bits(widenF32Wasm(b)), bits(want), `${n} values`);
    // a NaN in each lane of a SIMD block and in the scalar tail
    for (let at = 0; at < Math.min(n, 9); at++) {
      const one = new Uint32Array(n).fill(0x3f800000);
      one[at] = 0xff8abcde;
      assert.equal(bits(widenF32Wasm(one)), bits(decodeToF64('F32', new Uint8Array(one.buffer))), `NaN at ${at} of ${n}`);
    }
  }
  // the convention itself, independent of the host: sign and payload kept, the NaN made quiet
  const nan = widenF32Wasm(Uint32Array.of(0x7f800001, 0xffc00000, 0x7fa5a5a5, 0x00000001, 0x80000000, 0xff800000));
  assert.equal(bits(nan), [0x7ff8000020000000n, 0xfff8000000000000n, 0x7ffcb4b4a0000000n, 0x36a0000000000000n, 0x8000000000000000n, 0xfff0000000000000n]);
});

/** The same number, or both NaN (a NaN's payload after arithmetic is the engine's choice). */
function sameValue(a: number, b: number): boolean {
  return Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));
}

test('psum: the kernel runs CPython 3.12 sum() as the TypeScript psum does, edge values included', () => {
  const cases: number[][] = [
    [], [-0], [-0, -0], [0, -0], [5e-324], [5e-324, -5e-324, 5e-324], [1e100, 1, -1e100], [1, 1e100, 1, -1e100], [0.1, 0.2, 0.3],
    [Infinity, 1], [Infinity, -Infinity], [-Infinity, -1e308], [NaN, 1], [1, NaN], [1e308, 1e308, -1e308], [1.7976931348623157e308, 1e292],
    [2 ** 53, 1, 1, 1], [-(2 ** 53), -1, 1e-16], Array.from({ length: 1000 }, (_, i) => (i % 2 ? 1e-17 : 1) * (i % 3 ? 1 : -1)),
    [...random(4097, 11n)],
  ];
  for (const c of cases) {
    const v = Float64Array.from(c);
    const got = psumWasm(v), want = psum(v);
    assert.ok(sameValue(got, want), `psum([${c.slice(0, 6).join(', ')}${c.length > 6 ? ', …' : ''}]): kernel ${got}, TypeScript ${want}`);
  }
});

/** A kernel FfnFolds and a TypeScript one fed the same chunks; both results compared bit for bit. */
function foldsBoth(features: number, outRows: number, feed: (f: FfnFolds) => void): void {
  const k = new FfnFolds(features, outRows);
  assert.ok(k.widens, 'the kernel is loaded');
  feed(k);
  const kt = k.totals(), km = k.means();
  const ts = new FfnFolds(features, outRows, { useKernel: false });
  assert.not.ok(ts.widens);
  feed(ts);
  assert.equal(bits(kt), bits(ts.totals()), 'column totals');
  assert.equal(km.length, outRows);
  const tm = ts.means();
  for (let i = 0; i < outRows; i++) assert.ok(sameValue(km[i]!, tm[i]!), `mean ${i}: ${km[i]} vs ${tm[i]}`);
}

test('FfnFolds.addColumns: column totals over chunks, rows in order, rows wider or narrower than the features', () => {
  for (const [features, cols, rows] of [[8, 8, 9], [8, 13, 7], [9, 3, 5], [10, 4, 6], [7, 1, 3], [5, 0, 4], [1, 1, 1]] as const) {
    const v = random(rows * cols, BigInt(features * 100 + cols));
    if (v.length > 2) { v[0] = -0; v[1] = 5e-324; v[2] = -1e308; }
    foldsBoth(features, 0, (f) => {
      for (const [r0, r1] of [[0, 2], [2, 3], [3, rows]] as const) {
        if (r0 >= rows) continue;
        const n = (Math.min(rows, r1) - r0) * cols;
        f.input(n).set(v.subarray(r0 * cols, r0 * cols + n));
        f.addColumns(Math.min(rows, r1) - r0, cols);
      }
    });
  }
});

test('FfnFolds.addRowMeans: psum(row) / max(1, cols) per row, odd and even row counts, edge values', () => {
  for (const [outRows, cols] of [[6, 11], [7, 5], [1, 9], [4, 1], [3, 0], [9, 2]] as const) {
    const v = random(outRows * cols, BigInt(outRows * 10 + cols));
    const edge = [-0, 5e-324, Infinity, -Infinity, NaN, 1e308, 1e308, -0];
    edge.forEach((x, i) => { if (i * 3 < v.length) v[i * 3] = x; });
    foldsBoth(3, outRows, (f) => {
      for (let r0 = 0; r0 < outRows; r0 += 4) {
        const rows = Math.min(4, outRows - r0);
        f.input(rows * cols).set(v.subarray(r0 * cols, (r0 + rows) * cols));
        f.addRowMeans(r0, rows, cols);
      }
    });
  }
});

test('FfnFolds.widen: stored f32 placed raw gives the doubles the decoder gives, and the folds agree', () => {
  const rows = 10, cols = 12;
  const b = f32Bits(rows * cols, 77n).map((x) => ((x & 0x7f800000) === 0x7f800000 ? x & 0xbfffffff : x)); // finite: the sums compare by value
  const raw = new Uint8Array(b.buffer);
  const want = decodeToF64('F32', raw);
  const f = new FfnFolds(16, rows);
  f.inputF32Bytes(rows * cols).set(raw);
  assert.equal(bits(f.widen(rows * cols)), bits(want));
  f.addColumns(rows, cols);
  f.addRowMeans(0, rows, cols);
  const ts = new FfnFolds(16, rows, { useKernel: false });
  ts.input(rows * cols).set(want);
  ts.addColumns(rows, cols);
  ts.addRowMeans(0, rows, cols);
  assert.equal(bits(f.totals()), bits(ts.totals()));
  assert.equal(bits(f.means()), bits(ts.means()));
});

test('shrinkLinalg: a kernel grown past 16 MiB is replaced by a fresh one, which computes the same', async () => {
  const A = random(6 * 5, 3n), B = random(5 * 4, 4n);
  const before = bits(matmulWasm(A, 6, 5, B, 5, 4));
  new RowSums(1024, 4096); // 32 MiB of accumulator
  const grown = await kernel('linalg');
  assert.ok(grown.memory.buffer.byteLength > 16 * 1024 * 1024);
  shrinkLinalg();
  const fresh = await kernel('linalg');
  assert.is.not(fresh, grown, 'the cache hands out the new instance');
  assert.ok(fresh.memory.buffer.byteLength < 1024 * 1024, `fresh memory: ${fresh.memory.buffer.byteLength} bytes`);
  assert.equal(bits(matmulWasm(A, 6, 5, B, 5, 4)), before);
  shrinkLinalg(); // small: kept
  assert.is(await kernel('linalg'), fresh);
});

test.run();
