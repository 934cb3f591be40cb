// Checks the libm ports (dist/src/numeric/libm, and the gaussian wasm kernel's
// log/sin/cos/fma) against the host's glibc, live, on millions of pseudo-random
// inputs per function, then times the TypeScript port against V8's Math.*. The
// oracle is python3's math.log/sin/cos (plain calls into libm.so.6) and ctypes'
// fma; it is only meaningful on x86_64 Linux with glibc 2.36 and an
// FMA+AVX2 CPU (where glibc picks __log_fma/__sin_fma/__cos_fma).
//
//   npm run build && node bench/libm-verify.mjs [--millions 2] [--seed 1]   (needs dist/ and build/gaussian.wasm)
//
// Prints one line per input distribution (mismatches / inputs) and the speed
// table; exits 1 on any mismatch.
import { spawnSync } from 'node:child_process';
import { fma, log, sin, cos } from '../dist/src/numeric/libm/index.js';
import { SplitMix64 } from '../dist/src/numeric/splitmix64.js';
import { loadGaussian, wasmLibm } from '../dist/src/kernels/gaussian.js';

await loadGaussian();
const wasm = wasmLibm();
/** The kernel's sin/cos cover |x| < 105414336 (its callers' angles are below 2π). */
const wasmCovers = (name, x) => name === 'log' || !(Math.abs(x) >= 105414336) || !Number.isFinite(x);

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const N = Math.round(opt('millions', 2) * 1e6);
const rng = new SplitMix64(BigInt(opt('seed', 1)));

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer); // little-endian hosts only (x86_64)
const unit = () => rng.nextUnit();
/** A double from random bits with the biased exponent in [emin, emax]. */
function bitsDouble(emin, emax, signed) {
  rng.nextHalves();
  const e = emin + Math.floor(unit() * (emax - emin + 1));
  u32[0] = rng.outLo;
  u32[1] = ((signed && rng.outHi >>> 31 ? 0x80000000 : 0) | (e << 20) | (rng.outHi & 0xfffff)) >>> 0;
  return f64[0];
}
const fill = (n, f) => { const a = new Float64Array(n); for (let i = 0; i < n; i++) a[i] = f(); return a; };

const TWO_PI = 2.0 * Math.PI;
const distributions = {
  log: {
    'uniform (0,1), clamped like gaussian u': () => Math.min(Math.max(unit(), 2 ** -52), 1 - 2 ** -52),
    'random bits, all positive finite': () => bitsDouble(0, 2046, false) || 5e-324,
    'near 1 (close-to-1 branch)': () => 0.9375 + unit() * 0.127197265625,
    'subnormals': () => bitsDouble(0, 0, false) || 5e-324,
  },
  sin: {
    '[0, 2pi) as the sampler draws it': () => TWO_PI * unit(),
    'tiny 1e-9..1 log-uniform': () => 10 ** (-9 * unit()),
    'random bits |x| < 2^27, both signs': () => bitsDouble(0x3c0, 0x419, true),
    'random bits huge (branred), both signs': () => bitsDouble(0x41a, 0x7fe, true),
  },
};
distributions.cos = distributions.sin;

