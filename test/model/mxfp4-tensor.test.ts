// Mxfp4Tensor decodes through the wasm kernel for 16-byte groups and through the
// plain TypeScript codec otherwise: both give value = LUT[nibble] * 2^(scale-127),
// low nibble first.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FileTensor } from '../../src/model/tensors.js';
import { Mxfp4Tensor } from '../../src/model/mxfp4-tensor.js';
import { loadMxfp4 } from '../../src/kernels/mxfp4.js';
import { MemoryStore } from '../helpers/memory-store.js';

const LUT = [0, 0.5, 1, 1.5, 2, 3, 4, 6, -0, -0.5, -1, -1.5, -2, -3, -4, -6];

function pair(groupBytes: number, groups: number): Mxfp4Tensor {
  const blocks = Uint8Array.from({ length: groups * groupBytes }, (_, i) => (i * 37 + 11) & 0xff);
  const scales = Uint8Array.from({ length: groups }, (_, i) => 118 + (i % 17));
  const s = new MemoryStore([
    ['w.blocks', 'U8', [2, groups / 2, groupBytes], blocks],
    ['w.scales', 'U8', [2, groups / 2], scales],
  ]);
  return new Mxfp4Tensor('w', new FileTensor(s, s.get('w.blocks')!), new FileTensor(s, s.get('w.scales')!));
}

/** The decoding rule written out, byte by byte. */
function expected(t: Mxfp4Tensor): number[] {
  const b = t.blocks.store.read(t.blocks.info);
  const sc = t.scales.store.read(t.scales.info);
  const out: number[] = [];
  for (let i = 0; i < b.length; i++) {
    const p = 2 ** (sc[Math.floor(i / t.groupBytes)]! - 127);
    out.push(LUT[b[i]! & 15]! * p, LUT[b[i]! >> 4]! * p);
  }
  return out;
}

test('16-byte groups (kernel) and 8-byte groups (TypeScript) decode by the rule, -0 included', async () => {
  await loadMxfp4();
  for (const B of [16, 8]) {
    const t = pair(B, 6);
    assert.equal(t.shape, [2, 3 * 2 * B]);
    const got = Array.from(t.readAll());
    const want = expected(t);
    assert.is(got.length, want.length);
    got.forEach((v, i) => assert.ok(Object.is(v, want[i]), `B=${B} element ${i}: ${v} != ${want[i]}`));
  }
});

test('a larger `out` is filled from the start and the result has the exact length; a smaller one is refused', async () => {
  await loadMxfp4();
  const t = pair(16, 6);
  const want = Array.from(t.readRows(1, 2));
  const out = new Float64Array(want.length + 40).fill(7);
  const got = t.readRows(1, 2, out);
  assert.is(got.length, want.length);
  assert.is(got.buffer, out.buffer);
  assert.equal(Array.from(got), want);
  assert.is(out[want.length], 7, 'nothing written past the rows');
  assert.throws(() => t.readRows(0, 2, new Float64Array(3)), /room for 3 values/);
});

test.run();
