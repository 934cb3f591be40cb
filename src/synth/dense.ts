// Dense LLaMA-named F32 checkpoints, shaped like the conformance corpus's
// dense_f32 case (the reference converts exactly this tensor set): per layer
// self_attn.{q,k,v,o}_proj.weight, mlp.up_proj.{weight,bias},
// mlp.down_proj.{weight,bias}; no embeddings (the reference's llama role table
// maps no embedding name and aborts on unmatched tensors).
import { dictOf, type PyDict } from '../format/pyvalue.js';
import { BIAS_SIGMA, WEIGHT_SIGMA, type TensorPlan } from './fill.js';

export interface DenseDims {
  layers: number;
  hidden: number;
  intermediate: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  vocab: number;
}

export function denseTensors(d: DenseDims): TensorPlan[] {
  const { hidden: H, intermediate: I } = d;
  const q = d.heads * d.headDim, kv = d.kvHeads * d.headDim;
  const out: TensorPlan[] = [];
  const t = (name: string, shape: number[], key: string, sigma = WEIGHT_SIGMA) =>
    out.push({ name, dtype: 'F32', shape, fill: { kind: 'normal', key, mean: 0, sigma } });
  for (let n = 0; n < d.layers; n++) {
    const p = `model.layers.${n}`, L = `L${n}`;
    t(`${p}.self_attn.q_proj.weight`, [q, H], `${L}.q`);
    t(`${p}.self_attn.k_proj.weight`, [kv, H], `${L}.k`);
    t(`${p}.self_attn.v_proj.weight`, [kv, H], `${L}.v`);
    t(`${p}.self_attn.o_proj.weight`, [H, q], `${L}.o`);
    t(`${p}.mlp.up_proj.weight`, [I, H], `${L}.up.weight`);
    t(`${p}.mlp.up_proj.bias`, [I], `${L}.up.bias`, BIAS_SIGMA);
    t(`${p}.mlp.down_proj.weight`, [H, I], `${L}.down.weight`);
    t(`${p}.mlp.down_proj.bias`, [H], `${L}.down.bias`, BIAS_SIGMA);
  }
  return out;
}

/** config.json in the corpus's dense_f32 style. */
export function denseConfig(d: DenseDims): PyDict {
  return dictOf([
    ['architectures', ['LlamaForCausalLM']],
    ['model_type', 'llama'],
    ['hidden_size', BigInt(d.hidden)],
    ['num_attention_heads', BigInt(d.heads)],
    ['num_key_value_heads', BigInt(d.kvHeads)],
    ['head_dim', BigInt(d.headDim)],
    ['intermediate_size', BigInt(d.intermediate)],
    ['num_hidden_layers', BigInt(d.layers)],
    ['vocab_size', BigInt(d.vocab)],
    ['rope_theta', 10000.0],
    ['rms_norm_eps', 1e-05],
    ['torch_dtype', 'float32'],
  ]);
}
