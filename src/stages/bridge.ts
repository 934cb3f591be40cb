// Bridge records (ALGORITHMS.md §14): per-token aggregates folded from the FFN
// tensors, seeded hub bytes, q8.8 pairs and peer scores. The per-token sums
// depend only on token mod d_model, so they are computed once per feature.
import type { Hash } from 'node:crypto';
import { newSha256, first64, first64OfDigest } from '../format/hash.js';
import { SplitMix64 } from '../numeric/splitmix64.js';
import { clampInt, pyMax, roundHalfEven } from '../numeric/python.js';
import { FfnFolds, shrinkLinalg } from '../kernels/linalg.js';
import { StageError } from '../errors.js';
import { dict, int, type PyDict, type PyValue } from '../format/pyvalue.js';
import { bytesOf } from '../format/array-file.js';
import { expectVector } from './collapse.js';
import { checkF32, type ArrayOut, type ModelView } from './types.js';
import { rawIntoSink, readRowsHashedInto, sinkChunkRows, type Tensor } from '../model/tensors.js';

export interface BridgeResult {
  enabled: boolean;
  arrays: ArrayOut[];
  metadata: PyDict;
  legs: number;
}

const F32_HINT = 'the FFN tensors hold values beyond the f32 range';

/** The four bridge arrays, in the order both regimes write them: [V,16] hub bitsets, q8.8 [V,2] in/out pairs, q8.8 [V] peer scores. */
export function bridgeArrays(V: number, hubs: Uint8Array, qDin: Int16Array, qDout: Int16Array, peers: Int16Array): ArrayOut[] {
  const payloads = [hubs, bytesOf(qDin), bytesOf(qDout), bytesOf(peers)];
  return bridgeShapes(V).map((a, i) => ({ ...a, payload: payloads[i]! }));
}

function q88(x: number): { pair: [number, number]; scale: number } {
  const m = Math.abs(x);
  const s = m === 0 ? 1.0 : pyMax(1e-6, m / 0.832767);
  let q: number;
  try {
    q = clampInt(roundHalfEven((x / s) * 256.0), -32768, 32767);
  } catch (e) {
    throw new StageError(`bridge quantisation: ${(e as Error).message}`, 'the FFN tensors contain NaN or infinite values');
  }
  const sq = clampInt(roundHalfEven(s * 256.0), 1, 32767);
  return { pair: [sq, q], scale: s };
}

/**
 * Reads every row of `t` in chunks (rows r0..r1 each, placed in `folds`' input,
 * valid during `use`), feeding its tensor_bytes to `h` (stored F32 widened by the kernel).
 */
function readAllHashed(t: Tensor, h: Hash, folds: FfnFolds, use: (rows: number, r0: number) => void): void {
  const rowsPerChunk = sinkChunkRows(t);
  for (let r0 = 0; r0 < t.rows; r0 += rowsPerChunk) {
    const r1 = Math.min(t.rows, r0 + rowsPerChunk);
    readRowsHashedInto(t, r0, r1, h, folds);
    use(r1 - r0, r0);
  }
}

/** Feeds tensor_bytes of the named tensors that are present to `h` (no names hashed), stored F32 through `folds`. */
function hashTensors(view: ModelView, names: (string | null)[], h: Hash, folds: FfnFolds): void {
  for (const n of names) {
    if (n === null) continue;
    const t = view.tensors.get(n);
    if (!t) continue;
    if (rawIntoSink(t, folds)) readAllHashed(t, h, folds, () => {}); // widened in the kernel; the rest hash their own bytes
    else t.hashInto(h);
  }
}

