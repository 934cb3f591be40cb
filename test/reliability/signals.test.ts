// SIGINT/SIGTERM during `convert` (child processes): the staging folder and the
// lock disappear, no sera_manifest.bin appears, a previous package stays
// byte-identical, exit 130/143 with one error line and a hint. Stages are hit
// exactly through the SERA_TRANSFER_TEST_PAUSE hook, and at arbitrary moments
// by signalling a bigger conversion while it computes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { corpusDir, repoRoot } from '../helpers/corpus.js';
import { pauseMarker } from '../../src/cli/signals.js';
import { synthesize } from '../../src/synth/synth.js';
import { copyTree, diffTrees, errorReport, leftovers, pool, runCli, setup, snapshotTree, stackLines } from './helpers.js';

const STAGES = ['discover', 'tokenizer', 'prf', 'overlays', 'collapse', 'memory', 'bridge', 'manifest', 'snapshot', 'state', 'verify', 'commit'];
const root = mkdtempSync(join(tmpdir(), 'sera-signals-'));
const source = join(corpusDir(), 'cases/dense_f32/input');
const prev = join(root, 'prev');
let prevTree = new Map<string, string>();

test.before(setup('signals', async () => {
  // the previous package comes from other settings, so a replaced package would differ
  const r = runCli(['--source', source, '--output', prev, '--r', '4', '--no-summary']);
  assert.is(await r.exit, 0, r.stderr());
  prevTree = snapshotTree(prev);
}));
test.after(() => rmSync(root, { recursive: true, force: true }));

function assertCleanStop(stderr: string, code: number, want: number, what: string): void {
  assert.is(code, want, `${what}: exit code; stderr: ${stderr}`);
  const lines = errorReport(stderr);
  assert.is(lines.length, 2, `${what}: one error line and one hint line, got ${JSON.stringify(stderr)}`);
  assert.is(stderr.split('\n').filter((l) => l.startsWith('sera-transfer: error:')).length, 1, `${what}: one error line`);
  assert.match(lines[0]!, /^sera-transfer: error: interrupted by SIG(INT|TERM) (before|during) stage '[\w-]+'/);
  assert.match(lines[1]!, /^ {2}hint: /);
  assert.equal(stackLines(stderr), [], `${what}: no stack trace`);
}

test('SIGINT at every stage leaves a previous package byte-identical', async () => {
  const t0 = performance.now();
  const results = await pool(3, STAGES.map((stage) => async () => {
    const out = join(root, `int-${stage}`, 'out');
    copyTree(prev, out);
    const r = runCli(['--source', source, '--output', out], { env: { SERA_TRANSFER_TEST_PAUSE: stage } });
    await r.waitFor(pauseMarker(stage));
    assert.ok(leftovers(out).some((e) => e.includes('sera-tmp-')), `${stage}: staging folder exists while paused`);
    r.child.kill('SIGINT');
    return { stage, out, code: await r.exit, stderr: r.stderr() };
  }));
  for (const { stage, out, code, stderr } of results) {
    assertCleanStop(stderr, code, 130, stage);
    assert.match(stderr, `before stage '${stage}'`);
    assert.equal(diffTrees(prevTree, snapshotTree(out)), [], `${stage}: previous package changed`);
    assert.equal(leftovers(out), [], `${stage}: staging folder or lock left behind`);
  }
  console.log(`[signals] SIGINT at ${STAGES.length} stages: ${(performance.now() - t0).toFixed(0)} ms`);
});

test('SIGTERM at stages of a fresh conversion writes nothing', async () => {
  const results = await pool(3, ['discover', 'collapse', 'snapshot', 'commit'].map((stage) => async () => {
    const out = join(root, `term-${stage}`, 'out');
    const r = runCli(['--source', source, '--output', out], { env: { SERA_TRANSFER_TEST_PAUSE: stage } });
    await r.waitFor(pauseMarker(stage));
    r.child.kill('SIGTERM');
    return { stage, out, code: await r.exit, stderr: r.stderr() };
  }));
  for (const { stage, out, code, stderr } of results) {
    assertCleanStop(stderr, code, 143, stage);
    assert.not.ok(existsSync(join(out, 'sera_manifest.bin')), `${stage}: sera_manifest.bin written`);
    assert.not.ok(existsSync(out), `${stage}: output folder created`);
    assert.equal(leftovers(out), [], `${stage}: staging folder or lock left behind`);
  }
});

