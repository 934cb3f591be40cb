import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { loadSafetensorsReader } from '../../src/io/safetensors.js';
import { openCheckpoint } from '../../src/io/shards.js';
import type { TensorStore } from '../../src/io/shards.js';
import { synthesize, type SynthOptions } from '../../src/synth/synth.js';
import { resolvePreset } from '../../src/synth/presets.js';
import { gptOssTensors } from '../../src/synth/gptoss.js';
import { UsageError } from '../../src/errors.js';
import { tempDir } from '../io/st-build.js';

// created when the suite starts (not at import: a runner may import files whose suites never run)
let tmp: { dir: string; cleanup(): void };
let seq = 0;
test.before(async () => { tmp = tempDir('synth'); await loadSafetensorsReader(); });
test.after(() => tmp.cleanup());

const SMALL = { layers: 2, experts: 3, dModel: 64, intermediate: 96, vocab: 300, heads: 4, kvHeads: 2, headDim: 16 };

function run(o: Omit<SynthOptions, 'output'>): { dir: string; files: string[] } {
  const dir = join(tmp.dir, `s${seq++}`);
  const r = synthesize({ ...o, output: dir });
  return { dir, files: r.files };
}

type Spec = [string, string, number[]];

/** The release's original-layout tensor set, written out from the description. */
function originalSpec(L: number, E: number, H: number, I: number, heads: number, kv: number, hd: number, V: number): Spec[] {
  const out: Spec[] = [['embedding.weight', 'BF16', [V, H]], ['unembedding.weight', 'BF16', [V, H]], ['norm.scale', 'BF16', [H]]];
  for (let n = 0; n < L; n++) {
    const p = `block.${n}`;
    out.push(
      [`${p}.attn.norm.scale`, 'BF16', [H]], [`${p}.attn.qkv.weight`, 'BF16', [(heads + 2 * kv) * hd, H]],
      [`${p}.attn.qkv.bias`, 'BF16', [(heads + 2 * kv) * hd]], [`${p}.attn.sinks`, 'BF16', [heads]],
      [`${p}.attn.out.weight`, 'BF16', [H, heads * hd]], [`${p}.attn.out.bias`, 'BF16', [H]],
      [`${p}.mlp.norm.scale`, 'BF16', [H]], [`${p}.mlp.gate.weight`, 'BF16', [E, H]], [`${p}.mlp.gate.bias`, 'BF16', [E]],
      [`${p}.mlp.mlp1_weight.blocks`, 'U8', [E, 2 * I, H / 32, 16]], [`${p}.mlp.mlp1_weight.scales`, 'U8', [E, 2 * I, H / 32]],
      [`${p}.mlp.mlp1_bias`, 'BF16', [E, 2 * I]],
      [`${p}.mlp.mlp2_weight.blocks`, 'U8', [E, H, I / 32, 16]], [`${p}.mlp.mlp2_weight.scales`, 'U8', [E, H, I / 32]],
      [`${p}.mlp.mlp2_bias`, 'BF16', [E, H]],
    );
  }
  return out;
}

