import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { byteLevelByte, byteLevelChar, decodeByteLevel, encodeUtf8Strict } from '../../../src/stages/tokenizer/byte-level.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

test('known answers from the Hugging Face byte-level alphabet', () => {
  assert.is(hex(decodeByteLevel('Ġa')), '2061');
  assert.is(hex(decodeByteLevel('Ċ')), '0a');
  assert.is(hex(decodeByteLevel('é')), 'e9'); // U+00E9 is in the alphabet: one byte
  assert.is(hex(decodeByteLevel('€')), 'e282ac'); // not in the alphabet: its UTF-8
  assert.is(hex(decodeByteLevel('Ā')), '00'); // U+0100 is byte 0
  assert.is(hex(decodeByteLevel('Ń')), 'ad'); // U+0143, the 68th remapped byte, is 173
  assert.is(hex(decodeByteLevel('ĠtheĊ')), '207468650a');
  assert.is(hex(decodeByteLevel('😀')), 'f09f9880'); // astral: one code point, 4 UTF-8 bytes
  assert.is(hex(decodeByteLevel('')), '');
});

test('the alphabet is a bijection onto 0..255', () => {
  const seen = new Set<number>();
  for (let b = 0; b < 256; b++) {
    const ch = byteLevelChar(b);
    assert.is([...ch].length, 1);
    assert.is(byteLevelByte(ch.codePointAt(0)!), b);
    seen.add(ch.codePointAt(0)!);
  }
  assert.is(seen.size, 256);
  // Printable Latin-1 maps to itself; the 68 others to U+0100..U+0143.
  assert.is(byteLevelChar(0x41), 'A');
  assert.is(byteLevelChar(0x20), 'Ġ');
  assert.is(byteLevelByte(0x144), -1);
  assert.is(byteLevelByte(0x20), -1);
});

test('lone surrogates fail like Python str.encode', () => {
  assert.throws(() => decodeByteLevel('a\ud800'), /can't encode character '\\ud800' in position 0: surrogates not allowed/);
  assert.throws(() => encodeUtf8Strict('ab\udc00'), /in position 2: surrogates not allowed/);
  assert.is(hex(encodeUtf8Strict('é€')), 'c3a9e282ac');
  assert.is(hex(encodeUtf8Strict('\ud83d\ude00')), 'f09f9880'); // a valid pair is one code point
});

test.run();
