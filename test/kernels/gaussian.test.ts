// The gaussian kernel: its glibc log/sin/cos equal the golden vectors (sin/cos in
// the kernel's range), and its gaussian rows equal the TypeScript port's values
// and leave the generator in the same state.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { records, same, hex } from '../numeric/libm-fixtures.js';
import { gaussianRows, gaussianRowsWasm, loadGaussian, wasmLibm } from '../../src/kernels/gaussian.js';
import { gaussianVector } from '../../src/numeric/gaussian.js';
import { SplitMix64 } from '../../src/numeric/splitmix64.js';

test.before(async () => { await loadGaussian(); });

function check(name: string, f: (x: number) => number, rec: Float64Array, stride: number, col: number, keep: (x: number) => boolean): number {
  const bad: string[] = [];
  let n = 0;
  for (let i = 0; i < rec.length; i += stride) {
    const x = rec[i]!;
    if (!keep(x)) continue;
    n++;
    const want = rec[i + col]!, got = f(x);
    if (!same(got, want)) bad.push(`${name}(${x} [${hex(x)}]) = ${got} [${hex(got)}], glibc ${want} [${hex(want)}]`);
  }
  assert.is(bad.length, 0, `${bad.length} of ${n} differ from glibc:\n${bad.slice(0, 8).join('\n')}`);
  return n;
}

test('wasm log equals glibc on every golden vector', () => {
  const n = check('log', wasmLibm().log, records('libm-log.bin.gz'), 2, 1, () => true);
  assert.ok(n >= 19000, `${n} vectors`);
});

test('wasm sin and cos equal glibc on every golden vector below 105414336', () => {
  const rec = records('libm-sincos.bin.gz');
  const inRange = (x: number) => !(Math.abs(x) >= 105414336) || !Number.isFinite(x);
  const { sin, cos } = wasmLibm();
  const n = check('sin', sin, rec, 3, 1, inRange);
  check('cos', cos, rec, 3, 2, inRange);
  assert.ok(n >= 10000, `${n} vectors in range`);
});

test('wasm fma equals C fma() on every golden vector (the rare exact cases go to the imported BigInt path)', () => {
  const r = records('libm-fma.bin.gz');
  const { fma } = wasmLibm();
  const bad: string[] = [];
  for (let i = 0; i < r.length; i += 4) {
    const got = fma(r[i]!, r[i + 1]!, r[i + 2]!);
    if (!same(got, r[i + 3]!)) bad.push(`fma(${r[i]}, ${r[i + 1]}, ${r[i + 2]}) = ${got}, C says ${r[i + 3]}`);
  }
  assert.ok(r.length / 4 > 10000);
  assert.is(bad.length, 0, bad.slice(0, 8).join('\n'));
});

test('gaussian rows equal gaussian_vector row by row, and the generator ends in the same state', () => {
  for (const [seed, rows, length] of [[0n, 1, 2], [1n, 3, 7], [0xdeadbeefcafebaben, 64, 512], [42n, 5, 0], [7n, 0, 9], [2n ** 64n - 1n, 2, 1]] as const) {
    const a = new SplitMix64(seed), b = new SplitMix64(seed);
    const got = gaussianRowsWasm(a, rows, length);
    assert.is(got.length, rows * length);
    for (let r = 0; r < rows; r++) {
      const want = gaussianVector(b, length);
      for (let i = 0; i < length; i++) {
        assert.ok(same(got[r * length + i]!, want[i]!), `seed ${seed} row ${r} [${i}]: ${got[r * length + i]} vs ${want[i]}`);
      }
    }
    assert.is(a.next(), b.next(), `seed ${seed}: generator state after ${rows}×${length}`);
  }
});

test('spec vector (ALGORITHMS.md §17): the first pair of seed 0', () => {
  const g = gaussianRows(new SplitMix64(0n), 1, 2);
  assert.is(g[0], -0.4527577402174582);
  assert.is(g[1], 0.20776603893419202);
});

test.run();