test('SIGINT while a bigger conversion computes (random points): never a partial or changed package', async () => {
  const big = join(root, 'big');
  const bytes = synthesize({ preset: 'dense', output: big, dModel: 448, layers: 6, intermediate: 896, vocab: 64, seed: 7 }).weightBytes;
  // A log line starts each stage; the signal goes out `delay` ms after it, mid-computation.
  const points: [string, number][] = [
    ['Reading model configuration', 0], ['Generating PRF arrays', 20], ['Computing attention overlays', 0],
    ['Collapsing FFN weights', 100], ['Constructing bridge records', 30], ['Sera Transfer Conversion Summary', 0],
  ];
  const t0 = performance.now();
  const results = await pool(2, points.map(([line, delay], i) => async () => {
    const out = join(root, `rand-${i}`, 'out');
    copyTree(prev, out);
    const r = runCli(['--source', big, '--output', out, '--verbose', '--no-summary']);
    await r.waitFor(line);
    await new Promise((res) => setTimeout(res, delay));
    const sent = performance.now();
    r.child.kill('SIGINT');
    const code = await r.exit;
    return { i, line, delay, out, code, stderr: r.stderr(), latency: performance.now() - sent };
  }));
  let interrupted = 0;
  const latencies: string[] = [];
  for (const { i, line, delay, out, code, stderr, latency } of results) {
    const what = `point ${i} (${line} +${delay} ms)`;
    latencies.push(`${line.split(' ')[0]}+${delay}: ${latency.toFixed(0)} ms`);
    assert.equal(leftovers(out), [], `${what}: staging folder or lock left behind`);
    if (code === 130) {
      interrupted++;
      assertCleanStop(stderr, code, 130, what);
      assert.equal(diffTrees(prevTree, snapshotTree(out)), [], `${what}: previous package changed`);
    } else {
      // the signal came after the commit: then the package must be the complete new one
      assert.is(code, 0, `${what}: exit code; stderr tail: ${stderr.slice(-400)}`);
      const v = runCli(['verify', out]);
      assert.is(await v.exit, 0, `${what}: committed package fails verify: ${v.stdout()}`);
    }
  }
  console.log(`[signals] ${results.length} timed SIGINTs on a ${(bytes / 2 ** 20).toFixed(0)} MiB checkpoint: ` +
    `${interrupted} interrupted, ${results.length - interrupted} completed first; ${(performance.now() - t0).toFixed(0)} ms; ` +
    `signal → exit: ${latencies.join(', ')}`);
  assert.ok(interrupted >= results.length - 1, `only ${interrupted} of ${results.length} runs were interrupted`);
});

test('SIGINT before the MXFP4 shard copy (--mxfp4-shards) leaves the previous package', async () => {
  const out = join(root, 'shards', 'out');
  copyTree(prev, out);
  const r = runCli(['--source', join(corpusDir(), 'cases/mxfp4_2d_collapsed/input'), '--output', out, '--mxfp4-shards'],
    { env: { SERA_TRANSFER_TEST_PAUSE: 'mxfp4-shards' } });
  await r.waitFor(pauseMarker('mxfp4-shards'));
  r.child.kill('SIGINT');
  const code = await r.exit;
  assertCleanStop(r.stderr(), code, 130, 'mxfp4-shards');
  assert.equal(diffTrees(prevTree, snapshotTree(out)), []);
  assert.equal(leftovers(out), []);
});

