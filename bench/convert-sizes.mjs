// Conversion speed and peak memory on dense checkpoints of growing size (issue 3's
// benchmark), optionally side by side with the Python reference.
//
//   npm run build && node bench/convert-sizes.mjs [--sizes 64x2,128x4,256x4,512x2,512x4]
//       [--vocab 512] [--repeat 3] [--ref-repeat 1] [--dir /tmp/sera-bench-sizes] [--keep] [--json FILE]
//       [--check]   (exit 1 when the 512×4 targets are missed)
//   SERA_REFERENCE=/path/to/reference/checkout node bench/convert-sizes.mjs   # adds the reference columns
//
// Checkpoints come from `sera-transfer synth --preset dense` (LLaMA-named F32,
// the corpus's dense_f32 tensor set: q/k/v/o, up_proj and down_proj with biases;
// intermediate 4·d_model; heads 4 up to d_model 256, else d_model/64; a
// prefix-free byte-level tokenizer of --vocab ids, default 512, so the
// reference's O(V²) Sardinas–Patterson test stays a small part of its time;
// seed 0). Each is converted with our CLI at its defaults (r/rv/topL 64/8/8).
// Wall time is measured by this process around the child (median of --repeat
// runs); user+sys and peak RSS come from `/usr/bin/time -v` (else /proc VmHWM,
// polled). The reference figures quoted in the issue (0.9, 2.6, 8.2, 15.9, 27.9 s;
// up to 1.7 GiB) are the fixed comparison; targets at 512×4: ≥ 100× faster and
// ≤ 1/4 of 1.7 GiB.
//
// With SERA_REFERENCE set, the same checkpoints are also converted by
// `python3 -m gpt_oss.tools.sera_transfer` from that checkout (PYTHONPATH =
// checkout/src; SERA_PYTHON picks the interpreter), run from the bench's work
// folder like the corpus's goldens (from the checkout root, the reference would
// hash its docs/specs/Sera-Transfer.txt into the manifest's schema digest). The checkout
// must import without torch: src/gpt_oss/inference/__init__.py empty or absent
// (ALGORITHMS.md §17.1). When the `safetensors` wheel is missing, a stub
// module is put in sys.modules before the import, so the converter uses its
// built-in raw reader (same values). The outputs are compared byte for byte
// (arrays/*.bin and sera_manifest.bin): "identical" is informational, the
// reference's Python version decides its sum() semantics (3.12+ is canonical).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { cpus, tmpdir } from 'node:os';
import { lowerMedian as median, measure } from './measure.mjs';
import { CLI, root, walkTree } from '../scripts/lib/shared.mjs';
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : dflt;
};
const flag = (name) => args.includes(`--${name}`);

const ISSUE_SECONDS = { '64x2': 0.9, '128x4': 2.6, '256x4': 8.2, '512x2': 15.9, '512x4': 27.9 };
const ISSUE_PEAK_BYTES = 1.7 * 2 ** 30;
const sizes = opt('sizes', '64x2,128x4,256x4,512x2,512x4').split(',').map((s) => {
  const m = /^(\d+)x(\d+)$/.exec(s.trim());
  if (!m) throw new Error(`--sizes: expected DxL entries like 512x4, got '${s}'`);
  return { d: Number(m[1]), layers: Number(m[2]), key: `${m[1]}x${m[2]}` };
});
const vocab = Number(opt('vocab', '512'));
const repeat = Math.max(1, Number(opt('repeat', '3')));
const refRepeat = Math.max(1, Number(opt('ref-repeat', '1')));
const work = resolve(opt('dir', join(tmpdir(), 'sera-bench-sizes')));
const refRoot = process.env.SERA_REFERENCE ? resolve(process.env.SERA_REFERENCE) : null;
const python = process.env.SERA_PYTHON ?? 'python3';

if (!existsSync(join(root, 'dist', 'src', 'cli', 'main.js'))) {
  console.error('bench/convert-sizes: dist/ is missing; run `npm run build` first');
  process.exit(2);
}