function hfSpec(L: number, E: number, H: number, I: number, heads: number, kv: number, hd: number, V: number): Spec[] {
  const out: Spec[] = [['model.embed_tokens.weight', 'BF16', [V, H]], ['lm_head.weight', 'BF16', [V, H]], ['model.norm.weight', 'BF16', [H]]];
  for (let n = 0; n < L; n++) {
    const p = `model.layers.${n}`;
    out.push(
      [`${p}.input_layernorm.weight`, 'BF16', [H]], [`${p}.post_attention_layernorm.weight`, 'BF16', [H]],
      [`${p}.self_attn.q_proj.weight`, 'BF16', [heads * hd, H]], [`${p}.self_attn.q_proj.bias`, 'BF16', [heads * hd]],
      [`${p}.self_attn.k_proj.weight`, 'BF16', [kv * hd, H]], [`${p}.self_attn.k_proj.bias`, 'BF16', [kv * hd]],
      [`${p}.self_attn.v_proj.weight`, 'BF16', [kv * hd, H]], [`${p}.self_attn.v_proj.bias`, 'BF16', [kv * hd]],
      [`${p}.self_attn.o_proj.weight`, 'BF16', [H, heads * hd]], [`${p}.self_attn.o_proj.bias`, 'BF16', [H]],
      [`${p}.self_attn.sinks`, 'BF16', [heads]],
      [`${p}.mlp.router.weight`, 'BF16', [E, H]], [`${p}.mlp.router.bias`, 'BF16', [E]],
      [`${p}.mlp.experts.gate_up_proj_blocks`, 'U8', [E, 2 * I, H / 32, 16]], [`${p}.mlp.experts.gate_up_proj_scales`, 'U8', [E, 2 * I, H / 32]],
      [`${p}.mlp.experts.gate_up_proj_bias`, 'BF16', [E, 2 * I]],
      [`${p}.mlp.experts.down_proj_blocks`, 'U8', [E, H, I / 32, 16]], [`${p}.mlp.experts.down_proj_scales`, 'U8', [E, H, I / 32]],
      [`${p}.mlp.experts.down_proj_bias`, 'BF16', [E, H]],
    );
  }
  return out;
}

function assertTensors(store: TensorStore, spec: Spec[]): void {
  const got = new Map(store.tensors().map((t) => [t.name, [t.dtype, t.shape] as const]));
  assert.equal([...got.keys()].sort(), spec.map((s) => s[0]).sort());
  for (const [name, dtype, shape] of spec) {
    assert.is(got.get(name)![0], dtype, name);
    assert.equal(got.get(name)![1], shape, name);
  }
}

function withStore<T>(path: string, fn: (s: TensorStore) => T): T {
  const s = openCheckpoint(path);
  try { return fn(s); } finally { s.close(); }
}

const readJson = (p: string) => JSON.parse(readFileSync(p, 'utf8'));

test('tiny: original layout, 2 layers, hidden 64, 4 experts, intermediate 64, vocab 64', () => {
  const { dir, files } = run({ preset: 'tiny' });
  assert.equal(files.sort(), ['config.json', 'dtypes.json', 'model.safetensors', 'tokenizer.json']);
  withStore(join(dir, 'model.safetensors'), (s) => {
    assertTensors(s, originalSpec(2, 4, 64, 64, 4, 2, 16, 64));
    assert.equal(s.files[0]!.metadata, new Map([['format', 'pt']]));
  });
  const cfg = readJson(join(dir, 'config.json'));
  assert.equal(Object.keys(cfg), ['num_hidden_layers', 'num_experts', 'experts_per_token', 'vocab_size', 'hidden_size',
    'intermediate_size', 'swiglu_limit', 'head_dim', 'num_attention_heads', 'num_key_value_heads', 'sliding_window',
    'initial_context_length', 'rope_theta', 'rope_scaling_factor', 'rope_ntk_alpha', 'rope_ntk_beta']);
  assert.is(cfg.num_experts, 4);
  assert.is(cfg.hidden_size, 64);
  const tok = readJson(join(dir, 'tokenizer.json'));
  assert.is(Object.keys(tok.model.vocab).length + tok.added_tokens.length, 64);
  const dtypes = readJson(join(dir, 'dtypes.json'));
  assert.is(dtypes['block.0.mlp.mlp1_weight.blocks'], 'FP4');
  assert.is(dtypes['block.0.mlp.mlp1_weight.scales'], 'UE8');
  assert.is(dtypes['embedding.weight'], 'BF16');
});

