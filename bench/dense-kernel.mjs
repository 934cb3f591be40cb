// The dense collapse kernel alone: ms per layer of one layer's FFN collapse
// (W1 already in the kernel's memory → the weight of every key and the residual
// records), on pseudo-random data, through the raw exports of build/dense.wasm.
// Another build of the kernel can run side by side (--vs other.wasm): both get
// the same inputs, rounds alternate between them, each round a fresh instance
// (as in a conversion: layer 0 pays the first touch of the scratch), the outputs
// are compared byte for byte (weights and records) and the ratio is printed.
// Builds from before the strips (exports transpose/transposeF32 and a d × hid
// transposed copy) are driven through their own ABI.
//
//   npm run build:wasm && node bench/dense-kernel.mjs [--vs /tmp/old/dense.wasm]
//     [--hid 2048] [--d 512] [--k 8] [--layers 4] [--rounds 7] [--f64] [--grid] [--chunk-keys N]
//
// --f64: W1 given as f64 (the decoded path) instead of raw f32; --grid: values
// on a coarse grid (many exact score ties, zeros, -0); --chunk-keys: keys per
// collapseKeys call (default: the wrapper's, 2 MiB of records).
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { median } from './measure.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const HID = Number(opt('hid', 2048));
const D = Number(opt('d', 512));
const COLS = D;
const K = Number(opt('k', 8));
const LAYERS = Number(opt('layers', 4));
const ROUNDS = Number(opt('rounds', 7));
const F32 = !args.includes('--f64');
const GRID = args.includes('--grid');
const paths = [fileURLToPath(new URL('../build/dense.wasm', import.meta.url))];
if (opt('vs')) paths.push(opt('vs'));

// the wrapper's chunking (src/kernels/dense.ts): records of a chunk of keys fit 2 MiB
const KEYS_PER_CHUNK = opt('chunk-keys') ? Number(opt('chunk-keys')) : Math.max(1, Math.min(D, Math.floor((2 * 1024 * 1024) / Math.max(16, HID * 16))));

// deterministic inputs (xorshift32)
let seed = 0x2545f491;
const rnd = () => {
  seed ^= seed << 13; seed >>>= 0;
  seed ^= seed >>> 17;
  seed ^= seed << 5; seed >>>= 0;
  return seed / 2 ** 32;
};
const value = () => (GRID ? [-0, -0.5, -0.25, 0, 0.25, 0.5, 0.75][Math.floor(rnd() * 7)] : (rnd() - 0.5) * 0.2);
const layers = [];
for (let li = 0; li < LAYERS; li++) {
  const w1 = new Float32Array(HID * COLS);
  for (let i = 0; i < w1.length; i++) w1[i] = value();
  const cab = new Float64Array(HID);
  const sg = new Float64Array(HID);
  for (let h = 0; h < HID; h++) {
    cab[h] = GRID ? Math.floor(rnd() * 4) : rnd() * 30;
    const s = rnd();
    sg[h] = s < 0.02 ? 0 : s < 0.51 ? -1 : 1;
  }
  layers.push({ w1, w1f64: F32 ? null : Float64Array.from(w1), cab, sg });
}

const align = (x) => Math.ceil(x / 64) * 64;

/** A kernel build: its module and how to drive one layer through its exports. */
function build(path) {
  const mod = new WebAssembly.Module(readFileSync(path));
  const names = WebAssembly.Module.exports(mod).map((e) => e.name);
  const strips = !names.includes('transpose');
  return { path, mod, abi: strips ? 'strips' : 'transpose' };
}

