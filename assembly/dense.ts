// The reference's FFN collapse inner loops (ALGORITHMS.md §11), per key j of a
// layer: scores cab[h]·|W1[h][j]| ranked like Python's stable
// sorted(..., reverse=True)[:k] (streaming insertion: a later equal score goes
// after earlier ones), the weight summed in rank order, and the residual records
// of every other unit in h order. Python's max(0.0, x) is f64x2.pmax(0, x).
//
// Keys go in strips of STRIP columns of W1: a strip is transposed into a small
// buffer (kept in cache, reused) so that each key's pass over the hidden units is
// sequential, without a transposed copy of the whole layer (8 MiB for 2048 × 512,
// page-faulted on first touch, its column writes thrashing the cache). f32 input
// stays f32 in the strip and is widened (exactly) on load: the same doubles.
import { HEAP_BASE } from './shared/heap';
import { load1, load2 } from './shared/widen';

/** Keys per strip: 16 f32 are one 64-byte line of a W1 row, read once per strip. */
const STRIP: u32 = 16;
/**
 * Values of padding after each strip row: rows exactly hid values apart (a power
 * of two) would all map to the same cache sets while the strip is being filled.
 */
const PAD: u32 = 16;

/** pos = Python max(0.0, x): x if x > 0.0 else 0.0 (NaN and -0.0 give 0.0). */
@inline function relu(x: f64): f64 {
  return 0.0 < x ? x : 0.0;
}

/** Values from one strip row to the next. */
@inline function stripStride(hid: u32): usize {
  return <usize>hid + PAD;
}

/** Bytes of the strip buffer for `hid` units (sized for f64; f32 strips use half). */
export function stripBytes(hid: u32): usize {
  return <usize>STRIP * stripStride(hid) * 8;
}


/** Full f32 strips, 4 rows of W1 at a time: each 4 × 4 tile is transposed in registers. Returns the rows done. */
@inline function tilesF32(src: usize, cols: u32, hid: u32, c0: u32, strip: usize, stride: usize): u32 {
  const rb = <usize>cols << 2;
  const sb = stride << 2;
  let h: u32 = 0;
  for (; h + 4 <= hid; h += 4) {
    const s0 = src + ((<usize>h * cols + c0) << 2);
    const d = strip + (<usize>h << 2);
    for (let c: usize = 0; c < <usize>STRIP; c += 4) {
      const r0 = v128.load(s0 + (c << 2));
      const r1 = v128.load(s0 + rb + (c << 2));
      const r2 = v128.load(s0 + 2 * rb + (c << 2));
      const r3 = v128.load(s0 + 3 * rb + (c << 2));
      const t0 = i32x4.shuffle(r0, r1, 0, 4, 1, 5); // r0[0] r1[0] r0[1] r1[1]
      const t1 = i32x4.shuffle(r0, r1, 2, 6, 3, 7);
      const t2 = i32x4.shuffle(r2, r3, 0, 4, 1, 5);
      const t3 = i32x4.shuffle(r2, r3, 2, 6, 3, 7);
      const o = d + c * sb;
      v128.store(o, i64x2.shuffle(t0, t2, 0, 2)); // column c0 + c, rows h..h+3
      v128.store(o + sb, i64x2.shuffle(t0, t2, 1, 3));
      v128.store(o + 2 * sb, i64x2.shuffle(t1, t3, 0, 2));
      v128.store(o + 3 * sb, i64x2.shuffle(t1, t3, 1, 3));
    }
  }
  return h;
}

/** Full f64 strips, 2 rows of W1 at a time: each 2 × 2 tile is transposed in registers. Returns the rows done. */
@inline function tilesF64(src: usize, cols: u32, hid: u32, c0: u32, strip: usize, stride: usize): u32 {
  const rb = <usize>cols << 3;
  const sb = stride << 3;
  let h: u32 = 0;
  for (; h + 2 <= hid; h += 2) {
    const s0 = src + ((<usize>h * cols + c0) << 3);
    const d = strip + (<usize>h << 3);
    for (let c: usize = 0; c < <usize>STRIP; c += 2) {
      const a = v128.load(s0 + (c << 3));
      const b = v128.load(s0 + rb + (c << 3));
      v128.store(d + c * sb, i64x2.shuffle(a, b, 0, 2)); // column c0 + c, rows h, h+1
      v128.store(d + (c + 1) * sb, i64x2.shuffle(a, b, 1, 3));
    }
  }
  return h;
}