/** `useKernel: false` keeps the folds in TypeScript (the path for hosts without the linalg kernel): the same bits. */
export function bridgeRecords(view: ModelView, vocabSize: number, opts: { useKernel?: boolean } = {}): BridgeResult {
  const d = view.dModel;
  const V = bridgeTokens(vocabSize, d);
  const missing = missingBridgeInputs(view);
  if (missing.length) return disabledBridge(missing);
  if (d === 0) throw new StageError('d_model is 0: the bridge folds tokens modulo d_model', 'fix hidden_size in config.json');
  const F = Math.min(V, d); // features that tokens map to
  const ain = new Float64Array(V);
  const aout = new Float64Array(V);
  const seeds: bigint[] = [];
  const D = newSha256();
  for (const layer of view.layers) {
    const b1T = layer.b1 === null ? null : view.tensors.get(layer.b1)!;
    const b2T = layer.b2 === null ? null : view.tensors.get(layer.b2)!;
    const W2 = view.tensors.get(layer.w2)!;
    const W1 = view.tensors.get(layer.w1)!;
    // shapes are checked before any read, in the order the values are used (b1, b2, W2, W1)
    if (b1T) expectVector(b1T, 'FFN_B1');
    if (b2T) expectVector(b2T, 'FFN_B2');
    W2.expectRank(2, 'the bridge (FFN_W2)');
    W1.expectRank(2, 'the bridge (FFN_W1)');

    // layer seed = first64(sha256(tensor_bytes of w_q, w_k, w_v, w_o, w1, w2, b1, b2 if present));
    // the FFN tensors are hashed while their values are read, in that same order
    const lh = newSha256();
    const folds = new FfnFolds(F, W2.rows, opts);
    hashTensors(view, [layer.w_q, layer.w_k, layer.w_v, layer.w_o], lh, folds);
    const hid = W1.rows;
    const cols1 = W1.rowSize;
    readAllHashed(W1, lh, folds, (rows) => folds.addColumns(rows, cols1));
    const total = folds.totals();
    const out = W2.rows;
    const cols2 = W2.rowSize;
    readAllHashed(W2, lh, folds, (rows, r0) => folds.addRowMeans(r0, rows, cols2));
    const avg2 = folds.means();
    const b1 = b1T ? b1T.readRowsHashed(0, b1T.rows, lh) : new Float64Array(0);
    const b2 = b2T ? b2T.readRowsHashed(0, b2T.rows, lh) : new Float64Array(0);
    const ls = first64OfDigest(new Uint8Array(lh.digest()));
    seeds.push(ls);
    const le = new Uint8Array(8);
    new DataView(le.buffer).setBigUint64(0, ls, true);
    D.update(le);

    const hidLen = Math.max(1, hid);
    const outLen = Math.max(1, out);
    const incIn = new Float64Array(F);
    const incOut = new Float64Array(F);
    for (let f = 0; f < F; f++) {
      const a1 = total[f]! / Math.max(1, hid);
      const bias1 = b1.length ? b1[(f % hidLen) % b1.length]! : 0.0;
      const fo = f % outLen;
      const a2 = out ? avg2[fo]! : 0.0;
      const bias2 = b2.length ? b2[fo % b2.length]! : 0.0;
      incIn[f] = a1 + bias1;
      incOut[f] = a2 + bias2;
    }
    for (let t = 0; t < V; t++) {
      const f = t % d;
      ain[t] = ain[t]! + incIn[f]!;
      aout[t] = aout[t]! + incOut[f]!;
    }
  }
  shrinkLinalg(); // a layer with very wide rows grew the kernel: give the memory back
  const gseed = first64OfDigest(new Uint8Array(D.digest()));
  const hubs = new Uint8Array(V * 16);
  const hubView = new DataView(hubs.buffer);
  const qdin = new Int16Array(V * 2);
  const qdout = new Int16Array(V * 2);
  const peers = new Int16Array(V);
  const inScales: number[] = [];
  const outScales: number[] = [];
  const tokenBuf = new Uint8Array(12);
  const tokenView = new DataView(tokenBuf.buffer);
  for (let t = 0; t < V; t++) {
    tokenView.setUint32(0, t, true);
    tokenView.setFloat32(4, checkF32(ain[t]!, 'bridge input aggregate', F32_HINT), true);
    tokenView.setFloat32(8, checkF32(aout[t]!, 'bridge output aggregate', F32_HINT), true);
    const ts = first64(tokenBuf);
    const prng = new SplitMix64(gseed ^ ts);
    for (let w = 0; w < 2; w++) {
      prng.nextHalves();
      hubView.setUint32(t * 16 + w * 8, prng.outLo, true);
      hubView.setUint32(t * 16 + w * 8 + 4, prng.outHi, true);
    }
    const qi = q88(ain[t]!);
    const qo = q88(aout[t]!);
    qdin[2 * t] = qi.pair[0];
    qdin[2 * t + 1] = qi.pair[1];
    qdout[2 * t] = qo.pair[0];
    qdout[2 * t + 1] = qo.pair[1];
    inScales.push(qi.scale);
    outScales.push(qo.scale);
    prng.nextHalves();
    // (next() >> 8) & 0xFF: bits 8..15 of the low half
    const jitter = ((prng.outLo >>> 8) & 0xff) / 512.0 - 0.25;
    peers[t] = clampInt(roundHalfEven((0.5 + jitter) * 256.0), -32768, 32767);
  }
  return {
    enabled: true,
    legs: BRIDGE_LEGS,
    arrays: bridgeArrays(V, hubs, qdin, qdout, peers),
    metadata: dict({
      enabled: true, status: 'enabled', mode: 'on', in_scales: inScales, out_scales: outScales,
      seed: gseed, legs: int(BRIDGE_LEGS), layer_seeds: seeds as PyValue[],
    }),
  };
}

// ---- shapes (the dry run, pipeline/plan.ts, plans the bridge with these) ----

/** Tokens the bridge covers: the vocabulary, else d_model, else 16. */
export function bridgeTokens(vocabSize: number, dModel: number): number {
  return Math.max(1, vocabSize || dModel || 16);
}

/** The legs of an enabled bridge (in and out; the MoE bridge's too). */
export const BRIDGE_LEGS = 2;

/** The legs bridgeRecords will report for `view`: known before it runs (a disabled bridge has none). */
export function referenceBridgeLegs(view: Pick<ModelView, 'layers' | 'tensors'>): number {
  return missingBridgeInputs(view).length ? 0 : BRIDGE_LEGS;
}

/** FFN tensors the layers name that the checkpoint lacks, sorted (any one disables the bridge). */
export function missingBridgeInputs(view: Pick<ModelView, 'layers' | 'tensors'>): string[] {
  const missing = new Set<string>();
  for (const l of view.layers) for (const n of [l.w1, l.w2, l.b1, l.b2]) if (n !== null && !view.tensors.has(n)) missing.add(n);
  return [...missing].sort();
}

export function disabledBridge(missing: string[]): BridgeResult {
  return {
    enabled: false, arrays: [], legs: 0,
    metadata: dict({ enabled: false, status: 'disabled', mode: 'off', reason: 'missing_tensors', missing_inputs: missing, legs: int(0) }),
  };
}

/** The four bridge arrays without payloads: [V,16] hub bitsets, q8.8 [V,2] in/out pairs, q8.8 [V] peer scores. */
export function bridgeShapes(V: number): Omit<ArrayOut, 'payload'>[] {
  return [
    { name: 'bridge_hubs', dtype: 'u8', shape: [V, 16] },
    { name: 'bridge_qDin', dtype: 'q8_8', shape: [V, 2] },
    { name: 'bridge_qDout', dtype: 'q8_8', shape: [V, 2] },
    { name: 'peer_scores', dtype: 'q8_8', shape: [V] },
  ];
}
