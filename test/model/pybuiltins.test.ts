// Python's int()/str()/repr() on JSON values, checked against CPython 3.11
// results (config.json fields and tokenizer.json ids both go through them).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bytesRepr, pyInt, pyRepr, pyStr, PyConversionError } from '../../src/model/pybuiltins.js';
import { parseModelConfig } from '../../src/model/config.js';
import { ConfigError } from '../../src/errors.js';
import { dictOf } from '../../src/format/pyvalue.js';

const pyType = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    if (e instanceof PyConversionError) return `${e.pyType}: ${e.message}`;
    throw e;
  }
  return 'no error';
};

test('int(str): Unicode decimal digits, Python whitespace, single underscores', () => {
  assert.is(pyInt('\u0666\u0664'), 64n); // Arabic-Indic
  assert.is(pyInt('\uff11\uff12'), 12n); // fullwidth
  assert.is(pyInt('\u{1D7D9}'), 1n); // mathematical double-struck one
  assert.is(pyInt(' \u00a0-1_0\u3000'), -10n);
  assert.is(pyInt('+7\n'), 7n);
});

test('int(str) refusals: U+FEFF and \\x1c-\\x1f are not whitespace to int()', () => {
  for (const s of ['\ufeff64', '\x1c64', '64\x1f', '_1', '1__0', '1_', '- 1', '1.5', '', ' ']) {
    assert.match(pyType(() => pyInt(s)), /^ValueError: invalid literal for int\(\) with base 10: /, JSON.stringify(s));
  }
  assert.is(pyType(() => pyInt('\x1c64')), "ValueError: invalid literal for int() with base 10: '\\x1c64'");
});

test('int(str): the 4300-digit limit counts digits only', () => {
  assert.is(pyInt('1'.repeat(4300)), BigInt('1'.repeat(4300)));
  assert.is(pyInt('-' + '1_'.repeat(2150) + '1'), -BigInt('1'.repeat(2151)));
  assert.is(pyType(() => pyInt('0'.repeat(4301))),
    'ValueError: Exceeds the limit (4300 digits) for integer string conversion: value has 4301 digits; use sys.set_int_max_str_digits() to increase the limit');
});

test('int() of other JSON values', () => {
  assert.is(pyInt(true), 1n);
  assert.is(pyInt(-2.9), -2n);
  assert.is(pyType(() => pyInt(NaN)), 'ValueError: cannot convert float NaN to integer');
  assert.is(pyType(() => pyInt(-Infinity)), 'OverflowError: cannot convert float infinity to integer');
  assert.is(pyType(() => pyInt(null)), "TypeError: int() argument must be a string, a bytes-like object or a real number, not 'NoneType'");
  assert.is(pyType(() => pyInt([1])), "TypeError: int() argument must be a string, a bytes-like object or a real number, not 'list'");
});

test('str() and repr(): containers, quotes, lone surrogates', () => {
  assert.is(pyStr('a'), 'a');
  assert.is(pyStr(['a', 1.5, null, dictOf([['k', true]])]), "['a', 1.5, None, {'k': True}]");
  assert.is(pyRepr("it's"), `"it's"`);
  assert.is(pyRepr('a\ud800b'), "'a\\ud800b'");
  assert.is(pyRepr('\u{1F600}'), "'\u{1F600}'"); // a surrogate pair is one printable code point
  assert.is(pyRepr('\x7f\x85'), "'\\x7f\\x85'");
});

test('repr(bytes): quote choice and escapes', () => {
  const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
  assert.is(bytesRepr(new Uint8Array()), "b''");
  assert.is(bytesRepr(enc('aa')), "b'aa'");
  assert.is(bytesRepr(enc("it's")), `b"it's"`);
  assert.is(bytesRepr(enc(`'"`)), `b'\\'"'`);
  assert.is(bytesRepr(enc('"')), `b'"'`);
  assert.is(bytesRepr(Uint8Array.of(0x5c, 0x09, 0x0a, 0x0d, 0x00, 0x1f, 0x20, 0x7e, 0x7f, 0x80, 0xff)),
    "b'\\\\\\t\\n\\r\\x00\\x1f ~\\x7f\\x80\\xff'");
  assert.is(bytesRepr(enc('€')), "b'\\xe2\\x82\\xac'");
});

test('config.json integers follow int(): Arabic-Indic digits accepted, U+FEFF refused', () => {
  const base = (v: string) => dictOf([['hidden_size', v], ['num_attention_heads', 2n]]);
  assert.is(parseModelConfig(base('\u0666\u0664')).dModel, 64);
  assert.throws(() => parseModelConfig(base('\ufeff64')), (e: unknown) => e instanceof ConfigError && /'d_model' must be an integer/.test(e.message));
});

test.run();
