import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { orthonormalMatrix } from '../../src/numeric/householder.js';
import { SplitMix64 } from '../../src/numeric/splitmix64.js';
import { psum } from '../../src/numeric/python.js';
import { loadLinalg } from '../../src/kernels/linalg.js';

await loadLinalg();

function hadamard(prng: SplitMix64, m: number) {
  return () => Array.from({ length: m }, () => ((prng.next() & 1n) === 0n ? 1.0 : -1.0));
}

/** The reference algorithm as written (full QR per candidate), as an oracle. */
function naiveOrthonormal(rows: number, cols: number, gen: () => number[] | null): number[][] {
  const sel: number[][] = [];
  let basis: number[][] | null = null;
  for (;;) {
    const c = gen();
    if (!c) break;
    const vec = Array.from({ length: rows }, (_, i) => (i < c.length ? c[i]! : 0));
    const cand = [...sel, vec];
    const m = rows, n = cand.length;
    const R = Array.from({ length: m }, (_, i) => cand.map((col) => col[i]!));
    const Q = Array.from({ length: m }, (_, i) => Array.from({ length: m }, (_, j) => (i === j ? 1 : 0)));
    const diag: number[] = [];
    for (let k = 0; k < Math.min(m, n); k++) {
      let nx = 0; for (let i = k; i < m; i++) nx += R[i]![k]! * R[i]![k]!;
      nx = Math.sqrt(nx);
      if (nx < 1e-12) { diag.push(0); continue; }
      const x0 = R[k]![k]!; const alpha = (x0 >= 0 ? -1 : 1) * nx;
      const v = new Array(m).fill(0); v[k] = x0 - alpha; for (let i = k + 1; i < m; i++) v[i] = R[i]![k]!;
      const nv = Math.sqrt(psum(v.slice(k).map((x) => x * x)));
      if (nv < 1e-12) { diag.push(0); continue; }
      const iv = 1 / nv; for (let i = k; i < m; i++) v[i] *= iv;
      for (let j = k; j < n; j++) { let d = 0; for (let i = k; i < m; i++) d += v[i] * R[i]![j]!; for (let i = k; i < m; i++) R[i]![j] -= 2 * v[i] * d; }
      for (let j = 0; j < m; j++) { let d = 0; for (let i = k; i < m; i++) d += v[i] * Q[i]![j]!; for (let i = k; i < m; i++) Q[i]![j] -= 2 * v[i] * d; }
      diag.push(R[k]![k]!);
    }
    if (n - 1 >= diag.length) throw new Error('exceed');
    if (Math.abs(diag[n - 1]!) <= 1e-12) continue;
    sel.push(vec); basis = Q;
    if (sel.length === cols) break;
  }
  if (sel.length < cols || !basis) throw new Error('insufficient');
  return Array.from({ length: rows }, (_, j) => Array.from({ length: cols }, (_, c) => basis![c]![j]!));
}

const BASES = [{ name: 'kernel', useKernel: true }, { name: 'TypeScript', useKernel: false }] as const;

test('orthonormal(4, 2, hadamard(SplitMix64(7))) matches the reference vector (kernel and TypeScript bases)', () => {
  for (const b of BASES) {
    const out = orthonormalMatrix(4, 2, hadamard(new SplitMix64(7n), 4), b);
    assert.equal([...out], EXPECTED_4x2, b.name);
  }
});

const EXPECTED_4x2 = [-0.5000000000000007, 0.2886751345948131, 0.5000000000000001, -0.28867513459481264,
    0.5000000000000001, 0.8660254037844382, -0.5000000000000001, 0.2886751345948128];

test('incremental QR is bit-identical to the full recomputation', () => {
  let seed = 1n;
  for (let trial = 0; trial < 60; trial++) {
    const rows = 3 + (trial % 13);
    const cols = 1 + (trial % Math.min(rows, 6));
    const mk = () => {
      const prng = new SplitMix64(seed);
      let produced = 0;
      return () => {
        if (produced++ > 40) return null;
        // mix dependent and independent columns
        return Array.from({ length: rows }, (_, i) => (produced % 3 === 0 ? i * 0.5 : Number(prng.next() % 1000n) / 7 - 70));
      };
    };
    seed++;
    const want = naiveOrthonormal(rows, cols, mk()).flat();
    for (const b of BASES) assert.equal([...orthonormalMatrix(rows, cols, mk(), b)], want, `${b.name}: rows ${rows} cols ${cols}`);
  }
});

test('empty and exhausted inputs (kernel and TypeScript bases)', () => {
  for (const b of BASES) {
    assert.is(orthonormalMatrix(0, 2, () => [1], b).length, 0);
    assert.throws(() => orthonormalMatrix(3, 2, (() => { let n = 0; return () => (n++ < 1 ? [1, 0, 0] : null); })(), b), /insufficient/);
    assert.throws(() => orthonormalMatrix(2, 3, (() => { let n = 0; return () => [n++, 1]; })(), b), /exceed row count/);
  }
});

test('zero, repeated and padded columns are skipped or padded alike by both bases', () => {
  const cols = [[0, 0, 0, 0, 0], [1, 2, 3], [2, 4, 6], [1, 2, 3, 0, 0], [5, -1, 0.5, 2, 9, 99], [1e-13, 0, 0, 0, 0], [0, 0, 0, 0, 1e-5], [0, 0, 0, 1, -1]];
  const gen = () => { let i = 0; return () => (i < cols.length ? cols[i++]! : null); };
  const want = naiveOrthonormal(5, 3, gen()).flat();
  for (const b of BASES) assert.equal([...orthonormalMatrix(5, 3, gen(), b)], want, b.name);
});

test.run();
