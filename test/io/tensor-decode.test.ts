import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  decodeToF32, decodeToF64, halfToNumber, bf16ToNumber, f8e4m3ToNumber, f8e5m2ToNumber, isF32Exact,
} from '../../src/io/tensor-decode.js';
import { ST_DTYPES, ST_DTYPE_SIZE, type StDtype } from '../../src/io/safetensors.js';
import { bytesOf } from './st-build.js';

const same = (a: number, b: number) => Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));

function u16(...v: number[]): Uint8Array {
  return bytesOf(new Uint16Array(v));
}

/** Copies bytes to offset 1 of a fresh buffer so typed views cannot be used. */
function unaligned(b: Uint8Array): Uint8Array {
  const buf = new Uint8Array(b.length + 1);
  buf.set(b, 1);
  return buf.subarray(1);
}

// Independent half -> float32 conversion by bit manipulation (the classic
// normalise-the-subnormal algorithm), to cross-check all 65536 codes.
function halfViaBits(h: number): number {
  const s = (h & 0x8000) << 16;
  let e = (h >> 10) & 0x1f;
  let m = h & 0x3ff;
  let bits: number;
  if (e === 0) {
    if (m === 0) bits = s;
    else {
      e = 127 - 15 + 1;
      while ((m & 0x400) === 0) { m <<= 1; e--; }
      m &= 0x3ff;
      bits = s | (e << 23) | (m << 13);
    }
  } else if (e === 31) bits = s | 0x7f800000 | (m << 13);
  else bits = s | ((e - 15 + 127) << 23) | (m << 13);
  const f = new Float32Array(1);
  new Uint32Array(f.buffer)[0] = bits >>> 0;
  return f[0]!;
}

test('F16 known values', () => {
  const cases: [number, number][] = [
    [0x0000, 0], [0x8000, -0], [0x3c00, 1], [0xc000, -2], [0x3555, 0.333251953125], [0x7bff, 65504],
    [0x0001, 2 ** -24], [0x03ff, 1023 * 2 ** -24], [0x0400, 2 ** -14], [0x7c00, Infinity], [0xfc00, -Infinity],
  ];
  for (const [h, v] of cases) assert.ok(same(halfToNumber(h), v), `0x${h.toString(16)} -> ${halfToNumber(h)}`);
  assert.ok(Number.isNaN(halfToNumber(0x7e00)) && Number.isNaN(halfToNumber(0xfc01)));
  const got = decodeToF64('F16', u16(...cases.map((c) => c[0])));
  cases.forEach(([, v], i) => assert.ok(same(got[i]!, v), `bulk ${i}`));
});

test('F16 all 65536 codes agree with a bit-level conversion, aligned and not, f64 and f32', () => {
  const all = new Uint16Array(65536).map((_, i) => i);
  const raw = bytesOf(all);
  const d64 = decodeToF64('F16', raw);
  const d64u = decodeToF64('F16', unaligned(raw));
  const d32 = decodeToF32('F16', raw);
  for (let i = 0; i < 65536; i++) {
    const v = halfViaBits(i);
    if (!same(d64[i]!, v) || !same(d64u[i]!, v) || !same(d32[i]!, v)) assert.unreachable(`code 0x${i.toString(16)}: ${d64[i]} ${d64u[i]} ${d32[i]} vs ${v}`);
  }
});

test('BF16 known values and all codes', () => {
  const cases: [number, number][] = [
    [0x3f80, 1], [0x4049, 3.140625], [0xc000, -2], [0x7f80, Infinity], [0xff80, -Infinity], [0x8000, -0],
    [0x0001, 2 ** -133], [0x7f7f, 3.3895313892515355e38], [0x3e80, 0.25],
  ];
  for (const [b, v] of cases) assert.ok(same(bf16ToNumber(b), v), `0x${b.toString(16)}`);
  assert.ok(Number.isNaN(bf16ToNumber(0x7fc0)));
  const all = bytesOf(new Uint16Array(65536).map((_, i) => i));
  for (const input of [all, unaligned(all)]) {
    const d32 = decodeToF32('BF16', input);
    const d64 = decodeToF64('BF16', input);
    const bits = new Uint32Array(d32.buffer, d32.byteOffset, d32.length);
    for (let i = 0; i < 65536; i++) {
      if (bits[i] !== ((i << 16) >>> 0) && !Number.isNaN(d32[i]!)) assert.unreachable(`bf16 0x${i.toString(16)}`);
      if (!same(d64[i]!, d32[i]!)) assert.unreachable(`bf16 f64 0x${i.toString(16)}`);
    }
  }
});

test('F8_E4M3 (fn): bias 7, max 448, no infinities, 0x7f/0xff are NaN', () => {
  const cases: [number, number][] = [
    [0x00, 0], [0x80, -0], [0x38, 1], [0x3c, 1.5], [0x40, 2], [0xb8, -1], [0x7e, 448], [0xfe, -448],
    [0x78, 256], [0x01, 2 ** -9], [0x07, 7 * 2 ** -9], [0x08, 2 ** -6], [0x30, 0.5],
  ];
  for (const [b, v] of cases) assert.ok(same(f8e4m3ToNumber(b), v), `0x${b.toString(16)} -> ${f8e4m3ToNumber(b)}`);
  const all = decodeToF64('F8_E4M3', new Uint8Array(256).map((_, i) => i));
  const nans = [...all.keys()].filter((i) => Number.isNaN(all[i]!));
  assert.equal(nans, [0x7f, 0xff]);
  assert.ok(all.every((x) => Number.isNaN(x) || Math.abs(x) <= 448));
  // Monotone over the positive codes.
  for (let i = 1; i < 0x7f; i++) assert.ok(all[i]! > all[i - 1]!, `monotone at ${i}`);
});

