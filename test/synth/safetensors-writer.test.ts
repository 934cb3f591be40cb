import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { corpusDir } from '../helpers/corpus.js';
import { prepareHeader, serdeString, writeSafetensors, type HeaderEntry } from '../../src/synth/safetensors-writer.js';
import { loadSafetensorsReader } from '../../src/io/safetensors.js';
import { openCheckpoint } from '../../src/io/shards.js';
import { tempDir } from '../io/st-build.js';
import type { StDtype } from '../../src/io/safetensors.js';

// created when the suite starts (not at import: a runner may import files whose suites never run)
let tmp: { dir: string; cleanup(): void };
test.before(async () => { tmp = tempDir('synth-st'); await loadSafetensorsReader(); });
test.after(() => tmp.cleanup());

/** The 8-byte prefix + header of a file written by the safetensors library, and its entries. */
function libraryHeader(file: string): { bytes: Uint8Array; entries: HeaderEntry[]; metadata: Record<string, string> | null } {
  const all = new Uint8Array(readFileSync(file));
  const n = Number(new DataView(all.buffer, all.byteOffset).getBigUint64(0, true));
  const bytes = all.subarray(0, 8 + n);
  const json = JSON.parse(new TextDecoder().decode(all.subarray(8, 8 + n)));
  const metadata = json.__metadata__ ?? null;
  delete json.__metadata__;
  const entries = Object.entries(json).map(([name, v]: [string, any]) => ({ name, dtype: v.dtype as StDtype, shape: v.shape as number[] }));
  return { bytes, entries, metadata };
}

/** Deterministic shuffle so the writer must do the sorting itself. */
function scramble<T>(xs: T[]): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const k = (i * 7919 + 13) % (i + 1);
    [out[i], out[k]] = [out[k]!, out[i]!];
  }
  return out;
}

for (const c of ['dense_f32', 'dense_bf16', 'gptoss_full_tensor_set', 'mxfp4_3d_grouped', 'extra_tensor_ignored']) {
  test(`header bytes equal the safetensors library's for the corpus case ${c}`, () => {
    const lib = libraryHeader(join(corpusDir(), 'cases', c, 'input', 'model.safetensors'));
    const ours = prepareHeader(scramble(lib.entries), lib.metadata);
    assert.equal(Buffer.from(ours.bytes).toString('latin1'), Buffer.from(lib.bytes).toString('latin1'));
  });
}

test('sort order: dtype rank descending (F32 > BF16 > U8), then name bytes; data contiguous', () => {
  const h = prepareHeader([
    { name: 'b', dtype: 'U8', shape: [3] },
    { name: 'a', dtype: 'U8', shape: [1] },
    { name: 'z', dtype: 'BF16', shape: [2] },
    { name: 'B', dtype: 'F32', shape: [1, 1] },
    { name: 'm', dtype: 'I64', shape: [] },
  ], null);
  const text = new TextDecoder().decode(h.bytes.subarray(8));
  assert.is(text.trimEnd(),
    '{"m":{"dtype":"I64","shape":[],"data_offsets":[0,8]},"B":{"dtype":"F32","shape":[1,1],"data_offsets":[8,12]},'
    + '"z":{"dtype":"BF16","shape":[2],"data_offsets":[12,16]},"a":{"dtype":"U8","shape":[1],"data_offsets":[16,17]},'
    + '"b":{"dtype":"U8","shape":[3],"data_offsets":[17,20]}}');
  assert.is((h.bytes.length - 8) % 8, 0);
  assert.is(Number(new DataView(h.bytes.buffer).getBigUint64(0, true)), h.bytes.length - 8);
  assert.is(h.dataBytes, 20);
  assert.equal(h.offsets, [[17, 20], [16, 17], [12, 16], [8, 12], [0, 8]]);
});

test("the crate's own test vectors (test_empty, test_serialization)", () => {
  assert.equal([...prepareHeader([], null).bytes], [8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32]);
  const meta = prepareHeader([], { framework: 'pt' }).bytes;
  assert.is(new TextDecoder().decode(meta.subarray(8)), '{"__metadata__":{"framework":"pt"}}     ');
  assert.is(meta[0], 40);
  const one = prepareHeader([{ name: 'attn.0', dtype: 'F32', shape: [1, 2, 3] }], null).bytes;
  assert.is(one[0], 64);
  assert.is(new TextDecoder().decode(one.subarray(8)), '{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}');
});

test('serde_json string escaping', () => {
  assert.is(serdeString('a"b\\c'), '"a\\"b\\\\c"');
  assert.is(serdeString('\n\t\r\b\f\u0001\u001f'), '"\\n\\t\\r\\b\\f\\u0001\\u001f"');
  assert.is(serdeString('é€\u007f/'), '"é€\u007f/"');
});

test('streamed file: chunked fills land at the header offsets and the strict reader accepts it', () => {
  const path = join(tmp.dir, 'w.safetensors');
  const mk = (name: string, dtype: StDtype, n: number, size: number, tag: number) => ({
    name, dtype, shape: [n],
    fill(first: number, count: number, out: Uint8Array) {
      assert.is(out.length, count * size);
      for (let i = 0; i < count * size; i++) out[i] = (tag + first * size + i) & 0xff;
    },
  });
  const tensors = [mk('x.u8', 'U8', 1001, 1, 1), mk('x.f32', 'F32', 333, 4, 2), mk('x.bf16', 'BF16', 517, 2, 3)];
  const size = writeSafetensors(path, tensors, { format: 'pt' }, { chunkBytes: 64 });
  const store = openCheckpoint(path);
  try {
    assert.equal(store.names(), ['x.f32', 'x.bf16', 'x.u8']);
    assert.equal(store.files[0]!.metadata, new Map([['format', 'pt']]));
    assert.is(store.files[0]!.size, size);
    for (const t of tensors) {
      const info = store.get(t.name)!;
      const bytes = store.read(info);
      const want = new Uint8Array(bytes.length);
      t.fill(0, bytes.length / (info.byteLength / info.shape[0]!), want);
      assert.equal(bytes, want, t.name);
    }
  } finally {
    store.close();
  }
});

test.run();
