// bin/sera-transfer.js's early bridge worker: started only for a conversion of a local
// --source (spelled out) that bridges on a worker.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { earlyBridgeWorker } from '../../src/cli/early-worker.js';
import { withThreads } from '../helpers/threads.js';

let root = '';
test.before(() => { root = mkdtempSync(join(tmpdir(), 'sera-early-')); });
test.after(() => { rmSync(root, { recursive: true, force: true }); });

test('earlyBridgeWorker: only a conversion of a local --source, spelled out, that bridges on a worker', async () => {
  const src = join(root, 'early');
  mkdirSync(src, { recursive: true });
  writeFileSync(join(src, 'config.json'), '{}');
  writeFileSync(join(src, 'model.safetensors'), new Uint8Array(64));
  const none = (argv: string[], threads = '2') => withThreads(threads, () => assert.is(earlyBridgeWorker(argv), null, argv.join(' ')));
  none(['inspect', src]);
  none(['--source', src, '--output', 'o', '--dry-run']);
  none(['--source', src, '--help']);
  none(['--output', 'o']);
  none(['--sour', src, '--output', 'o'], '2'); // a prefix: the CLI decides after parsing
  none(['--source', 'hf:org/model', '--output', 'o']);
  none(['--source', src, '--output', 'o'], '1'); // one thread: no worker
  withThreads(undefined, () => assert.is(earlyBridgeWorker(['--source', src, '--output', 'o']), null, 'a 64-byte checkpoint bridges here'));
  for (const argv of [['--source', src, '--output', 'o'], ['convert', `--source=${src}`, '--output=o']]) {
    const w = withThreads('2', () => earlyBridgeWorker(argv));
    assert.ok(w, argv.join(' '));
    const exited = new Promise<void>((resolve) => w!.worker.once('exit', () => resolve()));
    w!.release();
    await exited;
  }
});

test.run();
