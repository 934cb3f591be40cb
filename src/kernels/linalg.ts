// Thin wrapper over the linalg kernel: the overlays stage's products and the
// bridge's folds of the FFN weights, in the reference's summation order (see
// assembly/linalg.ts).
import { psum } from '../numeric/python.js';
import { KernelSlot } from './wasm.js';

type LinalgExports = {
  matmul(a: number, aRows: number, aCols: number, b: number, inner: number, bCols: number, out: number): void;
  matmulTransposed(s: number, sCols: number, b: number, inner: number, bCols: number, out: number): void;
  addSquares(acc: number, v: number, rows: number, cols: number, used: number): void;
  addRows(a: number, aCols: number, r0: number, v: number, vCols: number, rows: number, n: number): void;
  divideAll(x: number, n: number, d: number): void;
  householderQ(vs: number, ks: number, n: number, m: number, cols: number, q: number, out: number): void;
  widenF32(src: number, dst: number, n: number): void;
  addColumnTotals(total: number, v: number, rows: number, cols: number, features: number): void;
  psum(p: number, n: number): number;
  rowMeans(means: number, v: number, rows: number, cols: number): void;
};

const slot = new KernelSlot<LinalgExports>('linalg', 'await loadLinalg() first');

export function loadLinalg(): Promise<void> {
  return slot.load();
}

export function linalgLoaded(): boolean {
  return slot.loaded;
}

const SHRINK_ABOVE = 16 * 1024 * 1024;

/**
 * After a stage that grew the kernel's memory (the W_O sum of a large model is
 * ~100 MB), a fresh instance gives it back: otherwise it would stay for the rest of
 * the conversion and add to the collapse's peak.
 */
export function shrinkLinalg(): void {
  if (slot.current && slot.current.memory.buffer.byteLength > SHRINK_ABOVE) slot.renew();
}

/** Copies the operands in, runs `f` on their pointers, returns a copy of the `outLength` result. */
function run(a: Float64Array, b: Float64Array, outLength: number, f: (e: LinalgExports, pa: number, pb: number, po: number) => void): Float64Array {
  const kk = slot.get();
  const at = kk.regions<'a' | 'b' | 'out'>([['a', a.length * 8], ['b', b.length * 8], ['out', outLength * 8]]);
  kk.f64(at.a, a.length).set(a);
  kk.f64(at.b, b.length).set(b);
  f(kk.exports, at.a >>> 0, at.b >>> 0, at.out >>> 0);
  return kk.f64(at.out, outLength).slice();
}

