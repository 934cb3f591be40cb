// The wasm collapse kernels against plain-TypeScript definitions: the reference
// collapse (dense kernel vs the TypeScript path) and the MoE rule (moe kernel vs
// a direct full-sort oracle), on random inputs with many ties.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { collapseFfn } from '../../src/stages/collapse.js';
import { collapseMoeLayer, RESIDUALS_PER_KEY, type MoeParams } from '../../src/stages/collapse-moe.js';
import { FileTensor, MemoryTensor, TensorSet, type RawStore } from '../../src/model/tensors.js';
import { MemoryStore } from '../helpers/memory-store.js';
import { loadDense } from '../../src/kernels/dense.js';
import { loadMoe } from '../../src/kernels/moe.js';
import { loadMph } from '../../src/kernels/mph.js';
import { loadCrc32c } from '../../src/kernels/crc32c.js';
import { SplitMix64 } from '../../src/numeric/splitmix64.js';
import { psum } from '../../src/numeric/python.js';

test.before(async () => { await Promise.all([loadDense(), loadMoe(), loadMph(), loadCrc32c()]); });

const emptyStore: RawStore = { names: () => [], get: () => undefined, read: () => new Uint8Array(0) };

/** Values on a coarse grid (many exact ties), with some negatives, zeros and -0. */
function grid(prng: SplitMix64, n: number): Float64Array {
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const r = Number(prng.next() % 9n);
    v[i] = r === 0 ? -0 : (r - 4) * 0.25;
  }
  return v;
}

test('dense kernel = TypeScript path (weights, bias, residual records) for every top size', async () => {
  const prng = new SplitMix64(11n);
  for (const [d, hid, out] of [[5, 9, 4], [8, 16, 8], [3, 40, 6]] as const) {
    const set = new TensorSet(emptyStore);
    const layers = [0, 1].map((li) => {
      set.set(`w1.${li}`, new MemoryTensor(`w1.${li}`, [hid, d], grid(prng, hid * d)));
      set.set(`w2.${li}`, new MemoryTensor(`w2.${li}`, [out, hid], grid(prng, out * hid)));
      set.set(`b1.${li}`, new MemoryTensor(`b1.${li}`, [hid], grid(prng, hid)));
      set.set(`b2.${li}`, new MemoryTensor(`b2.${li}`, [out], grid(prng, out)));
      return { name: `l${li}`, w_q: '', w_k: '', w_v: '', w_o: '', w1: `w1.${li}`, w2: `w2.${li}`, b1: `b1.${li}`, b2: `b2.${li}` };
    });
    const view = { layers, tensors: set, dModel: d };
    for (const L of [0, 1, 2, 3, 8, hid - 1, hid, hid + 3]) {
      const a = await collapseFfn(view, L, { useKernel: true });
      const b = await collapseFfn(view, L, { useKernel: false });
      for (let i = 0; i < a.arrays.length; i++) assert.equal(a.arrays[i]!.payload, b.arrays[i]!.payload, `${a.arrays[i]!.name} d=${d} hid=${hid} L=${L}`);
    }
  }
});

test('dense kernel on F32 tensors read raw (widened in the kernel) = the TypeScript path', async () => {
  const prng = new SplitMix64(12n);
  const store = new MemoryStore();
  const set = new TensorSet(store);
  const f32 = (name: string, shape: number[], v: Float64Array) => {
    set.set(name, new FileTensor(store, store.add(name, 'F32', shape, new Uint8Array(Float32Array.from(v).buffer))));
  };
  const [d, hid, out] = [7, 33, 5];
  const layers = [0, 1].map((li) => {
    f32(`w1.${li}`, [hid, d + 2], grid(prng, hid * (d + 2))); // wider than d_model: only the first d columns are keys
    f32(`w2.${li}`, [out, hid], grid(prng, out * hid));
    return { name: `l${li}`, w_q: '', w_k: '', w_v: '', w_o: '', w1: `w1.${li}`, w2: `w2.${li}`, b1: null, b2: null };
  });
  const view = { layers, tensors: set, dModel: d };
  for (const L of [0, 1, 8, hid]) {
    const a = await collapseFfn(view, L, { useKernel: true });
    const b = await collapseFfn(view, L, { useKernel: false });
    for (let i = 0; i < a.arrays.length; i++) assert.equal(a.arrays[i]!.payload, b.arrays[i]!.payload, `${a.arrays[i]!.name} L=${L}`);
  }
});

