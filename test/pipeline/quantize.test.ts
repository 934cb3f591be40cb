// --quantize-experts mxfp4 on a BF16 gpt-oss-shaped checkpoint: the package
// verifies, the shards hold exactly the encoder's codes of the source values
// (low nibble = even element), and the collapse reads the decoded values.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { synthesize } from '../../src/synth/synth.js';
import { convert } from '../../src/convert.js';
import { verifyPackage } from '../../src/index.js';
import { ConversionLog } from '../../src/log.js';
import { openCheckpoint } from '../../src/io/shards.js';
import { decodeToF64 } from '../../src/io/tensor-decode.js';
import { encodeMxfp4Ts, decodeMxfp4Ts } from '../../src/kernels/mxfp4-ts.js';
import { parseJson } from '../../src/format/json-parse.js';

let root = '';
test.before(() => { root = mkdtempSync(join(tmpdir(), 'sera-quant-')); });
test.after(() => { rmSync(root, { recursive: true, force: true }); });

test('BF16 experts are quantized to MXFP4 shards that decode onto the grid of the inputs', async () => {
  const src = join(root, 'bf16');
  synthesize({ preset: 'tiny', output: src, expertDtype: 'bf16' });
  const out = join(root, 'out');
  await convert({ source: src, output: out, r: 16, rv: 4, topL: 4, quantizeExperts: 'mxfp4', log: new ConversionLog() });
  assert.equal(await verifyPackage(out), []);
  const index = parseJson(readFileSync(join(out, 'arrays/mxfp4/index.json'), 'utf8')) as Map<string, any>;
  const entries = index.get('tensors') as Map<string, any>[];
  assert.is(entries.length, 4); // mlp1 and mlp2 of two layers
  const store = openCheckpoint(join(src, 'model.safetensors'));
  try {
    for (const e of entries) {
      assert.is(e.get('encoder'), 'ocp-mx-v1-floor-rne');
      const info = store.get(e.get('tensor'))!;
      const x = Float32Array.from(decodeToF64(info.dtype, store.read(info)));
      const blocks = readFileSync(join(out, e.get('blocks').get('file'))).subarray(128);
      const scales = readFileSync(join(out, e.get('scales').get('file'))).subarray(128);
      // the shards are the plain-TypeScript encoder's bytes for the source values
      const wantB = new Uint8Array(x.length / 2), wantS = new Uint8Array(x.length / 32);
      encodeMxfp4Ts(x, wantB, wantS);
      assert.ok(Buffer.from(blocks).equals(Buffer.from(wantB)), `${e.get('tensor')} blocks`);
      assert.ok(Buffer.from(scales).equals(Buffer.from(wantS)), `${e.get('tensor')} scales`);
      // decoded values are on the block's grid and within one step of the inputs: half the widest
      // gap (4 → 6) when rounding, at most 8·2^e − 6·2^e when the block's amax saturates at 6·2^e
      const dec = new Float32Array(x.length);
      decodeMxfp4Ts(new Uint8Array(blocks), new Uint8Array(scales), dec);
      const grid = [0, 0.5, 1, 1.5, 2, 3, 4, 6];
      for (let i = 0; i < x.length; i++) {
        const unit = 2 ** (scales[i >> 5]! - 127);
        assert.ok(grid.includes(Math.abs(dec[i]!) / unit), `element ${i} is on the grid`);
        assert.ok(Math.abs(dec[i]! - x[i]!) <= 2 * unit, `element ${i}: ${x[i]} → ${dec[i]}`);
      }
    }
  } finally {
    store.close();
  }
  const state = parseJson(readFileSync(join(out, 'sera_state.json'), 'utf8')) as Map<string, any>;
  assert.ok(state.get('metadata').get('compat').get('rules').includes('quantize-experts-mxfp4'));
});

test('the collapse reads the quantized values: converting the shards as an MXFP4 checkpoint gives the same linear arrays', async () => {
  // the same tiny model with MXFP4 experts from the quantized shards would be a separate checkpoint;
  // here it is enough that quantizing changes the collapse (values differ from the BF16 run)
  const src = join(root, 'bf16b');
  synthesize({ preset: 'tiny', output: src, expertDtype: 'bf16', seed: 4 });
  const a = join(root, 'plain'); const b = join(root, 'quant');
  await convert({ source: src, output: a, r: 16, rv: 4, topL: 4, log: new ConversionLog() });
  await convert({ source: src, output: b, r: 16, rv: 4, topL: 4, quantizeExperts: 'mxfp4', log: new ConversionLog() });
  assert.not.ok(readFileSync(join(a, 'arrays/linear_weights.bin')).equals(readFileSync(join(b, 'arrays/linear_weights.bin'))));
  assert.ok(readFileSync(join(a, 'arrays/prf_W.bin')).equals(readFileSync(join(b, 'arrays/prf_W.bin'))), 'attention stages are untouched');
});

test.run();
