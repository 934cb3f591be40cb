import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { records, same, hex } from './libm-fixtures.js';
import { cos, log, sin } from '../../src/numeric/libm/index.js';
import { fma } from '../../src/numeric/libm/fma.js';
import { LN2HI, LOGC } from '../../src/numeric/libm/log-data.js';
import { SplitMix64 } from '../../src/numeric/splitmix64.js';

// Golden vectors from glibc 2.36's __log_fma/__sin_fma/__cos_fma (what Python's
// math.log/sin/cos call on x86_64 with FMA), written by
// scripts/gen-libm-vectors.py. The fixtures stay in the source tree.

/** Compares f on column 0 against column `col` of every record; asserts no difference. */
function check(name: string, f: (x: number) => number, rec: Float64Array, stride: number, col: number, min: number) {
  const bad: string[] = [];
  for (let i = 0; i < rec.length; i += stride) {
    const x = rec[i]!, want = rec[i + col]!, got = f(x);
    if (!same(got, want)) bad.push(`${name}(${x} [${hex(x)}]) = ${got} [${hex(got)}], glibc ${want} [${hex(want)}]`);
  }
  assert.ok(rec.length / stride >= min, `${name}: only ${rec.length / stride} vectors`);
  assert.is(bad.length, 0, `${bad.length} of ${rec.length / stride} differ from glibc:\n${bad.slice(0, 8).join('\n')}`);
}

test('log matches glibc on every golden vector', () => {
  check('log', log, records('libm-log.bin.gz'), 2, 1, 19000);
});

test('sin and cos match glibc on every golden vector', () => {
  const rec = records('libm-sincos.bin.gz');
  check('sin', sin, rec, 3, 1, 20000);
  check('cos', cos, rec, 3, 2, 20000);
});

test('log special values', () => {
  assert.is(log(0), -Infinity);
  assert.is(log(-0), -Infinity);
  assert.ok(Object.is(log(1), 0));
  assert.is(log(Infinity), Infinity);
  assert.ok(Number.isNaN(log(-1)));
  assert.ok(Number.isNaN(log(-Infinity)));
  assert.ok(Number.isNaN(log(NaN)));
  assert.is(log(5e-324), -744.4400719213812);
  assert.is(log(Math.E), 1);
});

test('sin and cos special values', () => {
  assert.ok(Object.is(sin(-0), -0));
  assert.ok(Object.is(sin(0), 0));
  assert.is(sin(5e-324), 5e-324);
  assert.is(cos(0), 1);
  assert.is(cos(-1e-9), 1);
  for (const x of [Infinity, -Infinity, NaN]) {
    assert.ok(Number.isNaN(sin(x)), `sin(${x})`);
    assert.ok(Number.isNaN(cos(x)), `cos(${x})`);
  }
  assert.is(sin(Math.PI), 1.2246467991473532e-16);
  assert.is(cos(Math.PI), -1);
  assert.is(sin(1e300), -0.8178819121159085); // __branred range
});

test('log: k*ln2hi + logc is exact for every table row and exponent (plain evaluation is safe)', () => {
  // glibc computes it with an fma; log.ts uses the plain sum, which equals it
  // only because the table was built so the sum needs no rounding.
  let bad = 0;
  for (let i = 0; i < 128; i++) {
    for (let k = -1080; k <= 1030; k++) {
      if (k * LN2HI + LOGC[i]! !== fma(k, LN2HI, LOGC[i]!)) bad++;
    }
  }
  assert.is(bad, 0);
});

// ALGORITHMS.md §17 (computed by the reference on Linux, glibc 2.36).
test('spec vectors: SplitMix64 gaussians', () => {
  const [g0, g1] = new SplitMix64(0n).gaussianPair(log, cos, sin);
  assert.is(g0, -0.4527577402174582);
  assert.is(g1, 0.20776603893419202);
  const le = (x: number) => Buffer.from(new Float64Array([x]).buffer).toString('hex');
  assert.is(le(g0), '92abcf99fbf9dcbf');
  assert.is(le(g1), '798d38db1398ca3f');

  const rng = new SplitMix64(1n);
  const v: number[] = [];
  while (v.length < 3) {
    const [a, b] = rng.gaussianPair(log, cos, sin);
    v.push(a);
    if (v.length < 3) v.push(b);
  }
  assert.equal(v, [-0.028249746095854702, -1.0656176484143263, -0.22791952286763514]);
});

test('spec vectors: memory_coeff rows (2 layers, theta 1e4)', () => {
  const theta = 10000.0, rho = 0.995, layers = 2;
  const rows = [0, 1].map((l) => (2 * rho) * cos(((l + 1) / layers) * (1.0 / theta)));
  assert.equal(rows, [1.9899999975125, 1.98999999005]);
});

test.run();
