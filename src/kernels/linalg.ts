// Thin wrapper over the linalg kernel: the overlays stage's products and the
// bridge's folds of the FFN weights, in the reference's summation order (see
// assembly/linalg.ts).
import { psum, pyMax } from '../numeric/python.js';
import { KernelSlot } from './wasm.js';

type LinalgExports = {
  matmul(a: number, aRows: number, aCols: number, b: number, inner: number, bCols: number, out: number): void;
  matmulTransposed(s: number, sCols: number, b: number, inner: number, bCols: number, out: number): void;
  addSquares(acc: number, v: number, rows: number, cols: number, used: number): void;
  addRows(a: number, aCols: number, r0: number, v: number, vCols: number, rows: number, n: number): void;
  divideAll(x: number, n: number, d: number): void;
  householderQ(vs: number, ks: number, n: number, m: number, cols: number, q: number, out: number): void;
  orthoCandidate(vs: number, ks: number, n: number, m: number, col: number, sq: number): number;
  widenF32(src: number, dst: number, n: number): void;
  addColumnTotals(total: number, v: number, rows: number, cols: number, features: number): void;
  psum(p: number, n: number): number;
  prfFeatures(g: number, sqrtDiag: number, diag: number, inv: number, rows: number, d: number, w: number, sig2: number, terms: number): void;
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
 * Accumulators of doubles fed by streamed chunks: a chunk goes into input(n) (or, for
 * stored F32 when the sink `widens`, into inputF32Bytes(n), then widen(n)) and a
 * subclass adds it. In the kernel (the accumulators first, so their places never move,
 * then the chunk, widened and raw; one user of the kernel at a time) or, without the
 * kernel, in TypeScript.
 */
abstract class StreamedChunks<A extends string> {
  readonly #lengths: ReadonlyMap<A, number>;
  /** Without the kernel: the accumulators and the last chunk. */
  protected readonly js: { acc: Record<A, Float64Array>; buf: Float64Array } | null = null;

  /** `lengths`: each accumulator's name and count of doubles, in layout order. */
  constructor(lengths: readonly (readonly [A, number])[], useKernel = true) {
    this.#lengths = new Map(lengths);
    const k = useKernel ? slot.current : undefined;
    if (!k) {
      const acc = Object.fromEntries(lengths.map(([name, n]) => [name, new Float64Array(n)])) as Record<A, Float64Array>;
      this.js = { acc, buf: new Float64Array(0) };
      return;
    }
    const at = this.at(); // grows first: a view taken before the growth would be detached
    for (const [name, n] of lengths) k.u8.fill(0, at[name], at[name] + n * 8);
  }

  /** The last layout (a stage asks for the same chunk size for every chunk of a tensor). */
  #last: { kernel: unknown; n: number; at: Record<A | 'v' | 'raw', number> } | null = null;

  /**
   * Kernel pointers of the accumulators, of a chunk of `n` doubles (v) and of room for
   * its raw f32 after it (raw); with `n` undefined, of any chunk: the accumulators come
   * first, so their places do not depend on it.
   */
  protected at(n?: number): Record<A | 'v' | 'raw', number> {
    const kernel = slot.get();
    const last = this.#last;
    // the same instance already holds this layout (its memory only grows)
    if (last && last.kernel === kernel && (n === undefined || last.n === n)) return last.at;
    const size = n ?? 0;
    const regions: (readonly [A | 'v' | 'raw', number])[] = [...this.#lengths].map(([name, len]) => [name, len * 8] as const);
    regions.push(['v', size * 8], ['raw', size * 4]);
    const at = kernel.regions(regions);
    this.#last = { kernel, n: size, at };
    return at;
  }

  /** True when stored F32 rows can go in raw (inputF32Bytes, widen): the kernel is in use. */
  get widens(): boolean {
    return this.js === null;
  }

  /** Room for the next chunk of `n` doubles (valid until the next call). */
  input(n: number): Float64Array {
    const js = this.js;
    if (js) {
      if (js.buf.length < n) js.buf = new Float64Array(n);
      return js.buf.subarray(0, n);
    }
    return slot.get().f64(this.at(n).v, n);
  }

  /** Room for the next chunk as the raw bytes of `n` little-endian f32 (kernel only; then widen(n)). */
  inputF32Bytes(n: number): Uint8Array {
    const at = this.at(n); // grows first: a view taken before the growth would be detached
    return new Uint8Array(slot.get().memory.buffer, at.raw, n * 4);
  }

  /** The `n` f32 placed by inputF32Bytes, widened exactly into input()'s doubles (NaN bits as the TypeScript decoder writes them), which it returns. */
  widen(n: number): Float64Array {
    const k = slot.get();
    const at = this.at(n);
    k.exports.widenF32(at.raw >>> 0, at.v >>> 0, n);
    return k.f64(at.v, n);
  }

  /** An accumulator's count of doubles. */
  protected length(name: A): number {
    return this.#lengths.get(name)!;
  }

  /** A copy of an accumulator. */
  protected copy(name: A): Float64Array {
    return this.js ? this.js.acc[name].slice() : slot.get().f64(this.at()[name], this.length(name)).slice();
  }
}

/** Column sums of squares over streamed rows: the PRF diagonal. */
export class SquareSums extends StreamedChunks<'acc'> {
  constructor(n: number) {
    super([['acc', n]]);
  }

  /** acc[j] += x² for the first `used` columns of the `rows` × `cols` chunk in input(), rows in order. */
  add(rows: number, cols: number, used: number): void {
    if (!this.js) {
      const p = this.at(rows * cols);
      slot.get().exports.addSquares(p.acc >>> 0, p.v >>> 0, rows, cols, used);
      return;
    }
    const acc = this.js.acc.acc, v = this.js.buf;
    for (let row = 0; row < rows; row++) {
      for (let j = 0; j < used; j++) {
        const x = v[row * cols + j]!;
        acc[j] = acc[j]! + x * x;
      }
    }
  }

  result(): Float64Array {
    return this.copy('acc');
  }
}

/** A rows × cols matrix summed from streamed row chunks: the overlays' W_O layer sum. */
export class RowSums extends StreamedChunks<'acc'> {
  constructor(rows: number, cols: number) {
    super([['acc', rows * cols]]);
  }

  /** A[r0 + i][j] += v[i][j] for i < rows, j < n, v being the chunk in input() with vCols columns; A has aCols. */
  add(aCols: number, r0: number, vCols: number, rows: number, n: number): void {
    if (!this.js) {
      const p = this.at(rows * vCols);
      slot.get().exports.addRows(p.acc >>> 0, aCols, r0, p.v >>> 0, vCols, rows, n);
      return;
    }
    const A = this.js.acc.acc, v = this.js.buf;
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < n; j++) A[(r0 + i) * aCols + j] = A[(r0 + i) * aCols + j]! + v[i * vCols + j]!;
    }
  }

  /** Every element divided by `d` (a true division, as the reference's), as a copy. */
  divideAndTake(d: number): Float64Array {
    if (!this.js) {
      slot.get().exports.divideAll(this.at().acc >>> 0, this.length('acc'), d);
      return this.copy('acc');
    }
    const A = this.js.acc.acc;
    for (let i = 0; i < A.length; i++) A[i] = A[i]! / d;
    return this.copy('acc');
  }
}