/**
 * Columns c0..c0+w-1 (w ≤ STRIP) of the hid × cols matrix of T at src into the
 * strip: row c holds column c0 + c (hid values of T, rows `stride` values apart).
 */
@inline function fillStrip<T>(src: usize, cols: u32, hid: u32, c0: u32, w: u32, strip: usize, stride: usize): void {
  let h: u32 = 0;
  if (w == STRIP) h = sizeof<T>() == 4 ? tilesF32(src, cols, hid, c0, strip, stride) : tilesF64(src, cols, hid, c0, strip, stride);
  // the rows left over by the tiles, and narrow strips (the last keys of d), value by value
  for (; h < hid; h++) {
    const s = src + (<usize>h * cols + c0) * sizeof<T>();
    for (let c: u32 = 0; c < w; c++) store<T>(strip + (<usize>c * stride + h) * sizeof<T>(), load<T>(s + <usize>c * sizeof<T>()));
  }
}

/**
 * Enters score s of unit h into the top (n entries, k places, scores descending):
 * it goes after every score not below it (a later equal score ranks after).
 */
@inline function insertTop(top: usize, topS: usize, n: i32, k: i32, s: f64, h: u32): void {
  let q = n < k ? n : k - 1;
  while (q > 0 && s > load<f64>(topS + (<usize>(q - 1) << 3))) {
    store<f64>(topS + (<usize>q << 3), load<f64>(topS + (<usize>(q - 1) << 3)));
    store<i32>(top + (<usize>q << 2), load<i32>(top + (<usize>(q - 1) << 2)));
    q--;
  }
  store<f64>(topS + (<usize>q << 3), s);
  store<i32>(top + (<usize>q << 2), <i32>h);
}

/** Enters score s of unit h into a full top (k entries) if it is above the k-th; returns the (new) k-th score. */
@inline function enter(top: usize, topS: usize, k: i32, s: f64, h: u32, thr: f64): f64 {
  if (!(s > thr)) return thr;
  insertTop(top, topS, k, k, s, h);
  return load<f64>(topS + (<usize>(k - 1) << 3));
}

/**
 * The k (> 0) units of a key with the highest cab[h]·|col[h]| into top/topS, in
 * rank order; returns how many (k unless hid < k).
 */
@inline function selectTop<T>(col: usize, hid: u32, cab: usize, k: i32, top: usize, topS: usize): i32 {
  // the first k units all enter (a NaN score too)
  let n: i32 = 0;
  let h: u32 = 0;
  for (; h < hid && n < k; h++) {
    insertTop(top, topS, n, k, load<f64>(cab + (<usize>h << 3)) * abs<f64>(load1<T>(col, h)), h);
    n++;
  }
  if (n < k) return n;
  // then only a score above the k-th enters: four units are tested against it at once,
  // and only when one of them is above it do they go through the entries one by one, in order
  let thr = load<f64>(topS + (<usize>(k - 1) << 3));
  for (; h + 3 < hid; h += 4) {
    const s0 = f64x2.mul(v128.load(cab + (<usize>h << 3)), f64x2.abs(load2<T>(col, h)));
    const s1 = f64x2.mul(v128.load(cab + (<usize>h << 3), 16), f64x2.abs(load2<T>(col, h + 2)));
    const t = f64x2.splat(thr);
    if (!v128.any_true(v128.or(f64x2.gt(s0, t), f64x2.gt(s1, t)))) continue;
    thr = enter(top, topS, k, f64x2.extract_lane(s0, 0), h, thr);
    thr = enter(top, topS, k, f64x2.extract_lane(s0, 1), h + 1, thr);
    thr = enter(top, topS, k, f64x2.extract_lane(s1, 0), h + 2, thr);
    thr = enter(top, topS, k, f64x2.extract_lane(s1, 1), h + 3, thr);
  }
  for (; h < hid; h++) thr = enter(top, topS, k, load<f64>(cab + (<usize>h << 3)) * abs<f64>(load1<T>(col, h)), h, thr);
  return k;
}