test('dense kernel over full strips of keys and odd unit counts (f64 and raw f32) = the TypeScript path', async () => {
  const prng = new SplitMix64(13n);
  const [d, out] = [37, 4]; // two strips of 16 keys, then 5
  for (const hid of [34, 35]) { // rows left over by the 4- and 2-row tiles, an odd tail for the pairs
    for (const f32 of [false, true]) {
      const store = new MemoryStore();
      const set = new TensorSet(store);
      const put = (name: string, shape: number[], v: Float64Array) => {
        set.set(name, f32 ? new FileTensor(store, store.add(name, 'F32', shape, new Uint8Array(Float32Array.from(v).buffer))) : new MemoryTensor(name, shape, v));
      };
      const layers = [0, 1].map((li) => {
        put(`w1.${li}`, [hid, d + 3], grid(prng, hid * (d + 3)));
        put(`w2.${li}`, [out, hid], grid(prng, out * hid));
        return { name: `l${li}`, w_q: '', w_k: '', w_v: '', w_o: '', w1: `w1.${li}`, w2: `w2.${li}`, b1: null, b2: null };
      });
      const view = { layers, tensors: set, dModel: d };
      for (const L of [0, 1, 3, 8, hid]) {
        const a = await collapseFfn(view, L, { useKernel: true });
        const b = await collapseFfn(view, L, { useKernel: false });
        for (let i = 0; i < a.arrays.length; i++) assert.equal(a.arrays[i]!.payload, b.arrays[i]!.payload, `${a.arrays[i]!.name} hid=${hid} f32=${f32} L=${L}`);
      }
    }
  }
});

/** The message a promise rejects with ('resolved' when it does not). */
async function failure(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return (err as Error).message;
  }
  return 'resolved';
}

test('dense kernel: a residual beyond f32 fails at the first such key (not for top units), ±Infinity and the rounding edge as the TypeScript path', async () => {
  const FLT_MAX = 3.4028234663852886e38;
  const EDGE = (FLT_MAX + 2 ** 128) / 2; // exact; rounds to +Infinity (ties to even)
  const BELOW = EDGE - 2 ** 75; // the double below: rounds to FLT_MAX
  const [d, out] = [5, 3];
  for (const hid of [11, 12]) {
    const cases: [number, [number, number, number][], number | null][] = [
      [0, [[3, 2, EDGE], [1, 4, EDGE]], 2], // the first key with one
      [0, [[3, 2, BELOW], [hid - 1, 1, Infinity], [0, 1, -Infinity], [4, 3, -EDGE]], null], // fits; ±inf stay ±inf; relu(−x) = 0
      [1, [[3, 2, EDGE]], null], // the top unit is no residual
      [2, [[hid - 1, 2, EDGE], [0, 2, EDGE]], null],
      [1, [[hid - 1, 3, EDGE], [0, 3, 2 * EDGE]], 3], // the second largest is a residual (the odd tail when hid is odd)
    ];
    for (const [L, plants, failKey] of cases) {
      const set = new TensorSet(emptyStore);
      const w1 = grid(new SplitMix64(14n), hid * d);
      for (const [h, j, x] of plants) w1[h * d + j] = x;
      set.set('w1', new MemoryTensor('w1', [hid, d], w1));
      set.set('w2', new MemoryTensor('w2', [out, hid], new Float64Array(out * hid).fill(1))); // every sign +1
      const view = { layers: [{ name: 'l0', w_q: '', w_k: '', w_v: '', w_o: '', w1: 'w1', w2: 'w2', b1: null, b2: null }], tensors: set, dModel: d };
      const what = `hid=${hid} L=${L} ${JSON.stringify(plants)}`;
      if (failKey !== null) {
        assert.match(await failure(collapseFfn(view, L, { useKernel: true })), `feature ${failKey}) does not fit a 32-bit float`, what);
        assert.match(await failure(collapseFfn(view, L, { useKernel: false })), 'does not fit a 32-bit float', what);
        continue;
      }
      const a = await collapseFfn(view, L, { useKernel: true });
      const b = await collapseFfn(view, L, { useKernel: false });
      for (let i = 0; i < a.arrays.length; i++) assert.equal(a.arrays[i]!.payload, b.arrays[i]!.payload, `${a.arrays[i]!.name} ${what}`);
    }
  }
});