test('gpt-oss-20b scaled down: original layout names, dtypes, shapes and config', () => {
  const { dir } = run({ preset: 'gpt-oss-20b', ...SMALL });
  withStore(join(dir, 'model.safetensors'), (s) => assertTensors(s, originalSpec(2, 3, 64, 96, 4, 2, 16, 300)));
  const cfg = readJson(join(dir, 'config.json'));
  assert.equal(cfg, {
    num_hidden_layers: 2, num_experts: 3, experts_per_token: 3, vocab_size: 300, hidden_size: 64, intermediate_size: 96,
    swiglu_limit: 7.0, head_dim: 16, num_attention_heads: 4, num_key_value_heads: 2, sliding_window: 128,
    initial_context_length: 4096, rope_theta: 150000, rope_scaling_factor: 32.0, rope_ntk_alpha: 1, rope_ntk_beta: 32,
  });
  assert.match(readFileSync(join(dir, 'config.json'), 'utf8'), /"rope_scaling_factor": 32\.0,/);
});

test('gpt-oss-20b hf layout: HF names, sharded with an index, HF config keys', () => {
  const { dir, files } = run({ preset: 'gpt-oss-20b', ...SMALL, layout: 'hf', shardBytes: 40_000 });
  const shards = files.filter((f) => f.endsWith('.safetensors')).sort();
  assert.ok(shards.length >= 2, `${shards.length} shards`);
  shards.forEach((f, k) => assert.is(f, `model-${String(k + 1).padStart(5, '0')}-of-${String(shards.length).padStart(5, '0')}.safetensors`));
  const index = readJson(join(dir, 'model.safetensors.index.json'));
  const names = Object.keys(index.weight_map);
  assert.equal(names, [...names].sort(), 'weight_map sorted like json.dumps(sort_keys=True)');
  withStore(join(dir, 'model.safetensors.index.json'), (s) => {
    assertTensors(s, hfSpec(2, 3, 64, 96, 4, 2, 16, 300));
    assert.is(index.metadata.total_size, s.tensors().reduce((a, t) => a + t.byteLength, 0));
  });
  const cfg = readJson(join(dir, 'config.json'));
  assert.is(cfg.num_local_experts, 3);
  assert.is(cfg.num_experts_per_tok, 3);
  assert.is(cfg.model_type, 'gpt_oss');
  assert.equal(cfg.rope_scaling, { beta_fast: 32.0, beta_slow: 1.0, factor: 32.0, original_max_position_embeddings: 4096, rope_type: 'yarn', truncate: false });
  assert.equal(cfg.layer_types, ['sliding_attention', 'full_attention']);
  assert.equal(Object.keys(cfg), [...Object.keys(cfg)].sort());
});

test('hf and original layouts hold the same model (q/k/v are qkv row slices, experts renamed)', () => {
  const o = run({ preset: 'tiny', seed: 4 });
  const h = run({ preset: 'tiny', seed: 4, layout: 'hf' });
  const os = openCheckpoint(join(o.dir, 'model.safetensors'));
  const hs = openCheckpoint(join(h.dir, 'model.safetensors.index.json'));
  try {
    const bytes = (s: TensorStore, n: string) => s.read(s.get(n)!);
    for (const n of [0, 1]) {
      const qkv = bytes(os, `block.${n}.attn.qkv.weight`);
      const q = bytes(hs, `model.layers.${n}.self_attn.q_proj.weight`);
      const k = bytes(hs, `model.layers.${n}.self_attn.k_proj.weight`);
      const v = bytes(hs, `model.layers.${n}.self_attn.v_proj.weight`);
      assert.equal(qkv, Uint8Array.from([...q, ...k, ...v]));
      const qkvb = bytes(os, `block.${n}.attn.qkv.bias`);
      assert.equal(qkvb, Uint8Array.from([...bytes(hs, `model.layers.${n}.self_attn.q_proj.bias`),
        ...bytes(hs, `model.layers.${n}.self_attn.k_proj.bias`), ...bytes(hs, `model.layers.${n}.self_attn.v_proj.bias`)]));
      assert.equal(bytes(os, `block.${n}.mlp.mlp1_weight.blocks`), bytes(hs, `model.layers.${n}.mlp.experts.gate_up_proj_blocks`));
      assert.equal(bytes(os, `block.${n}.mlp.mlp2_weight.scales`), bytes(hs, `model.layers.${n}.mlp.experts.down_proj_scales`));
      assert.equal(bytes(os, `block.${n}.mlp.gate.weight`), bytes(hs, `model.layers.${n}.mlp.router.weight`));
      assert.equal(bytes(os, `block.${n}.attn.norm.scale`), bytes(hs, `model.layers.${n}.input_layernorm.weight`));
    }
    assert.equal(bytes(os, 'embedding.weight'), bytes(hs, 'model.embed_tokens.weight'));
    assert.not.equal(bytes(os, 'embedding.weight'), bytes(os, 'unembedding.weight'));
  } finally {
    os.close();
    hs.close();
  }
});