/**
 * Writes the records (j li h f[0]) and (j li h+1 f[1]) at record nrec, from
 * head = (j li _ _) and hf = (h f[0] h+1 f[1]), and keeps those whose bit is set
 * in keep (bits 0 and 1). Each record is one v128 store, written unconditionally
 * and kept by advancing the count (no unpredictable branch). Returns the new count.
 */
@inline function put2(rec: usize, nrec: i32, head: v128, hf: v128, keep: i32): i32 {
  v128.store(rec + (<usize>nrec << 4), i64x2.shuffle(head, hf, 0, 2));
  nrec += keep & 1;
  v128.store(rec + (<usize>nrec << 4), i64x2.shuffle(head, hf, 0, 3));
  return nrec + ((keep >> 1) & 1);
}

/** sg[h]·relu(col[h]) for units h, h+1 (the same product as the scalar one: pmax(0, x) is relu). */
@inline function residual2<T>(col: usize, sg: usize, h: usize): v128 {
  return f64x2.mul(v128.load(sg + (h << 3)), f64x2.pmax(f64x2.splat(0.0), load2<T>(col, h)));
}

/**
 * Whether a residual of the key is finite but beyond f32 (the reference's
 * struct.pack raises there): value by value, as the records are kept.
 */
@inline function overflows<T>(col: usize, hid: u32, sg: usize): bool {
  for (let h: u32 = 0; h < hid; h++) {
    const res = load<f64>(sg + (<usize>h << 3)) * relu(load1<T>(col, h));
    const f = <f32>res;
    if ((res != 0.0) & (res == res) & !isFinite<f32>(f) & isFinite<f64>(res)) return true;
  }
  return false;
}

/**
 * The residual records of key j (u32 j, u32 li, u32 h, f32 sg[h]·relu(col[h])),
 * appended at record `nrec`: every unit with a non-zero, not NaN value (|res| > 0),
 * h ascending (the caller has zeroed the top's units in the strip, which removes
 * them: their value is ±0 or NaN). Returns the new count, or -1 - j when a
 * value overflows f32. The capacity leaves room for the one extra write.
 */
@inline function residuals<T>(col: usize, hid: u32, sg: usize, j: u32, li: u32, rec: usize, nrec: i32): i32 {
  const head = i32x4.replace_lane(i32x4.splat(j), 1, li); // j li _ _
  const zero = f64x2.splat(0.0);
  let hv = i32x4(0, 1, 2, 3);
  // the largest |f| bits seen: only an f32 ±inf (or NaN) can mean an overflow, checked then
  let fmax = i32x4.splat(0);
  let h: u32 = 0;
  for (; h + 3 < hid; h += 4) {
    const r0 = residual2<T>(col, sg, h);
    const r1 = residual2<T>(col, sg, h + 2);
    const f = i64x2.shuffle(f32x4.demote_f64x2_zero(r0), f32x4.demote_f64x2_zero(r1), 0, 2); // f[0..3]
    const keep = i64x2.bitmask(f64x2.gt(f64x2.abs(r0), zero)) | (i64x2.bitmask(f64x2.gt(f64x2.abs(r1), zero)) << 2);
    nrec = put2(rec, nrec, head, i32x4.shuffle(hv, f, 0, 4, 1, 5), keep);
    nrec = put2(rec, nrec, head, i32x4.shuffle(hv, f, 2, 6, 3, 7), keep >> 2);
    fmax = i32x4.max_u(fmax, v128.and(f, i32x4.splat(0x7fffffff)));
    hv = i32x4.add(hv, i32x4.splat(4));
  }
  for (; h < hid; h++) {
    const res = load<f64>(sg + (<usize>h << 3)) * relu(load1<T>(col, h));
    const f = <f32>res;
    v128.store(rec + (<usize>nrec << 4), f32x4.replace_lane(i32x4.replace_lane(head, 2, h), 3, f));
    fmax = i32x4.max_u(fmax, i32x4.splat(reinterpret<i32>(f) & 0x7fffffff));
    nrec += <i32>(abs<f64>(res) > 0.0);
  }
  if (v128.any_true(i32x4.ge_u(fmax, i32x4.splat(0x7f800000))) && overflows<T>(col, hid, sg)) return -1 - <i32>j;
  return nrec;
}

