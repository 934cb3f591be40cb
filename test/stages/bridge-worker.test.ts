// The bridge worker re-plans the checkpoint on its own thread; with
// --quantize-experts it must read the FFN weights through the same MXFP4 views
// as the main thread, so threaded and single-thread runs write the same bytes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { synthesize } from '../../src/synth/synth.js';
import { convert } from '../../src/convert.js';
import { ConversionLog } from '../../src/log.js';
import { openCheckpoint } from '../../src/io/shards.js';
import { loadSafetensorsReader } from '../../src/io/safetensors.js';
import { loadMxfp4 } from '../../src/kernels/mxfp4.js';
import { parseJsonBytes } from '../../src/format/json-parse.js';
import { parseModelConfig } from '../../src/model/config.js';
import { planLayers } from '../../src/model/layer-plan.js';
import { TensorSet } from '../../src/model/tensors.js';
import { startBridgeWorker, takeOutcome } from '../../src/stages/bridge-parallel.js';
import { BRIDGE_WORKER_MIN_BYTES, BridgeWorker } from '../../src/stages/bridge-spawn.js';
import { SeraError } from '../../src/errors.js';
import { withThreads } from '../helpers/threads.js';
import { bridgeRecords, type BridgeResult } from '../../src/stages/bridge.js';
import { computeOverlays } from '../../src/stages/overlays.js';
import { loadGaussian } from '../../src/kernels/gaussian.js';
import { loadLinalg } from '../../src/kernels/linalg.js';
import { quantizeFfnWeights } from '../../src/stages/quantize.js';

let root = '';
let src = '';
test.before(() => {
  root = mkdtempSync(join(tmpdir(), 'sera-bridgew-'));
  src = join(root, 'dense');
  synthesize({ preset: 'dense', output: src, layers: 2, dModel: 32 });
});
test.after(() => { rmSync(root, { recursive: true, force: true }); });

/** The bridge computed on this thread, with or without the MXFP4 views. */
async function inThread(quantize: boolean): Promise<BridgeResult> {
  await Promise.all([loadSafetensorsReader(), loadMxfp4()]);
  const store = openCheckpoint(join(src, 'model.safetensors'));
  try {
    const cfg = parseModelConfig(parseJsonBytes(readFileSync(join(src, 'config.json'))), 'config.json');
    const tensors = new TensorSet(store);
    const plan = planLayers(cfg, tensors);
    if (quantize) assert.ok(quantizeFfnWeights(plan.layers, tensors).length > 0);
    return bridgeRecords({ layers: plan.layers, tensors, dModel: cfg.dModel }, cfg.vocabSize);
  } finally {
    store.close();
  }
}

const payloads = (r: BridgeResult) => r.arrays.map((a) => Buffer.from(a.payload).toString('hex'));

test('the bridge worker applies --quantize-experts as the main thread does', async () => {
  const configPath = join(src, 'config.json');
  const job = withThreads('2', () => startBridgeWorker(join(src, 'model.safetensors'), readFileSync(configPath), configPath, 0, { quantizeExperts: 'mxfp4' }));
  assert.ok(job, 'a worker was started');
  const fromWorker = await job!.result;
  assert.ok(fromWorker && !(fromWorker instanceof Error), String(fromWorker));
  const worker = fromWorker as BridgeResult;
  assert.equal(payloads(worker), payloads(await inThread(true)));
  assert.not.equal(payloads(worker), payloads(await inThread(false)), 'the quantized views change the bridge');
});

test('the worker runs the overlays before the bridge, with the results of this thread', async () => {
  const configPath = join(src, 'config.json');
  const job = withThreads('2', () => startBridgeWorker(join(src, 'model.safetensors'), readFileSync(configPath), configPath, 0,
    { overlays: { r: 16, rv: 4 } }));
  assert.ok(job && job.overlays, 'a worker with the overlays');
  const [overlays, bridge] = await Promise.all([job!.overlays!, job!.result]);
  for (const r of [overlays, bridge]) assert.ok(r && !(r instanceof Error), String(r));
  await Promise.all([loadSafetensorsReader(), loadMxfp4(), loadGaussian(), loadLinalg()]);
  const store = openCheckpoint(join(src, 'model.safetensors'));
  try {
    const cfg = parseModelConfig(parseJsonBytes(readFileSync(configPath)), 'config.json');
    const tensors = new TensorSet(store);
    const view = { layers: planLayers(cfg, tensors).layers, tensors, dModel: cfg.dModel };
    const here = { overlays: computeOverlays(view, 16, 4) };
    assert.equal(payloads(overlays as never), payloads(here.overlays as never));
    assert.equal([(overlays as typeof here.overlays).rows, (overlays as typeof here.overlays).cols], [here.overlays.rows, here.overlays.cols]);
  } finally {
    store.close();
  }
  assert.equal(payloads(bridge as BridgeResult), payloads(await inThread(false)));
  assert.is(job!.overlaysError(), null);
});

test('takeOutcome: a worker result is used, its error thrown, and a stage the worker never ran is computed here', async () => {
  assert.is(await takeOutcome(Promise.resolve(7), () => 1), 7);
  assert.is(await takeOutcome(Promise.resolve(null), () => 1), 1);
  const err = new SeraError('from the worker');
  try {
    await takeOutcome<number>(Promise.resolve(err), () => 1);
    assert.unreachable('the error is thrown');
  } catch (e) {
    assert.is(e, err);
  }
});

