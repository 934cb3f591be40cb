// FFN collapse for mixture-of-experts layers (GAPS.md §5.4; choices recorded in
// metadata.linear.moe and the README). Keys stay (layer << 32) | j, one weight
// per key. Candidate hidden units are (expert e, unit h < I), flat index e·I + h:
//   prior     π = experts_per_token / num_experts (uniform; it does not change rankings)
//   gate      x = W1[e, 2h, j]       (mlp1/gate_up rows interleave gate, linear)
//   response  r = max(0, min(x, limit))
//   score     col_abs[e,h] · |x|      with col_abs = Σ_o |W2[e, o, h]|
//   term      c = (π · sign(Σ_o W2[e, o, h]) · (1 + clamp(b1[e, 2h+1], ±limit))) · r
//             (the SwiGLU linear branch at zero input scales the gate's response)
// The weight is the naive sum of c over the top-L units (score descending, ties
// by flat index); the other units with c ≠ 0 are residuals, of which at most
// RESIDUALS_PER_KEY per key are kept (largest |c|, ties by flat index), in unit
// order. bias = Σ_layers psum_e π·(psum_o b2[e,o] + psum_h relu(b1[e,2h])).
import { psum, pyMax, pyMin } from '../numeric/python.js';
import { StageError } from '../errors.js';
import { dict, int } from '../format/pyvalue.js';
import { Records, linearArtefacts, type CollapseResult } from './collapse.js';
import type { ModelView } from './types.js';
import type { MoeInfo } from '../model/layer-plan.js';
import type { Tensor } from '../model/tensors.js';
import { Mxfp4Tensor } from '../model/mxfp4-tensor.js';

/** The design spec's cuckoo relocation limit, used as the per-key residual bound. */
export const RESIDUALS_PER_KEY = 8;
const MAX_TOP_L = 64;
const CHUNK_VALUES = 1 << 22;

function sign(x: number): number {
  return x > 0 ? 1.0 : x < 0 ? -1.0 : 0.0;
}

export interface MoeCollapseOptions {
  topL: number;
  expertsPerToken: number | null;
  swigluLimit: number | null;
}

/** Values of an optional bias as [E, n] (a flat [E·n] vector is accepted too). */
function biasValues(t: Tensor | null, n: number): Float64Array {
  return t ? t.readFlat(0, t.size) : new Float64Array(n);
}

/** What one layer needs: its tensors and the collapse parameters. */
export interface MoeLayerInput {
  W1: Tensor;
  W2: Tensor;
  B1: Tensor | null;
  B2: Tensor | null;
}

export interface MoeParams {
  E: number;
  I: number;
  H: number;
  d: number;
  L: number;
  prior: number;
  limit: number;
}

/** One layer's share of the linear stage (combined in layer order by the caller). */
export interface MoeLayerOutput {
  /** Collapsed weight per feature j (keys (layer << 32) | j). */
  weights: Float64Array;
  /** Residual records (16 bytes each) in (j, unit) order; the key's high word is filled by the caller. */
  records: Records;
  /** psum over experts of π·(psum b2 + psum relu(b1 gate)). */
  bias: number;
  dropped: number;
}

export function checkMoeParams(moe: MoeInfo, d: number, opts: MoeCollapseOptions): MoeParams {
  const L = opts.topL;
  const units = moe.experts * moe.intermediate;
  if (L < 0 || (L > MAX_TOP_L && L < units)) {
    throw new StageError(`--topL ${L} is outside 0..${MAX_TOP_L} for a mixture-of-experts checkpoint`,
      `use --topL between 0 and ${MAX_TOP_L} (the gpt-oss profile uses 12)`);
  }
  const k = opts.expertsPerToken ?? 1;
  return { E: moe.experts, I: moe.intermediate, H: moe.hidden, d, L, prior: k / moe.experts, limit: opts.swigluLimit ?? Infinity };
}

