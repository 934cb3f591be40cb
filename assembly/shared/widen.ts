// Loads of a row of T (f64, or f32 widened exactly to f64 on load) as doubles,
// shared by the kernels that take stored f32 weights raw (dense, colstats).

/** p[i] of T as an f64. */
@inline export function load1<T>(p: usize, i: usize): f64 {
  return <f64>load<T>(p + i * sizeof<T>());
}

/** p[i], p[i + 1] of T as an f64x2. */
@inline export function load2<T>(p: usize, i: usize): v128 {
  return sizeof<T>() == 4 ? f64x2.promote_low_f32x4(v128.load64_zero(p + (i << 2))) : v128.load(p + (i << 3));
}
