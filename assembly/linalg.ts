// The overlays stage's products (ALGORITHMS.md §10) in the reference's exact
// order: every output element sums its products from 0.0 in ascending k, one
// rounding per multiply and per add (wasm has no fused multiply-add).
import { HEAP_BASE } from './shared/heap';

/**
 * matmul(A, B) of the reference: out (aRows × bCols) = A (aRows × aCols, first
 * `inner` columns used) × B (inner × bCols). The caller checks inner ≤ aCols.
 */
export function matmul(a: usize, aRows: i32, aCols: i32, b: usize, inner: i32, bCols: i32, out: usize): void {
  for (let i = 0; i < aRows; i++) {
    const ar = a + ((<usize>i * aCols) << 3);
    const or = out + ((<usize>i * bCols) << 3);
    for (let j = 0; j < bCols; j++) {
      let s: f64 = 0.0;
      for (let k = 0; k < inner; k++) s += load<f64>(ar + (<usize>k << 3)) * load<f64>(b + ((<usize>k * bCols + j) << 3));
      store<f64>(or + (<usize>j << 3), s);
    }
  }
}

/**
 * matmul(transpose(S), B) for S stored sRows × sCols (first `inner` rows used):
 * out (sCols × bCols). S is walked row by row, and each output element still
 * adds its products to 0.0 in ascending k, so the bits equal matmul's.
 */
export function matmulTransposed(s: usize, sCols: i32, b: usize, inner: i32, bCols: i32, out: usize): void {
  memory.fill(out, 0, (<usize>sCols * bCols) << 3);
  for (let k = 0; k < inner; k++) {
    const sr = s + ((<usize>k * sCols) << 3);
    const br = b + ((<usize>k * bCols) << 3);
    for (let i = 0; i < sCols; i++) {
      const x = load<f64>(sr + (<usize>i << 3));
      const or = out + ((<usize>i * bCols) << 3);
      for (let j = 0; j < bCols; j++) {
        const p = or + (<usize>j << 3);
        store<f64>(p, load<f64>(p) + x * load<f64>(br + (<usize>j << 3)));
      }
    }
  }
}

export { HEAP_BASE };
