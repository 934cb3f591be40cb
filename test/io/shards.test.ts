import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { SafetensorsError } from '../../src/errors.js';
import { loadSafetensorsReader } from '../../src/io/safetensors.js';
import { openCheckpoint, openIndex, unsafeShardName } from '../../src/io/shards.js';
import { buildSt, tempDir, writeAt } from './st-build.js';

const tmp = tempDir('shards');
let seq = 0;
test.before(async () => { await loadSafetensorsReader(); });
test.after(() => tmp.cleanup());

const u8 = (...v: number[]) => ({ dtype: 'U8', shape: [v.length], data: new Uint8Array(v) });

/** A fresh checkpoint folder with the given shards (name -> tensors) and index. */
function checkpoint(shards: Record<string, Record<string, ReturnType<typeof u8>>>, weightMap?: [string, string][] | string, metadata: object = { total_size: 0 }): string {
  const dir = join(tmp.dir, `ck${seq++}`);
  for (const [name, tensors] of Object.entries(shards)) writeAt(dir, name, buildSt(tensors));
  const wm = weightMap ?? Object.entries(shards).flatMap(([s, ts]) => Object.keys(ts).map((t) => [t, s] as [string, string]));
  const text = typeof wm === 'string' ? wm
    : `{"metadata": ${JSON.stringify(metadata)}, "weight_map": {${wm.map(([t, s]) => `${JSON.stringify(t)}: ${JSON.stringify(s)}`).join(', ')}}}`;
  return writeAt(dir, 'model.safetensors.index.json', text);
}

function fails(fn: () => unknown, re: RegExp, file?: string): SafetensorsError {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof SafetensorsError)) throw e;
    assert.match(e.message, re);
    if (file) assert.is(e.file, file);
    assert.ok(e.hint, `hint for ${e.message}`);
    return e;
  }
  return assert.unreachable(`expected ${re}`) as never;
}

test('good index: weight_map order, reads across shards, metadata', () => {
  const idx = checkpoint({
    'model-00001-of-00002.safetensors': { 'b.weight': u8(1, 2), 'a.weight': u8(3) },
    'model-00002-of-00002.safetensors': { 'c.weight': u8(4, 5, 6) },
  }, [['c.weight', 'model-00002-of-00002.safetensors'], ['a.weight', 'model-00001-of-00002.safetensors'], ['b.weight', 'model-00001-of-00002.safetensors']],
  { total_size: 6 });
  const s = openCheckpoint(idx);
  assert.equal(s.names(), ['c.weight', 'a.weight', 'b.weight']);
  assert.is(s.size, 3);
  assert.equal(s.names().map((n) => [...s.read(s.get(n)!)]), [[4, 5, 6], [3], [1, 2]]);
  assert.equal([...s.read(s.get('c.weight')!, 1, 2)], [5, 6]);
  assert.ok(s.get('c.weight')!.file.endsWith('model-00002-of-00002.safetensors'));
  assert.is(s.indexMetadata!.get('total_size'), 6n);
  assert.is(s.files.length, 2);
  assert.is(s.get('nope'), undefined);
  s.close();
});

test('single file: header order', () => {
  const p = writeAt(tmp.dir, 'single/model.safetensors', buildSt([['z', u8(1)], ['a', u8(2)], ['m', u8(3)]]));
  const s = openCheckpoint(p);
  assert.equal(s.names(), ['z', 'a', 'm']);
  assert.equal([...s.read(s.get('m')!)], [3]);
  assert.is(s.indexMetadata, null);
  s.close();
});

test('missing shard files are all listed', () => {
  const idx = checkpoint({ 'model-00001-of-00003.safetensors': { a: u8(1) } },
    [['a', 'model-00001-of-00003.safetensors'], ['b', 'model-00002-of-00003.safetensors'], ['c', 'model-00003-of-00003.safetensors']]);
  const e = fails(() => openIndex(idx), /2 of 3 shard files named by the index are missing: 'model-00002-of-00003.safetensors', 'model-00003-of-00003.safetensors'/, idx);
  assert.match(e.hint!, /download every shard/);
});