const PY_STUB = `
import sys, types, runpy, importlib.machinery, importlib.util
if importlib.util.find_spec('safetensors') is None:
    m = types.ModuleType('safetensors')
    m.__spec__ = importlib.machinery.ModuleSpec('safetensors', None)
    class SafetensorError(Exception):
        pass
    class _Ctx:
        def __enter__(self):
            return None
        def __exit__(self, *a):
            return False
    m.SafetensorError = SafetensorError
    m.safe_open = lambda *a, **k: _Ctx()
    sys.modules['safetensors'] = m
sys.argv = ['sera_transfer'] + sys.argv[1:]
runpy.run_module('gpt_oss.tools.sera_transfer', run_name='__main__')
`;


/** Whether two packages hold the same arrays/*.bin and sera_manifest.bin, byte for byte. */
function sameOutputs(a, b) {
  // the array files and the manifest, read a pair at a time (not the whole packages)
  const arrays = (dir) => walkTree(dir).map((e) => e.rel).filter((f) => /^arrays\/[^/]+\.bin$/.test(f));
  const fa = arrays(a), fb = arrays(b);
  if (fa.join('\n') !== fb.join('\n')) return `array sets differ (${fa.length} vs ${fb.length})`;
  const read = (dir, f) => (existsSync(join(dir, f)) ? readFileSync(join(dir, f)) : null);
  const differ = [];
  for (const f of [...fa, 'sera_manifest.bin']) {
    const x = read(a, f), y = read(b, f);
    if (!x || !y || !x.equals(y)) differ.push(f);
  }
  return differ.length ? `differ: ${differ.slice(0, 4).join(', ')}${differ.length > 4 ? ` +${differ.length - 4}` : ''}` : 'yes';
}

async function runOne(size) {
  const ckpt = join(work, `ckpt-${size.key}`);
  const syn = spawnSync(process.execPath, [CLI, 'synth', '--preset', 'dense', '--d-model', String(size.d), '--layers', String(size.layers),
    '--vocab', String(vocab), '--seed', '0', '--output', ckpt, '--force'], { encoding: 'utf8' });
  if (syn.status !== 0) throw new Error(`synth failed for ${size.key}: ${syn.stderr}`);
  spawnSync('sync');
  const params = 4 * size.d * size.d * size.layers + size.layers * (2 * 4 * size.d * size.d + 4 * size.d + size.d);

  const ours = [];
  const outDir = join(work, `out-${size.key}`);
  for (let i = 0; i < repeat; i++) {
    rmSync(outDir, { recursive: true, force: true });
    spawnSync('sync'); // start each run without dirty pages from the previous one
    const m = await measure(process.execPath, [CLI, '--source', ckpt, '--output', outDir, '--no-summary']);
    if (!m.ok) throw new Error(`our convert failed for ${size.key} (exit ${m.status}):\n${m.stderr}`);
    ours.push(m);
  }
  const row = {
    size: size.key, params,
    wall: median(ours.map((m) => m.wall)), cpu: median(ours.map((m) => m.cpu)), peak: Math.max(...ours.map((m) => m.peak)),
    peakSource: ours[0].peakSource, issueSeconds: ISSUE_SECONDS[size.key] ?? null,
  };
  if (refRoot) {
    const refOut = join(work, `ref-${size.key}`);
    const refs = [];
    for (let i = 0; i < refRepeat; i++) {
      rmSync(refOut, { recursive: true, force: true });
      spawnSync('sync');
      const m = await measure(python, ['-c', PY_STUB, '--source', ckpt, '--output', refOut, '--no-summary'], {
        cwd: work, env: { ...process.env, PYTHONPATH: join(refRoot, 'src') },
      });
      if (!m.ok) { row.refError = `exit ${m.status}: ${m.stderr.trim().split('\n').pop()}`; break; }
      refs.push(m);
    }
    if (refs.length) {
      row.refWall = median(refs.map((m) => m.wall));
      row.refCpu = median(refs.map((m) => m.cpu));
      row.refPeak = Math.max(...refs.map((m) => m.peak));
      row.identical = sameOutputs(outDir, refOut);
    }
  }
  return row;
}

