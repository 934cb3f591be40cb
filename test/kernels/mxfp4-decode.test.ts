// Known answers for the MXFP4 decoder: every code at every scale, both kernel
// paths, both precisions, plus hand-checked bit patterns (subnormal scale 0,
// overflow above 252, -0).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadMxfp4, decodeMxfp4Sync } from '../../src/kernels/mxfp4.js';
import { decodeMxfp4Ts } from '../../src/kernels/mxfp4-ts.js';
import { expectedF64Bits, f64FromBits, f32Bits, f64Bits } from './mxfp4-helpers.js';

await loadMxfp4();

// One block per scale s = 0..255; element e holds code e % 16 (byte j = code 2j | code 2j+1 << 4).
const scales = Uint8Array.from({ length: 256 }, (_, s) => s);
const blocks = new Uint8Array(256 * 16);
for (let s = 0; s < 256; s++) for (let j = 0; j < 16; j++) blocks[s * 16 + j] = ((2 * j) % 16) | (((2 * j + 1) % 16) << 4);

const LISTED = [0, 1, 126, 127, 128, 254, 255];

const paths: [string, (p: 'f32' | 'f64') => Float32Array | Float64Array][] = [
  ['simd', (p) => decodeMxfp4Sync(blocks, scales, { precision: p, simd: true })],
  ['scalar', (p) => decodeMxfp4Sync(blocks, scales, { precision: p, simd: false })],
  ['ts', (p) => {
    const out = p === 'f64' ? new Float64Array(256 * 32) : new Float32Array(256 * 32);
    decodeMxfp4Ts(blocks, scales, out);
    return out;
  }],
];

for (const [name, run] of paths) {
  test(`${name}: f64 decode of all 16 codes × all 256 scales matches the bit-field construction`, () => {
    const out = run('f64') as Float64Array;
    assert.instance(out, Float64Array);
    assert.is(out.length, 256 * 32);
    for (let s = 0; s < 256; s++) {
      for (let e = 0; e < 32; e++) {
        const code = e % 16;
        const got = f64Bits(out[s * 32 + e]!);
        const want = expectedF64Bits(code, s);
        if (got !== want) assert.unreachable(`scale ${s} code ${code}: got 0x${got.toString(16)}, want 0x${want.toString(16)}`);
      }
    }
  });

  test(`${name}: f32 decode is the exact value rounded once; exact for scale <= 252`, () => {
    const out = run('f32') as Float32Array;
    assert.instance(out, Float32Array);
    for (let s = 0; s < 256; s++) {
      for (let e = 0; e < 32; e++) {
        const code = e % 16;
        const exact = f64FromBits(expectedF64Bits(code, s));
        const got = out[s * 32 + e]!;
        if (f32Bits(got) !== f32Bits(Math.fround(exact))) {
          assert.unreachable(`scale ${s} code ${code}: got ${got}, want fround(${exact})`);
        }
        if (s <= 252 && !Object.is(got, exact)) assert.unreachable(`scale ${s} code ${code}: ${got} is not exact (${exact})`);
      }
    }
  });

  test(`${name}: listed scales, hand-checked f32 and f64 bit patterns`, () => {
    const f32 = run('f32') as Float32Array;
    const f64 = run('f64') as Float64Array;
    const at32 = (code: number, s: number) => f32Bits(f32[s * 32 + code]!);
    const at64 = (code: number, s: number) => f64Bits(f64[s * 32 + code]!);
    // f64
    assert.is(at64(1, 127), 0x3fe0000000000000n); // 0.5
    assert.is(at64(1, 0), 0x37f0000000000000n); // 2^-128
    assert.is(at64(15, 255), 0xc818000000000000n); // -6·2^128
    assert.is(at64(7, 254), 0x4808000000000000n); // 6·2^127 = 1.5·2^129
    assert.is(at64(4, 126), 0x3ff0000000000000n); // 2·2^-1 = 1
    for (const s of LISTED) {
      assert.is(at64(8, s), 0x8000000000000000n, `-0 at scale ${s}`);
      assert.is(at64(0, s), 0n, `+0 at scale ${s}`);
      assert.is(at32(8, s), 0x80000000, `f32 -0 at scale ${s}`);
      assert.is(at32(0, s), 0, `f32 +0 at scale ${s}`);
    }
    // f32: scale 0 is 2^-127, a subnormal factor
    assert.is(at32(1, 0), 0x00200000); // 2^-128
    assert.is(at32(2, 0), 0x00400000); // 2^-127
    assert.is(at32(3, 0), 0x00600000); // 1.5·2^-127
    assert.is(at32(7, 0), 0x01400000); // 6·2^-127 = 1.5·2^-125 (normal)
    assert.is(at32(9, 1), 0x80400000); // -0.5·2^-126
    assert.is(at32(4, 126), 0x3f800000);
    assert.is(at32(5, 127), 0x40400000);
    assert.is(at32(3, 128), 0x40400000);
    assert.is(at32(7, 252), 0x7f400000); // 6·2^125 = 1.5·2^127, the largest finite decode
    assert.is(at32(7, 253), 0x7f800000); // overflow
    assert.is(at32(5, 253), 0x7f400000);
    assert.is(at32(3, 254), 0x7f400000); // 1.5·2^127
    assert.is(at32(4, 254), 0x7f800000); // 2^128
    assert.is(at32(1, 255), 0x7f000000); // 2^127 (scale 255 = 2^128 is not an f32)
    assert.is(at32(2, 255), 0x7f800000);
    assert.is(at32(10, 255), 0xff800000); // -inf
    assert.is(at32(9, 255), 0xff000000);
  });
}

test('decode order: low nibble is the first element of each pair', () => {
  const b = new Uint8Array(16);
  b[0] = 0x71; // low 1 (0.5), high 7 (6)
  b[15] = 0x9a; // low 10 (-1), high 9 (-0.5)
  for (const simd of [true, false]) {
    const out = decodeMxfp4Sync(b, Uint8Array.of(127), { simd });
    assert.equal([out[0], out[1], out[30], out[31]], [0.5, 6, -1, -0.5]);
    assert.ok(out.slice(2, 30).every((x) => Object.is(x, 0)));
  }
});

test.run();
