// Typed wrapper over the mxfp4 kernel: MXFP4 (OCP MX, E2M1 + E8M0) decode and
// encode for arrays of any size, streamed through the kernel's scratch memory in
// chunks. Sync functions need one `await loadMxfp4()` first.
import { KernelSlot } from './wasm.js';

/** Name of the encoder's rounding rule (see assembly/mxfp4.ts). */
export const ENCODER_RULE = 'ocp-mx-v1-floor-rne';

/** ABI version this wrapper was written against (assembly/mxfp4.ts abiVersion()). */
const ABI_VERSION = 1;

export type Mxfp4Precision = 'f32' | 'f64';

export interface Mxfp4DecodeOptions {
  /** Output element type (default 'f32'; implied by `out` when given). */
  precision?: Mxfp4Precision;
  /** Use the SIMD kernel path (default true); the scalar path gives identical bits. */
  simd?: boolean;
  /**
   * Treat scale 0xFF as OCP MX's NaN scale (all 32 values of the block become
   * NaN), as produced by the encoder for blocks holding NaN/Inf. Default false:
   * the reference rule, 0xFF means 2^128.
   */
  nanScale?: boolean;
}

export interface Mxfp4EncodeOptions {
  /** Use the SIMD kernel path (default true); the scalar path gives identical bytes. */
  simd?: boolean;
}

/** Encoded MXFP4 data: 16 code bytes per block (low nibble first) and one E8M0 scale per block. */
export interface Mxfp4Encoded {
  blocks: Uint8Array;
  scales: Uint8Array;
}

type Raw = (a: number, b: number, c: number, d: number) => number | void;
type Mxfp4Exports = {
  abiVersion(): number;
  decodeF32Scalar: Raw;
  decodeF32Simd: Raw;
  decodeF64Scalar: Raw;
  decodeF64Simd: Raw;
  encodeScalar: Raw;
  encodeSimd: Raw;
};

const slot = new KernelSlot<Mxfp4Exports>('mxfp4', 'await loadMxfp4() first (or use the async decodeMxfp4/encodeMxfp4)', {
  init(k) {
    const v = k.exports.abiVersion();
    if (v !== ABI_VERSION) {
      throw new Error(`mxfp4.wasm has ABI version ${v}, this wrapper expects ${ABI_VERSION}: rebuild with 'npm run build'`);
    }
  },
});

/** Loads the mxfp4 kernel (once per process); required before the sync functions. */
export function loadMxfp4(): Promise<void> {
  return slot.load();
}

/** Whether the sync functions are usable (the kernel was loaded). */
export function mxfp4Loaded(): boolean {
  return slot.loaded;
}

// Blocks per chunk. 4 MiB of f32 per chunk (decode output / encode input) keeps
// the scratch small while amortising the per-chunk copies and calls.
const DEFAULT_CHUNK_BLOCKS = (4 * 1024 * 1024) / 128;
let chunkBlocks = DEFAULT_CHUNK_BLOCKS;

/** @internal Test hook: blocks per chunk (undefined restores the default). */
export function _setChunkBlocks(n?: number): void {
  chunkBlocks = n === undefined ? DEFAULT_CHUNK_BLOCKS : Math.max(1, Math.floor(n));
}

function checkBytes(name: string, what: string, a: unknown): asserts a is Uint8Array {
  if (!(a instanceof Uint8Array)) {
    throw new TypeError(`${name}: ${what} must be a Uint8Array, got ${describe(a)}`);
  }
}

function describe(a: unknown): string {
  if (a === null) return 'null';
  if (typeof a !== 'object') return typeof a;
  return (a as object).constructor?.name ?? 'object';
}

function checkPair(name: string, blocks: unknown, scales: unknown): asserts blocks is Uint8Array {
  checkBytes(name, 'blocks', blocks);
  checkBytes(name, 'scales', scales);
  const g = (scales as Uint8Array).length;
  if (blocks.length !== g * 16) {
    throw new RangeError(
      `${name}: blocks has ${blocks.length} bytes but scales has ${g} entries; expected blocks.length = 16 × scales.length ` +
        `(${g * 16}): each scale byte covers one 16-byte block of 32 codes, so pass matching ranges of both tensors`,
    );
  }
}

