// Properties of the MXFP4 codec and its wrapper: SIMD == scalar == TS
// reference on random input, decode∘encode∘decode == decode, chunking across
// the scratch size and odd boundaries, argument validation, the raw wasm ABI.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  loadMxfp4,
  decodeMxfp4Sync,
  decodeMxfp4Into,
  encodeMxfp4Sync,
  encodeMxfp4Into,
  _setChunkBlocks,
} from '../../src/kernels/mxfp4.js';
import { decodeMxfp4Ts, encodeMxfp4Ts } from '../../src/kernels/mxfp4-ts.js';
import { kernel } from '../../src/kernels/wasm.js';
import { rng, randomBytes, randomScales, randomValues, firstByteDiff } from './mxfp4-helpers.js';

await loadMxfp4();

const SIZES = [0, 1, 2, 3, 7, 17, 33, 1000];

function tsDecode(blocks: Uint8Array, scales: Uint8Array, p: 'f32' | 'f64'): Float32Array | Float64Array {
  const out = p === 'f64' ? new Float64Array(scales.length * 32) : new Float32Array(scales.length * 32);
  decodeMxfp4Ts(blocks, scales, out);
  return out;
}
function tsEncode(v: Float32Array): { blocks: Uint8Array; scales: Uint8Array } {
  const r = { blocks: new Uint8Array(v.length / 2), scales: new Uint8Array(v.length / 32) };
  encodeMxfp4Ts(v, r.blocks, r.scales);
  return r;
}
function sameBytes(a: ArrayBufferView, b: ArrayBufferView, what: string): void {
  const d = firstByteDiff(a, b);
  if (d >= 0) assert.unreachable(`${what}: first difference at byte ${d} (of ${a.byteLength} / ${b.byteLength})`);
}

/** Runs fn once with the default chunk size and with small odd chunk sizes. */
function withChunks(fn: (label: string) => void): void {
  try {
    for (const c of [undefined, 1, 7, 64]) {
      _setChunkBlocks(c);
      fn(`chunk=${c ?? 'default'}`);
    }
  } finally {
    _setChunkBlocks();
  }
}

test('decode: SIMD == scalar == TS reference (f32 and f64, every scale, odd sizes and chunks)', () => {
  const next = rng(1);
  withChunks((label) => {
    for (const g of SIZES) {
      // odd byteOffset for the blocks view, like a slice of a larger tensor
      const raw = randomBytes(next, g * 16 + 1);
      const blocks = raw.subarray(1);
      const scales = randomScales(next, g);
      for (const p of ['f32', 'f64'] as const) {
        const simd = decodeMxfp4Sync(blocks, scales, { precision: p, simd: true });
        const scalar = decodeMxfp4Sync(blocks, scales, { precision: p, simd: false });
        assert.is(simd.length, g * 32);
        sameBytes(simd, scalar, `${label} g=${g} ${p} simd vs scalar`);
        sameBytes(simd, tsDecode(blocks, scales, p), `${label} g=${g} ${p} wasm vs ts`);
      }
    }
  });
});

test('encode: SIMD == scalar == TS reference on random input with NaN/Inf/subnormal/ties', () => {
  const next = rng(2);
  withChunks((label) => {
    for (const g of SIZES) {
      const v = randomValues(next, g * 32);
      const simd = encodeMxfp4Sync(v, { simd: true });
      const scalar = encodeMxfp4Sync(v, { simd: false });
      const ts = tsEncode(v);
      assert.is(simd.blocks.length, g * 16);
      assert.is(simd.scales.length, g);
      sameBytes(simd.blocks, scalar.blocks, `${label} g=${g} blocks simd vs scalar`);
      sameBytes(simd.scales, scalar.scales, `${label} g=${g} scales simd vs scalar`);
      sameBytes(simd.blocks, ts.blocks, `${label} g=${g} blocks wasm vs ts`);
      sameBytes(simd.scales, ts.scales, `${label} g=${g} scales wasm vs ts`);
    }
  });
});

test('random inputs really cover the special cases', () => {
  const v = randomValues(rng(2), 1000 * 32);
  const bits = new Uint32Array(v.buffer);
  let nan = 0, inf = 0, sub = 0, negZero = 0;
  for (const b of bits) {
    if ((b & 0x7f800000) === 0x7f800000) (b & 0x7fffff ? nan++ : inf++);
    else if ((b & 0x7f800000) === 0 && b & 0x7fffff) sub++;
    else if (b === 0x80000000) negZero++;
  }
  assert.ok(nan > 0 && inf >= 0 && sub > 100 && negZero > 100, `nan=${nan} inf=${inf} sub=${sub} -0=${negZero}`);
  const enc = encodeMxfp4Sync(v);
  assert.ok(enc.scales.includes(0xff) && enc.scales.includes(0));
});

