// Thin wrapper over the linalg kernel: the overlays stage's products in the
// reference's summation order (see assembly/linalg.ts).
import { kernel, type Kernel } from './wasm.js';

type LinalgExports = {
  matmul(a: number, aRows: number, aCols: number, b: number, inner: number, bCols: number, out: number): void;
  matmulTransposed(s: number, sCols: number, b: number, inner: number, bCols: number, out: number): void;
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
