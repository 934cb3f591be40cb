// Fault injection through the filesystem adapter, one run per (stage, fault):
// ENOSPC, EACCES and EIO on every kind of file the converter reads or writes,
// zero-byte reads/writes (truncation, a disk that stops accepting data), partial
// reads/writes (which must be absorbed without changing a byte), and the commit
// renames. A failing run must exit 1 with one line naming the file and a hint,
// leave no staging folder or lock, and leave a previous package byte-identical.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { convert } from '../../src/convert.js';
import { getFsBackend, setFsBackend } from '../../src/io/fs.js';
import { IoError } from '../../src/errors.js';
import { corpusDir } from '../helpers/corpus.js';
import { FaultyFs, type Fault, type FaultKind, type FaultOp } from './fault-fs.js';
import { copyTree, diffTrees, errorReport, leftovers, setup, snapshotTree, stackLines } from './helpers.js';

const root = mkdtempSync(join(tmpdir(), 'sera-faults-'));
const source = join(corpusDir(), 'cases/dense_f32/input');
const ARGS = ['--r', '8', '--rv', '4', '--topL', '4', '--no-summary'];
const prev = join(root, 'prev');
let prevTree = new Map<string, string>();
let baseline = join(root, 'baseline', 'out');
let arrays: string[] = [];

interface Row {
  name: string;
  faults: Fault[];
  /** A previous package sits at --output (default true). */
  previous?: boolean;
  /** Expected: 'fail' (exit 1) or 'same' (success, output identical to a clean run). */
  expect: 'fail' | 'same';
  /** Text the error line must contain (default: the basename of the first fault's file). */
  names?: string;
}

async function cli(args: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const io = { stdout: { write: () => true }, stderr: { write: (s: string) => { stderr += s; return true; } }, env: { SERA_TRANSFER_PROGRESS: 'off' } };
  const code = await main(args, io);
  return { code, stderr };
}

test.before(setup('faults', async () => {
  let r = await cli(['--source', source, '--output', prev, '--r', '4', '--no-summary']);
  assert.is(r.code, 0, r.stderr);
  prevTree = snapshotTree(prev);
  r = await cli(['--source', source, '--output', baseline, ...ARGS]);
  assert.is(r.code, 0, r.stderr);
  arrays = readdirSync(join(baseline, 'arrays')).map((f) => f.slice(0, -4)).sort();
}));
test.after(() => rmSync(root, { recursive: true, force: true }));

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const staged = (rel: string) => new RegExp(`/\\.out\\.sera-tmp-\\d+/${esc(rel)}$`);
const input = (name: string) => new RegExp(`/${esc(name)}$`);
const f = (op: FaultOp, path: RegExp, kind: FaultKind, nth?: number): Fault => (nth === undefined ? { op, path, kind } : { op, path, kind, nth });

