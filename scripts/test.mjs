// `npm test`: compile, run the uvu suites, run the conformance corpus, and
// finish with one line "N passed, N failed" (unit tests + conformance cases).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join, resolve } from 'node:path';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const quick = process.argv.includes('--unit');
let passed = 0;
let failed = 0;

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', maxBuffer: 1 << 28, ...opts });
  process.stdout.write(r.stdout ?? '');
  process.stderr.write(r.stderr ?? '');
  return r;
}

// 1. compile TypeScript (wasm is built by `npm run build` / prepare)
for (const k of ['crc32c', 'mxfp4', 'validate', 'mph', 'moe', 'dense']) {
  if (existsSync(join(root, 'assembly', `${k}.ts`)) && !existsSync(join(root, 'build', `${k}.wasm`))) {
    console.error(`build/${k}.wasm is missing: run 'npm run build' first`);
    process.exit(1);
  }
}
const tsc = run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json']);
if (tsc.status !== 0) {
  console.log('TypeScript compilation failed');
  console.log('0 passed, 1 failed');
  process.exit(1);
}

// 2. unit tests (uvu prints Total/Passed/Skipped)
const uvu = run(process.execPath, [join(root, 'node_modules/uvu/bin.js'), 'dist/test', '\\.test\\.js$']);
const total = /Total:\s+(\d+)/.exec(uvu.stdout ?? '');
const ok = /Passed:\s+(\d+)/.exec(uvu.stdout ?? '');
const skipped = /Skipped:\s+(\d+)/.exec(uvu.stdout ?? '');
if (!total || !ok) {
  console.log('uvu did not report a result');
  failed += 1;
} else {
  passed += Number(ok[1]);
  failed += Number(total[1]) - Number(ok[1]) - Number(skipped?.[1] ?? 0);
  if (skipped && Number(skipped[1]) > 0) {
    console.log(`${skipped[1]} unit test(s) skipped: counted as failed`);
    failed += Number(skipped[1]);
  }
}
if (uvu.status !== 0 && failed === 0) failed += 1;

// 3. the conformance corpus
if (!quick) {
  const conf = run(process.execPath, [join(root, 'scripts/conformance.mjs')]);
  const m = /(\d+) passed, (\d+) failed\s*$/.exec((conf.stdout ?? '').trimEnd());
  if (!m) {
    console.log('conformance run did not report a result');
    failed += 1;
  } else {
    passed += Number(m[1]);
    failed += Number(m[2]);
  }
}

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
