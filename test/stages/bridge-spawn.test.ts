// Starting the bridge worker: the thread budget, the size rule, the early guess at
// the checkpoint's size, and a started worker's one-way states.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { BRIDGE_WORKER_MIN_BYTES, BridgeWorker, bridgeOnWorker, guessWeightBytes, threadBudget } from '../../src/stages/bridge-spawn.js';
import { withThreads } from '../helpers/threads.js';

let root = '';
test.before(() => { root = mkdtempSync(join(tmpdir(), 'sera-spawn-')); });
test.after(() => { rmSync(root, { recursive: true, force: true }); });

test('threadBudget: a positive integer SERA_TRANSFER_THREADS is explicit, anything else means the machine', () => {
  assert.equal(withThreads('3', threadBudget), { cores: 3, explicit: true });
  for (const v of [undefined, '', '0', '-2', '1.5', 'many']) {
    assert.equal(withThreads(v, threadBudget), { cores: availableParallelism(), explicit: false }, `SERA_TRANSFER_THREADS=${v}`);
  }
});

test('bridgeOnWorker: big checkpoints on two cores, any size when the threads are explicit, never on one', () => {
  const machine = availableParallelism() >= 2;
  withThreads(undefined, () => {
    assert.is(bridgeOnWorker(BRIDGE_WORKER_MIN_BYTES - 1), false);
    assert.is(bridgeOnWorker(BRIDGE_WORKER_MIN_BYTES), machine);
  });
  withThreads('2', () => assert.is(bridgeOnWorker(0), true));
  withThreads('1', () => assert.is(bridgeOnWorker(BRIDGE_WORKER_MIN_BYTES * 4), false));
});

test('guessWeightBytes: the *.safetensors of the first root that has any, in discovery order', () => {
  const src = join(root, 'ckpt');
  mkdirSync(join(src, 'original', 'model'), { recursive: true });
  writeFileSync(join(src, 'config.json'), '{}');
  assert.is(guessWeightBytes(src, null), 0, 'no weights anywhere');
  writeFileSync(join(src, 'original', 'model', 'model.safetensors'), new Uint8Array(7));
  assert.is(guessWeightBytes(src, null), 7, 'original/model/');
  writeFileSync(join(src, 'original', 'a.safetensors'), new Uint8Array(5));
  writeFileSync(join(src, 'original', 'b.safetensors'), new Uint8Array(6));
  writeFileSync(join(src, 'original', 'notes.txt'), new Uint8Array(100));
  assert.is(guessWeightBytes(src, null), 11, 'original/ comes before original/model/, every shard counts');
  writeFileSync(join(src, 'model.safetensors'), new Uint8Array(3));
  assert.is(guessWeightBytes(src, null), 3, 'the source root first');
  rmSync(join(src, 'model.safetensors'));
  assert.is(guessWeightBytes(src, join('original', 'model')), 7, '--original-subdir replaces original/');
  assert.is(guessWeightBytes(join(root, 'missing'), null), 0);
});

test('a started worker is taken once or released once', async () => {
  const taken = BridgeWorker.spawn();
  if (!taken) return assert.unreachable('the worker thread did not start');
  assert.is(taken.state, 'waiting');
  const w = taken.take();
  assert.ok(w);
  assert.is(taken.take(), null);
  taken.release(); // a taken worker belongs to its job
  assert.is(taken.state, 'taken');
  await w!.terminate();

  const unused = BridgeWorker.spawn()!;
  const exited = new Promise<void>((resolve) => unused.worker.once('exit', () => resolve()));
  unused.release();
  assert.is(unused.state, 'released');
  assert.is(unused.take(), null);
  await exited;
});

test('a waiting worker that fails or stops is declined, and its error does not end the process', async () => {
  const failing = BridgeWorker.spawn()!;
  failing.worker.emit('error', new Error('kernel load failed')); // unheard, this would throw here
  const gone = new Promise<void>((resolve) => failing.worker.once('exit', () => resolve()));
  await failing.worker.terminate(); // stops on its own, before any job took it
  await gone;
  assert.is(failing.state, 'exited');
  assert.is(failing.take(), null, 'a job would wait for a thread that is gone');
});

test.run();