test('a worker stopped mid-job leaves its stages to this thread: the stages resolve to null', async () => {
  const configPath = join(src, 'config.json');
  const job = withThreads('2', () => startBridgeWorker(join(src, 'model.safetensors'), readFileSync(configPath), configPath, 0,
    { overlays: { r: 16, rv: 4 } }));
  assert.ok(job);
  await job!.cancel();
  const outcomes = await Promise.all([job!.overlays!, job!.result]);
  for (const o of outcomes) assert.ok(o === null || !(o instanceof Error), 'no error from a stopped worker');
  assert.ok(outcomes.includes(null), 'at least the bridge never ran');
});

/** Every file of a package as hex, but the log and the state (they name the output folder). */
function contents(dir: string): Map<string, string> {
  const files = (readdirSync(dir, { recursive: true }) as string[])
    .filter((f) => statSync(join(dir, f)).isFile() && !/(conversion\.log|sera_state\.json)$/.test(f)).sort();
  return new Map(files.map((f) => [f, readFileSync(join(dir, f)).toString('hex')]));
}

test('without SERA_TRANSFER_THREADS a small checkpoint bridges on the main thread, a big one on a worker', () => {
  withThreads(undefined, () => {
    const configPath = join(src, 'config.json');
    assert.is(startBridgeWorker(join(src, 'model.safetensors'), readFileSync(configPath), configPath, BRIDGE_WORKER_MIN_BYTES - 1), null);
    const job = startBridgeWorker(join(src, 'model.safetensors'), readFileSync(configPath), configPath, BRIDGE_WORKER_MIN_BYTES);
    if (availableParallelism() < 2) assert.is(job, null, 'one core: never a worker');
    else assert.ok(job, 'a worker was started');
    void job?.cancel();
  });
});

test('a quantized dense conversion writes the same bytes with 1 and 2 threads', async () => {
  const outs: Map<string, string>[] = [];
  for (const threads of ['1', '2']) {
    const out = join(root, `out-${threads}`);
    await withThreads(threads, () => convert({ source: src, output: out, r: 16, rv: 4, topL: 4, quantizeExperts: 'mxfp4', log: new ConversionLog() }));
    outs.push(contents(out));
  }
  assert.ok(outs[0]!.size > 10);
  assert.ok([...outs[0]!.keys()].some((k) => k.startsWith('arrays/mxfp4/')), 'the shards were written');
  assert.equal([...outs[1]!.entries()], [...outs[0]!.entries()]);
});

test('an overlays error on the worker is the error a single-thread run reports', async () => {
  const failures: { name: string; message: string; hint: string | undefined; left: boolean }[] = [];
  for (const threads of ['1', '2']) {
    const out = join(root, `fail-${threads}`);
    const err = await withThreads(threads, () => convert({ source: src, output: out, rv: 0, log: new ConversionLog() }).then(() => null, (e: unknown) => e));
    assert.instance(err, SeraError, `threads=${threads}`);
    const e = err as SeraError;
    failures.push({ name: e.name, message: e.message, hint: e.hint, left: readdirSync(root).includes(`fail-${threads}`) });
  }
  assert.equal(failures[1], failures[0]);
  assert.equal(failures[0], { name: 'StageError', message: 'Overlay dimensions must be positive', hint: 'use --r and --rv of at least 1', left: false });
});

test('convert() takes a worker started early when the bridge runs on a worker, and stops it otherwise', async () => {
  const exited = (bw: BridgeWorker) => new Promise<void>((resolve) => bw.worker.once('exit', () => resolve()));
  // small checkpoint, no SERA_TRANSFER_THREADS: the bridge runs here and the early worker is stopped
  const early = BridgeWorker.spawn()!;
  const gone = exited(early);
  await withThreads(undefined, () => convert({ source: src, output: join(root, 'early-unused'), r: 16, rv: 4, topL: 4, log: new ConversionLog(), bridgeWorker: early }));
  await gone;
  assert.is(early.state, 'released');
  // forced threads: the early worker runs the job
  const used = BridgeWorker.spawn()!;
  await withThreads('2', () => convert({ source: src, output: join(root, 'early-used'), r: 16, rv: 4, topL: 4, log: new ConversionLog(), bridgeWorker: used }));
  assert.is(used.state, 'taken');
  await withThreads('1', () => convert({ source: src, output: join(root, 'early-none'), r: 16, rv: 4, topL: 4, log: new ConversionLog() }));
  assert.equal([...contents(join(root, 'early-used')).entries()], [...contents(join(root, 'early-none')).entries()]);
  assert.equal([...contents(join(root, 'early-unused')).entries()], [...contents(join(root, 'early-none')).entries()]);
});

test('with a progress display the worker reports its reads, and the total read is that of a single-thread run', async () => {
  const totals: number[] = [];
  for (const threads of ['1', '2']) {
    let total = 0;
    await withThreads(threads, () => convert({
      source: src, output: join(root, `progress-${threads}`), r: 16, rv: 4, topL: 4, log: new ConversionLog(),
      onProgress: (e) => { total = Math.max(total, e.totalBytes); },
    }));
    totals.push(total);
  }
  assert.ok(totals[0]! > 0);
  assert.is(totals[1], totals[0]);
});

test.run();
