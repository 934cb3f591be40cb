import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import { runCli } from '../cli/run-cli.js';
import { tempDir } from '../io/st-build.js';

// created when the suite starts (not at import: a runner may import files whose suites never run)
let tmp: { dir: string; cleanup(): void };
test.before(() => { tmp = tempDir('synth-cli'); });
test.after(() => tmp.cleanup());

test('synth dense → convert → verify, through the CLI', async () => {
  const src = join(tmp.dir, 'dense'), out = join(tmp.dir, 'dense-out');
  const a = await runCli(['synth', '--preset', 'dense', '--d-model', '32', '--layers', '2', '--vocab', '40', '--seed', '3', '--output', src]);
  assert.is(a.code, 0, a.stderr);
  assert.match(a.stdout, /synth: dense \(llama layout; 2 layers, d_model 32, intermediate 128, vocab 40\)/);
  const b = await runCli(['--source', src, '--output', out, '--r', '8', '--rv', '4', '--topL', '4', '--no-summary', '--quiet']);
  assert.is(b.code, 0, b.stderr);
  assert.ok(existsSync(join(out, 'sera_manifest.bin')));
  const state = JSON.parse(readFileSync(join(out, 'sera_state.json'), 'utf8'));
  assert.ok(state, 'sera_state.json parses');
  const c = await runCli(['verify', out]);
  assert.is(c.code, 0, c.stdout + c.stderr);
  assert.match(c.stdout, /^OK /);
});

test('synth tiny (gpt-oss shaped) converts with a runtime snapshot and verifies', async () => {
  const src = join(tmp.dir, 'tiny'), out = join(tmp.dir, 'tiny-out');
  const a = await runCli(['synth', '--preset', 'tiny', '--output', src]);
  assert.is(a.code, 0, a.stderr);
  assert.match(a.stdout, /wrote 33 tensors/);
  const b = await runCli(['--source', src, '--output', out, '--no-summary', '--quiet']);
  assert.is(b.code, 0, b.stderr);
  const state = JSON.parse(readFileSync(join(out, 'sera_state.json'), 'utf8'));
  assert.ok(state.sera_snapshot, 'the prefix-free tokenizer lets the runtime snapshot build');
  const c = await runCli(['verify', out]);
  assert.is(c.code, 0, c.stdout + c.stderr);
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
    const s = await runCli([...argv]);
    assert.is(s.code, 2, argv.join(' '));
    assert.match(s.stderr, re);
  }
});

test("convert's flag prefixes are not applied to synth: --d is not read as --debug/--dry-run", async () => {
  const s = await runCli(['synth', '--preset', 'dense', '--d', '64', '--output', join(tmp.dir, 'd')]);
  assert.is(s.code, 2);
  assert.not.match(s.stderr, /ambiguous|--debug|--dry-run/);
  assert.match(s.stderr, /Unknown option/);
});

test.run();