function rows(): Row[] {
  const out: Row[] = [];
  // reading the checkpoint
  for (const file of ['config.json', 'model.safetensors', 'tokenizer.json']) {
    out.push({ name: `${file}: open EACCES`, faults: [f('open-read', input(file), 'EACCES')], expect: 'fail' });
    out.push({ name: `${file}: read EIO`, faults: [f('read', input(file), 'EIO')], expect: 'fail' });
    out.push({ name: `${file}: read returns 0 bytes (truncated)`, faults: [f('read', input(file), 'zero')], expect: 'fail' });
    out.push({ name: `${file}: partial reads`, faults: [f('read', input(file), 'partial')], expect: 'same' });
  }
  out.push({ name: 'model.safetensors: EIO reading tensor data', faults: [f('read', input('model.safetensors'), 'EIO', 4)], expect: 'fail' });
  out.push({ name: 'model.safetensors: truncated in tensor data', faults: [f('read', input('model.safetensors'), 'zero', 6)], expect: 'fail' });
  // the lock and the staging folder
  out.push({ name: 'lock: create EACCES', faults: [f('open-write', /\/\.out\.sera-lock$/, 'EACCES')], expect: 'fail', names: '.out.sera-lock' });
  out.push({ name: 'lock: create ENOSPC', faults: [f('open-write', /\/\.out\.sera-lock$/, 'ENOSPC')], expect: 'fail', names: '.out.sera-lock' });
  out.push({ name: 'lock: write returns 0', faults: [f('write', /\/\.out\.sera-lock$/, 'zero')], expect: 'fail', names: '.out.sera-lock' });
  out.push({ name: 'staging folder: mkdir ENOSPC', faults: [f('mkdir', /\/\.out\.sera-tmp-\d+$/, 'ENOSPC')], expect: 'fail', names: '.out.sera-tmp-' });
  out.push({ name: 'staging folder: mkdir EACCES', faults: [f('mkdir', /\/\.out\.sera-tmp-\d+$/, 'EACCES')], expect: 'fail', names: '.out.sera-tmp-' });
  out.push({ name: 'arrays/ folder: mkdir ENOSPC', faults: [f('mkdir', staged('arrays'), 'ENOSPC')], expect: 'fail', names: 'arrays' });
  // every array file runs out of space while its payload is written (fresh output)
  for (const a of arrays) {
    out.push({ name: `arrays/${a}.bin: ENOSPC writing the payload`, faults: [f('write', staged(`arrays/${a}.bin`), 'ENOSPC', 1)], expect: 'fail', previous: false });
  }
  // every other fault on a few arrays, the manifest, the state and the log
  const writes = ['arrays/tokenizer_fst.bin', 'arrays/prf_W.bin', 'arrays/linear_weights.bin', 'arrays/peer_scores.bin', 'sera_manifest.bin', 'sera_state.json', 'conversion.log'];
  for (const file of writes) {
    const p = staged(file);
    out.push({ name: `${file}: create EACCES`, faults: [f('open-write', p, 'EACCES')], expect: 'fail' });
    out.push({ name: `${file}: create ENOSPC`, faults: [f('open-write', p, 'ENOSPC')], expect: 'fail' });
    out.push({ name: `${file}: write ENOSPC`, faults: [f('write', p, 'ENOSPC')], expect: 'fail' });
    out.push({ name: `${file}: write EIO`, faults: [f('write', p, 'EIO')], expect: 'fail' });
    out.push({ name: `${file}: write returns 0`, faults: [f('write', p, 'zero')], expect: 'fail' });
    out.push({ name: `${file}: fsync EIO`, faults: [f('fsync', p, 'EIO')], expect: 'fail' });
    out.push({ name: `${file}: close EIO`, faults: [f('close', p, 'EIO')], expect: 'fail' });
    out.push({ name: `${file}: partial writes`, faults: [f('write', p, 'partial')], expect: 'same' });
  }
  // the self-check reads the staged arrays back
  out.push({ name: 'self-check: EIO re-reading arrays/prf_W.bin', faults: [f('read', staged('arrays/prf_W.bin'), 'EIO')], expect: 'fail', names: 'prf_W.bin' });
  out.push({ name: 'self-check: arrays/prf_W.bin reads short', faults: [f('read', staged('arrays/prf_W.bin'), 'zero')], expect: 'fail', names: 'prf_W.bin' });
  // the commit
  const stagingDir = /\/\.out\.sera-tmp-\d+$/;
  out.push({ name: 'commit (new output): rename EACCES', faults: [f('rename', stagingDir, 'EACCES')], expect: 'fail', previous: false, names: '.out.sera-tmp-' });
  out.push({ name: 'commit (new output): rename EIO', faults: [f('rename', stagingDir, 'EIO')], expect: 'fail', previous: false, names: '.out.sera-tmp-' });
  out.push({ name: 'commit: moving the previous package aside fails (EACCES)', faults: [f('rename', /\/out$/, 'EACCES')], expect: 'fail', names: 'out' });
  out.push({ name: 'commit: moving the new package in fails (EIO), previous put back', faults: [f('rename', stagingDir, 'EIO')], expect: 'fail', names: '.out.sera-tmp-' });
  return out;
}

function normalisedState(dir: string): string {
  return readFileSync(join(dir, 'sera_state.json'), 'utf8').split(dir).join('<OUT>');
}

function assertSameAsBaseline(out: string, what: string): void {
  const a = snapshotTree(baseline);
  const b = snapshotTree(out);
  const differ = diffTrees(a, b).filter((d) => !/ (conversion\.log|sera_state\.json)$/.test(d));
  assert.equal(differ, [], `${what}: output differs from a clean run`);
  assert.is(normalisedState(out), normalisedState(baseline), `${what}: sera_state.json differs`);
}

test('every fault kind at every stage: exit 1, one line naming the file, nothing half-written', async () => {
  const table = rows();
  const base = getFsBackend();
  const t0 = performance.now();
  let failed = 0;
  let same = 0;
  const problems: string[] = [];
  for (const [i, row] of table.entries()) {
    const dir = join(root, `row-${i}`);
    const out = join(dir, 'out');
    const previous = row.previous !== false;
    if (previous) copyTree(prev, out);
    const fs = new FaultyFs(base, row.faults, { skipSync: true });
    setFsBackend(fs);
    let r: { code: number; stderr: string };
    try {
      r = await cli(['--source', source, '--output', out, ...ARGS]);
    } finally {
      setFsBackend(base);
    }
    const what = `${row.name}`;
    try {
      assert.ok(fs.fired.length > 0, `${what}: the fault never fired (the table targets nothing)`);
      assert.equal(leftovers(out), [], `${what}: staging folder, parked package or lock left behind`);
      if (row.expect === 'same') {
        assert.is(r.code, 0, `${what}: ${r.stderr}`);
        assertSameAsBaseline(out, what);
        same++;
        continue;
      }
      assert.is(r.code, 1, `${what}: exit code; stderr: ${r.stderr}`);
      const lines = errorReport(r.stderr);
      assert.is(lines.length, 2, `${what}: expected an error line and a hint line, got ${JSON.stringify(r.stderr)}`);
      const names = row.names ?? basename(fs.fired[0]!.path);
      assert.ok(lines[0]!.includes(names), `${what}: the message does not name ${names}: ${lines[0]}`);
      assert.match(lines[1]!, /^ {2}hint: \S/, what);
      assert.equal(stackLines(r.stderr), [], `${what}: stack trace printed`);
      if (previous) assert.equal(diffTrees(prevTree, snapshotTree(out)), [], `${what}: previous package changed`);
      else assert.not.ok(existsSync(out), `${what}: output folder created`);
      failed++;
    } catch (e) {
      problems.push((e as Error).message);
    }
  }
  const ms = performance.now() - t0;
  console.log(`[faults] ${table.length} fault runs (${failed} failed cleanly, ${same} absorbed partial I/O) in ${ms.toFixed(0)} ms`);
  assert.equal(problems, []);
});

