// --profile gpt-oss-20b|gpt-oss-120b and the warning for a real gpt-oss
// checkpoint converted below the published runtime settings.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { runCli } from './run-cli.js';
import { tempDir } from './files.js';
import { applyProfile, isRealGptOss, profileWarning } from '../../src/cli/profiles.js';
import { dict } from '../../src/format/pyvalue.js';
import { UsageError } from '../../src/errors.js';
import { synthesize } from '../../src/synth/synth.js';

test('applyProfile fills r/rv/topL; explicit flags win; unknown names are usage errors', () => {
  const o: Record<string, unknown> = { profile: 'gpt-oss-120b', rv: '4' };
  applyProfile(o);
  assert.equal([o.r, o.rv, o.topL], ['512', '4', '12']);
  const none: Record<string, unknown> = {};
  applyProfile(none);
  assert.equal(none, {});
  assert.throws(() => applyProfile({ profile: 'llama-7b' }), (e: unknown) => e instanceof UsageError && /invalid choice: 'llama-7b'/.test((e as Error).message));
});

test('gpt-oss detection and the warning', () => {
  const hf = dict({ model_type: 'gpt_oss', hidden_size: 2880n, num_local_experts: 32n });
  const orig = dict({ hidden_size: 2880n, num_experts: 128n });
  const dense = dict({ model_type: 'llama', hidden_size: 2880n });
  assert.ok(isRealGptOss(hf));
  assert.ok(isRealGptOss(orig));
  assert.not.ok(isRealGptOss(dense));
  assert.not.ok(isRealGptOss(dict({ hidden_size: 64n, num_experts: 4n })));
  assert.is(profileWarning(dense, { r: 8, rv: 4, topL: 4 }), null);
  assert.is(profileWarning(hf, { r: 512, rv: 12, topL: 12 }), null);
  assert.is(profileWarning(hf, { r: 1024, rv: 16, topL: 16 }), null);
  const w = profileWarning(orig, { r: 64, rv: 12, topL: 8 })!;
  assert.match(w, /r 64, topL 8/);
  assert.match(w, /not compatible with the published checkpoints' runtime settings/);
});

test('converting a gpt-oss-shaped checkpoint warns below the profile values, not with --profile', async () => {
  const t = tempDir('profile');
  try {
    const src = join(t.dir, 'ckpt');
    synthesize({ preset: 'gpt-oss-20b', output: src, layers: 1, experts: 2, intermediate: 32, heads: 48, kvHeads: 1, headDim: 64, vocab: 300 });
    const warnRe = /sera-transfer: warning: this is a gpt-oss checkpoint, converted with r 64, rv 8, topL 8 .*not compatible/;
    const plain = await runCli(['--source', src, '--output', join(t.dir, 'a'), '--no-summary']);
    assert.is(plain.code, 0, plain.stderr);
    assert.match(plain.stderr, warnRe);
    const quiet = await runCli(['--source', src, '--output', join(t.dir, 'b'), '--no-summary', '--quiet']);
    assert.is(quiet.code, 0);
    assert.is(quiet.stderr, '');
    const prof = await runCli(['--source', src, '--output', join(t.dir, 'c'), '--profile', 'gpt-oss-20b', '--summary-format', 'json']);
    assert.is(prof.code, 0, prof.stderr);
    assert.not.match(prof.stderr, /not compatible/);
    const features = JSON.parse(prof.stdout).arrays.find((a: { name: string }) => a.name === 'prf_W').shape[0];
    assert.is(features, 512, 'r 512 from the profile');
    const mixed = await runCli(['--source', src, '--output', join(t.dir, 'd'), '--profile', 'gpt-oss-20b', '--r', '256', '--dry-run', '--summary-format', 'json']);
    assert.is(mixed.code, 0, mixed.stderr);
    assert.equal(JSON.parse(mixed.stdout).settings, { r: 256, rv: 12, topL: 12, localR: 256, localRv: 12 });
    assert.match(mixed.stderr, /converted with r 256 /);
  } finally {
    t.cleanup();
  }
});

test.run();
