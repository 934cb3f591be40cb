// The mixture-of-experts collapse hot loops (src/stages/collapse-moe.ts states
// the rule): W2 column statistics and the per-key top-L / residual selection
// over gate rows, MXFP4 rows decoded in place. Two keys at a time in f64x2
// lanes: pmin/pmax give Python's min/max (NaN and -0.0 included), the rare
// list insertions run per lane in key order, so results do not depend on the
// lane width.
//
// Selection state (host-allocated, pointers in a struct at `st`):
//   u32 d, keep, resCap, _, then u32 pointers thr, rthr, topS, topU, topC, topN,
//   resA, resU, resC, resN, nz (f64 / i32 arrays sized d, d·keep or d·resCap;
//   nz is i64 per key).
import { HEAP_BASE } from './shared/heap';
import { decodeF64Simd } from './mxfp4';
import { accumulateRow, columnStats } from './shared/colstats';

@inline function ptr(st: usize, i: u32): usize {
  return <usize>load<u32>(st + 16 + (<usize>i << 2));
}

/** Inserts (s, u, c) into key j's list (s descending, equal s after existing entries). */
function insert(S: usize, U: usize, C: usize, N: usize, thr: usize, j: u32, cap: u32, s: f64, u: i32, c: f64): void {
  const base = <usize>j * cap;
  const n = load<i32>(N + (<usize>j << 2));
  let p = n < <i32>cap ? n : <i32>cap - 1;
  while (p > 0 && s > load<f64>(S + ((base + <usize>p - 1) << 3))) {
    store<f64>(S + ((base + <usize>p) << 3), load<f64>(S + ((base + <usize>p - 1) << 3)));
    store<i32>(U + ((base + <usize>p) << 2), load<i32>(U + ((base + <usize>p - 1) << 2)));
    store<f64>(C + ((base + <usize>p) << 3), load<f64>(C + ((base + <usize>p - 1) << 3)));
    p--;
  }
  store<f64>(S + ((base + <usize>p) << 3), s);
  store<i32>(U + ((base + <usize>p) << 2), u);
  store<f64>(C + ((base + <usize>p) << 3), c);
  if (n < <i32>cap) store<i32>(N + (<usize>j << 2), n + 1);
  if (n + 1 >= <i32>cap) store<f64>(thr + (<usize>j << 3), load<f64>(S + ((base + <usize>cap - 1) << 3)));
}

/** r = Python max(0.0, min(x, limit)): pmin(x, limit) = limit < x ? limit : x, pmax(0, m) = 0 < m ? m : 0. */
@inline function response(x: f64, limit: f64): f64 {
  const m = limit < x ? limit : x;
  return 0.0 < m ? m : 0.0;
}

/** The scalar step for one key (list insertions; the count is done by the caller). */
@inline function step(st: usize, j: u32, x: f64, u: i32, k: f64, kAbs: f64, ca: f64, limit: f64, keep: u32, resCap: u32): void {
  const r = response(x, limit);
  if (keep > 0) {
    const s = ca * abs<f64>(x);
    if (s > load<f64>(ptr(st, 0) + (<usize>j << 3))) insert(ptr(st, 2), ptr(st, 3), ptr(st, 4), ptr(st, 5), ptr(st, 0), j, keep, s, u, k * r);
  }
  const a = kAbs * r;
  if (a > load<f64>(ptr(st, 1) + (<usize>j << 3))) insert(ptr(st, 6), ptr(st, 7), ptr(st, 8), ptr(st, 9), ptr(st, 1), j, resCap, a, u, k * r);
}

