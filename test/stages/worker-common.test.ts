// Worker plumbing: errors carried across the thread boundary (a SeraError keeps
// its class name and hint; anything else stays a plain Error, which the CLI
// reports as a bug).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MessageChannel } from 'node:worker_threads';
import { errorFromMessage, postError, type ErrorMessage } from '../../src/stages/worker-common.js';
import { SeraError, StageError } from '../../src/errors.js';

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
