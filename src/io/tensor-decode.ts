// Decodes raw little-endian safetensors bytes of any dtype to numbers.
// Doubles follow the reference's value model (ALGORITHMS §5.2): floats widen
// exactly, integers convert like Python's float(int) (round half to even).
// Typed-array views are used when the bytes are aligned (and the host is little
// endian); otherwise a DataView reads them one by one.
import { ST_DTYPE_SIZE as SIZE, type StDtype } from './safetensors.js';

/** Dtypes whose every value is exactly representable as a float32. */
export type F32ExactDtype = 'F32' | 'F16' | 'BF16' | 'F8_E4M3' | 'F8_E5M2' | 'I16' | 'I8' | 'U16' | 'U8' | 'BOOL';

const F32_EXACT = new Set<StDtype>(['F32', 'F16', 'BF16', 'F8_E4M3', 'F8_E5M2', 'I16', 'I8', 'U16', 'U8', 'BOOL']);

export function isF32Exact(dtype: StDtype): dtype is F32ExactDtype {
  return F32_EXACT.has(dtype);
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

// ---- scalar decoders (exact) -------------------------------------------------

/** IEEE binary16 bits -> value (exact: every half is a float32/double). */
export function halfToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return sign * m * 2 ** -24; // zero and subnormals: m * 2^-14 / 1024
  if (e === 31) return m === 0 ? sign * Infinity : NaN;
  return sign * (1024 + m) * 2 ** (e - 25);
}

/** bfloat16 bits -> value (the top half of a float32). */
export function bf16ToNumber(b: number): number {
  const f = new Float32Array(1);
  new Uint32Array(f.buffer)[0] = (b & 0xffff) << 16;
  return f[0]!;
}

/** float8 e4m3fn bits -> value: bias 7, no infinities, S.1111.111 is NaN, max 448. */
export function f8e4m3ToNumber(b: number): number {
  const sign = b & 0x80 ? -1 : 1;
  const e = (b >>> 3) & 0xf;
  const m = b & 0x7;
  if (e === 15 && m === 7) return NaN;
  if (e === 0) return sign * m * 2 ** -9; // subnormal: m/8 * 2^-6
  return sign * (8 + m) * 2 ** (e - 10);
}

/** float8 e5m2 bits -> value: the top byte of a binary16. */
export function f8e5m2ToNumber(b: number): number {
  return halfToNumber((b & 0xff) << 8);
}

// Lookup tables, built on first use (F16: 256 KiB).
let F16_LUT: Float32Array | undefined;
let E4M3_LUT: Float32Array | undefined;
let E5M2_LUT: Float32Array | undefined;

function f16Lut(): Float32Array {
  if (!F16_LUT) {
    F16_LUT = new Float32Array(65536);
    for (let i = 0; i < 65536; i++) F16_LUT[i] = halfToNumber(i);
  }
  return F16_LUT;
}
function e4m3Lut(): Float32Array {
  if (!E4M3_LUT) {
    E4M3_LUT = new Float32Array(256);
    for (let i = 0; i < 256; i++) E4M3_LUT[i] = f8e4m3ToNumber(i);
  }
  return E4M3_LUT;
}
function e5m2Lut(): Float32Array {
  if (!E5M2_LUT) {
    E5M2_LUT = new Float32Array(256);
    for (let i = 0; i < 256; i++) E5M2_LUT[i] = f8e5m2ToNumber(i);
  }
  return E5M2_LUT;
}

// ---- bulk decoding -------------------------------------------------------------

function count(dtype: StDtype, bytes: Uint8Array): number {
  const size = SIZE[dtype];
  if (size === undefined) throw new TypeError(`unknown safetensors dtype '${String(dtype)}'`);
  if (bytes.length % size !== 0) {
    throw new RangeError(`${bytes.length} bytes is not a whole number of ${dtype} elements (${size} bytes each)`);
  }
  return bytes.length / size;
}

/** A typed view over `bytes` when aligned on a little-endian host, else undefined. */
function view<T>(bytes: Uint8Array, size: number, make: (buf: ArrayBufferLike, off: number, n: number) => T): T | undefined {
  if (!LITTLE_ENDIAN || bytes.byteOffset % size !== 0) return undefined;
  return make(bytes.buffer, bytes.byteOffset, bytes.length / size);
}

/** The target of an `n`-value decode: `out` (its first n values) when given, else a new array. */
export function out64(n: number, out?: Float64Array): Float64Array {
  if (!out) return new Float64Array(n);
  if (out.length < n) throw new RangeError(`output has room for ${out.length} values, need ${n}`);
  return out.length === n ? out : out.subarray(0, n);
}

function out32(n: number, out?: Float32Array): Float32Array {
  if (!out) return new Float32Array(n);
  if (out.length < n) throw new RangeError(`output has room for ${out.length} values, need ${n}`);
  return out.length === n ? out : out.subarray(0, n);
}

/** Fills `o` (length n) from a u16/u8 source through a float32 lookup table. */
function viaLut(lut: Float32Array, bytes: Uint8Array, size: 1 | 2, o: Float32Array | Float64Array): void {
  const n = o.length;
  if (size === 1) {
    for (let i = 0; i < n; i++) o[i] = lut[bytes[i]!]!;
    return;
  }
  const u16 = view(bytes, 2, (b, off, len) => new Uint16Array(b, off, len));
  if (u16) {
    for (let i = 0; i < n; i++) o[i] = lut[u16[i]!]!;
  } else {
    for (let i = 0; i < n; i++) o[i] = lut[bytes[2 * i]! | (bytes[2 * i + 1]! << 8)]!;
  }
}