test('SIGINT after the commit, while the summary is written: exit 0 with the complete new package', async () => {
  const out = join(root, 'after-commit', 'out');
  copyTree(prev, out);
  const r = runCli(['--source', source, '--output', out], { env: { SERA_TRANSFER_TEST_PAUSE: 'summary' } });
  await r.waitFor(pauseMarker('summary'));
  r.child.kill('SIGINT'); // with the default action back, this ended the process with 130 and no message
  assert.is(await r.exit, 0, r.stderr());
  assert.match(r.stdout(), 'Sera Transfer Conversion Summary');
  assert.ok(diffTrees(prevTree, snapshotTree(out)).length > 0, 'the new package replaced the old one');
  const v = runCli(['verify', out]);
  assert.is(await v.exit, 0, v.stdout());
});

test('every stage boundary in convert.ts is an awaited checkpoint', () => {
  // an un-awaited stage() would turn an interrupt into an unhandled rejection (a crash with a stack)
  const src = readFileSync(join(repoRoot, 'src/convert.ts'), 'utf8');
  const calls = [...src.matchAll(/^.*\bstage\('[\w-]+'\).*$/gm)].map((m) => m[0].trim());
  assert.ok(calls.length >= STAGES.length - 1, `found ${calls.length} stage calls`);
  assert.equal(calls.filter((c) => !c.startsWith('await stage(')), []);
  assert.match(src, "await opts.checkpoint?.('commit');");
});

test('two conversions racing for one output: the second fails clearly, nothing is mixed', async () => {
  const out = join(root, 'race', 'out');
  copyTree(prev, out);
  const a = runCli(['--source', source, '--output', out], { env: { SERA_TRANSFER_TEST_PAUSE: 'collapse' } });
  await a.waitFor(pauseMarker('collapse'));
  const b = runCli(['--source', source, '--output', out]);
  const bCode = await b.exit;
  assert.is(bCode, 1, b.stderr());
  assert.match(b.stderr(), `sera-transfer: error: another conversion (process ${a.child.pid}) is writing to ${out}`);
  assert.match(b.stderr(), '  hint: wait for it to finish');
  assert.equal(diffTrees(prevTree, snapshotTree(out)), [], 'the loser changed the package');
  a.child.kill('SIGINT');
  assert.is(await a.exit, 130);
  assert.equal(diffTrees(prevTree, snapshotTree(out)), []);
  assert.equal(leftovers(out), []);
});

test('after SIGKILL (no cleanup possible) the next conversion removes the leftovers', async () => {
  const out = join(root, 'kill9', 'out');
  copyTree(prev, out);
  const a = runCli(['--source', source, '--output', out], { env: { SERA_TRANSFER_TEST_PAUSE: 'commit' } });
  await a.waitFor(pauseMarker('commit'));
  a.child.kill('SIGKILL');
  await a.exit;
  assert.equal(diffTrees(prevTree, snapshotTree(out)), [], 'SIGKILL before the commit changed the package');
  assert.equal(leftovers(out).sort(), ['.out.sera-lock', `.out.sera-tmp-${a.child.pid}`], 'what a killed run leaves');
  const b = runCli(['--source', source, '--output', out, '--no-summary']);
  assert.is(await b.exit, 0, b.stderr());
  assert.equal(leftovers(out), [], 'stale lock and staging folder removed');
  assert.ok(diffTrees(prevTree, snapshotTree(out)).length > 0, 'the new package replaced the old one');
});

test('a previous package parked by a commit that was killed is put back, even by an interrupted run', async () => {
  const out = join(root, 'parked', 'out');
  copyTree(prev, join(root, 'parked', '.out.sera-old-2147483646')); // as if killed between the two renames
  const a = runCli(['--source', source, '--output', out], { env: { SERA_TRANSFER_TEST_PAUSE: 'discover' } });
  await a.waitFor(pauseMarker('discover'));
  a.child.kill('SIGINT');
  assert.is(await a.exit, 130, a.stderr());
  assert.equal(diffTrees(prevTree, snapshotTree(out)), [], 'parked package restored unchanged');
  assert.equal(leftovers(out), []);
});

test.run();
