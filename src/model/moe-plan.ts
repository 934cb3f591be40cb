// The mixture-of-experts regime (GAPS.md §5, design spec §5.1): when a layer's
// expert FFN weights carry a leading expert dimension (every real gpt-oss
// checkpoint), the router is ROUTER_GATE (never FFN_W1), expert weights and
// biases come from their own role table, and attention roles come from the
// reference table as usual. Dense and 2-D layouts never reach this file.
import { ModelError } from '../errors.js';
import { normalizeToken, roleTable, readRoleFile, parsePatterns, matchRoleSuffix, endsWithTokens, layerName, type RolePattern } from './roles.js';
import type { ParsedConfig } from './config.js';
import type { TensorSet, FileTensor, Tensor } from './tensors.js';
import { Mxfp4Tensor, mxfp4Base } from './mxfp4-tensor.js';
import { infer, applyQkv, mergeModulePrefixes, sortLayers, type LayerPlan, type LayerSpec, type MoeInfo } from './layer-plan.js';

export type MoeRole = 'EXPERT_W1' | 'EXPERT_B1' | 'EXPERT_W2' | 'EXPERT_B2' | 'ROUTER_W' | 'ROUTER_B';
type ModelRole = 'EMB' | 'UNEMB';

interface MoeTable { layer: RolePattern<MoeRole>[]; model: RolePattern<ModelRole>[] }

let table: MoeTable | undefined;

function loadTable(): MoeTable {
  if (table) return table;
  const { path, raw } = readRoleFile(new URL('../../../src/model/roles-moe.json', import.meta.url));
  table = { layer: parsePatterns<MoeRole>(raw.get('layer'), path, "'layer'"), model: parsePatterns<ModelRole>(raw.get('model'), path, "'model'") };
  return table;
}

export interface MoeMatch {
  /** The tensor name, or the MXFP4 base name (without .blocks/.scales or _blocks/_scales). */
  name: string;
  /** For MXFP4 pairs: the two stored tensors. */
  blocks: string | null;
  scales: string | null;
}

export interface MoeScan {
  layers: Map<string, Map<MoeRole, MoeMatch>>;
  embedding: string | null;
  unembedding: string | null;
}

/** Decoded rank of an expert weight (MXFP4 blocks lose their last dimension and merge groups). */
function decodedRank(m: MoeMatch, tensors: TensorSet): number {
  if (m.blocks) return (tensors.shape(m.blocks)?.length ?? 0) - 1;
  return tensors.shape(m.name)?.length ?? 0;
}

/** Finds expert roles by name; returns null unless some layer's W1 is expert-shaped. */
export function scanMoe(tensors: TensorSet): MoeScan | null {
  const t = loadTable();
  const layers = new Map<string, Map<MoeRole, MoeMatch>>();
  let embedding: string | null = null;
  let unembedding: string | null = null;
  for (const name of tensors.names()) {
    const mx = mxfp4Base(name);
    const base = mx ? mx.base : name;
    const parts = base.split('.');
    const norm = parts.map(normalizeToken);
    let hit = false;
    for (const p of t.layer) {
      const prefix = matchRoleSuffix(parts, norm, p.tokens);
      if (!prefix) continue;
      let roles = layers.get(prefix);
      if (!roles) layers.set(prefix, (roles = new Map()));
      const existing = roles.get(p.role);
      if (!existing) {
        roles.set(p.role, mx
          ? { name: base, blocks: `${base}${mx.sep}blocks`, scales: `${base}${mx.sep}scales` }
          : { name, blocks: null, scales: null });
      } else if (existing.name !== base) {
        throw new ModelError(`two tensors claim ${p.role} of layer '${prefix}': '${existing.name}' and '${base}'`,
          'the MoE role table (src/model/roles-moe.json) must map one tensor per role and layer');
      }
      hit = true;
      break;
    }
    if (hit || mx) continue;
    for (const p of t.model) {
      if (!endsWithTokens(norm, p.tokens)) continue;
      if (p.role === 'EMB') embedding ??= name;
      else unembedding ??= name;
      break;
    }
  }
  const expertShaped = [...layers.values()].some((r) => {
    const w1 = r.get('EXPERT_W1');
    return w1 !== undefined && decodedRank(w1, tensors) >= 3;
  });
  return expertShaped ? { layers, embedding, unembedding } : null;
}

function expertTensor(m: MoeMatch, tensors: TensorSet, role: string, layer: string): Tensor {
  if (m.blocks && m.scales) {
    const b = tensors.get(m.blocks);
    const s = tensors.get(m.scales);
    if (!b || !s) {
      throw new ModelError(`Unable to decode MXFP4 tensors for ${role} of layer '${layer}'; expected both '${m.blocks}' and '${m.scales}'`,
        'MXFP4 weights need both the blocks and the scales tensor');
    }
    const t = new Mxfp4Tensor(m.name, b as FileTensor, s as FileTensor);
    tensors.set(m.name, t);
    return t;
  }
  const t = tensors.get(m.name);
  if (!t) throw new ModelError(`tensor '${m.name}' (${role} of layer '${layer}') is not in the checkpoint`);
  return t;
}

function shapeError(t: Tensor, what: string, want: string): ModelError {
  return new ModelError(`${t.label}: ${what} must be ${want}, found [${t.shape.join(', ')}]`,
    'check that the checkpoint is a complete mixture-of-experts model (gpt-oss layout)');
}

/**
 * The MoE layers and facts; records its rules, ignored tensors and MXFP4 decoder in `plan`.
 * planLayers() then runs the steps every regime shares (fused QKV, head count, layer count).
 */
