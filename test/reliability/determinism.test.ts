// Determinism: a generated checkpoint with real-sized numerics, converted under
// Node, Deno and Bun, each twice in different folders (and from a copy of the
// checkpoint elsewhere), gives identical bytes. The corpus cases (dense, bf16,
// fused QKV, MXFP4, SentencePiece) under every runtime are the job of
// scripts/cross-runtime.mjs, whose comparison code this test shares.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { setup } from './helpers.js';
import { corpusDir, repoRoot } from '../helpers/corpus.js';
import { synthesize } from '../../src/synth/synth.js';

interface Comparison { label: string; diffs: string[] }
interface CrossRuntime {
  caseArgs(caseDir: string, source: string, output: string): string[];
  crossRuntime(o: { name: string; source: string; argsFor: (s: string, o: string) => string[]; runtimes: string[]; work: string }): Promise<Comparison[]>;
  compareRuns(a: object, b: object): string[];
}

const work = mkdtempSync(join(tmpdir(), 'sera-determinism-'));
let xr: CrossRuntime;

test.before(setup('determinism', async () => {
  xr = await import(pathToFileURL(join(repoRoot, 'scripts/cross-runtime.mjs')).href) as CrossRuntime;
}));
test.after(() => rmSync(work, { recursive: true, force: true }));

function report(results: Comparison[]): void {
  const bad = results.filter((r) => r.diffs.length);
  assert.equal(bad.map((r) => `${r.label}: ${r.diffs.join('; ')}`), []);
}

test('generated checkpoint (d_model 256, 4 layers): identical bytes under Node, Deno and Bun', async () => {
  const t0 = performance.now();
  const source = join(work, 'gen-src');
  synthesize({ preset: 'dense', output: source, dModel: 256, layers: 4, intermediate: 512, vocab: 64, seed: 11 });
  const results = await xr.crossRuntime({
    name: 'generated', source, argsFor: (s, o) => ['--source', s, '--output', o, '--summary-format', 'json'], runtimes: ['node', 'deno', 'bun'], work,
  });
  assert.is(results.length, 5);
  report(results);
  console.log(`[determinism] generated checkpoint, ${results.length} comparisons (Node/Deno/Bun × 2 folders) in ${(performance.now() - t0).toFixed(0)} ms`);
});

test('the comparison sees a changed byte, a changed state value and a missing file', async () => {
  const dir = join(corpusDir(), 'cases', 'dense_f32');
  const [cmp] = await xr.crossRuntime({ name: 'control', source: join(dir, 'input'), argsFor: (s, o) => xr.caseArgs(dir, s, o), runtimes: ['node'], work });
  assert.equal(cmp!.diffs, []);
  const a = { code: 0, stdout: '', source: join(dir, 'input'), output: join(work, 'control', 'node-a', 'out') };
  const bOut = join(work, 'control', 'node-bb-longer-folder-name/nested', 'out');
  const b = { code: 0, stdout: '', source: join(work, 'control', 'node-bb-longer-folder-name/nested', 'checkpoint copy'), output: bOut };
  assert.equal(xr.compareRuns(a, b), []);
  const arr = join(bOut, 'arrays', 'prf_W.bin');
  const bytes = readFileSync(arr);
  bytes[200] = bytes[200]! ^ 1;
  writeFileSync(arr, bytes);
  const state = join(bOut, 'sera_state.json');
  writeFileSync(state, readFileSync(state, 'utf8').replace('"tau": 1.0', '"tau": 1.5'));
  rmSync(join(bOut, 'arrays', 'T_1.bin'));
  const diffs = xr.compareRuns(a, b);
  assert.ok(diffs.some((d) => d.startsWith('arrays/prf_W.bin differs from byte 200')), diffs.join('\n'));
  assert.ok(diffs.some((d) => d.startsWith('sera_state.json differs')), diffs.join('\n'));
  assert.ok(diffs.includes('missing arrays/T_1.bin'), diffs.join('\n'));
});

test.run();
