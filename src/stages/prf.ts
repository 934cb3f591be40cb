// PRF stage (ALGORITHMS.md §9): the W_K column energy diagonal, seeded gaussian
// features and whitening variances.
import { newSha256, first64OfDigest } from '../format/hash.js';
import { SplitMix64 } from '../numeric/splitmix64.js';
import { gaussianRows } from '../kernels/gaussian.js';
import { psum, pyMax } from '../numeric/python.js';
import { prfFeatures, shrinkLinalg, SquareSums } from '../kernels/linalg.js';
import { f32Payload, matrixShape, vectorShape, type ArrayOut, type ModelView } from './types.js';
import { readRowsHashedInto, sinkChunkRows } from '../model/tensors.js';

export interface PrfResult {
  arrays: ArrayOut[];
  /** whitening_sig2 as doubles (the metadata keeps them unrounded). */
  sig2: number[];
}

export function computePrf(view: ModelView, r: number): PrfResult {
  const d = view.dModel;
  const digest = newSha256();
  const sums = new SquareSums(Math.max(0, d));
  const cnt = new Float64Array(Math.max(0, d));
  for (const layer of view.layers) {
    const K = view.tensors.get(layer.w_k);
    if (!K) continue; // the reference skips layers whose W_K is absent
    K.expectRank(2, 'the PRF diagonal (W_K)');
    digest.update(layer.w_k);
    const cols = K.rowSize;
    const used = Math.min(cols, d);
    const step = sinkChunkRows(K);
    for (let r0 = 0; r0 < K.rows; r0 += step) {
      const r1 = Math.min(K.rows, r0 + step);
      readRowsHashedInto(K, r0, r1, digest, sums); // every row, in order: the seed hashes the whole tensor
      sums.add(r1 - r0, cols, used);
    }
    // every row adds 1 to the count of each used column: exact integers, so once per layer
    for (let j = 0; j < used; j++) cnt[j] = cnt[j]! + K.rows;
  }
  const acc = sums.result();
  shrinkLinalg(); // a wide W_K grew the kernel: give the memory back here, not in a later stage
  const diag = new Float64Array(Math.max(0, d));
  const sqrtDiag = new Float64Array(Math.max(0, d));
  for (let j = 0; j < d; j++) {
    diag[j] = cnt[j] === 0 ? 1e-8 : pyMax(acc[j]! / cnt[j]!, 1e-8);
    sqrtDiag[j] = Math.sqrt(diag[j]!);
  }
  const seed = first64OfDigest(new Uint8Array(digest.digest()));
  const prng = new SplitMix64(seed);
  const rows = Math.max(0, r);
  const rSafe = Math.max(r, 1);
  const inv = 1.0 / Math.sqrt(rSafe);
  const G = gaussianRows(prng, rows, d); // row i is the i-th gaussian_vector(prng, d)
  const { w: W, sig2 } = prfFeatures(G, sqrtDiag, diag, inv, rows, Math.max(0, d));
  const rInit = new Float64Array(rows * Math.max(0, d));
  const rRow = diag.map((x) => x / rSafe); // r identical rows
  for (let i = 0; i < rows; i++) rInit.set(rRow, i * d);
  const sValue = pyMax(psum(diag) / rSafe, 1e-6);
  const payloads = [W, rInit, new Float64Array(rows).fill(sValue), new Float64Array(rows), sig2];
  return { arrays: prfShapes(r, d).map((a, i) => ({ ...a, payload: f32Payload(payloads[i]!) })), sig2: Array.from(sig2) };
}

/** The PRF arrays without payloads (prf_W, R_init, s_init, whitening_mu, whitening_sig2): the dry run plans them with this. */
export function prfShapes(r: number, d: number): Omit<ArrayOut, 'payload'>[] {
  const rows = Math.max(0, r);
  return [
    { name: 'prf_W', dtype: 'f32', shape: matrixShape(rows, d) },
    { name: 'R_init', dtype: 'f32', shape: matrixShape(rows, d) },
    { name: 's_init', dtype: 'f32', shape: vectorShape(rows) },
    { name: 'whitening_mu', dtype: 'f32', shape: vectorShape(rows) },
    { name: 'whitening_sig2', dtype: 'f32', shape: vectorShape(rows) },
  ];
}
