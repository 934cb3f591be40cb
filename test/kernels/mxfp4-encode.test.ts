// Known answers for the MXFP4 encoder ("ocp-mx-v1-floor-rne"): ties to even,
// saturation, the E8M0 clamp for tiny/subnormal blocks, signed zeros, NaN/Inf
// blocks. Each case runs through the SIMD and scalar kernels and the TS reference.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadMxfp4, encodeMxfp4Sync, ENCODER_RULE } from '../../src/kernels/mxfp4.js';
import { encodeMxfp4Ts } from '../../src/kernels/mxfp4-ts.js';
import { f32FromBits, f32Bits } from './mxfp4-helpers.js';

await loadMxfp4();

type Enc = (v: Float32Array) => { blocks: Uint8Array; scales: Uint8Array };
const PATHS: [string, Enc][] = [
  ['simd', (v) => encodeMxfp4Sync(v, { simd: true })],
  ['scalar', (v) => encodeMxfp4Sync(v, { simd: false })],
  ['ts', (v) => {
    const r = { blocks: new Uint8Array(v.length / 2), scales: new Uint8Array(v.length / 32) };
    encodeMxfp4Ts(v, r.blocks, r.scales);
    return r;
  }],
];

/** 32-element block from a prefix of values (rest +0). */
function block(values: number[]): Float32Array {
  const v = new Float32Array(32);
  values.forEach((x, i) => (v[i] = x));
  return v;
}
/** Codes of block b, element order (low nibble first). */
function codes(r: { blocks: Uint8Array }, b = 0): number[] {
  const out: number[] = [];
  for (let j = 0; j < 16; j++) {
    const x = r.blocks[b * 16 + j]!;
    out.push(x & 15, x >> 4);
  }
  return out;
}
const nextUp = (x: number) => f32FromBits(f32Bits(x) + 1); // for positive finite x
const nextDown = (x: number) => f32FromBits(f32Bits(x) - 1);

test('rule name', () => {
  assert.is(ENCODER_RULE, 'ocp-mx-v1-floor-rne');
});

