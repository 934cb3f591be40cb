// SentencePiece ModelProto parsing: the corpus model, hand-encoded models with
// every wire type, and the checks sentencepiece's Load() makes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { corpusDir } from '../../helpers/corpus.js';
import { readText } from '../../../src/io/fs.js';
import { parseJson } from '../../../src/format/json-parse.js';
import type { PyDict, PyValue } from '../../../src/format/pyvalue.js';
import { dumps } from '../../../src/format/pyjson.js';
import { loadSentencePieceModel } from '../../../src/stages/tokenizer/sentencepiece.js';
import { loadTokenizerAssets } from '../../../src/stages/tokenizer/assets.js';
import { ProtoReader, WireType } from '../../../src/stages/tokenizer/protobuf.js';

// --- a minimal protobuf encoder for building test models ---
function varint(v: bigint | number): number[] {
  let x = BigInt.asUintN(64, BigInt(v));
  const out: number[] = [];
  do {
    const b = Number(x & 0x7fn);
    x >>= 7n;
    out.push(x ? b | 0x80 : b);
  } while (x);
  return out;
}
const tag = (field: number, wire: number) => varint((field << 3) | wire);
const vField = (field: number, v: bigint | number) => [...tag(field, 0), ...varint(v)];
const bField = (field: number, bytes: number[] | Uint8Array) => [...tag(field, 2), ...varint(bytes.length), ...bytes];
const f32Field = (field: number, x: number) => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setFloat32(0, x, true);
  return [...tag(field, 5), ...b];
};
const f64Field = (field: number) => [...tag(field, 1), 1, 2, 3, 4, 5, 6, 7, 8];
const utf8 = (s: string) => [...new TextEncoder().encode(s)];

/** A SentencePiece message: piece (1), score (2), type (3). */
function piece(s: string, type = 1, extra: number[] = []): number[] {
  return bField(1, [...bField(1, utf8(s)), ...f32Field(2, -1.5), ...(type === 1 ? [] : vField(3, type)), ...extra]);
}
const model = (...parts: number[][]) => Uint8Array.from(parts.flat());
const spm = (bytes: Uint8Array) => loadSentencePieceModel('/m/tokenizer.model', bytes);

test('the corpus tokenizer.model loads like the reference (pieces and metadata)', () => {
  const dir = join(corpusDir(), 'cases', 'tokenizer_sentencepiece');
  const assets = loadTokenizerAssets([join(dir, 'input')])!;
  assert.is(assets.kind, 'SENTENCEPIECE');
  assert.is(assets.provenance.format, 'tokenizer.model');
  assert.equal(assets.textPieces.slice(0, 5), ['<unk>', '<s>', '</s>', '\u2581bah', '\u2581ad']);
  assert.is(Buffer.from(assets.pieces[3]!).toString('hex'), 'e29681626168');
  const state = parseJson(readText(join(dir, 'expected/out/sera_state.json'))) as PyDict;
  const tok = (state.get('metadata') as PyDict).get('tokenizer') as PyDict;
  assert.is(dumps(tok.get('text_pieces')!), dumps(assets.textPieces.map((t, i): PyValue => [t, BigInt(i)])));
  assert.is(dumps(tok.get('config')!), dumps(assets.config));
  assert.equal([...assets.config.keys()], ['type', 'vocab_size']);
  assert.is(assets.pieces.length, 36);
});

test('unknown fields of every wire type are skipped; last piece string wins', () => {
  const m = model(
    f64Field(9),
    piece('<unk>', 2),
    bField(1, [...bField(1, utf8('old')), ...bField(1, utf8('new')), ...f64Field(7), ...tag(8, 3), ...vField(1, 5), ...tag(8, 4)]),
    bField(2, [...vField(3, 1), ...f32Field(50, 1)]), // trainer_spec
    bField(3, bField(1, utf8('identity'))), // normalizer_spec
    vField(20, -1n), // a 10-byte varint
    piece('\u2581x'),
  );
  const a = spm(m);
  assert.equal(a.textPieces, ['<unk>', 'new', '\u2581x']);
  assert.equal(a.ids, [0, 1, 2]);
});

test('sentencepiece Load() checks: unk, empty, duplicates, byte pieces', () => {
  assert.throws(() => spm(model(piece('a'))), /unk is not defined/);
  assert.throws(() => spm(model(piece('<unk>', 2), piece('<u2>', 2), piece('a'))), /unk is already defined/);
  assert.throws(() => spm(model(piece('<unk>', 2), piece(''))), /piece must not be empty/);
  assert.throws(() => spm(model(piece('<unk>', 2), piece('a'), piece('a', 4))), /a is already defined/);
  // Normal and reserved pieces live in separate maps: the same string may appear in both.
  assert.equal(spm(model(piece('<unk>', 2), piece('a'), piece('a', 3))).textPieces, ['<unk>', 'a', 'a']);
  assert.throws(() => spm(model(piece('<unk>', 2), piece('<0x41>', 6), piece('a'))), /byte_fallback/);
  const bytes = Array.from({ length: 256 }, (_, b) => piece(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`, 6));
  const fallback = bField(2, vField(35, 1));
  assert.is(spm(model(fallback, piece('<unk>', 2), ...bytes, piece('a'))).pieces.length, 258);
  assert.throws(() => spm(model(fallback, piece('<unk>', 2), ...bytes.slice(1), piece('a'))), /not 256 byte pieces/);
  assert.throws(() => spm(model(fallback, piece('<unk>', 2), piece('<0x4g>', 6))), /byte piece <0x4g> is invalid/);
  // A unigram model needs at least one normal piece; a BPE model does not.
  assert.throws(() => spm(model(piece('<unk>', 2))), /no pieces are loaded/);
  assert.is(spm(model(bField(2, vField(3, 2)), piece('<unk>', 2))).pieces.length, 1);
});

test('malformed protobuf is a parse error', () => {
  const ok = model(piece('<unk>', 2), piece('a'));
  assert.throws(() => spm(ok.subarray(0, ok.length - 1)), /could not parse ModelProto/);
  assert.throws(() => spm(Uint8Array.from([0x0f])), /could not parse ModelProto.*wire type 7/);
  assert.throws(() => spm(Uint8Array.from([0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])), /varint longer than 10 bytes/);
  assert.throws(() => spm(model(tag(5, 3), vField(1, 1))), /unterminated group/);
  assert.throws(() => spm(model(tag(5, 4))), /unexpected end group/);
  assert.throws(() => spm(model(piece('<unk>', 2), bField(1, bField(1, [0xff])))), /not valid UTF-8/);
});

test('the reader exposes varints as u64 and fixed32 raw bits', () => {
  const r = new ProtoReader(model(vField(1, -1n), f32Field(2, 1)));
  const a = r.next();
  assert.is(a.wire, WireType.Varint);
  assert.is(a.varint, 2n ** 64n - 1n);
  const b = r.next();
  assert.is(b.fixed32, 0x3f800000);
  assert.ok(r.done);
});

test.run();
