// `npm run bench`: runs the benchmarks in bench/ one after another (each in its
// own process, output passed through) and ends with a summary table.
//
//   node bench/run.mjs                      quick settings, the quick benchmarks
//   node bench/run.mjs --full               every benchmark at its full settings
//   node bench/run.mjs --only convert-sizes,mxfp4    a subset (any bench/<name>.mjs works)
//   node bench/run.mjs --skip libm-verify   everything but these
//   node bench/run.mjs --list               what there is
//   node bench/run.mjs --only convert-sizes -- --sizes 512x4 --repeat 5   extra args for the selected benchmark(s)
//
// Needs a build (`npm run build`). Exits 1 when a benchmark fails.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RUNTIMES } from '../scripts/lib/shared.mjs';

const here = dirname(fileURLToPath(import.meta.url));

/**
 * name → what it measures, the quick and full arguments; `slow` ones only run
 * with --full or when named with --only.
 */
const BENCHES = {
  'convert-sizes': {
    what: 'convert time and peak RSS on dense 64×2 … 512×4 (issue 3; SERA_REFERENCE adds the Python reference)',
    quick: ['--sizes', '64x2,256x4,512x4', '--repeat', '1'],
    full: [],
  },
  'tokenizer-bpe': {
    what: 'tokenizer stage on a synthetic o200k-sized byte-level BPE',
    quick: ['--pieces', '50000'],
    full: [],
  },
  mxfp4: {
    what: 'MXFP4 decode/encode throughput (TS vs wasm vs wasm SIMD), under Node, Deno and Bun',
    quick: ['--mib', '8', '--seconds', '0.1'],
    full: [],
    runtimes: true,
  },
  'dense-kernel': {
    what: 'dense collapse kernel alone, ms per layer (hid 2048, d 512, k 8, f32); --vs OTHER.wasm runs another build side by side',
    quick: ['--rounds', '5'],
    full: [],
  },
  gptoss: {
    what: 'full gpt-oss-20b-shaped conversion (≈13 GB synthetic checkpoint): wall, user+sys, peak RSS',
    quick: [],
    full: [],
    slow: true,
  },
  'libm-verify': {
    what: 'libm port vs the host glibc (x86_64, glibc 2.36 only) and its speed',
    quick: ['--millions', '0.2'],
    full: [],
  },
  'safetensors-rss': {
    what: 'safetensors reader peak RSS on a ~4 GiB file (writes it to /tmp)',
    quick: [],
    full: [],
    slow: true,
  },
};
/** bench/*.mjs files that are helpers of another benchmark, not benchmarks. */
const HELPERS = new Set(['run', 'measure', 'st-bench-make', 'st-bench-read']);

const argv = process.argv.slice(2);
const dash = argv.indexOf('--');
const args = dash >= 0 ? argv.slice(0, dash) : argv;
const extra = dash >= 0 ? argv.slice(dash + 1) : [];
const listOpt = (name) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1].split(',').map((s) => s.trim()).filter(Boolean) : null;
};
const full = args.includes('--full');
const only = listOpt('only');
const skip = new Set(listOpt('skip') ?? []);

const onDisk = readdirSync(here).filter((f) => f.endsWith('.mjs')).map((f) => f.slice(0, -4)).filter((n) => !HELPERS.has(n));
const unregistered = onDisk.filter((n) => !(n in BENCHES));

if (args.includes('--list')) {
  for (const [name, b] of Object.entries(BENCHES)) {
    const state = existsSync(join(here, `${name}.mjs`)) ? '' : ' (file missing)';
    console.log(`${name.padEnd(16)} ${b.slow ? '[slow] ' : ''}${b.what}${state}`);
  }
  for (const n of unregistered) console.log(`${n.padEnd(16)} (not registered in bench/run.mjs; runs with no arguments)`);
  process.exit(0);
}

for (const n of only ?? []) {
  if (!existsSync(join(here, `${n}.mjs`))) {
    console.error(`bench/run: no benchmark '${n}' (have: ${onDisk.join(', ')})`);
    process.exit(2);
  }
}
if (!existsSync(join(here, '..', 'dist', 'src', 'index.js'))) {
  console.error('bench/run: dist/ is missing; run `npm run build` first');
  process.exit(2);
}

const selected = (only ?? [...Object.keys(BENCHES), ...unregistered].filter((n) => full || !BENCHES[n]?.slow))
  .filter((n) => !skip.has(n) && existsSync(join(here, `${n}.mjs`)));

/** Preset arguments minus the flags (and their values) that `extra` sets again: the benchmarks read a flag's first occurrence. */
function withoutOverridden(preset, extraArgs) {
  const given = new Set(extraArgs.filter((a) => a.startsWith('--')));
  const out = [];
  for (let i = 0; i < preset.length; i++) {
    const a = preset[i];
    const hasValue = a.startsWith('--') && i + 1 < preset.length && !preset[i + 1].startsWith('--');
    if (given.has(a)) { if (hasValue) i++; continue; }
    out.push(a);
  }
  return out;
}

/** Runtimes a `runtimes: true` benchmark runs under, side by side (those installed). */
const installed = Object.entries(RUNTIMES).filter(([n, cmd]) => n === 'node' || existsSync(cmd[0]));

const results = [];
for (const name of selected) {
  const b = BENCHES[name];
  const benchArgs = [...withoutOverridden(b ? (full ? b.full : b.quick) : [], extra), ...extra];
  for (const [rt, cmd] of b?.runtimes ? installed : [installed[0]]) {
    const label = b?.runtimes ? `${name} (${rt})` : name;
    console.log(`\n=== ${label} ${benchArgs.join(' ')}`.trimEnd());
    const t0 = process.hrtime.bigint();
    const r = spawnSync(cmd[0], [...cmd.slice(1), join(here, `${name}.mjs`), ...benchArgs], { stdio: 'inherit', env: process.env });
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    results.push({ name: label, status: r.status ?? (r.signal ? `signal ${r.signal}` : 'error'), seconds });
  }
}

console.log('\n| benchmark | exit | seconds |\n|---|---|---|');
for (const r of results) console.log(`| ${r.name} | ${r.status} | ${r.seconds.toFixed(1)} |`);
process.exit(results.some((r) => r.status !== 0) ? 1 : 0);