/** The collapse of one MoE layer (see the header comment for the rule). */
export function collapseMoeLayer(input: MoeLayerInput, li: number, p: MoeParams): MoeLayerOutput {
  const { E, I, H, d, L, prior, limit } = p;
  const units = E * I;
  const R = RESIDUALS_PER_KEY;
  const keep = Math.min(L, units);
  const resCap = keep + R;
  const { W1, W2 } = input;
  const b1 = biasValues(input.B1, E * 2 * I);
  const b2 = biasValues(input.B2, E * H);

  // bias: expert ascending, elements ascending, Python sum semantics
  const terms = new Float64Array(E);
  const relu = new Float64Array(I);
  for (let e = 0; e < E; e++) {
    for (let h = 0; h < I; h++) relu[h] = pyMax(0.0, b1[e * 2 * I + 2 * h]!);
    terms[e] = prior * (psum(b2, e * H, (e + 1) * H) + psum(relu));
  }
  const bias = psum(terms);

  // W2 column statistics per unit (rows o ascending)
  const sgn = new Float64Array(units);
  const cab = new Float64Array(units);
  const rowsPerChunk = Math.max(1, Math.floor(CHUNK_VALUES / I));
  const w2buf = new Float64Array(Math.min(H, rowsPerChunk) * I);
  for (let e = 0; e < E; e++) {
    for (let o0 = 0; o0 < H; o0 += rowsPerChunk) {
      const o1 = Math.min(H, o0 + rowsPerChunk);
      readRows(W2, e * H + o0, o1 - o0, 1, I, w2buf);
      columnStats(w2buf, o1 - o0, I, sgn, cab, e * I);
    }
  }

  const sel: Selection = {
    keep, resCap,
    thr: new Float64Array(d).fill(-Infinity), rthr: new Float64Array(d),
    topS: new Float64Array(d * Math.max(1, keep)), topU: new Int32Array(d * Math.max(1, keep)),
    topC: new Float64Array(d * Math.max(1, keep)), topN: new Int32Array(d),
    resA: new Float64Array(d * resCap), resU: new Int32Array(d * resCap), resC: new Float64Array(d * resCap),
    resN: new Int32Array(d), nonzero: new Int32Array(d),
  };
  // gate rows, expert by expert, unit order = flat index order (so ties keep the earlier unit)
  const pairsPerChunk = Math.max(1, Math.floor(CHUNK_VALUES / H));
  const gate = new Float64Array(Math.min(I, pairsPerChunk) * H);
  for (let e = 0; e < E; e++) {
    for (let h0 = 0; h0 < I; h0 += pairsPerChunk) {
      const h1 = Math.min(I, h0 + pairsPerChunk);
      readRows(W1, e * 2 * I + 2 * h0, h1 - h0, 2, H, gate); // gate rows 2h; linear rows enter through their bias only
      for (let h = h0; h < h1; h++) {
        const u = e * I + h;
        const lb = b1[e * 2 * I + 2 * h + 1]!;
        const lin = 1 + pyMax(-limit, pyMin(lb, limit));
        scanRow(gate, (h - h0) * H, d, u, prior * sign(sgn[u]!) * lin, cab[u]!, limit, sel);
      }
    }
  }

  // finish each key: weight from the ranked top units (unit order when every unit is kept,
  // as the reference's top_indices does), bounded residuals in unit order
  const { topU, topC, topN, resU, resC, resN, nonzero } = sel;
  const weights = new Float64Array(d);
  const records = new Records();
  let dropped = 0;
  const inTop = new Set<number>();
  const kept: { u: number; c: number }[] = [];
  const order: number[] = [];
  for (let j = 0; j < d; j++) {
    inTop.clear();
    const tb = j * keep;
    order.length = 0;
    for (let t = 0; t < topN[j]!; t++) order.push(t);
    if (L >= units) order.sort((a, b) => topU[tb + a]! - topU[tb + b]!);
    let effect = 0.0;
    let topNonzero = 0;
    for (const t of order) {
      effect += topC[tb + t]!;
      inTop.add(topU[tb + t]!);
      if (Math.abs(topC[tb + t]!) > 0) topNonzero++;
    }
    weights[j] = effect;
    kept.length = 0;
    const rb = j * resCap;
    for (let t = 0; t < resN[j]! && kept.length < R; t++) {
      const u = resU[rb + t]!;
      if (!inTop.has(u)) kept.push({ u, c: resC[rb + t]! });
    }
    kept.sort((a, b) => a.u - b.u);
    for (const r of kept) records.push(li, j, r.u, r.c);
    dropped += nonzero[j]! - topNonzero - kept.length;
  }
  return { weights, records, bias, dropped };
}

/** Layer inputs from the plan's tensor names. */
export function moeLayerInputs(view: ModelView): MoeLayerInput[] {
  return view.layers.map((l) => ({
    W1: view.tensors.get(l.w1)! as Tensor,
    W2: view.tensors.get(l.w2)! as Tensor,
    B1: l.b1 === null ? null : (view.tensors.get(l.b1)! as Tensor),
    B2: l.b2 === null ? null : (view.tensors.get(l.b2)! as Tensor),
  }));
}

/**
 * Combines per-layer outputs in layer order: keys (layer << 32) | j, weights,
 * residual records, the bias accumulated layer by layer.
 */
