// Which tensor plays which role in each layer (ALGORITHMS.md §6): the
// reference's suffix matching in header order, fused-QKV splitting and MXFP4
// pairing; plus the design spec's rules where the reference gives up on valid
// input (unmatched tensors ignored, module prefixes merged, tensor shapes over
// config, optional FFN biases), each recorded as a deviation.
import type { ExplicitLayer, ParsedConfig } from './config.js';
import { pyDiv, pyMod } from './config.js';
import { pyRepr } from './pybuiltins.js';
import { roleTable, normalizeToken, isRoleCandidate, matchRoleSuffix, layerName, FUSED_QKV, type Role, type RoleTable } from './roles.js';
import { SliceTensor, type Tensor, type TensorSet, type FileTensor } from './tensors.js';
import { Mxfp4Tensor, mxfp4Base } from './mxfp4-tensor.js';
import { ModelError } from '../errors.js';
import { compareCodePoints } from '../numeric/python.js';
import { scanMoe, planMoe } from './moe-plan.js';

/** A layer's tensor names by role; the biases are null when the checkpoint has none (design spec: optional input, feature off). */
export interface LayerSpec extends Omit<ExplicitLayer, 'b1' | 'b2'> {
  b1: string | null;
  b2: string | null;
}

/** Mixture-of-experts facts (only for the MoE regime). */
export interface MoeInfo {
  experts: number;
  /** Expert hidden units I (W1 has 2I interleaved gate/linear rows). */
  intermediate: number;
  /** Model width H the experts read and write. */
  hidden: number;
  /** Router weight/bias per layer (null when absent). */
  routerW: (string | null)[];
  routerB: (string | null)[];
  embedding: string | null;
  unembedding: string | null;
}

export interface LayerPlan {
  /** 'reference': the reference's 2-D FFN semantics; 'moe': expert-shaped FFN weights (design spec). */
  regime: 'reference' | 'moe';
  moe: MoeInfo | null;
  layers: LayerSpec[];
  /** head_dim after fused-QKV inference. */
  headDim: number;
  numKeyValueHeads: number | null;
  /** n_heads the tensors support (equals the config unless shapes-over-config applied). */
  nHeads: number;
  /** Tensors that look like layer weights but map to no role (ignored, design spec §5.2). */
  ignored: string[];
  /** Design-spec rules applied where the reference would have failed (empty = reference semantics). */
  deviations: string[];
  /** MXFP4 decoders used ('python' = the reference rule, exact doubles). */
  mxfp4Backends: string[];
  warnings: string[];
}

const REQUIRED: Role[] = ['W_Q', 'W_K', 'W_V', 'W_O', 'FFN_W1', 'FFN_W2', 'FFN_B1', 'FFN_B2'];
const QKV_MARKER = '__sera_qkv__';
const ROLE_FILE = 'sera_transfer_roles.json';

export interface Inference {
  layerMap: Map<string, Map<Role, string>>;
  qkv: Map<string, string>;
  unmatched: string[];
  shapeRejected: number;
}

export function shapeAllows(role: Role, shape: readonly number[], expectedProj: number): boolean {
  if (shape.length < 2) return true;
  if (role === 'W_Q' || role === 'W_K' || role === 'W_V' || role === 'W_O') return expectedProj === shape[0] || expectedProj === shape[1];
  return true;
}

export function infer(names: readonly string[], tensors: TensorSet, table: RoleTable, expectedProj: number, shapeCheck: boolean): Inference {
  const layerMap = new Map<string, Map<Role, string>>();
  const qkv = new Map<string, string>();
  const unmatched: string[] = [];
  let shapeRejected = 0;
  for (const name of names) {
    const parts = name.split('.');
    const norm = parts.map(normalizeToken);
    const shape = tensors.shape(name) ?? [];
    let matched = false;
    let rejected = false;
    for (const p of table.patterns) {
      const prefix = matchRoleSuffix(parts, norm, p.tokens);
      if (!prefix) continue;
      if (p.role === FUSED_QKV) {
        if (!qkv.has(prefix)) qkv.set(prefix, name);
        matched = true;
        break;
      }
      if (shapeCheck && !shapeAllows(p.role, shape, expectedProj)) { rejected = true; continue; }
      let roles = layerMap.get(prefix);
      if (!roles) layerMap.set(prefix, (roles = new Map()));
      if (!roles.has(p.role)) roles.set(p.role, name);
      matched = true;
      break;
    }
    if (!matched && isRoleCandidate(norm, table.triggers)) {
      unmatched.push(name);
      if (rejected) shapeRejected++;
    }
  }
  return { layerMap, qkv, unmatched, shapeRejected };
}