function precisionOf(name: string, out: unknown, precision: Mxfp4Precision | undefined): Mxfp4Precision {
  if (out === undefined) {
    if (precision !== undefined && precision !== 'f32' && precision !== 'f64') {
      throw new RangeError(`${name}: precision must be 'f32' or 'f64', got ${String(precision)}`);
    }
    return precision ?? 'f32';
  }
  const p = out instanceof Float32Array ? 'f32' : out instanceof Float64Array ? 'f64' : undefined;
  if (!p) throw new TypeError(`${name}: out must be a Float32Array or Float64Array, got ${describe(out)}`);
  if (precision !== undefined && precision !== p) {
    throw new RangeError(`${name}: out is a ${describe(out)} but precision is '${precision}'; drop one of them or make them agree`);
  }
  return p;
}

// Runs the decode in chunks; `out` already has room for 32 values per block.
function decodeChunks(blocks: Uint8Array, scales: Uint8Array, out: Float32Array | Float64Array, opts: Mxfp4DecodeOptions): void {
  const kk = slot.get();
  const n = scales.length;
  if (n === 0) return;
  const simd = opts.simd ?? true;
  const f64 = out instanceof Float64Array;
  const outPerBlock = f64 ? 256 : 128;
  const chunk = Math.min(n, f64 ? Math.max(1, chunkBlocks >> 1) : chunkBlocks);
  const base = kk.scratch(chunk * (outPerBlock + 17));
  const outPtr = base;
  const blkPtr = base + chunk * outPerBlock;
  const scPtr = blkPtr + chunk * 16;
  const e = kk.exports;
  const fn = f64 ? (simd ? e.decodeF64Simd : e.decodeF64Scalar) : simd ? e.decodeF32Simd : e.decodeF32Scalar;
  for (let i = 0; i < n; i += chunk) {
    const m = Math.min(chunk, n - i);
    const u8 = kk.u8;
    u8.set(blocks.subarray(i * 16, (i + m) * 16), blkPtr);
    u8.set(scales.subarray(i, i + m), scPtr);
    fn(blkPtr, scPtr, m, outPtr);
    out.set(f64 ? kk.f64(outPtr, m * 32) : kk.f32(outPtr, m * 32), i * 32);
  }
  if (opts.nanScale) {
    for (let i = scales.indexOf(0xff); i >= 0; i = scales.indexOf(0xff, i + 1)) out.fill(NaN, i * 32, i * 32 + 32);
  }
}

/**
 * Decodes MXFP4 blocks (u8, 16 per block) with their E8M0 scales (u8, one per
 * block) into 32·scales.length values: lut[code] · 2^(scale − 127), low nibble
 * first. f64 output is exact; f32 output is that value rounded once (exact for
 * scales ≤ 252). Scale 0xFF decodes as 2^128 like the reference, unless
 * `nanScale` asks for OCP's NaN meaning.
 */
export function decodeMxfp4Sync(blocks: Uint8Array, scales: Uint8Array, opts?: Mxfp4DecodeOptions & { precision?: 'f32'; out?: Float32Array }): Float32Array;
export function decodeMxfp4Sync(blocks: Uint8Array, scales: Uint8Array, opts: Mxfp4DecodeOptions & { precision: 'f64'; out?: Float64Array }): Float64Array;
export function decodeMxfp4Sync(blocks: Uint8Array, scales: Uint8Array, opts: Mxfp4DecodeOptions & { out: Float64Array }): Float64Array;
export function decodeMxfp4Sync(blocks: Uint8Array, scales: Uint8Array, opts?: Mxfp4DecodeOptions & { out?: Float32Array | Float64Array }): Float32Array | Float64Array;
export function decodeMxfp4Sync(
  blocks: Uint8Array,
  scales: Uint8Array,
  opts: Mxfp4DecodeOptions & { out?: Float32Array | Float64Array } = {},
): Float32Array | Float64Array {
  const name = 'decodeMxfp4';
  checkPair(name, blocks, scales);
  const p = precisionOf(name, opts.out, opts.precision);
  const n = scales.length * 32;
  let out = opts.out;
  if (out) {
    if (out.length !== n) {
      throw new RangeError(`${name}: out has ${out.length} elements but ${scales.length} blocks decode to ${n} values (32 per block)`);
    }
  } else {
    out = p === 'f64' ? new Float64Array(n) : new Float32Array(n);
  }
  decodeChunks(blocks, scales, out, opts);
  return out;
}

/**
 * Decodes into the caller's buffer without allocating: writes out[0, 32·scales.length)
 * (out may be longer, e.g. a whole tensor's row buffer) and returns the number
 * of values written. The precision follows out's type.
 */
