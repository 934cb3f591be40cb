// gpt-oss checkpoints: tensor names, dtypes and shapes of OpenAI's release, in
// its original layout (block.N.*) and in the Hugging Face layout
// (model.layers.N.*), plus both config.json flavours.
//
// Both layouts draw from the same logical streams (keys like `L3.qkv.weight`),
// so an original-layout and an hf-layout checkpoint with the same seed hold the
// same model: q_proj/k_proj/v_proj are the row slices of the fused qkv, router =
// mlp.gate, gate_up_proj_* = mlp1_weight.* (gate/up rows interleaved, as in the
// release), down_proj_* = mlp2_weight.*.
import { dictOf, type PyDict } from '../format/pyvalue.js';
import { BIAS_SIGMA, WEIGHT_SIGMA, type FillSpec, type SynthDtype, type TensorPlan } from './fill.js';

export interface GptOssDims {
  layers: number;
  experts: number;
  expertsPerToken: number;
  hidden: number;
  intermediate: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  vocab: number;
}

export type GptOssLayout = 'original' | 'hf';

/** A normal fill, by default a weight's N(0, WEIGHT_SIGMA); norm scales use mean 1, sigma 0.05. */
const normal = (key: string, sigma = WEIGHT_SIGMA, offset = 0, mean = 0): FillSpec => ({ kind: 'normal', key, mean, sigma, offset });

/** How expert weights are stored: MXFP4 as released, or BF16 (a fine-tune's output, original layout only). */
export type ExpertDtype = 'mxfp4' | 'bf16';