const f = (x, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : '–');
const mib = (b) => f(b / 2 ** 20, 0);

rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });
const loadAt = (() => { try { return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '); } catch { return '?'; } })();
const rows = [];
try {
  for (const s of sizes) {
    process.stderr.write(`convert-sizes: ${s.key} …\n`);
    rows.push(await runOne(s));
  }
} finally {
  if (!flag('keep')) rmSync(work, { recursive: true, force: true });
}

console.log(`\nDense F32 checkpoints (synth --preset dense, intermediate 4·d, vocab ${vocab}); convert at r/rv/topL 64/8/8; `
  + `median of ${repeat} run(s); peak RSS from ${rows[0]?.peakSource ?? '-'}; node ${process.version}; `
  + `load average at start ${loadAt} on ${cpus().length} CPUs (wall times stretch when other work shares the CPUs; user+sys does not).\n`);
const head = ['d_model×layers', 'params', 'ours wall (s)', 'ours user+sys (s)', 'ours peak RSS (MiB)', 'reference, issue (s)', 'speedup vs issue'];
if (refRoot) head.push('reference here (s)', 'reference user+sys (s)', 'reference peak (MiB)', 'speedup here (wall)', 'speedup here (user+sys)', 'RSS ours/ref', 'bytes identical');
console.log(`| ${head.join(' | ')} |`);
console.log(`|${head.map(() => '---').join('|')}|`);
for (const r of rows) {
  const cells = [r.size.replace('x', '×'), r.params.toLocaleString('en-US'), f(r.wall, 3), f(r.cpu), mib(r.peak),
    r.issueSeconds === null ? '–' : f(r.issueSeconds, 1), r.issueSeconds === null ? '–' : `${f(r.issueSeconds / r.wall, 1)}×`];
  if (refRoot) {
    if (r.refError) cells.push(`failed (${r.refError})`, '–', '–', '–', '–', '–', '–');
    else {
      cells.push(f(r.refWall, 1), f(r.refCpu, 1), mib(r.refPeak), `${f(r.refWall / r.wall, 1)}×`, `${f(r.refCpu / r.cpu, 1)}×`,
        f(r.peak / r.refPeak, 3), r.identical);
    }
  }
  console.log(`| ${cells.join(' | ')} |`);
}

const big = rows.find((r) => r.size === '512x4');
let missed = false;
if (big) {
  const speed = big.issueSeconds / big.wall;
  const memOk = big.peak <= ISSUE_PEAK_BYTES / 4;
  missed = speed < 100 || !memOk;
  console.log(`\n512×4 targets: speed ${f(speed, 1)}× the issue's reference time by wall `
    + `(${f(big.issueSeconds / big.cpu, 1)}× by our user+sys; target ≥ 100×: ${speed >= 100 ? 'met' : 'MISSED'}); `
    + `peak ${mib(big.peak)} MiB vs 1.7 GiB / 4 = ${mib(ISSUE_PEAK_BYTES / 4)} MiB (${memOk ? 'met' : 'MISSED'}).`);
  if (big.refWall) {
    console.log(`512×4 against the reference run here: ${f(big.refWall / big.wall, 1)}× faster by wall, `
      + `${f(big.refCpu / big.cpu, 1)}× by user+sys, ${f(big.peak / big.refPeak, 3)} of its peak memory.`);
  }
}
if (!refRoot) console.log('\n(set SERA_REFERENCE=/path/to/reference/checkout to add the reference side by side)');
const jsonOut = opt('json', null);
if (jsonOut) writeFileSync(jsonOut, JSON.stringify({ vocab, repeat, node: process.version, rows }, null, 2) + '\n');
if (flag('check') && missed) process.exit(1);