for (const [name, enc] of PATHS) {
  test(`${name}: grid points, ties to even and their neighbours at many block exponents`, () => {
    const ties = [0.25, 0.75, 1.25, 1.75, 2.5, 3.5, 5];
    const tieCodes = [0, 2, 2, 4, 4, 6, 6];
    const upCodes = [1, 2, 3, 4, 5, 6, 7];
    const downCodes = [0, 1, 2, 3, 4, 5, 6];
    const grid = [0, 0.5, 1, 1.5, 2, 3, 4, 6];
    for (const x of [-127, -126, -125, -100, -1, 0, 1, 37, 125]) {
      const p = 2 ** x;
      const vals = [6 * p, ...ties.map((t) => t * p), ...ties.map((t) => -t * p), ...grid.map((g) => -g * p)];
      const r = enc(block(vals));
      assert.is(r.scales[0], x + 127, `scale for X=${x}`);
      const c = codes(r);
      assert.is(c[0], 7);
      assert.equal(c.slice(1, 8), tieCodes, `ties at X=${x}`);
      assert.equal(c.slice(8, 15), tieCodes.map((k) => k | 8), `negative ties at X=${x}`);
      assert.equal(c.slice(15, 23), [8, 9, 10, 11, 12, 13, 14, 15], `negative grid at X=${x}`);
      // neighbours of each tie (f32 ulp away) round away from the tie
      const up = enc(block([6 * p, ...ties.map((t) => nextUp(Math.fround(t * p)))]));
      assert.equal(codes(up).slice(1, 8), upCodes, `just above ties at X=${x}`);
      const down = enc(block([6 * p, ...ties.map((t) => nextDown(Math.fround(t * p)))]));
      assert.equal(codes(down).slice(1, 8), downCodes, `just below ties at X=${x}`);
    }
  });

  test(`${name}: scale = floor(log2 amax) - 2; values above 6·2^X saturate`, () => {
    for (const k of [-100, -3, 0, 10, 120]) {
      const p = 2 ** k;
      const amax = Math.fround(3.0001 * p); // floor(log2) = k+1 -> X = k-1, q = 6.0002
      const r = enc(block([amax, -amax, 2.9 * p, 2.4 * p, 1.6 * p, 0.2 * p]));
      assert.is(r.scales[0], k - 1 + 127, `scale at k=${k}`);
      // q: 6.0002 -> 6, 5.8 -> 6, 4.8 -> 4, 3.2 -> 3, 0.4 -> 0.5
      assert.equal(codes(r).slice(0, 6), [7, 15, 7, 6, 5, 1], `codes at k=${k}`);
      const r2 = enc(block([Math.fround(7.99 * p)]));
      assert.is(r2.scales[0], k + 127);
      assert.is(codes(r2)[0], 7);
    }
    const big = enc(block([f32FromBits(0x7f7fffff), -1]));
    assert.is(big.scales[0], 252);
    assert.equal(codes(big).slice(0, 2), [7, 8]);
  });

  test(`${name}: subnormal and tiny blocks clamp the scale to E8M0's 2^-127`, () => {
    const r = enc(block([
      f32FromBits(1), // 2^-149 -> q = 2^-22
      2 ** -128, // q = 0.5
      3 * 2 ** -129, // q = 0.75 (tie -> 1)
      f32FromBits(0x007fffff), // largest subnormal, q just under 2
      -(2 ** -128),
      5 * 2 ** -130, // q = 0.625
      1.25 * 2 ** -127, // q = 1.25 (tie -> 1)
    ]));
    assert.is(r.scales[0], 0);
    assert.equal(codes(r).slice(0, 7), [0, 1, 2, 4, 9, 1, 2]);
    const cases: [number, number, number][] = [
      [2 ** -126, 0, 4], // smallest normal: floor(log2) - 2 = -128 -> clamped
      [2 ** -125, 0, 6],
      [1.5 * 2 ** -125, 0, 7],
      [2 ** -124, 1, 6],
      [2 ** -123, 2, 6],
    ];
    for (const [v, scale, code] of cases) {
      const q = enc(block([v]));
      assert.is(q.scales[0], scale, `scale for ${v}`);
      assert.is(codes(q)[0], code, `code for ${v}`);
    }
  });

  test(`${name}: signed zeros keep their sign; all-zero blocks get scale 0`, () => {
    const negZeros = new Float32Array(32).fill(-0);
    const r = enc(new Float32Array([...new Float32Array(32), ...negZeros]));
    assert.equal([...r.scales], [0, 0]);
    assert.ok(r.blocks.subarray(0, 16).every((b) => b === 0));
    assert.ok(r.blocks.subarray(16).every((b) => b === 0x88));
    const m = enc(block([-0, 1, -1e-10, 1e-10]));
    assert.is(m.scales[0], 125);
    assert.equal(codes(m).slice(0, 5), [8, 6, 8, 0, 0]);
  });

  test(`${name}: a NaN or ±Inf anywhere in a block gives scale 0xFF and zero codes, neighbours unaffected`, () => {
    for (const bad of [Infinity, -Infinity, NaN, f32FromBits(0xffc00001), f32FromBits(0x7f800001)]) {
      for (const pos of [0, 13, 31]) {
        const v = new Float32Array(96);
        for (let i = 0; i < 96; i++) v[i] = ((i % 7) - 3) * 0.5;
        const clean = enc(v);
        v[32 + pos] = bad;
        const r = enc(v);
        assert.is(r.scales[1], 0xff, `scale for ${bad} at ${pos}`);
        assert.ok(r.blocks.subarray(16, 32).every((b) => b === 0), `codes for ${bad} at ${pos}`);
        assert.is(r.scales[0], 125); // amax 1.5 -> floor(log2) 0 -> X = -2
        assert.is(codes(r, 0)[0], 15); // -1.5 / 2^-2 = -6
        assert.equal([r.scales[0], r.scales[2]], [clean.scales[0], clean.scales[2]]);
        assert.equal([...r.blocks.subarray(0, 16), ...r.blocks.subarray(32)], [...clean.blocks.subarray(0, 16), ...clean.blocks.subarray(32)]);
      }
    }
  });

  test(`${name}: nibble order and empty input`, () => {
    const r = enc(block([0.5, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -1, -0.5]));
    assert.is(r.scales[0], 127 + 0); // amax 6 -> floor(log2) 2 -> X = 0
    assert.is(r.blocks[0], 0x71);
    assert.is(r.blocks[15], 0x9a);
    const e = enc(new Float32Array(0));
    assert.is(e.blocks.length, 0);
    assert.is(e.scales.length, 0);
  });
}

test.run();
