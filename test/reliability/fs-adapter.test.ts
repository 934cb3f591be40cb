// The filesystem adapter's own guarantees: no read (or allocation) past a
// file's size, files whose size stat reports as 0 (procfs) read in full, zero-byte
// writes reported, and a descriptor closed exactly once whatever fails.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getFsBackend, setFsBackend, readFile, ReadHandle, SyncQueue, WriteHandle, type FsBackend } from '../../src/io/fs.js';
import { IoError } from '../../src/errors.js';
import { MemFs } from './mem-fs.js';
import { FaultyFs } from './fault-fs.js';

const root = mkdtempSync(join(tmpdir(), 'sera-fs-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

function withBackend<T>(b: FsBackend, fn: () => T): T {
  const prev = setFsBackend(b);
  try {
    return fn();
  } finally {
    setFsBackend(prev);
  }
}

test('a read past the end is refused before anything is allocated or read', () => {
  const mem = new MemFs();
  mem.set('/f', new Uint8Array(100));
  withBackend(mem, () => {
    const h = new ReadHandle('/f');
    assert.throws(() => h.readAt(90, 2 ** 40), (e: unknown) => e instanceof IoError && e.code === 'ESHORT' && /the file has 100/.test(e.message));
    assert.throws(() => h.readAt(-1, 1), RangeError);
    assert.is(mem.maxRequest, 0, 'the backend never saw the request');
    assert.is(h.readAt(90, 10).length, 10);
    h.close();
  });
});

test('files whose size stat reports as 0 (procfs) are read to the end', () => {
  if (!existsSync('/proc/self/status')) return;
  const text = new TextDecoder().decode(readFile('/proc/self/status'));
  assert.match(text, /^Name:/m);
});

test('a write the system accepts 0 bytes of is an error naming the file', () => {
  const p = join(root, 'zero.bin');
  withBackend(new FaultyFs(getFsBackend(), [{ op: 'write', path: /zero\.bin$/, kind: 'zero' }]), () => {
    const h = new WriteHandle(p);
    assert.throws(() => h.write(new Uint8Array(10)), (e: unknown) => e instanceof IoError && e.code === 'ESHORTWRITE' && e.message.includes(p));
    h.abandon();
  });
});

test('fsync or close failing: the descriptor is closed exactly once', () => {
  for (const op of ['fsync', 'close'] as const) {
    const base = getFsBackend();
    const closes: number[] = [];
    const counting: FsBackend = Object.assign(Object.create(base) as FsBackend, {
      closeSync: (fd: number) => { closes.push(fd); base.closeSync(fd); },
    });
    const p = join(root, `${op}.bin`);
    withBackend(new FaultyFs(counting, [{ op, path: new RegExp(`${op}\\.bin$`), kind: 'EIO' }]), () => {
      const h = new WriteHandle(p);
      h.write(new Uint8Array(4));
      assert.throws(() => h.close(), (e: unknown) => e instanceof IoError && e.code === 'EIO' && e.message.includes(p));
      h.abandon();
    });
    assert.is(closes.length, 1, `${op}: closed ${closes.length} times`);
  }
});

test('a SyncQueue flush or close failing: settle() throws naming the file, the descriptor is closed once', async () => {
  for (const op of ['fsync', 'close'] as const) {
    const base = getFsBackend();
    const closes: number[] = [];
    const counting: FsBackend = Object.assign(Object.create(base) as FsBackend, {
      closeSync: (fd: number) => { closes.push(fd); base.closeSync(fd); },
    });
    const p = join(root, `queued-${op}.bin`);
    const ok = join(root, `queued-${op}-ok.bin`);
    const q = new SyncQueue();
    withBackend(new FaultyFs(counting, [{ op, path: new RegExp(`queued-${op}\\.bin$`), kind: 'EIO' }]), () => {
      for (const path of [ok, p]) {
        const h = new WriteHandle(path);
        h.write(new Uint8Array(4));
        h.close(q); // returns at once: the flush is pending
      }
    });
    assert.is(closes.length, 0, `${op}: nothing is closed before the flushes finish`);
    let err: unknown = null;
    try { await q.settle(); } catch (e) { err = e; }
    assert.ok(err instanceof IoError && err.code === 'EIO' && err.message.includes(p), `${op}: ${String(err)}`);
    assert.is(closes.length, 2, `${op}: closed ${closes.length} times for 2 files`);
    assert.equal([...readFileSync(ok)], [0, 0, 0, 0]);
    await q.settle(); // settled flushes are not reported twice
  }
});

test.run();
