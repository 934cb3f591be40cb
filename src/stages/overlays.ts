// Overlays stage (ALGORITHMS.md §10): the layer-averaged W_O, a Hadamard basis
// H, a randomized range finder U and the projected core Z = Uᵀ (A H), including
// the reference's truncating matmul (the inner size is the right operand's rows).
import { newSha256, first64OfDigest } from '../format/hash.js';
import { SplitMix64 } from '../numeric/splitmix64.js';
import { gaussianRows } from '../kernels/gaussian.js';
import * as linalg from '../kernels/linalg.js';
import { orthonormalMatrix } from '../numeric/householder.js';
import { StageError } from '../errors.js';
import { f32Payload, matrixShape, type ArrayOut, type ModelView } from './types.js';
import { readRowsHashedInto, sinkChunkRows } from '../model/tensors.js';

export interface OverlaysResult {
  arrays: ArrayOut[];
  /** Rows of overlays_H and of overlays_U (the metadata's rows/cols). */
  rows: number;
  cols: number;
}

function checkInner(inner: number, leftCols: number): void {
  if (inner > leftCols) {
    throw new StageError(`overlay product needs ${inner} columns in its left operand, found ${leftCols}`,
      'the W_O tensors are narrower than the overlay rank requires; lower --r');
  }
}

/** `matmul(A, B)` of the reference: A is aRows × (≥ inner), B is inner × bCols; inner = len(B). */
function matmul(A: Float64Array, aRows: number, aCols: number, B: Float64Array, inner: number, bCols: number): Float64Array {
  checkInner(inner, aCols);
  return linalg.matmul(A, aRows, aCols, B, inner, bCols);
}

/** `matmul(transpose(S), B)` for S stored sRows × sCols (first `inner` rows used). */
function matmulTransposed(S: Float64Array, sRows: number, sCols: number, B: Float64Array, inner: number, bCols: number): Float64Array {
  checkInner(inner, sRows);
  return linalg.matmulTransposed(S, sCols, B, inner, bCols);
}

export function computeOverlays(view: ModelView, r: number, rv: number): OverlaysResult {
  const digest = newSha256();
  let sums: linalg.RowSums | null = null;
  let rows = 0;
  let cols = 0;
  let count = 0;
  for (const layer of view.layers) {
    const W = view.tensors.get(layer.w_o);
    if (!W) continue;
    W.expectRank(2, 'the attention overlays (W_O)');
    digest.update(layer.w_o);
    const R = W.rows;
    const C = R ? W.rowSize : 0;
    if (sums === null) {
      sums = new linalg.RowSums(R, C);
      rows = R;
      cols = C;
    }
    const useRows = Math.min(R, rows);
    const useCols = Math.min(C, cols);
    // every row is read (the seed hashes the whole tensor); the sum uses the first `rows`
    const step = sinkChunkRows(W);
    for (let r0 = 0; r0 < R; r0 += step) {
      const r1 = Math.min(R, r0 + step);
      readRowsHashedInto(W, r0, r1, digest, sums);
      sums.add(cols, r0, C, Math.max(0, Math.min(r1, useRows) - r0), useCols);
    }
    count++;
  }
  if (sums === null || count === 0) throw noOverlayInput();
  const A = sums.divideAndTake(count);

  const prng = new SplitMix64(first64OfDigest(new Uint8Array(digest.digest())));
  const { fd, width } = overlayDims(r, rv, rows, cols);

  const H = orthonormalMatrix(fd, rv, () => {
    const c = new Float64Array(fd);
    for (let i = 0; i < fd; i++) {
      prng.nextHalves();
      c[i] = (prng.outLo & 1) === 0 ? 1.0 : -1.0;
    }
    return c;
  });
  const hRows = H.length ? fd : 0;

  // Omega (rows × rv) continues the same generator; Y = Aᵀ Ω (cols × rv)
  const omega = gaussianRows(prng, rows, width);
  let Y: Float64Array = new Float64Array(0);
  if (rows > 0 && width > 0) {
    Y = matmulTransposed(A, rows, cols, omega, rows, width);
  }
  // U = orthonormal(cols, rv, columns of Y): the generator is the finite list transpose(Y)
  let next = 0;
  const yCols = rows > 0 && cols > 0 ? width : 0;
  const U = orthonormalMatrix(cols, rv, () => {
    if (next >= yCols) return null;
    const c = new Float64Array(cols);
    for (let i = 0; i < cols; i++) c[i] = Y[i * width + next]!;
    next++;
    return c;
  });
  const uRows = U.length ? cols : 0;

  // Z = matmul(transpose(U), matmul(A, H))
  let Z: Float64Array = new Float64Array(0);
  if (uRows > 0 && hRows > 0) {
    const AH = matmul(A, rows, cols, H, hRows, width); // rows × rv, uses A's first fd columns
    Z = matmulTransposed(U, cols, width, AH, rows, width); // rv × rv, uses Uᵀ's first `rows` columns
  }
  linalg.shrinkLinalg(); // every result is a copy: the products' memory goes back
  const payloads = [H, U, Z];
  return { arrays: overlayShapes(hRows, uRows, width).map((a, i) => ({ ...a, payload: f32Payload(payloads[i]!) })), rows: hRows, cols: uRows };
}

// ---- shapes (the dry run, pipeline/plan.ts, plans the overlays with these) ----

export function noOverlayInput(): StageError {
  return new StageError('No W_O tensors available to compute overlays', 'the checkpoint has no attention output projection for any layer');
}

/** H's rows (fd) and the value width for a W_O of rows × cols; throws where the ranks leave nothing. */
export function overlayDims(r: number, rv: number, rows: number, cols: number): { fd: number; width: number } {
  const fd = Math.min(r, rows);
  const vd = cols ? Math.min(rv, cols) : rv;
  if (fd === 0 || vd === 0) throw new StageError('Overlay dimensions must be positive', 'use --r and --rv of at least 1');
  return { fd, width: Math.max(0, rv) };
}

/** overlays_H, overlays_U and overlays_DeltaW without payloads (DeltaW is width × width when H and U have rows). */
export function overlayShapes(hRows: number, uRows: number, width: number): Omit<ArrayOut, 'payload'>[] {
  return [
    { name: 'overlays_H', dtype: 'f32', shape: matrixShape(hRows, width) },
    { name: 'overlays_U', dtype: 'f32', shape: matrixShape(uRows, width) },
    { name: 'overlays_DeltaW', dtype: 'f32', shape: matrixShape(uRows > 0 && hRows > 0 ? width : 0, width) },
  ];
}
