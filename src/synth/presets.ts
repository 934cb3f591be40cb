// The synth presets and how the size flags override them.
import { UsageError } from '../errors.js';
import type { GptOssDims, GptOssLayout } from './gptoss.js';
import type { DenseDims } from './dense.js';

export const PRESETS = ['gpt-oss-20b', 'gpt-oss-120b', 'tiny', 'dense'] as const;
export type PresetName = (typeof PRESETS)[number];

export interface SizeOverrides {
  layers?: number;
  experts?: number;
  dModel?: number;
  intermediate?: number;
  vocab?: number;
  heads?: number;
  kvHeads?: number;
  headDim?: number;
}

export type ResolvedPreset =
  | { family: 'gpt-oss'; preset: PresetName; dims: GptOssDims; tokenizer: 'bpe' | 'prefix-free'; alwaysSharded: boolean }
  | { family: 'dense'; preset: 'dense'; dims: DenseDims; tokenizer: 'prefix-free'; alwaysSharded: false };

const GPT_OSS_BASE = {
  hidden: 2880, intermediate: 2880, heads: 64, kvHeads: 8, headDim: 64, vocab: 201088, expertsPerToken: 4,
};

export function isPreset(s: string): s is PresetName {
  return (PRESETS as readonly string[]).includes(s);
}

function positive(flag: string, v: number | undefined): void {
  if (v !== undefined && (!Number.isSafeInteger(v) || v < 1)) throw new UsageError(`--${flag} must be a positive integer, got ${v}`);
}

/** The dimensions of a preset after the flags; throws UsageError on impossible shapes. */
export function resolvePreset(preset: PresetName, o: SizeOverrides): ResolvedPreset {
  positive('layers', o.layers); positive('experts', o.experts); positive('d-model', o.dModel);
  positive('intermediate', o.intermediate); positive('vocab', o.vocab); positive('heads', o.heads);
  positive('kv-heads', o.kvHeads); positive('head-dim', o.headDim);

  if (preset === 'dense') {
    if (o.experts !== undefined) throw new UsageError('--experts does not apply to the dense preset', 'drop --experts, or use a gpt-oss preset');
    const hidden = o.dModel ?? 64;
    const heads = o.heads ?? (o.headDim ? Math.max(1, Math.floor(hidden / o.headDim)) : hidden <= 256 ? 4 : Math.floor(hidden / 64));
    const headDim = o.headDim ?? Math.floor(hidden / heads);
    if (headDim < 1) throw new UsageError(`--heads ${heads} is larger than --d-model ${hidden}`);
    const kvHeads = o.kvHeads ?? heads;
    if (heads % kvHeads !== 0) throw new UsageError(`--heads ${heads} must be a multiple of --kv-heads ${kvHeads}`);
    const dims: DenseDims = {
      layers: o.layers ?? 2, hidden, intermediate: o.intermediate ?? 4 * hidden, heads, kvHeads, headDim, vocab: o.vocab ?? 512,
    };
    if (dims.vocab < 2) throw new UsageError('--vocab must be at least 2 for the dense preset (V-1 pieces plus <s>)');
    return { family: 'dense', preset, dims, tokenizer: 'prefix-free', alwaysSharded: false };
  }

  const base = preset === 'tiny'
    ? { layers: 2, experts: 4, hidden: 64, intermediate: 64, heads: 4, kvHeads: 2, headDim: 16, vocab: 64, expertsPerToken: 2 }
    : { ...GPT_OSS_BASE, layers: preset === 'gpt-oss-20b' ? 24 : 36, experts: preset === 'gpt-oss-20b' ? 32 : 128 };
  const experts = o.experts ?? base.experts;
  const dims: GptOssDims = {
    layers: o.layers ?? base.layers,
    experts,
    expertsPerToken: Math.min(base.expertsPerToken, experts),
    hidden: o.dModel ?? base.hidden,
    intermediate: o.intermediate ?? base.intermediate,
    heads: o.heads ?? base.heads,
    kvHeads: o.kvHeads ?? base.kvHeads,
    headDim: o.headDim ?? base.headDim,
    vocab: o.vocab ?? base.vocab,
  };
  if (dims.hidden % 32 !== 0) throw new UsageError(`--d-model must be a multiple of 32 for MXFP4 blocks, got ${dims.hidden}`);
  if (dims.intermediate % 32 !== 0) throw new UsageError(`--intermediate must be a multiple of 32 for MXFP4 blocks, got ${dims.intermediate}`);
  if (dims.heads % dims.kvHeads !== 0) throw new UsageError(`--heads ${dims.heads} must be a multiple of --kv-heads ${dims.kvHeads}`);
  const tokenizer = preset === 'tiny' ? 'prefix-free' : 'bpe';
  if (tokenizer === 'bpe' && dims.vocab < 257) {
    throw new UsageError(`--vocab must be at least 257 for ${preset} (a byte-level BPE has 256 byte tokens plus specials), got ${dims.vocab}`);
  }
  if (tokenizer === 'prefix-free' && dims.vocab < 2) throw new UsageError('--vocab must be at least 2');
  return { family: 'gpt-oss', preset, dims, tokenizer, alwaysSharded: preset === 'gpt-oss-120b' };
}

export type { GptOssLayout };
