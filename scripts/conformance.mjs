// Runs the conformance corpus (../shared/conformance, or the vendored copy in
// test/conformance) against bin/sera-transfer.js; prints "N passed, N failed".
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, corpusDir, root } from './lib/shared.mjs';

let dir;
try {
  dir = corpusDir();
  if (!existsSync(join(dir, 'harness/run_all.sh'))) throw new Error(`${dir} has no harness/run_all.sh`);
} catch (err) {
  console.log(`no conformance corpus: ${err.message}`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}
console.log(`conformance corpus: ${dir}`);
const extra = process.argv.slice(2);
// a private work folder: concurrent runs must not share /tmp/sera-conformance
const work = process.env.SERA_CONF_WORK ?? mkdtempSync(join(tmpdir(), 'sera-conformance-'));
const r = spawnSync('bash', [join(dir, 'harness/run_all.sh'), ...extra, `${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} {args}`], {
  cwd: root, encoding: 'utf8', maxBuffer: 1 << 28,
  env: { ...process.env, SERA_CONF_WORK: work },
});
if (!process.env.SERA_CONF_WORK) rmSync(work, { recursive: true, force: true });
process.stdout.write(r.stdout ?? '');
process.stderr.write(r.stderr ?? '');
process.exit(r.status ?? 1);
