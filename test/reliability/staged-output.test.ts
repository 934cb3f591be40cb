// The atomic output in isolation: refusing a folder the user cares about, the
// lock (in this process, from another live process, stale), and the clean-up of
// what a killed conversion leaves.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StagedOutput } from '../../src/io/staged-output.js';
import { IoError, UsageError } from '../../src/errors.js';
import { leftovers } from './helpers.js';

const root = mkdtempSync(join(tmpdir(), 'sera-staged-'));
let seq = 0;
const fresh = () => join(root, `case-${seq++}`, 'out');
test.after(() => rmSync(root, { recursive: true, force: true }));

function refuses(fn: () => unknown, cls: new (...a: never[]) => Error, re: RegExp): Error {
  try {
    fn();
  } catch (e) {
    assert.instance(e, cls);
    assert.match((e as Error).message, re);
    return e as Error;
  }
  return assert.unreachable('expected a refusal') as never;
}

test('a non-empty folder that is not a package is refused (exit 2) unless --force', () => {
  const out = fresh();
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'thesis.tex'), 'precious');
  const e = refuses(() => new StagedOutput(out), UsageError, /is not empty and does not hold a Sera package/) as UsageError;
  assert.is(e.exitCode, 2);
  assert.match(e.hint!, /--force/);
  assert.equal(leftovers(out), [], 'no lock or staging folder after a refusal');
  const s = new StagedOutput(out, { force: true });
  s.discard();
  assert.is(readFileSync(join(out, 'thesis.tex'), 'utf8'), 'precious', 'a discarded run leaves the folder alone');
});

test('an --output that is a file is refused', () => {
  const out = fresh();
  mkdirSync(join(out, '..'), { recursive: true });
  writeFileSync(out, 'x');
  refuses(() => new StagedOutput(out), UsageError, /exists and is not a folder/);
});

test('a second conversion to the same output in this process is refused', () => {
  const out = fresh();
  const a = new StagedOutput(out);
  const e = refuses(() => new StagedOutput(out), IoError, /another conversion in this process is writing to/) as IoError;
  assert.is(e.code, 'ELOCKED');
  assert.ok(existsSync(a.staging), 'the first staging folder is untouched');
  a.discard();
  assert.equal(leftovers(out), []);
  new StagedOutput(out).discard(); // free again
});

test('a lock held by a live process is respected; a stale or unreadable one is taken over', async () => {
  const out = fresh();
  mkdirSync(join(out, '..'), { recursive: true });
  const lock = join(out, '..', '.out.sera-lock');
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 20000)'], { stdio: 'ignore' });
  try {
    writeFileSync(lock, `${child.pid}\n`);
    refuses(() => new StagedOutput(out), IoError, new RegExp(`another conversion \\(process ${child.pid}\\)`));
  } finally {
    child.kill('SIGKILL');
  }
  await new Promise((r) => child.on('exit', r));
  for (const content of ['garbage', '']) { // no PID yet: a conversion may be starting, unless the lock is old
    writeFileSync(lock, content);
    refuses(() => new StagedOutput(out), IoError, /another conversion is starting to write to/);
  }
  const old = new Date(Date.now() - 60_000);
  for (const content of [`${child.pid}\n`, 'garbage', '']) {
    writeFileSync(lock, content);
    if (!/^\d/.test(content)) utimesSync(lock, old, old);
    const s = new StagedOutput(out);
    assert.is(readFileSync(lock, 'utf8'), `${process.pid}\n`, `took over a lock holding ${JSON.stringify(content)}`);
    s.discard();
  }
  assert.equal(leftovers(out), []);
});

test('a commit replaces the previous package; a killed run\'s staging folders are swept', () => {
  const out = fresh();
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'sera_manifest.bin'), 'old');
  const stale = join(out, '..', '.out.sera-tmp-2147483646');
  mkdirSync(join(stale, 'arrays'), { recursive: true });
  const s = new StagedOutput(out);
  assert.not.ok(existsSync(stale), 'stale staging folder removed once the lock is held');
  writeFileSync(s.path('sera_manifest.bin'), 'new');
  s.commit();
  assert.is(readFileSync(join(out, 'sera_manifest.bin'), 'utf8'), 'new');
  assert.equal(leftovers(out), []);
});

test.run();
