import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { byteLevelByte } from '../../src/stages/tokenizer/byte-level.js';
import { byteLevelBpeTokenizer, prefixFreeTokenizer, prefixFreeWords, specialCount, toText } from '../../src/synth/tokenizer.js';
import { Stream } from '../../src/synth/random.js';

/** The ids → byte strings a byte-level BPE tokenizer.json decodes to (ALGORITHMS.md §7.2). */
function pieces(text: string): { ids: Map<number, string>; vocab: number; added: number; merges: unknown[] } {
  const j = JSON.parse(text);
  const ids = new Map<number, string>();
  const dec = (tok: string) => [...tok].map((ch) => String.fromCharCode(byteLevelByte(ch.codePointAt(0)!))).join('');
  // keys whose order JS would change must still be in the text in id order
  const section = text.slice(text.indexOf('"vocab": {'), text.indexOf('"merges": ['));
  const order = [...section.matchAll(/^ {6}"((?:[^"\\]|\\.)*)": (\d+)/gm)].map((m) => Number(m[2]));
  assert.is(order.length, Object.keys(j.model.vocab).length);
  assert.equal(order, order.map((_, i) => i), 'vocab written in id order');
  for (const [tok, id] of Object.entries(j.model.vocab)) ids.set(id as number, dec(tok));
  for (const a of j.added_tokens) ids.set(a.id, a.content);
  return { ids, vocab: Object.keys(j.model.vocab).length, added: j.added_tokens.length, merges: j.model.merges };
}

test('prefix-free words: exact count, distinct, no word a prefix of another', () => {
  for (const n of [1, 2, 3, 26, 27, 63, 511, 5000]) {
    const w = prefixFreeWords(n, new Stream(0, 't'));
    assert.is(w.length, n);
    assert.is(new Set(w).size, n);
    const sorted = [...w].sort();
    for (let i = 1; i < sorted.length; i++) assert.ok(!sorted[i]!.startsWith(sorted[i - 1]!), `${sorted[i - 1]} prefixes ${sorted[i]}`);
  }
});

test('prefix-free tokenizer: V ids contiguous, byte strings prefix-free, <s> last', () => {
  for (const V of [2, 64, 512]) {
    const { ids, vocab, added } = pieces(toText((s) => prefixFreeTokenizer(V, 3, s)));
    assert.is(ids.size, V);
    assert.is(vocab, V - 1);
    assert.is(added, 1);
    assert.is(ids.get(V - 1), '<s>');
    const all = [...ids.values()].sort();
    for (let i = 1; i < all.length; i++) assert.ok(!all[i]!.startsWith(all[i - 1]!), `${all[i - 1]} prefixes ${all[i]}`);
    for (let i = 0; i < V - 1; i++) assert.ok(ids.get(i)!.startsWith(' '));
  }
});

test('byte-level BPE: 256 byte tokens, merges of earlier tokens, specials fill the rest', () => {
  const V = 3000;
  const text = toText((s) => byteLevelBpeTokenizer(V, 1, s));
  const j = JSON.parse(text);
  const { ids, vocab, added } = pieces(text);
  assert.is(ids.size, V);
  assert.is(added, specialCount(V));
  assert.is(vocab + added, V);
  const bytes = new Set([...ids.values()].filter((p) => p.length === 1));
  assert.is(bytes.size, 256);
  const index = new Map(Object.entries(j.model.vocab as Record<string, number>));
  j.model.merges.forEach(([a, b]: [string, string], k: number) => {
    const id = 256 + k;
    assert.ok(index.get(a)! < id && index.get(b)! < id, `merge ${k} uses earlier tokens`);
    assert.is(index.get(a + b), id);
  });
  assert.is(j.added_tokens[0].content, '<|startoftext|>');
  assert.is(j.added_tokens[1].content, '<|endoftext|>');
});

test('o200k size: 199998 base + 1090 specials, named like o200k_harmony, in seconds', () => {
  const t0 = performance.now();
  let text = '';
  byteLevelBpeTokenizer(201088, 0, (c) => { text += c; });
  const ms = performance.now() - t0;
  const j = JSON.parse(text);
  assert.is(Object.keys(j.model.vocab).length, 199998);
  assert.is(j.added_tokens.length, 1090);
  const byId = new Map(j.added_tokens.map((a: any) => [a.id, a.content]));
  assert.is(byId.get(199999), '<|endoftext|>');
  assert.is(byId.get(200002), '<|return|>');
  assert.is(byId.get(200005), '<|channel|>');
  assert.is(byId.get(200012), '<|call|>');
  assert.is(byId.get(201087), '<|reserved_201087|>');
  assert.ok(ms < 10_000, `${ms} ms`);
});

test('deterministic in (vocab, seed)', () => {
  const a = toText((s) => byteLevelBpeTokenizer(1000, 9, s));
  assert.is(toText((s) => byteLevelBpeTokenizer(1000, 9, s)), a);
  assert.is.not(toText((s) => byteLevelBpeTokenizer(1000, 10, s)), a);
  assert.is(toText((s) => prefixFreeTokenizer(100, 9, s)), toText((s) => prefixFreeTokenizer(100, 9, s)));
});

test.run();
