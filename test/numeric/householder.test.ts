import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { orthonormalMatrix } from '../../src/numeric/householder.js';
import { SplitMix64 } from '../../src/numeric/splitmix64.js';
import { psum } from '../../src/numeric/python.js';

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

test('orthonormal(4, 2, hadamard(SplitMix64(7))) matches the reference vector', () => {
  const out = orthonormalMatrix(4, 2, hadamard(new SplitMix64(7n), 4));
  assert.equal([...out], [-0.5000000000000007, 0.2886751345948131, 0.5000000000000001, -0.28867513459481264,
    0.5000000000000001, 0.8660254037844382, -0.5000000000000001, 0.2886751345948128]);
});

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
    const want = naiveOrthonormal(rows, cols, mk());
    const got = orthonormalMatrix(rows, cols, mk());
    assert.equal([...got], want.flat(), `rows ${rows} cols ${cols}`);
  }
});

test('empty and exhausted inputs', () => {
  assert.is(orthonormalMatrix(0, 2, () => [1]).length, 0);
  assert.throws(() => orthonormalMatrix(3, 2, (() => { let n = 0; return () => (n++ < 1 ? [1, 0, 0] : null); })()), /insufficient/);
  assert.throws(() => orthonormalMatrix(2, 3, (() => { let n = 0; return () => [n++, 1]; })()), /exceed row count/);
});

test.run();
