// PRF and overlays give the same arrays with the gaussian/linalg kernels and with
// their TypeScript twins (a child process that never loads the kernels).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { synthesize } from '../../src/synth/synth.js';

let root = '';
test.before(() => {
  root = mkdtempSync(join(tmpdir(), 'sera-prfov-'));
  synthesize({ preset: 'dense', output: join(root, 'm'), layers: 3, dModel: 48 });
});
test.after(() => { rmSync(root, { recursive: true, force: true }); });

const dist = fileURLToPath(new URL('../../src/', import.meta.url));

/** PRF then overlays on the synthetic model; returns each array's payload as hex. `kernels` loads gaussian and linalg first. */
const SCRIPT = (model: string, kernels: boolean) => `
import { readFileSync } from 'node:fs';
const m = (p) => import(${JSON.stringify(dist)} + p);
const { loadSafetensorsReader } = await m('io/safetensors.js');
const { openCheckpoint } = await m('io/shards.js');
const { TensorSet } = await m('model/tensors.js');
const { parseModelConfig } = await m('model/config.js');
const { planLayers } = await m('model/layer-plan.js');
const { parseJsonBytes } = await m('format/json-parse.js');
const { computePrf } = await m('stages/prf.js');
const { computeOverlays } = await m('stages/overlays.js');
await loadSafetensorsReader();
${kernels ? "await (await m('kernels/gaussian.js')).loadGaussian(); await (await m('kernels/linalg.js')).loadLinalg();" : ''}
const linalg = await m('kernels/linalg.js'), gauss = await m('kernels/gaussian.js');
const store = openCheckpoint(${JSON.stringify(join(model, 'model.safetensors'))});
const cfg = parseModelConfig(parseJsonBytes(readFileSync(${JSON.stringify(join(model, 'config.json'))}), 'config.json'), 'config.json');
const tensors = new TensorSet(store);
const view = { layers: planLayers(cfg, tensors).layers, tensors, dModel: cfg.dModel };
const arrays = [...computePrf(view, 16).arrays, ...computeOverlays(view, 16, 4).arrays];
console.log(JSON.stringify({ kernels: [gauss.gaussianLoaded(), linalg.linalgLoaded()], arrays: arrays.map((a) => [a.name, Buffer.from(a.payload).toString('hex')]) }));
`;

function run(kernels: boolean): { kernels: boolean[]; arrays: [string, string][] } {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', SCRIPT(join(root, 'm'), kernels)], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

test('with and without the gaussian/linalg kernels: the same PRF and overlay arrays', () => {
  const withKernels = run(true), without = run(false);
  assert.equal(withKernels.kernels, [true, true]);
  assert.equal(without.kernels, [false, false], 'the twin run never loaded the kernels');
  assert.equal(without.arrays.map((a) => a[0]), ['prf_W', 'R_init', 's_init', 'whitening_mu', 'whitening_sig2', 'overlays_H', 'overlays_U', 'overlays_DeltaW']);
  for (let i = 0; i < withKernels.arrays.length; i++) {
    assert.ok(withKernels.arrays[i]![1] === without.arrays[i]![1], `${withKernels.arrays[i]![0]} differs between the kernels and their TypeScript twins`);
  }
});

test.run();
