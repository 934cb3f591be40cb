// Progress on stderr: the plain (non-TTY) form is periodic lines without
// carriage returns or escapes, the TTY form redraws one line per stage,
// --quiet shows nothing, --log-format json is one JSON object per line, and
// with --summary-format json stdout carries nothing but the summary.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { corpusDir } from '../helpers/corpus.js';
import { runCli } from './run-cli.js';
import { tempDir } from './files.js';
import { Reporter, describeProgress, formatBytes, formatDuration } from '../../src/cli/progress.js';
import { CONVERT_FLAGS, reportFlags } from '../../src/cli/args.js';
import { ProgressTracker, type ProgressEvent } from '../../src/pipeline/read-progress.js';
import { TensorSet } from '../../src/model/tensors.js';
import { MemoryStore } from '../helpers/memory-store.js';

const input = join(corpusDir(), 'cases', 'dense_f32', 'input');
const ARGS = ['--r', '8', '--rv', '4', '--topL', '4'];

async function convert(extra: string[], o: { env?: Record<string, string>; tty?: boolean } = {}) {
  const t = tempDir('progress');
  try {
    return await runCli(['--source', input, '--output', join(t.dir, 'out'), ...ARGS, ...extra], o);
  } finally {
    t.cleanup();
  }
}

test('non-TTY stderr: a line per stage and per layer, no carriage returns or escapes', async () => {
  const r = await convert(['--no-summary'], { env: { SERA_TRANSFER_PROGRESS_INTERVAL: '0' } });
  assert.is(r.code, 0, r.stderr);
  assert.not.ok(r.stderr.includes('\r'), 'no carriage returns');
  assert.not.ok(r.stderr.includes('\x1b'), 'no terminal escapes');
  const lines = r.stderr.trimEnd().split('\n');
  for (const stage of ['discover', 'tokenizer', 'prf', 'overlays', 'collapse', 'memory', 'bridge', 'manifest', 'snapshot', 'state', 'verify']) {
    assert.ok(lines.some((l) => new RegExp(`^sera-transfer: \\[\\d+/\\d+\\] ${stage}$`).test(l)), `a line when ${stage} starts`);
  }
  for (const stage of ['prf', 'overlays', 'collapse', 'bridge']) {
    assert.ok(lines.some((l) => l.includes(`] ${stage}  layer 1/2`)), `${stage}: layer 1 of 2`);
    assert.ok(lines.some((l) => l.includes(`] ${stage}  layer 2/2`)), `${stage}: layer 2 of 2`);
  }
  assert.ok(lines.some((l) => /  \d+(\.\d)? (B|KiB|MiB)\/s/.test(l)), 'a bytes/s figure');
  assert.ok(lines.some((l) => /ETA /.test(l)), 'an ETA');
  assert.match(lines[lines.length - 1]!, /^sera-transfer: converted in .* read from the checkpoint\)$/);
});

test('non-TTY stderr: status lines are periodic (the interval throttles them)', () => {
  let out = '';
  let now = 0;
  const rep = new Reporter({ write: (s: string) => { out += s; } }, { mode: 'plain', logFormat: 'text', intervalMs: 10_000 });
  const tracker = new ProgressTracker(rep.progress, () => now);
  const store = new MemoryStore([['l0.w', 'F32', [1 << 18], new Uint8Array(1 << 20)], ['l1.w', 'F32', [1 << 18], new Uint8Array(1 << 20)]]);
  const wrapped = tracker.wrap(store);
  tracker.setLayers([{ name: 'l0', w_q: 'l0.w', w_k: 'l0.w', w_v: 'l0.w', w_o: 'l0.w', w1: 'l0.w', w2: 'l0.w', b1: null, b2: null },
    { name: 'l1', w_q: 'l1.w', w_k: 'l1.w', w_v: 'l1.w', w_o: 'l1.w', w1: 'l1.w', w2: 'l1.w', b1: null, b2: null }], new TensorSet(store));
  tracker.stage('collapse');
  // one read per second for 60 s, layer 0 then layer 1
  for (let s = 1; s <= 60; s++) {
    now = s * 1000;
    wrapped.read(store.get(s <= 30 ? 'l0.w' : 'l1.w')!, 0, 1 << 20);
  }
  const lines = out.trimEnd().split('\n');
  assert.is(lines[0], 'sera-transfer: [5/11] collapse');
  const status = lines.slice(1);
  assert.is(status.length, 6, `one status line per 10 s of a 60 s stage: ${status.join(' | ')}`);
  assert.ok(status.every((l) => l.startsWith('sera-transfer: [5/11] collapse  layer ')));
  assert.ok(status[0]!.includes('layer 1/2') && status[5]!.includes('layer 2/2'));
  assert.match(status[2]!, /1\.0 MiB\/s/);
  assert.not.ok(out.includes('\r'));
});