/** Tensors in state-dict order (the order shards are filled in). */
export function gptOssTensors(d: GptOssDims, layout: GptOssLayout, experts: ExpertDtype = 'mxfp4'): TensorPlan[] {
  const { hidden: H, intermediate: I, experts: E, heads, kvHeads, headDim } = d;
  const qRows = heads * headDim, kvRows = kvHeads * headDim;
  const out: TensorPlan[] = [];
  const t = (name: string, dtype: SynthDtype, shape: number[], fill: FillSpec) => out.push({ name, dtype, shape, fill });
  const mx = (key: string, rows: number, cols: number) => ({
    blocks: [[E, rows, cols / 32, 16], { kind: 'uniform-u8', key: `${key}.blocks` }] as const,
    scales: [[E, rows, cols / 32], { kind: 'e8m0', key: `${key}.scales` }] as const,
  });

  if (layout === 'original') {
    t('embedding.weight', 'BF16', [d.vocab, H], normal('embedding'));
    for (let n = 0; n < d.layers; n++) {
      const L = `L${n}`, p = `block.${n}`;
      const m1 = mx(`${L}.mlp1`, 2 * I, H), m2 = mx(`${L}.mlp2`, H, I);
      t(`${p}.attn.norm.scale`, 'BF16', [H], normal(`${L}.attn_norm`, 0.05, 0, 1));
      t(`${p}.attn.qkv.weight`, 'BF16', [qRows + 2 * kvRows, H], normal(`${L}.qkv.weight`));
      t(`${p}.attn.qkv.bias`, 'BF16', [qRows + 2 * kvRows], normal(`${L}.qkv.bias`, BIAS_SIGMA));
      t(`${p}.attn.sinks`, 'BF16', [heads], normal(`${L}.sinks`, 0.5));
      t(`${p}.attn.out.weight`, 'BF16', [H, qRows], normal(`${L}.out.weight`));
      t(`${p}.attn.out.bias`, 'BF16', [H], normal(`${L}.out.bias`, BIAS_SIGMA));
      t(`${p}.mlp.norm.scale`, 'BF16', [H], normal(`${L}.mlp_norm`, 0.05, 0, 1));
      t(`${p}.mlp.gate.weight`, 'BF16', [E, H], normal(`${L}.router.weight`));
      t(`${p}.mlp.gate.bias`, 'BF16', [E], normal(`${L}.router.bias`, BIAS_SIGMA));
      if (experts === 'bf16') t(`${p}.mlp.mlp1_weight`, 'BF16', [E, 2 * I, H], normal(`${L}.mlp1.weight`));
      else {
        t(`${p}.mlp.mlp1_weight.blocks`, 'U8', [...m1.blocks[0]], m1.blocks[1]);
        t(`${p}.mlp.mlp1_weight.scales`, 'U8', [...m1.scales[0]], m1.scales[1]);
      }
      t(`${p}.mlp.mlp1_bias`, 'BF16', [E, 2 * I], normal(`${L}.mlp1.bias`, BIAS_SIGMA));
      if (experts === 'bf16') t(`${p}.mlp.mlp2_weight`, 'BF16', [E, H, I], normal(`${L}.mlp2.weight`));
      else {
        t(`${p}.mlp.mlp2_weight.blocks`, 'U8', [...m2.blocks[0]], m2.blocks[1]);
        t(`${p}.mlp.mlp2_weight.scales`, 'U8', [...m2.scales[0]], m2.scales[1]);
      }
      t(`${p}.mlp.mlp2_bias`, 'BF16', [E, H], normal(`${L}.mlp2.bias`, BIAS_SIGMA));
    }
    t('norm.scale', 'BF16', [H], normal('norm', 0.05, 0, 1));
    t('unembedding.weight', 'BF16', [d.vocab, H], normal('unembedding'));
    return out;
  }

  t('model.embed_tokens.weight', 'BF16', [d.vocab, H], normal('embedding'));
  for (let n = 0; n < d.layers; n++) {
    const L = `L${n}`, p = `model.layers.${n}`;
    const m1 = mx(`${L}.mlp1`, 2 * I, H), m2 = mx(`${L}.mlp2`, H, I);
    t(`${p}.self_attn.sinks`, 'BF16', [heads], normal(`${L}.sinks`, 0.5));
    t(`${p}.self_attn.q_proj.weight`, 'BF16', [qRows, H], normal(`${L}.qkv.weight`));
    t(`${p}.self_attn.q_proj.bias`, 'BF16', [qRows], normal(`${L}.qkv.bias`, BIAS_SIGMA));
    t(`${p}.self_attn.k_proj.weight`, 'BF16', [kvRows, H], normal(`${L}.qkv.weight`, WEIGHT_SIGMA, qRows * H));
    t(`${p}.self_attn.k_proj.bias`, 'BF16', [kvRows], normal(`${L}.qkv.bias`, BIAS_SIGMA, qRows));
    t(`${p}.self_attn.v_proj.weight`, 'BF16', [kvRows, H], normal(`${L}.qkv.weight`, WEIGHT_SIGMA, (qRows + kvRows) * H));
    t(`${p}.self_attn.v_proj.bias`, 'BF16', [kvRows], normal(`${L}.qkv.bias`, BIAS_SIGMA, qRows + kvRows));
    t(`${p}.self_attn.o_proj.weight`, 'BF16', [H, qRows], normal(`${L}.out.weight`));
    t(`${p}.self_attn.o_proj.bias`, 'BF16', [H], normal(`${L}.out.bias`, BIAS_SIGMA));
    t(`${p}.mlp.router.weight`, 'BF16', [E, H], normal(`${L}.router.weight`));
    t(`${p}.mlp.router.bias`, 'BF16', [E], normal(`${L}.router.bias`, BIAS_SIGMA));
    t(`${p}.mlp.experts.gate_up_proj_blocks`, 'U8', [...m1.blocks[0]], m1.blocks[1]);
    t(`${p}.mlp.experts.gate_up_proj_scales`, 'U8', [...m1.scales[0]], m1.scales[1]);
    t(`${p}.mlp.experts.gate_up_proj_bias`, 'BF16', [E, 2 * I], normal(`${L}.mlp1.bias`, BIAS_SIGMA));
    t(`${p}.mlp.experts.down_proj_blocks`, 'U8', [...m2.blocks[0]], m2.blocks[1]);
    t(`${p}.mlp.experts.down_proj_scales`, 'U8', [...m2.scales[0]], m2.scales[1]);
    t(`${p}.mlp.experts.down_proj_bias`, 'BF16', [E, H], normal(`${L}.mlp2.bias`, BIAS_SIGMA));
    t(`${p}.input_layernorm.weight`, 'BF16', [H], normal(`${L}.attn_norm`, 0.05, 0, 1));
    t(`${p}.post_attention_layernorm.weight`, 'BF16', [H], normal(`${L}.mlp_norm`, 0.05, 0, 1));
  }
  t('model.norm.weight', 'BF16', [H], normal('norm', 0.05, 0, 1));
  t('lm_head.weight', 'BF16', [d.vocab, H], normal('unembedding'));
  return out;
}

