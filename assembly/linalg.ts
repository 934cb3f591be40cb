// The overlays stage's products (ALGORITHMS.md §10) in the reference's exact
// order: every output element sums its products from 0.0 in ascending k, one
// rounding per multiply and per add (wasm has no fused multiply-add).
import { HEAP_BASE } from './shared/heap';

/**
 * matmul(A, B) of the reference: out (aRows × bCols) = A (aRows × aCols, first
 * `inner` columns used) × B (inner × bCols). The caller checks inner ≤ aCols.
 */
export function matmul(a: usize, aRows: i32, aCols: i32, b: usize, inner: i32, bCols: i32, out: usize): void {
  // row i of out accumulates A[i][k]·B[k] for k ascending: each element still adds
  // its products to 0.0 in order of k, as the reference's inner loop does
  const n = <usize>max(0, bCols);
  for (let i = 0; i < aRows; i++) {
    const ar = a + ((<usize>i * aCols) << 3);
    const or = out + ((<usize>i * bCols) << 3);
    memory.fill(or, 0, n << 3);
    for (let k = 0; k < inner; k++) addScaledRow(or, load<f64>(ar + (<usize>k << 3)), b + ((<usize>k * bCols) << 3), n);
  }
}

/**
 * acc[j] += x·row[j] for j < n, one rounding for the product and one for the sum:
 * each column is its own f64x2 lane, so the bits are the scalar loop's.
 */
@inline function addScaledRow(acc: usize, x: f64, row: usize, n: usize): void {
  const xs = f64x2.splat(x);
  let j: usize = 0;
  for (; j + 2 <= n; j += 2) {
    const o = j << 3;
    v128.store(acc + o, f64x2.add(v128.load(acc + o), f64x2.mul(xs, v128.load(row + o))));
  }
  if (j < n) store<f64>(acc + (j << 3), load<f64>(acc + (j << 3)) + x * load<f64>(row + (j << 3)));
}

/**
 * matmul(transpose(S), B) for S stored sRows × sCols (first `inner` rows used):
 * out (sCols × bCols). S is walked row by row, and each output element still
 * adds its products to 0.0 in ascending k, so the bits equal matmul's.
 */
export function matmulTransposed(s: usize, sCols: i32, b: usize, inner: i32, bCols: i32, out: usize): void {
  const n = <usize>max(0, bCols);
  let i = 0;
  // two output rows (columns i, i + 1 of S: one per lane) by four output columns at
  // a time, summed over k in registers: each lane adds its products to 0.0 in
  // ascending k, as the reference's inner loop does
  for (; i + 2 <= sCols; i += 2) {
    let j: usize = 0;
    for (; j + 4 <= n; j += 4) {
      let a0 = f64x2.splat(0.0), a1 = f64x2.splat(0.0), a2 = f64x2.splat(0.0), a3 = f64x2.splat(0.0);
      let sp = s + (<usize>i << 3);
      let bp = b + (j << 3);
      for (let k = 0; k < inner; k++) {
        const x = v128.load(sp);
        a0 = f64x2.add(a0, f64x2.mul(x, v128.load64_splat(bp)));
        a1 = f64x2.add(a1, f64x2.mul(x, v128.load64_splat(bp, 8)));
        a2 = f64x2.add(a2, f64x2.mul(x, v128.load64_splat(bp, 16)));
        a3 = f64x2.add(a3, f64x2.mul(x, v128.load64_splat(bp, 24)));
        sp += <usize>sCols << 3;
        bp += n << 3;
      }
      const o0 = out + ((<usize>i * n + j) << 3);
      const o1 = o0 + (n << 3);
      v128.store(o0, i64x2.shuffle(a0, a1, 0, 2)); v128.store(o0, i64x2.shuffle(a2, a3, 0, 2), 16);
      v128.store(o1, i64x2.shuffle(a0, a1, 1, 3)); v128.store(o1, i64x2.shuffle(a2, a3, 1, 3), 16);
    }
    for (; j < n; j++) {
      let a = f64x2.splat(0.0);
      let sp = s + (<usize>i << 3);
      let bp = b + (j << 3);
      for (let k = 0; k < inner; k++) {
        a = f64x2.add(a, f64x2.mul(v128.load(sp), v128.load64_splat(bp)));
        sp += <usize>sCols << 3;
        bp += n << 3;
      }
      store<f64>(out + ((<usize>i * n + j) << 3), f64x2.extract_lane(a, 0));
      store<f64>(out + ((<usize>(i + 1) * n + j) << 3), f64x2.extract_lane(a, 1));
    }
  }
  for (; i < sCols; i++) {
    for (let j: usize = 0; j < n; j++) {
      let a: f64 = 0.0;
      for (let k = 0; k < inner; k++) a += load<f64>(s + ((<usize>k * sCols + i) << 3)) * load<f64>(b + ((<usize>k * n + j) << 3));
      store<f64>(out + ((<usize>i * n + j) << 3), a);
    }
  }
}