test('gpt-oss-120b is always sharded (index even for one shard); shard limit splits it further', () => {
  const one = run({ preset: 'gpt-oss-120b', ...SMALL });
  assert.ok(one.files.includes('model-00001-of-00001.safetensors'));
  withStore(join(one.dir, 'model.safetensors.index.json'), (s) => assertTensors(s, originalSpec(2, 3, 64, 96, 4, 2, 16, 300)));
  const many = run({ preset: 'gpt-oss-120b', ...SMALL, shardBytes: 30_000 });
  assert.ok(many.files.filter((f) => /^model-\d{5}-of-\d{5}\.safetensors$/.test(f)).length >= 3);
  withStore(join(many.dir, 'model.safetensors.index.json'), (s) => assertTensors(s, originalSpec(2, 3, 64, 96, 4, 2, 16, 300)));
});

test('full-size presets have the release shapes (plan only)', () => {
  const p20 = resolvePreset('gpt-oss-20b', {});
  assert.equal(p20.dims, { layers: 24, experts: 32, expertsPerToken: 4, hidden: 2880, intermediate: 2880, heads: 64, kvHeads: 8, headDim: 64, vocab: 201088 });
  const t20 = new Map(gptOssTensors(p20.dims as any, 'original').map((t) => [t.name, t.shape]));
  assert.is(t20.size, 24 * 15 + 3);
  assert.equal(t20.get('block.23.mlp.mlp1_weight.blocks'), [32, 5760, 90, 16]);
  assert.equal(t20.get('block.0.mlp.mlp2_weight.scales'), [32, 2880, 90]);
  assert.equal(t20.get('block.0.attn.qkv.weight'), [5120, 2880]);
  assert.equal(t20.get('block.0.attn.out.weight'), [2880, 4096]);
  assert.equal(t20.get('embedding.weight'), [201088, 2880]);
  const bytes = gptOssTensors(p20.dims as any, 'original').reduce((a, t) => a + t.shape.reduce((x, y) => x * y, 1) * (t.dtype === 'U8' ? 1 : 2), 0);
  assert.ok(bytes > 12.5e9 && bytes < 14e9, `20b is ≈13 GB (${bytes})`);
  const p120 = resolvePreset('gpt-oss-120b', {});
  assert.is(p120.dims.layers, 36);
  assert.is((p120.dims as any).experts, 128);
  assert.ok(p120.alwaysSharded);
});

