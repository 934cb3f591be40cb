// Peak-memory benchmark for the safetensors reader: builds (once) a ~4 GiB file
// of a few big tensors in /tmp, then reads every tensor in 8 MiB chunks through
// SafetensorsFile.read in a child process, checks a per-tensor checksum, and
// reports the child's peak RSS (bench/measure.mjs).
// Target: < 300 MB. Needs `npx tsc` and `node scripts/build-wasm.mjs validate` first.
//
//   node bench/safetensors-rss.mjs [--keep] [--dir /tmp/sera-bench-st]
// The big file is removed at the end unless --keep is given.
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeBigFile } from './st-bench-make.mjs';
import { measure } from './measure.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const keep = args.includes('--keep');
const dirArg = args.indexOf('--dir');
const dir = dirArg >= 0 ? args[dirArg + 1] : '/tmp/sera-bench-st';
const TARGET_MB = 300;

const { path, sumsPath, bytes, created, seconds } = makeBigFile(dir);
console.log(`${created ? 'created' : 'reusing'} ${path}: ${(bytes / 2 ** 30).toFixed(2)} GiB${created ? ` in ${seconds.toFixed(1)} s` : ''}`);

const r = await measure(process.execPath, [join(here, 'st-bench-read.mjs'), path, sumsPath]);
process.stdout.write(r.stdout);
if (!r.ok) {
  process.stderr.write(r.stderr);
  console.log(`reader child failed (exit ${r.status})`);
  process.exit(1);
}
const result = JSON.parse(r.stdout.trim().split('\n').pop());
const peakMb = r.peak / 2 ** 20;
console.log(`read ${(result.bytes / 2 ** 30).toFixed(2)} GiB in ${result.seconds.toFixed(1)} s ` +
  `(${(result.bytes / 2 ** 20 / result.seconds).toFixed(0)} MiB/s), checksums ${result.checksumsOk ? 'OK' : 'MISMATCH'}`);
console.log(`peak RSS: ${peakMb.toFixed(1)} MB (${r.peakSource}); child VmHWM ${(result.vmHwmKb / 1024).toFixed(1)} MB; target < ${TARGET_MB} MB`);
if (!keep) {
  rmSync(dir, { recursive: true, force: true });
  console.log(`removed ${dir}`);
}
process.exit(result.checksumsOk && peakMb < TARGET_MB ? 0 : 1);