export { HEAP_BASE };

/** acc[j] += x² for the first `used` of `cols` columns of `rows` rows at v, rows in order (the PRF diagonal). */
export function addSquares(acc: usize, v: usize, rows: i32, cols: i32, used: i32): void {
  const n = <usize>max(0, used);
  for (let r = 0; r < rows; r++) {
    const vr = v + ((<usize>r * cols) << 3);
    let j: usize = 0;
    for (; j + 2 <= n; j += 2) {
      const o = j << 3;
      const x = v128.load(vr + o);
      v128.store(acc + o, f64x2.add(v128.load(acc + o), f64x2.mul(x, x)));
    }
    if (j < n) {
      const x = load<f64>(vr + (j << 3));
      store<f64>(acc + (j << 3), load<f64>(acc + (j << 3)) + x * x);
    }
  }
}

/** A[r0 + i][j] += v[i][j] for i < rows, j < n; A has aCols columns, v has vCols (the layer sum of W_O). */
export function addRows(a: usize, aCols: i32, r0: i32, v: usize, vCols: i32, rows: i32, n: i32): void {
  for (let i = 0; i < rows; i++) addRowTo(a + ((<usize>(r0 + i) * aCols) << 3), v + ((<usize>i * vCols) << 3), <usize>max(0, n));
}

/** x[i] /= d for n values (a true division, as the reference's, not a reciprocal product). */
export function divideAll(x: usize, n: i32, d: f64): void {
  const ds = f64x2.splat(d);
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const p = x + (<usize>i << 3);
    v128.store(p, f64x2.div(v128.load(p), ds));
  }
  for (; i < n; i++) {
    const p = x + (<usize>i << 3);
    store<f64>(p, load<f64>(p) / d);
  }
}

/**
 * Q's first `cols` columns from `n` Householder reflectors (ALGORITHMS.md §10.2):
 * for each row j < m, q = e_j reflected by every reflector in order
 * (dot = Σ_{i≥k} v[i]·q[i] from 0.0, then q[i] -= (2·v[i])·dot), and
 * out[j][c] = q[c]. vs: n × m f64 (reflector r's k at ks[r], i32), q: 2m f64
 * scratch. Rows j and j + 1 run together, one per f64x2 lane (q interleaved):
 * the lanes never mix, so each holds the scalar loop's bits.
 */