export function planMoe(cfg: ParsedConfig, tensors: TensorSet, scan: MoeScan, plan: LayerPlan): { layers: LayerSpec[]; moe: MoeInfo } {
  plan.regime = 'moe';
  plan.deviations.push('moe-expert-path');
  const refTable = roleTable(cfg.family);
  const names = tensors.names();
  const moeNames = new Set<string>();
  for (const roles of scan.layers.values()) for (const m of roles.values()) {
    moeNames.add(m.name);
    if (m.blocks) moeNames.add(m.blocks);
    if (m.scales) moeNames.add(m.scales);
  }
  // attention roles from the reference table, over the non-expert tensors
  const attnNames = names.filter((n) => !moeNames.has(n));
  const expectedProj = cfg.nHeads * cfg.headDim;
  const attention = (shapeCheck: boolean) => {
    const inf = infer(attnNames, tensors, refTable, expectedProj, shapeCheck);
    const map = applyQkv(inf);
    mergeModulePrefixes(map);
    return { inf, map };
  };
  const need = ['W_Q', 'W_K', 'W_V', 'W_O'] as const;
  const complete = (m: ReturnType<typeof attention>['map']) => [...scan.layers.keys()].every((p) => need.every((r) => m.get(p)?.has(r)));
  let { inf, map } = attention(true);
  if (!complete(map)) {
    const relaxed = attention(false);
    if (complete(relaxed.map)) {
      ({ inf, map } = relaxed);
      plan.deviations.push('tensor-shapes-over-config');
    }
  }
  const layersOut: LayerSpec[] = [];
  const routerW: (string | null)[] = [];
  const routerB: (string | null)[] = [];
  let dims: { E: number; I2: number; H: number } | null = null;
  for (const [prefix, roles] of sortLayers(scan.layers)) {
    const attn = map.get(prefix);
    const missing = need.filter((r) => !attn?.has(r));
    if (missing.length) {
      throw new ModelError(`Unable to infer attention tensors for MoE layer '${prefix}'; missing roles: ${missing.join(', ')}`,
        'the checkpoint must hold Q/K/V (or fused QKV) and O projections for every layer');
    }
    const w1m = roles.get('EXPERT_W1');
    const w2m = roles.get('EXPERT_W2');
    if (!w1m || !w2m) {
      throw new ModelError(`MoE layer '${prefix}' lacks ${!w1m ? 'the expert input weights (mlp1 / gate_up_proj)' : 'the expert output weights (mlp2 / down_proj)'}`,
        'a mixture-of-experts layer needs both expert weight tensors');
    }
    const w1 = expertTensor(w1m, tensors, 'EXPERT_W1', prefix);
    const w2 = expertTensor(w2m, tensors, 'EXPERT_W2', prefix);
    if (w1.rank !== 3) throw shapeError(w1, 'expert W1 (decoded)', '[experts, 2*intermediate, hidden]');
    const [E, I2, H] = w1.shape as [number, number, number];
    if (I2 % 2 !== 0) throw shapeError(w1, 'expert W1', 'an even number of rows per expert (interleaved gate/linear)');
    if (w2.rank !== 3 || w2.shape[0] !== E || w2.shape[1] !== H || w2.shape[2] !== I2 / 2) {
      throw shapeError(w2, 'expert W2 (decoded)', `[${E}, ${H}, ${I2 / 2}]`);
    }
    if (dims && (dims.E !== E || dims.I2 !== I2 || dims.H !== H)) throw shapeError(w1, 'every layer\'s expert W1', `[${dims.E}, ${dims.I2}, ${dims.H}]`);
    dims = { E, I2, H };
    const opt = (role: MoeRole, lengths: number[][]): string | null => {
      const m = roles.get(role);
      if (!m) return null;
      const t = expertTensor(m, tensors, role, prefix);
      if (!lengths.some((s) => s.length === t.rank && s.every((d, i) => d === t.shape[i]))) {
        throw shapeError(t, role, lengths.map((s) => `[${s.join(', ')}]`).join(' or '));
      }
      return m.name;
    };
    const b1 = opt('EXPERT_B1', [[E, I2], [E * I2]]);
    const b2 = opt('EXPERT_B2', [[E, H], [E * H]]);
    routerW.push(opt('ROUTER_W', [[E, H]]));
    routerB.push(opt('ROUTER_B', [[E]]));
    layersOut.push({
      name: layerName(prefix),
      w_q: attn!.get('W_Q')!, w_k: attn!.get('W_K')!, w_v: attn!.get('W_V')!, w_o: attn!.get('W_O')!,
      w1: w1m.name, w2: w2m.name, b1, b2,
    });
  }
  if (!dims) throw new ModelError('No mixture-of-experts layers found');
  if (dims.H !== cfg.dModel) {
    throw new ModelError(`expert weights read ${dims.H} features but config.json says hidden_size ${cfg.dModel}`,
      'the config does not belong to these weights; check --source');
  }
  // tensors that look like layer weights and map to no role are listed, not fatal
  const mapped = new Set<string>([...moeNames, ...layersOut.flatMap((l) => [l.w_q, l.w_k, l.w_v, l.w_o])]);
  if (scan.embedding) mapped.add(scan.embedding);
  if (scan.unembedding) mapped.add(scan.unembedding);
  plan.ignored.push(...inf.unmatched.filter((n) => !mapped.has(n)));
  if (plan.ignored.length) plan.deviations.push('ignore-unmatched-tensors');
  if (!plan.mxfp4Backends.length && layersOut.some((l) => tensors.get(l.w1) instanceof Mxfp4Tensor)) plan.mxfp4Backends.push('wasm');
  return {
    layers: layersOut,
    moe: { experts: dims.E, intermediate: dims.I2 / 2, hidden: dims.H, routerW, routerB, embedding: scan.embedding, unembedding: scan.unembedding },
  };
}
