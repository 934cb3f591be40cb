import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { records, same, hex } from './libm-fixtures.js';
import { fma, fmaExact, fmaSlow } from '../../src/numeric/libm/fma.js';

// Golden vectors from C fma() (glibc 2.36): records (a, b, c, fma(a, b, c)),
// written by scripts/gen-libm-vectors.py. The fixture stays in the source tree.

function check(name: string, f: (a: number, b: number, c: number) => number, filter: (a: number, b: number, c: number) => boolean) {
  const r = records('libm-fma.bin.gz');
  let n = 0;
  const bad: string[] = [];
  for (let i = 0; i < r.length; i += 4) {
    const a = r[i]!, b = r[i + 1]!, c = r[i + 2]!, want = r[i + 3]!;
    if (!filter(a, b, c)) continue;
    n++;
    const got = f(a, b, c);
    if (!same(got, want)) bad.push(`${name}(${a}, ${b}, ${c}) = ${got} [${hex(got)}], C says ${want} [${hex(want)}]`);
  }
  assert.ok(n > 10000, `${name}: only ${n} vectors`);
  assert.is(bad.length, 0, `${bad.length} of ${n} differ from C fma:\n${bad.slice(0, 8).join('\n')}`);
}

const finiteNonzero = (...xs: number[]) => xs.every((x) => Number.isFinite(x) && x !== 0);

test('fma matches C fma() on every golden vector (random, cancellation, ties, extremes)', () => {
  check('fma', fma, () => true);
});

test('the exact BigInt path alone matches C fma() on every finite nonzero vector', () => {
  check('fmaExact', fmaExact, finiteNonzero);
  check('fmaSlow', fmaSlow, () => true);
});

test('fma rounds once where a*b then +c rounds twice', () => {
  // (1 + 2^-52)(1 - 2^-52) = 1 - 2^-104: the sum sits just below a midpoint.
  assert.is(fma(1 + 2 ** -52, 1 - 2 ** -52, 2 ** 53 + 2), 2 ** 53 + 2);
  assert.is((1 + 2 ** -52) * (1 - 2 ** -52) + (2 ** 53 + 2), 2 ** 53 + 4);
  assert.is(fma(0.1, 10, -1), 5.551115123125783e-17);
  assert.is(0.1 * 10 - 1, 0);
  const x = 1 + 2 ** -30;
  assert.is(fma(x, x, -(x * x)), 2 ** -60);
});

test('fma edge cases: signed zeros, overflow, underflow, non-finite', () => {
  assert.ok(Object.is(fma(-(2 ** -600), 2 ** -600, 0), -0), 'exact result -2^-1200 rounds to -0');
  assert.ok(Object.is(fma(2 ** -600, 2 ** -600, -0), 0));
  assert.ok(Object.is(fma(3, 5, -15), 0), 'exact zero sum is +0');
  assert.ok(Object.is(fma(-0, 5, -0), -0));
  assert.ok(Object.is(fma(0, 5, -0), 0));
  assert.is(fma(2 ** 1023, 2, -(2 ** 1023)), 2 ** 1023, 'no intermediate overflow');
  assert.is(fma(2 ** 1023, 2, 0), Infinity);
  assert.is(fma(1e308, 10, -Infinity), -Infinity);
  assert.ok(Number.isNaN(fma(Infinity, 0, 1)));
  assert.ok(Number.isNaN(fma(Infinity, 1, -Infinity)));
  assert.ok(Number.isNaN(fma(NaN, 1, 1)));
  assert.is(fma(2 ** -1074, 0.5, 0), 0, 'ties to even at the bottom of the subnormals');
  assert.is(fma(2 ** -1074, 1.5, 0), 2 ** -1073);
  assert.is(fma(2 ** -537, 2 ** -537, 2 ** -1074), 2 ** -1073);
});

test.run();
