import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { dumpTo, dumps, renderAhead, type Rendered } from '../../src/format/pyjson.js';
import { dict, dictOf } from '../../src/format/pyvalue.js';

test('dumps writes Python json.dumps(indent=2, sort_keys=True)', () => {
  const v = dict({ b: [1n, 2.0, 'x'], a: dict({}), c: [], d: null, e: true });
  assert.is(dumps(v), '{\n  "a": {},\n  "b": [\n    1,\n    2.0,\n    "x"\n  ],\n  "c": [],\n  "d": null,\n  "e": true\n}');
});

test('dumps escapes like ensure_ascii and sorts numeric-looking keys as strings', () => {
  const v = dictOf([['10', 1n], ['2', 2n], ['1', 3n]]);
  assert.is(dumps(v, { indent: null }), '{"1": 3, "10": 1, "2": 2}');
  assert.is(dumps('é€\u{1F600}\x7f"\\\n/'), '"\\u00e9\\u20ac\\ud83d\\ude00\\u007f\\"\\\\\\n/"');
  assert.is(dumps([NaN, Infinity, -Infinity, 18446744073709551615n], { indent: null }), '[NaN, Infinity, -Infinity, 18446744073709551615]');
  assert.is(dumps(new Uint8Array([0, 255])), '"__sera_bytes__:00ff"');
});

test('dumps: lists that mix scalars and containers, nested empties, each layout (expected text from CPython 3.12)', () => {
  const v = dict({ b: [1.5, 2n, 'x"y', null, true, dict({ z: [], a: dict({}) })], a: dict({}), c: [[1n], []] });
  assert.is(dumps(v), '{\n  "a": {},\n  "b": [\n    1.5,\n    2,\n    "x\\"y",\n    null,\n    true,\n    {\n      "a": {},\n      "z": []\n    }\n  ],\n  "c": [\n    [\n      1\n    ],\n    []\n  ]\n}');
  assert.is(dumps(v, { indent: null }), '{"a": {}, "b": [1.5, 2, "x\\"y", null, true, {"a": {}, "z": []}], "c": [[1], []]}');
  assert.is(dumps(v, { indent: 0 }), '{\n"a": {},\n"b": [\n1.5,\n2,\n"x\\"y",\nnull,\ntrue,\n{\n"a": {},\n"z": []\n}\n],\n"c": [\n[\n1\n],\n[]\n]\n}');
});

test('renderAhead: parts rendered ahead are written as they are, at their level only; the text equals a plain dump', () => {
  const inner = dict({ k: [1n, 2.5, 'x'], e: [] });
  const doc = dict({ a: dict({ inner, n: null }), b: [inner] });
  const rendered: Rendered = new Map();
  renderAhead(rendered, inner, 2); // doc.a.inner sits at level 2; doc.b[0] also does
  const full = (r?: Rendered) => { const parts: string[] = []; dumpTo(doc, (c) => parts.push(c), r ? { rendered: r } : {}); return parts.join(''); };
  assert.is(full(rendered), dumps(doc));
  // the rendered text is what is written: a marker proves it was used, at level 2 only
  const marked: Rendered = new Map([[inner, { level: 2, text: '"MARK"' }]]);
  assert.is(full(marked), dumps(doc).split(dumps(inner, { level: 2 })).join('"MARK"'));
  const wrongLevel: Rendered = new Map([[inner, { level: 3, text: '"MARK"' }]]);
  assert.is(full(wrongLevel), dumps(doc));
});

test.run();
