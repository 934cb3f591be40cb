// Discovery order, deduplication and error collection, and the tokenizer.json
// loader's Python coercions.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import {
  loadTokenizerAssets,
  tokenizerCandidates,
  unableToLoadMessage,
  TokenizerLoadError,
} from '../../../src/stages/tokenizer/assets.js';
import { loadTokenizerJson } from '../../../src/stages/tokenizer/tokenizer-json.js';
import { TokenizerError } from '../../../src/errors.js';
import { dumps } from '../../../src/format/pyjson.js';

const enc = (s: string) => new TextEncoder().encode(s);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function tokJson(vocab: string, extra = '', type = '"BPE"'): string {
  return `{"model": {"type": ${type}, "vocab": ${vocab}}${extra}}`;
}

function load(text: string) {
  return loadTokenizerJson('/x/tokenizer.json', enc(text));
}

let dir = '';
test.before.each(() => {
  dir = realpathSync(mkdtempSync(join(tmpdir(), 'sera-tok-')));
});
test.after.each(() => {
  rmSync(dir, { recursive: true, force: true });
});

test('no tokenizer file anywhere gives null; the reference message is exported', () => {
  assert.is(loadTokenizerAssets([dir, join(dir, 'original')]), null);
  assert.is(unableToLoadMessage([]), 'Unable to load tokenizer assets (no tokenizer assets found)');
});

test('per root: tokenizer.json before tokenizer.model; roots in order; first success wins', () => {
  const a = join(dir, 'a');
  const b = join(dir, 'b');
  mkdirSync(a);
  mkdirSync(b);
  writeFileSync(join(a, 'tokenizer.model'), Uint8Array.from([0xff])); // garbage: fails
  writeFileSync(join(b, 'tokenizer.json'), tokJson('{"x": 0}'));
  writeFileSync(join(b, 'tokenizer.model'), Uint8Array.from([0xff]));
  assert.equal(tokenizerCandidates([a, b]), [join(a, 'tokenizer.model'), join(b, 'tokenizer.json'), join(b, 'tokenizer.model')]);
  const assets = loadTokenizerAssets([a, b])!;
  assert.is(assets.provenance.path, join(b, 'tokenizer.json'));
  assert.is(assets.provenance.format, 'tokenizer.json');
  // Within one root the .json wins even if the .model would load.
  writeFileSync(join(a, 'tokenizer.json'), tokJson('{"y": 0}'));
  assert.is(loadTokenizerAssets([a, b])!.textPieces[0], 'y');
});

test('candidates are resolved and deduplicated (repeated roots, symlinks)', () => {
  writeFileSync(join(dir, 'tokenizer.json'), tokJson('{"x": 0}'));
  symlinkSync(dir, join(dir, 'link'));
  assert.equal(tokenizerCandidates([dir, join(dir, 'link'), join(dir, '.')]), [join(dir, 'tokenizer.json')]);
  assert.is(loadTokenizerAssets([join(dir, 'link')])!.provenance.path, join(dir, 'tokenizer.json'));
});

test('when every candidate fails, the errors are collected as "<path>: <message>"', () => {
  writeFileSync(join(dir, 'tokenizer.json'), '{"model": {"type": "BPE"}}');
  mkdirSync(join(dir, 'sub'));
  writeFileSync(join(dir, 'sub', 'tokenizer.json'), '{"model": ');
  try {
    loadTokenizerAssets([dir, join(dir, 'sub')]);
    assert.unreachable('should throw');
  } catch (err) {
    assert.instance(err, TokenizerLoadError);
    assert.instance(err, TokenizerError);
    const e = err as TokenizerLoadError;
    assert.equal(e.errors, [
      `${join(dir, 'tokenizer.json')}: tokenizer.json missing vocabulary`,
      `${join(dir, 'sub', 'tokenizer.json')}: Expecting value: line 1 column 11 (char 10)`,
    ]);
    assert.is(e.message, `Unable to load tokenizer assets (${e.errors.join(', ')})`);
  }
});

test('a folder named tokenizer.json exists but fails to load', () => {
  mkdirSync(join(dir, 'tokenizer.json'));
  assert.throws(() => loadTokenizerAssets([dir]), (e: Error) => e instanceof TokenizerLoadError && /tokenizer\.json: .*directory/.test(e.message));
});

test('provenance: the resolved path, the file SHA-256 and the format', () => {
  const text = tokJson('{"a": 0, "b": 1}');
  writeFileSync(join(dir, 'tokenizer.json'), text);
  const assets = loadTokenizerAssets([dir])!;
  assert.equal(assets.provenance, {
    path: join(dir, 'tokenizer.json'),
    sha256: createHash('sha256').update(text).digest('hex'),
    format: 'tokenizer.json',
  });
});