export function householderQ(vs: usize, ks: usize, n: i32, m: i32, cols: i32, q: usize, out: usize): void {
  let j = 0;
  for (; j + 2 <= m; j += 2) {
    memory.fill(q, 0, <usize>m << 4);
    store<f64>(q + (<usize>j << 4), 1.0); // lane 0 of q[j]
    store<f64>(q + (<usize>(j + 1) << 4), 1.0, 8); // lane 1 of q[j + 1]
    for (let r = 0; r < n; r++) {
      const v = vs + ((<usize>r * m) << 3);
      const k = load<i32>(ks + (<usize>r << 2));
      let dot = f64x2.splat(0.0);
      for (let i = k; i < m; i++) dot = f64x2.add(dot, f64x2.mul(f64x2.splat(load<f64>(v + (<usize>i << 3))), v128.load(q + (<usize>i << 4))));
      for (let i = k; i < m; i++) {
        const p = q + (<usize>i << 4);
        v128.store(p, f64x2.sub(v128.load(p), f64x2.mul(f64x2.splat(2.0 * load<f64>(v + (<usize>i << 3))), dot)));
      }
    }
    const o0 = out + ((<usize>j * cols) << 3);
    const o1 = o0 + (<usize>cols << 3);
    for (let c = 0; c < cols; c++) {
      store<f64>(o0 + (<usize>c << 3), load<f64>(q + (<usize>c << 4)));
      store<f64>(o1 + (<usize>c << 3), load<f64>(q + (<usize>c << 4), 8));
    }
  }
  for (; j < m; j++) {
    memory.fill(q, 0, <usize>m << 3);
    store<f64>(q + (<usize>j << 3), 1.0);
    for (let r = 0; r < n; r++) reflectColumn(q, vs + ((<usize>r * m) << 3), load<i32>(ks + (<usize>r << 2)), m);
    const o = out + ((<usize>j * cols) << 3);
    for (let c = 0; c < cols; c++) store<f64>(o + (<usize>c << 3), load<f64>(q + (<usize>c << 3)));
  }
}

const HOUSEHOLDER_TOLERANCE: f64 = 1e-12;

/** col[i] -= (2·v[i])·dot for i ≥ k, dot = Σ_{i≥k} v[i]·col[i] from 0.0 (one reflector, the reference's order). */
function reflectColumn(col: usize, v: usize, k: i32, m: i32): void {
  let dot: f64 = 0.0;
  for (let i = k; i < m; i++) dot += load<f64>(v + (<usize>i << 3)) * load<f64>(col + (<usize>i << 3));
  for (let i = k; i < m; i++) {
    const p = col + (<usize>i << 3);
    store<f64>(p, load<f64>(p) - (2.0 * load<f64>(v + (<usize>i << 3))) * dot);
  }
}

/**
 * One candidate column of orthonormal_matrix (ALGORITHMS.md §10.2–10.3), the
 * operations of src/numeric/householder.ts in its order: col (m f64) is reflected
 * by the n accepted reflectors (vs: n × m, their k at ks), then step n of the full
 * QR. An independent column's reflector becomes number n (row n of vs, ks[n]) and
 * 1 is returned; a dependent one returns 0. sq: m f64 scratch. The host checks n < m.
 */
export function orthoCandidate(vs: usize, ks: usize, n: i32, m: i32, col: usize, sq: usize): i32 {
  for (let r = 0; r < n; r++) reflectColumn(col, vs + ((<usize>r * m) << 3), load<i32>(ks + (<usize>r << 2)), m);
  const k = n;
  let nx: f64 = 0.0;
  for (let i = k; i < m; i++) {
    const x = load<f64>(col + (<usize>i << 3));
    nx += x * x;
  }
  nx = Math.sqrt(nx);
  if (nx < HOUSEHOLDER_TOLERANCE) return 0;
  const x0 = load<f64>(col + (<usize>k << 3));
  const alpha = (x0 >= 0.0 ? -1.0 : 1.0) * nx;
  const v = vs + ((<usize>n * m) << 3);
  memory.fill(v, 0, <usize>m << 3);
  store<f64>(v + (<usize>k << 3), x0 - alpha);
  for (let i = k + 1; i < m; i++) store<f64>(v + (<usize>i << 3), load<f64>(col + (<usize>i << 3)));
  for (let i = k; i < m; i++) {
    const x = load<f64>(v + (<usize>i << 3));
    store<f64>(sq + (<usize>(i - k) << 3), x * x);
  }
  const nv = Math.sqrt(psum(sq, m - k));
  if (nv < HOUSEHOLDER_TOLERANCE) return 0;
  const iv = 1.0 / nv;
  for (let i = k; i < m; i++) {
    const p = v + (<usize>i << 3);
    store<f64>(p, load<f64>(p) * iv);
  }
  reflectColumn(col, v, k, m);
  if (abs<f64>(load<f64>(col + (<usize>k << 3))) <= HOUSEHOLDER_TOLERANCE) return 0;
  store<i32>(ks + (<usize>n << 2), k);
  return 1;
}