/** collapseKeys over W1 stored as T (f64, or f32 widened on load). */
@inline function collapseKeysOf<T>(w1: usize, cols: u32, hid: u32, j0: u32, j1: u32, strip: usize, cab: usize, sg: usize, k: i32,
  eff: usize, rec: usize, li: u32, top: usize): i32 {
  const topS = top + 256;
  const stride = stripStride(hid);
  let nrec: i32 = 0;
  for (let c0 = j0; c0 < j1; c0 += STRIP) {
    const w = j1 - c0 < STRIP ? j1 - c0 : STRIP;
    fillStrip<T>(w1, cols, hid, c0, w, strip, stride);
    for (let j = c0; j < c0 + w; j++) {
      const col = strip + <usize>(j - c0) * stride * sizeof<T>(); // column j of W1, contiguous
      let effect: f64 = 0.0;
      if (k < 0) {
        for (let h: u32 = 0; h < hid; h++) effect += load<f64>(sg + (<usize>h << 3)) * relu(load1<T>(col, h));
        store<f64>(eff + (<usize>(j - j0) << 3), effect);
        continue; // every unit is in the top: no residuals
      }
      const n = k > 0 ? selectTop<T>(col, hid, cab, k, top, topS) : 0;
      for (let t: i32 = 0; t < n; t++) {
        const h = <usize>load<i32>(top + (<usize>t << 2));
        effect += load<f64>(sg + (h << 3)) * relu(load1<T>(col, h));
        store<T>(col + h * sizeof<T>(), <T>0); // out of the residuals (the strip is a copy)
      }
      store<f64>(eff + (<usize>(j - j0) << 3), effect);
      nrec = residuals<T>(col, hid, sg, j, li, rec, nrec);
      if (nrec < 0) return nrec;
    }
  }
  return nrec;
}

/**
 * Collapses keys j0..j1-1 of one layer.
 *   w1: W1 (hid × cols f64), strip: scratch of stripBytes(hid)
 *   cab/sg: hid f64 (column mass, sign of the column sum)
 *   k: the top size (0 ≤ k ≤ 64, hid > k) or -1 for "every unit, in index order" (hid ≤ L)
 *   eff: f64 per key (out), rec: 16-byte records (out, room for (j1 - j0)·hid + 1), li: the layer (key high word)
 *   top: scratch 64 i32 + 64 f64
 * Returns the number of records written, or -1 - j when a residual of key j
 * overflows f32 (the reference's struct.pack raises there).
 */
export function collapseKeys(w1: usize, cols: u32, hid: u32, j0: u32, j1: u32, strip: usize, cab: usize, sg: usize, k: i32,
  eff: usize, rec: usize, li: u32, top: usize): i32 {
  return collapseKeysOf<f64>(w1, cols, hid, j0, j1, strip, cab, sg, k, eff, rec, li, top);
}

/** collapseKeys with W1 stored as f32 (raw from the file): no separate decode pass and half the reading. */
export function collapseKeysF32(w1: usize, cols: u32, hid: u32, j0: u32, j1: u32, strip: usize, cab: usize, sg: usize, k: i32,
  eff: usize, rec: usize, li: u32, top: usize): i32 {
  return collapseKeysOf<f32>(w1, cols, hid, j0, j1, strip, cab, sg, k, eff, rec, li, top);
}

/** sgn[h] += x, cab[h] += |x| over rows of `cols` values, for h < m (rows in order; f64 or f32 rows). */
export { columnStats, columnStatsF32 } from './shared/colstats';

export { HEAP_BASE };
