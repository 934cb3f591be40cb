// The mixture-of-experts regime end to end on tiny synthetic gpt-oss checkpoints:
// both layouts convert, verify, are deterministic, and write MXFP4 shards.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, readdirSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { synthesize } from '../../src/synth/synth.js';
import { convert } from '../../src/convert.js';
import { verifyPackage } from '../../src/index.js';
import { parseJson } from '../../src/format/json-parse.js';
import { ConversionLog } from '../../src/log.js';
import { openCheckpoint } from '../../src/io/shards.js';
import { loadSafetensorsReader } from '../../src/io/safetensors.js';
import { parseModelConfig } from '../../src/model/config.js';
import { planLayers } from '../../src/model/layer-plan.js';
import { TensorSet } from '../../src/model/tensors.js';
import type { PyValue } from '../../src/format/pyvalue.js';

let root = '';
test.before(() => { root = mkdtempSync(join(tmpdir(), 'sera-moe-')); });
test.after(() => { rmSync(root, { recursive: true, force: true }); });

const quiet = () => new ConversionLog();

function state(dir: string): Map<string, any> {
  return parseJson(readFileSync(join(dir, 'sera_state.json'), 'utf8')) as Map<string, any>;
}

test('tiny gpt-oss (original layout) takes the MoE path and verifies', async () => {
  const src = join(root, 'orig');
  synthesize({ preset: 'tiny', output: src, layout: 'original' });
  const out = join(root, 'orig-out');
  const { summary } = await convert({ source: src, output: out, r: 16, rv: 4, topL: 4, log: quiet() });
  assert.equal(await verifyPackage(out), []);
  const s = state(out);
  const meta = s.get('metadata');
  assert.ok(meta.get('compat').get('rules').includes('moe-expert-path'));
  const moe = meta.get('linear').get('moe');
  assert.is(moe.get('rule'), 'sera-transfer-moe-v1');
  assert.is(moe.get('residuals_per_key'), 8n);
  // one weight per (layer, feature); residuals bounded per key
  const keys = meta.get('linear').get('keys');
  const layers = s.get('model_config').get('layers').length;
  assert.is(keys.length, layers * Number(s.get('model_config').get('d_model')));
  assert.ok(Number(meta.get('linear').get('residuals')) <= 8 * keys.length);
  // the router is never FFN_W1
  for (const l of s.get('model_config').get('layers')) assert.not.match(l.get('w1'), /gate\.weight|router/);
  assert.is(meta.get('bridge').get('rule'), 'sera-transfer-moe-bridge-v1');
  // MXFP4 shards with their index
  const shards = readdirSync(join(out, 'arrays', 'mxfp4'));
  assert.ok(shards.includes('index.json'));
  assert.ok(shards.filter((f) => f.endsWith('.bin')).length >= 8);
  assert.ok(summary.arrays.some((a) => a.name === 'linear_weights'));
});

test('the Hugging Face layout gives the same collapsed weights as the original layout', async () => {
  const a = join(root, 'orig2'); const b = join(root, 'hf2');
  synthesize({ preset: 'tiny', output: a, layout: 'original' });
  synthesize({ preset: 'tiny', output: b, layout: 'hf' });
  const oa = join(root, 'orig2-out'); const ob = join(root, 'hf2-out');
  await convert({ source: a, output: oa, r: 16, rv: 4, topL: 4, log: quiet() });
  await convert({ source: b, output: ob, r: 16, rv: 4, topL: 4, log: quiet() });
  assert.equal(await verifyPackage(ob), []);
  for (const f of ['linear_weights.bin', 'linear_keys.bin', 'cuckoo_delta.bin', 'linear_bias.bin']) {
    assert.ok(readFileSync(join(oa, 'arrays', f)).equals(readFileSync(join(ob, 'arrays', f))), f);
  }
});

test('conversion is deterministic and --no-mxfp4-shards skips the shards', async () => {
  const src = join(root, 'det');
  synthesize({ preset: 'tiny', output: src, layout: 'original', seed: 3 });
  const o1 = join(root, 'det-1'); const o2 = join(root, 'det-2');
  await convert({ source: src, output: o1, r: 8, rv: 2, topL: 3, log: quiet() });
  await convert({ source: src, output: o2, r: 8, rv: 2, topL: 3, log: quiet(), mxfp4Shards: false });
  for (const f of readdirSync(join(o1, 'arrays')).filter((x) => x.endsWith('.bin'))) {
    assert.ok(readFileSync(join(o1, 'arrays', f)).equals(readFileSync(join(o2, 'arrays', f))), f);
  }
  assert.ok(readFileSync(join(o1, 'sera_manifest.bin')).equals(readFileSync(join(o2, 'sera_manifest.bin'))));
  assert.not.ok(existsSync(join(o2, 'arrays', 'mxfp4')));
  assert.equal(await verifyPackage(o2), []);
});

test('2-D MXFP4 checkpoints keep the reference path and write no shards by default', async () => {
  const { corpusCases } = await import('../helpers/corpus.js');
  const c = corpusCases().find((x) => x.name === 'mxfp4_2d_collapsed')!;
  const out = join(root, 'mx2d');
  await convert({ source: join(c.dir, 'input'), output: out, r: 8, rv: 4, topL: 4, log: quiet() });
  assert.not.ok(existsSync(join(out, 'arrays', 'mxfp4')));
  assert.ok(readFileSync(join(out, 'arrays', 'linear_weights.bin')).equals(readFileSync(join(c.dir, 'expected/out/arrays/linear_weights.bin'))));
});

test('MoE with tensor shapes over config: n_heads comes from the Q tensors, as in the dense regime', async () => {
  await loadSafetensorsReader();
  const src = join(root, 'heads');
  synthesize({ preset: 'tiny', output: src, layout: 'hf' }); // separate Q/K/V: 4 heads of 16 over d_model 64
  const raw = parseJson(readFileSync(join(src, 'config.json'), 'utf8')) as Map<string, PyValue>;
  raw.set('num_attention_heads', 8n); // 8 × 16 = 128: no attention tensor has that width
  const store = openCheckpoint(join(src, 'model.safetensors.index.json'));
  try {
    const plan = planLayers(parseModelConfig(raw), new TensorSet(store));
    assert.is(plan.regime, 'moe');
    assert.ok(plan.deviations.includes('tensor-shapes-over-config'));
    assert.is(plan.nHeads, 4);
  } finally {
    store.close();
  }
});

test.run();
