// `npm test`: compile, run the uvu suites, run the conformance corpus, and
// finish with one line "N passed, N failed" (unit tests + conformance cases).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { root, runtimeCommand } from './lib/shared.mjs';

const quick = process.argv.includes('--unit');
let passed = 0;
let failed = 0;

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', maxBuffer: 1 << 28, ...opts });
  process.stdout.write(r.stdout ?? '');
  process.stderr.write(r.stderr ?? '');
  return r;
}

// 1. compile TypeScript (wasm is built by `npm run build` / prepare) and bundle the CLI.
// tsconfig is incremental, so after `npm ci` (prepare) or a build this is a quick check.
const { kernels } = JSON.parse(readFileSync(join(root, 'asconfig.json'), 'utf8'));
for (const k of kernels) {
  if (!existsSync(join(root, 'build', `${k}.wasm`))) {
    console.error(`build/${k}.wasm is missing: run 'npm run build' first`);
    process.exit(1);
  }
}
/** Runs a build script under this Node; stops the run with one failure if it fails. */
function buildStep(what, args) {
  if (run(process.execPath, args).status === 0) return;
  console.log(`${what} failed`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}
buildStep('TypeScript compilation', [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json']);
// the CLI runs from the bundle: rebuild it from what tsc just wrote, so it is never stale
buildStep('bundling the CLI', [join(root, 'scripts/bundle.mjs')]);

/** Adds one uvu run (Total/Passed/Skipped) to the tally; skipped tests count as failed. */
function tallyUvu(label, r) {
  const out = (r.stdout ?? '').replace(/\x1b\[[0-9;]*m/g, '');
  const total = /Total:\s+(\d+)/.exec(out);
  const ok = /Passed:\s+(\d+)/.exec(out);
  const skipped = /Skipped:\s+(\d+)/.exec(out);
  if (!total || !ok) {
    console.log(`${label}: uvu did not report a result`);
    failed += 1;
    return;
  }
  const bad = Number(total[1]) - Number(ok[1]);
  passed += Number(ok[1]);
  failed += bad;
  if (skipped && Number(skipped[1]) > 0) console.log(`${label}: ${skipped[1]} test(s) skipped, counted as failed`);
  if (r.status !== 0 && bad === 0) failed += 1;
  console.log(`${label}: ${ok[1]} of ${total[1]} passed`);
}

/** Counts the "N passed, N failed" last line of a script. */
function tallyScript(label, r) {
  const m = /(\d+) passed, (\d+) failed\s*$/.exec((r.stdout ?? '').trimEnd());
  if (!m) {
    console.log(`${label}: did not report a result`);
    failed += 1;
    return;
  }
  passed += Number(m[1]);
  failed += Number(m[2]);
}

// 2. unit tests under Node
tallyUvu('unit tests (node)', run(process.execPath, [join(root, 'scripts/uvu-run.mjs'), 'dist/test']));

// 3. the kernels, the readers, the codecs, numerics and full conversions under Deno and Bun
const SUBSET = ['dist/test/kernels', 'dist/test/io', 'dist/test/format', 'dist/test/numeric', 'dist/test/stages/mphf.test.js',
  'dist/test/stages/collapse-kernels.test.js', 'dist/test/stages/bridge.test.js', 'dist/test/stages/bridge-worker.test.js', 'dist/test/stages/bridge-spawn.test.js',
  'dist/test/stages/worker-common.test.js', 'dist/test/pipeline'];
if (!quick) {
  for (const rt of ['deno', 'bun']) {
    tallyUvu(`runtime subset (${rt})`, run(...runtimeCommand(rt, [join(root, 'scripts/uvu-run.mjs'), ...SUBSET])));
  }
}

// 4. the conformance corpus, and byte-identical output across runtimes and folders
if (!quick) {
  tallyScript('conformance', run(process.execPath, [join(root, 'scripts/conformance.mjs')]));
  // again with the reference regime's worker forced on (the corpus's checkpoints are below
  // its size threshold): the same bytes and the same failures from the threaded path
  tallyScript('conformance (SERA_TRANSFER_THREADS=2)', run(process.execPath, [join(root, 'scripts/conformance.mjs')],
    { env: { ...process.env, SERA_TRANSFER_THREADS: '2' } }));
  tallyScript('cross-runtime', run(process.execPath, [join(root, 'scripts/cross-runtime.mjs')]));
}

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
