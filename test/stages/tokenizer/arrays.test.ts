// The stage's checks, the FST numbering quirk, the T_k formula and the
// Sardinas–Patterson fallback (corpus case tokenizer_ambiguous_fallback).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { corpusDir } from '../../helpers/corpus.js';
import { TokenizerError } from '../../../src/errors.js';
import { dictOf, type PyDict } from '../../../src/format/pyvalue.js';
import { first64 } from '../../../src/format/hash.js';
import { mix64 } from '../../../src/numeric/splitmix64.js';
import { loadMph } from '../../../src/kernels/mph.js';
import { loadTokenizerAssets, type TokenizerAssets } from '../../../src/stages/tokenizer/assets.js';
import { tokenizerArrays, runTokenizerStage } from '../../../src/stages/tokenizer/arrays.js';
import { SP_EPSILON_MESSAGE } from '../../../src/stages/tokenizer/sardinas-patterson.js';

const enc = (s: string) => new TextEncoder().encode(s);

function assets(pieces: string[], ids = pieces.map((_, i) => i)): TokenizerAssets {
  return {
    kind: 'TEST',
    pieces: pieces.map(enc),
    textPieces: pieces,
    ids,
    config: dictOf([['type', 'TEST'], ['vocab_size', BigInt(pieces.length)]]),
    provenance: { path: '/t/tokenizer.json', sha256: '00', format: 'tokenizer.json' },
  };
}

const REFERENCE_KEYS = ['kind', 'pieces', 'text_pieces', 'max_piece_length', 'seed', 'salts', 'vocab_digest', 'mph', 'provenance', 'config', 'sardinas_patterson'];

test.before(async () => {
  await loadMph();
});

test('size check: V = vocab_size or len(pieces)', () => {
  const a = assets(['a', 'b', 'c']);
  assert.throws(
    () => tokenizerArrays(a, { vocabSize: 5 }),
    (e: unknown) => e instanceof TokenizerError && (e as Error).message === 'Tokenizer vocabulary size mismatch: config expects 5, but tokenizer provides 3 entries',
  );
  assert.throws(() => tokenizerArrays(a, { vocabSize: -1n }), /config expects -1, but tokenizer provides 3 entries/);
  for (const v of [0, 0n, null, undefined, 3, 3n]) assert.is(tokenizerArrays(a, { vocabSize: v }).pieces.length, 3);
});

test('empty vocabularies and ids outside u32 fail like the reference', () => {
  assert.throws(() => tokenizerArrays(assets([])), /^Tokenizer assets are empty$/);
  assert.throws(() => tokenizerArrays(assets(['n', 'a'], [-3, 0])), (e: unknown) => e instanceof TokenizerError && /argument out of range/.test((e as Error).message));
});

test('FST text: exact lines and the state-numbering quirk', () => {
  // "ab" creates a (state 1) and b (final: no state); "abc" later passes
  // through b, which only then gets state 2. "a" ends at a state-1 node: dst 0.
  const r = tokenizerArrays(assets(['ab', 'a', 'abc', 'd']));
  const text = new TextDecoder().decode(r.arrays[0]!.data);
  assert.is(r.arrays[0]!.name, 'tokenizer_fst');
  assert.is(
    text,
    ['% byte level fst derived from tokenizer', 'start 0', 'end 0', '0 1 97 0', '1 0 98 0', '0 0 97 1', '0 1 97 0', '1 2 98 0', '2 0 99 2', '0 0 100 3'].join('\n'),
  );
});

test('T_k, seeds and MPH entries follow the formulas (n = max(4, longest piece))', () => {
  const r = tokenizerArrays(assets(['x', 'yz', 'hello!']));
  assert.is(r.maxPieceLength, 6);
  assert.is(r.tableCount, 6);
  assert.equal(r.arrays.map((a) => a.name), ['tokenizer_fst', 'T_1', 'T_2', 'T_3', 'T_4', 'T_5', 'T_6']);
  const tables = (r.metadata.get('salts') as PyDict).get('tables') as PyDict;
  assert.equal([...tables.keys()], ['1', '2', '3', '4', '5', '6']);
  for (let k = 1; k <= 6; k++) {
    const seed = mix64(r.globalSeed, BigInt(k));
    assert.is(tables.get(String(k)), seed);
    const view = new DataView(r.arrays[k]!.data.buffer, r.arrays[k]!.data.byteOffset, 2048);
    const factor = 257n ** BigInt(k - 1) % 2n ** 64n;
    for (const b of [0, 1, 97, 255]) assert.is(view.getBigUint64(b * 8, true), (factor * BigInt(b) + seed) % 2n ** 64n);
  }
  const mph = r.metadata.get('mph') as PyDict;
  assert.equal([...mph.keys()], ['1', '2', '3', '4', '5', '6']);
  assert.equal([...(mph.get('3') as PyDict)], [['table_size', 0n], ['seeds', []], ['key_hashes', []]]);
  const six = mph.get('6') as PyDict;
  assert.equal(six.get('key_hashes'), [first64(enc('hello!'))]);
  assert.equal(six.get('table_size'), 2n); // ceil(1.23 * 1)
  assert.equal([...r.metadata.keys()], REFERENCE_KEYS);
  assert.is(r.metadata.get('seed'), r.globalSeed);
});

