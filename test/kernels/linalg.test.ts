// The linalg kernel's products equal the reference's matmul order bit for bit:
// each element sums its products from 0.0 in ascending k, no fused multiply-add.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { householderQWasm, loadLinalg, matmulTransposedTs, matmulTransposedWasm, matmulTs, matmulWasm, RowSums, shrinkLinalg, SquareSums } from '../../src/kernels/linalg.js';
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
  for (const [sRows, sCols, inner, bCols] of [[9, 5, 9, 3], [70, 33, 40, 8], [3, 3, 0, 2]] as const) {
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

test('householderQ in wasm equals the TypeScript loop bit for bit', () => {
  const m = 40, cols = 6;
  const refl = Array.from({ length: cols }, (_, r) => {
    const v = random(m, BigInt(100 + r));
    for (let i = 0; i < r; i++) v[i] = 0;
    return { k: r, v };
  });
  assert.equal(bits(householderQWasm(refl, m, cols)), bits(householderQ(refl, m, cols)));
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