test('F8_E5M2: the top byte of a half', () => {
  const cases: [number, number][] = [
    [0x3c, 1], [0xc0, -2], [0x7b, 57344], [0x7c, Infinity], [0xfc, -Infinity], [0x01, 2 ** -16], [0x04, 2 ** -14], [0x80, -0],
  ];
  for (const [b, v] of cases) assert.ok(same(f8e5m2ToNumber(b), v), `0x${b.toString(16)}`);
  const all = decodeToF32('F8_E5M2', new Uint8Array(256).map((_, i) => i));
  assert.equal([...all.keys()].filter((i) => Number.isNaN(all[i]!)), [0x7d, 0x7e, 0x7f, 0xfd, 0xfe, 0xff]);
});

test('I64/U64 round like Python float(int) (ties to even)', () => {
  const i64 = [0n, -1n, 2n ** 53n + 1n, 2n ** 53n + 3n, -(2n ** 53n) - 1n, 2n ** 63n - 1n, -(2n ** 63n), 123456789012345678n];
  const d = decodeToF64('I64', bytesOf(new BigInt64Array(i64)));
  assert.equal([...d], i64.map((x) => Number(x)));
  assert.is(d[2], 2 ** 53); // tie goes to even
  assert.is(d[3], 2 ** 53 + 4);
  assert.is(d[5], 2 ** 63);
  const u64 = [2n ** 64n - 1n, 2n ** 63n, 2n ** 32n + 1n, 0n];
  assert.equal([...decodeToF64('U64', bytesOf(new BigUint64Array(u64)))], u64.map((x) => Number(x)));
  // Random values, aligned and unaligned, against BigInt -> Number.
  let s = 0x9e3779b97f4a7c15n;
  const vals: bigint[] = [];
  for (let i = 0; i < 5000; i++) {
    s = BigInt.asUintN(64, s * 6364136223846793005n + 1442695040888963407n);
    // Vary the magnitude so every rounding regime is hit.
    vals.push(s >> BigInt(i % 64));
  }
  const uraw = bytesOf(new BigUint64Array(vals));
  const iraw = bytesOf(new BigInt64Array(vals.map((v) => BigInt.asIntN(64, v))));
  for (const [dt, raw, conv] of [['U64', uraw, (v: bigint) => v], ['I64', iraw, (v: bigint) => BigInt.asIntN(64, v)]] as const) {
    for (const input of [raw, unaligned(raw)]) {
      const got = decodeToF64(dt, input);
      vals.forEach((v, i) => { if (got[i] !== Number(conv(v))) assert.unreachable(`${dt} ${conv(v)}: ${got[i]}`); });
    }
  }
});

test('small ints, BOOL, F32/F64, unaligned equals aligned for every dtype', () => {
  assert.equal([...decodeToF64('I8', new Uint8Array([0xff, 0x80, 0x7f]))], [-1, -128, 127]);
  assert.equal([...decodeToF64('BOOL', new Uint8Array([0, 1, 2, 255]))], [0, 1, 1, 1]);
  assert.equal([...decodeToF64('I16', bytesOf(new Int16Array([-2, 300])))], [-2, 300]);
  assert.equal([...decodeToF64('U32', bytesOf(new Uint32Array([4294967295])))], [4294967295]);
  assert.equal([...decodeToF64('F32', bytesOf(new Float32Array([0.1])))], [Math.fround(0.1)]);
  assert.equal([...decodeToF64('F64', bytesOf(new Float64Array([0.1, -5e-324])))], [0.1, -5e-324]);
  const raw = new Uint8Array(64).map((_, i) => (i * 37 + 11) & 0xff);
  for (const dt of ST_DTYPES) {
    const a = decodeToF64(dt, raw);
    const b = decodeToF64(dt, unaligned(raw));
    assert.is(a.length, 64 / ST_DTYPE_SIZE[dt]);
    a.forEach((x, i) => assert.ok(same(x, b[i]!), `${dt}[${i}]`));
    if (isF32Exact(dt)) {
      const c = decodeToF32(dt, unaligned(raw));
      a.forEach((x, i) => assert.ok(same(x, c[i]!), `${dt} f32[${i}]`));
    }
  }
});

test('output buffers, misuse', () => {
  const out = new Float64Array(4).fill(7);
  const r = decodeToF64('U8', new Uint8Array([1, 2]), out);
  assert.equal([...r], [1, 2]);
  assert.is(r.buffer, out.buffer);
  assert.is(out[2], 7);
  assert.throws(() => decodeToF64('U8', new Uint8Array(3), new Float64Array(2)), /room for 2/);
  assert.throws(() => decodeToF64('F32', new Uint8Array(6)), /not a whole number of F32 elements/);
  for (const dt of ['F64', 'I32', 'U32', 'I64', 'U64'] as StDtype[]) {
    assert.not.ok(isF32Exact(dt));
    assert.throws(() => decodeToF32(dt, new Uint8Array(8)), /not all exact in float32/);
  }
});

test.run();