/** matmulWasm's TypeScript twin (the same operations in the same order), for hosts without the kernel. */
export function matmulTs(A: Float64Array, aRows: number, aCols: number, B: Float64Array, inner: number, bCols: number): Float64Array {
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

/**
 * matmulTransposedWasm's TypeScript twin: S is read row by row (k outer), and every
 * output element still sums its products from 0.0 in ascending k, as matmul does.
 */
export function matmulTransposedTs(S: Float64Array, sCols: number, B: Float64Array, inner: number, bCols: number): Float64Array {
  const out = new Float64Array(sCols * bCols);
  for (let k = 0; k < inner; k++) {
    for (let i = 0; i < sCols; i++) {
      const a = S[k * sCols + i]!;
      for (let j = 0; j < bCols; j++) out[i * bCols + j] = out[i * bCols + j]! + a * B[k * bCols + j]!;
    }
  }
  return out;
}

/** matmul(A, B): A is aRows × aCols (first `inner` columns used), B is inner × bCols. */
export function matmulWasm(A: Float64Array, aRows: number, aCols: number, B: Float64Array, inner: number, bCols: number): Float64Array {
  return run(A, B, aRows * bCols, (e, pa, pb, po) => e.matmul(pa, aRows, aCols, pb, inner, bCols, po));
}

/** matmul(transpose(S), B) for S stored with sCols columns (first `inner` rows used). */
export function matmulTransposedWasm(S: Float64Array, sCols: number, B: Float64Array, inner: number, bCols: number): Float64Array {
  return run(S, B, sCols * bCols, (e, pa, pb, po) => e.matmulTransposed(pa, sCols, pb, inner, bCols, po));
}

/** matmul(A, B) in the kernel when it is loaded, else its TypeScript twin: the same bits either way. */
export function matmul(A: Float64Array, aRows: number, aCols: number, B: Float64Array, inner: number, bCols: number): Float64Array {
  return (slot.loaded ? matmulWasm : matmulTs)(A, aRows, aCols, B, inner, bCols);
}

/** matmul(transpose(S), B), in the kernel when it is loaded, else its TypeScript twin. */
export function matmulTransposed(S: Float64Array, sCols: number, B: Float64Array, inner: number, bCols: number): Float64Array {
  return (slot.loaded ? matmulTransposedWasm : matmulTransposedTs)(S, sCols, B, inner, bCols);
}

/**
 * An accumulator of `n` doubles fed by streamed chunks: decode a chunk into
 * input(n), then add it. In the kernel (accumulator first, then the chunk; one
 * user of the kernel at a time) or, without the kernel, in TypeScript.
 */
abstract class StreamedSums {
  protected readonly n: number;
  /** The accumulator and the last chunk when the kernel is not loaded. */
  protected js: Float64Array | null = null;
  protected buf = new Float64Array(0);

  constructor(n: number) {
    this.n = n;
    const k = slot.current;
    if (k) {
      const at = k.scratch(n * 8); // grows first: a view taken before the growth would be detached
      k.u8.fill(0, at, at + n * 8);
    } else {
      this.js = new Float64Array(n);
    }
  }

  /** Room for the next chunk of `n` values (valid until the next call). */
  input(n: number): Float64Array {
    if (this.js) {
      if (this.buf.length < n) this.buf = new Float64Array(n);
      return this.buf.subarray(0, n);
    }
    return slot.get().f64(this.pointers(n).v, n);
  }

  /** Kernel pointers of the accumulator and of a chunk of `n` values. */
  protected pointers(n: number): { acc: number; v: number } {
    return slot.get().regions<'acc' | 'v'>([['acc', this.n * 8], ['v', n * 8]]);
  }

  /** A copy of the accumulator. */
  protected values(): Float64Array {
    return this.js ? this.js.slice() : slot.get().f64(this.pointers(0).acc, this.n).slice();
  }
}

/** Column sums of squares over streamed rows: the PRF diagonal. */
export class SquareSums extends StreamedSums {
  /** acc[j] += x² for the first `used` columns of the `rows` × `cols` chunk in input(), rows in order. */
  add(rows: number, cols: number, used: number): void {
    if (!this.js) {
      const p = this.pointers(rows * cols);
      slot.get().exports.addSquares(p.acc >>> 0, p.v >>> 0, rows, cols, used);
      return;
    }
    const acc = this.js, v = this.buf;
    for (let row = 0; row < rows; row++) {
      for (let j = 0; j < used; j++) {
        const x = v[row * cols + j]!;
        acc[j] = acc[j]! + x * x;
      }
    }
  }

  result(): Float64Array {
    return this.values();
  }
}

/** A rows × cols matrix summed from streamed row chunks: the overlays' W_O layer sum. */
export class RowSums extends StreamedSums {
  constructor(rows: number, cols: number) {
    super(rows * cols);
  }

  /** A[r0 + i][j] += v[i][j] for i < rows, j < n, v being the chunk in input() with vCols columns; A has aCols. */
  add(aCols: number, r0: number, vCols: number, rows: number, n: number): void {
    if (!this.js) {
      const p = this.pointers(rows * vCols);
      slot.get().exports.addRows(p.acc >>> 0, aCols, r0, p.v >>> 0, vCols, rows, n);
      return;
    }
    const A = this.js, v = this.buf;
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < n; j++) A[(r0 + i) * aCols + j] = A[(r0 + i) * aCols + j]! + v[i * vCols + j]!;
    }
  }

  /** Every element divided by `d` (a true division, as the reference's), as a copy. */
  divideAndTake(d: number): Float64Array {
    if (!this.js) {
      slot.get().exports.divideAll(this.pointers(0).acc >>> 0, this.n, d);
      return this.values();
    }
    for (let i = 0; i < this.js.length; i++) this.js[i] = this.js[i]! / d;
    return this.values();
  }
}

/**
 * The first `cols` columns of Q from Householder reflectors (vector v over rows
 * k..m-1 of an m-vector): row j of the result is e_j reflected by each in order.
 */
export function householderQWasm(reflectors: readonly { k: number; v: Float64Array }[], m: number, cols: number): Float64Array {
  const kk = slot.get();
  const n = reflectors.length;
  const at = kk.regions<'vs' | 'ks' | 'q' | 'out'>([['vs', n * m * 8], ['ks', n * 4], ['q', m * 8], ['out', m * cols * 8]]);
  const vs = kk.f64(at.vs, n * m);
  const ks = new Int32Array(kk.memory.buffer, at.ks, n);
  reflectors.forEach((r, i) => { vs.set(r.v, i * m); ks[i] = r.k; });
  kk.exports.householderQ(at.vs >>> 0, at.ks >>> 0, n, m, cols, at.q >>> 0, at.out >>> 0);
  return kk.f64(at.out, m * cols).slice();
}

/**
 * One layer's bridge folds (ALGORITHMS.md §14): W1's column totals, total[f] +=
 * row[f mod cols] over every row in order, and each W2 row's mean, psum(row) /
 * max(1, cols). Rows arrive in chunks read straight into the kernel's memory
 * (input(), or inputF32Bytes() then widen() for stored F32); without the kernel
 * (or with `useKernel` false) the same operations run in TypeScript. One user of
 * the kernel at a time.
 */
