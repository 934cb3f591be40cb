import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exists, readText } from '../../../src/io/fs.js';
import { parseJson } from '../../../src/format/json-parse.js';
import { dumps } from '../../../src/format/pyjson.js';
import { fromHex, type PyDict, type PyValue } from '../../../src/format/pyvalue.js';
import { buildRuntimeSnapshot, runtimeErrorDict, type SnapshotInputs } from '../../../src/stages/snapshot/index.js';
import { crcHex, zlibCrc32 } from '../../../src/stages/snapshot/crc32.js';
import { betaFloor } from '../../../src/stages/snapshot/resolve.js';
import { corpusCases } from '../../helpers/corpus.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

function get(v: PyValue | undefined, ...path: string[]): PyValue {
  let cur = v;
  for (const k of path) {
    if (!(cur instanceof Map)) throw new Error(`not a dict at ${k}`);
    cur = cur.get(k);
  }
  if (cur === undefined) throw new Error(`missing ${path.join('.')}`);
  return cur;
}
const num = (v: PyValue): number => Number(v as bigint | number);
const floats = (v: PyValue): number[] => (v as PyValue[]).map((x) => x as number);
const pieceList = (v: PyValue): [Uint8Array, number][] =>
  (v as PyValue[]).map((p) => {
    const [tag, id] = p as [string, bigint];
    return [fromHex(tag.slice('__sera_bytes__:'.length)), Number(id)];
  });

/** The snapshot inputs, read back from a reference sera_state.json. */
function inputsFromState(state: PyDict): SnapshotInputs {
  const meta = get(state, 'metadata') as PyDict;
  const tok = get(meta, 'tokenizer') as PyDict;
  const overlaysU = (state.get('artefacts') as PyDict).get('overlays_U') as PyDict | undefined;
  return {
    pieces: pieceList(get(tok, 'pieces')),
    maxPieceLength: num(get(tok, 'max_piece_length')),
    dModel: num(get(state, 'model_config', 'd_model')),
    valueDim: overlaysU ? num((get(overlaysU, 'shape') as PyValue[])[0]!) : 0,
    features: num(get(meta, 'attention', 'features')),
    tau: get(meta, 'attention', 'tau') as number,
    whiteningSig2: floats(get(meta, 'attention', 'whitening_sig2')),
    linearKeyCount: (get(meta, 'linear', 'keys') as PyValue[]).length,
    bridgeLegs: num(get(meta, 'bridge', 'legs')),
    determinism: get(meta, 'determinism') as PyDict,
  };
}

const cases = corpusCases().filter((c) => exists(join(c.dir, 'expected/out/sera_state.json')));
const seen = { ok: 0, error: 0 };

test('the corpus has both snapshot forms', () => {
  assert.ok(cases.length >= 20, `only ${cases.length} cases with sera_state.json`);
});

for (const c of cases) {
  test(`corpus ${c.name}: sera_snapshot is byte-identical`, () => {
    const state = parseJson(readText(join(c.dir, 'expected/out/sera_state.json'))) as PyDict;
    const inputs = inputsFromState(state);
    const { snapshot, error } = buildRuntimeSnapshot(inputs);
    assert.fixture(dumps(snapshot), dumps(get(state, 'sera_snapshot')));
    // the determinism dict is shared, not copied
    assert.is(get(snapshot, 'metadata', 'determinism'), inputs.determinism);
    const recorded = (get(state, 'metadata') as PyDict).get('runtime_snapshot_error');
    if (error) {
      seen.error++;
      assert.ok(recorded, 'reference recorded no runtime_snapshot_error');
      assert.fixture(dumps(runtimeErrorDict(error)), dumps(recorded!));
      assert.is(get(snapshot, 'status'), 'error');
    } else {
      seen.ok++;
      assert.is(recorded, undefined);
    }
  });
}

test('corpus covered success and error forms', () => {
  assert.ok(seen.ok >= 10, `success cases: ${seen.ok}`);
  assert.ok(seen.error >= 3, `error cases: ${seen.error}`);
});

