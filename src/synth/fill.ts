// Value generators for synthetic tensors: turn a range of a logical tensor's
// counter-based stream (random.ts) into the bytes of that element range.
import { UsageError } from '../errors.js';
import { fillWords, streamKey } from './random.js';
import { bf16NormalTable, normalFromWord } from './normal.js';

/** How a tensor's values are drawn. `offset` (elements) selects a slice of the logical stream. */
export type FillSpec =
  /** mean + sigma·N(0,1); BF16 via a 16-bit quantile table, F32 per element from 32 bits. */
  | { kind: 'normal'; key: string; mean: number; sigma: number; offset?: number }
  /** Uniform bytes: MXFP4 blocks (two uniform 4-bit codes per byte). */
  | { kind: 'uniform-u8'; key: string; offset?: number }
  /** E8M0 MXFP4 scales drawn from SCALE_WEIGHTS. */
  | { kind: 'e8m0'; key: string; offset?: number };

/** The safetensors dtypes synthetic tensors use. */
export type SynthDtype = 'F32' | 'BF16' | 'U8';

/** One tensor of a synthetic checkpoint, as the presets plan it. */
export interface TensorPlan {
  name: string;
  dtype: SynthDtype;
  shape: number[];
  fill: FillSpec;
}

/** Sigmas shared by the presets: N(0, 0.02) weights, small biases. */
export const WEIGHT_SIGMA = 0.02;
export const BIAS_SIGMA = 0.01;

/**
 * Exponent distribution of the E8M0 scales (value 2^(s−127)): 118..124, peaked
 * at 121 (2^-6), the range real gpt-oss expert scales occupy. Weights out of 256.
 */
export const SCALE_WEIGHTS: ReadonlyArray<readonly [number, number]> = [
  [118, 10], [119, 26], [120, 51], [121, 72], [122, 56], [123, 31], [124, 10],
];

const SCALE_TABLE: Uint8Array = (() => {
  const t = new Uint8Array(256);
  let k = 0;
  for (const [value, weight] of SCALE_WEIGHTS) for (let i = 0; i < weight; i++) t[k++] = value;
  if (k !== 256) throw new Error('SCALE_WEIGHTS must sum to 256');
  return t;
})();

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

// One scratch buffer for all fillers: fills run one at a time, and a buffer per
// tensor would keep (tensors × chunk) bytes alive.
let scratch = new Uint32Array(0);
function scratchWords(count: number): Uint32Array {
  if (scratch.length < count) scratch = new Uint32Array(Math.max(count, 1024));
  return scratch;
}

/** Writes elements [first, first+count) of a tensor into `out` (count·itemsize bytes). */
export type Filler = (first: number, count: number, out: Uint8Array) => void;

/** Builds the filler of one tensor. */
export function makeFiller(dtype: SynthDtype, spec: FillSpec, seed: number | bigint): Filler {
  if (!LITTLE_ENDIAN) throw new UsageError('synth writes little-endian tensor data through typed arrays and needs a little-endian host');
  const key = streamKey(seed, spec.key);
  const base = spec.offset ?? 0;
  const words = (first: number, count: number): Uint32Array => {
    const w = scratchWords(count);
    fillWords(key, first, count, w);
    return w;
  };
  if (spec.kind === 'normal') {
    if (dtype === 'BF16') return bf16Normal(words, base, bf16NormalTable(spec.mean, spec.sigma));
    if (dtype === 'F32') return f32Normal(words, base, spec.mean, spec.sigma);
    throw new Error(`normal fill needs F32 or BF16, not ${dtype}`);
  }
  if (dtype !== 'U8') throw new Error(`${spec.kind} fill needs U8, not ${dtype}`);
  const bytes = u8Stream(words, base);
  if (spec.kind === 'uniform-u8') return bytes;
  return (first, count, out) => {
    bytes(first, count, out);
    for (let i = 0; i < count; i++) out[i] = SCALE_TABLE[out[i]!]!;
  };
}

type Words = (first: number, count: number) => Uint32Array;

/** Element e of the stream is 16-bit half (e mod 2) of word ⌊e/2⌋ (low half first). */
function bf16Normal(words: Words, base: number, table: Uint16Array): Filler {
  return (first, count, out) => {
    if (count === 0) return;
    const s = base + first;
    const w0 = Math.floor(s / 2);
    const nw = Math.floor((s + count - 1) / 2) - w0 + 1;
    const w = words(w0, nw);
    const o = new Uint16Array(out.buffer, out.byteOffset, count);
    let j = 0;
    let k = 0;
    if (s % 2 === 1) { o[j++] = table[w[k++]! >>> 16]!; }
    const pairs = (count - j) >> 1;
    for (let p = 0; p < pairs; p++, k++) {
      const x = w[k]!;
      o[j++] = table[x & 0xffff]!;
      o[j++] = table[x >>> 16]!;
    }
    if (j < count) o[j] = table[w[k]! & 0xffff]!;
  };
}

function f32Normal(words: Words, base: number, mean: number, sigma: number): Filler {
  return (first, count, out) => {
    const w = words(base + first, count);
    const o = new Float32Array(out.buffer, out.byteOffset, count);
    for (let i = 0; i < count; i++) o[i] = mean + sigma * normalFromWord(w[i]!);
  };
}

/** Byte e of the stream is byte (e mod 4) of word ⌊e/4⌋, little-endian. */
function u8Stream(words: Words, base: number): Filler {
  return (first, count, out) => {
    if (count === 0) return;
    const s = base + first;
    const w0 = Math.floor(s / 4);
    const nw = Math.floor((s + count - 1) / 4) - w0 + 1;
    const w = words(w0, nw);
    const skip = s - w0 * 4;
    out.set(new Uint8Array(w.buffer, w.byteOffset + skip, count));
  };
}
