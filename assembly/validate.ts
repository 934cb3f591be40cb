// Safetensors layout validation in u64 arithmetic (the crate's `validate` rules).
//
// ABI: validate(table, count, cursor, dataLen, last, out) -> code
//   table: `count` records of u64 words, each
//          [elemSize, rank, begin, end, dim_0 .. dim_{rank-1}],
//          already sorted by (begin, end) on the host (as the crate sorts);
//   cursor: where the previous chunk ended (0 for the first);
//   dataLen: bytes after the header; last: 1 on the final chunk (enables the
//   trailing-bytes check).
//   out: [u32 code][u32 index][u64 expected][u64 found][u64 cursor after].
// The host streams long tables in chunks and chains `cursor`.
import { HEAP_BASE } from './shared/heap';

export const OK: u32 = 0;
/** Gap between the previous tensor's end and this tensor's begin. */
export const HOLE: u32 = 1;
/** This tensor begins before the previous one ends. */
export const OVERLAP: u32 = 2;
/** end < begin. */
export const END_BEFORE_BEGIN: u32 = 3;
/** The element count or byte size does not fit in u64. */
export const OVERFLOW: u32 = 4;
/** (end - begin) != elements x element size. */
export const SIZE_MISMATCH: u32 = 5;
/** end > data length (truncated file). */
export const PAST_END: u32 = 6;
/** The last tensor ends before the data does. */
export const TRAILING: u32 = 7;

@inline function fail(out: usize, code: u32, index: u32, expected: u64, found: u64, cursor: u64): u32 {
  store<u32>(out, code);
  store<u32>(out, index, 4);
  store<u64>(out, expected, 8);
  store<u64>(out, found, 16);
  store<u64>(out, cursor, 24);
  return code;
}

export function validate(table: usize, count: u32, cursor: u64, dataLen: u64, last: u32, out: usize): u32 {
  let p = table;
  for (let i: u32 = 0; i < count; i++) {
    const size = load<u64>(p);
    const rank = <usize>load<u64>(p, 8);
    const begin = load<u64>(p, 16);
    const end = load<u64>(p, 24);
    p += 32;
    if (begin > cursor) return fail(out, HOLE, i, cursor, begin, cursor);
    if (begin < cursor) return fail(out, OVERLAP, i, cursor, begin, cursor);
    if (end < begin) return fail(out, END_BEFORE_BEGIN, i, begin, end, cursor);
    // Same fold as the crate: checked multiply left to right, so an overflow is
    // reported even when a later dimension is 0.
    let n: u64 = 1;
    let overflow = false;
    for (let d: usize = 0; d < rank; d++) {
      const dim = load<u64>(p + (d << 3));
      if (!overflow) {
        if (dim != 0 && n > U64.MAX_VALUE / dim) overflow = true;
        else n *= dim;
      }
    }
    p += rank << 3;
    if (overflow) return fail(out, OVERFLOW, i, 0, 0, cursor);
    if (size != 0 && n > U64.MAX_VALUE / size) return fail(out, OVERFLOW, i, n, size, cursor);
    const bytes = n * size;
    if (end - begin != bytes) return fail(out, SIZE_MISMATCH, i, bytes, end - begin, cursor);
    if (end > dataLen) return fail(out, PAST_END, i, dataLen, end, cursor);
    cursor = end;
  }
  if (last != 0 && cursor != dataLen) return fail(out, TRAILING, count, cursor, dataLen, cursor);
  return fail(out, OK, count, 0, 0, cursor);
}

// ---- MXFP4 pairs (blocks [..., G, 16] u8 with scales [..., G] u8) ----
// checkMxfp4(bdims, brank, sdims, srank, out) -> code; out: [u32 dim index][u32 0][u64 expected][u64 found]
export const MX_OK: u32 = 0;
/** The blocks' last dimension is not 16 bytes (32 E2M1 codes). */
export const MX_BLOCK_BYTES: u32 = 1;
/** The scales' rank is not the blocks' rank minus one (or the blocks have rank < 2). */
export const MX_RANK: u32 = 2;
/** A scales dimension differs from the blocks' (expert/row/group counts disagree). */
export const MX_DIM: u32 = 3;

export function checkMxfp4(bdims: usize, brank: u32, sdims: usize, srank: u32, out: usize): u32 {
  store<u64>(out, 0, 8);
  store<u64>(out, 0, 16);
  store<u32>(out, 0);
  if (brank < 2 || srank + 1 != brank) {
    store<u64>(out, <u64>(brank > 0 ? brank - 1 : 0), 8);
    store<u64>(out, <u64>srank, 16);
    return MX_RANK;
  }
  const last = load<u64>(bdims + (<usize>(brank - 1) << 3));
  if (last != 16) {
    store<u32>(out, brank - 1);
    store<u64>(out, 16, 8);
    store<u64>(out, last, 16);
    return MX_BLOCK_BYTES;
  }
  for (let i: u32 = 0; i < srank; i++) {
    const b = load<u64>(bdims + (<usize>i << 3));
    const s = load<u64>(sdims + (<usize>i << 3));
    if (b != s) {
      store<u32>(out, i);
      store<u64>(out, b, 8);
      store<u64>(out, s, 16);
      return MX_DIM;
    }
  }
  return MX_OK;
}

/** Scans E8M0 scale bytes: out = [u32 max][u32 0][u64 count of 0xFF (the NaN scale)]. Chunks chain through `out`. */
export function scanScales(ptr: usize, n: usize, out: usize): void {
  let mx = load<u32>(out);
  let nan = load<u64>(out, 8);
  for (let i: usize = 0; i < n; i++) {
    const v = <u32>load<u8>(ptr + i);
    if (v > mx) mx = v;
    if (v == 255) nan++;
  }
  store<u32>(out, mx);
  store<u64>(out, nan, 8);
}

export { HEAP_BASE };