test('corpus tokenizer_ambiguous_fallback: warn, wrapper mode, no FST, everything else kept', async () => {
  const dir = join(corpusDir(), 'cases', 'tokenizer_ambiguous_fallback', 'input');
  const a = loadTokenizerAssets([dir])!;
  const r = await runTokenizerStage(a, { vocabSize: a.pieces.length });
  assert.not.ok(r.supported);
  assert.ok(!r.arrays.some((x) => x.name === 'tokenizer_fst'));
  assert.equal(r.arrays.map((x) => x.name), Array.from({ length: r.tableCount }, (_, i) => `T_${i + 1}`));
  assert.is(r.warnings.length, 1);
  assert.ok(r.warnings[0]!.startsWith(SP_EPSILON_MESSAGE));
  assert.equal([...r.metadata.keys()], [...REFERENCE_KEYS, 'mode']);
  assert.is(r.metadata.get('mode'), 'wrapper');
  const sp = r.metadata.get('sardinas_patterson') as PyDict;
  assert.equal([...sp.keys()], ['status', 'digest', 'levels', 'witness']);
  assert.is(sp.get('status'), 'ambiguous');
  assert.equal(sp.get('levels'), []);
  const witness = sp.get('witness') as PyDict;
  const id = Number(witness.get('token_id'));
  const remainder = witness.get('remainder') as Uint8Array;
  // The witness is a piece that is also a dangling suffix: x = y ‖ w for pieces x, y.
  assert.equal([...a.pieces[id]!], [...remainder]);
  assert.is(witness.get('level'), 1n);
  const key = (p: Uint8Array) => Buffer.from(p).toString('latin1');
  const all = new Set(a.pieces.map(key));
  const w = key(remainder);
  assert.ok(a.pieces.some((x) => {
    const s = key(x);
    return s.length > w.length && s.endsWith(w) && all.has(s.slice(0, s.length - w.length));
  }));
  // A byte-level BPE has every single byte: the smallest witness is a 1-byte piece.
  assert.is(remainder.length, 1);
});

test('the wrapper warning shows the witness as Python repr(bytes) (double quotes around a quote)', () => {
  // "a'" = "a" ‖ "'": the dangling suffix "'" is token 0 itself.
  const r = tokenizerArrays(assets(["'", 'a', "a'"]));
  assert.not.ok(r.supported);
  assert.match(r.warnings[0]!, `the dangling suffix b"'" is token 0 itself`);
});

test('strict mode keeps the reference abort (en dash message)', () => {
  const dir = join(corpusDir(), 'cases', 'tokenizer_ambiguous_fallback', 'input');
  const a = loadTokenizerAssets([dir])!;
  assert.throws(
    () => tokenizerArrays(a, { strict: true }),
    (e: unknown) => e instanceof TokenizerError && (e as Error).message === 'Vocabulary fails Sardinas\u2013Patterson (epsilon witness)',
  );
  // Strict mode still checks the size first, like the reference.
  assert.throws(() => tokenizerArrays(a, { strict: true, vocabSize: 7 }), /size mismatch/);
});

test('duplicates and the empty piece', () => {
  // Duplicates are skipped by the reference's x == y test; FST and MPH still see every piece.
  const r = tokenizerArrays(assets(['a', 'a', 'b']));
  assert.ok(r.supported);
  const text = new TextDecoder().decode(r.arrays[0]!.data);
  assert.ok(text.endsWith('end 0\n0 0 97 0\n0 0 97 1\n0 0 98 2'));
  // The reference's slot order for the duplicated key (its output for this vocabulary).
  assert.equal(((r.metadata.get('mph') as PyDict).get('1') as PyDict).get('key_hashes'), [14608863320967583690n, 5357375904281011006n, 14608863320967583690n]);
  // The empty piece is a prefix of everything: every other piece becomes a dangling suffix.
  assert.not.ok(tokenizerArrays(assets(['', 'a'])).supported);
  const only = tokenizerArrays(assets(['']));
  assert.ok(only.supported);
  assert.is(new TextDecoder().decode(only.arrays[0]!.data), '% byte level fst derived from tokenizer\nstart 0\nend 0');
  assert.is(only.maxPieceLength, 0);
  assert.is(only.tableCount, 4);
});

test.run();
