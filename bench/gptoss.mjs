// The issue-4 benchmark: a full gpt-oss-shaped synthetic checkpoint (generated
// once into a cache folder), converted with the matching profile; reports wall
// time, user+sys time and peak RSS (bench/measure.mjs), and the spec's memory bound
// (largest layer's bytes on disk + 512 MiB).
//
//   node bench/gptoss.mjs [--preset gpt-oss-20b|gpt-oss-120b] [--layers N] [--dir DIR] [--no-shards] [--keep]
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { loadSafetensorsReader, openCheckpoint } from '../dist/src/index.js';
import { measure } from './measure.mjs';
import { CLI } from '../scripts/lib/shared.mjs';
const argv = process.argv.slice(2);
const opt = (name, def) => { const i = argv.indexOf(`--${name}`); return i >= 0 ? argv[i + 1] : def; };
const preset = opt('preset', 'gpt-oss-20b');
const layers = opt('layers', undefined);
const dir = opt('dir', join(tmpdir(), `sera-bench-${preset}${layers ? `-${layers}l` : ''}`));
const out = `${dir}-out`;

if (!existsSync(join(dir, 'config.json'))) {
  console.log(`generating ${preset}${layers ? ` (${layers} layers)` : ''} in ${dir} …`);
  const g = spawnSync(process.execPath, [CLI, 'synth', '--preset', preset, ...(layers ? ['--layers', layers] : []), '--output', dir, '--force'], { stdio: 'inherit' });
  if (g.status !== 0) process.exit(1);
}

/** Largest per-layer bytes on disk (tensor byte lengths grouped by layer prefix), from the headers. */
async function largestLayerBytes() {
  await loadSafetensorsReader();
  const index = join(dir, 'model.safetensors.index.json');
  const store = openCheckpoint(existsSync(index) ? index : join(dir, 'model.safetensors'));
  const per = new Map();
  for (const t of store.tensors()) {
    // Only transformer layers count: the embedding is read once, row by row.
    const m = /^(block\.\d+|model\.layers\.\d+)\./.exec(t.name);
    if (m) per.set(m[1], (per.get(m[1]) ?? 0) + t.byteLength);
  }
  store.close();
  return Math.max(...per.values());
}

rmSync(out, { recursive: true, force: true });
const profile = preset === 'gpt-oss-120b' ? 'gpt-oss-120b' : 'gpt-oss-20b';
const args = [CLI, '--source', dir, '--output', out, '--profile', profile, '--quiet', '--no-summary', ...(argv.includes('--no-shards') ? ['--no-mxfp4-shards'] : [])];
const r = await measure(process.execPath, args);
if (!r.ok) { process.stderr.write(r.stderr); process.exit(1); }
const rssMiB = r.peak / 2 ** 20;
const boundMiB = (await largestLayerBytes()) / 2 ** 20 + 512;
const v = spawnSync(process.execPath, [CLI, 'verify', out], { encoding: 'utf8' });
console.log(`\n| checkpoint | wall | user+sys | peak RSS | spec bound (largest layer + 512 MiB) | verify |`);
console.log(`|---|---|---|---|---|---|`);
console.log(`| ${preset}${layers ? ` (${layers} layers)` : ''} | ${r.wall.toFixed(1)} s | ${Number.isFinite(r.cpu) ? `${r.cpu.toFixed(1)} s` : '–'} | ${rssMiB.toFixed(0)} MiB | ${boundMiB.toFixed(0)} MiB | ${v.status === 0 ? 'OK' : 'FAILED'} |`);
console.log(`(peak RSS from ${r.peakSource})`);
if (!argv.includes('--keep')) rmSync(out, { recursive: true, force: true });
process.exit(v.status === 0 && rssMiB <= boundMiB ? 0 : 1);