test('tensor named by the index but absent from its shard', () => {
  const idx = checkpoint({ 's1.safetensors': { a: u8(1) }, 's2.safetensors': { b: u8(2) } },
    [['a', 's1.safetensors'], ['b', 's2.safetensors'], ['ghost', 's2.safetensors']]);
  fails(() => openIndex(idx), /1 tensors named by the index are absent from their shard: 'ghost \(in s2.safetensors\)'/);
});

test('tensor in a shard but not in the index; tensor in two shards', () => {
  const idx = checkpoint({ 's1.safetensors': { a: u8(1), extra: u8(9) }, 's2.safetensors': { b: u8(2) } },
    [['a', 's1.safetensors'], ['b', 's2.safetensors']]);
  fails(() => openIndex(idx), /not in the index: 'extra \(in s1.safetensors\)'/);
  const idx2 = checkpoint({ 's1.safetensors': { a: u8(1), b: u8(7) }, 's2.safetensors': { b: u8(2) } },
    [['a', 's1.safetensors'], ['b', 's2.safetensors']]);
  fails(() => openIndex(idx2), /stored in more than one shard: 'b \(in s1.safetensors and s2.safetensors\)'/);
  // A tensor listed twice in weight_map (JSON duplicate key) is caught too.
  const idx3 = checkpoint({ 's1.safetensors': { a: u8(1) } }, '{"weight_map": {"a": "s1.safetensors", "a": "s1.safetensors"}}');
  fails(() => openIndex(idx3), /lists tensor 'a' more than once/);
});

test('shard names that escape the folder are refused before anything is opened', () => {
  const bad = ['../outside.safetensors', '/etc/outside.safetensors', 'https://example.invalid/x.safetensors', 'sub\\x.safetensors',
    'C:x.safetensors', 'sub/../../outside.safetensors', 'file:outside.safetensors', 'model.bin'];
  // A valid file where '../outside.safetensors' would resolve, so only the name check can stop it.
  writeAt(tmp.dir, 'outside.safetensors', buildSt({ a: u8(1) }));
  for (const name of bad) {
    assert.ok(unsafeShardName(name), name);
    const idx = checkpoint({}, [['a', name]]);
    const e = fails(() => openIndex(idx), /refusing shard file names that could point outside the checkpoint folder/);
    assert.ok(e.message.includes(`'${name}'`), e.message);
  }
  assert.is(unsafeShardName('model-00001-of-00002.safetensors'), null);
  assert.is(unsafeShardName('sub/model.safetensors'), null);
  // Subfolders inside the checkpoint are fine.
  const idx = checkpoint({ 'sub/w.safetensors': { a: u8(5) } }, [['a', 'sub/w.safetensors']]);
  const s = openIndex(idx);
  assert.equal([...s.read(s.get('a')!)], [5]);
  s.close();
});

test('malformed index files', () => {
  fails(() => openIndex(checkpoint({}, '{"weight_map": ')), /not valid JSON/);
  fails(() => openIndex(checkpoint({}, '[]')), /not a JSON object/);
  fails(() => openIndex(checkpoint({}, '{"metadata": {}}')), /no "weight_map" object/);
  fails(() => openIndex(checkpoint({}, '{"weight_map": {"a": 3}}')), /entry 'a' is not a file name string/);
  fails(() => openIndex(checkpoint({}, '{"weight_map": {}}')), /weight_map is empty/);
});

test('a broken shard reports the shard file', () => {
  const idx = checkpoint({ 's1.safetensors': { a: u8(1) } }, [['a', 's1.safetensors']]);
  const shard = join(idx, '..', 's1.safetensors');
  writeAt(join(idx, '..'), 's1.safetensors', new Uint8Array(0));
  fails(() => openIndex(idx), /empty \(0 bytes\)/, shard);
});

test.run();