/**
 * The first `cols` columns of Q from Householder reflectors (vector v over rows
 * k..m-1 of an m-vector): row j of the result is e_j reflected by each in order.
 * For tests (any reflectors against numeric/householder.ts's householderQ); the
 * conversion builds Q through HouseholderBasisWasm.q().
 */
export function householderQWasm(reflectors: readonly { k: number; v: Float64Array }[], m: number, cols: number): Float64Array {
  const kk = slot.get();
  const n = reflectors.length;
  const at = kk.regions<'vs' | 'ks' | 'q' | 'out'>([['vs', n * m * 8], ['ks', n * 4], ['q', m * 16], ['out', m * cols * 8]]);
  const vs = kk.f64(at.vs, n * m);
  const ks = new Int32Array(kk.memory.buffer, at.ks, n);
  reflectors.forEach((r, i) => { vs.set(r.v, i * m); ks[i] = r.k; });
  kk.exports.householderQ(at.vs >>> 0, at.ks >>> 0, n, m, cols, at.q >>> 0, at.out >>> 0);
  return kk.f64(at.out, m * cols).slice();
}

/**
 * orthonormal_matrix's basis in the kernel (numeric/householder.ts drives it): each
 * candidate column is reflected and tested there, accepted reflectors stay in the
 * kernel's memory, and Q is built from them. The same operations as the
 * TypeScript basis, in the same order; one basis at a time per kernel instance.
 */
export class HouseholderBasisWasm {
  readonly #m: number;
  readonly #cols: number;
  readonly #at: Record<'vs' | 'ks' | 'col' | 'sq' | 'q' | 'out', number>;
  size = 0;

  /** For `cols` columns of length `m`. */
  constructor(m: number, cols: number) {
    this.#m = m;
    this.#cols = cols;
    this.#at = slot.get().regions([['vs', cols * m * 8], ['ks', cols * 4], ['col', m * 8], ['sq', m * 8], ['q', m * 16], ['out', m * cols * 8]]);
  }