test('dense: LLaMA names, F32, the dense_f32 tensor set, config and a prefix-free tokenizer of vocab_size', () => {
  const { dir, files } = run({ preset: 'dense', layers: 3, dModel: 48, vocab: 77 });
  assert.equal(files.sort(), ['config.json', 'model.safetensors', 'tokenizer.json']);
  const spec: Spec[] = [];
  for (let n = 0; n < 3; n++) {
    const p = `model.layers.${n}`;
    spec.push([`${p}.self_attn.q_proj.weight`, 'F32', [48, 48]], [`${p}.self_attn.k_proj.weight`, 'F32', [48, 48]],
      [`${p}.self_attn.v_proj.weight`, 'F32', [48, 48]], [`${p}.self_attn.o_proj.weight`, 'F32', [48, 48]],
      [`${p}.mlp.up_proj.weight`, 'F32', [192, 48]], [`${p}.mlp.up_proj.bias`, 'F32', [192]],
      [`${p}.mlp.down_proj.weight`, 'F32', [48, 192]], [`${p}.mlp.down_proj.bias`, 'F32', [48]]);
  }
  withStore(join(dir, 'model.safetensors'), (s) => {
    assertTensors(s, spec);
    // weights look like N(0, 0.02)
    const v = new Float32Array(s.read(s.get('model.layers.0.mlp.up_proj.weight')!).slice().buffer);
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    const std = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length);
    assert.ok(Math.abs(mean) < 0.002 && Math.abs(std - 0.02) < 0.002, `mean ${mean} std ${std}`);
  });
  const cfg = readJson(join(dir, 'config.json'));
  assert.equal(cfg, {
    architectures: ['LlamaForCausalLM'], model_type: 'llama', hidden_size: 48, num_attention_heads: 4, num_key_value_heads: 4,
    head_dim: 12, intermediate_size: 192, num_hidden_layers: 3, vocab_size: 77, rope_theta: 10000.0, rms_norm_eps: 1e-05,
    torch_dtype: 'float32',
  });
  const tok = readJson(join(dir, 'tokenizer.json'));
  assert.is(Object.keys(tok.model.vocab).length + tok.added_tokens.length, 77);
});

function digestDir(dir: string): Map<string, string> {
  return new Map(readdirSync(dir).sort().map((f) => [f, createHash('sha256').update(readFileSync(join(dir, f))).digest('hex')]));
}

test('determinism: same seed → same bytes; another seed → other weights, same structure', () => {
  for (const o of [{ preset: 'tiny' as const }, { preset: 'dense' as const }, { preset: 'gpt-oss-20b' as const, ...SMALL, layout: 'hf' as const }]) {
    const a = digestDir(run({ ...o, seed: 11 }).dir);
    const b = digestDir(run({ ...o, seed: 11 }).dir);
    const c = digestDir(run({ ...o, seed: 12 }).dir);
    assert.equal(b, a, `${o.preset} same seed`);
    assert.is(c.get('config.json'), a.get('config.json'));
    for (const [f, h] of a) if (f.endsWith('.safetensors')) assert.is.not(c.get(f), h, `${o.preset} ${f} with another seed`);
  }
});

test('output folder: refuses a non-empty one, --force replaces stale checkpoint files only', () => {
  const dir = join(tmp.dir, `s${seq++}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'notes.txt'), 'keep me');
  assert.throws(() => synthesize({ preset: 'tiny', output: dir }), (e: unknown) => e instanceof UsageError && /not empty/.test((e as Error).message));
  writeFileSync(join(dir, 'model-00001-of-00009.safetensors'), 'stale');
  synthesize({ preset: 'tiny', output: dir, force: true });
  assert.equal(readdirSync(dir).sort(), ['config.json', 'dtypes.json', 'model.safetensors', 'notes.txt', 'tokenizer.json']);
});

test('impossible sizes are usage errors', () => {
  const bad = (o: Omit<SynthOptions, 'output'>, re: RegExp) =>
    assert.throws(() => synthesize({ ...o, output: join(tmp.dir, `bad${seq++}`) }), (e: unknown) => e instanceof UsageError && re.test((e as Error).message));
  bad({ preset: 'gpt-oss-20b', dModel: 100 }, /multiple of 32/);
  bad({ preset: 'tiny', intermediate: 40 }, /multiple of 32/);
  bad({ preset: 'gpt-oss-20b', vocab: 200 }, /at least 257/);
  bad({ preset: 'dense', experts: 2 }, /dense/);
  bad({ preset: 'dense', layout: 'hf' }, /gpt-oss presets only/);
  bad({ preset: 'tiny', layers: 0 }, /positive/);
  bad({ preset: 'tiny', heads: 3, kvHeads: 2 }, /multiple of --kv-heads/);
});

test.run();
