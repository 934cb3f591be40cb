// MXFP4 codec (OCP Microscaling, E2M1 elements + E8M0 shared scale per 32).
//
// Raw ABI (numbers and pointers only; every pointer is a byte offset into the
// exported `memory`, no alignment required, inputs and outputs must not overlap):
//   decodeF32(blocks, scales, nBlocks, out)   out: nBlocks*32 f32
//   decodeF64(blocks, scales, nBlocks, out)   out: nBlocks*32 f64
//   encode(values, n, blocksOut, scalesOut) -> blocks written (= n >> 5)
// plus the explicit paths decodeF32Scalar/Simd, decodeF64Scalar/Simd,
// encodeScalar/Simd (bit-identical to each other; the defaults are the SIMD ones).
// A block is 16 bytes (two E2M1 codes per byte, LOW nibble = element 2b, high
// nibble = element 2b+1) plus one scale byte. The module never allocates or
// grows memory: the host grows `memory` and uses the bytes from HEAP_BASE() on.
//
// Decode (the reference rule): value = lut[code] * 2^(scale - 127), exact in f64;
// the f32 output is that exact value rounded once to f32 (exact for scale <= 252,
// larger scales overflow to +-inf for large codes). Scale 0xFF is NOT treated as
// NaN (the reference decodes it as 2^128).
//
// Encode rule "ocp-mx-v1-floor-rne": per 32 values, amax = max |v|;
//   scale byte = max(biasedExp(amax) - 2, 0), i.e. floor(log2 amax) - 2 clamped
//   to the E8M0 range (subnormal and zero amax give 0); element code = |v| /
//   2^(scale - 127) rounded to nearest, ties to even, on {0,.5,1,1.5,2,3,4,6},
//   saturating at 6; the sign bit is always copied (-0 and tiny negatives give
//   code 8). Any NaN or +-Inf in the block -> scale 0xFF and all 16 bytes 0.
import { HEAP_BASE } from './shared/heap';

/** Bumped when an export's meaning changes. */
export function abiVersion(): i32 {
  return 1;
}

// f32 and f64 bit patterns of the E2M1 table (code 8 is -0).
const LUT_F32: usize = memory.data<u32>([
  0x00000000, 0x3f000000, 0x3f800000, 0x3fc00000, 0x40000000, 0x40400000, 0x40800000, 0x40c00000,
  0x80000000, 0xbf000000, 0xbf800000, 0xbfc00000, 0xc0000000, 0xc0400000, 0xc0800000, 0xc0c00000,
], 64);
const LUT_F64: usize = memory.data<u64>([
  0x0000000000000000, 0x3fe0000000000000, 0x3ff0000000000000, 0x3ff8000000000000,
  0x4000000000000000, 0x4008000000000000, 0x4010000000000000, 0x4018000000000000,
  0x8000000000000000, 0xbfe0000000000000, 0xbff0000000000000, 0xbff8000000000000,
  0xc000000000000000, 0xc008000000000000, 0xc010000000000000, 0xc018000000000000,
], 64);

// 2^(s - 127) as f32 for s in 0..254 (s = 0 is the subnormal 2^-127). For
// s = 255 (2^128, not an f32) callers use 2^127 and a second exact *2, so the
// product is still rounded only once (the first product cannot round).
@inline function scaleF32(s: u32): f32 {
  return reinterpret<f32>(s == 0 ? <u32>0x00400000 : (s == 255 ? <u32>254 << 23 : s << 23));
}

// 2^(s - 127) as f64: always a normal double.
@inline function scaleF64(s: u32): f64 {
  return reinterpret<f64>(<u64>(s + 896) << 52);
}

// ---------------------------------------------------------------- decode, scalar

export function decodeF32Scalar(blocks: usize, scales: usize, nBlocks: usize, out: usize): void {
  for (let i: usize = 0; i < nBlocks; i++) {
    const s = <u32>load<u8>(scales + i);
    const f = scaleF32(s);
    const src = blocks + (i << 4);
    const dst = out + (i << 7);
    if (s != 255) {
      for (let j: usize = 0; j < 16; j++) {
        const b = <usize>load<u8>(src + j);
        store<f32>(dst + (j << 3), load<f32>(LUT_F32 + ((b & 15) << 2)) * f);
        store<f32>(dst + (j << 3), load<f32>(LUT_F32 + ((b >> 4) << 2)) * f, 4);
      }
    } else {
      for (let j: usize = 0; j < 16; j++) {
        const b = <usize>load<u8>(src + j);
        store<f32>(dst + (j << 3), load<f32>(LUT_F32 + ((b & 15) << 2)) * f * 2);
        store<f32>(dst + (j << 3), load<f32>(LUT_F32 + ((b >> 4) << 2)) * f * 2, 4);
      }
    }
  }
}

