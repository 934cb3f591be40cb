import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadValidate, validateLayoutSync, type LayoutEntry, type LayoutFailure } from '../../src/kernels/validate.js';
import { CHUNK_BYTES } from '../../src/kernels/wasm.js';

test.before(async () => { await loadValidate(); });

const U64_MAX = (1n << 64n) - 1n;
const e = (elemSize: number, shape: (number | bigint)[], begin: number | bigint, end: number | bigint): LayoutEntry =>
  ({ elemSize, shape, begin: BigInt(begin), end: BigInt(end) });

/** A BigInt model of the same rules, for cross-checking. */
function model(entries: LayoutEntry[], dataLen: bigint): LayoutFailure | null {
  let cursor = 0n;
  for (let i = 0; i < entries.length; i++) {
    const t = entries[i]!;
    if (t.begin > cursor) return { code: 'hole', index: i, expected: cursor, found: t.begin };
    if (t.begin < cursor) return { code: 'overlap', index: i, expected: cursor, found: t.begin };
    if (t.end < t.begin) return { code: 'end-before-begin', index: i, expected: t.begin, found: t.end };
    let n = 1n;
    let over = false;
    for (const d of t.shape) { if (!over) { n *= BigInt(d); if (n > U64_MAX) over = true; } }
    if (over) return { code: 'overflow', index: i, expected: 0n, found: 0n };
    const bytes = n * BigInt(t.elemSize);
    if (bytes > U64_MAX) return { code: 'overflow', index: i, expected: n, found: BigInt(t.elemSize) };
    if (t.end - t.begin !== bytes) return { code: 'size-mismatch', index: i, expected: bytes, found: t.end - t.begin };
    if (t.end > dataLen) return { code: 'past-end', index: i, expected: dataLen, found: t.end };
    cursor = t.end;
  }
  if (cursor !== dataLen) return { code: 'trailing', index: entries.length, expected: cursor, found: dataLen };
  return null;
}

test('valid layouts', () => {
  assert.is(validateLayoutSync([], 0), null);
  assert.is(validateLayoutSync([e(4, [2, 3], 0, 24), e(2, [], 24, 26), e(8, [0], 26, 26), e(1, [5], 26, 31)], 31), null);
  assert.is(validateLayoutSync([e(1, [0], 0, 0), e(1, [0], 0, 0)], 0n), null);
});

test('each failure code with its numbers', () => {
  assert.equal(validateLayoutSync([], 3), { code: 'trailing', index: 0, expected: 0n, found: 3n });
  assert.equal(validateLayoutSync([e(4, [1], 0, 4), e(4, [1], 8, 12)], 12), { code: 'hole', index: 1, expected: 4n, found: 8n });
  assert.equal(validateLayoutSync([e(4, [2], 0, 8), e(4, [2], 4, 12)], 12), { code: 'overlap', index: 1, expected: 8n, found: 4n });
  assert.equal(validateLayoutSync([e(1, [0], 4, 0)], 4), { code: 'hole', index: 0, expected: 0n, found: 4n });
  assert.equal(validateLayoutSync([e(1, [1], 0, 1), e(1, [0], 1, 0)], 1), { code: 'end-before-begin', index: 1, expected: 1n, found: 0n });
  assert.equal(validateLayoutSync([e(4, [2, 2], 0, 12)], 12), { code: 'size-mismatch', index: 0, expected: 16n, found: 12n });
  assert.equal(validateLayoutSync([e(4, [4], 0, 16)], 12), { code: 'past-end', index: 0, expected: 12n, found: 16n });
  assert.equal(validateLayoutSync([e(4, [1], 0, 4)], 9), { code: 'trailing', index: 1, expected: 4n, found: 9n });
  assert.equal(validateLayoutSync([e(4, [2n ** 32n, 2n ** 32n], 0, 4)], 4)!.code, 'overflow');
  assert.equal(validateLayoutSync([e(8, [2n ** 61n], 0, 8)], 8), { code: 'overflow', index: 0, expected: 2n ** 61n, found: 8n });
  // Exactly at the u64 limit is not an overflow: 2^63 · 2 = 2^64 is, (2^64 - 1) · 1 is not.
  assert.equal(validateLayoutSync([e(1, [U64_MAX], 0, U64_MAX)], 8)!.code, 'past-end');
  assert.equal(validateLayoutSync([e(2, [2n ** 63n], 0, 8)], 8)!.code, 'overflow');
  assert.throws(() => validateLayoutSync([e(1, [-1], 0, 0)], 0), /outside u64/);
});

test('agrees with a BigInt model on random layouts', () => {
  let s = 7;
  const rnd = (n: number) => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s % n; };
  const seen = new Set<string>();
  for (let iter = 0; iter < 3000; iter++) {
    const n = rnd(6);
    const entries: LayoutEntry[] = [];
    let off = 0n;
    for (let i = 0; i < n; i++) {
      const size = [1, 2, 4, 8][rnd(4)]!;
      const shape = Array.from({ length: rnd(4) }, () => (rnd(5) === 0 ? 2n ** BigInt(20 + rnd(44)) : BigInt(rnd(5))));
      const count = shape.reduce((a, b) => a * b, 1n);
      let begin = off;
      let end = off + count * BigInt(size);
      if (rnd(8) === 0) begin += BigInt(rnd(3)) - 1n;
      if (rnd(8) === 0) end += BigInt(rnd(3)) - 1n;
      if (begin < 0n) begin = 0n;
      if (end < 0n) end = 0n;
      if (end > U64_MAX) end = U64_MAX;
      if (begin > U64_MAX) begin = U64_MAX;
      entries.push({ elemSize: size, shape, begin, end });
      off = end;
    }
    const dataLen = off > 2n ** 40n ? 1000n : off + (rnd(6) === 0 ? BigInt(rnd(3)) : 0n);
    const want = model(entries, dataLen);
    const got = validateLayoutSync(entries, dataLen);
    assert.equal(got, want, `layout ${iter}`);
    seen.add(got?.code ?? 'ok');
  }
  // The generator must actually reach the interesting codes.
  for (const c of ['ok', 'hole', 'overlap', 'size-mismatch', 'past-end', 'trailing', 'overflow']) assert.ok(seen.has(c), `reached ${c}`);
});

test('long tables stream through scratch in chunks with global indices', () => {
  const perEntry = (4 + 1) * 8;
  const n = Math.ceil((2.5 * CHUNK_BYTES) / perEntry);
  const entries: LayoutEntry[] = [];
  for (let i = 0; i < n; i++) entries.push(e(2, [3], i * 6, i * 6 + 6));
  assert.is(validateLayoutSync(entries, n * 6), null);
  // A fault in the third chunk is reported with its index in the whole table.
  const bad = n - 5;
  entries[bad] = e(2, [3], bad * 6, bad * 6 + 4);
  assert.equal(validateLayoutSync(entries, n * 6), { code: 'size-mismatch', index: bad, expected: 6n, found: 4n });
  entries[bad] = e(2, [3], bad * 6, bad * 6 + 6);
  assert.equal(validateLayoutSync(entries, n * 6 + 1), { code: 'trailing', index: n, expected: BigInt(n * 6), found: BigInt(n * 6 + 1) });
});

test.run();
