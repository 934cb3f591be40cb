// Writes a synthetic checkpoint folder: config.json, tokenizer.json, the weights
// (model.safetensors, or model-0000K-of-0000N.safetensors + index), and for the
// original gpt-oss layout dtypes.json. Tensors are streamed chunk by chunk, so a
// full gpt-oss-20b (≈13 GB) is written with a few tens of MB of RSS.
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import { exists, isDirectory, listDir, mkdirp, removeTree, writeFile, WriteHandle } from '../io/fs.js';
import { dumps } from '../format/pyjson.js';
import { makeFiller, type TensorPlan } from './fill.js';
import { type ExpertDtype, gptOssDtypes, gptOssHfConfig, gptOssOriginalConfig, gptOssTensors, type GptOssLayout } from './gptoss.js';
import { denseConfig, denseTensors } from './dense.js';
import { resolvePreset, type PresetName, type ResolvedPreset, type SizeOverrides } from './presets.js';
import { byteLevelBpeTokenizer, prefixFreeTokenizer } from './tokenizer.js';
import { DEFAULT_SHARD_BYTES, planShards, shardFileName, shardIndexText } from './sharding.js';
import { byteLengthOf, writeSafetensors, type StreamTensor } from './safetensors-writer.js';

export interface SynthOptions extends SizeOverrides {
  preset: PresetName;
  output: string;
  /** Default 0. */
  seed?: number;
  /** gpt-oss presets only; default 'original'. */
  layout?: GptOssLayout;
  /** gpt-oss presets, original layout only: 'bf16' writes unquantized expert weights. Default 'mxfp4'. */
  expertDtype?: ExpertDtype;
  /** Force sharding with this many bytes per shard at most. */
  shardBytes?: number;
  /** Replace the checkpoint files of a non-empty output folder. */
  force?: boolean;
  /** Chunk size of the streamed writes (default 8 MiB). */
  chunkBytes?: number;
  /** fsync each weights file before closing it (default false: a synthetic checkpoint can be regenerated). */
  sync?: boolean;
  onProgress?: (written: number, total: number) => void;
}

export interface SynthResult {
  dir: string;
  preset: ResolvedPreset;
  layout: GptOssLayout | 'llama';
  /** Files written, relative to dir. */
  files: string[];
  tensors: number;
  /** Bytes of the safetensors files. */
  weightBytes: number;
  seconds: number;
}

const SHARD_RE = /^model-\d+-of-\d+\.safetensors$/;
const OWN_FILES = ['config.json', 'tokenizer.json', 'dtypes.json', 'model.safetensors', 'model.safetensors.index.json'];

function prepareOutput(dir: string, force: boolean): void {
  if (exists(dir) && !isDirectory(dir)) throw new UsageError(`--output ${dir} exists and is not a folder`);
  if (isDirectory(dir)) {
    const entries = listDir(dir);
    if (entries.length && !force) {
      throw new UsageError(`--output ${dir} is not empty`, 'choose an empty or new folder, or pass --force to replace the checkpoint files in it');
    }
    for (const e of entries) if (OWN_FILES.includes(e) || SHARD_RE.test(e)) removeTree(join(dir, e));
  }
  mkdirp(dir);
}

function streamTensors(plans: readonly TensorPlan[], seed: number): StreamTensor[] {
  return plans.map((p) => {
    const fill = makeFiller(p.dtype, p.fill, seed);
    return { name: p.name, dtype: p.dtype, shape: p.shape, fill };
  });
}

const PT_METADATA = { format: 'pt' } as const;

export function synthesize(opts: SynthOptions): SynthResult {
  const t0 = performance.now();
  const preset = resolvePreset(opts.preset, opts);
  const seed = opts.seed ?? 0;
  if (!Number.isSafeInteger(seed) || seed < 0) throw new UsageError(`--seed must be a non-negative integer, got ${seed}`);
  if (opts.expertDtype === 'bf16' && (preset.family === 'dense' || opts.layout === 'hf')) {
    throw new UsageError('--expert-dtype bf16 applies to the gpt-oss presets in the original layout', 'drop --layout hf');
  }
  if (preset.family === 'dense' && opts.layout !== undefined) {
    throw new UsageError('--layout applies to the gpt-oss presets only', 'the dense preset always uses LLaMA names');
  }
  const layout: GptOssLayout | 'llama' = preset.family === 'dense' ? 'llama' : (opts.layout ?? 'original');
  const plans = preset.family === 'dense' ? denseTensors(preset.dims) : gptOssTensors(preset.dims, layout as GptOssLayout, opts.expertDtype);
  const config = preset.family === 'dense' ? denseConfig(preset.dims)
    : layout === 'hf' ? gptOssHfConfig(preset.dims) : gptOssOriginalConfig(preset.dims);

  const dir = opts.output;
  prepareOutput(dir, !!opts.force);
  const files: string[] = [];
  const put = (name: string, text: string) => { writeFile(join(dir, name), text); files.push(name); };

  // transformers writes configs with sort_keys; the original release keeps its key order
  put('config.json', dumps(config, { indent: 2, sortKeys: layout === 'hf' }) + '\n');
  const vocab = preset.dims.vocab;
  const tok = new WriteHandle(join(dir, 'tokenizer.json'));
  try {
    const utf8 = new TextEncoder();
    const sink = (chunk: string) => tok.write(utf8.encode(chunk));
    if (preset.tokenizer === 'bpe') byteLevelBpeTokenizer(vocab, seed, sink);
    else prefixFreeTokenizer(vocab, seed, sink);
    tok.close(false);
  } catch (err) {
    tok.abandon();
    throw err;
  }
  files.push('tokenizer.json');
  if (layout === 'original') put('dtypes.json', dumps(gptOssDtypes(plans), { indent: 2, sortKeys: false }) + '\n');

  const sizes = plans.map(byteLengthOf);
  const total = sizes.reduce((a, b) => a + b, 0);
  const tensors = streamTensors(plans, seed);
  const sharded = opts.shardBytes !== undefined || layout === 'hf' || preset.alwaysSharded;
  let done = 0;
  const progress = opts.onProgress;
  let weightBytes = 0;
  /** Writes the tensors at `indices` into one file. */
  const write = (name: string, indices: readonly number[]) => {
    const base = done;
    weightBytes += writeSafetensors(join(dir, name), indices.map((i) => tensors[i]!), PT_METADATA, {
      chunkBytes: opts.chunkBytes,
      sync: opts.sync ?? false,
      onProgress: progress ? (w) => progress(base + w, total) : undefined,
    });
    for (const i of indices) done += sizes[i]!;
    files.push(name);
  };
  if (!sharded) {
    write('model.safetensors', plans.map((_, i) => i));
  } else {
    const groups = planShards(sizes, opts.shardBytes ?? DEFAULT_SHARD_BYTES);
    const weightMap: Array<[string, string]> = [];
    groups.forEach((g, k) => {
      const name = shardFileName(k + 1, groups.length);
      for (const i of g) weightMap.push([plans[i]!.name, name]);
      write(name, g);
    });
    put('model.safetensors.index.json', shardIndexText(total, weightMap));
  }
  return { dir, preset, layout, files, tensors: plans.length, weightBytes, seconds: (performance.now() - t0) / 1000 };
}