/** Adds fused-QKV components where explicit Q/K/V are absent (explicit tensors win). */
export function applyQkv(inf: Inference): Map<string, Map<Role, string>> {
  const map = new Map<string, Map<Role, string>>();
  for (const [p, roles] of inf.layerMap) map.set(p, new Map(roles));
  for (const [prefix, base] of inf.qkv) {
    let roles = map.get(prefix);
    if (!roles) map.set(prefix, (roles = new Map()));
    for (const role of ['W_Q', 'W_K', 'W_V'] as Role[]) if (!roles.has(role)) roles.set(role, `${base}${QKV_MARKER}${role}`);
  }
  return map;
}

function missingRoles(map: Map<string, Map<Role, string>>, optionalBias: boolean): Map<string, Role[]> {
  const out = new Map<string, Role[]>();
  for (const [prefix, roles] of map) {
    const miss = REQUIRED.filter((r) => !roles.has(r) && !(optionalBias && (r === 'FFN_B1' || r === 'FFN_B2'))).sort();
    if (miss.length) out.set(prefix, miss);
  }
  return out;
}

/** Merges a layer prefix into an enclosing one (`model.layers.0.self_attn` into `model.layers.0`). */
export function mergeModulePrefixes(map: Map<string, Map<Role, string>>): boolean {
  let merged = false;
  for (const prefix of [...map.keys()]) {
    const roles = map.get(prefix)!;
    let parent: string | undefined;
    for (const q of map.keys()) {
      if (q !== prefix && prefix.startsWith(q + '.') && (parent === undefined || q.length > parent.length)) parent = q;
    }
    if (parent === undefined) continue;
    const target = map.get(parent)!;
    if ([...roles.keys()].some((r) => target.has(r))) continue; // conflicting roles: not the same layer
    for (const [r, n] of roles) target.set(r, n);
    map.delete(prefix);
    merged = true;
  }
  return merged;
}

function incompleteError(missing: Map<string, Role[]>, family: string): ModelError {
  const details = '{' + [...missing].map(([p, roles]) => `${pyRepr(p)}: [${roles.map(pyRepr).join(', ')}]`).join(', ') + '}';
  return new ModelError(
    `Unable to infer layer configuration from tensors; missing roles: ${details}. Update '${ROLE_FILE}' for model family ` +
    `'${family}' or extend the manifest with the required mappings.`,
    'the checkpoint lacks tensors every layer needs (attention Q/K/V/O and FFN weights); check that --source holds the full model');
}

export function sortLayers<T>(map: Map<string, T>): [string, T][] {
  const key = (p: string): number => {
    const m = /(?:^|\.)(\d+)(?!.*\d)/.exec(p);
    return m ? parseInt(m[1]!, 10) : Infinity;
  };
  return [...map].sort((a, b) => {
    const ka = key(a[0]);
    const kb = key(b[0]);
    if (ka !== kb) return ka < kb ? -1 : 1;
    return compareCodePoints(a[0], b[0]);
  });
}

function inferLayers(cfg: ParsedConfig, tensors: TensorSet, plan: LayerPlan): LayerSpec[] {
  const table = roleTable(cfg.family);
  if (!table.patterns.length) throw new ModelError(`Role manifest for model family '${cfg.family}' does not define any entries`);
  const names = tensors.names();
  const expectedProj = cfg.nHeads * cfg.headDim;
  let inf = infer(names, tensors, table, expectedProj, true);
  let map = applyQkv(inf);
  let missing = missingRoles(map, false);

  if (inf.unmatched.length || missing.size || map.size === 0) {
    // The reference stops here. The design spec: ignore what maps to no role, treat
    // tensor shapes as authoritative, and keep going while every layer is usable.
    if (missing.size && mergeModulePrefixes(map)) {
      plan.deviations.push('merge-module-prefix');
      missing = missingRoles(map, false);
    }
    if (missing.size && inf.shapeRejected > 0) {
      inf = infer(names, tensors, table, expectedProj, false);
      map = applyQkv(inf);
      if (mergeModulePrefixes(map) && !plan.deviations.includes('merge-module-prefix')) plan.deviations.push('merge-module-prefix');
      plan.deviations.push('tensor-shapes-over-config');
      missing = missingRoles(map, false);
    }
    if (missing.size && missingRoles(map, true).size === 0) {
      plan.deviations.push('optional-ffn-bias');
      missing = new Map();
    }
    if (inf.unmatched.length) {
      plan.ignored.push(...inf.unmatched);
      plan.deviations.push('ignore-unmatched-tensors');
    }
    if (missing.size) throw incompleteError(missing, cfg.family);
    if (map.size === 0) {
      throw new ModelError('No transformer layers could be inferred from tensor names',
        'no tensor name matched the role table (src/model/roles.json); check that --source points at a transformer checkpoint');
    }
  }
  return sortLayers(map).map(([prefix, roles]) => ({
    name: layerName(prefix),
    w_q: roles.get('W_Q')!, w_k: roles.get('W_K')!, w_v: roles.get('W_V')!, w_o: roles.get('W_O')!,
    w1: roles.get('FFN_W1')!, w2: roles.get('FFN_W2')!, b1: roles.get('FFN_B1') ?? null, b2: roles.get('FFN_B2') ?? null,
  }));
}

