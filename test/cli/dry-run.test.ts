// --dry-run: prints the plan, writes nothing, reads no tensor data, and its
// estimated output bytes are within 5% of what the real run writes (every
// converting corpus case, and a synthetic gpt-oss checkpoint with a large
// byte-level BPE vocabulary, which takes the tokenizer scan path, and one with
// --quantize-experts).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { corpusCases } from '../helpers/corpus.js';
import { withPaths } from '../helpers/shared.js';
import { runCli } from './run-cli.js';
import { tempDir, treeBytes } from './files.js';
import { planConversion } from '../../src/pipeline/plan.js';
import { listBytes, jsonStringBytes } from '../../src/pipeline/plan-tokenizer.js';
import { dumps } from '../../src/format/pyjson.js';
import { dict } from '../../src/format/pyvalue.js';
import { synthesize } from '../../src/synth/synth.js';
import { convert } from '../../src/convert.js';
import { ConversionLog } from '../../src/log.js';

/** A case's argument list with its input/out paths made absolute, without --summary-format. */
function caseArgs(args: string[], input: string, out: string): string[] {
  return withPaths(args, input, out).filter((a, i, all) => !(a === '--summary-format' || all[i - 1] === '--summary-format'));
}

test('every converting corpus case: the dry run writes nothing and estimates within 5%', async () => {
  const cases = corpusCases().filter((c) => c.expect !== 'fail');
  assert.ok(cases.length >= 25, `${cases.length} cases`);
  const t = tempDir('dry');
  try {
    let worst = 0;
    for (const c of cases) {
      const out = join(t.dir, c.name);
      const args = caseArgs(c.args, join(c.dir, 'input'), out);
      const before = readdirSync(t.dir).sort();
      const dry = await runCli([...args, '--dry-run', '--summary-format', 'json', '--quiet']);
      assert.is(dry.code, 0, `${c.name}: ${dry.stderr}`);
      assert.not.ok(existsSync(out), `${c.name}: the dry run created ${out}`);
      assert.equal(readdirSync(t.dir).sort(), before, `${c.name}: no lock or staging files either`);
      const plan = JSON.parse(dry.stdout);
      assert.is(plan.dry_run, true);
      assert.is(plan.tensor_bytes_read, 0, `${c.name}: no tensor data read`);
      assert.ok(plan.layers.length >= 1 && plan.arrays.length >= 10);

      const real = await runCli([...args, '--quiet', '--no-summary']);
      assert.is(real.code, 0, `${c.name}: ${real.stderr}`);
      const bytes = treeBytes(out);
      const err = Math.abs(plan.estimated_output_bytes - bytes) / bytes;
      worst = Math.max(worst, err);
      assert.ok(err < 0.05, `${c.name}: estimated ${plan.estimated_output_bytes}, wrote ${bytes} (${(err * 100).toFixed(2)}%)`);
    }
    assert.ok(worst < 0.05);
  } finally {
    t.cleanup();
  }
});

test('the text plan names layers, roles, ignored tensors, arrays and the estimate', async () => {
  const c = corpusCases().find((x) => x.name === 'extra_tensor_ignored')!;
  const t = tempDir('dry-text');
  try {
    const out = join(t.dir, 'out');
    const r = await runCli([...caseArgs(c.args, join(c.dir, 'input'), out), '--dry-run']);
    assert.is(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Sera Transfer Conversion Plan \(dry run: nothing is written\)/);
    assert.match(r.stdout, /Layers and roles:\n  \S+\n    W_Q /);
    assert.match(r.stdout, /FFN_W1 /);
    assert.match(r.stdout, /Ignored tensors \(\d+, no role maps them\):\n  \S+/);
    assert.match(r.stdout, /cuckoo_delta +u8 .* ~\n/);
    assert.match(r.stdout, /Estimated output: \d+ bytes/);
    assert.not.ok(existsSync(out));
  } finally {
    t.cleanup();
  }
});

