// Every "identical" corpus case: the tokenizer stage's arrays and metadata must
// equal the reference's output byte for byte.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { corpusCases, type CorpusCase } from '../../helpers/corpus.js';
import { exists, listDir, readFile, readText, realpath } from '../../../src/io/fs.js';
import { parseJson } from '../../../src/format/json-parse.js';
import { dumps } from '../../../src/format/pyjson.js';
import type { PyDict, PyValue } from '../../../src/format/pyvalue.js';
import { loadMph } from '../../../src/kernels/mph.js';
import { loadTokenizerAssets } from '../../../src/stages/tokenizer/assets.js';
import { tokenizerArrays } from '../../../src/stages/tokenizer/arrays.js';

const PAYLOAD_OFFSET = 128;

/** The reference's search roots for a case (convert()'s add_root logic). */
function caseRoots(c: CorpusCase): { input: string; roots: string[] } {
  const input = realpath(join(c.dir, 'input'));
  const roots = [input];
  const at = c.args.indexOf('--original-subdir');
  if (at >= 0) roots.push(join(input, c.args[at + 1]!));
  else if (!exists(join(input, 'config.json')) || !exists(join(input, 'model.safetensors'))) {
    roots.push(join(input, 'original'), join(input, 'original', 'model'));
  }
  return { input, roots };
}

/** int(config.get("vocab_size", 0) or 0) from the first config.json in the roots. */
function caseVocabSize(roots: string[]): bigint {
  for (const r of roots) {
    const p = join(r, 'config.json');
    if (!exists(p)) continue;
    const cfg = parseJson(readText(p)) as PyDict;
    const v = cfg.get('vocab_size');
    return typeof v === 'bigint' ? v : 0n;
  }
  throw new Error('no config.json');
}

function get(v: PyValue | undefined, key: string): PyValue {
  assert.ok(v instanceof Map, `expected a dict holding ${key}`);
  return (v as PyDict).get(key)!;
}

const cases = corpusCases().filter((c) => c.expect === 'identical');

test.before(async () => {
  await loadMph();
});

test('the corpus has identical cases with tokenizers', () => {
  assert.ok(cases.length >= 20, `only ${cases.length} identical cases`);
});

for (const c of cases) {
  test(`corpus ${c.name}: arrays and metadata.tokenizer match the reference`, () => {
    const { input, roots } = caseRoots(c);
    const assets = loadTokenizerAssets(roots);
    assert.ok(assets, 'a tokenizer was found');
    const result = tokenizerArrays(assets!, { vocabSize: caseVocabSize(roots) });
    assert.ok(result.supported);
    assert.equal(result.warnings, []);

    const arraysDir = join(c.dir, 'expected/out/arrays');
    const expectedNames = listDir(arraysDir)
      .filter((f) => f === 'tokenizer_fst.bin' || /^T_\d+\.bin$/.test(f))
      .map((f) => f.slice(0, -4));
    assert.equal(result.arrays.map((a) => a.name).sort(), expectedNames.sort());
    for (const a of result.arrays) {
      const file = readFile(join(arraysDir, `${a.name}.bin`));
      const payload = file.subarray(PAYLOAD_OFFSET);
      assert.is(a.data.length, payload.length, `${a.name} length`);
      assert.ok(Buffer.from(a.data).equals(payload), `${a.name} payload differs`);
    }

    const state = parseJson(readText(join(c.dir, 'expected/out/sera_state.json')));
    const expected = get(get(state, 'metadata'), 'tokenizer');
    // The corpus normalises the run folder to <CASE>; the input lives at <CASE>/input.
    const prov = result.metadata.get('provenance') as PyDict;
    const path = prov.get('path') as string;
    assert.ok(path.startsWith(input + '/'), `provenance path ${path}`);
    prov.set('path', '<CASE>/input' + path.slice(input.length));
    assert.fixture(dumps(result.metadata), dumps(expected));
  });
}

test.run();
