// Writes a deterministic dense F32 LLaMA-named checkpoint (config.json,
// model.safetensors, tokenizer.json) big enough that converting it takes a
// noticeable time: the signal tests need a conversion they can interrupt.
import { mkdirSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';

export interface GenOptions {
  dModel: number;
  layers: number;
  /** FFN width (default 2 × dModel). */
  intermediate?: number;
  vocab?: number;
  seed?: number;
}

/** Tensor names and shapes of the generated checkpoint, in header order. */
export function tensorPlan(o: GenOptions): [string, number[]][] {
  const d = o.dModel;
  const f = o.intermediate ?? 2 * d;
  const out: [string, number[]][] = [];
  for (let l = 0; l < o.layers; l++) {
    const p = `model.layers.${l}`;
    out.push([`${p}.mlp.down_proj.bias`, [d]], [`${p}.mlp.down_proj.weight`, [d, f]], [`${p}.mlp.up_proj.bias`, [f]],
      [`${p}.mlp.up_proj.weight`, [f, d]], [`${p}.self_attn.k_proj.weight`, [d, d]], [`${p}.self_attn.o_proj.weight`, [d, d]],
      [`${p}.self_attn.q_proj.weight`, [d, d]], [`${p}.self_attn.v_proj.weight`, [d, d]]);
  }
  return out;
}

/** Writes the checkpoint into `dir` (created); returns the safetensors size in bytes. */
export function writeDenseCheckpoint(dir: string, o: GenOptions): number {
  mkdirSync(dir, { recursive: true });
  const d = o.dModel;
  const heads = Math.max(1, Math.floor(d / 64));
  const vocab = o.vocab ?? 64;
  writeFileSync(join(dir, 'config.json'), JSON.stringify({
    architectures: ['LlamaForCausalLM'], model_type: 'llama', hidden_size: d, num_attention_heads: heads,
    num_key_value_heads: heads, head_dim: d / heads, intermediate_size: o.intermediate ?? 2 * d,
    num_hidden_layers: o.layers, vocab_size: vocab, rope_theta: 10000.0, rms_norm_eps: 1e-5, torch_dtype: 'float32',
  }, null, 2));
  const vocabMap: Record<string, number> = {};
  for (let i = 0; i < vocab; i++) vocabMap[`t${String(i).padStart(3, '0')}`] = i;
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify({ model: { type: 'WordLevel', vocab: vocabMap, unk_token: 't000' } }));

  const plan = tensorPlan(o);
  const parts: string[] = [];
  let off = 0;
  for (const [name, shape] of plan) {
    const n = shape.reduce((a, b) => a * b, 1) * 4;
    parts.push(`${JSON.stringify(name)}:{"dtype":"F32","shape":${JSON.stringify(shape)},"data_offsets":[${off},${off + n}]}`);
    off += n;
  }
  let header = `{${parts.join(',')}}`;
  header += ' '.repeat((8 - (header.length % 8)) % 8);
  const hb = new TextEncoder().encode(header);
  const fd = openSync(join(dir, 'model.safetensors'), 'w');
  try {
    const len = new Uint8Array(8);
    new DataView(len.buffer).setBigUint64(0, BigInt(hb.length), true);
    writeSync(fd, len);
    writeSync(fd, hb);
    let state = (o.seed ?? 1) >>> 0;
    for (const [, shape] of plan) {
      const n = shape.reduce((a, b) => a * b, 1);
      const a = new Float32Array(n);
      const scale = 1 / Math.sqrt(shape[shape.length - 1]!);
      for (let i = 0; i < n; i++) {
        state = (Math.imul(state, 1664525) + 1013904223) >>> 0; // LCG: reproducible on every runtime
        a[i] = ((state / 2 ** 32) * 2 - 1) * scale;
      }
      writeSync(fd, new Uint8Array(a.buffer));
    }
  } finally {
    closeSync(fd);
  }
  return 8 + hb.length + off;
}
