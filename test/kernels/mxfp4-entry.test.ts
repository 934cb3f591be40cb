// The standalone entry `sera-transfer/kernels` (src/kernels/index.ts): its API
// works, and its import graph stays inside src/kernels (no converter code).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readText } from '../../src/io/fs.js';
import * as entry from '../../src/kernels/index.js';

const here = dirname(fileURLToPath(import.meta.url)); // dist/test/kernels
const distKernels = resolve(here, '../../src/kernels');

test('exports the codec, its sync forms and loaders, and crc32c', () => {
  for (const name of ['decodeMxfp4', 'decodeMxfp4Sync', 'decodeMxfp4Into', 'encodeMxfp4', 'encodeMxfp4Sync', 'encodeMxfp4Into', 'loadMxfp4', 'crc32c', 'crc32cSync', 'loadCrc32c', 'loadKernels']) {
    assert.type((entry as Record<string, unknown>)[name], 'function', name);
  }
  assert.is(entry.ENCODER_RULE, 'ocp-mx-v1-floor-rne');
});

test('async forms load on first use; sync forms work after loadKernels()', async () => {
  const grid = [0, 0.5, 1, 1.5, 2, 3, 4, 6, -0, -0.5, -1, -1.5, -2, -3, -4, -6];
  const values = new Float32Array(64).map((_, i) => grid[i % 16]! * (i < 32 ? 1 : 0.25));
  const enc = await entry.encodeMxfp4(values);
  assert.is(enc.blocks.length, 32);
  assert.is(enc.scales.length, 2);
  const dec = await entry.decodeMxfp4(enc.blocks, enc.scales);
  assert.instance(dec, Float32Array);
  assert.equal(Array.from(dec), Array.from(values)); // grid values round-trip exactly
  assert.is(enc.scales[1], 125);
  const d64 = await entry.decodeMxfp4(enc.blocks, enc.scales, { precision: 'f64' });
  assert.instance(d64, Float64Array);
  await entry.loadKernels();
  assert.is(entry.crc32cSync(new TextEncoder().encode('123456789')), 0xe3069283);
  assert.is(await entry.crc32c(new TextEncoder().encode('123456789')), 0xe3069283);
});

test('import graph of the entry stays inside src/kernels (plus node: builtins)', () => {
  const seen = new Set<string>();
  const outside: string[] = [];
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const src = readText(file).replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
    for (const m of src.matchAll(/(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)) {
      const spec = (m[1] ?? m[2])!;
      if (spec.startsWith('node:')) continue;
      if (!spec.startsWith('.')) {
        outside.push(`${file}: ${spec}`);
        continue;
      }
      const target = resolve(dirname(file), spec);
      if (dirname(target) !== distKernels) outside.push(`${file}: ${spec}`);
      else visit(target);
    }
  };
  visit(join(distKernels, 'index.js'));
  assert.ok(seen.size >= 4, `visited ${[...seen].join(', ')}`);
  assert.equal(outside, []);
});

test.run();