/** A fresh instance with the wrapper's regions for one layer. */
function instance(b) {
  const inst = new WebAssembly.Instance(b.mod, { env: { abort() { throw new Error('abort'); } } });
  const e = inst.exports;
  e._initialize?.();
  const sizes = [
    ['w1', HID * COLS * 8],
    ...(b.abi === 'strips' ? [['strip', Number(e.stripBytes(HID))]] : [['wT', D * HID * 8]]),
    ['cab', HID * 8], ['sg', HID * 8], ['eff', KEYS_PER_CHUNK * 8], ['rec', (KEYS_PER_CHUNK * HID + 1) * 16],
    ['top', 64 * 4 + 64 * 8 + 64], ...(b.abi === 'strips' ? [] : [['flag', HID]]),
  ];
  const base = align(e.HEAP_BASE() >>> 0);
  const at = {};
  let end = base;
  for (const [name, size] of sizes) { at[name] = end; end = align(end + size); }
  const mem = e.memory;
  if (end > mem.buffer.byteLength) mem.grow(Math.ceil((end - mem.buffer.byteLength) / 65536));
  return { e, mem, at };
}

/** One layer: returns the kernel time (ms) and feeds each chunk of records / weights to `out` (untimed). */
function runLayer(b, ctx, li, out) {
  const { e, mem, at } = ctx;
  const L = layers[li];
  if (F32) new Float32Array(mem.buffer, at.w1, HID * COLS).set(L.w1);
  else new Float64Array(mem.buffer, at.w1, HID * COLS).set(L.w1f64);
  new Float64Array(mem.buffer, at.cab, HID).set(L.cab);
  new Float64Array(mem.buffer, at.sg, HID).set(L.sg);
  let ms = 0;
  let t = performance.now();
  if (b.abi === 'transpose') {
    (F32 ? e.transposeF32 : e.transpose)(at.w1, HID, COLS, D, at.wT);
    ms += performance.now() - t;
  }
  for (let j0 = 0; j0 < D; j0 += KEYS_PER_CHUNK) {
    const j1 = Math.min(D, j0 + KEYS_PER_CHUNK);
    t = performance.now();
    const n = b.abi === 'transpose'
      ? e.collapseKeys(at.wT, HID, j0, j1, at.cab, at.sg, K, at.eff, at.rec, li, at.top, at.flag)
      : (F32 ? e.collapseKeysF32 : e.collapseKeys)(at.w1, COLS, HID, j0, j1, at.strip, at.cab, at.sg, K, at.eff, at.rec, li, at.top);
    ms += performance.now() - t;
    if (out) {
      if (n < 0) { out(`overflow ${-1 - n}`); break; }
      out(new Uint8Array(mem.buffer, at.eff, (j1 - j0) * 8));
      out(new Uint8Array(mem.buffer, at.rec, n * 16));
    }
  }
  return ms;
}

const builds = paths.map(build);
console.log(`dense kernel: hid ${HID}, d ${D}, k ${K}, ${LAYERS} layers, ${F32 ? 'f32' : 'f64'} input${GRID ? ', grid values' : ''}, ${ROUNDS} rounds`);

// outputs first (untimed): every layer's weights and records, hashed per build
const digests = builds.map((b) => {
  const ctx = instance(b);
  const h = createHash('sha256');
  let bytes = 0;
  for (let li = 0; li < LAYERS; li++) runLayer(b, ctx, li, (x) => { if (typeof x === 'string') h.update(x); else { h.update(x); bytes += x.length; } });
  return { hex: h.digest('hex'), bytes };
});

const times = builds.map(() => []);
for (let r = 0; r < ROUNDS; r++) {
  const order = r % 2 ? [...builds.keys()].reverse() : [...builds.keys()];
  for (const i of order) {
    const ctx = instance(builds[i]);
    let ms = 0;
    for (let li = 0; li < LAYERS; li++) ms += runLayer(builds[i], ctx, li, null);
    times[i].push(ms / LAYERS);
  }
}
builds.forEach((b, i) => {
  console.log(`${b.path} (${b.abi}): median ${median(times[i]).toFixed(2)} ms/layer  [${times[i].map((x) => x.toFixed(2)).join(' ')}]  output ${digests[i].bytes} bytes sha256 ${digests[i].hex.slice(0, 16)}`);
});
if (builds.length > 1) {
  console.log(`ratio ${builds[1].path} / ${builds[0].path}: ${(median(times[1]) / median(times[0])).toFixed(2)}×`);
  const same = digests[0].hex === digests[1].hex;
  console.log(same ? 'outputs identical' : 'OUTPUTS DIFFER');
  if (!same) process.exitCode = 1;
}
