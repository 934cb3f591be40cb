// readRowsHashed over every row, in ascending ranges, must feed a hash exactly
// what hashInto feeds (the stages' seeds depend on it) and return readRows' values.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FileTensor, MemoryTensor, SliceTensor, type Tensor } from '../../src/model/tensors.js';
import { Mxfp4Tensor } from '../../src/model/mxfp4-tensor.js';
import { QuantizedTensor } from '../../src/stages/quantize.js';
import { loadMxfp4 } from '../../src/kernels/mxfp4.js';
import { newSha256 } from '../../src/format/hash.js';
import { MemoryStore } from '../helpers/memory-store.js';

function bytes(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) { x = (x * 1103515245 + 12345) >>> 0; b[i] = x >>> 24; }
  return b;
}

/** Finite BF16/F32 values (exponent bytes kept small). */
function floats(dtype: 'BF16' | 'F32', n: number, seed: number): Uint8Array {
  const b = bytes(n * (dtype === 'BF16' ? 2 : 4), seed);
  const step = dtype === 'BF16' ? 2 : 4;
  for (let i = step - 1; i < b.length; i += step) b[i] = (b[i]! & 0x80) | 0x3c;
  return b;
}

function viaHashInto(t: Tensor): string {
  const h = newSha256();
  t.hashInto(h);
  return h.digest('hex');
}

function viaHashedRows(t: Tensor, step: number): { hex: string; values: number[] } {
  const h = newSha256();
  const values: number[] = [];
  for (let r = 0; r < t.rows; r += step) values.push(...t.readRowsHashed(r, Math.min(t.rows, r + step), h));
  return { hex: h.digest('hex'), values };
}

test('readRowsHashed feeds the bytes hashInto feeds, for every tensor kind', async () => {
  await loadMxfp4();
  const s = new MemoryStore([
    ['bf16', 'BF16', [7, 6], floats('BF16', 42, 1)],
    ['f32', 'F32', [5, 64], floats('F32', 320, 2)],
    ['qkv', 'BF16', [12, 4], floats('BF16', 48, 3)],
    ['e.blocks', 'U8', [3, 2, 16], bytes(96, 4)],
    ['e.scales', 'U8', [3, 2], bytes(6, 5).map((x) => 120 + (x & 7))],
    ['bias', 'F32', [9], floats('F32', 9, 6)],
  ]);
  const file = (n: string) => new FileTensor(s, s.get(n)!);
  const qkv = file('qkv');
  const kinds: Tensor[] = [
    file('bf16'),
    file('f32'),
    file('bias'),
    new SliceTensor('q', qkv, 0, 4, 4),
    new SliceTensor('k', qkv, 1, 1, 2),
    new Mxfp4Tensor('e', file('e.blocks'), file('e.scales')),
    new QuantizedTensor(file('f32')),
    new MemoryTensor('m', [4, 3], Float64Array.from({ length: 12 }, (_, i) => i / 3)),
  ];
  for (const t of kinds) {
    const want = viaHashInto(t);
    for (const step of [1, 2, t.rows]) {
      const got = viaHashedRows(t, step);
      assert.is(got.hex, want, `${t.label}: hash with row steps of ${step}`);
      assert.equal(got.values, [...t.readAll()], `${t.label}: values`);
    }
  }
});

test.run();
