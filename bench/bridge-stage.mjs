// Times bridgeRecords() (the bridge worker's job) on one checkpoint for two
// builds side by side in one process: the base build (default /work/main's
// dist) and this tree's dist (both built). The checkpoint is opened as the
// bridge worker opens it (stages/bridge-worker.ts); runs alternate between the
// builds, and the medians are printed with their ratio, and each build's first
// (JIT-cold) run. Both builds must agree on every output byte (checked on the
// first run).
//
//   node bench/bridge-stage.mjs [--source /tmp/dense512] [--base /work/main] [--repeat 15]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { root } from '../scripts/lib/shared.mjs';
import { median } from './measure.mjs';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const source = arg('source', '/tmp/dense512');
const base = arg('base', '/work/main');
const repeat = Number(arg('repeat', '15'));

/** One build's bridge over the checkpoint, set up as the bridge worker does. */
async function setup(tree) {
  const mod = (p) => import(pathToFileURL(join(tree, 'dist/src', p)).href);
  const [{ loadWorkerKernels, openWorkerTensors }, { parseJsonBytes }, { parseModelConfig }, { planLayers }, { bridgeRecords }, linalg] = await Promise.all([
    mod('stages/worker-common.js'), mod('format/json-parse.js'), mod('model/config.js'), mod('model/layer-plan.js'), mod('stages/bridge.js'), mod('kernels/linalg.js'),
  ]);
  await loadWorkerKernels([linalg.loadLinalg]); // both builds get the same kernels (the base bridge uses none of linalg)
  const { tensors, close } = await openWorkerTensors(join(source, 'model.safetensors'));
  const cfgPath = join(source, 'config.json');
  const cfg = parseModelConfig(parseJsonBytes(readFileSync(cfgPath)), cfgPath);
  const plan = planLayers(cfg, tensors);
  return { run: () => bridgeRecords({ layers: plan.layers, tensors, dModel: cfg.dModel }, cfg.vocabSize), close };
}

const builds = [{ name: `base (${base})`, ...(await setup(base)) }, { name: `this tree (${root})`, ...(await setup(root)) }];
const bytesOf = (res) => Buffer.concat([...res.arrays.map((a) => Buffer.from(a.payload.buffer, a.payload.byteOffset, a.payload.byteLength)),
  Buffer.from(JSON.stringify(res.metadata, (_k, v) => (v instanceof Map ? Object.fromEntries(v) : typeof v === 'bigint' ? `${v}n` : v)))]);
// the first run of each build is also timed: in a conversion the bridge runs once, in a fresh worker (JIT cold)
const cold = [];
const first = builds.map((b) => {
  const t0 = performance.now();
  const res = b.run();
  cold.push(performance.now() - t0);
  return bytesOf(res);
});
if (!first[0].equals(first[1])) {
  console.error('bridge-stage: the two builds disagree on the bridge output');
  process.exit(1);
}
const times = builds.map(() => []);
for (let i = 0; i < repeat; i++) {
  for (let j = 0; j < builds.length; j++) {
    const t0 = performance.now();
    builds[j].run();
    times[j].push(performance.now() - t0);
  }
}
const med = times.map(median);
console.log(`bridgeRecords on ${source}: median of ${repeat} runs each (alternating), outputs identical`);
builds.forEach((b, j) => console.log(`  ${b.name.padEnd(40)} ${med[j].toFixed(1).padStart(7)} ms   (min ${Math.min(...times[j]).toFixed(1)}, max ${Math.max(...times[j]).toFixed(1)}; first run ${cold[j].toFixed(1)})`));
console.log(`  ratio new/base: ${(med[1] / med[0]).toFixed(3)}   speedup ${(med[0] / med[1]).toFixed(2)}x`);
builds.forEach((b) => b.close());