// python3 reads n doubles from stdin and writes f(x) for each.
function oracle(name, xs) {
  const code = name === 'fma'
    ? `import sys, ctypes, ctypes.util
from array import array
m = ctypes.CDLL(ctypes.util.find_library('m')); f = m.fma
f.restype = ctypes.c_double; f.argtypes = [ctypes.c_double] * 3
a = array('d'); a.frombytes(sys.stdin.buffer.read())
sys.stdout.buffer.write(array('d', [f(a[i], a[i+1], a[i+2]) for i in range(0, len(a), 3)]).tobytes())`
    : `import sys, math
from array import array
a = array('d'); a.frombytes(sys.stdin.buffer.read())
sys.stdout.buffer.write(array('d', map(math.${name}, a)).tobytes())`;
  const r = spawnSync('python3', ['-c', code], { input: new Uint8Array(xs.buffer), maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`python3 oracle for ${name} failed: ${r.stderr}`);
  const out = r.stdout;
  return new Float64Array(out.buffer.slice(out.byteOffset, out.byteOffset + out.length));
}

const same = (x, y) => Object.is(x, y) || (Number.isNaN(x) && Number.isNaN(y));
let totalBad = 0;
const ours = { log, sin, cos };
const timingInputs = {};

for (const name of ['log', 'sin', 'cos']) {
  for (const [label, gen] of Object.entries(distributions[name])) {
    const xs = fill(N, gen);
    const want = oracle(name, xs);
    let bad = 0, vsMath = 0, badWasm = 0, nWasm = 0;
    const fn = ours[name], mf = Math[name], wf = wasm[name];
    for (let i = 0; i < N; i++) {
      const got = fn(xs[i]);
      if (!same(got, want[i])) {
        if (bad < 5) console.log(`  MISMATCH ${name}(${xs[i]}): glibc ${want[i]}, ours ${got}`);
        bad++;
      }
      if (wasmCovers(name, xs[i])) {
        nWasm++;
        const w = wf(xs[i]);
        if (!same(w, want[i])) {
          if (badWasm < 5) console.log(`  MISMATCH wasm ${name}(${xs[i]}): glibc ${want[i]}, kernel ${w}`);
          badWasm++;
        }
      }
      if (!same(mf(xs[i]), want[i])) vsMath++;
    }
    totalBad += bad + badWasm;
    console.log(`${name.padEnd(4)} ${label.padEnd(42)} ${bad} / ${N} mismatches, wasm ${nWasm ? `${badWasm} / ${nWasm}` : 'n/a (out of its range)'} (Math.${name} differs on ${(100 * vsMath / N).toFixed(2)}%)`);
    timingInputs[name] ??= xs;
  }
}

{
  // fma: moderate operands (the fast path), cancellation, and the full exponent range.
  const n = Math.max(3, Math.floor(N / 3)) * 3;
  const cases = {
    'moderate random triples': () => bitsDouble(0x300, 0x4ff, true),
    'full exponent range': () => bitsDouble(0, 2046, true),
    'midpoint cases (rounding twice fails)': () => 0,
  };
  for (const [label, gen] of Object.entries(cases)) {
    const abc = fill(n, gen);
    if (label.startsWith('moderate')) {
      // every other triple: c close to -a*b (massive cancellation)
      for (let i = 0; i < n; i += 6) abc[i + 2] = -(abc[i] * abc[i + 1]) * (1 + (unit() - 0.5) * 2 ** -40);
    } else if (label.startsWith('midpoint')) {
      // a*b = 2^k - i^2 2^(k-104) and c + 2^k a midpoint of c's grid (ulp(c) = 2^(k+1)):
      // only the tiny tail decides the rounding.
      for (let t = 0; t < n; t += 3) {
        const i = 1 + Math.floor(unit() * 2 ** 20);
        const sa = Math.floor(unit() * 601) - 300, sb = Math.floor(unit() * 601) - 300;
        abc[t] = (1 + i * 2 ** -52) * 2 ** sa * (unit() < 0.5 ? -1 : 1);
        abc[t + 1] = (1 - i * 2 ** -52) * 2 ** sb;
        abc[t + 2] = (2 ** 52 + Math.floor(unit() * 2 ** 52)) * 2 ** (sa + sb + 1) * (unit() < 0.5 ? -1 : 1);
      }
    }
    const want = oracle('fma', abc);
    let bad = 0, badWasm = 0;
    for (let i = 0, j = 0; i < n; i += 3, j++) {
      const got = fma(abc[i], abc[i + 1], abc[i + 2]);
      if (!same(got, want[j])) {
        if (bad < 5) console.log(`  MISMATCH fma(${abc[i]}, ${abc[i + 1]}, ${abc[i + 2]}): glibc ${want[j]}, ours ${got}`);
        bad++;
      }
      const w = wasm.fma(abc[i], abc[i + 1], abc[i + 2]);
      if (!same(w, want[j])) {
        if (badWasm < 5) console.log(`  MISMATCH wasm fma(${abc[i]}, ${abc[i + 1]}, ${abc[i + 2]}): glibc ${want[j]}, kernel ${w}`);
        badWasm++;
      }
    }
    totalBad += bad + badWasm;
    console.log(`fma  ${label.padEnd(42)} ${bad} / ${n / 3} mismatches, wasm ${badWasm} / ${n / 3}`);
  }
}

// Speed: ns per call over the first distribution's inputs, best of 5 passes. One
// loop per function keeps each call site monomorphic (as in real callers).
const loops = {
  log: [(xs) => { let s = 0; for (let i = 0; i < xs.length; i++) s += log(xs[i]); return s; },
    (xs) => { let s = 0; for (let i = 0; i < xs.length; i++) s += Math.log(xs[i]); return s; }],
  sin: [(xs) => { let s = 0; for (let i = 0; i < xs.length; i++) s += sin(xs[i]); return s; },
    (xs) => { let s = 0; for (let i = 0; i < xs.length; i++) s += Math.sin(xs[i]); return s; }],
  cos: [(xs) => { let s = 0; for (let i = 0; i < xs.length; i++) s += cos(xs[i]); return s; },
    (xs) => { let s = 0; for (let i = 0; i < xs.length; i++) s += Math.cos(xs[i]); return s; }],
  fma: [(xs) => { let s = 0; for (let i = 0; i < xs.length; i++) s += fma(xs[i], 1.4142135623730951, -0.5); return s; },
    (xs) => { let s = 0; for (let i = 0; i < xs.length; i++) s += xs[i] * 1.4142135623730951 - 0.5; return s; }],
};
function time(loop, xs) {
  let best = Infinity, sink = 0;
  for (let p = 0; p < 5; p++) {
    const t0 = process.hrtime.bigint();
    sink += loop(xs);
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / xs.length);
  }
  if (sink === 0.123456789) console.log(sink); // keeps the result alive
  return best;
}
console.log('\nspeed (ns/call, best of 5 passes over the first distribution):');
console.log('| function | ours | V8 Math.* (fma: plain a*b+c) |');
console.log('|---|---|---|');
for (const [name, [ourLoop, v8Loop]] of Object.entries(loops)) {
  const xs = timingInputs[name === 'fma' ? 'log' : name];
  console.log(`| ${name} | ${time(ourLoop, xs).toFixed(1)} | ${time(v8Loop, xs).toFixed(1)} |`);
}
console.log(totalBad === 0 ? '\nall match' : `\n${totalBad} mismatches`);
process.exit(totalBad === 0 ? 0 : 1);
