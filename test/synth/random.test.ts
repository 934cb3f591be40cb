import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fillWords, lowbias32, streamKey, streamWord, Stream } from '../../src/synth/random.js';
import { bf16NormalTable, detLog, invNormal, toBf16Bits } from '../../src/synth/normal.js';
import { makeFiller, SCALE_WEIGHTS } from '../../src/synth/fill.js';

test('lowbias32 is a bijection on a sample and mixes', () => {
  const seen = new Set<number>();
  for (let i = 0; i < 1 << 16; i++) seen.add(lowbias32(i));
  assert.is(seen.size, 1 << 16);
  assert.is.not(lowbias32(0), lowbias32(1));
});

test('fillWords equals streamWord, also across the 2^32 word boundary', () => {
  const key = streamKey(7, 'x');
  for (const first of [0, 12345, 2 ** 32 - 3, 2 ** 33 + 5]) {
    const out = new Uint32Array(8);
    fillWords(key, first, 8, out);
    for (let i = 0; i < 8; i++) assert.is(out[i], streamWord(key, first + i), `word ${first + i}`);
  }
  // words past 2^32 are not a repeat of the first 2^32
  assert.is.not(streamWord(key, 2 ** 32 + 3), streamWord(key, 3));
});

test('stream keys depend on seed and name', () => {
  const a = streamKey(0, 'L0.q'), b = streamKey(1, 'L0.q'), c = streamKey(0, 'L0.k');
  assert.ok(a.hi !== b.hi || a.lo !== b.lo);
  assert.ok(a.hi !== c.hi || a.lo !== c.lo);
  assert.equal(streamKey(0, 'L0.q'), a);
  const s = new Stream(3, 'n');
  const t = new Stream(3, 'n');
  for (let i = 0; i < 10; i++) assert.is(s.next(), t.next());
});

test('detLog matches Math.log to a few ulps', () => {
  for (const x of [1e-300, 1e-10, 0.001, 0.02425, 0.5, 0.7071, 0.9999, 1, 1.5, 2, 1234.5]) {
    const want = Math.log(x);
    const got = detLog(x);
    assert.ok(Math.abs(got - want) <= 4 * Number.EPSILON * Math.max(1, Math.abs(want)), `log(${x}): ${got} vs ${want}`);
  }
});

test('invNormal: known quantiles and symmetry', () => {
  assert.ok(Math.abs(invNormal(0.975) - 1.959963984540054) < 1e-8);
  assert.ok(Math.abs(invNormal(0.5)) < 1e-15);
  assert.ok(Math.abs(invNormal(0.001) + 3.090232306167813) < 1e-8);
  assert.ok(Math.abs(invNormal(1e-9) + 5.997807015007687) < 1e-7);
  for (const p of [0.01, 0.2, 0.4]) assert.ok(Math.abs(invNormal(p) + invNormal(1 - p)) < 1e-9);
});

test('toBf16Bits rounds to nearest even', () => {
  assert.is(toBf16Bits(1), 0x3f80);
  assert.is(toBf16Bits(-2), 0xc000);
  assert.is(toBf16Bits(1 + 2 ** -8), 0x3f80); // tie → even
  assert.is(toBf16Bits(1 + 3 * 2 ** -8), 0x3f82); // tie → even (up)
  assert.is(toBf16Bits(1 + 2 ** -8 + 2 ** -12), 0x3f81);
});

const bf16ToF32 = (b: number) => new Float32Array(new Uint32Array([b << 16]).buffer)[0]!;

test('BF16 normal table: monotone, mean ≈ 0, std ≈ sigma', () => {
  const t = bf16NormalTable(0, 0.02);
  let sum = 0, sq = 0, prev = -Infinity;
  for (let k = 0; k < t.length; k++) {
    const v = bf16ToF32(t[k]!);
    assert.ok(v >= prev);
    prev = v;
    sum += v; sq += v * v;
  }
  const mean = sum / t.length, std = Math.sqrt(sq / t.length - mean * mean);
  assert.ok(Math.abs(mean) < 1e-5, `mean ${mean}`);
  assert.ok(Math.abs(std - 0.02) < 0.0005, `std ${std}`);
});

test('fillers: chunking does not change bytes; slices are offsets into the stream', () => {
  for (const [dtype, spec, size] of [
    ['BF16', { kind: 'normal', key: 'a', mean: 0, sigma: 0.02 }, 2],
    ['F32', { kind: 'normal', key: 'b', mean: 1, sigma: 0.5 }, 4],
    ['U8', { kind: 'uniform-u8', key: 'c' }, 1],
    ['U8', { kind: 'e8m0', key: 'd' }, 1],
  ] as const) {
    const n = 1001;
    const whole = new Uint8Array(n * size);
    makeFiller(dtype, spec, 5)(0, n, whole);
    const parts = new Uint8Array(n * size);
    const f = makeFiller(dtype, spec, 5);
    for (const [a, b] of [[0, 3], [3, 100], [100, 101], [101, 777], [777, 1001]] as const) {
      const buf = new Uint8Array((b - a) * size);
      f(a, b - a, buf);
      parts.set(buf, a * size);
    }
    assert.equal(parts, whole, `${dtype} ${spec.kind} chunked`);
    const slice = new Uint8Array(500 * size);
    makeFiller(dtype, { ...spec, offset: 333 }, 5)(0, 500, slice);
    assert.equal(slice, whole.subarray(333 * size, 833 * size), `${dtype} ${spec.kind} offset`);
    const other = new Uint8Array(n * size);
    makeFiller(dtype, spec, 6)(0, n, other);
    assert.not.equal(other, whole, 'another seed gives other values');
  }
});

test('E8M0 scales stay in 118..124 with the documented weights; MXFP4 codes are near uniform', () => {
  const n = 1 << 18;
  const s = new Uint8Array(n);
  makeFiller('U8', { kind: 'e8m0', key: 's' }, 0)(0, n, s);
  const hist = new Map<number, number>();
  for (const v of s) hist.set(v, (hist.get(v) ?? 0) + 1);
  assert.equal([...hist.keys()].sort((a, b) => a - b), [118, 119, 120, 121, 122, 123, 124]);
  for (const [v, w] of SCALE_WEIGHTS) assert.ok(Math.abs(hist.get(v)! / n - w / 256) < 0.01, `scale ${v}`);
  const b = new Uint8Array(n);
  makeFiller('U8', { kind: 'uniform-u8', key: 'b' }, 0)(0, n, b);
  const codes = new Array(16).fill(0);
  for (const v of b) { codes[v & 15]++; codes[v >> 4]++; }
  for (const c of codes) assert.ok(Math.abs(c / (2 * n) - 1 / 16) < 0.005);
});

test.run();