// ---- fused QKV (ALGORITHMS.md §6.2) ----

class SplitFailed extends Error {}

function splitQkv(t: Tensor, base: string, q: number, k: number, v: number): [Tensor, Tensor, Tensor] {
  if (Math.min(q, k, v) <= 0) throw new SplitFailed('Q, K, and V projection dimensions must be positive for split');
  if (t.rank < 2) throw new SplitFailed('QKV tensor must be at least 2D to split into components');
  const [rows, cols] = t.shape as [number, number];
  const total = q + k + v;
  const axis: 0 | 1 | null = rows === total ? 0 : cols === total ? 1 : null;
  if (axis === null) {
    throw new SplitFailed(`Unable to split QKV tensor: expected dimensions compatible with split [${q}, ${k}, ${v}] but received shape (${t.shape.join(', ')}${t.rank === 1 ? ',' : ''})`);
  }
  return [
    new SliceTensor(`${base}${QKV_MARKER}W_Q`, t, axis, 0, q),
    new SliceTensor(`${base}${QKV_MARKER}W_K`, t, axis, q, k),
    new SliceTensor(`${base}${QKV_MARKER}W_V`, t, axis, q + k, v),
  ];
}

function inferSplit(t: Tensor, base: string, dModel: number, nHeads: number, kv: number | null, hint: number | null): [number, number, number, number] | null {
  if (t.rank < 2) return null;
  const dims = [t.shape[0]!, t.shape[1]!];
  const fused = dims.find((d) => d !== dModel) ?? dims[0]!;
  const candidates: number[] = [];
  if (kv !== null && kv > 0) candidates.push(kv);
  const divisors: number[] = [];
  for (let d = 1; d * d <= nHeads; d++) {
    if (nHeads % d === 0) {
      divisors.push(d);
      if (nHeads / d !== d) divisors.push(nHeads / d);
    }
  }
  for (const c of divisors.sort((a, b) => a - b)) if (c > 0 && !candidates.includes(c)) candidates.push(c);
  let fallback: [number, number, number, number] | null = null;
  for (const c of candidates) {
    const tot = nHeads + 2 * c;
    if (tot <= 0 || pyMod(fused, tot) !== 0) continue;
    const h = pyDiv(fused, tot);
    if (h <= 0) continue;
    try {
      splitQkv(t, base, h * nHeads, h * c, h * c);
    } catch (e) {
      if (e instanceof SplitFailed) continue;
      throw e;
    }
    const res: [number, number, number, number] = [h * nHeads, h * c, h, c];
    if (hint === null || h === hint) return res;
    fallback ??= res;
  }
  return fallback;
}