/** One unit's row of d values against every key. */
function scanRow(st: usize, v: usize, u: i32, k: f64, ca: f64, limit: f64): void {
  const d = load<u32>(st);
  const keep = load<u32>(st, 4);
  const resCap = load<u32>(st, 8);
  const thr = ptr(st, 0), rthr = ptr(st, 1), nz = ptr(st, 10);
  const kAbs = abs<f64>(k);
  const limV = f64x2.splat(limit);
  const zero = f64x2.splat(0.0);
  const kV = f64x2.splat(kAbs);
  const caV = f64x2.splat(ca);
  // with keep = 0 no score enters a list: a threshold of +inf keeps the lane test simple
  const noTop = keep == 0;
  let j: u32 = 0;
  for (; j + 1 < d; j += 2) {
    const o = <usize>j << 3;
    const x = v128.load(v + o);
    const r = f64x2.pmax(zero, f64x2.pmin(x, limV));
    const s = f64x2.mul(caV, f64x2.abs(x));
    const a = f64x2.mul(kV, r);
    // count a > 0 per key: the mask is -1 per true lane
    const zp = nz + ((<usize>j) << 3);
    v128.store(zp, i64x2.sub(v128.load(zp), f64x2.gt(a, zero)));
    const hitTop = noTop ? i64x2.splat(0) : f64x2.gt(s, v128.load(thr + o));
    const hit = v128.or(hitTop, f64x2.gt(a, v128.load(rthr + o)));
    if (v128.any_true(hit)) {
      step(st, j, f64x2.extract_lane(x, 0), u, k, kAbs, ca, limit, keep, resCap);
      step(st, j + 1, f64x2.extract_lane(x, 1), u, k, kAbs, ca, limit, keep, resCap);
    }
  }
  for (; j < d; j++) {
    const x = load<f64>(v + (<usize>j << 3));
    const a = kAbs * response(x, limit);
    const zp = nz + ((<usize>j) << 3);
    store<i64>(zp, load<i64>(zp) + <i64>(a > 0.0));
    step(st, j, x, u, k, kAbs, ca, limit, keep, resCap);
  }
}

/**
 * Scans `nRows` gate rows given as MXFP4 (`groups` groups per row, rows packed
 * back to back) for units unit0, unit0+1, …; kArr/caArr hold each row's term
 * factor and column mass (f64). `row` is scratch for 32·groups doubles.
 */
export function scanRowsMxfp4(st: usize, blocks: usize, scales: usize, nRows: u32, groups: u32, unit0: i32, kArr: usize, caArr: usize, limit: f64, row: usize): void {
  for (let i: u32 = 0; i < nRows; i++) {
    decodeF64Simd(blocks + (<usize>i * groups << 4), scales + <usize>i * groups, <usize>groups, row);
    scanRow(st, row, unit0 + <i32>i, load<f64>(kArr + (<usize>i << 3)), load<f64>(caArr + (<usize>i << 3)), limit);
  }
}

/** As scanRowsMxfp4 for rows already decoded to f64 (d values each, back to back). */
export function scanRowsF64(st: usize, v: usize, nRows: u32, unit0: i32, kArr: usize, caArr: usize, limit: f64): void {
  const d = load<u32>(st);
  for (let i: u32 = 0; i < nRows; i++) {
    scanRow(st, v + ((<usize>i * d) << 3), unit0 + <i32>i, load<f64>(kArr + (<usize>i << 3)), load<f64>(caArr + (<usize>i << 3)), limit);
  }
}

/** Column statistics over MXFP4 rows of 32·groups values (row order kept). */
export function colStatsMxfp4(blocks: usize, scales: usize, nRows: u32, groups: u32, sgn: usize, cab: usize, row: usize): void {
  const cols = <usize>groups << 5;
  for (let i: u32 = 0; i < nRows; i++) {
    decodeF64Simd(blocks + (<usize>i * groups << 4), scales + <usize>i * groups, <usize>groups, row);
    accumulateRow<f64>(row, cols, sgn, cab);
  }
}

/** Column statistics over f64 rows (the dense kernel's, shared). */
export { columnStats };

/**
 * Per-row dot products with f64 weights for BF16 rows (the MoE bridge's
 * embedding aggregates): out[i] = (Σ_j f64(bf16) · w[j], j ascending) / n.
 */
export function dotRowsBf16(rows: usize, nRows: u32, n: u32, w: usize, out: usize): void {
  for (let i: u32 = 0; i < nRows; i++) {
    const r = rows + ((<usize>i * n) << 1);
    let acc: f64 = 0.0;
    for (let j: usize = 0; j < <usize>n; j++) {
      const x = <f64>reinterpret<f32>(<u32>load<u16>(r + (j << 1)) << 16);
      acc += x * load<f64>(w + (j << 3));
    }
    store<f64>(out + (<usize>i << 3), acc / <f64>n);
  }
}

export { HEAP_BASE };