test('a gpt-oss checkpoint with a 40k-piece byte-level BPE: scan path, estimate within 5%', async () => {
  const t = tempDir('dry-moe');
  try {
    const src = join(t.dir, 'ckpt');
    synthesize({ preset: 'gpt-oss-20b', output: src, layers: 2, experts: 4, dModel: 64, intermediate: 64, heads: 4, kvHeads: 2, headDim: 16, vocab: 40000 });
    const out = join(t.dir, 'out');
    const fast = await planConversion({ source: src, output: out, r: 32, rv: 8, topL: 12 });
    assert.is(fast.tensorBytesRead, 0);
    assert.ok(fast.tokenizer && !fast.tokenizer.supported && fast.tokenizer.pieces === 40000);
    assert.ok(fast.warnings.some((w) => /estimated without running the tokenizer stage/.test(w)), 'the scan path was taken');
    assert.ok(fast.shards.length === 8, `${fast.shards.length} MXFP4 shard files`);
    const exact = await planConversion({ source: src, output: out, r: 32, rv: 8, topL: 12, tokenizerFastThreshold: Infinity });
    assert.not.ok(exact.warnings.some((w) => /estimated without running/.test(w)));
    assert.ok(Math.abs(fast.estimate.state - exact.estimate.state) / exact.estimate.state < 0.01,
      `scan ${fast.estimate.state} vs stage ${exact.estimate.state}`);
    assert.equal(fast.arrays.map((a) => [a.name, a.bytes]), exact.arrays.map((a) => [a.name, a.bytes]));

    const r = await runCli(['--source', src, '--output', out, '--r', '32', '--rv', '8', '--topL', '12', '--quiet', '--no-summary']);
    assert.is(r.code, 0, r.stderr);
    const bytes = treeBytes(out);
    const err = Math.abs(fast.estimate.total - bytes) / bytes;
    assert.ok(err < 0.05, `estimated ${fast.estimate.total}, wrote ${bytes} (${(err * 100).toFixed(2)}%)`);
  } finally {
    t.cleanup();
  }
});

test('--quantize-experts mxfp4: the dry run plans the quantized shards, within 5% of the real run', async () => {
  const t = tempDir('dry-quant');
  try {
    const src = join(t.dir, 'ckpt');
    synthesize({ preset: 'tiny', output: src, expertDtype: 'bf16' });
    const out = join(t.dir, 'out');
    const args = ['--source', src, '--output', out, '--r', '16', '--rv', '4', '--topL', '4', '--quantize-experts', 'mxfp4'];
    const dry = await runCli([...args, '--dry-run', '--summary-format', 'json', '--quiet']);
    assert.is(dry.code, 0, dry.stderr);
    const plan = JSON.parse(dry.stdout);
    assert.is(plan.tensor_bytes_read, 0);
    assert.ok(plan.rules.includes('quantize-experts-mxfp4'));
    // mlp1 and mlp2 of two layers, each as blocks [..., G, 16] and scales [..., G]
    assert.is(plan.mxfp4_shards.length, 8);
    for (let i = 0; i < plan.mxfp4_shards.length; i += 2) {
      const [blocks, scales] = [plan.mxfp4_shards[i], plan.mxfp4_shards[i + 1]];
      assert.match(blocks.file, /\.blocks\.bin$/);
      assert.match(scales.file, /\.scales\.bin$/);
      assert.is(blocks.shape[blocks.shape.length - 1], 16);
      assert.equal(scales.shape, blocks.shape.slice(0, -1));
    }

    const real = await runCli([...args, '--quiet', '--no-summary']);
    assert.is(real.code, 0, real.stderr);
    assert.equal(plan.mxfp4_shards.map((x: { file: string }) => x.file).sort(),
      readdirSync(join(out, 'arrays', 'mxfp4')).filter((f) => f !== 'index.json').map((f) => `arrays/mxfp4/${f}`).sort());
    const bytes = treeBytes(out);
    const err = Math.abs(plan.estimated_output_bytes - bytes) / bytes;
    assert.ok(err < 0.05, `estimated ${plan.estimated_output_bytes}, wrote ${bytes} (${(err * 100).toFixed(2)}%)`);
  } finally {
    t.cleanup();
  }
});

