// Long stages check for a stop between their tensors or layers, not only at
// stage boundaries: a checkpoint that throws inside the MXFP4 shard copy or the
// threaded MoE collapse ends the conversion there, with nothing written. The
// threaded collapse (forced with SERA_TRANSFER_THREADS) gives the same bytes as
// the single-thread one.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { synthesize } from '../../src/synth/synth.js';
import { convert } from '../../src/convert.js';
import { ConversionLog } from '../../src/log.js';
import { Worker } from 'node:worker_threads';
import { withThreads } from '../helpers/threads.js';

let root = '';
let src = '';
let dense = '';
test.before(() => {
  root = mkdtempSync(join(tmpdir(), 'sera-stagecp-'));
  src = join(root, 'tiny');
  synthesize({ preset: 'tiny', output: src });
  dense = join(root, 'dense');
  synthesize({ preset: 'dense', output: dense, layers: 3, dModel: 32 });
});
test.after(() => { rmSync(root, { recursive: true, force: true }); });

class Stop extends Error {}

/** Converts with SERA_TRANSFER_THREADS set (restored afterwards), recording every checkpoint call. */
async function run(output: string, threads: string, stopAt?: (stage: string, within: boolean, n: number) => boolean, source = src) {
  const calls: string[] = [];
  try {
    await withThreads(threads, () => convert({
      source, output, r: 16, rv: 4, topL: 4, log: new ConversionLog(),
      checkpoint: (stage, within = false) => {
        calls.push(`${stage}${within ? ' (within)' : ''}`);
        if (stopAt?.(stage, within, calls.filter((c) => c === `${stage} (within)`).length)) throw new Stop(stage);
      },
    }));
    return { calls, error: null as unknown };
  } catch (e) {
    return { calls, error: e };
  }
}

/** The whole error (class, message, stack, own fields) for a failure message. */
function describe(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message}\n${e.stack ?? ''}\n${JSON.stringify(e)}`;
  return `${typeof e} ${JSON.stringify(e)}`;
}

function tree(dir: string, at = ''): Map<string, string> {
  const m = new Map<string, string>();
  for (const e of readdirSync(join(dir, at), { withFileTypes: true })) {
    const rel = join(at, e.name);
    if (e.isDirectory()) for (const [k, v] of tree(dir, rel)) m.set(k, v);
    else if (e.name !== 'conversion.log' && e.name !== 'sera_state.json') m.set(rel, readFileSync(join(dir, rel)).toString('hex'));
  }
  return m;
}

test('the shard copy and the threaded collapse have checkpoints between tensors and layers', async () => {
  const { calls, error } = await run(join(root, 'full'), '2');
  assert.is(error, null, describe(error));
  const within = (s: string) => calls.filter((c) => c === `${s} (within)`).length;
  assert.ok(within('mxfp4-shards') >= 4, `mxfp4-shards checkpoints: ${within('mxfp4-shards')}`); // one per MXFP4 tensor
  assert.ok(within('collapse') >= 1, `collapse checkpoints: ${within('collapse')}`); // between layers handed to workers
  assert.ok(calls.indexOf('mxfp4-shards') < calls.indexOf('mxfp4-shards (within)'), 'within-stage checkpoints follow the stage start');
});

for (const stage of ['mxfp4-shards', 'collapse']) {
  test(`a stop inside '${stage}' ends the conversion there and leaves no package`, async () => {
    const out = join(root, `stop-${stage}`);
    const { calls, error } = await run(out, '2', (s, within, n) => s === stage && within && n === 1);
    assert.instance(error, Stop);
    assert.is(calls[calls.length - 1], `${stage} (within)`, 'nothing ran after the stop');
    assert.not.ok(existsSync(join(out, 'sera_manifest.bin')));
    assert.equal(existsSync(out) ? readdirSync(out) : [], []);
    assert.equal(readdirSync(root).filter((n) => n.startsWith(`.stop-${stage}`) || n.includes(`stop-${stage}.`)), [], 'no staging folder or lock left');
  });
}

test('the dense collapse checks between layers; a stop there leaves nothing', async () => {
  const full = await run(join(root, 'dense-full'), '1', undefined, dense);
  assert.is(full.error, null, describe(full.error));
  assert.is(full.calls.filter((c) => c === 'collapse (within)').length, 2, 'one checkpoint between each pair of the 3 layers');
  const out = join(root, 'dense-stop');
  const r = await run(out, '1', (s, within, n) => s === 'collapse' && within && n === 2, dense);
  assert.instance(r.error, Stop);
  assert.is(r.calls[r.calls.length - 1], 'collapse (within)');
  assert.not.ok(existsSync(out));
});

test('threaded and single-thread MoE collapse write identical packages', async () => {
  const a = join(root, 'one'), b = join(root, 'two');
  const one = await run(a, '1');
  assert.is(one.error, null, describe(one.error));
  const r = await run(b, '2');
  assert.is(r.error, null, describe(r.error));
  assert.ok(r.calls.includes('collapse (within)'), 'the second run used workers');
  const ta = tree(a), tb = tree(b);
  assert.ok(ta.size > 10);
  assert.equal([...ta.keys()].sort(), [...tb.keys()].sort());
  for (const [k, v] of ta) assert.ok(tb.get(k) === v, `${k} differs between 1 and 2 threads`);
});

// A worker handed 'close' while others still work (more workers than layers
// left) must end cleanly in every runtime: Deno's parentPort has no close().
test('a collapse worker told to close before any layer closes its checkpoint and reports it', async () => {
  const w = new Worker(new URL('../../src/stages/collapse-moe-worker.js', import.meta.url), { workerData: { source: join(src, 'model.safetensors'), params: {} } });
  const events: string[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      w.on('error', (e) => { events.push(`error ${String(e)}`); reject(e); });
      w.on('message', (m: { type: string }) => {
        events.push(m.type);
        if (m.type === 'ready') w.postMessage({ type: 'close' });
        else if (m.type === 'closed') resolve();
        else reject(new Error(`unexpected message ${JSON.stringify(m)}`));
      });
    });
  } finally {
    await w.terminate();
  }
  assert.equal(events, ['ready', 'closed']);
});

test.run();