// ---- PRF features (ALGORITHMS.md §9) ----

/**
 * prf_W and the whitening variances from `rows` gaussian rows g (rows × d): w[i][j] =
 * (g[i][j]·sqrtDiag[j])·inv, left to right, and sig2[i] = max(psum over j of
 * ((w·w)·diag[j]), 1e-6) with Python's max (a NaN sum stays). terms: d f64 scratch.
 */
export function prfFeatures(g: usize, sqrtDiag: usize, diag: usize, inv: f64, rows: i32, d: i32, w: usize, sig2: usize, terms: usize): void {
  for (let i = 0; i < rows; i++) {
    const gr = g + ((<usize>i * d) << 3);
    const wr = w + ((<usize>i * d) << 3);
    for (let j = 0; j < d; j++) {
      const o = <usize>j << 3;
      const s = (load<f64>(gr + o) * load<f64>(sqrtDiag + o)) * inv;
      store<f64>(wr + o, s);
      store<f64>(terms + o, (s * s) * load<f64>(diag + o));
    }
    const t = psum(terms, d);
    store<f64>(sig2 + (<usize>i << 3), 1e-6 > t ? 1e-6 : t);
  }
}

// ---- the bridge's folds of the FFN weights (ALGORITHMS.md §14) ----

/**
 * One f32 (its bits) widened to f64 bits as the hosts' Float64Array.set(Float32Array)
 * does: numbers exactly; a NaN keeps its sign and payload (moved to the top of the
 * f64 fraction) and becomes quiet. Wasm lets an engine pick a promoted NaN's bits,
 * so NaNs take this path and their bytes (which the layer seeds hash) are fixed.
 */
@inline function widenBits(b: u32): u64 {
  if ((b & 0x7fffffff) > 0x7f800000) return (<u64>(b & 0x80000000) << 32) | 0x7ff8000000000000 | (<u64>(b & 0x007fffff) << 29);
  return reinterpret<u64>(<f64>reinterpret<f32>(b));
}

/**
 * dst[i] = src[i] widened to f64 for n little-endian f32 at src (stored F32 rows read
 * raw): what the TypeScript decoder writes, bit for bit, NaNs included (widenBits).
 */
export function widenF32(src: usize, dst: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const s = src + (<usize>i << 2);
    const d = dst + (<usize>i << 3);
    const x = v128.load(s);
    if (v128.any_true(f32x4.ne(x, x))) {
      for (let k: usize = 0; k < 4; k++) store<u64>(d + (k << 3), widenBits(load<u32>(s + (k << 2))));
      continue;
    }
    v128.store(d, f64x2.promote_low_f32x4(x));
    v128.store(d, f64x2.promote_low_f32x4(i64x2.shuffle(x, x, 1, 1)), 16); // lanes 2, 3
  }
  for (; i < n; i++) store<u64>(dst + (<usize>i << 3), widenBits(load<u32>(src + (<usize>i << 2))));
}

/** acc[j] += row[j] for j < n: each column is its own f64x2 lane, so the bits do not depend on the lane width. */
@inline function addRowTo(acc: usize, row: usize, n: usize): void {
  let j: usize = 0;
  for (; j + 2 <= n; j += 2) {
    const o = j << 3;
    v128.store(acc + o, f64x2.add(v128.load(acc + o), v128.load(row + o)));
  }
  if (j < n) store<f64>(acc + (j << 3), load<f64>(acc + (j << 3)) + load<f64>(row + (j << 3)));
}

/**
 * The bridge's W1 column totals: total[f] += row[f mod cols] for f < features, for
 * each of `rows` rows of `cols` f64 at v, rows in order (each total sees its values
 * in row order, as the reference's loop). A row narrower than the features is
 * added once per `cols` features it covers.
 */
