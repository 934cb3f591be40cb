// Column statistics shared by the dense and moe kernels: sgn[h] += x and
// cab[h] += |x| per column h, rows in order. Each h is its own f64x2 lane, so
// the additions per h (and so the bits) do not depend on the lane width.
// Rows hold f64, or f32 (T = f32) widened exactly to f64 on load: the same sums.
import { load1, load2 } from './widen';

/** Adds one row of `n` values of type T (f64 or f32) into sgn and cab. */
@inline export function accumulateRow<T>(row: usize, n: usize, sgn: usize, cab: usize): void {
  let h: usize = 0;
  for (; h + 1 < n; h += 2) {
    const o = h << 3;
    const x = load2<T>(row, h);
    v128.store(sgn + o, f64x2.add(v128.load(sgn + o), x));
    v128.store(cab + o, f64x2.add(v128.load(cab + o), f64x2.abs(x)));
  }
  for (; h < n; h++) {
    const o = h << 3;
    const x = load1<T>(row, h);
    store<f64>(sgn + o, load<f64>(sgn + o) + x);
    store<f64>(cab + o, load<f64>(cab + o) + abs<f64>(x));
  }
}

/** accumulateRow over the first `n` values of `rows` rows of T laid out `stride` values apart. */
@inline export function columnStatsOf<T>(v: usize, rows: u32, stride: u32, n: u32, sgn: usize, cab: usize): void {
  for (let r: u32 = 0; r < rows; r++) accumulateRow<T>(v + <usize>r * stride * sizeof<T>(), <usize>n, sgn, cab);
}

/** columnStatsOf over f64 rows. */
export function columnStats(v: usize, rows: u32, stride: u32, n: u32, sgn: usize, cab: usize): void {
  columnStatsOf<f64>(v, rows, stride, n, sgn, cab);
}

/** columnStatsOf over f32 rows, each value widened to f64 (exact) first: the same sums, bit for bit. */
export function columnStatsF32(v: usize, rows: u32, stride: u32, n: u32, sgn: usize, cab: usize): void {
  columnStatsOf<f32>(v, rows, stride, n, sgn, cab);
}
