// Householder QR and the reference's orthonormal_matrix (ALGORITHMS.md §10.2–10.3).
// The reference recomputes a full QR for every candidate column; the reflectors
// of accepted columns never change, so this keeps them and reflects only the new
// column. Every arithmetic operation is the reference's, in its order, so the
// results are bit-identical, at O(m·c) per candidate instead of O(m²·c).
import { psum } from './python.js';
import { StageError } from '../errors.js';
import { HouseholderBasisWasm, linalgLoaded } from '../kernels/linalg.js';

export const HOUSEHOLDER_TOLERANCE = 1e-12;

/** A reflector I - 2vvᵀ acting on rows k..m-1 (v[k..m-1] stored). */
export interface Reflector {
  k: number;
  v: Float64Array;
}

function reflect(col: Float64Array, r: Reflector, m: number): void {
  const { k, v } = r;
  let dot = 0.0;
  for (let i = k; i < m; i++) dot += v[i]! * col[i]!;
  for (let i = k; i < m; i++) col[i] = col[i]! - (2.0 * v[i]!) * dot;
}

/** A growing set of accepted reflectors: the TypeScript basis, or the kernel's (HouseholderBasisWasm). */
interface Basis {
  readonly size: number;
  tryAdd(raw: ArrayLike<number>): boolean;
  q(): Float64Array;
}

/** The basis in TypeScript (hosts without the linalg kernel): the kernel runs these operations in this order. */
class HouseholderBasisTs implements Basis {
  readonly #m: number;
  readonly #cols: number;
  readonly #accepted: Reflector[] = [];

  constructor(m: number, cols: number) {
    this.#m = m;
    this.#cols = cols;
  }

  get size(): number {
    return this.#accepted.length;
  }

  tryAdd(raw: ArrayLike<number>): boolean {
    const m = this.#m;
    const col = new Float64Array(m);
    for (let i = 0; i < m && i < raw.length; i++) col[i] = +raw[i]!;
    // steps 0..idx-1 of the full QR, applied to the new column
    for (const r of this.#accepted) reflect(col, r, m);
    // step idx
    const k = this.#accepted.length;
    let nx = 0.0;
    for (let i = k; i < m; i++) nx += col[i]! * col[i]!;
    nx = Math.sqrt(nx);
    if (nx < HOUSEHOLDER_TOLERANCE) return false; // diag 0.0: dependent column
    const x0 = col[k]!;
    const alpha = (x0 >= 0.0 ? -1.0 : 1.0) * nx;
    const v = new Float64Array(m);
    v[k] = x0 - alpha;
    for (let i = k + 1; i < m; i++) v[i] = col[i]!;
    const sq = new Float64Array(m - k);
    for (let i = k; i < m; i++) sq[i - k] = v[i]! * v[i]!;
    const nv = Math.sqrt(psum(sq));
    if (nv < HOUSEHOLDER_TOLERANCE) return false;
    const iv = 1.0 / nv;
    for (let i = k; i < m; i++) v[i] = v[i]! * iv;
    const r: Reflector = { k, v };
    reflect(col, r, m);
    if (Math.abs(col[k]!) <= HOUSEHOLDER_TOLERANCE) return false;
    this.#accepted.push(r);
    return true;
  }

  q(): Float64Array {
    return householderQ(this.#accepted, this.#m, this.#cols);
  }
}

/**
 * `orthonormal_matrix(rows, cols, generator)`: pulls columns until `cols`
 * independent ones are found; returns the first `cols` columns of Q as a
 * rows × cols row-major matrix (empty when rows ≤ 0 or cols ≤ 0). `columns`
 * returns null when it has no more columns. `useKernel: false` keeps the basis in
 * TypeScript (what hosts without the kernel run): the same bits.
 */
export function orthonormalMatrix(rows: number, cols: number, columns: () => ArrayLike<number> | null, opts: { useKernel?: boolean } = {}): Float64Array {
  if (rows <= 0 || cols <= 0) return new Float64Array(0);
  const m = rows;
  const basis: Basis = linalgLoaded() && opts.useKernel !== false ? new HouseholderBasisWasm(m, cols) : new HouseholderBasisTs(m, cols);
  for (;;) {
    const raw = columns();
    if (raw === null) {
      throw new StageError('Unable to construct orthonormal basis (insufficient independent vectors)',
        'the averaged W_O has too few independent directions for the requested --rv; lower --rv');
    }
    const idx = basis.size;
    // the full QR has min(m, idx + 1) diagonal entries
    if (idx >= Math.min(m, idx + 1)) {
      throw new StageError('Unable to construct orthonormal basis (columns exceed row count)',
        'the overlay rank is larger than the matrix allows; lower --rv or --r');
    }
    if (basis.tryAdd(raw) && basis.size === cols) break;
  }
  return basis.q();
}

/** Q = H_0 H_1 ... applied to the identity, column by column; keeps rows < cols (M = Qᵀ[:, :cols]). */
export function householderQ(accepted: readonly Reflector[], m: number, cols: number): Float64Array {
  const out = new Float64Array(m * cols);
  const q = new Float64Array(m);
  for (let j = 0; j < m; j++) {
    q.fill(0);
    q[j] = 1.0;
    for (const r of accepted) reflect(q, r, m);
    for (let c = 0; c < cols; c++) out[j * cols + c] = q[c]!;
  }
  return out;
}