export function decodeF64Scalar(blocks: usize, scales: usize, nBlocks: usize, out: usize): void {
  for (let i: usize = 0; i < nBlocks; i++) {
    const f = scaleF64(<u32>load<u8>(scales + i));
    const src = blocks + (i << 4);
    const dst = out + (i << 8);
    for (let j: usize = 0; j < 16; j++) {
      const b = <usize>load<u8>(src + j);
      store<f64>(dst + (j << 4), load<f64>(LUT_F64 + ((b & 15) << 3)) * f);
      store<f64>(dst + (j << 4), load<f64>(LUT_F64 + ((b >> 4) << 3)) * f, 8);
    }
  }
}

// ---------------------------------------------------------------- decode, SIMD
// One 16-byte block is one v128: split nibbles, interleave them into element
// order, look up the two non-zero bytes of each value's bit pattern with
// i8x16.swizzle (byte planes of the table above), widen by interleaving with
// zero bytes, then multiply by the splatted power-of-two scale (exact, and the
// same IEEE product as the scalar path, incl. subnormals and -0).

// Codes for elements 0..15 / 16..31 from the low- and high-nibble vectors.
@inline function codesLo(lo: v128, hi: v128): v128 {
  return i8x16.shuffle(lo, hi, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
}
@inline function codesHi(lo: v128, hi: v128): v128 {
  return i8x16.shuffle(lo, hi, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
}
// Interleave bytes of two planes into u16 lanes (low half / high half).
@inline function pairLo(a: v128, b: v128): v128 {
  return i8x16.shuffle(a, b, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
}
@inline function pairHi(a: v128, b: v128): v128 {
  return i8x16.shuffle(a, b, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
}
// u16 lanes -> u32 lanes holding (w << 16): interleave zero words below.
@inline function wideLo16(z: v128, w: v128): v128 {
  return i16x8.shuffle(z, w, 0, 8, 1, 9, 2, 10, 3, 11);
}
@inline function wideHi16(z: v128, w: v128): v128 {
  return i16x8.shuffle(z, w, 4, 12, 5, 13, 6, 14, 7, 15);
}
// u32 lanes -> u64 lanes holding (x << 32).
@inline function wideLo32(z: v128, x: v128): v128 {
  return i32x4.shuffle(z, x, 0, 4, 1, 5);
}
@inline function wideHi32(z: v128, x: v128): v128 {
  return i32x4.shuffle(z, x, 2, 6, 3, 7);
}

// Byte 2 and byte 3 of each f32 table entry (bytes 0 and 1 are zero).
@inline function planeF32B2(): v128 {
  return i32x4(<i32>0xc0800000, <i32>0xc0804000, <i32>0xc0800000, <i32>0xc0804000);
}
// Byte 7 of each f64 entry equals byte 3 of the f32 entry (same sign and top exponent bits).
@inline function planeTop(): v128 {
  return i32x4(0x3f3f3f00, 0x40404040, <i32>0xbfbfbf80, <i32>0xc0c0c0c0);
}
// Byte 6 of each f64 table entry (bytes 0..5 are zero).
@inline function planeF64B6(): v128 {
  return i32x4(<i32>0xf8f0e000, 0x18100800, <i32>0xf8f0e000, 0x18100800);
}

// 16 values of one block: look up, widen, scale, store (64 bytes).
@inline function storeF32x16(dst: usize, codes: v128, p2: v128, p3: v128, z: v128, f: v128): void {
  const b2 = i8x16.swizzle(p2, codes);
  const b3 = i8x16.swizzle(p3, codes);
  const w0 = pairLo(b2, b3);
  const w1 = pairHi(b2, b3);
  v128.store(dst, f32x4.mul(wideLo16(z, w0), f), 0);
  v128.store(dst, f32x4.mul(wideHi16(z, w0), f), 16);
  v128.store(dst, f32x4.mul(wideLo16(z, w1), f), 32);
  v128.store(dst, f32x4.mul(wideHi16(z, w1), f), 48);
}

@inline function storeF32x16Big(dst: usize, codes: v128, p2: v128, p3: v128, z: v128, f: v128): void {
  const two = f32x4.splat(2);
  const b2 = i8x16.swizzle(p2, codes);
  const b3 = i8x16.swizzle(p3, codes);
  const w0 = pairLo(b2, b3);
  const w1 = pairHi(b2, b3);
  v128.store(dst, f32x4.mul(f32x4.mul(wideLo16(z, w0), f), two), 0);
  v128.store(dst, f32x4.mul(f32x4.mul(wideHi16(z, w0), f), two), 16);
  v128.store(dst, f32x4.mul(f32x4.mul(wideLo16(z, w1), f), two), 32);
  v128.store(dst, f32x4.mul(f32x4.mul(wideHi16(z, w1), f), two), 48);
}

export function decodeF32Simd(blocks: usize, scales: usize, nBlocks: usize, out: usize): void {
  const p2 = planeF32B2();
  const p3 = planeTop();
  const z = i32x4.splat(0);
  const nib = i8x16.splat(0x0f);
  for (let i: usize = 0; i < nBlocks; i++) {
    const s = <u32>load<u8>(scales + i);
    const v = v128.load(blocks + (i << 4));
    const lo = v128.and(v, nib);
    const hi = i8x16.shr_u(v, 4);
    const c0 = codesLo(lo, hi);
    const c1 = codesHi(lo, hi);
    const f = f32x4.splat(scaleF32(s));
    const dst = out + (i << 7);
    if (s != 255) {
      storeF32x16(dst, c0, p2, p3, z, f);
      storeF32x16(dst + 64, c1, p2, p3, z, f);
    } else {
      storeF32x16Big(dst, c0, p2, p3, z, f);
      storeF32x16Big(dst + 64, c1, p2, p3, z, f);
    }
  }
}

@inline function storeF64x16(dst: usize, codes: v128, p6: v128, p7: v128, z: v128, f: v128): void {
  const b6 = i8x16.swizzle(p6, codes);
  const b7 = i8x16.swizzle(p7, codes);
  const w0 = pairLo(b6, b7);
  const w1 = pairHi(b6, b7);
  const x0 = wideLo16(z, w0);
  const x1 = wideHi16(z, w0);
  const x2 = wideLo16(z, w1);
  const x3 = wideHi16(z, w1);
  v128.store(dst, f64x2.mul(wideLo32(z, x0), f), 0);
  v128.store(dst, f64x2.mul(wideHi32(z, x0), f), 16);
  v128.store(dst, f64x2.mul(wideLo32(z, x1), f), 32);
  v128.store(dst, f64x2.mul(wideHi32(z, x1), f), 48);
  v128.store(dst, f64x2.mul(wideLo32(z, x2), f), 64);
  v128.store(dst, f64x2.mul(wideHi32(z, x2), f), 80);
  v128.store(dst, f64x2.mul(wideLo32(z, x3), f), 96);
  v128.store(dst, f64x2.mul(wideHi32(z, x3), f), 112);
}

export function decodeF64Simd(blocks: usize, scales: usize, nBlocks: usize, out: usize): void {
  const p6 = planeF64B6();
  const p7 = planeTop();
  const z = i32x4.splat(0);
  const nib = i8x16.splat(0x0f);
  for (let i: usize = 0; i < nBlocks; i++) {
    const v = v128.load(blocks + (i << 4));
    const lo = v128.and(v, nib);
    const hi = i8x16.shr_u(v, 4);
    const f = f64x2.splat(scaleF64(<u32>load<u8>(scales + i)));
    const dst = out + (i << 8);
    storeF64x16(dst, codesLo(lo, hi), p6, p7, z, f);
    storeF64x16(dst + 128, codesHi(lo, hi), p6, p7, z, f);
  }
}

export function decodeF32(blocks: usize, scales: usize, nBlocks: usize, out: usize): void {
  decodeF32Simd(blocks, scales, nBlocks, out);
}

export function decodeF64(blocks: usize, scales: usize, nBlocks: usize, out: usize): void {
  decodeF64Simd(blocks, scales, nBlocks, out);
}

// ---------------------------------------------------------------- encode
// Scale byte from the largest |v| bit pattern (integer max of the sign-cleared
// bits == float max of |v| for non-NaN; NaN/Inf bits are >= 0x7f800000).
@inline function scaleByte(amaxBits: u32): u32 {
  const e = amaxBits >>> 23;
  return e > 2 ? e - 2 : 0;
}
// 2^(127 - scale): multiplying by it divides by the shared scale exactly.
@inline function invScale(scale: u32): f32 {
  return reinterpret<f32>((254 - scale) << 23);
}

// E2M1 code of one value: count the rounding thresholds |q| passes (ties at
// .25 .75 1.25 1.75 2.5 3.5 5 go to the even code), plus the sign bit.
@inline function codeOf(bits: u32, m: f32): u32 {
  const a = reinterpret<f32>(bits & 0x7fffffff) * m;
  const c = <u32>(a > <f32>0.25) + <u32>(a >= <f32>0.75) + <u32>(a > <f32>1.25) + <u32>(a >= <f32>1.75) +
            <u32>(a > <f32>2.5) + <u32>(a >= <f32>3.5) + <u32>(a > <f32>5.0);
  return c | ((bits >>> 28) & 8);
}

export function encodeScalar(values: usize, n: usize, blocksOut: usize, scalesOut: usize): usize {
  const nBlocks = n >> 5;
  for (let i: usize = 0; i < nBlocks; i++) {
    const src = values + (i << 7);
    const dst = blocksOut + (i << 4);
    let amax: u32 = 0;
    for (let j: usize = 0; j < 32; j++) {
      const a = load<u32>(src + (j << 2)) & 0x7fffffff;
      amax = a > amax ? a : amax;
    }
    if (amax >= 0x7f800000) {
      store<u8>(scalesOut + i, 0xff);
      store<u64>(dst, 0);
      store<u64>(dst, 0, 8);
      continue;
    }
    const s = scaleByte(amax);
    store<u8>(scalesOut + i, <u8>s);
    const m = invScale(s);
    for (let j: usize = 0; j < 16; j++) {
      const c0 = codeOf(load<u32>(src + (j << 3)), m);
      const c1 = codeOf(load<u32>(src + (j << 3), 4), m);
      store<u8>(dst + j, <u8>(c0 | (c1 << 4)));
    }
  }
  return nBlocks;
}

// Codes (i32 lanes, sign included) for four values.
@inline function codes4(bits: v128, m: v128): v128 {
  const a = f32x4.mul(v128.and(bits, i32x4.splat(0x7fffffff)), m);
  let c = f32x4.gt(a, f32x4.splat(0.25));
  c = i32x4.add(c, f32x4.ge(a, f32x4.splat(0.75)));
  c = i32x4.add(c, f32x4.gt(a, f32x4.splat(1.25)));
  c = i32x4.add(c, f32x4.ge(a, f32x4.splat(1.75)));
  c = i32x4.add(c, f32x4.gt(a, f32x4.splat(2.5)));
  c = i32x4.add(c, f32x4.ge(a, f32x4.splat(3.5)));
  c = i32x4.add(c, f32x4.gt(a, f32x4.splat(5.0)));
  // c holds -count; the sign goes to bit 3.
  return v128.or(i32x4.sub(i32x4.splat(0), c), v128.and(i32x4.shr_u(bits, 28), i32x4.splat(8)));
}

// 16 codes (one per byte, element order) -> 8 packed bytes in the low byte of u16 lanes.
@inline function pack16(c: v128): v128 {
  return v128.and(v128.or(c, i16x8.shr_u(c, 4)), i16x8.splat(0xff));
}

export function encodeSimd(values: usize, n: usize, blocksOut: usize, scalesOut: usize): usize {
  const nBlocks = n >> 5;
  const absMask = i32x4.splat(0x7fffffff);
  for (let i: usize = 0; i < nBlocks; i++) {
    const src = values + (i << 7);
    const v0 = v128.load(src, 0);
    const v1 = v128.load(src, 16);
    const v2 = v128.load(src, 32);
    const v3 = v128.load(src, 48);
    const v4 = v128.load(src, 64);
    const v5 = v128.load(src, 80);
    const v6 = v128.load(src, 96);
    const v7 = v128.load(src, 112);
    let mx = i32x4.max_u(
      i32x4.max_u(i32x4.max_u(v128.and(v0, absMask), v128.and(v1, absMask)),
                  i32x4.max_u(v128.and(v2, absMask), v128.and(v3, absMask))),
      i32x4.max_u(i32x4.max_u(v128.and(v4, absMask), v128.and(v5, absMask)),
                  i32x4.max_u(v128.and(v6, absMask), v128.and(v7, absMask))));
    mx = i32x4.max_u(mx, i32x4.shuffle(mx, mx, 2, 3, 0, 1));
    mx = i32x4.max_u(mx, i32x4.shuffle(mx, mx, 1, 0, 3, 2));
    const amax = <u32>i32x4.extract_lane(mx, 0);
    const dst = blocksOut + (i << 4);
    if (amax >= 0x7f800000) {
      store<u8>(scalesOut + i, 0xff);
      v128.store(dst, i32x4.splat(0));
      continue;
    }
    const s = scaleByte(amax);
    store<u8>(scalesOut + i, <u8>s);
    const m = f32x4.splat(invScale(s));
    const e0 = i8x16.narrow_i16x8_u(
      i16x8.narrow_i32x4_u(codes4(v0, m), codes4(v1, m)),
      i16x8.narrow_i32x4_u(codes4(v2, m), codes4(v3, m)));
    const e1 = i8x16.narrow_i16x8_u(
      i16x8.narrow_i32x4_u(codes4(v4, m), codes4(v5, m)),
      i16x8.narrow_i32x4_u(codes4(v6, m), codes4(v7, m)));
    v128.store(dst, i8x16.narrow_i16x8_u(pack16(e0), pack16(e1)));
  }
  return nBlocks;
}

export function encode(values: usize, n: usize, blocksOut: usize, scalesOut: usize): usize {
  return encodeSimd(values, n, blocksOut, scalesOut);
}

export { HEAP_BASE };