test('double fault in the commit: the previous package is kept aside and the message says where', async () => {
  const dir = join(root, 'double');
  const out = join(dir, 'out');
  copyTree(prev, out);
  const base = getFsBackend();
  const fs = new FaultyFs(base, [f('rename', /\/\.out\.sera-tmp-\d+$/, 'EIO'), f('rename', /\/\.out\.sera-old-\d+$/, 'EIO')], { skipSync: true });
  setFsBackend(fs);
  let r: { code: number; stderr: string };
  try {
    r = await cli(['--source', source, '--output', out, ...ARGS]);
  } finally {
    setFsBackend(base);
  }
  assert.is(r.code, 1, r.stderr);
  const parked = join(dir, `.out.sera-old-${process.pid}`);
  assert.match(r.stderr, `could not be moved back and are kept in ${parked}`);
  assert.not.ok(existsSync(out));
  assert.equal(diffTrees(prevTree, snapshotTree(parked)), [], 'parked package intact');
  assert.equal(leftovers(out), [`.out.sera-old-${process.pid}`]);
  // the next conversion puts it back first; here it fails early, so the output is the previous package again
  const again = await cli(['--source', join(dir, 'missing'), '--output', out, ...ARGS]);
  assert.is(again.code, 1);
  assert.equal(diffTrees(prevTree, snapshotTree(out)), [], 'parked package restored');
  assert.equal(leftovers(out), []);
});

test('old package that cannot be deleted after a successful commit: success, leftover only', async () => {
  const out = join(root, 'rmold', 'out');
  copyTree(prev, out);
  const base = getFsBackend();
  const fs = new FaultyFs(base, [f('rm', /\/\.out\.sera-old-\d+$/, 'EACCES', 1)], { skipSync: true });
  setFsBackend(fs);
  let r: { code: number; stderr: string };
  try {
    r = await cli(['--source', source, '--output', out, ...ARGS]);
  } finally {
    setFsBackend(base);
  }
  assert.ok(fs.fired.length > 0, 'fault fired');
  assert.is(r.code, 0, r.stderr);
  assertSameAsBaseline(out, 'rm old');
});

test('library API: a fault surfaces as a typed IoError naming the file', async () => {
  const out = join(root, 'lib', 'out');
  const base = getFsBackend();
  setFsBackend(new FaultyFs(base, [f('write', staged('sera_manifest.bin'), 'ENOSPC')], { skipSync: true }));
  try {
    await convert({ source, output: out });
    assert.unreachable('convert should fail');
  } catch (e) {
    assert.instance(e, IoError);
    assert.is((e as IoError).code, 'ENOSPC');
    assert.match((e as IoError).path, /sera_manifest\.bin$/);
    assert.match((e as IoError).message, /no space left on device/);
    assert.ok((e as { cause?: unknown }).cause instanceof Error, 'system error kept as cause');
  } finally {
    setFsBackend(base);
  }
  assert.not.ok(existsSync(out));
  assert.equal(leftovers(out), []);
});

test('--debug adds the system error and the stack; without it there is no stack', async () => {
  const base = getFsBackend();
  const run = async (debug: boolean) => {
    setFsBackend(new FaultyFs(base, [f('write', staged('sera_state.json'), 'EIO')], { skipSync: true }));
    try {
      return await cli(['--source', source, '--output', join(root, `dbg-${debug}`, 'out'), ...ARGS, ...(debug ? ['--debug'] : [])]);
    } finally {
      setFsBackend(base);
    }
  };
  const plain = await run(false);
  const dbg = await run(true);
  assert.is(plain.code, 1);
  assert.is(dbg.code, 1);
  assert.equal(stackLines(plain.stderr), []);
  assert.match(dbg.stderr, /\[debug\] cause: EIO: simulated fault, write '.*sera_state\.json' \[syscall write, errno -5\]/);
  assert.match(dbg.stderr, /\[debug\] at /);
});

test.run();
