// The linalg kernel's products equal the reference's matmul order bit for bit:
// each element sums its products from 0.0 in ascending k, no fused multiply-add.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadLinalg, matmulTransposedWasm, matmulWasm } from '../../src/kernels/linalg.js';
import { SplitMix64 } from '../../src/numeric/splitmix64.js';

test.before(async () => { await loadLinalg(); });

function random(n: number, seed: bigint): Float64Array {
  const p = new SplitMix64(seed);
  // mixed magnitudes and signs make rounding order visible
  return Float64Array.from({ length: n }, () => (p.nextUnit() - 0.5) * 2 ** Math.floor(p.nextUnit() * 40 - 20));
}

function reference(A: Float64Array, aCols: number, aRows: number, B: Float64Array, inner: number, bCols: number): Float64Array {
  const out = new Float64Array(aRows * bCols);
  for (let i = 0; i < aRows; i++) {
    for (let j = 0; j < bCols; j++) {
      let s = 0.0;
      for (let k = 0; k < inner; k++) s += A[i * aCols + k]! * B[k * bCols + j]!;
      out[i * bCols + j] = s;
    }
  }
  return out;
}

function transpose(S: Float64Array, rows: number, cols: number): Float64Array {
  const t = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = S[r * cols + c]!;
  return t;
}

const bits = (a: Float64Array) => [...new BigUint64Array(a.buffer, a.byteOffset, a.length)];

test('matmul: A (rows × cols, first inner columns) × B, as the reference sums', () => {
  for (const [rows, cols, inner, bCols] of [[5, 7, 7, 3], [33, 40, 17, 8], [1, 1, 1, 1], [64, 64, 0, 4]] as const) {
    const A = random(rows * cols, BigInt(rows * 1000 + cols)), B = random(inner * bCols, BigInt(inner + 7));
    assert.equal(bits(matmulWasm(A, rows, cols, B, inner, bCols)), bits(reference(A, cols, rows, B, inner, bCols)), `${rows}×${cols}·${inner}×${bCols}`);
  }
});

test('matmulTransposed: transpose(S) × B without building the transpose, same bits', () => {
  for (const [sRows, sCols, inner, bCols] of [[9, 5, 9, 3], [70, 33, 40, 8], [3, 3, 0, 2]] as const) {
    const S = random(sRows * sCols, BigInt(sRows + sCols)), B = random(inner * bCols, 99n);
    const want = reference(transpose(S, sRows, sCols), sRows, sCols, B, inner, bCols);
    assert.equal(bits(matmulTransposedWasm(S, sCols, B, inner, bCols)), bits(want), `${sRows}×${sCols}ᵀ·${inner}×${bCols}`);
  }
});

test.run();
