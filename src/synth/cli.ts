// `sera-transfer synth`: options and action of the synthetic checkpoint command.
import { UsageError } from '../errors.js';
import { lastValue, parseIntFlag } from '../cli/args.js';
import { resolvePath } from '../io/paths.js';
import { isPreset, PRESETS } from './presets.js';
import type { SynthOptions } from './synth.js';

interface Out { write(s: string): unknown; isTTY?: boolean }
export interface SynthIO { stdout: Out; stderr: Out }

interface CommandLike {
  option(raw: string, description: string, config?: { default?: unknown; type?: unknown[] }): CommandLike;
}

/** Declares the synth options on a cac command. */
export function addSynthOptions<C extends CommandLike>(c: C): C {
  c.option('--preset <name>', `Model to imitate: ${PRESETS.join(', ')}`)
    .option('--output <dir>', 'Folder to write the checkpoint into (new or empty)')
    .option('--layers <n>', 'Number of layers (default: the preset\'s)', { type: [String] })
    .option('--experts <n>', 'Experts per layer (gpt-oss presets)', { type: [String] })
    .option('--d-model <n>', 'Hidden size (a multiple of 32 for gpt-oss presets)', { type: [String] })
    .option('--intermediate <n>', 'FFN intermediate size (dense default: 4 × d-model)', { type: [String] })
    .option('--vocab <n>', 'Vocabulary size (config and tokenizer.json)', { type: [String] })
    .option('--heads <n>', 'Attention heads', { type: [String] })
    .option('--kv-heads <n>', 'Key/value heads', { type: [String] })
    .option('--head-dim <n>', 'Dimension per head', { type: [String] })
    .option('--seed <n>', 'Seed of the pseudo-random values (default 0)', { type: [String] })
    .option('--layout <layout>', 'gpt-oss tensor names: original (block.N.*) or hf (model.layers.N.*, sharded)')
    .option('--expert-dtype <dtype>', 'gpt-oss expert weights: mxfp4 (as released) or bf16 (unquantized, original layout)')
    .option('--shard-size <bytes>', 'Shard the weights at this size (e.g. 5GB, 512MiB; default: unsharded, hf layout 5GB)')
    .option('--force', 'Replace the checkpoint files of a non-empty --output');
  return c;
}

const GiB = 2 ** 30;

function expertDtype(v: unknown): SynthOptions['expertDtype'] {
  if (v === undefined) return undefined;
  if (v !== 'mxfp4' && v !== 'bf16') throw new UsageError(`--expert-dtype: invalid choice '${String(v)}' (choose from mxfp4, bf16)`);
  return v;
}

/** Runs the command; returns the exit code. */
export async function synthCommand(o: Record<string, any>, io: SynthIO): Promise<number> {
  // the generator (and the shard planner, which pulls in pyjson and node:crypto) is loaded only for this command
  const [{ synthesize }, { parseByteSize }] = await Promise.all([import('./synth.js'), import('./sharding.js')]);
  const preset = o.preset === undefined || o.preset === true ? undefined : String(o.preset);
  if (!preset) throw new UsageError('--preset is required', `sera-transfer synth --preset ${PRESETS.join('|')} --output DIR`);
  if (!isPreset(preset)) throw new UsageError(`--preset: invalid choice '${preset}' (choose from ${PRESETS.join(', ')})`);
  if (o.output === undefined || o.output === true) throw new UsageError('--output is required', `sera-transfer synth --preset ${preset} --output DIR`);
  let layout: SynthOptions['layout'];
  if (o.layout !== undefined) {
    const l = String(o.layout);
    if (l !== 'original' && l !== 'hf') throw new UsageError(`--layout: invalid choice '${l}' (choose from original, hf)`);
    layout = l;
  }
  let shardBytes: number | undefined;
  if (o.shardSize !== undefined) {
    const given = String(lastValue(o.shardSize));
    const s = parseByteSize(given);
    if (s === null) throw new UsageError(`--shard-size: invalid size '${given}'`, 'give bytes, or a size like 5GB or 512MiB');
    shardBytes = s;
  }
  const output = resolvePath(String(o.output));
  let lastShown = 0;
  const tty = !!io.stderr.isTTY;
  const result = synthesize({
    preset, output, layout, shardBytes, force: !!o.force, expertDtype: expertDtype(o.expertDtype),
    layers: parseIntFlag('layers', o.layers),
    experts: parseIntFlag('experts', o.experts),
    dModel: parseIntFlag('d-model', o.dModel),
    intermediate: parseIntFlag('intermediate', o.intermediate),
    vocab: parseIntFlag('vocab', o.vocab),
    heads: parseIntFlag('heads', o.heads),
    kvHeads: parseIntFlag('kv-heads', o.kvHeads),
    headDim: parseIntFlag('head-dim', o.headDim),
    seed: parseIntFlag('seed', o.seed),
    onProgress: tty ? (w, total) => {
      const now = performance.now();
      if (now - lastShown < 500) return;
      lastShown = now;
      io.stderr.write(`\rsynth: ${(w / GiB).toFixed(2)} / ${(total / GiB).toFixed(2)} GiB`);
    } : undefined,
  });
  if (tty && lastShown) io.stderr.write('\n');
  const d = result.preset.dims;
  const shape = result.preset.family === 'gpt-oss'
    ? `${d.layers} layers, ${result.preset.dims.experts} experts, d_model ${d.hidden}, intermediate ${d.intermediate}, vocab ${d.vocab}`
    : `${d.layers} layers, d_model ${d.hidden}, intermediate ${d.intermediate}, vocab ${d.vocab}`;
  io.stdout.write(`synth: ${result.preset.preset} (${result.layout} layout; ${shape})\n`);
  io.stdout.write(`synth: wrote ${result.tensors} tensors, ${(result.weightBytes / GiB).toFixed(3)} GiB of weights, ${result.files.length} files to ${result.dir} in ${result.seconds.toFixed(1)} s\n`);
  return 0;
}
