// Thin wrapper over the gaussian kernel: rows of the reference's gaussian_vector
// drawn in wasm (no JIT warm-up, doubles never boxed), continuing a SplitMix64.
// The kernel imports the exact BigInt fma for the rare operands its fast path
// cannot take, so its values equal the TypeScript port's for every input.
import { KernelSlot } from './wasm.js';
import { fmaExact } from '../numeric/libm/fma.js';
import type { SplitMix64 } from '../numeric/splitmix64.js';
import { gaussianVector } from '../numeric/gaussian.js';

type GaussianExports = {
  gaussianRows(state: number, rows: number, length: number, out: number): void;
  log(x: number): number;
  sin(x: number): number;
  cos(x: number): number;
  fmaExport(a: number, b: number, c: number): number;
};

const slot = new KernelSlot<GaussianExports>('gaussian', 'await loadGaussian() first', { env: { fmaExact } });

export function loadGaussian(): Promise<void> {
  return slot.load();
}

export function gaussianLoaded(): boolean {
  return slot.loaded;
}

/**
 * `rows` successive gaussian_vector(prng, length) calls, row-major in one array;
 * `prng` advances exactly as the TypeScript gaussianVector would advance it.
 */
export function gaussianRowsWasm(prng: SplitMix64, rows: number, length: number): Float64Array {
  const kk = slot.get();
  rows = Math.max(0, rows);
  length = Math.max(0, length);
  const at = kk.regions<'state' | 'out'>([['state', 8], ['out', rows * length * 8]]);
  const st = new Uint32Array(kk.memory.buffer, at.state, 2); // the kernel never grows its memory: st stays valid
  [st[1], st[0]] = prng.stateHalves();
  kk.exports.gaussianRows(at.state >>> 0, rows, length, at.out >>> 0);
  prng.setStateHalves(st[1]!, st[0]!);
  return kk.f64(at.out, rows * length).slice();
}

/** The kernel's log, sin, cos (sin/cos for |x| < 105414336) and fma, for known-answer tests. */
export function wasmLibm(): { log(x: number): number; sin(x: number): number; cos(x: number): number; fma(a: number, b: number, c: number): number } {
  const e = slot.get().exports;
  return { log: e.log, sin: e.sin, cos: e.cos, fma: e.fmaExport };
}

/** gaussianRowsWasm when the kernel is loaded, else the TypeScript port (same values, same generator advance). */
export function gaussianRows(prng: SplitMix64, rows: number, length: number): Float64Array {
  if (slot.loaded) return gaussianRowsWasm(prng, rows, length);
  const len = Math.max(0, length);
  const out = new Float64Array(Math.max(0, rows) * len);
  for (let r = 0; r < rows; r++) gaussianVector(prng, len, out.subarray(r * len, (r + 1) * len));
  return out;
}
