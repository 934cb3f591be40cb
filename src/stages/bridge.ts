// Bridge records (ALGORITHMS.md §14): per-token aggregates folded from the FFN
// tensors, seeded hub bytes, q8.8 pairs and peer scores. The per-token sums
// depend only on token mod d_model, so they are computed once per feature.
import type { Hash } from 'node:crypto';
import { newSha256, first64, first64OfDigest } from '../format/hash.js';
import { SplitMix64 } from '../numeric/splitmix64.js';
import { clampInt, psum, pyMax, roundHalfEven } from '../numeric/python.js';
import { StageError } from '../errors.js';
import { dict, int, type PyDict, type PyValue } from '../format/pyvalue.js';
import { bytesOf } from '../format/array-file.js';
import { expectVector } from './collapse.js';
import { checkF32, type ArrayOut, type ModelView } from './types.js';
import { ReuseBuffer, type Tensor } from '../model/tensors.js';

export interface BridgeResult {
  enabled: boolean;
  arrays: ArrayOut[];
  metadata: PyDict;
  legs: number;
}

const ROW_CHUNK = 2048;

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

/** Reads every row of `t` in chunks (rows r0..r1 each, decoded into `buf`, valid during `use`), feeding its tensor_bytes to `h`. */
function readAllHashed(t: Tensor, h: Hash, buf: ReuseBuffer, use: (v: Float64Array, r0: number, r1: number) => void): void {
  for (let r0 = 0; r0 < t.rows; r0 += ROW_CHUNK) {
    const r1 = Math.min(t.rows, r0 + ROW_CHUNK);
    use(t.readRowsHashed(r0, r1, h, buf.take((r1 - r0) * t.rowSize)), r0, r1);
  }
}

/** Feeds tensor_bytes of the named tensors that are present to `h` (no names hashed). */
function hashTensors(view: ModelView, names: (string | null)[], h: Hash): void {
  for (const n of names) {
    if (n === null) continue;
    const t = view.tensors.get(n);
    if (t) t.hashInto(h);
  }
}

export function bridgeRecords(view: ModelView, vocabSize: number): BridgeResult {
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
  const buf = new ReuseBuffer();
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
    hashTensors(view, [layer.w_q, layer.w_k, layer.w_v, layer.w_o], lh);
    const hid = W1.rows;
    const cols1 = W1.rowSize;
    const total = new Float64Array(F);
    readAllHashed(W1, lh, buf, (v, r0, r1) => {
      if (cols1 === 0) return;
      for (let r = 0; r < r1 - r0; r++) {
        const base = r * cols1;
        // feature f reads column f mod cols1: f itself when the row covers every feature
        if (cols1 >= F) for (let f = 0; f < F; f++) total[f] = total[f]! + v[base + f]!;
        else for (let f = 0; f < F; f++) total[f] = total[f]! + v[base + (f % cols1)]!;
      }
    });
    const out = W2.rows;
    const cols2 = W2.rowSize;
    const avg2 = new Float64Array(out);
    readAllHashed(W2, lh, buf, (v, r0, r1) => {
      for (let r = r0; r < r1; r++) avg2[r] = psum(v, (r - r0) * cols2, (r - r0 + 1) * cols2) / Math.max(1, cols2);
    });
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
    legs: 2,
    arrays: bridgeArrays(V, hubs, qdin, qdout, peers),
    metadata: dict({
      enabled: true, status: 'enabled', mode: 'on', in_scales: inScales, out_scales: outScales,
      seed: gseed, legs: int(2), layer_seeds: seeds as PyValue[],
    }),
  };
}

// ---- shapes (the dry run, pipeline/plan.ts, plans the bridge with these) ----

/** Tokens the bridge covers: the vocabulary, else d_model, else 16. */
export function bridgeTokens(vocabSize: number, dModel: number): number {
  return Math.max(1, vocabSize || dModel || 16);
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