export function addColumnTotals(total: usize, v: usize, rows: i32, cols: i32, features: i32): void {
  if (cols <= 0) return;
  for (let r = 0; r < rows; r++) {
    const row = v + ((<usize>r * cols) << 3);
    for (let f0 = 0; f0 < features; f0 += cols) addRowTo(total + (<usize>f0 << 3), row, <usize>min(cols, features - f0));
  }
}

/**
 * CPython 3.12's sum() of n f64 at p (Neumaier compensation), the operations of
 * psum in src/numeric/python.ts in the same order: 0.0 + the first value (so -0.0
 * sums to 0.0), then per value the compensation of whichever of f and x is larger
 * in magnitude (both computed, one selected: no branch), and c added at the end
 * when it is non-zero and finite. 0.0 for n ≤ 0.
 */
export function psum(p: usize, n: i32): f64 {
  if (n <= 0) return 0.0;
  let f: f64 = 0.0 + load<f64>(p);
  let c: f64 = 0.0;
  for (let i = 1; i < n; i++) {
    const x = load<f64>(p + (<usize>i << 3));
    const t = f + x;
    c += select<f64>((f - t) + x, (x - t) + f, abs<f64>(f) >= abs<f64>(x));
    f = t;
  }
  if (c != 0.0 && isFinite<f64>(c)) f += c;
  return f;
}

/** Values i of rows a (lane 0) and b (lane 1). */
@inline function pairAt(a: usize, b: usize, i: i32): v128 {
  const o = <usize>i << 3;
  return v128.load64_lane(b + o, v128.load64_zero(a + o), 1);
}

/** psum's compensation for t = f + x, per lane: the rounding error, taken from whichever of f and x is larger in magnitude. */
@inline function compensation(f: v128, x: v128, t: v128): v128 {
  return v128.bitselect(f64x2.add(f64x2.sub(f, t), x), f64x2.add(f64x2.sub(x, t), f), f64x2.ge(f64x2.abs(f), f64x2.abs(x)));
}

/** psum's last step, per lane: f + c when c is non-zero and finite (c - c is 0.0 exactly then), else f. */
@inline function compensated(f: v128, c: v128): v128 {
  const zero = f64x2.splat(0.0);
  return v128.bitselect(f64x2.add(f, c), f, v128.and(f64x2.ne(c, zero), f64x2.eq(f64x2.sub(c, c), zero)));
}

/**
 * psum of two rows of n ≥ 1 f64 at once, row a in lane 0 and row b in lane 1: the
 * lanes never mix and each runs psum's operations in psum's order, so each lane
 * holds psum's bits.
 */
function psumPair(a: usize, b: usize, n: i32): v128 {
  let f = f64x2.add(f64x2.splat(0.0), pairAt(a, b, 0));
  let c = f64x2.splat(0.0);
  for (let i = 1; i < n; i++) {
    const x = pairAt(a, b, i);
    const t = f64x2.add(f, x);
    c = f64x2.add(c, compensation(f, x, t));
    f = t;
  }
  return compensated(f, c);
}

/**
 * The bridge's W2 row means: means[i] = psum(row i) / max(1, cols) for `rows` rows
 * of `cols` f64 at v (a true division, as the reference's), two rows at a time.
 */
export function rowMeans(means: usize, v: usize, rows: i32, cols: i32): void {
  const div = <f64>max(1, cols);
  const rowBytes = <usize>max(0, cols) << 3;
  let r = 0;
  if (cols > 0) {
    for (; r + 2 <= rows; r += 2) {
      const a = v + <usize>r * rowBytes;
      v128.store(means + (<usize>r << 3), f64x2.div(psumPair(a, a + rowBytes, cols), f64x2.splat(div)));
    }
  }
  for (; r < rows; r++) store<f64>(means + (<usize>r << 3), psum(v + <usize>r * rowBytes, cols) / div);
}