test('vocab keeps file order: later duplicate ids overwrite, integer-like keys are not reordered', () => {
  const a = load(tokJson('{"b": 0, "1": 1, "0": 2, "a": 0}'));
  assert.equal(a.textPieces, ['a', '1', '0']);
  assert.equal(a.ids, [0, 1, 2]);
  assert.is(dumps(a.config, { indent: null }), '{"added_tokens": -1, "type": "BPE", "vocab_size": 3}');
  assert.equal([...a.config.keys()], ['type', 'added_tokens', 'vocab_size']);
});

test('int() coercion table', () => {
  const ids = (vocab: string) => load(tokJson(vocab)).textPieces;
  assert.equal(ids('{"a": "0", "b": 1.9, "c": true}'), ['a', 'c']);
  assert.equal(ids('{"z": 0, "d": " 1 ", "e": "\u0662", "f": "3"}'), ['z', 'd', 'e', 'f']);
  assert.throws(() => ids('{"z": 0, "f": "1_0"}'), /contiguous/); // 10, not skipped
  assert.equal(ids('{"z": 0, "g": null, "h": "x", "i": [1], "j": NaN, "k": "1.5", "m": "_1", "n": "1__0", "o": "- 1", "p": "\\u001c1"}'), ['z']);
  assert.equal(ids('{"z": 0, "a": "+1", "b": "\u00a02\u3000", "c": "\uff13"}'), ['z', 'a', 'b', 'c']);
  assert.throws(() => load(tokJson('{"a": Infinity}')), /cannot convert float infinity to integer/);
});

test('added_tokens overwrite ids and are counted; malformed entries are skipped', () => {
  const a = load(tokJson('{"a": 0, "b": 1}', ', "added_tokens": [{"id": 1, "content": "<s>"}, {"id": 2, "content": "</s>"}, {"id": "x", "content": "q"}, {"content": 5, "id": 3}, 7]'));
  assert.equal(a.textPieces, ['a', '<s>', '</s>']);
  assert.is(hex(a.pieces[1]!), hex(enc('<s>')));
  assert.is(a.config.get('added_tokens'), 1n);
});

test('model.type: BPE uses the byte-level decoder, anything else UTF-8', () => {
  const bpe = load(tokJson('{"Ġa": 0, "é": 1}'));
  assert.equal(bpe.pieces.map(hex), ['2061', 'e9']);
  assert.is(bpe.kind, 'BPE');
  const wp = load(tokJson('{"Ġa": 0, "é": 1}', '', '"WordPiece"'));
  assert.equal(wp.pieces.map(hex), ['c4a061', 'c3a9']);
  assert.is(wp.kind, 'WORDPIECE');
  assert.is(load('{"model": {"vocab": {"a": 0}}}').kind, 'UNKNOWN');
  assert.is(load(tokJson('{"a": 0}', '', '""')).kind, 'UNKNOWN');
  assert.is(load(tokJson('{"a": 0}', '', 'null')).kind, 'NONE');
  assert.is(load(tokJson('{"a": 0}', '', '["bpe"]')).kind, "['BPE']");
  assert.is(load(tokJson('{"a": 0}', '', '"bPe"')).kind, 'BPE');
});

test('reference errors: payload, model, vocabulary, empty, contiguity, BOM, invalid UTF-8', () => {
  assert.throws(() => load('[1]'), /^tokenizer\.json payload must be a mapping$/);
  assert.throws(() => load('{"model": 1}'), /tokenizer\.json missing model description/);
  assert.throws(() => load('{"model": {"vocab": []}}'), /tokenizer\.json missing vocabulary/);
  assert.throws(() => load(tokJson('{}')), /tokenizer\.json does not define any tokens/);
  assert.throws(() => load(tokJson('{"a": 0, "b": 2}')), /tokenizer vocabulary ids must be contiguous starting at zero/);
  assert.throws(() => load(tokJson('{"a": 1}')), /contiguous/);
  assert.throws(() => load('\ufeff' + tokJson('{"a": 0}')), /Unexpected UTF-8 BOM/);
  assert.throws(() => load('\ufeff' + tokJson('{"a": 0}')), (e: unknown) => (e as Error).message === 'Unexpected UTF-8 BOM (decode using utf-8-sig): line 1 column 1 (char 0)');
  assert.throws(() => loadTokenizerJson('/x', Uint8Array.from([0x7b, 0xff, 0x7d])), /can't decode/);
});

test('negative ids pass the contiguity check (as in the reference) and sort first', () => {
  const a = load(tokJson('{"a": 0, "n": -3}'));
  assert.equal(a.ids, [-3, 0]);
  assert.equal(a.textPieces, ['n', 'a']);
});

test.run();