/** The MoE rule written out directly: full sorts, no streaming. */
function moeOracle(W1: Float64Array, W2: Float64Array, b1: Float64Array, b2: Float64Array, p: MoeParams) {
  const { E, I, H, d, L, prior, limit } = p;
  const units = E * I;
  const sgn = new Float64Array(units), cab = new Float64Array(units);
  for (let e = 0; e < E; e++) for (let o = 0; o < H; o++) for (let h = 0; h < I; h++) {
    const x = W2[(e * H + o) * I + h]!;
    sgn[e * I + h] += x;
    cab[e * I + h] += Math.abs(x);
  }
  const pmax = (a: number, b: number) => (b > a ? b : a);
  const pmin = (a: number, b: number) => (b < a ? b : a);
  const sign = (x: number) => (x > 0 ? 1 : x < 0 ? -1 : 0);
  const weights = new Float64Array(d);
  const recs: [number, number, number][] = [];
  for (let j = 0; j < d; j++) {
    const s: number[] = [], c: number[] = [];
    for (let e = 0; e < E; e++) for (let h = 0; h < I; h++) {
      const u = e * I + h;
      const x = W1[(e * 2 * I + 2 * h) * H + j]!;
      const lin = 1 + pmax(-limit, pmin(b1[e * 2 * I + 2 * h + 1]!, limit));
      s[u] = cab[u]! * Math.abs(x);
      c[u] = (prior * sign(sgn[u]!) * lin) * pmax(0.0, pmin(x, limit));
    }
    const idx = Array.from({ length: units }, (_, u) => u);
    const top = L >= units ? idx : [...idx].sort((a, b) => (s[b]! > s[a]! ? 1 : s[b]! < s[a]! ? -1 : a - b)).slice(0, L);
    let eff = 0.0;
    for (const u of top) eff += c[u]!;
    weights[j] = eff;
    const inTop = new Set(top);
    const cand = idx.filter((u) => !inTop.has(u) && Math.abs(c[u]!) > 0)
      .sort((a, b) => (Math.abs(c[b]!) > Math.abs(c[a]!) ? 1 : Math.abs(c[b]!) < Math.abs(c[a]!) ? -1 : a - b))
      .slice(0, RESIDUALS_PER_KEY).sort((a, b) => a - b);
    for (const u of cand) recs.push([j, u, Math.fround(c[u]!)]);
  }
  const terms = new Float64Array(E);
  for (let e = 0; e < E; e++) {
    const relu = Array.from({ length: I }, (_, h) => pmax(0.0, b1[e * 2 * I + 2 * h]!));
    terms[e] = prior * (psum(b2, e * H, (e + 1) * H) + psum(relu));
  }
  return { weights, recs, bias: psum(terms) };
}

test('moe kernel = the rule written out with full sorts', () => {
  const prng = new SplitMix64(5n);
  for (const [E, I, H, L] of [[2, 3, 5, 2], [3, 4, 6, 0], [4, 5, 7, 5], [2, 2, 4, 8], [3, 6, 9, 12]] as const) {
    const W1 = grid(prng, E * 2 * I * H), W2 = grid(prng, E * H * I), b1 = grid(prng, E * 2 * I), b2 = grid(prng, E * H);
    const p: MoeParams = { E, I, H, d: H, L, prior: 2 / E, limit: 0.5 };
    const out = collapseMoeLayer({
      W1: new MemoryTensor('w1', [E, 2 * I, H], W1), W2: new MemoryTensor('w2', [E, H, I], W2),
      B1: new MemoryTensor('b1', [E, 2 * I], b1), B2: new MemoryTensor('b2', [E, H], b2),
    }, 0, p);
    const want = moeOracle(W1, W2, b1, b2, p);
    assert.equal([...out.weights], [...want.weights], `weights E${E} I${I} H${H} L${L}`);
    assert.is(out.bias, want.bias);
    const got: [number, number, number][] = [];
    const v = new DataView(out.records.buffer, out.records.byteOffset);
    for (let i = 0; i < out.records.length / 16; i++) got.push([v.getUint32(i * 16, true), v.getUint32(i * 16 + 8, true), v.getFloat32(i * 16 + 12, true)]);
    assert.equal(got, want.recs, `records E${E} I${I} H${H} L${L}`);
  }
});

test.run();