function materializeQkv(layers: LayerSpec[], tensors: TensorSet, cfg: ParsedConfig, plan: LayerPlan): void {
  let kv = plan.numKeyValueHeads;
  let hd: number | null = plan.headDim;
  const cache = new Map<string, Record<string, Tensor>>();
  for (const layer of layers) {
    for (const attr of ['w_q', 'w_k', 'w_v'] as const) {
      const name = layer[attr];
      const at = name.lastIndexOf(QKV_MARKER);
      if (at < 0) continue;
      const base = name.slice(0, at);
      const role = name.slice(at + QKV_MARKER.length);
      let comps = cache.get(base);
      if (!comps) {
        const t = tensors.get(base);
        if (!t) {
          throw new ModelError(`Unable to decode fused QKV tensor; missing source '${base}' for role '${role}'`,
            'the fused QKV tensor named in the layer plan is not in the checkpoint');
        }
        let parts: [Tensor, Tensor, Tensor] | null = null;
        if (kv !== null && kv > 0 && hd !== null && hd > 0) {
          try {
            parts = splitQkv(t, base, cfg.nHeads * hd, kv * hd, kv * hd);
          } catch (e) {
            if (!(e instanceof SplitFailed)) throw e;
          }
        }
        if (!parts) {
          const inf = inferSplit(t, base, cfg.dModel, cfg.nHeads, kv, hd);
          if (!inf) {
            const kvDesc = kv !== null && kv > 0 ? String(kv) : 'unspecified';
            const hdDesc = hd !== null && hd > 0 ? String(hd) : 'unspecified';
            throw new ModelError(
              `Unable to infer fused QKV split for tensor '${base}' with shape (${t.shape.join(', ')}${t.rank === 1 ? ',' : ''}); expected n_heads=${cfg.nHeads}, ` +
              `num_key_value_heads=${kvDesc}, head_dim_hint=${hdDesc}. Update the model config to provide explicit ` +
              'num_key_value_heads/head_dim or separate W_Q/W_K/W_V tensors.',
              'set num_key_value_heads and head_dim in config.json to match the fused QKV tensor');
          }
          const [qd, kvd, h, c] = inf;
          hd = h;
          kv = c;
          parts = splitQkv(t, base, qd, kvd, kvd);
        }
        comps = { W_Q: parts[0], W_K: parts[1], W_V: parts[2] };
        cache.set(base, comps);
      }
      const comp = comps[role];
      if (!comp) throw new ModelError(`Fused QKV tensor did not provide component for role '${role}'`);
      const compName = `${base}${QKV_MARKER}${role}`;
      tensors.set(compName, comp);
      layer[attr] = compName;
    }
  }
  plan.headDim = hd ?? plan.headDim;
  plan.numKeyValueHeads = kv;
}

// ---- MXFP4 pairs (ALGORITHMS.md §6.4) ----

function materializeMxfp4(layers: LayerSpec[], tensors: TensorSet, plan: LayerPlan): void {
  const cache = new Map<string, Tensor>();
  for (const layer of layers) {
    for (const attr of ['w1', 'w2'] as const) {
      const name = layer[attr];
      const m = mxfp4Base(name);
      if (!m || m.sep !== '.') continue; // the reference pairs dotted names only here
      const { base } = m;
      if (!cache.has(base)) {
        const blocks = tensors.get(`${base}.blocks`);
        const scales = tensors.get(`${base}.scales`);
        if (!blocks || !scales) {
          throw new ModelError(`Unable to decode MXFP4 tensors for role '${name}'; expected both '${base}.blocks' and '${base}.scales'`,
            'MXFP4 weights need both the .blocks and the .scales tensor');
        }
        const t = new Mxfp4Tensor(base, blocks as FileTensor, scales as FileTensor);
        cache.set(base, t);
        tensors.set(base, t);
        if (!plan.mxfp4Backends.includes('python')) plan.mxfp4Backends.push('python');
        if ((blocks as FileTensor).shape.length > 2 && !plan.deviations.includes('mxfp4-merge-groups')) plan.deviations.push('mxfp4-merge-groups');
      }
      layer[attr] = base;
    }
  }
}

export function planLayers(cfg: ParsedConfig, tensors: TensorSet): LayerPlan {
  const plan: LayerPlan = {
    regime: 'reference', moe: null, layers: [], headDim: cfg.headDim, numKeyValueHeads: cfg.numKeyValueHeads, nHeads: cfg.nHeads,
    ignored: [], deviations: [], mxfp4Backends: [], warnings: [],
  };
  let layers: LayerSpec[];
  if (cfg.explicitLayers) {
    layers = cfg.explicitLayers.map((l) => ({ ...l }));
  } else {
    const scan = scanMoe(tensors);
    if (scan) {
      const moe = planMoe(cfg, tensors, scan, plan);
      layers = moe.layers;
      plan.moe = moe.moe;
    } else {
      layers = inferLayers(cfg, tensors, plan);
    }
  }
  materializeQkv(layers, tensors, cfg, plan);
  materializeMxfp4(layers, tensors, plan);
  if (plan.deviations.includes('tensor-shapes-over-config')) {
    // the projection width the Q tensors actually have decides the head count
    const q = tensors.get(layers[0]!.w_q);
    if (q && q.rank >= 2 && plan.headDim > 0) {
      const width = q.shape[0] !== cfg.dModel ? q.shape[0]! : q.shape[1]!;
      if (width % plan.headDim === 0) plan.nHeads = width / plan.headDim;
    }
  }
  plan.layers = layers;
  if (cfg.numHiddenLayers !== null && cfg.numHiddenLayers !== layers.length) {
    plan.warnings.push(`Model config reports ${cfg.numHiddenLayers} hidden layers but ${layers.length} were inferred`);
  }
  return plan;
}
