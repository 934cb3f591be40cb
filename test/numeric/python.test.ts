import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { roundHalfEven, psum, pyMax, pyMin, floatRepr, compareCodePoints, sortCodePoints, sign, clampInt } from '../../src/numeric/python.js';

test('roundHalfEven rounds ties to even', () => {
  assert.equal([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 0.49999999999999994, 3.7, -3.7].map(roundHalfEven),
    [0, 2, 2, 0, -2, -2, 0, 4, -4]);
  assert.ok(Object.is(roundHalfEven(-0.3), 0));
  assert.throws(() => roundHalfEven(NaN), /NaN/);
});

test('psum follows CPython 3.12 compensated sum', () => {
  assert.is(psum([0.1, 0.2, 0.3]), 0.6);
  assert.is(psum([1e100, 1.0, -1e100]), 1.0);
  assert.is(psum([]), 0);
  assert.ok(Object.is(psum([-0.0]), 0));
  let naive = 0; for (const x of [0.1, 0.2, 0.3]) naive += x;
  assert.is.not(naive, psum([0.1, 0.2, 0.3]));
});

test('pyMax/pyMin keep Python NaN semantics', () => {
  assert.is(pyMax(0.0, NaN), 0.0);
  assert.ok(Number.isNaN(pyMax(NaN, 1e-8)));
  assert.is(pyMax(1e-6, NaN), 1e-6);
  assert.ok(Object.is(pyMax(0.0, -0.0), 0.0));
  assert.is(pyMin(3, 2), 2);
});

test('floatRepr matches Python repr', () => {
  const cases: [number, string][] = [
    [1, '1.0'], [10000, '10000.0'], [1e15, '1000000000000000.0'], [1e16, '1e+16'], [0.0001, '0.0001'],
    [1e-5, '1e-05'], [2.5e-7, '2.5e-07'], [1.2345678901234568e17, '1.2345678901234568e+17'],
    [-0, '-0.0'], [0.1, '0.1'], [123.456, '123.456'], [1e-8, '1e-08'], [5e-324, '5e-324'],
    [1.7976931348623157e308, '1.7976931348623157e+308'], [0.010574053769446916, '0.010574053769446916'],
    [409.6, '409.6'], [-1.0986122886681098, '-1.0986122886681098'], [1e22, '1e+22'], [123456789012345.6, '123456789012345.6'],
  ];
  for (const [x, s] of cases) assert.is(floatRepr(x), s, String(x));
});

test('floatRepr: the fixed-notation shortcut gives the digits of the exponent form', () => {
  // the shortcut's range against the general path (toExponential digits placed by hand)
  const general = (x: number): string => {
    const e = Math.abs(x).toExponential();
    const at = e.indexOf('e');
    const digits = e.slice(0, at).replace('.', '');
    const decpt = parseInt(e.slice(at + 1), 10) + 1;
    const out = decpt <= 0 ? '0.' + '0'.repeat(-decpt) + digits
      : decpt >= digits.length ? digits + '0'.repeat(decpt - digits.length) + '.0'
        : digits.slice(0, decpt) + '.' + digits.slice(decpt);
    return x < 0 ? '-' + out : out;
  };
  const edges = [1e-4, 1.0000000000000002e-4, 9.999999999999999e-5 * 1.0000000000000002, 1e16 - 2, 9999999999999998, 0.1, 1 / 3, 2 ** 52, 2 ** 53 - 1, 123456789012345.6];
  let seed = 12345;
  const rnd = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
  const samples = [...edges, ...Array.from({ length: 5000 }, () => (rnd() < 0.5 ? -1 : 1) * 10 ** (rnd() * 20.5 - 4.25) * (1 + rnd()))];
  let checked = 0;
  for (const x of samples) {
    const a = Math.abs(x);
    if (!(a >= 1e-4 && a < 1e16)) continue;
    assert.is(floatRepr(x), general(x), String(x));
    checked++;
  }
  assert.ok(checked > 3000);
  assert.is(floatRepr(9.999999999999999e-5), '9.999999999999999e-05', 'just below the range: exponent form');
  assert.is(floatRepr(1e16), '1e+16');
});

test('compareCodePoints orders astral characters above the BMP', () => {
  assert.ok(compareCodePoints('\u{1F600}', '\uFFFF') > 0);
  assert.ok('\u{1F600}' < '\uFFFF');
  assert.ok(compareCodePoints('a', 'ab') < 0);
});

test('sortCodePoints sorts as Python does, with and without surrogates among the strings', () => {
  const units = ['a', 'b', 'z', '\u00e9', '\ud7ff', '\ue000', '\uffff', '\u{1F600}', '\u{10000}'];
  let seed = 7;
  const pick = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return units[seed % units.length]!; };
  for (const astral of [false, true]) {
    const pool = astral ? units : units.filter((u) => u.length === 1);
    for (let round = 0; round < 50; round++) {
      const strings = Array.from({ length: 12 }, () => Array.from({ length: 1 + (round % 3) }, () => {
        let u = pick();
        while (!pool.includes(u)) u = pick();
        return u;
      }).join(''));
      // Python's order is code point order: compare the arrays of code points
      const byCodePoints = [...strings].sort((x, y) => {
        const a = [...x].map((c) => c.codePointAt(0)!);
        const b = [...y].map((c) => c.codePointAt(0)!);
        for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
        return a.length - b.length;
      });
      assert.equal(sortCodePoints([...strings]), byCodePoints);
    }
  }
});

test('sign gives 0.0 for zeros and NaN; clampInt bounds integers', () => {
  assert.equal([2.5, -1e-300, 0.0, -0.0, NaN, Infinity].map(sign), [1, -1, 0, 0, 0, 1]);
  assert.ok(Object.is(sign(-0.0), 0));
  assert.equal([clampInt(40000, -32768, 32767), clampInt(-40000, -32768, 32767), clampInt(5, 1, 32767), clampInt(0, 1, 32767)],
    [32767, -32768, 5, 1]);
});

test.run();
