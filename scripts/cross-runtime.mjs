#!/usr/bin/env node
// Determinism across runtimes and folders: converts the same checkpoints under
// Node, Deno and Bun, each twice in different folders (different path lengths,
// working directories and source copies), and compares every output byte with
// the first Node run. Only what holds paths or times is normalised: the output
// and source paths in sera_state.json, conversion.log and the JSON summary, and
// the log's timestamps. Prints one line per comparison and finally
// "N passed, N failed".
//
//   node scripts/cross-runtime.mjs [--case NAME]... [--runtime node|deno|bun]... [--keep] [--work DIR]
import { cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { RUNTIMES, caseCommand, corpusDir, readTree, spawnCli, withPaths } from './lib/shared.mjs';

/** dense, bf16, fused QKV, 2-D MXFP4, a SentencePiece tokenizer and the MoE path. */
export const DEFAULT_CASES = ['dense_f32', 'dense_bf16', 'fused_qkv_proj_flat', 'mxfp4_2d_collapsed', 'tokenizer_sentencepiece', 'mxfp4_4d_blocks_flat_bias'];

/** The case's own arguments with --source/--output pointing at `source`/`output`, and a JSON summary. */
export function caseArgs(caseDir, source, output) {
  const out = withPaths(caseCommand(caseDir), source, output);
  if (!out.includes('--summary-format')) out.push('--summary-format', 'json');
  return out;
}

/** Runs one conversion; resolves with exit code, signal, stdout, stderr. */
async function runConversion(runtime, args, cwd) {
  const run = spawnCli(args, { runtime, cwd, env: { NO_COLOR: '1' } });
  const code = await run.exit;
  return { code, signal: run.child.signalCode, stdout: run.stdout(), stderr: run.stderr() };
}

const TIMESTAMP = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} /gm;

/** Text with the run's own paths (longest first) replaced by placeholders. */
function normalisePaths(text, paths) {
  let t = text;
  for (const [p, tag] of [...paths].sort((a, b) => b[0].length - a[0].length)) t = t.split(p).join(tag);
  return t;
}

/** Differences between run `b` and the reference run `a`, one line each (empty when identical). */
export function compareRuns(a, b) {
  const diffs = [];
  if (a.code !== b.code) diffs.push(`exit code ${b.code} (reference ${a.code})`);
  const ta = readTree(a.output);
  const tb = readTree(b.output);
  for (const f of ta.keys()) if (!tb.has(f)) diffs.push(`missing ${f}`);
  for (const f of tb.keys()) if (!ta.has(f)) diffs.push(`extra ${f}`);
  const pa = [[a.output, '<OUT>'], [a.source, '<SRC>']];
  const pb = [[b.output, '<OUT>'], [b.source, '<SRC>']];
  for (const [f, x] of ta) {
    const y = tb.get(f);
    if (!y) continue;
    if (f === 'sera_state.json' || f === 'conversion.log' || f.startsWith('logs/')) {
      const nx = normalisePaths(x.toString('utf8'), pa).replace(TIMESTAMP, '');
      const ny = normalisePaths(y.toString('utf8'), pb).replace(TIMESTAMP, '');
      if (nx !== ny) {
        const lx = nx.split('\n');
        const ly = ny.split('\n');
        const i = lx.findIndex((l, k) => l !== ly[k]);
        diffs.push(`${f} differs at line ${i + 1}: ${JSON.stringify(ly[i] ?? '<end>')} (reference ${JSON.stringify(lx[i] ?? '<end>')})`);
      }
    } else if (!x.equals(y)) {
      let i = 0;
      while (i < x.length && i < y.length && x[i] === y[i]) i++;
      diffs.push(`${f} differs from byte ${i} (${y.length} bytes, reference ${x.length})`);
    }
  }
  const sa = normalisePaths(a.stdout, pa);
  const sb = normalisePaths(b.stdout, pb);
  if (sa !== sb) diffs.push('summary on stdout differs');
  return diffs;
}

/**
 * Converts `source` (a checkpoint folder) with `argsFor(source, output)` under
 * each runtime in two folders; returns the comparisons with the first run.
 */
export async function crossRuntime({ name, source, argsFor, runtimes, work }) {
  const jobs = runtimes.flatMap((rt) => ['a', 'bb-longer-folder-name/nested'].map((variant) => async () => {
    const base = join(work, name, `${rt}-${variant}`);
    rmSync(base, { recursive: true, force: true });
    mkdirSync(base, { recursive: true });
    // the second folder also reads a copy of the checkpoint from elsewhere
    let src = source;
    if (variant !== 'a') { src = join(base, 'checkpoint copy'); cpSync(source, src, { recursive: true }); }
    const output = join(base, 'out');
    const r = await runConversion(rt, argsFor(src, output), base);
    return { label: `${rt}/${variant === 'a' ? 'a' : 'b'}`, source: src, output, ...r };
  }));
  // the runs are independent: run them side by side (they mostly wait for fsync)
  const runs = await Promise.all(jobs.map((j) => j()));
  const [ref, ...rest] = runs;
  const results = [];
  if (ref.code !== 0) results.push({ label: `${name} ${ref.label}`, diffs: [`reference run failed (exit ${ref.code}): ${ref.stderr.trim().split('\n').pop()}`] });
  for (const r of rest) {
    const diffs = compareRuns(ref, r);
    if (r.code !== 0) diffs.unshift(`run failed (exit ${r.code}${r.signal ? `, ${r.signal}` : ''}): ${r.stderr.trim().split('\n').slice(-2).join(' | ')}`);
    results.push({ label: `${name} ${r.label} vs ${ref.label}`, diffs });
  }
  return results;
}

async function main(argv) {
  const cases = [];
  const runtimes = [];
  let keep = false;
  let work = join(tmpdir(), `sera-cross-runtime-${process.pid}`);
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--case') cases.push(argv[++i]);
    else if (argv[i] === '--runtime') runtimes.push(argv[++i]);
    else if (argv[i] === '--keep') keep = true;
    else if (argv[i] === '--work') work = resolve(argv[++i]);
    else { console.error(`unknown argument ${argv[i]}`); console.log('0 passed, 1 failed'); return 1; }
  }
  const rts = runtimes.length ? runtimes : Object.keys(RUNTIMES);
  for (const rt of rts) if (!RUNTIMES[rt]) { console.error(`unknown runtime ${rt}`); console.log('0 passed, 1 failed'); return 1; }
  const corpus = corpusDir();
  let passed = 0;
  let failed = 0;
  const t0 = performance.now();
  for (const name of cases.length ? cases : DEFAULT_CASES) {
    const dir = join(corpus, 'cases', name);
    if (!existsSync(join(dir, 'cmd'))) { console.log(`FAIL ${name}: no such corpus case`); failed++; continue; }
    const results = await crossRuntime({ name, source: join(dir, 'input'), argsFor: (s, o) => caseArgs(dir, s, o), runtimes: rts, work });
    for (const { label, diffs } of results) {
      if (diffs.length) { failed++; console.log(`FAIL ${label}`); for (const d of diffs.slice(0, 8)) console.log(`    ${d}`); } else { passed++; console.log(`PASS ${label}`); }
    }
  }
  if (!keep) rmSync(work, { recursive: true, force: true });
  console.log(`cross-runtime: ${rts.join(', ')} × 2 folders in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  console.log(`${passed} passed, ${failed} failed`);
  return failed ? 1 : 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (err) => {
    console.error(err?.stack ?? String(err));
    console.log('0 passed, 1 failed');
    process.exitCode = 1;
  });
}