  /** Reflects `raw` (its first m values, zero-padded) and keeps it when independent; true if kept. */
  tryAdd(raw: ArrayLike<number>): boolean {
    const k = slot.get();
    const m = this.#m;
    const col = k.f64(this.#at.col, m);
    const n = Math.min(m, raw.length);
    for (let i = 0; i < n; i++) col[i] = +raw[i]!;
    col.fill(0, n);
    const at = this.#at;
    if (!k.exports.orthoCandidate(at.vs >>> 0, at.ks >>> 0, this.size, m, at.col >>> 0, at.sq >>> 0)) return false;
    this.size++;
    return true;
  }

  /** The first `cols` columns of Q from the kept reflectors (m × cols, row-major). */
  q(): Float64Array {
    const k = slot.get();
    const at = this.#at;
    k.exports.householderQ(at.vs >>> 0, at.ks >>> 0, this.size, this.#m, this.#cols, at.q >>> 0, at.out >>> 0);
    return k.f64(at.out, this.#m * this.#cols).slice();
  }
}

/**
 * One layer's bridge folds (ALGORITHMS.md §14): W1's column totals, total[f] +=
 * row[f mod cols] over every row in order, and each W2 row's mean, psum(row) /
 * max(1, cols). Rows arrive in chunks read straight into the kernel's memory
 * (input(), or inputF32Bytes() then widen() for stored F32); without the kernel
 * (or with `useKernel` false) the same operations run in TypeScript.
 */
export class FfnFolds extends StreamedChunks<'total' | 'means'> {
  /** `features` column totals, `outRows` row means. */
  constructor(features: number, outRows: number, opts: { useKernel?: boolean } = {}) {
    super([['total', features], ['means', outRows]], opts.useKernel !== false);
  }

  /** Adds the chunk (`rows` rows of `cols` values) to the column totals: total[f] += row[f mod cols], rows in order. */
  addColumns(rows: number, cols: number): void {
    const js = this.js;
    if (!js) {
      const at = this.at(rows * cols);
      slot.get().exports.addColumnTotals(at.total >>> 0, at.v >>> 0, rows, cols, this.length('total'));
      return;
    }
    if (cols === 0) return;
    const total = js.acc.total, v = js.buf, F = total.length;
    for (let r = 0; r < rows; r++) {
      const base = r * cols;
      // feature f reads column f mod cols: f itself when the row covers every feature
      if (cols >= F) for (let f = 0; f < F; f++) total[f] = total[f]! + v[base + f]!;
      else for (let f = 0; f < F; f++) total[f] = total[f]! + v[base + (f % cols)]!;
    }
  }

  /** means[r0 + i] = psum(row i of the chunk) / max(1, cols) for its `rows` rows of `cols` values. */
  addRowMeans(r0: number, rows: number, cols: number): void {
    const js = this.js;
    if (!js) {
      const at = this.at(rows * cols);
      slot.get().exports.rowMeans((at.means + r0 * 8) >>> 0, at.v >>> 0, rows, cols);
      return;
    }
    for (let i = 0; i < rows; i++) js.acc.means[r0 + i] = psum(js.buf, i * cols, (i + 1) * cols) / Math.max(1, cols);
  }

  /** A copy of the column totals. */
  totals(): Float64Array {
    return this.copy('total');
  }

  /** A copy of the row means. */
  means(): Float64Array {
    return this.copy('means');
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

/**
 * PRF's prf_W (rows × d) and whitening variances from the gaussian rows `g`
 * (ALGORITHMS.md §9): the TypeScript loop of stages/prf.ts, in the kernel.
 */
export function prfFeaturesWasm(g: Float64Array, sqrtDiag: Float64Array, diag: Float64Array, inv: number, rows: number, d: number): { w: Float64Array; sig2: Float64Array } {
  const kk = slot.get();
  const at = kk.regions<'g' | 'sq' | 'diag' | 'w' | 'sig2' | 'terms'>([
    ['g', rows * d * 8], ['sq', d * 8], ['diag', d * 8], ['w', rows * d * 8], ['sig2', rows * 8], ['terms', d * 8],
  ]);
  kk.f64(at.g, rows * d).set(g.subarray(0, rows * d));
  kk.f64(at.sq, d).set(sqrtDiag);
  kk.f64(at.diag, d).set(diag);
  kk.exports.prfFeatures(at.g >>> 0, at.sq >>> 0, at.diag >>> 0, inv, rows, d, at.w >>> 0, at.sig2 >>> 0, at.terms >>> 0);
  return { w: kk.f64(at.w, rows * d).slice(), sig2: kk.f64(at.sig2, rows).slice() };
}

/** prfFeaturesWasm's TypeScript twin (hosts without the kernel): the same operations in the same order. */
export function prfFeaturesTs(G: Float64Array, sqrtDiag: Float64Array, diag: Float64Array, inv: number, rows: number, d: number): { w: Float64Array; sig2: Float64Array } {
  const w = new Float64Array(rows * d);
  const sig2 = new Float64Array(rows);
  const terms = new Float64Array(d);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < d; j++) {
      const s = (G[i * d + j]! * sqrtDiag[j]!) * inv;
      w[i * d + j] = s;
      terms[j] = (s * s) * diag[j]!;
    }
    sig2[i] = pyMax(psum(terms, 0, d), 1e-6);
  }
  return { w, sig2 };
}

/** PRF features in the kernel when it is loaded, else its TypeScript twin: the same bits either way. */
export function prfFeatures(G: Float64Array, sqrtDiag: Float64Array, diag: Float64Array, inv: number, rows: number, d: number): { w: Float64Array; sig2: Float64Array } {
  return (slot.loaded ? prfFeaturesWasm : prfFeaturesTs)(G, sqrtDiag, diag, inv, rows, d);
}

/** The kernel's psum of `values`, for tests. */
export function psumWasm(values: Float64Array): number {
  const kk = slot.get();
  const at = kk.regions<'v'>([['v', values.length * 8]]);
  kk.f64(at.v, values.length).set(values);
  return kk.exports.psum(at.v >>> 0, values.length);
}
