// MXFP4 codec throughput: plain TS loop vs wasm scalar vs wasm SIMD, one run,
// printed as a markdown table. Decode is counted in f32 output bytes/s, encode
// in f32 input bytes/s (1 MB = 1e6 bytes). Runtime-neutral (Node, Deno, Bun):
// only the WebAssembly API, performance.now() and the package's dist/ files.
//
//   npm run build && node bench/mxfp4.mjs [--mib 64] [--seconds 0.4]
//
// "end-to-end" rows go through the public wrappers (copy into wasm memory,
// kernel, copy out, chunked); "kernel only" rows call the raw export on data
// already in wasm memory, i.e. the codec's own speed without the copies.
import { decodeMxfp4Ts, encodeMxfp4Ts } from '../dist/src/kernels/mxfp4-ts.js';
import { loadMxfp4, decodeMxfp4Into, encodeMxfp4Into } from '../dist/src/kernels/mxfp4.js';
import { kernel } from '../dist/src/kernels/wasm.js';

const args = globalThis.process?.argv ?? globalThis.Deno?.args ?? [];
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const MIB = opt('mib', 64); // f32 bytes per pass (decode output / encode input)
const SECONDS = opt('seconds', 0.4); // per measurement round
const ROUNDS = 3;

const nValues = (MIB * 1024 * 1024) / 4;
const nBlocks = nValues / 32;

// Deterministic pseudo-random input (xorshift32), realistic scale range.
let seed = 0x9e3779b9;
const rnd = () => {
  seed ^= seed << 13; seed >>>= 0;
  seed ^= seed >>> 17;
  seed ^= seed << 5; seed >>>= 0;
  return seed;
};
const blocks = new Uint8Array(nBlocks * 16);
for (let i = 0; i < blocks.length; i++) blocks[i] = rnd() & 0xff;
const scales = new Uint8Array(nBlocks);
for (let i = 0; i < nBlocks; i++) scales[i] = 110 + (rnd() % 20);
const values = new Float32Array(nValues);
for (let i = 0; i < nValues; i++) values[i] = ((rnd() / 2 ** 32) - 0.5) * 2 ** ((rnd() % 16) - 8);

const outF32 = new Float32Array(nValues);
const encBlocks = new Uint8Array(nBlocks * 16);
const encScales = new Uint8Array(nBlocks);

/** Best throughput (MB/s) over ROUNDS rounds of >= SECONDS each. */
function measure(fn, bytesPerCall) {
  fn(); // warm-up / JIT
  let best = 0;
  for (let r = 0; r < ROUNDS; r++) {
    let calls = 0;
    const t0 = performance.now();
    let t = t0;
    do {
      fn();
      calls++;
      t = performance.now();
    } while (t - t0 < SECONDS * 1000);
    best = Math.max(best, (calls * bytesPerCall) / ((t - t0) / 1000) / 1e6);
  }
  return best;
}

await loadMxfp4();
const k = await kernel('mxfp4');
const e = k.exports;

// Kernel-only setup: inputs and outputs resident in wasm memory (a private
// region after the wrapper's scratch would be overwritten by it, so these rows
// run last and reuse the scratch itself).
function kernelOnlyDecode(fnName) {
  const chunk = Math.min(nBlocks, (4 * 1024 * 1024) / 128);
  const base = k.scratch(chunk * (128 + 17));
  const out = base;
  const bp = base + chunk * 128;
  const sp = bp + chunk * 16;
  k.u8.set(blocks.subarray(0, chunk * 16), bp);
  k.u8.set(scales.subarray(0, chunk), sp);
  const f = e[fnName];
  return { run: () => f(bp, sp, chunk, out), bytes: chunk * 128 };
}
function kernelOnlyEncode(fnName) {
  const chunk = Math.min(nBlocks, (4 * 1024 * 1024) / 128);
  const base = k.scratch(chunk * (128 + 17));
  const vp = base;
  const bp = base + chunk * 128;
  const sp = bp + chunk * 16;
  k.f32(vp, chunk * 32).set(values.subarray(0, chunk * 32));
  const f = e[fnName];
  return { run: () => f(vp, chunk * 32, bp, sp), bytes: chunk * 128 };
}

const bytes = nValues * 4;
const rows = [];
const dTs = measure(() => decodeMxfp4Ts(blocks, scales, outF32), bytes);
rows.push(['decode → f32', 'plain TS loop', dTs, dTs]);
rows.push(['decode → f32', 'wasm scalar (end-to-end)', measure(() => decodeMxfp4Into(blocks, scales, outF32, { simd: false }), bytes), dTs]);
rows.push(['decode → f32', 'wasm SIMD (end-to-end)', measure(() => decodeMxfp4Into(blocks, scales, outF32, { simd: true }), bytes), dTs]);
const eTs = measure(() => encodeMxfp4Ts(values, encBlocks, encScales), bytes);
rows.push(['encode f32 →', 'plain TS loop', eTs, eTs]);
rows.push(['encode f32 →', 'wasm scalar (end-to-end)', measure(() => encodeMxfp4Into(values, encBlocks, encScales, { simd: false }), bytes), eTs]);
rows.push(['encode f32 →', 'wasm SIMD (end-to-end)', measure(() => encodeMxfp4Into(values, encBlocks, encScales, { simd: true }), bytes), eTs]);
for (const [label, make, fnName, ref] of [
  ['decode → f32', kernelOnlyDecode, 'decodeF32Scalar', dTs],
  ['decode → f32', kernelOnlyDecode, 'decodeF32Simd', dTs],
  ['encode f32 →', kernelOnlyEncode, 'encodeScalar', eTs],
  ['encode f32 →', kernelOnlyEncode, 'encodeSimd', eTs],
]) {
  const { run, bytes: b } = make(fnName);
  const impl = fnName.endsWith('Simd') ? 'SIMD' : 'scalar';
  rows.push([label, `wasm ${impl} (kernel only, 4 MiB in wasm memory)`, measure(run, b), ref]);
}

const runtime = globalThis.Deno ? `Deno ${globalThis.Deno.version.deno}` : globalThis.Bun ? `Bun ${globalThis.Bun.version}` : `Node ${globalThis.process?.version}`;
console.log(`MXFP4 codec, ${runtime}, ${MIB} MiB of f32 per pass (${nBlocks} blocks), best of ${ROUNDS} × ${SECONDS}s, single thread\n`);
console.log('| operation | implementation | MB/s (f32 bytes) | × plain TS |');
console.log('|---|---|---:|---:|');
for (const [op, impl, mbs, ref] of rows) {
  console.log(`| ${op} | ${impl} | ${mbs.toFixed(0)} | ${(mbs / ref).toFixed(1)}× |`);
}
