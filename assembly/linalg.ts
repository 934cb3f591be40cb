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

/** acc[j] += x² for the first `used` of `cols` columns of `rows` rows at v, rows in order (the PRF diagonal). */
export function addSquares(acc: usize, v: usize, rows: i32, cols: i32, used: i32): void {
  for (let r = 0; r < rows; r++) {
    const vr = v + ((<usize>r * cols) << 3);
    for (let j = 0; j < used; j++) {
      const x = load<f64>(vr + (<usize>j << 3));
      const p = acc + (<usize>j << 3);
      store<f64>(p, load<f64>(p) + x * x);
    }
  }
}

/** A[r0 + i][j] += v[i][j] for i < rows, j < n; A has aCols columns, v has vCols (the layer sum of W_O). */
export function addRows(a: usize, aCols: i32, r0: i32, v: usize, vCols: i32, rows: i32, n: i32): void {
  for (let i = 0; i < rows; i++) {
    const ar = a + ((<usize>(r0 + i) * aCols) << 3);
    const vr = v + ((<usize>i * vCols) << 3);
    for (let j = 0; j < n; j++) {
      const p = ar + (<usize>j << 3);
      store<f64>(p, load<f64>(p) + load<f64>(vr + (<usize>j << 3)));
    }
  }
}

/** x[i] /= d for n values (a true division, as the reference's, not a reciprocal product). */
export function divideAll(x: usize, n: i32, d: f64): void {
  for (let i = 0; i < n; i++) {
    const p = x + (<usize>i << 3);
    store<f64>(p, load<f64>(p) / d);
  }
}

/**
 * Q's first `cols` columns from `n` Householder reflectors (ALGORITHMS.md §10.2):
 * for each row j < m, q = e_j reflected by every reflector in order
 * (dot = Σ_{i≥k} v[i]·q[i] from 0.0, then q[i] -= (2·v[i])·dot), and
 * out[j][c] = q[c]. vs: n × m f64 (reflector r's k at ks[r], i32), q: m f64 scratch.
 */
export function householderQ(vs: usize, ks: usize, n: i32, m: i32, cols: i32, q: usize, out: usize): void {
  for (let j = 0; j < m; j++) {
    memory.fill(q, 0, <usize>m << 3);
    store<f64>(q + (<usize>j << 3), 1.0);
    for (let r = 0; r < n; r++) {
      const v = vs + ((<usize>r * m) << 3);
      const k = load<i32>(ks + (<usize>r << 2));
      let dot: f64 = 0.0;
      for (let i = k; i < m; i++) dot += load<f64>(v + (<usize>i << 3)) * load<f64>(q + (<usize>i << 3));
      for (let i = k; i < m; i++) {
        const p = q + (<usize>i << 3);
        store<f64>(p, load<f64>(p) - (2.0 * load<f64>(v + (<usize>i << 3))) * dot);
      }
    }
    const o = out + ((<usize>j * cols) << 3);
    for (let c = 0; c < cols; c++) store<f64>(o + (<usize>c << 3), load<f64>(q + (<usize>c << 3)));
  }
}
