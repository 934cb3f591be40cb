// The trie-based Sardinas–Patterson trace against a direct port of the
// reference's O(V^2) definition (the oracle below), on hand-made and random
// vocabularies.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { sardinasPatterson, spDigest, SP_EPSILON_MESSAGE } from '../../../src/stages/tokenizer/sardinas-patterson.js';
import { buildVocabIndex } from '../../../src/stages/tokenizer/vocab-index.js';

const EMPTY_SHA = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

type OracleResult =
  | { ok: true; trace: [number, string[]][]; digest: string }
  | { ok: false; level: number; failingSet: string[] };

// Byte strings as latin1 JS strings: startsWith/slice/sort then behave like Python bytes.
function oracle(vocab: string[]): OracleResult {
  const trace: [number, string[]][] = [];
  const visited = new Set<string>();
  let current = new Set<string>();
  for (const x of vocab) {
    for (const y of vocab) {
      if (x === y) continue;
      if (x.startsWith(y)) {
        const r = x.slice(y.length);
        if (!r) throw new Error('unreachable');
        current.add(r);
      }
    }
  }
  const canon = (s: Set<string>) => [...s].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  while (current.size > 0) {
    if (current.has('')) return { ok: false, level: trace.length, failingSet: [] };
    const canonical = canon(current);
    trace.push([trace.length + 1, canonical]);
    visited.add(JSON.stringify(canonical));
    const next = new Set<string>();
    for (const word of current) {
      for (const piece of vocab) {
        if (word.startsWith(piece)) {
          const r = word.slice(piece.length);
          if (!r) return { ok: false, level: trace.length, failingSet: canonical };
          next.add(r);
        }
        if (piece.startsWith(word)) {
          const r = piece.slice(word.length);
          if (!r) return { ok: false, level: trace.length, failingSet: canonical };
          next.add(r);
        }
      }
    }
    const snapshot = canon(next);
    if (snapshot.length === 0 || visited.has(JSON.stringify(snapshot))) break;
    current = next;
  }
  const payload: number[] = [];
  for (const [level, rems] of trace) {
    payload.push(level >> 8, level & 255);
    for (const r of rems) {
      payload.push(r.length >> 8, r.length & 255);
      for (let i = 0; i < r.length; i++) payload.push(r.charCodeAt(i));
    }
  }
  return { ok: true, trace, digest: createHash('sha256').update(Uint8Array.from(payload)).digest('hex') };
}

const bytesOf = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const strOf = (b: Uint8Array) => String.fromCharCode(...b);

function check(vocab: string[]): void {
  const expected = oracle(vocab);
  const got = sardinasPatterson(buildVocabIndex(vocab.map(bytesOf)));
  const label = JSON.stringify(vocab);
  if (expected.ok) {
    assert.is(got.status, 'ok', `status for ${label}`);
    if (got.status !== 'ok') return;
    assert.equal(got.levels.map((l) => [l.level, l.remainders.map(strOf)]), expected.trace, `trace for ${label}`);
    assert.is(got.digest, expected.digest, `digest for ${label}`);
  } else {
    assert.is(got.status, 'ambiguous', `status for ${label}`);
    if (got.status !== 'ambiguous') return;
    assert.is(got.level, expected.level, `failing level for ${label}`);
    // The witness: the smallest member of the failing level that is a piece.
    const pieces = new Set(vocab);
    const witnesses = expected.failingSet.filter((w) => pieces.has(w));
    assert.is(strOf(got.witness), witnesses[0], `witness for ${label}`);
    assert.is(got.levelSizes.length, expected.level);
  }
}

test('prefix-free vocabularies have an empty trace', () => {
  const r = sardinasPatterson(buildVocabIndex(['a', 'ba', 'bb', 'c'].map(bytesOf)));
  assert.equal(r, { status: 'ok', levels: [], digest: EMPTY_SHA });
  assert.is(spDigest([]), EMPTY_SHA);
});

test('a byte-level vocabulary fails at level 1 with a single-byte witness', () => {
  const r = sardinasPatterson(buildVocabIndex(['a', 'b', 'ab'].map(bytesOf)));
  assert.is(r.status, 'ambiguous');
  if (r.status === 'ambiguous') {
    assert.is(r.level, 1);
    assert.is(strOf(r.witness), 'b');
  }
  check(['a', 'b', 'ab']);
});

test('a suffix code (not prefix-free) passes with a non-empty trace', () => {
  // {a, ab, bb}: uniquely decodable (a suffix code), trace never meets the vocabulary.
  const r = sardinasPatterson(buildVocabIndex(['a', 'ab', 'bb'].map(bytesOf)));
  assert.is(r.status, 'ok');
  if (r.status === 'ok') assert.ok(r.levels.length > 0);
  check(['a', 'ab', 'bb']);
  check(['0', '01', '11']);
  check(['a', 'ab', 'abb', 'bbb']);
});

test('duplicates, the empty piece and long repeats', () => {
  check(['a', 'a', 'ab']);
  check(['ab', 'ab', 'cd']);
  check(['', 'a']);
  check(['']);
  check(['', '']);
  check(['aaab', 'aa', 'ab', 'b']);
  check(['\x00', '\x00\xff', '\xff\xff', '\xff']);
});

test('the epsilon message is the reference text with an en dash', () => {
  assert.is(SP_EPSILON_MESSAGE, 'Vocabulary fails Sardinas\u2013Patterson (epsilon witness)');
});

test('random small vocabularies agree with the O(V^2) oracle', () => {
  let seed = 0x12345678;
  const rnd = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  let ok = 0;
  let ambiguous = 0;
  for (let iter = 0; iter < 3000; iter++) {
    const alphabet = 2 + rnd(3);
    const size = 1 + rnd(9);
    const maxLen = 1 + rnd(5);
    const vocab: string[] = [];
    for (let i = 0; i < size; i++) {
      const len = rnd(maxLen + 1) === 0 && rnd(20) === 0 ? 0 : 1 + rnd(maxLen);
      let s = '';
      for (let j = 0; j < len; j++) s += String.fromCharCode([0x61, 0x62, 0x63, 0x00, 0xff][rnd(alphabet)]!);
      vocab.push(s);
    }
    check(vocab);
    if (oracle(vocab).ok) ok++;
    else ambiguous++;
  }
  // Both outcomes must be exercised, including multi-level traces.
  assert.ok(ok > 300 && ambiguous > 300, `ok=${ok} ambiguous=${ambiguous}`);
});

test('random suffix-closed-ish vocabularies give multi-level traces that agree', () => {
  let seed = 99;
  const rnd = (n: number) => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    return (seed >>> 8) % n;
  };
  let multi = 0;
  for (let iter = 0; iter < 2000; iter++) {
    // Suffix codes are uniquely decodable: build one by reversing a random prefix code.
    const words = new Set<string>();
    const target = 2 + rnd(8);
    for (let tries = 0; tries < 200 && words.size < target; tries++) {
      let s = '';
      const len = 1 + rnd(5);
      for (let j = 0; j < len; j++) s += 'ab'[rnd(2)];
      const clash = [...words].some((w) => w.endsWith(s) || s.endsWith(w));
      if (!clash) words.add(s);
    }
    const vocab = [...words];
    check(vocab);
    const o = oracle(vocab);
    assert.ok(o.ok, 'suffix codes pass');
    if (o.ok && o.trace.length > 1) multi++;
  }
  assert.ok(multi > 50, `multi-level traces: ${multi}`);
});

test.run();
