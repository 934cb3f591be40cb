// The code cache's bargain with V8's flags (src/cli/code-cache.ts, tier-up.ts): the
// tier-up budget is raised only when no thread of the run writes a cache at exit, so
// that every cache carries the flags the next run reads it with.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { raiseTierUpBudgetWhenSettled, runCached } from '../../src/cli/code-cache.js';
import { userTunedTiering } from '../../src/cli/tier-up.js';
import { CLI, repoRoot } from '../helpers/shared.js';

let root = '';
test.before(() => { root = mkdtempSync(join(tmpdir(), 'sera-code-cache-')); });
test.after(() => { rmSync(root, { recursive: true, force: true }); });

const codeCacheUrl = new URL('../../src/cli/code-cache.js', import.meta.url).href;

/** A script for runCached that has no cache yet (so its thread writes one at exit). */
function freshScript(name: string): URL {
  const file = join(root, `${name}.cjs`);
  writeFileSync(file, 'module.exports.answer = 42;\n');
  return pathToFileURL(file);
}

/** Runs a worker that, when `withScript`, runs a fresh script through runCached, then announces its cache state; resolves on its exit. */
function announcingWorker(withScript: URL | null): Promise<void> {
  const body = `const { workerData } = require('node:worker_threads');
import(workerData.codeCacheUrl).then((c) => {
  if (workerData.script) c.runCached(new URL(workerData.script));
  c.announceCacheState();
});`;
  const w = new Worker(body, { eval: true, workerData: { codeCacheUrl, script: withScript?.href ?? null } });
  return new Promise((resolve, reject) => { w.once('error', reject); w.once('exit', () => resolve()); });
}

test('userTunedTiering: only tiering flags given to node itself', () => {
  assert.ok(userTunedTiering(['--interrupt-budget=1000'], ''));
  assert.ok(userTunedTiering([], '--max-heap-size=100 --no-opt'));
  assert.ok(userTunedTiering(['--max-opt=1'], ''));
  assert.not.ok(userTunedTiering(['--max-old-space-size=100'], '--enable-source-maps'));
  assert.not.ok(userTunedTiering([], ''));
  assert.not.ok(userTunedTiering(['--optimize-for-size'], '')); // another flag that starts like --opt
});

test('no worker and no cache to write: the budget is raised at once', async () => {
  let raised = 0;
  assert.is(await raiseTierUpBudgetWhenSettled(() => raised++)(0), true);
  assert.is(raised, 1);
});

test('a worker that writes no cache: raised once it has announced', async () => {
  let raised = 0;
  const settle = raiseTierUpBudgetWhenSettled(() => raised++);
  await announcingWorker(null);
  assert.is(await settle(1), true);
  assert.is(raised, 1);
});

test('a worker that writes a cache at exit: the flags stay, and its cache is written', async () => {
  let raised = 0;
  const settle = raiseTierUpBudgetWhenSettled(() => raised++);
  const script = freshScript('worker-script');
  const decision = settle(1); // before the worker: it waits for the announcement
  await announcingWorker(script);
  assert.is(await decision, false);
  assert.is(raised, 0);
  assert.ok(existsSync(`${script.pathname}.cache`), 'the worker wrote its cache at exit');
});

// last: this thread then has a cache to write at exit for the rest of the file
test('this thread writing a cache at exit: the flags stay', async () => {
  assert.is((runCached(freshScript('main-script')) as { answer: number }).answer, 42);
  let raised = 0;
  assert.is(await raiseTierUpBudgetWhenSettled(() => raised++)(0), false);
  assert.is(raised, 0);
});

/** The CLI's files that bin/sera-transfer.js runs under Node, copied to `dir` (so its caches are this test's own). */
function copyInstall(dir: string): string {
  for (const rel of ['bin', 'dist/src/bundle-node', 'build', 'src/model', 'package.json']) {
    if (rel.includes('/')) mkdirSync(join(dir, rel, '..'), { recursive: true });
    cpSync(join(repoRoot, rel), join(dir, rel), { recursive: true });
  }
  for (const f of readdirSync(join(dir, 'dist/src/bundle-node'))) if (f.endsWith('.cache')) rmSync(join(dir, 'dist/src/bundle-node', f));
  return join(dir, 'bin/sera-transfer.js');
}

test('conversions with the bridge worker: caches written by the first run are read, not rewritten, by the next ones', () => {
  const bin = copyInstall(join(root, 'install'));
  const src = join(root, 'ckpt');
  const synth = spawnSync(process.execPath, [CLI, 'synth', '--preset', 'dense', '--d-model', '32', '--layers', '2', '--vocab', '40', '--output', src]);
  assert.is(synth.status, 0, String(synth.stderr));
  const caches = () => {
    const dir = join(bin, '../../dist/src/bundle-node');
    return readdirSync(dir).filter((f) => f.endsWith('.cache')).sort()
      .map((f) => { const s = statSync(join(dir, f)); return `${f} ${s.ino} ${s.mtimeMs}`; });
  };
  const convert = (i: number, sourceFlag = '--source') => {
    const r = spawnSync(process.execPath, [bin, sourceFlag, src, '--output', join(root, `out${i}`), '--quiet', '--no-summary'],
      { env: { ...process.env, SERA_TRANSFER_THREADS: '2' } }); // the early bridge worker, whatever the size
    assert.is(r.status, 0, String(r.stderr));
  };
  convert(1);
  const first = caches();
  assert.equal(first.map((c) => c.split(' ')[0]), ['bridge-worker.cjs.cache', 'early-worker.cjs.cache', 'main.cjs.cache']);
  convert(2); // reads complete caches: raises the budget
  convert(3); // so must still read them
  assert.equal(caches(), first);
  // an abbreviated --source: bin starts no early worker and raises the budget at once; the
  // conversion's own worker, started after that, must leave the cache alone
  convert(4, '--sourc');
  convert(5);
  assert.equal(caches(), first);
});

test.run();
