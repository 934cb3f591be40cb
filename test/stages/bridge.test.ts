// The bridge's folds run in the linalg kernel (stored F32 widened there) or, without
// it, in TypeScript: both must give the same records and layer seeds, and the seeds
// must hash the f64 bytes the TypeScript decoder gives (NaN payloads, infinities,
// subnormals and -0 included: attention tensors are only hashed, so they may hold any value).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadLinalg } from '../../src/kernels/linalg.js';
import { decodeToF64 } from '../../src/io/tensor-decode.js';
import { first64OfDigest, newSha256 } from '../../src/format/hash.js';
import { TensorSet } from '../../src/model/tensors.js';
import type { LayerSpec } from '../../src/model/layer-plan.js';
import type { StDtype } from '../../src/io/safetensors.js';
import { bridgeRecords, type BridgeResult } from '../../src/stages/bridge.js';
import { SplitMix64 } from '../../src/numeric/splitmix64.js';
import { MemoryStore } from '../helpers/memory-store.js';

test.before(async () => { await loadLinalg(); });

const SPECIAL = [0x7f800001, 0xff800001, 0x7fc00000, 0xffc00000, 0x7fa5a5a5, 0x7fffffff, 0x7f800000, 0xff800000, 0x00000001, 0x807fffff, 0x80000000, 0x00000000];

/** `n` finite f32 (small exponents, both signs), with `special` bit patterns spread over the first ones. */
function f32Bytes(n: number, seed: bigint, special: readonly number[] = []): Uint8Array {
  const p = new SplitMix64(seed);
  const u = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    p.nextHalves();
    u[i] = ((p.outLo & 0x807fffff) | (((p.outHi & 7) + 120) << 23)) >>> 0;
  }
  special.forEach((b, i) => { if (i * 5 < n) u[i * 5] = b; });
  return new Uint8Array(u.buffer);
}

/** F32 bytes as BF16 (the top halves). */
function toBf16(f32: Uint8Array): Uint8Array {
  const u = new Uint32Array(f32.buffer, f32.byteOffset, f32.length / 4);
  return new Uint8Array(Uint16Array.from(u, (x) => x >>> 16).buffer);
}

interface Spec { d: number; hid: number; w1Cols: number; layers: number; ffn: StDtype }

/** A checkpoint of `layers` layers; attention tensors hold every special f32, the FFN tensors finite values, subnormals and -0. */
function checkpoint(s: Spec): { tensors: TensorSet; layers: LayerSpec[]; store: MemoryStore } {
  const store = new MemoryStore();
  const layers: LayerSpec[] = [];
  const ffn = (name: string, shape: number[], seed: bigint) => {
    const b = f32Bytes(shape.reduce((a, x) => a * x, 1), seed, [0x80000000, 0x00000001, 0x807fffff]);
    store.add(name, s.ffn, shape, s.ffn === 'BF16' ? toBf16(b) : b);
  };
  for (let l = 0; l < s.layers; l++) {
    const n = (r: string) => `l${l}.${r}`;
    for (const r of ['q', 'k', 'v', 'o']) store.add(n(r), 'F32', [s.d, s.d], f32Bytes(s.d * s.d, BigInt(l * 10 + r.charCodeAt(0)), SPECIAL));
    ffn(n('w1'), [s.hid, s.w1Cols], BigInt(l * 10 + 1));
    ffn(n('w2'), [s.d, s.hid], BigInt(l * 10 + 2));
    ffn(n('b1'), [s.hid], BigInt(l * 10 + 3));
    ffn(n('b2'), [s.d], BigInt(l * 10 + 4));
    layers.push({ name: `layer${l}`, w_q: n('q'), w_k: n('k'), w_v: n('v'), w_o: n('o'), w1: n('w1'), w2: n('w2'), b1: n('b1'), b2: l % 2 ? null : n('b2') });
  }
  return { tensors: new TensorSet(store), layers, store };
}

/** A layer seed as the reference defines it: sha256 of every tensor's decoded f64 bytes (BF16: its stored bytes), in order. */
function expectedSeed(store: MemoryStore, l: LayerSpec): bigint {
  const h = newSha256();
  for (const name of [l.w_q, l.w_k, l.w_v, l.w_o, l.w1, l.w2, l.b1, l.b2]) {
    if (name === null) continue;
    const info = store.get(name)!;
    const raw = store.read(info);
    h.update(info.dtype === 'BF16' ? raw : new Uint8Array(decodeToF64(info.dtype, raw).buffer));
  }
  return first64OfDigest(new Uint8Array(h.digest()));
}

const hex = (r: BridgeResult) => r.arrays.map((a) => Buffer.from(a.payload.buffer, a.payload.byteOffset, a.payload.byteLength).toString('hex'));
const meta = (r: BridgeResult, key: string) => r.metadata.get(key);

for (const spec of [
  { d: 32, hid: 48, w1Cols: 32, layers: 2, ffn: 'F32' },
  { d: 32, hid: 40, w1Cols: 7, layers: 3, ffn: 'F32' }, // W1 rows narrower than the features: column f mod 7
  { d: 24, hid: 37, w1Cols: 40, layers: 2, ffn: 'BF16' },
] as Spec[]) {
  for (const vocab of [spec.d * 3, spec.d - 5]) {
    test(`bridgeRecords: kernel and TypeScript folds agree, seeds hash the decoder's bytes (d ${spec.d}, W1 ${spec.hid}×${spec.w1Cols} ${spec.ffn}, vocab ${vocab})`, () => {
      const { tensors, layers, store } = checkpoint(spec);
      const view = { layers, tensors, dModel: spec.d };
      const k = bridgeRecords(view, vocab);
      const ts = bridgeRecords(view, vocab, { useKernel: false });
      assert.ok(k.enabled);
      assert.equal(hex(k), hex(ts));
      assert.equal(meta(k, 'layer_seeds'), meta(ts, 'layer_seeds'));
      assert.equal(meta(k, 'layer_seeds'), layers.map((l) => expectedSeed(store, l)));
      assert.equal(meta(k, 'in_scales'), meta(ts, 'in_scales'));
      assert.equal(meta(k, 'out_scales'), meta(ts, 'out_scales'));
      assert.equal(meta(k, 'seed'), meta(ts, 'seed'));
    });
  }
}

test('bridgeRecords: a NaN or an infinity in the FFN weights fails the same way in the kernel and in TypeScript', () => {
  for (const [tensor, bits] of [['l0.w2', 0x7fc00001], ['l0.w1', 0xff800000], ['l0.w2', 0x7f800000]] as const) {
    const spec: Spec = { d: 16, hid: 20, w1Cols: 16, layers: 1, ffn: 'F32' };
    const { layers, store } = checkpoint(spec);
    const info = store.get(tensor)!;
    const b = new Uint8Array(store.read(info));
    new DataView(b.buffer).setUint32(4 * 17, bits, true);
    store.add(tensor, 'F32', [...info.shape], b);
    const run = (useKernel: boolean) => {
      try {
        bridgeRecords({ layers, tensors: new TensorSet(store), dModel: 16 }, 40, { useKernel });
        return 'no error';
      } catch (e) {
        return (e as Error).message;
      }
    };
    const msg = run(true);
    assert.match(msg, /NaN|infinity/, `${tensor}: ${msg}`);
    assert.is(run(false), msg);
  }
});

test.run();
