// parseJsonBytes = Python's json.loads(path.read_text()): strict UTF-8 and
// json.loads' refusal of a leading BOM (config.json, tokenizer.json, state files).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { JsonParseError, parseJsonBytes } from '../../src/format/json-parse.js';
import { parseConfigJson } from '../../src/pipeline/discover.js';
import { ConfigError } from '../../src/errors.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

test('a UTF-8 BOM gets json.loads message, at line 1 column 1', () => {
  assert.throws(() => parseJsonBytes(enc('\ufeff{}')),
    (e: unknown) => e instanceof JsonParseError && e.message === 'Unexpected UTF-8 BOM (decode using utf-8-sig): line 1 column 1 (char 0)');
  // a BOM later in the text is an ordinary character
  assert.equal(parseJsonBytes(enc('"\ufeff"')), '\ufeff');
});

test('invalid UTF-8 stays a TypeError (callers word it themselves)', () => {
  assert.throws(() => parseJsonBytes(Uint8Array.of(0x7b, 0xff, 0x7d)), (e: unknown) => e instanceof TypeError);
});

test('config.json with a BOM: the reference json.loads message', () => {
  assert.throws(() => parseConfigJson('/m/config.json', enc('\ufeff{"hidden_size": 8}')),
    (e: unknown) => e instanceof ConfigError && e.message === 'Unexpected UTF-8 BOM (decode using utf-8-sig): line 1 column 1 (char 0)');
});

test.run();