test('decode(encode(decode(b))) == decode(b) for every scale 0..252, both paths', () => {
  const next = rng(3);
  const g = 4096;
  const blocks = randomBytes(next, g * 16);
  const scales = randomScales(next, g, 0, 252);
  for (let s = 0; s <= 252; s++) scales[s] = s; // every scale at least once
  const d = decodeMxfp4Sync(blocks, scales);
  for (const simd of [true, false]) {
    const e = encodeMxfp4Sync(d, { simd });
    sameBytes(decodeMxfp4Sync(e.blocks, e.scales, { simd }), d, `round trip simd=${simd}`);
    // and the f64 view of the re-encoded data equals the exact decode
    sameBytes(decodeMxfp4Sync(e.blocks, e.scales, { precision: 'f64' }), decodeMxfp4Sync(blocks, scales, { precision: 'f64' }), 'f64');
  }
});

test('large arrays cross the default chunk size (f32 and f64 decode, encode)', () => {
  const next = rng(4);
  const g = 2 * 32768 + 123; // > 2 chunks of f32 output, > 4 chunks of f64 output
  const blocks = randomBytes(next, g * 16);
  const scales = randomScales(next, g, 100, 150);
  for (const p of ['f32', 'f64'] as const) {
    sameBytes(decodeMxfp4Sync(blocks, scales, { precision: p }), tsDecode(blocks, scales, p), `decode ${p}`);
  }
  const v = randomValues(next, g * 32);
  const e = encodeMxfp4Sync(v);
  const t = tsEncode(v);
  sameBytes(e.blocks, t.blocks, 'encode blocks');
  sameBytes(e.scales, t.scales, 'encode scales');
});

test('decodeMxfp4Into writes a row range into a larger buffer and nothing else', () => {
  const next = rng(5);
  const blocks = randomBytes(next, 10 * 16);
  const scales = randomScales(next, 10, 120, 130);
  const full = decodeMxfp4Sync(blocks, scales);
  const buf = new Float32Array(400).fill(42);
  // rows 3..7 into buf[100..260)
  const n = decodeMxfp4Into(blocks.subarray(3 * 16, 7 * 16), scales.subarray(3, 7), buf.subarray(100));
  assert.is(n, 4 * 32);
  sameBytes(buf.subarray(100, 228), full.subarray(96, 224), 'row range');
  assert.ok(buf.subarray(0, 100).every((x) => x === 42) && buf.subarray(228).every((x) => x === 42));
  const f64 = new Float64Array(320);
  decodeMxfp4Into(blocks, scales, f64, { simd: false });
  assert.equal(Array.from(f64), Array.from(full));
});

test('nanScale: scale 0xFF blocks decode to NaN only when asked', () => {
  const v = new Float32Array(96).fill(1.5);
  v[40] = NaN;
  const e = encodeMxfp4Sync(v);
  assert.equal([...e.scales], [125, 0xff, 125]);
  const plain = decodeMxfp4Sync(e.blocks, e.scales);
  assert.ok(plain.subarray(32, 64).every((x) => Object.is(x, 0)), 'reference rule: zero codes * 2^128 = +0');
  for (const p of ['f32', 'f64'] as const) {
    const d = decodeMxfp4Sync(e.blocks, e.scales, { precision: p, nanScale: true });
    assert.ok(d.subarray(32, 64).every((x) => Number.isNaN(x)), p);
    assert.ok(d.subarray(0, 32).every((x) => x === 1.5) && d.subarray(64).every((x) => x === 1.5), p);
  }
  const into = new Float32Array(100).fill(7);
  decodeMxfp4Into(e.blocks.subarray(16), e.scales.subarray(1), into, { nanScale: true });
  assert.ok(into.subarray(0, 32).every((x) => Number.isNaN(x)) && into.subarray(64).every((x) => x === 7));
});

test('encodeMxfp4Into writes into caller buffers', () => {
  const v = randomValues(rng(6), 64);
  const blocks = new Uint8Array(40).fill(7);
  const scales = new Uint8Array(3).fill(7);
  assert.is(encodeMxfp4Into(v, blocks, scales), 2);
  const e = encodeMxfp4Sync(v);
  sameBytes(blocks.subarray(0, 32), e.blocks, 'blocks');
  sameBytes(scales.subarray(0, 2), e.scales, 'scales');
  assert.equal([...blocks.subarray(32)], [7, 7, 7, 7, 7, 7, 7, 7]);
  assert.is(scales[2], 7);
});