/** original/config.json of the release (key order as shipped). */
export function gptOssOriginalConfig(d: GptOssDims): PyDict {
  return dictOf([
    ['num_hidden_layers', BigInt(d.layers)],
    ['num_experts', BigInt(d.experts)],
    ['experts_per_token', BigInt(d.expertsPerToken)],
    ['vocab_size', BigInt(d.vocab)],
    ['hidden_size', BigInt(d.hidden)],
    ['intermediate_size', BigInt(d.intermediate)],
    ['swiglu_limit', 7.0],
    ['head_dim', BigInt(d.headDim)],
    ['num_attention_heads', BigInt(d.heads)],
    ['num_key_value_heads', BigInt(d.kvHeads)],
    ['sliding_window', 128n],
    ['initial_context_length', 4096n],
    ['rope_theta', 150000n],
    ['rope_scaling_factor', 32.0],
    ['rope_ntk_alpha', 1n],
    ['rope_ntk_beta', 32n],
  ]);
}

/** The Hugging Face config.json (GptOssForCausalLM; written with sort_keys by transformers). */
export function gptOssHfConfig(d: GptOssDims): PyDict {
  const layerTypes = Array.from({ length: d.layers }, (_, i) => (i % 2 === 0 ? 'sliding_attention' : 'full_attention'));
  const eos = d.vocab >= 200003 ? 200002n : BigInt(d.vocab - 1);
  const pad = d.vocab >= 200000 ? 199999n : BigInt(d.vocab - 1);
  return dictOf([
    ['architectures', ['GptOssForCausalLM']],
    ['attention_bias', true],
    ['attention_dropout', 0.0],
    ['eos_token_id', eos],
    ['experts_per_token', BigInt(d.expertsPerToken)],
    ['head_dim', BigInt(d.headDim)],
    ['hidden_act', 'silu'],
    ['hidden_size', BigInt(d.hidden)],
    ['initial_context_length', 4096n],
    ['initializer_range', 0.02],
    ['intermediate_size', BigInt(d.intermediate)],
    ['layer_types', layerTypes],
    ['max_position_embeddings', 131072n],
    ['model_type', 'gpt_oss'],
    ['num_attention_heads', BigInt(d.heads)],
    ['num_experts_per_tok', BigInt(d.expertsPerToken)],
    ['num_hidden_layers', BigInt(d.layers)],
    ['num_key_value_heads', BigInt(d.kvHeads)],
    ['num_local_experts', BigInt(d.experts)],
    ['output_router_logits', false],
    ['pad_token_id', pad],
    ['quantization_config', dictOf([
      ['modules_to_not_convert', ['model.layers.*.self_attn', 'model.layers.*.mlp.router', 'model.embed_tokens', 'lm_head']],
      ['quant_method', 'mxfp4'],
    ])],
    ['rms_norm_eps', 1e-05],
    ['rope_scaling', dictOf([
      ['beta_fast', 32.0],
      ['beta_slow', 1.0],
      ['factor', 32.0],
      ['original_max_position_embeddings', 4096n],
      ['rope_type', 'yarn'],
      ['truncate', false],
    ])],
    ['rope_theta', 150000n],
    ['router_aux_loss_coef', 0.9],
    ['sliding_window', 128n],
    ['swiglu_limit', 7.0],
    ['tie_word_embeddings', false],
    ['torch_dtype', 'bfloat16'],
    ['transformers_version', '4.55.0'],
    ['use_cache', true],
    ['vocab_size', BigInt(d.vocab)],
  ]);
}

/** original/dtypes.json of the release: the logical dtype of every tensor (MXFP4 parts as FP4/UE8). */
export function gptOssDtypes(tensors: readonly TensorPlan[]): PyDict {
  return dictOf(tensors.map((t) => [t.name, t.name.endsWith('.blocks') ? 'FP4' : t.name.endsWith('.scales') ? 'UE8' : t.dtype] as const));
}
