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
import { psum, pyMax, pyMin, sign } from '../numeric/python.js';
import { StageError } from '../errors.js';
import { dict, int, type PyDict } from '../format/pyvalue.js';
import { Records, linearArtefacts, type CollapseResult } from './collapse.js';
import type { ModelView } from './types.js';
import type { MoeInfo } from '../model/layer-plan.js';
import type { Tensor } from '../model/tensors.js';
import { Mxfp4Tensor } from '../model/mxfp4-tensor.js';
import { MoeScanner } from '../kernels/moe.js';

/** The design spec's cuckoo relocation limit, used as the per-key residual bound. */
export const RESIDUALS_PER_KEY = 8;
const MAX_TOP_L = 64;
const CHUNK_VALUES = 1 << 22;

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
  /** Residual records (16 bytes each, keys (layer << 32) | j) in (j, unit) order; copied once, by combineMoeLayers. */
  records: Uint8Array;
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

  // the selection state and the per-unit column statistics live in the moe kernel
  const rowsPerChunk = Math.max(1, Math.floor(CHUNK_VALUES / Math.max(I, H)));
  const mx = (t: Tensor): t is Mxfp4Tensor => t instanceof Mxfp4Tensor && t.groupBytes === 16;
  const inputBytes = rowsPerChunk * Math.max(I, H) * (mx(W1) && mx(W2) ? 1 : 8) + 4096;
  const sc = new MoeScanner(d, keep, resCap, units, Math.max(I, H), rowsPerChunk, inputBytes);

  // W2 column statistics per unit (rows o ascending); f64 rows are read straight into the kernel's input
  for (let e = 0; e < E; e++) {
    for (let o0 = 0; o0 < H; o0 += rowsPerChunk) {
      const n = Math.min(H, o0 + rowsPerChunk) - o0;
      if (mx(W2)) {
        const raw = W2.rawRows(e * H + o0, n, 1);
        sc.colStatsMxfp4(raw.blocks, raw.scales, n, W2.rowGroups, e * I);
      } else {
        readRows(W2, e * H + o0, n, 1, I, sc.inputF64(n * I));
        sc.colStatsF64(n, I, e * I);
      }
    }
  }
  const sgn = sc.sgn.slice();
  const cab = sc.cab.slice();

  // gate rows, expert by expert, unit order = flat index order (so ties keep the earlier unit)
  const kf = new Float64Array(rowsPerChunk);
  const ca = new Float64Array(rowsPerChunk);
  for (let e = 0; e < E; e++) {
    for (let h0 = 0; h0 < I; h0 += rowsPerChunk) {
      const n = Math.min(I, h0 + rowsPerChunk) - h0;
      for (let i = 0; i < n; i++) {
        const u = e * I + h0 + i;
        const lb = b1[e * 2 * I + 2 * (h0 + i) + 1]!;
        kf[i] = prior * sign(sgn[u]!) * (1 + pyMax(-limit, pyMin(lb, limit)));
        ca[i] = cab[u]!;
      }
      // gate rows 2h; the linear rows 2h+1 enter through their bias only
      if (mx(W1)) {
        const raw = W1.rawRows(e * 2 * I + 2 * h0, n, 2);
        sc.scanMxfp4(raw.blocks, raw.scales, n, W1.rowGroups, e * I + h0, kf, ca, limit);
      } else {
        readRows(W1, e * 2 * I + 2 * h0, n, 2, H, sc.inputF64(n * H));
        sc.scanF64(n, e * I + h0, kf, ca, limit);
      }
    }
  }

  // finish each key: weight from the ranked top units (unit order when every unit is kept,
  // as the reference's top_indices does), bounded residuals in unit order
  const topU = sc.topU.slice(), topC = sc.topC.slice(), topN = sc.topN.slice();
  const resU = sc.resU.slice(), resC = sc.resC.slice(), resN = sc.resN.slice(), nonzero = sc.nonzero.slice();
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
  return { weights, records: records.bytes(), bias, dropped };
}

/** Layer inputs from the plan's tensor names. */
export function moeLayerInputs(view: ModelView): MoeLayerInput[] {
  return view.layers.map((l) => ({
    W1: view.tensors.get(l.w1)!,
    W2: view.tensors.get(l.w2)!,
    B1: l.b1 === null ? null : view.tensors.get(l.b1)!,
    B2: l.b2 === null ? null : view.tensors.get(l.b2)!,
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
  res.metadata.set('moe', moeMetadata(p, opts, dropped));
  return { ...res, keyWeights: weights };
}

/** Single-threaded form (small models, and the reference for the parallel form). */
export function collapseMoe(view: ModelView, moe: MoeInfo, opts: MoeCollapseOptions): CollapseResult & { keyWeights: Float64Array } {
  const p = checkMoeParams(moe, view.dModel, opts);
  const outs = moeLayerInputs(view).map((inp, li) => collapseMoeLayer(inp, li, p));
  return combineMoeLayers(outs, p, opts);
}

/** Rows first, first+stride, … (each `width` values) of a 3-D expert tensor, as doubles. */
function readRows(t: Tensor, first: number, count: number, stride: number, width: number, out: Float64Array): void {
  if (t instanceof Mxfp4Tensor) {
    t.decodeRowsInto(first, count, stride, out);
    return;
  }
  if (stride === 1) {
    t.readFlat(first * width, count * width, out.subarray(0, count * width));
    return;
  }
  // row by row: the rows in between (the linear rows of W1) are neither read nor decoded
  for (let i = 0; i < count; i++) t.readFlat((first + i * stride) * width, width, out.subarray(i * width, (i + 1) * width));
}

/** metadata.linear.moe (the dry run builds it too, with an estimated `dropped`). */
export function moeMetadata(p: MoeParams, opts: MoeCollapseOptions, dropped: number): PyDict {
  return dict({
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
  });
}
