import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import { main, type CliIO } from '../../src/cli/main.js';
import { tempDir } from '../io/st-build.js';

// created when the suite starts (not at import: a runner may import files whose suites never run)
let tmp: { dir: string; cleanup(): void };
test.before(() => { tmp = tempDir('synth-cli'); });
test.after(() => tmp.cleanup());

function io(): CliIO & { out: string[]; err: string[] } {
  const out: string[] = [], err: string[] = [];
  return { out, err, stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) }, env: {} };
}

test('synth dense → convert → verify, through the CLI', async () => {
  const src = join(tmp.dir, 'dense'), out = join(tmp.dir, 'dense-out');
  const a = io();
  assert.is(await main(['synth', '--preset', 'dense', '--d-model', '32', '--layers', '2', '--vocab', '40', '--seed', '3', '--output', src], a), 0, a.err.join(''));
  assert.match(a.out.join(''), /synth: dense \(llama layout; 2 layers, d_model 32, intermediate 128, vocab 40\)/);
  const b = io();
  assert.is(await main(['--source', src, '--output', out, '--r', '8', '--rv', '4', '--topL', '4', '--no-summary', '--quiet'], b), 0, b.err.join(''));
  assert.ok(existsSync(join(out, 'sera_manifest.bin')));
  const state = JSON.parse(readFileSync(join(out, 'sera_state.json'), 'utf8'));
  assert.ok(state, 'sera_state.json parses');
  const c = io();
  assert.is(await main(['verify', out], c), 0, c.out.join('') + c.err.join(''));
  assert.match(c.out.join(''), /^OK /);
});

test('synth tiny (gpt-oss shaped) converts with a runtime snapshot and verifies', async () => {
  const src = join(tmp.dir, 'tiny'), out = join(tmp.dir, 'tiny-out');
  const a = io();
  assert.is(await main(['synth', '--preset', 'tiny', '--output', src], a), 0, a.err.join(''));
  assert.match(a.out.join(''), /wrote 33 tensors/);
  const b = io();
  assert.is(await main(['--source', src, '--output', out, '--no-summary', '--quiet'], b), 0, b.err.join(''));
  const state = JSON.parse(readFileSync(join(out, 'sera_state.json'), 'utf8'));
  assert.ok(state.sera_snapshot, 'the prefix-free tokenizer lets the runtime snapshot build');
  const c = io();
  assert.is(await main(['verify', out], c), 0, c.out.join('') + c.err.join(''));
});

test('usage errors exit 2 with a message', async () => {
  for (const [argv, re] of [
    [['synth', '--output', join(tmp.dir, 'x')], /--preset is required/],
    [['synth', '--preset', 'gpt-oss-7b', '--output', join(tmp.dir, 'x')], /invalid choice 'gpt-oss-7b'/],
    [['synth', '--preset', 'tiny'], /--output is required/],
    [['synth', '--preset', 'tiny', '--layout', 'gguf', '--output', join(tmp.dir, 'x')], /--layout: invalid choice/],
    [['synth', '--preset', 'tiny', '--layers', 'two', '--output', join(tmp.dir, 'x')], /invalid int value: 'two'/],
    [['synth', '--preset', 'tiny', '--shard-size', 'huge', '--output', join(tmp.dir, 'x')], /--shard-size: invalid size/],
  ] as const) {
    const s = io();
    assert.is(await main([...argv], s), 2, argv.join(' '));
    assert.match(s.err.join(''), re);
  }
});

test.run();