export function decodeMxfp4Into(
  blocks: Uint8Array,
  scales: Uint8Array,
  out: Float32Array | Float64Array,
  opts: Omit<Mxfp4DecodeOptions, 'precision'> = {},
): number {
  const name = 'decodeMxfp4Into';
  checkPair(name, blocks, scales);
  precisionOf(name, out, undefined);
  const n = scales.length * 32;
  if (out.length < n) {
    throw new RangeError(`${name}: out has room for ${out.length} values but ${scales.length} blocks decode to ${n} (32 per block)`);
  }
  decodeChunks(blocks, scales, out, opts);
  return n;
}

function checkValues(name: string, values: unknown): asserts values is Float32Array {
  if (!(values instanceof Float32Array)) {
    throw new TypeError(`${name}: values must be a Float32Array, got ${describe(values)}`);
  }
  if (values.length % 32 !== 0) {
    throw new RangeError(
      `${name}: values has ${values.length} elements, which is not a multiple of 32 (the MXFP4 block size); ` +
        `pad the last block to ${Math.ceil(values.length / 32) * 32} elements (e.g. with zeros)`,
    );
  }
}

/**
 * Encodes into caller-provided buffers (blocks ≥ n/2 bytes, scales ≥ n/32
 * bytes); returns the number of blocks written. Rule: ENCODER_RULE.
 */
export function encodeMxfp4Into(values: Float32Array, blocks: Uint8Array, scales: Uint8Array, opts: Mxfp4EncodeOptions = {}): number {
  const name = 'encodeMxfp4Into';
  checkValues(name, values);
  checkBytes(name, 'blocks', blocks);
  checkBytes(name, 'scales', scales);
  const g = values.length / 32;
  if (blocks.length < g * 16 || scales.length < g) {
    throw new RangeError(
      `${name}: ${values.length} values need ${g * 16} block bytes and ${g} scale bytes, got ${blocks.length} and ${scales.length}`,
    );
  }
  const kk = slot.get();
  if (g === 0) return 0;
  const chunk = Math.min(g, chunkBlocks);
  const base = kk.scratch(chunk * (128 + 17));
  const valPtr = base;
  const blkPtr = base + chunk * 128;
  const scPtr = blkPtr + chunk * 16;
  const fn = opts.simd ?? true ? kk.exports.encodeSimd : kk.exports.encodeScalar;
  for (let i = 0; i < g; i += chunk) {
    const m = Math.min(chunk, g - i);
    kk.f32(valPtr, m * 32).set(values.subarray(i * 32, (i + m) * 32));
    fn(valPtr, m * 32, blkPtr, scPtr);
    const u8 = kk.u8;
    blocks.set(u8.subarray(blkPtr, blkPtr + m * 16), i * 16);
    scales.set(u8.subarray(scPtr, scPtr + m), i);
  }
  return g;
}

/** Encodes values (length a multiple of 32) to MXFP4 with the ENCODER_RULE rule. */
export function encodeMxfp4Sync(values: Float32Array, opts: Mxfp4EncodeOptions = {}): Mxfp4Encoded {
  checkValues('encodeMxfp4', values);
  const g = values.length / 32;
  const out = { blocks: new Uint8Array(g * 16), scales: new Uint8Array(g) };
  encodeMxfp4Into(values, out.blocks, out.scales, opts);
  return out;
}

/** Async form of decodeMxfp4Sync (loads the kernel on first use). */
export async function decodeMxfp4(blocks: Uint8Array, scales: Uint8Array, opts?: Mxfp4DecodeOptions & { precision?: 'f32'; out?: Float32Array }): Promise<Float32Array>;
export async function decodeMxfp4(blocks: Uint8Array, scales: Uint8Array, opts: Mxfp4DecodeOptions & { precision: 'f64'; out?: Float64Array }): Promise<Float64Array>;
export async function decodeMxfp4(blocks: Uint8Array, scales: Uint8Array, opts: Mxfp4DecodeOptions & { out: Float64Array }): Promise<Float64Array>;
export async function decodeMxfp4(blocks: Uint8Array, scales: Uint8Array, opts?: Mxfp4DecodeOptions & { out?: Float32Array | Float64Array }): Promise<Float32Array | Float64Array>;
export async function decodeMxfp4(
  blocks: Uint8Array,
  scales: Uint8Array,
  opts?: Mxfp4DecodeOptions & { out?: Float32Array | Float64Array },
): Promise<Float32Array | Float64Array> {
  await loadMxfp4();
  return decodeMxfp4Sync(blocks, scales, opts);
}

/** Async form of encodeMxfp4Sync (loads the kernel on first use). */
export async function encodeMxfp4(values: Float32Array, opts?: Mxfp4EncodeOptions): Promise<Mxfp4Encoded> {
  await loadMxfp4();
  return encodeMxfp4Sync(values, opts);
}
