import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Records } from '../../src/stages/collapse.js';
import { checkF32 } from '../../src/stages/types.js';
import { StageError } from '../../src/errors.js';

/** The 16-byte record layout written by hand: u64 key (lo, hi), u32 hidden, f32 value. */
function record(keyHi: number, keyLo: number, h: number, value: number): Uint8Array {
  const b = new Uint8Array(16);
  const v = new DataView(b.buffer);
  v.setUint32(0, keyLo, true);
  v.setUint32(4, keyHi, true);
  v.setUint32(8, h, true);
  v.setFloat32(12, value, true);
  return b;
}

test('records keep insertion order across blocks, appended buffers and appended Records', () => {
  const r = new Records();
  const expected: Uint8Array[] = [];
  const n = Records.BLOCK_RECORDS + 123; // crosses a block boundary
  for (let i = 0; i < n; i++) {
    r.push(1, i, i % 977, i / 7);
    expected.push(record(1, i, i % 977, i / 7));
  }
  const raw = new Uint8Array(32);
  raw.set(record(2, 5, 6, -1.5), 0);
  raw.set(record(2, 7, 8, 2.25), 16);
  r.append(raw);
  raw.fill(0); // the appended bytes were copied, as a kernel's scratch is reused
  expected.push(record(2, 5, 6, -1.5), record(2, 7, 8, 2.25));
  const other = new Records();
  other.push(3, 1, 2, 0.5);
  r.append(other);
  expected.push(record(3, 1, 2, 0.5));
  r.push(4, 0, 0, 1);
  expected.push(record(4, 0, 0, 1));

  assert.is(r.count, expected.length);
  const got = r.bytes();
  assert.is(got.length, expected.length * 16);
  const want = new Uint8Array(expected.length * 16);
  expected.forEach((e, i) => want.set(e, i * 16));
  assert.ok(got.every((x, i) => x === want[i]), 'bytes differ from the hand-written records');
  assert.is(r.bytes(), got, 'joined once and cached');
  r.push(5, 0, 0, 0.25);
  assert.is(r.bytes().length, got.length + 16, 'a push after bytes() is seen');
});

test('a value beyond f32 is refused; an empty buffer and empty appends give no bytes', () => {
  const r = new Records();
  r.append(new Uint8Array(0));
  assert.is(r.bytes().length, 0);
  assert.throws(() => r.push(0, 0, 0, 1e39), /^residual value 1e\+39 does not fit a 32-bit float \(float too large to pack with f format\)$/);
  assert.throws(() => r.append(new Uint8Array(15)), /16 bytes each/);
});

test('streaming mode hands the same bytes to the sink, in order, and keeps none', () => {
  const fill = (r: Records) => {
    for (let i = 0; i < 2 * Records.BLOCK_RECORDS + 5; i++) r.push(i & 3, i, i % 31, i * 0.5);
    const raw = new Uint8Array(48).map((_, i) => i);
    r.append(raw);
    r.push(9, 9, 9, 9);
  };
  const mem = new Records();
  fill(mem);
  const parts: Uint8Array[] = [];
  const streamed = new Records((c) => parts.push(c.slice()));
  fill(streamed);
  streamed.flush();
  assert.ok(streamed.streamed);
  assert.is(streamed.count, mem.count);
  const joined = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { joined.set(p, at); at += p.length; }
  const want = mem.bytes();
  assert.is(joined.length, want.length);
  assert.ok(joined.every((x, i) => x === want[i]), 'streamed bytes differ from the in-memory ones');
  assert.throws(() => streamed.bytes(), /streamed/);
});

test('checkF32 rounds like struct.pack(\'<f\') and refuses only finite values beyond f32', () => {
  assert.is(checkF32(0.1, 'x', 'h'), Math.fround(0.1));
  assert.is(checkF32(3.4028235e38, 'x', 'h'), 3.4028234663852886e38); // rounds down to the largest f32
  assert.is(checkF32(Infinity, 'x', 'h'), Infinity);
  assert.ok(Number.isNaN(checkF32(NaN, 'x', 'h')));
  try {
    checkF32(-1e39, 'bridge input aggregate', 'the hint');
    assert.unreachable();
  } catch (e) {
    assert.instance(e, StageError);
    assert.is((e as StageError).message, 'bridge input aggregate -1e+39 does not fit a 32-bit float (float too large to pack with f format)');
    assert.is((e as StageError).hint, 'the hint');
  }
});

test.run();