export class FfnFolds {
  readonly #features: number;
  readonly #outRows: number;
  /** Without the kernel: the totals, the means and the last chunk. */
  readonly #js: { total: Float64Array; means: Float64Array; buf: Float64Array } | null = null;

  /** `features` column totals, `outRows` row means. */
  constructor(features: number, outRows: number, opts: { useKernel?: boolean } = {}) {
    this.#features = features;
    this.#outRows = outRows;
    const k = opts.useKernel === false ? undefined : slot.current;
    if (!k) {
      this.#js = { total: new Float64Array(features), means: new Float64Array(outRows), buf: new Float64Array(0) };
      return;
    }
    const at = this.#regions(0);
    k.u8.fill(0, at.total, at.total + features * 8);
  }

  /** True when stored F32 rows can go in raw (inputF32Bytes, widen): the kernel is in use. */
  get widens(): boolean {
    return this.#js === null;
  }

  /** The regions: the totals and the means first (their places never move), then a chunk of `n` values raw and widened. */
  #regions(n: number) {
    return slot.get().regions<'total' | 'means' | 'raw' | 'v'>([['total', this.#features * 8], ['means', this.#outRows * 8], ['raw', n * 4], ['v', n * 8]]);
  }

  /** Room for the next chunk of `n` doubles (valid until the next call). */
  input(n: number): Float64Array {
    const js = this.#js;
    if (js) {
      if (js.buf.length < n) js.buf = new Float64Array(n);
      return js.buf.subarray(0, n);
    }
    return slot.get().f64(this.#regions(n).v, n);
  }

  /** Room for the next chunk as the raw bytes of `n` little-endian f32 (kernel only; then widen(n)). */
  inputF32Bytes(n: number): Uint8Array {
    const at = this.#regions(n); // grows first: a view taken before the growth would be detached
    return new Uint8Array(slot.get().memory.buffer, at.raw, n * 4);
  }

  /** The `n` f32 placed by inputF32Bytes, widened exactly into input()'s doubles (NaN bits as the TypeScript decoder writes them), which it returns. */
  widen(n: number): Float64Array {
    const k = slot.get();
    const at = this.#regions(n);
    k.exports.widenF32(at.raw >>> 0, at.v >>> 0, n);
    return k.f64(at.v, n);
  }

  /** Adds the chunk (`rows` rows of `cols` values) to the column totals: total[f] += row[f mod cols], rows in order. */
  addColumns(rows: number, cols: number): void {
    const js = this.#js;
    if (!js) {
      const at = this.#regions(rows * cols);
      slot.get().exports.addColumnTotals(at.total >>> 0, at.v >>> 0, rows, cols, this.#features);
      return;
    }
    if (cols === 0) return;
    const total = js.total, v = js.buf, F = this.#features;
    for (let r = 0; r < rows; r++) {
      const base = r * cols;
      // feature f reads column f mod cols: f itself when the row covers every feature
      if (cols >= F) for (let f = 0; f < F; f++) total[f] = total[f]! + v[base + f]!;
      else for (let f = 0; f < F; f++) total[f] = total[f]! + v[base + (f % cols)]!;
    }
  }

  /** means[r0 + i] = psum(row i of the chunk) / max(1, cols) for its `rows` rows of `cols` values. */
  addRowMeans(r0: number, rows: number, cols: number): void {
    const js = this.#js;
    if (!js) {
      const at = this.#regions(rows * cols);
      slot.get().exports.rowMeans((at.means + r0 * 8) >>> 0, at.v >>> 0, rows, cols);
      return;
    }
    for (let i = 0; i < rows; i++) js.means[r0 + i] = psum(js.buf, i * cols, (i + 1) * cols) / Math.max(1, cols);
  }

  /** A copy of the column totals. */
  totals(): Float64Array {
    return this.#js ? this.#js.total.slice() : slot.get().f64(this.#regions(0).total, this.#features).slice();
  }

  /** A copy of the row means. */
  means(): Float64Array {
    return this.#js ? this.#js.means.slice() : slot.get().f64(this.#regions(0).means, this.#outRows).slice();
  }
}

/** The kernel's widenF32 on `bits` (f32 bit patterns), for tests. */
export function widenF32Wasm(bits: Uint32Array): Float64Array {
  const kk = slot.get();
  const at = kk.regions<'src' | 'dst'>([['src', bits.length * 4], ['dst', bits.length * 8]]);
  new Uint32Array(kk.memory.buffer, at.src, bits.length).set(bits);
  kk.exports.widenF32(at.src >>> 0, at.dst >>> 0, bits.length);
  return kk.f64(at.dst, bits.length).slice();
}

/** The kernel's psum of `values`, for tests. */
export function psumWasm(values: Float64Array): number {
  const kk = slot.get();
  const at = kk.regions<'v'>([['v', values.length * 8]]);
  kk.f64(at.v, values.length).set(values);
  return kk.exports.psum(at.v >>> 0, values.length);
}
