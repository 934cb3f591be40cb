// Worker plumbing: the SERA_TRANSFER_THREADS budget and errors carried across
// the thread boundary (a SeraError keeps its hint; anything else stays a plain
// Error, which the CLI reports as a bug).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { availableParallelism } from 'node:os';
import { MessageChannel } from 'node:worker_threads';
import { errorFromMessage, postError, type ErrorMessage } from '../../src/stages/worker-common.js';
import { threadBudget } from '../../src/stages/bridge-spawn.js';
import { SeraError, StageError } from '../../src/errors.js';

function withThreads<T>(value: string | undefined, f: () => T): T {
  const saved = process.env.SERA_TRANSFER_THREADS;
  if (value === undefined) delete process.env.SERA_TRANSFER_THREADS;
  else process.env.SERA_TRANSFER_THREADS = value;
  try {
    return f();
  } finally {
    if (saved === undefined) delete process.env.SERA_TRANSFER_THREADS;
    else process.env.SERA_TRANSFER_THREADS = saved;
  }
}

test('threadBudget: a positive integer SERA_TRANSFER_THREADS is explicit, anything else means the machine', () => {
  assert.equal(withThreads('3', threadBudget), { cores: 3, explicit: true });
  for (const v of [undefined, '', '0', '-2', '1.5', 'many']) {
    assert.equal(withThreads(v, threadBudget), { cores: availableParallelism(), explicit: false }, `SERA_TRANSFER_THREADS=${v}`);
  }
});

async function roundTrip(e: unknown): Promise<Error> {
  const { port1, port2 } = new MessageChannel();
  try {
    const got = new Promise<ErrorMessage>((r) => port2.once('message', r));
    postError(port1, e);
    return errorFromMessage(await got);
  } finally {
    port1.close();
  }
}

test('a SeraError crosses with its class name, message, hint and exit code; other errors stay plain Errors', async () => {
  const sera = await roundTrip(new StageError('overlay dimensions', 'lower --r'));
  assert.instance(sera, SeraError);
  assert.is(sera.name, 'StageError', 'the report shows the class name as the error kind');
  assert.is(sera.message, 'overlay dimensions');
  assert.is((sera as SeraError).hint, 'lower --r');
  assert.is((sera as SeraError).exitCode, 1);
  const extra = await new Promise<unknown>((resolve) => {
    const { port1, port2 } = new MessageChannel();
    port2.once('message', (m) => { port1.close(); resolve(m); });
    postError(port1, new StageError('x'), { stage: 'overlays' });
  });
  assert.is((extra as { stage: string }).stage, 'overlays', 'extra fields travel with the error');

  const bug = new TypeError('x is undefined');
  const plain = await roundTrip(bug);
  assert.not.instance(plain, SeraError);
  assert.is(plain.message, 'x is undefined');
  assert.is(plain.stack, bug.stack, 'the worker stack is kept for --debug');

  const thrown = await roundTrip('a string');
  assert.not.instance(thrown, SeraError);
  assert.is(thrown.message, 'a string');
});

test.run();
