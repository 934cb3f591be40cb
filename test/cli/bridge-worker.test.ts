// The CLI starts the bridge worker before it loads the converter (stages/bridge-spawn.ts):
// the conversion takes it, the package is the one a single-thread run writes, and a
// failing conversion still exits promptly (the worker never keeps the process alive).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { synthesize } from '../../src/synth/synth.js';
import { readTree, spawnCli } from '../helpers/shared.js';

let root = '';
let src = '';
test.before(() => {
  root = mkdtempSync(join(tmpdir(), 'sera-cli-bridge-'));
  src = join(root, 'dense');
  synthesize({ preset: 'dense', output: src, layers: 2, dModel: 32 });
});
test.after(() => { rmSync(root, { recursive: true, force: true }); });

const convert = async (out: string, threads: string, source = src) => {
  const run = spawnCli(['--source', source, '--output', out, '--r', '16', '--rv', '4', '--debug', '--no-summary'], { env: { SERA_TRANSFER_THREADS: threads } });
  const code = await Promise.race([run.exit, new Promise((resolve) => setTimeout(() => resolve('timeout'), 60_000))]);
  if (code === 'timeout') run.child.kill('SIGKILL');
  return { code, stderr: run.stderr() };
};

/** Every file but the logs and the state (they name the output folder). */
const payload = (dir: string) => [...readTree(dir).entries()].filter(([k]) => !/conversion|sera_state|logs/.test(k));

test('with two threads the CLI bridges on its early worker and writes the single-thread bytes', async () => {
  const two = await convert(join(root, 'two'), '2');
  assert.is(two.code, 0, two.stderr);
  assert.match(two.stderr, /Bridge worker: started \d+ ms before its job/);
  const one = await convert(join(root, 'one'), '1');
  assert.is(one.code, 0, one.stderr);
  assert.not.match(one.stderr, /Bridge worker:/);
  assert.equal(payload(join(root, 'two')), payload(join(root, 'one')));
});

test('a conversion that fails after the worker started exits at once with its error', async () => {
  const broken = join(root, 'broken');
  synthesize({ preset: 'dense', output: broken, layers: 1, dModel: 32 });
  writeFileSync(join(broken, 'config.json'), '{"hidden_size": ');
  const r = await convert(join(root, 'broken-out'), '2', broken);
  assert.is(r.code, 1, r.stderr);
  assert.match(r.stderr, /config\.json/);
});

test.run();
