// Thin wrapper over the linalg kernel: the overlays stage's products in the
// reference's summation order (see assembly/linalg.ts).
import { kernel, type Kernel } from './wasm.js';

type LinalgExports = {
  matmul(a: number, aRows: number, aCols: number, b: number, inner: number, bCols: number, out: number): void;
  matmulTransposed(s: number, sCols: number, b: number, inner: number, bCols: number, out: number): void;
  addSquares(acc: number, v: number, rows: number, cols: number, used: number): void;
  addRows(a: number, aCols: number, r0: number, v: number, vCols: number, rows: number, n: number): void;
  divideAll(x: number, n: number, d: number): void;
  householderQ(vs: number, ks: number, n: number, m: number, cols: number, q: number, out: number): void;
};

let k: Kernel<LinalgExports> | undefined;

export async function loadLinalg(): Promise<void> {
  k ??= await kernel<LinalgExports>('linalg');
}

export function linalgLoaded(): boolean {
  return k !== undefined;
}

function loaded(): Kernel<LinalgExports> {
  if (!k) throw new Error('linalg kernel not loaded: await loadLinalg() first');
  return k;
}

/** Copies the operands in, runs `f` on their pointers, returns a copy of the `outLength` result. */
function run(a: Float64Array, b: Float64Array, outLength: number, f: (e: LinalgExports, pa: number, pb: number, po: number) => void): Float64Array {
  const kk = loaded();
  const { at } = kk.regions<'a' | 'b' | 'out'>([['a', a.length * 8], ['b', b.length * 8], ['out', outLength * 8]]);
  kk.f64(at.a, a.length).set(a);
  kk.f64(at.b, b.length).set(b);
  f(kk.exports, at.a >>> 0, at.b >>> 0, at.out >>> 0);
  return kk.f64(at.out, outLength).slice();
}

/** matmul(A, B): A is aRows × aCols (first `inner` columns used), B is inner × bCols. */
export function matmulWasm(A: Float64Array, aRows: number, aCols: number, B: Float64Array, inner: number, bCols: number): Float64Array {
  return run(A, B, aRows * bCols, (e, pa, pb, po) => e.matmul(pa, aRows, aCols, pb, inner, bCols, po));
}

/** matmul(transpose(S), B) for S stored with sCols columns (first `inner` rows used). */
export function matmulTransposedWasm(S: Float64Array, sCols: number, B: Float64Array, inner: number, bCols: number): Float64Array {
  return run(S, B, sCols * bCols, (e, pa, pb, po) => e.matmulTransposed(pa, sCols, pb, inner, bCols, po));
}

/**
 * Column sums of squares over streamed rows (the PRF diagonal): decode each chunk
 * into input(n), then add(). The sums live in the kernel (one user at a time);
 * without the kernel the same loop runs in TypeScript.
 */
export class SquareSums {
  readonly #d: number;
  #js: Float64Array | null = null;
  #buf = new Float64Array(0);

  constructor(d: number) {
    this.#d = d;
    if (k) {
      const at = k.scratch(d * 8); // grows first: a view taken before the growth would be detached
      k.u8.fill(0, at, at + d * 8);
    } else {
      this.#js = new Float64Array(d);
    }
  }

  /** Room for the next chunk of `n` values (valid until the next call). */
  input(n: number): Float64Array {
    if (!k) {
      if (this.#buf.length < n) this.#buf = new Float64Array(n);
      return this.#buf.subarray(0, n);
    }
    const { at } = k.regions<'acc' | 'v'>([['acc', this.#d * 8], ['v', n * 8]]);
    return k.f64(at.v, n);
  }

  /** acc[j] += x² for the first `used` columns of the `rows` × `cols` chunk in input(). */
  add(rows: number, cols: number, used: number): void {
    if (this.#js) {
      addSquaresTs(this.#js, this.#buf, rows, cols, used);
      return;
    }
    const { at } = k!.regions<'acc' | 'v'>([['acc', this.#d * 8], ['v', rows * cols * 8]]);
    k!.exports.addSquares(at.acc >>> 0, at.v >>> 0, rows, cols, used);
  }

  result(): Float64Array {
    return this.#js ? this.#js.slice() : k!.f64(k!.base, this.#d).slice();
  }
}

function addSquaresTs(acc: Float64Array, v: Float64Array, rows: number, cols: number, used: number): void {
  for (let row = 0; row < rows; row++) {
    const base = row * cols;
    for (let j = 0; j < used; j++) {
      const x = v[base + j]!;
      acc[j] = acc[j]! + x * x;
    }
  }
}

/**
 * A rows × cols matrix summed from streamed row chunks (the overlays' W_O sum):
 * decode a chunk into input(n), add() it at its first row, divide() at the end.
 * The matrix lives in the kernel (one user at a time) or, without it, in TypeScript.
 */
export class RowSums {
  readonly #n: number;
  #js: Float64Array | null = null;
  #buf = new Float64Array(0);

  constructor(rows: number, cols: number) {
    this.#n = rows * cols;
    if (k) {
      const at = k.scratch(this.#n * 8);
      k.u8.fill(0, at, at + this.#n * 8);
    } else {
      this.#js = new Float64Array(this.#n);
    }
  }

  input(n: number): Float64Array {
    if (!k) {
      if (this.#buf.length < n) this.#buf = new Float64Array(n);
      return this.#buf.subarray(0, n);
    }
    const { at } = k.regions<'a' | 'v'>([['a', this.#n * 8], ['v', n * 8]]);
    return k.f64(at.v, n);
  }

  /** A[r0 + i][j] += v[i][j] for i < rows, j < n, v being the chunk in input() with vCols columns; A has aCols. */
  add(aCols: number, r0: number, vCols: number, rows: number, n: number): void {
    if (this.#js) {
      const A = this.#js, v = this.#buf;
      for (let i = 0; i < rows; i++) {
        for (let j = 0; j < n; j++) A[(r0 + i) * aCols + j] = A[(r0 + i) * aCols + j]! + v[i * vCols + j]!;
      }
      return;
    }
    const { at } = k!.regions<'a' | 'v'>([['a', this.#n * 8], ['v', rows * vCols * 8]]);
    k!.exports.addRows(at.a >>> 0, aCols, r0, at.v >>> 0, vCols, rows, n);
  }

  /** Every element divided by `d`, and the matrix returned. */
  divideAndTake(d: number): Float64Array {
    if (this.#js) {
      const A = this.#js;
      for (let i = 0; i < A.length; i++) A[i] = A[i]! / d;
      return A;
    }
    k!.exports.divideAll(k!.base >>> 0, this.#n, d);
    return k!.f64(k!.base, this.#n).slice();
  }
}

/**
 * The first `cols` columns of Q from Householder reflectors (vector v over rows
 * k..m-1 of an m-vector): row j of the result is e_j reflected by each in order.
 */
export function householderQWasm(reflectors: readonly { k: number; v: Float64Array }[], m: number, cols: number): Float64Array {
  const kk = loaded();
  const n = reflectors.length;
  const { at } = kk.regions<'vs' | 'ks' | 'q' | 'out'>([['vs', n * m * 8], ['ks', n * 4], ['q', m * 8], ['out', m * cols * 8]]);
  const vs = kk.f64(at.vs, n * m);
  const ks = new Int32Array(kk.memory.buffer, at.ks, n);
  reflectors.forEach((r, i) => { vs.set(r.v, i * m); ks[i] = r.k; });
  kk.exports.householderQ(at.vs >>> 0, at.ks >>> 0, n, m, cols, at.q >>> 0, at.out >>> 0);
  return kk.f64(at.out, m * cols).slice();
}