// Vectors from the Python runtime itself (gen-vectors.py): inputs the corpus
// does not reach (capacity > 512, hub_window 12, default vocabulary, NaN/inf,
// every check and their order).
const vectorFile = join(repo, 'test/stages/snapshot/vectors.json');
const vectors = get(parseJson(readText(vectorFile)), 'vectors') as PyValue[];

test('runtime vectors are present', () => {
  assert.ok(vectors.length >= 20);
});

for (const v of vectors as PyDict[]) {
  const name = get(v, 'name') as string;
  test(`runtime vector ${name}`, () => {
    const inp = get(v, 'inputs') as PyDict;
    const rawPieces = get(inp, 'pieces');
    const mpl = get(inp, 'max_piece_length');
    const determinism = get(v, 'sera_snapshot', 'metadata', 'determinism') as PyDict;
    const { snapshot, error } = buildRuntimeSnapshot({
      pieces: rawPieces === null ? null : (rawPieces as PyValue[]).map((p) => {
        const [hex, id] = p as [string, bigint];
        return [fromHex(hex), Number(id)];
      }),
      maxPieceLength: mpl === null ? null : num(mpl),
      dModel: num(get(inp, 'd_model')),
      valueDim: num(get(inp, 'value_dim')),
      features: num(get(inp, 'features')),
      tau: get(inp, 'tau') as number,
      whiteningSig2: floats(get(inp, 'whitening_sig2')),
      linearKeyCount: num(get(inp, 'linear_key_count')),
      bridgeLegs: num(get(inp, 'bridge_legs')),
      determinism,
    });
    assert.fixture(dumps(snapshot), dumps(get(v, 'sera_snapshot')));
    // the vector file keeps Python's dict insertion order (what msgpack would write)
    assert.fixture(dumps(snapshot, { sortKeys: false }), dumps(get(v, 'sera_snapshot'), { sortKeys: false }));
    const expectedError = get(v, 'error');
    assert.is(dumps(error ? runtimeErrorDict(error) : null), dumps(expectedError));
  });
}

test('zlib CRC-32', () => {
  assert.is(crcHex(zlibCrc32(enc('123456789'))), '0xcbf43926');
  assert.is(zlibCrc32(new Uint8Array()), 0);
  assert.is(crcHex(zlibCrc32(enc('The quick brown fox jumps over the lazy dog'))), '0x414fa339');
  // incremental form agrees with one-shot
  const data = enc('sera runtime manifest');
  assert.is(zlibCrc32(data.subarray(7), zlibCrc32(data.subarray(0, 7))), zlibCrc32(data));
  assert.is(crcHex(1), '0x00000001');
});

test('beta_floor follows Python min/max NaN rules', () => {
  assert.is(betaFloor([]), 1.0);
  assert.is(betaFloor([0.5, 0.0005]), 1e-3);
  assert.is(betaFloor([NaN, 0.5]), 1e-3);
  assert.is(betaFloor([0.5, NaN, 0.25]), 0.25);
  assert.is(betaFloor([0.02, 0.01]), 0.01);
});

test('no tokenizer: the runtime default byte vocabulary', () => {
  const determinism: PyDict = new Map();
  const { snapshot, error } = buildRuntimeSnapshot({
    pieces: null, maxPieceLength: null, dModel: 4, valueDim: 0, features: 2, tau: 1.0,
    whiteningSig2: [], linearKeyCount: 0, bridgeLegs: 0, determinism,
  });
  assert.is(error, null);
  const vocab = get(snapshot, 'config', 'tokenizer', 'vocabulary') as PyDict;
  assert.is(vocab.size, 256);
  assert.is(vocab.get('__sera_bytes__:ff'), 255n);
  assert.is(get(snapshot, 'config', 'tokenizer', 'max_piece_length'), 4n);
  assert.is(get(snapshot, 'config', 'attention', 'value_dim'), 4n);
  assert.is((get(snapshot, 'linear_state', 'weights', 'table') as PyValue[]).length, 256);
});

test.run();
