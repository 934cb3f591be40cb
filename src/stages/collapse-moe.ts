// FFN collapse for mixture-of-experts layers (GAPS.md §5.4; choices recorded in
// metadata.linear.moe and the README). Keys stay (layer << 32) | j, one weight
// per key. Candidate hidden units are (expert e, unit h < I), flat index e·I + h:
//   prior     π = experts_per_token / num_experts (uniform; it does not change rankings)
//   gate      x = W1[e, 2h, j]       (mlp1/gate_up rows interleave gate, linear)
//   response  r = max(0, min(x, limit)) · (1 + clamp(b1[e, 2h+1], ±limit))
//   score     col_abs[e,h] · |x|      with col_abs = Σ_o |W2[e, o, h]|
//   term      c = π · sign(Σ_o W2[e, o, h]) · r
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
function biasValues(view: ModelView, name: string | null, n: number): Float64Array {
  if (name === null) return new Float64Array(n);
  const t = view.tensors.get(name)!;
  return t.readFlat(0, t.size);
}

export function collapseMoe(view: ModelView, moe: MoeInfo, opts: MoeCollapseOptions): CollapseResult & { keyWeights: Float64Array } {
  const { experts: E, intermediate: I, hidden: H } = moe;
  const d = view.dModel;
  const L = opts.topL;
  const units = E * I;
  if (L < 0 || (L > MAX_TOP_L && L < units)) {
    throw new StageError(`--topL ${L} is outside 0..${MAX_TOP_L} for a mixture-of-experts checkpoint`,
      `use --topL between 0 and ${MAX_TOP_L} (the gpt-oss profile uses 12)`);
  }
  const k = opts.expertsPerToken ?? 1;
  const prior = k / E;
  const limit = opts.swigluLimit ?? Infinity;
  const R = RESIDUALS_PER_KEY;
  const keep = Math.min(L, units);
  const resCap = keep + R;

  const keys = new BigUint64Array(view.layers.length * d);
  const weights = new Float64Array(keys.length);
  const records = new Records();
  let bias = 0.0;
  let dropped = 0;
  let nk = 0;

  // per-key selection state, reused across layers
  const topS = new Float64Array(d * Math.max(1, keep));
  const topU = new Int32Array(d * Math.max(1, keep));
  const topC = new Float64Array(d * Math.max(1, keep));
  const topN = new Int32Array(d);
  const resA = new Float64Array(d * resCap);
  const resU = new Int32Array(d * resCap);
  const resC = new Float64Array(d * resCap);
  const resN = new Int32Array(d);
  const nonzero = new Float64Array(d);

  view.layers.forEach((layer, li) => {
    const W1 = view.tensors.get(layer.w1)! as Tensor;
    const W2 = view.tensors.get(layer.w2)! as Tensor;
    const b1 = biasValues(view, layer.b1, E * 2 * I);
    const b2 = biasValues(view, layer.b2, E * H);

    // bias: expert ascending, elements ascending, Python sum semantics
    const terms = new Float64Array(E);
    const relu = new Float64Array(I);
    for (let e = 0; e < E; e++) {
      for (let h = 0; h < I; h++) relu[h] = pyMax(0.0, b1[e * 2 * I + 2 * h]!);
      terms[e] = prior * (psum(b2, e * H, (e + 1) * H) + psum(relu));
    }
    bias += psum(terms);

    // W2 column statistics per unit (rows o ascending)
    const sgn = new Float64Array(units);
    const cab = new Float64Array(units);
    const rowsPerChunk = Math.max(1, Math.floor(CHUNK_VALUES / I));
    for (let e = 0; e < E; e++) {
      for (let o0 = 0; o0 < H; o0 += rowsPerChunk) {
        const o1 = Math.min(H, o0 + rowsPerChunk);
        const v = W2.readFlat((e * H + o0) * I, (o1 - o0) * I);
        for (let o = 0; o < o1 - o0; o++) {
          const base = o * I;
          for (let h = 0; h < I; h++) {
            const x = v[base + h]!;
            sgn[e * I + h] = sgn[e * I + h]! + x;
            cab[e * I + h] = cab[e * I + h]! + Math.abs(x);
          }
        }
      }
    }

    topN.fill(0);
    resN.fill(0);
    nonzero.fill(0);
    // gate rows, expert by expert, unit order = flat index order (so ties keep the earlier unit)
    const pairsPerChunk = Math.max(1, Math.floor(CHUNK_VALUES / (2 * H)));
    for (let e = 0; e < E; e++) {
      for (let h0 = 0; h0 < I; h0 += pairsPerChunk) {
        const h1 = Math.min(I, h0 + pairsPerChunk);
        const v = W1.readFlat((e * 2 * I + 2 * h0) * H, (h1 - h0) * 2 * H);
        for (let h = h0; h < h1; h++) {
          const u = e * I + h;
          const row = (h - h0) * 2 * H; // gate row 2h; the linear row 2h+1 only enters through its bias
          const lin = 1 + pyMax(-limit, pyMin(b1[e * 2 * I + 2 * h + 1]!, limit));
          const scale = prior * sign(sgn[u]!);
          const ca = cab[u]!;
          for (let j = 0; j < d; j++) {
            const x = v[row + j]!;
            const c = scale * (pyMax(0.0, pyMin(x, limit)) * lin);
            if (keep > 0) {
              const s = ca * Math.abs(x);
              const n = topN[j]!;
              const base = j * keep;
              if (n < keep || s > topS[base + keep - 1]!) {
                let p = n < keep ? n : keep - 1;
                while (p > 0 && s > topS[base + p - 1]!) {
                  topS[base + p] = topS[base + p - 1]!;
                  topU[base + p] = topU[base + p - 1]!;
                  topC[base + p] = topC[base + p - 1]!;
                  p--;
                }
                topS[base + p] = s;
                topU[base + p] = u;
                topC[base + p] = c;
                if (n < keep) topN[j] = n + 1;
              }
            }
            const a = Math.abs(c);
            if (a > 0) {
              nonzero[j] = nonzero[j]! + 1;
              const n = resN[j]!;
              const base = j * resCap;
              if (n < resCap || a > resA[base + resCap - 1]!) {
                let p = n < resCap ? n : resCap - 1;
                while (p > 0 && a > resA[base + p - 1]!) {
                  resA[base + p] = resA[base + p - 1]!;
                  resU[base + p] = resU[base + p - 1]!;
                  resC[base + p] = resC[base + p - 1]!;
                  p--;
                }
                resA[base + p] = a;
                resU[base + p] = u;
                resC[base + p] = c;
                if (n < resCap) resN[j] = n + 1;
              }
            }
          }
        }
      }
    }

    // finish each key: weight from the ranked top units (unit order when every unit is kept,
    // as the reference's top_indices does), bounded residuals in unit order
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
      keys[nk] = (BigInt(li) << 32n) | BigInt(j);
      weights[nk++] = effect;
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
  });

  const res = linearArtefacts(keys.subarray(0, nk), weights.subarray(0, nk), records, bias);
  res.metadata.set('moe', dict({
    rule: 'sera-transfer-moe-v1',
    num_experts: int(E),
    intermediate: int(I),
    experts_per_token: int(k),
    prior: prior,
    swiglu_limit: opts.swigluLimit,
    gate_rows: 'interleaved-even',
    score: 'col_abs(W2[e,:,h]) * |W1[e,2h,j]|',
    response: 'relu(min(W1[e,2h,j], limit)) * (1 + clamp(b1[e,2h+1], +-limit))',
    residuals_per_key: int(R),
    residuals_dropped: int(dropped),
  }));
  return { ...res, keyWeights: weights.subarray(0, nk) };
}