/** bf16 -> float32 bits, written into the u32 view of a float32 array. */
function bf16Into(bytes: Uint8Array, o: Float32Array): void {
  const n = o.length;
  const bits = new Uint32Array(o.buffer, o.byteOffset, n);
  const u16 = view(bytes, 2, (b, off, len) => new Uint16Array(b, off, len));
  if (u16) {
    for (let i = 0; i < n; i++) bits[i] = u16[i]! << 16;
  } else if (LITTLE_ENDIAN) {
    for (let i = 0; i < n; i++) bits[i] = ((bytes[2 * i]! | (bytes[2 * i + 1]! << 8)) << 16) >>> 0;
  } else {
    for (let i = 0; i < n; i++) o[i] = bf16ToNumber(bytes[2 * i]! | (bytes[2 * i + 1]! << 8));
  }
}

// 2^32 as a double: hi * 2^32 is exact and the single rounding of (hi*2^32 + lo)
// is round-to-nearest-even of the exact 64-bit integer, i.e. Python's float(int).
const TWO32 = 4294967296;

function int64Into(bytes: Uint8Array, signed: boolean, o: Float64Array | Float32Array): void {
  const n = o.length;
  const u32 = view(bytes, 4, (b, off, len) => new Uint32Array(b, off, len));
  if (u32) {
    for (let i = 0; i < n; i++) {
      const lo = u32[2 * i]!;
      const hi = signed ? u32[2 * i + 1]! | 0 : u32[2 * i + 1]!;
      o[i] = hi * TWO32 + lo;
    }
  } else {
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    for (let i = 0; i < n; i++) {
      const lo = dv.getUint32(8 * i, true);
      const hi = signed ? dv.getInt32(8 * i + 4, true) : dv.getUint32(8 * i + 4, true);
      o[i] = hi * TWO32 + lo;
    }
  }
}

function plainInto(dtype: StDtype, bytes: Uint8Array, o: Float64Array | Float32Array): void {
  const n = o.length;
  switch (dtype) {
    case 'U8': for (let i = 0; i < n; i++) o[i] = bytes[i]!; return;
    case 'BOOL': for (let i = 0; i < n; i++) o[i] = bytes[i]! !== 0 ? 1 : 0; return;
    case 'I8': for (let i = 0; i < n; i++) o[i] = (bytes[i]! << 24) >> 24; return;
    default: break;
  }
  const size = SIZE[dtype];
  const typed = view(bytes, size, (b, off, len): ArrayLike<number> | undefined => {
    switch (dtype) {
      case 'F64': return new Float64Array(b, off, len);
      case 'F32': return new Float32Array(b, off, len);
      case 'I32': return new Int32Array(b, off, len);
      case 'U32': return new Uint32Array(b, off, len);
      case 'I16': return new Int16Array(b, off, len);
      case 'U16': return new Uint16Array(b, off, len);
      default: return undefined;
    }
  });
  if (typed) {
    o.set(typed);
    return;
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  switch (dtype) {
    case 'F64': for (let i = 0; i < n; i++) o[i] = dv.getFloat64(8 * i, true); return;
    case 'F32': for (let i = 0; i < n; i++) o[i] = dv.getFloat32(4 * i, true); return;
    case 'I32': for (let i = 0; i < n; i++) o[i] = dv.getInt32(4 * i, true); return;
    case 'U32': for (let i = 0; i < n; i++) o[i] = dv.getUint32(4 * i, true); return;
    case 'I16': for (let i = 0; i < n; i++) o[i] = dv.getInt16(2 * i, true); return;
    case 'U16': for (let i = 0; i < n; i++) o[i] = dv.getUint16(2 * i, true); return;
    default: throw new TypeError(`no plain decoder for ${dtype}`);
  }
}

function decodeInto(dtype: StDtype, bytes: Uint8Array, o: Float64Array | Float32Array): void {
  switch (dtype) {
    case 'F16': return viaLut(f16Lut(), bytes, 2, o);
    case 'F8_E4M3': return viaLut(e4m3Lut(), bytes, 1, o);
    case 'F8_E5M2': return viaLut(e5m2Lut(), bytes, 1, o);
    case 'BF16':
      if (o instanceof Float32Array) return bf16Into(bytes, o);
      {
        // Decode through a float32 scratch (exact), then widen.
        const tmp = new Float32Array(o.length);
        bf16Into(bytes, tmp);
        (o as Float64Array).set(tmp);
      }
      return;
    case 'I64': return int64Into(bytes, true, o);
    case 'U64': return int64Into(bytes, false, o);
    default: return plainInto(dtype, bytes, o);
  }
}

/**
 * Decodes `bytes` (whole elements of `dtype`, little endian) to doubles.
 * Floats widen exactly (NaN payloads are not kept); integers round like
 * Python's float(int); BOOL gives 0/1. `out`, if given, must have room.
 */
export function decodeToF64(dtype: StDtype, bytes: Uint8Array, out?: Float64Array): Float64Array {
  const o = out64(count(dtype, bytes), out);
  decodeInto(dtype, bytes, o);
  return o;
}

/**
 * Decodes to float32 for dtypes where that is exact (see isF32Exact); wider
 * dtypes (F64, 32/64-bit integers) throw rather than round silently.
 */
export function decodeToF32(dtype: StDtype, bytes: Uint8Array, out?: Float32Array): Float32Array {
  if (!isF32Exact(dtype)) {
    throw new TypeError(`${dtype} values are not all exact in float32: decode ${dtype} with decodeToF64`);
  }
  const o = out32(count(dtype, bytes), out);
  decodeInto(dtype, bytes, o);
  return o;
}