test('argument validation gives clear errors', () => {
  const b = new Uint8Array(32);
  assert.throws(() => decodeMxfp4Sync(b, new Uint8Array(3)), (e: Error) => e instanceof RangeError && /blocks has 32 bytes but scales has 3 entries/.test(e.message) && /16 × scales.length \(48\)/.test(e.message));
  assert.throws(() => decodeMxfp4Sync([1, 2] as unknown as Uint8Array, new Uint8Array(0)), (e: Error) => e instanceof TypeError && /blocks must be a Uint8Array, got Array/.test(e.message));
  assert.throws(() => decodeMxfp4Sync(b, new Uint8Array(2), { precision: 'f16' as 'f32' }), (e: Error) => e instanceof RangeError && /precision must be 'f32' or 'f64'/.test(e.message));
  assert.throws(() => decodeMxfp4Sync(b, new Uint8Array(2), { out: new Float32Array(63) }), (e: Error) => e instanceof RangeError && /out has 63 elements but 2 blocks decode to 64 values/.test(e.message));
  assert.throws(() => decodeMxfp4Sync(b, new Uint8Array(2), { out: new Float64Array(64), precision: 'f32' }), (e: Error) => /out is a Float64Array but precision is 'f32'/.test(e.message));
  assert.throws(() => decodeMxfp4Into(b, new Uint8Array(2), new Int32Array(64) as unknown as Float32Array), (e: Error) => e instanceof TypeError && /Float32Array or Float64Array, got Int32Array/.test(e.message));
  assert.throws(() => decodeMxfp4Into(b, new Uint8Array(2), new Float32Array(10)), (e: Error) => /room for 10 values but 2 blocks decode to 64/.test(e.message));
  assert.throws(() => encodeMxfp4Sync(new Float32Array(33)), (e: Error) => e instanceof RangeError && /33 elements, which is not a multiple of 32/.test(e.message) && /pad the last block to 64/.test(e.message));
  assert.throws(() => encodeMxfp4Sync(new Float64Array(32) as unknown as Float32Array), (e: Error) => e instanceof TypeError && /values must be a Float32Array, got Float64Array/.test(e.message));
  assert.throws(() => encodeMxfp4Into(new Float32Array(64), new Uint8Array(31), new Uint8Array(2)), (e: Error) => /need 32 block bytes and 2 scale bytes, got 31 and 2/.test(e.message));
  // a given out with matching type is filled and returned
  const out = new Float64Array(64);
  assert.is(decodeMxfp4Sync(b, new Uint8Array(2), { out }), out);
});

type Raw = (a: number, b: number, c: number, d: number) => number;
test('raw ABI: unaligned pointers, both paths, partial trailing block ignored', async () => {
  const k = await kernel<Record<string, Raw> & { abiVersion(): number }>('mxfp4');
  assert.is(k.exports.abiVersion(), 1);
  for (const name of ['decodeF32', 'decodeF64', 'encode', 'decodeF32Scalar', 'decodeF32Simd', 'decodeF64Scalar', 'decodeF64Simd', 'encodeScalar', 'encodeSimd', 'HEAP_BASE']) {
    assert.type(k.exports[name], 'function', name);
  }
  const next = rng(7);
  const g = 5;
  const blocks = randomBytes(next, g * 16);
  const scales = randomScales(next, g);
  const base = k.scratch(1 << 16);
  const bp = base + 1, sp = base + 1000 + 3, op = base + 2048 + 5;
  for (const [fn, p] of [['decodeF32', 'f32'], ['decodeF32Scalar', 'f32'], ['decodeF64', 'f64'], ['decodeF64Scalar', 'f64']] as const) {
    k.u8.set(blocks, bp);
    k.u8.set(scales, sp);
    k.exports[fn]!(bp, sp, g, op);
    const bytes = g * 32 * (p === 'f64' ? 8 : 4);
    sameBytes(k.u8.slice(op, op + bytes), decodeMxfp4Sync(blocks, scales, { precision: p }), `raw ${fn}`);
  }
  const v = randomValues(next, 64);
  const e = encodeMxfp4Sync(v.subarray(0, 32)); // before filling the raw region: the wrapper shares the scratch
  const vp = base + 4096 + 6;
  k.u8.set(new Uint8Array(v.buffer), vp);
  for (const fn of ['encode', 'encodeScalar', 'encodeSimd']) {
    k.u8.fill(0xee, bp, bp + 48);
    k.u8.fill(0xee, sp, sp + 3);
    assert.is(k.exports[fn]!(vp, 40, bp, sp), 1, `${fn} returns whole blocks`);
    sameBytes(k.u8.slice(bp, bp + 16), e.blocks, `${fn} blocks`);
    assert.is(k.u8[sp], e.scales[0]);
    assert.is(k.u8[bp + 16], 0xee, `${fn} wrote past the last whole block`);
    assert.is(k.u8[sp + 1], 0xee);
  }
});

test.run();
