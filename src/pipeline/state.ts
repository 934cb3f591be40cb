// sera_state.json (FORMAT.md §5): model_config, artefacts, metadata,
// manifest_path and sera_snapshot, written as json.dump(indent=2, sort_keys=True).
import { dict, int, type PyDict, type PyValue } from '../format/pyvalue.js';
import { renderAhead, type Rendered } from '../format/pyjson.js';
import { toHexDigest } from '../format/hash.js';
import type { ParsedConfig } from '../model/config.js';
import type { LayerPlan } from '../model/layer-plan.js';
import type { ArrayRecord } from '../format/array-file.js';

export const optInt = (v: number | null): PyValue => (v === null ? null : int(v));

function modelConfigValue(cfg: ParsedConfig, plan: LayerPlan): PyDict {
  return dict({
    d_model: int(cfg.dModel),
    n_heads: int(plan.nHeads),
    head_dim: int(plan.headDim),
    vocab_size: int(cfg.vocabSize),
    tau: cfg.tau,
    layers: plan.layers.map((l) => dict({ name: l.name, w_q: l.w_q, w_k: l.w_k, w_v: l.w_v, w_o: l.w_o, w1: l.w1, w2: l.w2, b1: l.b1, b2: l.b2 })),
    rope_theta: cfg.ropeTheta,
    num_hidden_layers: int(cfg.numHiddenLayers ?? plan.layers.length),
    num_experts: optInt(cfg.numExperts),
    experts_per_token: optInt(cfg.expertsPerToken),
    intermediate_size: optInt(cfg.intermediateSize),
    swiglu_limit: cfg.swigluLimit,
    num_key_value_heads: optInt(plan.numKeyValueHeads),
    sliding_window: optInt(cfg.slidingWindow),
    initial_context_length: optInt(cfg.initialContextLength),
    rope_scaling_factor: cfg.ropeScalingFactor,
    rope_ntk_alpha: cfg.ropeNtkAlpha,
    rope_ntk_beta: cfg.ropeNtkBeta,
  });
}

/** artefacts[name] = {path, dtype, shape, bytes, sha256} with the final (committed) path. */
function artefactsValue(records: ArrayRecord[], finalPath: (name: string) => string): PyDict {
  const m: PyDict = new Map();
  for (const r of records) {
    m.set(r.name, dict({
      path: finalPath(r.name),
      dtype: r.dtype,
      shape: r.shape.map((d) => int(d)),
      bytes: int(r.bytes),
      sha256: toHexDigest(r.sha256),
    }));
  }
  return m;
}

/** The sera_state.json value; `finalPath` gives the committed path of a file in the package. */
export function stateValue(cfg: ParsedConfig, plan: LayerPlan, records: ArrayRecord[], finalPath: (...rel: string[]) => string,
  metadata: PyDict, snapshot: PyDict): PyDict {
  return dict({
    model_config: modelConfigValue(cfg, plan),
    artefacts: artefactsValue(records, (n) => finalPath('arrays', `${n}.bin`)),
    metadata,
    manifest_path: finalPath('sera_manifest.bin'),
    sera_snapshot: snapshot,
  });
}

/** metadata entries that no stage changes once the collapse and memory stages are done. */
const SETTLED_METADATA = ['tokenizer', 'attention', 'overlays', 'linear', 'memory'];
/** The runtime snapshot's parts other than its metadata (which holds determinism, completed with the manifest digest later). */
const SETTLED_SNAPSHOT = ['config', 'linear_state', 'manifest', 'corrector_state', 'diagnostics'];

/**
 * The settled parts of the state, rendered as writeJsonFile will place them (members
 * of metadata and of sera_snapshot: level 2), for a caller that has time while the
 * bridge worker finishes. Anything not rendered here is rendered when written.
 */
export function renderStateAhead(metadata: PyDict, snapshot: PyDict | null): Rendered {
  const out: Rendered = new Map();
  for (const k of SETTLED_METADATA) renderAhead(out, metadata.get(k) ?? null, 2);
  if (snapshot) for (const k of SETTLED_SNAPSHOT) renderAhead(out, snapshot.get(k) ?? null, 2);
  return out;
}