test('TTY stderr: one line per stage, redrawn in place, finished with its totals', async () => {
  const r = await convert(['--no-summary'], { tty: true });
  assert.is(r.code, 0, r.stderr);
  assert.ok(r.stderr.includes('\r'), 'carriage-return updates');
  const finals = r.stderr.split('\n').map((l) => l.slice(l.lastIndexOf('\r') + 1).replace(/\x1b\[K/g, ''));
  assert.ok(finals.some((l) => /^sera-transfer \[\d+\/\d+\] collapse  2 layers  .* read  .*\/s  done in /.test(l)), finals.join('\n'));
  assert.ok(finals.some((l) => /^sera-transfer \[\d+\/\d+\] manifest  done in /.test(l)));
});

test('--quiet: nothing on stderr; --summary-format json: stdout is only the summary', async () => {
  const q = await convert(['--quiet', '--no-summary'], { env: { SERA_TRANSFER_PROGRESS_INTERVAL: '0' } });
  assert.is(q.code, 0);
  assert.is(q.stderr, '');
  const j = await convert(['--summary-format', 'json'], { env: { SERA_TRANSFER_PROGRESS_INTERVAL: '0' } });
  assert.is(j.code, 0);
  const summary = JSON.parse(j.stdout);
  assert.ok(Array.isArray(summary.arrays) && summary.arrays.length > 10);
  assert.ok(j.stderr.length > 0, 'progress went to stderr');
});

test('--log-format json: every stderr line is one JSON object, errors included', async () => {
  const r = await convert(['--log-format', 'json', '--verbose', '--no-summary'], { env: { SERA_TRANSFER_PROGRESS_INTERVAL: '0' } });
  assert.is(r.code, 0, r.stderr);
  const objs = r.stderr.trimEnd().split('\n').map((l) => JSON.parse(l));
  assert.ok(objs.every((o) => typeof o.time === 'string' && typeof o.level === 'string'));
  assert.ok(objs.some((o) => o.logger === 'sera_transfer' && o.level === 'INFO' && /Generating PRF arrays/.test(o.message)), 'log records');
  assert.ok(objs.some((o) => o.event === 'progress' && o.stage === 'collapse' && o.layers === 2), 'progress records');
  assert.ok(objs.some((o) => o.event === 'done'));

  const t = tempDir('jsonerr');
  try {
    const e = await runCli(['--source', join(t.dir, 'missing'), '--output', join(t.dir, 'out'), '--log-f=json']);
    assert.is(e.code, 1);
    const lines = e.stderr.trimEnd().split('\n').map((l) => JSON.parse(l));
    const err = lines[lines.length - 1];
    assert.is(err.level, 'ERROR');
    assert.is(err.exit_code, 1);
    assert.match(err.message, /config\.json/);
    assert.type(err.hint, 'string');
    const usage = await runCli(['--output', join(t.dir, 'out'), '--log-format', 'json']);
    assert.is(usage.code, 2);
    assert.is(JSON.parse(usage.stderr.trim()).error, 'UsageError');
    const bad = await runCli(['--source', input, '--output', join(t.dir, 'out'), '--log-format', 'xml']);
    assert.is(bad.code, 2);
    assert.match(bad.stderr, /--log-format: invalid choice: 'xml'/);
  } finally {
    t.cleanup();
  }
});

test('helpers: byte and duration formats, JSON-log detection', () => {
  assert.is(formatBytes(512), '512 B');
  assert.is(formatBytes(1536), '1.5 KiB');
  assert.is(formatBytes(13 * 2 ** 30), '13.0 GiB');
  assert.is(formatDuration(4200), '4.2s');
  assert.is(formatDuration(42_000), '42s');
  assert.is(formatDuration(138_000), '2:18');
  assert.is(formatDuration(3_723_000), '1:02:03');
  const wantsJsonLogs = (argv: string[]) => reportFlags(argv, CONVERT_FLAGS).jsonLogs;
  assert.ok(wantsJsonLogs(['--log-format', 'json']));
  assert.ok(wantsJsonLogs(['--log=json']));
  assert.not.ok(wantsJsonLogs(['--log-format', 'text']));
  assert.not.ok(wantsJsonLogs(['--', '--log-format', 'json']));
  const e: ProgressEvent = {
    kind: 'read', stage: 'bridge', stageIndex: 7, stageCount: 12, layer: 11, layerCount: 24, fraction: 0.5, stageBytes: 2 ** 30,
    totalBytes: 2 ** 31, now: 10_000, stageStartedAt: 0, startedAt: 0,
  };
  assert.is(describeProgress(e, false), '[7/12] bridge  layer 12/24  50%  1.0 GiB read  102 MiB/s  ETA 10s');
});

test.run();