export function combineMoeLayers(outs: MoeLayerOutput[], p: MoeParams, opts: MoeCollapseOptions): CollapseResult & { keyWeights: Float64Array } {
  const { d } = p;
  const keys = new BigUint64Array(outs.length * d);
  const weights = new Float64Array(keys.length);
  const records = new Records();
  let bias = 0.0;
  let dropped = 0;
  outs.forEach((o, li) => {
    for (let j = 0; j < d; j++) {
      keys[li * d + j] = (BigInt(li) << 32n) | BigInt(j);
      weights[li * d + j] = o.weights[j]!;
    }
    records.append(o.records);
    bias += o.bias;
    dropped += o.dropped;
  });
  const res = linearArtefacts(keys, weights, records, bias);
  res.metadata.set('moe', dict({
    rule: 'sera-transfer-moe-v1',
    num_experts: int(p.E),
    intermediate: int(p.I),
    experts_per_token: int(opts.expertsPerToken ?? 1),
    prior: p.prior,
    swiglu_limit: opts.swigluLimit,
    gate_rows: 'interleaved-even',
    score: 'col_abs(W2[e,:,h]) * |W1[e,2h,j]|',
    term: '(prior * sign(sum_o W2[e,o,h]) * (1 + clamp(b1[e,2h+1], +-limit))) * relu(min(W1[e,2h,j], limit))',
    residuals_per_key: int(RESIDUALS_PER_KEY),
    residuals_dropped: int(dropped),
  }));
  return { ...res, keyWeights: weights };
}

/** Single-threaded form (small models, and the reference for the parallel form). */
export function collapseMoe(view: ModelView, moe: MoeInfo, opts: MoeCollapseOptions): CollapseResult & { keyWeights: Float64Array } {
  const p = checkMoeParams(moe, view.dModel, opts);
  const outs = moeLayerInputs(view).map((inp, li) => collapseMoeLayer(inp, li, p));
  return combineMoeLayers(outs, p, opts);
}

interface Selection {
  keep: number;
  resCap: number;
  /** Per key: the score a unit must beat to enter the top (−∞ until the top is full). */
  thr: Float64Array;
  /** Per key: the |term| a unit must beat to become a residual candidate (0 until full). */
  rthr: Float64Array;
  topS: Float64Array;
  topU: Int32Array;
  topC: Float64Array;
  topN: Int32Array;
  resA: Float64Array;
  resU: Int32Array;
  resC: Float64Array;
  resN: Int32Array;
  nonzero: Int32Array;
}

/** Rows first, first+stride, … (each `width` values) of a 3-D expert tensor, as doubles. */
function readRows(t: Tensor, first: number, count: number, stride: number, width: number, out: Float64Array): void {
  if (t instanceof Mxfp4Tensor) {
    t.decodeRowsInto(first, count, stride, out);
    return;
  }
  const span = (count - 1) * stride + 1;
  const v = t.readFlat(first * width, span * width);
  for (let i = 0; i < count; i++) out.set(v.subarray(i * stride * width, (i * stride + 1) * width), i * width);
}

/** sgn[u] += x, cab[u] += |x| over `rows` rows of `cols` (row order = the reference's o order). */
function columnStats(v: Float64Array, rows: number, cols: number, sgn: Float64Array, cab: Float64Array, off: number): void {
  for (let o = 0; o < rows; o++) {
    const base = o * cols;
    for (let h = 0; h < cols; h++) {
      const x = v[base + h]!;
      sgn[off + h] += x;
      cab[off + h] += Math.abs(x);
    }
  }
}

/**
 * Inserts (s, u, c) into key j's list, sorted by s descending; an equal s goes
 * after the entries already there (the earlier unit wins ties). Keeps at most
 * `cap` entries and updates the key's threshold once the list is full.
 */
function insert(S: Float64Array, U: Int32Array, C: Float64Array, N: Int32Array, thr: Float64Array, j: number, cap: number, s: number, u: number, c: number): void {
  const base = j * cap;
  const n = N[j]!;
  let p = n < cap ? n : cap - 1;
  while (p > 0 && s > S[base + p - 1]!) {
    S[base + p] = S[base + p - 1]!;
    U[base + p] = U[base + p - 1]!;
    C[base + p] = C[base + p - 1]!;
    p--;
  }
  S[base + p] = s;
  U[base + p] = u;
  C[base + p] = c;
  if (n < cap) N[j] = n + 1;
  if (n + 1 >= cap) thr[j] = S[base + cap - 1]!;
}

/**
 * One unit's gate row against every key j: the score competes for the key's
 * top-L, the term c = k · max(0, min(x, limit)) for its residual candidates.
 * (A NaN x gives a NaN score and term, which never enter a list or the count:
 * the same as treating it as 0.)
 */
export function _scanRowForBench(...a: Parameters<typeof scanRow>): void { scanRow(...a); }
function scanRow(v: Float64Array, off: number, d: number, u: number, k: number, ca: number, limit: number, sel: Selection): void {
  const { keep, resCap, thr, rthr, topS, topU, topC, topN, resA, resU, resC, resN, nonzero } = sel;
  const kAbs = Math.abs(k);
  for (let j = 0; j < d; j++) {
    const x = v[off + j]!;
    const r = Math.max(Math.min(x, limit), 0);
    if (keep > 0) {
      const s = ca * Math.abs(x);
      if (s > thr[j]!) insert(topS, topU, topC, topN, thr, j, keep, s, u, k * r);
    }
    const a = kAbs * r;
    nonzero[j] += +(a > 0);
    if (a > rthr[j]!) insert(resA, resU, resC, resN, rthr, j, resCap, a, u, k * r);
  }
}
