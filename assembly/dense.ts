// The reference's FFN collapse inner loops (ALGORITHMS.md §11), per key j of a
// layer: scores cab[h]·|W1[h][j]| ranked like Python's stable
// sorted(..., reverse=True)[:k] (streaming insertion: a later equal score goes
// after earlier ones), the weight summed in rank order, and the residual records
// of every other unit in h order. Python's max(0.0, x) is f64x2.pmax(0, x).
import { HEAP_BASE } from './shared/heap';
import { columnStatsOf } from './shared/colstats';

/** pos = Python max(0.0, x): x if x > 0.0 else 0.0 (NaN and -0.0 give 0.0). */
@inline function relu(x: f64): f64 {
  return 0.0 < x ? x : 0.0;
}

/**
 * Collapses keys j0..j1-1 of one layer.
 *   wT: W1 transposed (d × hid f64, see transpose), cab/sg: hid f64 (column mass, sign of the column sum)
 *   k: the top size (0 ≤ k ≤ 64, hid > k) or -1 for "every unit, in index order" (hid ≤ L)
 *   eff: f64 per key (out), rec: 16-byte records (out), li: the layer (key high word)
 *   top: scratch 64 i32 + 64 f64; flag: scratch hid u8 (zeroed)
 * Returns the number of records written, or -1 - j when a residual of key j
 * overflows f32 (the reference's struct.pack raises there).
 */
export function collapseKeys(wT: usize, hid: u32, j0: u32, j1: u32, cab: usize, sg: usize, k: i32,
  eff: usize, rec: usize, li: u32, top: usize, flag: usize): i32 {
  const topS = top + 256;
  let nrec: i32 = 0;
  for (let j = j0; j < j1; j++) {
    const col = wT + ((<usize>j * hid) << 3); // column j of W1, contiguous (see transpose)
    let effect: f64 = 0.0;
    if (k < 0) {
      for (let h: u32 = 0; h < hid; h++) effect += load<f64>(sg + (<usize>h << 3)) * relu(load<f64>(col + (<usize>h << 3)));
      store<f64>(eff + (<usize>(j - j0) << 3), effect);
      continue; // every unit is in the top: no residuals
    }
    let n: i32 = 0;
    if (k > 0) {
      let thr: f64 = -Infinity;
      for (let h: u32 = 0; h < hid; h++) {
        const s = load<f64>(cab + (<usize>h << 3)) * abs<f64>(load<f64>(col + (<usize>h << 3)));
        if (n < k || s > thr) {
          let q = n < k ? n : k - 1;
          while (q > 0 && s > load<f64>(topS + (<usize>(q - 1) << 3))) {
            store<f64>(topS + (<usize>q << 3), load<f64>(topS + (<usize>(q - 1) << 3)));
            store<i32>(top + (<usize>q << 2), load<i32>(top + (<usize>(q - 1) << 2)));
            q--;
          }
          store<f64>(topS + (<usize>q << 3), s);
          store<i32>(top + (<usize>q << 2), <i32>h);
          if (n < k) n++;
          if (n == k) thr = load<f64>(topS + (<usize>(k - 1) << 3));
        }
      }
      for (let t: i32 = 0; t < n; t++) {
        const h = <usize>load<i32>(top + (<usize>t << 2));
        effect += load<f64>(sg + (h << 3)) * relu(load<f64>(col + (h << 3)));
        store<u8>(flag + h, 1);
      }
    }
    store<f64>(eff + (<usize>(j - j0) << 3), effect);
    // residuals: every unit outside the top with a non-zero (and not NaN) value, h ascending.
    // Each candidate is written unconditionally and kept by advancing the count (no
    // unpredictable branch); the capacity leaves room for the one extra write.
    for (let h: u32 = 0; h < hid; h++) {
      const res = load<f64>(sg + (<usize>h << 3)) * relu(load<f64>(col + (<usize>h << 3)));
      const f = <f32>res;
      const r = rec + (<usize>nrec << 4);
      store<u32>(r, j);
      store<u32>(r, li, 4);
      store<u32>(r, h, 8);
      store<f32>(r, f, 12);
      const keep = (res != 0.0) & (res == res) & (load<u8>(flag + h) == 0);
      if (keep && !isFinite<f32>(f) && isFinite<f64>(res)) return -1 - <i32>j;
      nrec += <i32>keep;
    }
    for (let t: i32 = 0; t < n; t++) store<u8>(flag + <usize>load<i32>(top + (<usize>t << 2)), 0);
  }
  return nrec;
}

/**
 * Columns 0..d-1 of a rows × cols matrix of T into a d × rows f64 matrix, in
 * 16×16 tiles; f32 values are widened (exactly) on the way.
 */
@inline function transposeOf<T>(src: usize, rows: u32, cols: u32, d: u32, dst: usize): void {
  for (let r0: u32 = 0; r0 < rows; r0 += 16) {
    const r1 = r0 + 16 < rows ? r0 + 16 : rows;
    for (let c0: u32 = 0; c0 < d; c0 += 16) {
      const c1 = c0 + 16 < d ? c0 + 16 : d;
      for (let r = r0; r < r1; r++) {
        const s = src + <usize>r * cols * sizeof<T>();
        for (let c = c0; c < c1; c++) store<f64>(dst + ((<usize>c * rows + r) << 3), <f64>load<T>(s + <usize>c * sizeof<T>()));
      }
    }
  }
}

/** transposeOf a f64 matrix. */
export function transpose(src: usize, rows: u32, cols: u32, d: u32, dst: usize): void {
  transposeOf<f64>(src, rows, cols, d, dst);
}

/** transposeOf a f32 matrix: W1 stored as f32 needs no separate decode pass and half the reading. */
export function transposeF32(src: usize, rows: u32, cols: u32, d: u32, dst: usize): void {
  transposeOf<f32>(src, rows, cols, d, dst);
}

/** sgn[h] += x, cab[h] += |x| over rows of `cols` values, for h < m (rows in order). */
export { columnStats } from './shared/colstats';

/** columnStats over f32 rows, each value widened to f64 (exact) first: the same sums, bit for bit. */
export function columnStatsF32(v: usize, rows: u32, stride: u32, n: u32, sgn: usize, cab: usize): void {
  columnStatsOf<f32>(v, rows, stride, n, sgn, cab);
}

export { HEAP_BASE };