test('--mxfp4-shards / --no-mxfp4-shards: the last one wins, in the dry run as in the conversion', async () => {
  const t = tempDir('dry-flags');
  try {
    const src = join(t.dir, 'ckpt');
    synthesize({ preset: 'tiny', output: src });
    const base = ['--source', src, '--r', '16', '--rv', '4', '--topL', '4', '--quiet'];
    for (const [flags, want] of [[['--mxfp4-shards', '--no-mxfp4-shards'], false], [['--no-mxfp4-shards', '--mxfp4-shards'], true]] as const) {
      const out = join(t.dir, flags.join(''));
      const dry = await runCli([...base, '--output', out, ...flags, '--dry-run', '--summary-format', 'json']);
      assert.is(dry.code, 0, dry.stderr);
      assert.is(JSON.parse(dry.stdout).mxfp4_shards.length > 0, want, flags.join(' '));
      const real = await runCli([...base, '--output', out, ...flags, '--no-summary']);
      assert.is(real.code, 0, real.stderr);
      assert.is(existsSync(join(out, 'arrays', 'mxfp4')), want, flags.join(' '));
    }
  } finally {
    t.cleanup();
  }
});

test('a tokenizer.json with a UTF-8 BOM: the dry run rejects it as the conversion does (also on the scan path)', async () => {
  const t = tempDir('dry-bom');
  try {
    const src = join(t.dir, 'ckpt');
    synthesize({ preset: 'gpt-oss-20b', output: src, layers: 1, experts: 2, dModel: 64, intermediate: 64, heads: 4, kvHeads: 2, headDim: 16, vocab: 1000 });
    const opts = { source: src, output: join(t.dir, 'out'), r: 8, rv: 2, topL: 4, tokenizerFastThreshold: 0 };
    const plan = await planConversion(opts);
    assert.ok(plan.warnings.some((w) => /estimated without running the tokenizer stage/.test(w)), 'the scan path applies without the BOM');
    const f = join(src, 'tokenizer.json');
    writeFileSync(f, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), readFileSync(f)]));
    const failure = (p: Promise<unknown>) => p.then(() => null, (e: Error) => `${e.constructor.name}: ${e.message}`);
    const dry = await failure(planConversion(opts));
    const real = await failure(convert({ ...opts, log: new ConversionLog() }));
    assert.match(real ?? '', /Unexpected UTF-8 BOM/);
    assert.is(dry, real);
  } finally {
    t.cleanup();
  }
});

test('JSON layout arithmetic of the scan path matches json.dumps(indent=2)', () => {
  const samples: string[][] = [[], ['a'], ['x', 'yy', 'zzz'], Array.from({ length: 50 }, (_, i) => 'v'.repeat(i % 7))];
  for (const items of samples) {
    for (let depth = 0; depth < 6; depth++) {
      // a list at depth `depth`: nest it in depth dicts
      let v: any = items;
      for (let d = 0; d < depth; d++) v = dict({ k: v });
      const nested = dumps(v).length;
      let shell: any = [];
      for (let d = 0; d < depth; d++) shell = dict({ k: shell });
      const base = dumps(shell).length;
      assert.is(base - 2 + listBytes(depth, items.map((s) => jsonStringBytes(s))), nested, `depth ${depth}, ${items.length} items`);
    }
  }
  for (const s of ['plain', 'quote"back\\slash', 'tab\tnl\n', '\u0001\u007f', 'é€😀', 'Ġhello']) {
    assert.is(jsonStringBytes(s), dumps(s).length, JSON.stringify(s));
  }
});

test.run();
