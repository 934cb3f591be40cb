// Bridge records for mixture-of-experts checkpoints (design spec §12; choices in
// metadata.bridge.rule and the README). Same arrays and shapes as the reference:
//   surrogate  s_j = Σ_layers weight(layer, j)       (the collapsed linear weights)
//   aggregates ain[t] = (Σ_j emb[t,j]·s_j)/H, aout[t] likewise with the unembedding
//              (the embedding when untied weights are absent; s_{t mod H} without either)
//   hubs       16 bytes = the 128-bit bitset of spec §12.2 (W = 2 legs):
//              bit mix64(t ^ leg, seed) >> 57 for leg 0, 1; seed = first64 of the router norms
//   q8.8       one scale per array: p99(|x|) maps to 0.832767·32767/256 (spec §12.3)
//   peers      64 + byte/2 jitter as the reference, from mix64(t, seed ^ 1)
//   hub_experts per layer: experts ranked by router row L2 norm (spec §12.1), top 16.
import { newSha256, first64OfDigest } from '../format/hash.js';
import { mix64Halves } from '../numeric/splitmix64.js';
import { clampInt, psum, roundHalfEven } from '../numeric/python.js';
import { dict, int, type PyValue } from '../format/pyvalue.js';
import type { ModelView } from './types.js';
import { BRIDGE_LEGS, bridgeArrays, bridgeTokens, type BridgeResult } from './bridge.js';
import type { MoeInfo } from '../model/layer-plan.js';
import { FileTensor } from '../model/tensors.js';
import { dotRowsBf16, moeLoaded } from '../kernels/moe.js';

const ROW_CHUNK = 1024;
const Q_RANGE = (0.832767 * 32767) / 256;

/** Per-token dot products with the surrogate, read in row chunks (BF16 rows in the moe kernel). */
function aggregates(view: ModelView, name: string | null, s: Float64Array, V: number): Float64Array | null {
  if (name === null) return null;
  const t = view.tensors.get(name);
  if (!t || t.rank !== 2 || t.rowSize !== s.length) return null;
  const out = new Float64Array(V);
  const H = s.length;
  const rows = Math.min(V, t.rows);
  if (t instanceof FileTensor && t.dtype === 'BF16' && moeLoaded()) {
    const buf = new Uint8Array(ROW_CHUNK * H * 2);
    for (let r0 = 0; r0 < rows; r0 += ROW_CHUNK) {
      const n = Math.min(rows, r0 + ROW_CHUNK) - r0;
      const raw = t.readRawRows(r0, r0 + n, buf.subarray(0, n * H * 2));
      dotRowsBf16(raw, n, H, s, out, r0);
    }
    return out;
  }
  const buf = new Float64Array(ROW_CHUNK * H);
  for (let r0 = 0; r0 < rows; r0 += ROW_CHUNK) {
    const r1 = Math.min(rows, r0 + ROW_CHUNK);
    const v = t.readRows(r0, r1, buf.subarray(0, (r1 - r0) * H));
    for (let r = r0; r < r1; r++) {
      let acc = 0.0;
      const base = (r - r0) * H;
      for (let j = 0; j < H; j++) acc += v[base + j]! * s[j]!;
      out[r] = acc / H;
    }
  }
  return out;
}

function quantize(x: Float64Array): { q: Int16Array; scale: number } {
  const mags = Float64Array.from(x, Math.abs).sort();
  const p99 = mags.length ? mags[Math.max(0, Math.ceil(0.99 * mags.length) - 1)]! : 0;
  const scale = p99 > 0 && Number.isFinite(p99) ? p99 / Q_RANGE : 1.0;
  const sq = clampInt(roundHalfEven(scale * 256.0), 1, 32767);
  const q = new Int16Array(x.length * 2);
  for (let t = 0; t < x.length; t++) {
    const v = Number.isFinite(x[t]!) ? x[t]! : 0;
    q[2 * t] = sq;
    q[2 * t + 1] = clampInt(roundHalfEven((v * 256.0) / scale), -32768, 32767);
  }
  return { q, scale };
}

export function bridgeMoe(view: ModelView, moe: MoeInfo, keyWeights: Float64Array, vocabSize: number): BridgeResult {
  const H = view.dModel;
  const V = bridgeTokens(vocabSize, H);
  const s = new Float64Array(H);
  for (let l = 0; l < view.layers.length; l++) for (let j = 0; j < H; j++) s[j] = s[j]! + keyWeights[l * H + j]!;

  // router norms → hub experts and the hub seed
  const seedHash = newSha256();
  const hubExperts: PyValue[] = [];
  for (let l = 0; l < view.layers.length; l++) {
    const name = moe.routerW[l];
    const t = name ? view.tensors.get(name) : undefined;
    if (!t) { hubExperts.push([]); continue; }
    const w = t.readAll();
    const norms = new Float64Array(moe.experts);
    const sq = new Float64Array(H);
    for (let e = 0; e < moe.experts; e++) {
      for (let j = 0; j < H; j++) sq[j] = w[e * H + j]! * w[e * H + j]!;
      norms[e] = Math.sqrt(psum(sq));
    }
    seedHash.update(new Uint8Array(norms.buffer));
    const ranked = Array.from({ length: moe.experts }, (_, e) => e).sort((a, b) => (norms[b]! > norms[a]! ? 1 : norms[b]! < norms[a]! ? -1 : a - b));
    hubExperts.push(ranked.slice(0, 16).map((e) => int(e)));
  }
  const seed = first64OfDigest(new Uint8Array(seedHash.digest()));
  const sHi = Number(seed >> 32n);
  const sLo = Number(seed & 0xffffffffn);

  let ain = aggregates(view, moe.embedding, s, V);
  let aout = aggregates(view, moe.unembedding, s, V) ?? ain;
  if (!ain) {
    ain = new Float64Array(V);
    for (let t = 0; t < V; t++) ain[t] = s[t % H]!;
  }
  aout ??= ain;

  const hubs = new Uint8Array(V * 16);
  const peers = new Int16Array(V);
  for (let t = 0; t < V; t++) {
    for (let leg = 0; leg < 2; leg++) {
      const [hi] = mix64Halves(0, (t ^ leg) >>> 0, sHi, sLo);
      const bit = hi >>> 25; // the top 7 bits of the 64-bit hash: log2(128) = 7
      const at = t * 16 + (bit >> 3);
      hubs[at] = hubs[at]! | (1 << (bit & 7));
    }
    const [, lo] = mix64Halves(0, t >>> 0, sHi, (sLo ^ 1) >>> 0);
    const jitter = ((lo >>> 8) & 0xff) / 512.0 - 0.25;
    peers[t] = clampInt(roundHalfEven((0.5 + jitter) * 256.0), -32768, 32767);
  }
  const qi = quantize(ain);
  const qo = quantize(aout);
  return {
    enabled: true,
    legs: BRIDGE_LEGS,
    arrays: bridgeArrays(V, hubs, qi.q, qo.q, peers),
    metadata: dict({
      enabled: true, status: 'enabled', mode: 'on',
      rule: 'sera-transfer-moe-bridge-v1',
      in_scale: qi.scale, out_scale: qo.scale,
      aggregates: moe.embedding ? (moe.unembedding ? 'embedding+unembedding' : 'embedding') : 'surrogate-fold',
      seed, legs: int(BRIDGE_LEGS), hub_bits: int(128),
      hub_experts: hubExperts,
    }),
  };
}
