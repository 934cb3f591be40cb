// Column statistics shared by the dense and moe kernels: sgn[h] += x and
// cab[h] += |x| per column h, rows in order. Each h is its own f64x2 lane, so
// the additions per h (and so the bits) do not depend on the lane width.

/** Adds one row of `n` f64 values into sgn and cab. */
@inline export function accumulateRow(row: usize, n: usize, sgn: usize, cab: usize): void {
  let h: usize = 0;
  for (; h + 1 < n; h += 2) {
    const o = h << 3;
    const x = v128.load(row + o);
    v128.store(sgn + o, f64x2.add(v128.load(sgn + o), x));
    v128.store(cab + o, f64x2.add(v128.load(cab + o), f64x2.abs(x)));
  }
  for (; h < n; h++) {
    const o = h << 3;
    const x = load<f64>(row + o);
    store<f64>(sgn + o, load<f64>(sgn + o) + x);
    store<f64>(cab + o, load<f64>(cab + o) + abs<f64>(x));
  }
}

/** accumulateRow over the first `n` values of `rows` rows laid out `stride` values apart. */
export function columnStats(v: usize, rows: u32, stride: u32, n: u32, sgn: usize, cab: usize): void {
  for (let r: u32 = 0; r < rows; r++) accumulateRow(v + ((<usize>r * stride) << 3), <usize>n, sgn, cab);
}
